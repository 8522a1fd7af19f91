"""predbench's MIM computes what a freshly built OpenSTL MIM_Model computes, on every call.

The oracle is benchmarks/eager_mim.py, checked against OpenSTL's own code outside the project
(max differences 0 on predictions, loss and gradients). predbench differs from the oracle only in
the float rounding of its fused ST-LSTM gate convolutions (measured 3e-8), so all comparisons are
fp32 with tolerances 1e-5 (predictions, gradients) and 1e-6 (loss).
"""
import re

import numpy as np
import pytest
import torch

from openstl_reference import (RefMIM, full_size_mask, reference_test_predictions,
                               reshape_patch, strip_unused)
from predbench.analysis import model_complexity
from predbench.apis import predict
from predbench.models import MIM, VideoPredictor
from predbench.utils.errors import ConfigError

CASES = [
    # channels, img_size, patch, widths, layer_norm
    pytest.param(1, (16, 16), 4, [8, 8], False, id='gray-p4-2layers'),
    pytest.param(1, (12, 16), 2, [8, 8, 8], False, id='gray-p2-nonsquare'),
    pytest.param(3, (16, 16), 2, [6, 6, 6, 6], False, id='rgb-p2-4layers'),
    pytest.param(3, (8, 12), 1, [6, 6, 6], True, id='rgb-p1-layernorm'),
]
INPUT, TOTAL = 3, 7


def _oracle(channels, img_size, patch, widths, layer_norm, seed=0):
    """OpenSTL's model with random weights everywhere (its peephole weights start at zero)."""
    torch.manual_seed(seed)
    ref = RefMIM(widths, img_size, channels, patch, 3, layer_norm, INPUT, TOTAL)
    with torch.no_grad():
        for name, param in ref.named_parameters():
            if 'ct_weight' in name or 'oc_weight' in name or re.search(r'\.1\.bias$', name):
                param.uniform_(-0.5, 0.5)
            elif re.search(r'\.1\.weight$', name):
                param.uniform_(0.5, 1.5)
    return ref


def _ours(ref, channels, img_size, patch, widths, layer_norm, **options):
    ours = MIM(widths, img_size, img_channel=channels, patch_size=patch, filter_size=3,
               layer_norm=layer_norm, **options)
    ours.load_state_dict(strip_unused(ref.state_dict(), MIM), strict=True)
    return ours


@pytest.mark.parametrize('channels,img_size,patch,widths,layer_norm', CASES)
@pytest.mark.parametrize('fused,channels_last', [(True, False), (False, False), (True, True)])
def test_test_time_predictions_match_a_fresh_openstl_model(channels, img_size, patch, widths,
                                                           layer_norm, fused, channels_last):
    ref = _oracle(channels, img_size, patch, widths, layer_norm)
    ours = _ours(ref, channels, img_size, patch, widths, layer_norm, fused_gates=fused,
                 channels_last=channels_last)
    frames = np.random.default_rng(1).random((2, TOTAL, *img_size, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)

    model = VideoPredictor(backbone=ours, input_length=INPUT).eval()
    out = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='predict')
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('layer_norm', [False, True])
def test_training_loss_and_gradients_match_a_fresh_openstl_model(layer_norm):
    ref = _oracle(1, (16, 16), 4, [8, 8, 8], layer_norm)
    ours = _ours(ref, 1, (16, 16), 4, [8, 8, 8], layer_norm)
    rng = np.random.default_rng(2)
    frames = rng.random((3, TOTAL, 16, 16, 1)).astype(np.float32)
    flags = (rng.random((3, TOTAL - INPUT - 1)) < 0.5).astype(np.float32)
    ref_loss = ref(torch.from_numpy(reshape_patch(frames, 4)),
                   torch.FloatTensor(full_size_mask(flags, 4, 4, 16)))[1]
    ref_loss.backward()

    losses = VideoPredictor(backbone=ours, input_length=INPUT)(
        torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss',
        sampling_mask=torch.from_numpy(flags), sampling_mode='scheduled')
    losses['loss_rec'].backward()
    assert losses['loss_rec'].item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_params[name].grad.numpy(),
                                   atol=1e-5, rtol=0, err_msg=name)


