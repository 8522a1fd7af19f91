"""predbench's E3D-LSTM computes what OpenSTL's E3D-LSTM computes (and the paper's, when asked).

The oracle is benchmarks/eager_e3dlstm.py, a plain re-statement of OpenSTL's model and test /
training steps (checked against OpenSTL's own code: identical outputs, losses and gradients).
"""
import numpy as np
import pytest
import torch

from benchmarks.eager_e3dlstm import (RefE3DLSTM, reference_test_predictions,
                                      reference_training_loss)
import torch.nn.functional as F

from predbench.models import E3DLSTM, VideoPredictor
from predbench.models.e3dlstm import WindowConv3d
from predbench.utils.errors import ConfigError

PAPER = ('paper_attention', 'paper_memory', 'paper_output_gate')

CASES = [
    # num_hidden, channels, img_size, patch, stride, layer_norm, switches
    pytest.param([8, 8], 1, (16, 16), 4, 1, False, (), id='gray-p4'),
    pytest.param([8, 8, 8], 3, (12, 16), 2, 1, False, (), id='rgb-nonsquare-3layers'),
    pytest.param([8, 8], 1, (16, 16), 4, 2, False, (), id='stride2'),
    pytest.param([8, 8], 1, (16, 16), 4, 1, True, (), id='layer-norm'),
    pytest.param([6, 6], 3, (20, 12), 2, 2, True, (), id='rgb-ln-stride2'),
    pytest.param([8, 8], 1, (16, 16), 4, 1, False, PAPER, id='paper'),
    pytest.param([8, 8], 3, (12, 16), 2, 1, True, ('paper_memory', ), id='paper-memory-ln'),
    pytest.param([8, 8], 1, (16, 16), 4, 1, False, ('paper_attention', ), id='paper-attention'),
]


def _pair(num_hidden, channels, img_size, patch, stride, layer_norm, switches=(),
          input_length=3, total=7, fused_attention=True, seed=0):
    torch.manual_seed(seed)
    flags = {name: name in switches for name in PAPER}
    ref = RefE3DLSTM(num_hidden, img_size, channels, patch, stride, layer_norm, input_length,
                     total, **flags)
    with torch.no_grad():  # LayerNorm affine parameters away from their initial 1 and 0
        for name, param in ref.named_parameters():
            if 'norm' in name or '.1.' in name:
                param.add_(0.1 * torch.randn_like(param))
    ours = E3DLSTM(num_hidden, img_size, img_channel=channels, patch_size=patch, filter_size=5,
                   stride=stride, layer_norm=layer_norm, fused_attention=fused_attention,
                   **flags)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


@pytest.mark.parametrize('num_hidden,channels,img_size,patch,stride,layer_norm,switches', CASES)
@pytest.mark.parametrize('fused_attention', [True, False])
def test_test_time_predictions_match_openstl(num_hidden, channels, img_size, patch, stride,
                                             layer_norm, switches, fused_attention):
    ref, ours = _pair(num_hidden, channels, img_size, patch, stride, layer_norm, switches,
                      fused_attention=fused_attention)
    frames = np.random.default_rng(1).random((2, 7, *img_size, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)
    model = VideoPredictor(backbone=ours, input_length=3).eval()
    out = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='predict')
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('switches,layer_norm,stride', [((), False, 1), ((), True, 2),
                                                         (PAPER, True, 1)])
def test_training_loss_and_gradients_match_openstl(switches, layer_norm, stride):
    """OpenSTL's training step: scheduled sampling flags over the T - input - 1 decoder steps,
    the loss MSE + L1 (predbench: ``loss_rec`` + ``loss_l1``)."""
    ref, ours = _pair([8, 8], 1, (16, 16), 4, stride, layer_norm, switches)
    rng = np.random.default_rng(2)
    frames = rng.random((3, 7, 16, 16, 1)).astype(np.float32)
    flags = (rng.random((3, 7 - 3 - 1)) < 0.5).astype(np.float32)
    ref_loss = reference_training_loss(ref, frames, 4, flags)
    ref_loss.backward()

    model = VideoPredictor(backbone=ours, input_length=3)
    losses = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss',
                   sampling_mask=torch.from_numpy(flags), sampling_mode='scheduled')
    assert set(losses) == {'loss_rec', 'loss_l1'}
    total = sum(losses.values())
    total.backward()
    assert total.item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_grads = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_grads[name].grad.numpy(),
                                   atol=1e-5, rtol=1e-4, err_msg=name)


