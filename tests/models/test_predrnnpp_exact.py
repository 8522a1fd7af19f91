"""predbench's PredRNN++ computes what OpenSTL's PredRNNpp_Model computes (same weights).

The oracle is benchmarks/eager_predrnnpp.py, checked against OpenSTL's own code outside the project
(max differences 0 on predictions, loss and gradients). All comparisons are fp32 with tolerances
1e-5 (predictions, gradients) and 1e-6 (loss): predbench runs the reference's operations in its
order, LayerNorm included, so no looser tolerance is needed.
"""
import re

import numpy as np
import pytest
import torch

from openstl_reference import (RefPredRNNpp, full_size_mask, reference_test_predictions,
                               reshape_patch, strip_unused)
from predbench.apis import predict
from predbench.models import PredRNNpp, VideoPredictor
from predbench.utils.errors import ConfigError

CASES = [
    # channels, img_size, patch, widths, layer_norm
    pytest.param(1, (16, 16), 4, [8, 8], False, id='gray-p4-2layers'),
    pytest.param(1, (12, 16), 2, [8, 8, 8], False, id='gray-p2-nonsquare'),
    pytest.param(3, (16, 16), 2, [6, 6, 6, 6], False, id='rgb-p2-4layers'),
    pytest.param(3, (8, 12), 1, [6, 6, 6], True, id='rgb-p1-layernorm'),
]
INPUT, TOTAL = 3, 7


def _pair(channels, img_size, patch, widths, layer_norm, rss=False, seed=0):
    """The oracle (random weights, random LayerNorm affine) and predbench with its weights."""
    torch.manual_seed(seed)
    ref = RefPredRNNpp(widths, img_size, channels, patch, 3, layer_norm, INPUT, TOTAL,
                       reverse_scheduled_sampling=rss,
                       ghu_norm_channels='2n' if layer_norm else 'reference')
    with torch.no_grad():
        for name, param in ref.named_parameters():
            if re.search(r'\.1\.(weight|bias)$', name):  # LayerNorm affine, not the identity
                param.uniform_(0.5, 1.5) if name.endswith('weight') else param.uniform_(-.5, .5)
    ours = PredRNNpp(widths, img_size, img_channel=channels, patch_size=patch, filter_size=3,
                     layer_norm=layer_norm)
    ours.load_state_dict(strip_unused(ref.state_dict(), PredRNNpp), strict=True)
    return ref, ours


@pytest.mark.parametrize('channels,img_size,patch,widths,layer_norm', CASES)
@pytest.mark.parametrize('channels_last', [False, True])
def test_test_time_predictions_match_openstl(channels, img_size, patch, widths, layer_norm,
                                             channels_last):
    ref, ours = _pair(channels, img_size, patch, widths, layer_norm)
    if channels_last:
        ours.channels_last = True
        ours.to(memory_format=torch.channels_last)
    frames = np.random.default_rng(1).random((2, TOTAL, *img_size, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)  # [B, 4, H, W, C]

    model = VideoPredictor(backbone=ours, input_length=INPUT).eval()
    out = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='predict')
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('mode', ['scheduled', 'reverse'])
def test_training_loss_and_gradients_match_openstl(mode):
    """Same frames, same per-clip per-step flags: OpenSTL's full-size mask vs predbench's flags."""
    rss = mode == 'reverse'
    ref, ours = _pair(1, (16, 16), 4, [8, 8, 8], False, rss=rss)
    rng = np.random.default_rng(2)
    frames = rng.random((3, TOTAL, 16, 16, 1)).astype(np.float32)
    steps = TOTAL - 2 if rss else TOTAL - INPUT - 1
    flags = (rng.random((3, steps)) < 0.5).astype(np.float32)
    ref_loss = ref(torch.from_numpy(reshape_patch(frames, 4)),
                   torch.FloatTensor(full_size_mask(flags, 4, 4, 16)))[1]
    ref_loss.backward()

    model = VideoPredictor(backbone=ours, input_length=INPUT)
    losses = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss',
                   sampling_mask=torch.from_numpy(flags), sampling_mode=mode)
    assert set(losses) == {'loss_rec'}
    losses['loss_rec'].backward()
    assert losses['loss_rec'].item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_params[name].grad.numpy(),
                                   atol=1e-5, rtol=0, err_msg=name)