def test_every_clip_starts_from_zero_state_unlike_openstl():
    """OpenSTL carries MIM-S's memory into the next call (and its FLOP count into the first
    batch); predbench gives the fresh model's answer on every call, also after get_flops."""
    ref = _oracle(1, (16, 16), 4, [8, 8, 8], False)
    fresh = _oracle(1, (16, 16), 4, [8, 8, 8], False)
    frames = np.random.default_rng(3).random((2, TOTAL, 16, 16, 1)).astype(np.float32)
    first = reference_test_predictions(ref, frames, 4)
    second = reference_test_predictions(ref, frames, 4)
    # the reference's bug, well above the 1e-5 tolerance of the comparisons
    assert np.abs(second - first).max() > 1e-4
    ref.reset_memory()
    dummy = np.ones((1, TOTAL, 16, 16, 1), np.float32)  # OpenSTL's FLOP-count pass
    reference_test_predictions(ref, dummy, 4)
    assert np.abs(reference_test_predictions(ref, frames, 4) - first).max() > 1e-4

    model = VideoPredictor(backbone=_ours(fresh, 1, (16, 16), 4, [8, 8, 8], False),
                           input_length=INPUT).eval()
    model_complexity(model, (TOTAL, 1, 16, 16))  # predbench's FLOP count
    observed = torch.from_numpy(frames).permute(0, 1, 4, 2, 3)[:, :INPUT]
    calls = [predict(model, observed, TOTAL - INPUT) for _ in range(2)]
    torch.testing.assert_close(calls[1], calls[0], rtol=0, atol=0)
    np.testing.assert_allclose(calls[0].permute(0, 1, 3, 4, 2).numpy(), first, atol=1e-5, rtol=0)
    # batches of any size (OpenSTL asserts batch_size == val_batch_size)
    assert predict(model, observed[:1], 2).shape == (1, 2, 1, 16, 16)


def test_full_backpropagation_through_the_mims_memory_is_a_switch():
    """detach_mims_state=False: same forward, gradients that also flow through S over time."""
    ref = _oracle(1, (16, 16), 4, [8, 8], False)
    clip = torch.rand(2, TOTAL, 1, 16, 16)
    grads, losses = {}, {}
    for detach in (True, False):
        model = VideoPredictor(backbone=_ours(ref, 1, (16, 16), 4, [8, 8], False,
                                              detach_mims_state=detach), input_length=INPUT)
        loss = model(clip, mode='loss')['loss_rec']
        loss.backward()
        losses[detach] = loss.item()
        grads[detach] = model.backbone.stlstm_layer[1].ct_weight.grad.clone()
    assert losses[True] == losses[False]
    assert (grads[True] - grads[False]).abs().max() > 0.1 * grads[True].abs().max()


def test_reference_state_dict_maps_by_name_except_the_unused_mimn_conv_last():
    ref = _oracle(1, (16, 16), 4, [8, 8, 8], False)
    ours = _ours(ref, 1, (16, 16), 4, [8, 8, 8], False)
    dropped = sorted(set(ref.state_dict()) - set(ours.state_dict()))
    assert dropped == [f'stlstm_layer_diff.{i}.conv_last.weight' for i in range(2)]
    assert set(ours.state_dict()) <= set(ref.state_dict())
    ref(torch.rand(1, TOTAL, 4, 4, 16), torch.zeros(1, TOTAL - INPUT - 1, 4, 4, 16))[1].backward()
    assert all(ref.get_parameter(k).grad is None for k in dropped)


def test_unequal_widths_are_refused_in_one_line():
    with pytest.raises(ConfigError, match='same width') as err:
        MIM([8, 16, 8], (16, 16), patch_size=4, filter_size=3)
    assert 'model.backbone.num_hidden' in str(err.value) and '\n' not in str(err.value)


def test_paper_equations_switch_changes_only_the_block_gates():
    """Paper mode with duplicated input kernels and no conv_o = reference mode without o_s."""
    torch.manual_seed(0)
    n = 6
    ref_mode = MIM([n, n, n], (16, 16), patch_size=4, filter_size=3)
    paper = MIM([n, n, n], (16, 16), patch_size=4, filter_size=3, paper_equations=True)
    state = ref_mode.state_dict()
    paper_state = dict(state)
    for i in (1, 2):
        key = f'stlstm_layer.{i}.'
        w_s = state[key + 'conv_s_cc.0.weight']
        w_s[3 * n:] = 0  # reference without the o gate's m term
        i_x, g_x, f_x, o_x = state[key + 'conv_x_cc.0.weight'].split(n)
        paper_state[key + 'conv_s_cc.0.weight'] = w_s[:3 * n]
        paper_state[key + 'conv_x_cc.0.weight'] = torch.cat([i_x, g_x, i_x, g_x, f_x, o_x])
        paper_state[key + 'conv_o.0.weight'] = torch.zeros(n, 2 * n, 3, 3)
    ref_mode.load_state_dict(state)
    paper.load_state_dict(paper_state)
    clip = torch.rand(2, 6, 1, 16, 16)
    torch.testing.assert_close(paper(clip, None, 3)[0], ref_mode(clip, None, 3)[0])
    paper.stlstm_layer[2].conv_o[0].weight.data.normal_()
    assert not torch.allclose(paper(clip, None, 3)[0], ref_mode(clip, None, 3)[0])