@pytest.mark.parametrize('window,kernel,stride,steps', [
    (2, 5, 1, 2), (2, 5, 2, 2), (3, 3, 1, 3), (2, 5, 1, 1), (1, 1, 1, 2), (1, 1, 2, 1),
    (2, 4, 3, 2)])
def test_window_convolution_is_openstls_conv3d_resized_back(window, kernel, stride, steps):
    """OpenSTL's tf_Conv3d: Conv3d, then nearest resizing to the input's [T, H, W]. An input of
    one step stands for the same frame at every step of the window."""
    conv = WindowConv3d(3, 4, window, kernel, stride)
    x = torch.rand(2, 3, steps, 9, 7)
    full = x.expand(2, 3, window, 9, 7) if steps == 1 and window > 1 else x
    expected = F.interpolate(conv.conv3d(full), size=full.shape[-3:], mode='nearest')
    got = conv(x)
    torch.testing.assert_close(got.expand_as(expected), expected, atol=1e-6, rtol=1e-5)


def test_state_dict_keys_are_openstls():
    ref, ours = _pair([8, 8], 1, (16, 16), 4, 1, True)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert ours.state_dict()['cell_list.0.conv_x.0.conv3d.weight'].shape == (56, 16, 2, 5, 5)
    assert E3DLSTM.reference_unused_keys == ()


def test_openstl_memory_is_always_zero_and_the_paper_memory_flows():
    """OpenSTL's cell hands on the memory it was given (zero); the paper's hands on M'."""
    _, ours = _pair([8, 8], 1, (16, 16), 4, 1, False)
    cell = ours.cell_list[0]
    x = torch.rand(2, 16, 2, 4, 4)
    h, c = torch.rand(2, 8, 2, 4, 4), torch.rand(2, 8, 2, 4, 4)
    history = cell.rows(torch.rand(2, 8, 2, 4, 4))
    _, _, handed_on = cell(x, h, c, None, history)
    assert handed_on is None  # predbench's "zero memory, not convolved"
    cell.paper_memory = True
    memory = torch.rand(2, 8, 2, 4, 4)
    _, _, m_new = cell(x, h, c, memory, history)
    assert m_new.shape == (2, 8, 2, 4, 4) and not torch.allclose(m_new, memory)


def test_openstl_attention_rows_mix_channels_and_positions():
    """OpenSTL reads [B, N, w, H, W] as rows of N consecutive values: row 0 holds channel 0's
    first N positions; the paper's row 0 holds the N channels of position 0."""
    _, ours = _pair([4, 4], 1, (8, 8), 4, 1, False)
    cell = ours.cell_list[0]
    x = torch.arange(4 * 2 * 2 * 2, dtype=torch.float32).reshape(1, 4, 2, 2, 2)
    torch.testing.assert_close(cell.rows(x)[0, 0], x[0, 0].flatten()[:4])
    cell.paper_attention = True
    torch.testing.assert_close(cell.rows(x)[0, 0], x[0, :, 0, 0, 0])


def test_filter_size_and_window_length_are_honoured():
    ours = E3DLSTM([4, 4], 16, patch_size=4, filter_size=3, window_length=3)
    assert ours.cell_list[0].conv_h[0].conv3d.weight.shape == (16, 4, 3, 3, 3)
    assert ours.conv_last.weight.shape == (16, 4, 3, 1, 1)
    pred, aux = ours(torch.rand(2, 5, 1, 16, 16), None, 2, with_aux=True)
    assert pred.shape == (2, 4, 1, 16, 16) and set(aux) == {'loss_l1'}


@pytest.mark.parametrize('kwargs,option', [
    (dict(num_hidden=[8, 4]), 'num_hidden'),
    (dict(window_length=0), 'window_length'),
    (dict(stride=0), 'stride'),
    (dict(patch_size=3), 'patch_size'),
])
def test_invalid_settings_are_refused_in_one_line(kwargs, option):
    args = dict(num_hidden=[8, 8], img_size=16, patch_size=4)
    args.update(kwargs)
    with pytest.raises(ConfigError, match=option) as info:
        E3DLSTM(**args)
    assert '\n' not in str(info.value)