def test_reference_state_dict_maps_by_name_except_the_unused_conv_o():
    ref, ours = _pair(1, (16, 16), 4, [8, 8, 8], False)
    dropped = sorted(set(ref.state_dict()) - set(ours.state_dict()))
    assert dropped == [f'cell_list.{i}.conv_o.0.weight' for i in range(3)]
    assert all(any(re.match(p, k) for p in PredRNNpp.reference_unused_keys) for k in dropped)
    assert set(ours.state_dict()) <= set(ref.state_dict())
    # and the unused weights really are unused: the reference's gradient for them is None
    frames = torch.rand(1, TOTAL, 4, 4, 16)
    ref(frames, torch.zeros(1, TOTAL - INPUT - 1, 4, 4, 16))[1].backward()
    assert all(ref.get_parameter(k).grad is None for k in dropped)


def test_layer_norm_crashes_in_the_reference_and_normalises_2n_channels_in_predbench():
    torch.manual_seed(0)
    ref = RefPredRNNpp([4, 4], (8, 8), 1, 2, 3, True, INPUT, TOTAL)  # OpenSTL's GHU LayerNorm
    with pytest.raises(RuntimeError, match='normalized_shape'):
        ref(torch.rand(1, TOTAL, 4, 4, 4), torch.zeros(1, TOTAL - INPUT - 1, 4, 4, 4))
    ours = PredRNNpp([4, 4], (8, 8), patch_size=2, filter_size=3, layer_norm=True)
    assert ours.gradient_highway.z_concat[1].weight.shape == (8, 4, 4)  # 2N channels


@pytest.mark.parametrize('widths,message', [([8], 'at least 2 layers'),
                                            ([8, 16, 8], 'same width')])
def test_unsupported_widths_are_refused_in_one_line(widths, message):
    with pytest.raises(ConfigError, match=message) as err:
        PredRNNpp(widths, (16, 16), patch_size=4, filter_size=3)
    assert 'model.backbone.num_hidden' in str(err.value) and '\n' not in str(err.value)


def test_paper_equations_switch_changes_only_the_two_gates():
    """Paper mode with its extra g' kernel at zero = reference mode with its o_h kernel at zero."""
    torch.manual_seed(0)
    ref_mode = PredRNNpp([6, 6], (16, 16), patch_size=4, filter_size=3)
    paper = PredRNNpp([6, 6], (16, 16), patch_size=4, filter_size=3, paper_equations=True)
    state = ref_mode.state_dict()
    n = 6
    with torch.no_grad():
        for i in range(2):
            state[f'cell_list.{i}.conv_h.0.weight'][3 * n:] = 0  # no o_h in the reference
    paper_state = dict(state)
    for i in range(2):
        key = f'cell_list.{i}.conv_h.0.weight'
        paper_state[key] = state[key][:3 * n]
        paper_state[f'cell_list.{i}.conv_m.0.weight'] = torch.cat([
            state[f'cell_list.{i}.conv_m.0.weight'],
            torch.zeros(n, n, 3, 3)])  # no W_mg * m in g'
    ref_mode.load_state_dict(state)
    paper.load_state_dict(paper_state)
    clip = torch.rand(2, 6, 1, 16, 16)
    torch.testing.assert_close(paper(clip, None, 3)[0], ref_mode(clip, None, 3)[0])
    paper.load_state_dict(dict(paper_state, **{
        'cell_list.1.conv_m.0.weight': torch.randn(4 * n, n, 3, 3)}))
    assert not torch.allclose(paper(clip, None, 3)[0], ref_mode(clip, None, 3)[0])


def test_predict_gives_the_same_answer_on_every_call():
    _, ours = _pair(1, (16, 16), 4, [8, 8], False)
    model = VideoPredictor(backbone=ours, input_length=INPUT).eval()
    observed = torch.rand(2, INPUT, 1, 16, 16)
    first = predict(model, observed, 5)
    torch.testing.assert_close(predict(model, observed, 5), first, rtol=0, atol=0)
    assert first.shape == (2, 5, 1, 16, 16)
