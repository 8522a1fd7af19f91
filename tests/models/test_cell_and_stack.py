"""The ST-LSTM cell's equations, patching, the zigzag memory and the decoupling loss."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from predbench.models import PredRNN, PredRNNv2, SpatioTemporalLSTMCell, patchify, unpatchify
from predbench.utils.errors import ConfigError
from thuml_reference import reshape_patch


def _equations(cell, x, h, c, m):
    """The paper's equations written out with explicit per-gate kernels."""
    n = cell.num_hidden
    pad = cell.padding

    def conv(inp, w):
        return F.conv2d(inp, w, padding=pad)

    wx = cell.conv_x[0].weight
    wh = cell.conv_h[0].weight
    wm = cell.conv_m[0].weight
    gx = [conv(x, wx[k * n:(k + 1) * n]) for k in range(7)]
    gh = [conv(h, wh[k * n:(k + 1) * n]) for k in range(4)]
    gm = [conv(m, wm[k * n:(k + 1) * n]) for k in range(3)]
    i = torch.sigmoid(gx[0] + gh[0])
    f = torch.sigmoid(gx[1] + gh[1] + 1.0)
    g = torch.tanh(gx[2] + gh[2])
    c_new = f * c + i * g
    ip = torch.sigmoid(gx[3] + gm[0])
    fp = torch.sigmoid(gx[4] + gm[1] + 1.0)
    gp = torch.tanh(gx[5] + gm[2])
    m_new = fp * m + ip * gp
    mem = torch.cat([c_new, m_new], 1)
    o = torch.sigmoid(gx[6] + gh[3] + conv(mem, cell.conv_o[0].weight))
    h_new = o * torch.tanh(F.conv2d(mem, cell.conv_last.weight))
    return h_new, c_new, m_new, i * g, ip * gp


@pytest.mark.parametrize('fused', [False, True])
def test_cell_follows_the_equations(fused):
    torch.manual_seed(0)
    cell = SpatioTemporalLSTMCell(5, 6, 7, 9, filter_size=3)
    x, h, c, m = (torch.randn(2, k, 7, 9) for k in (5, 6, 6, 6))
    got = cell(x, h, c, m, cell.fused_gate_weights() if fused else None)
    want = _equations(cell, x, h, c, m)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_cell_shapes_of_the_original_layout():
    cell = SpatioTemporalLSTMCell(16, 8, 4, 4, filter_size=5, layer_norm=True)
    shapes = {k: tuple(v.shape) for k, v in cell.state_dict().items()}
    assert shapes['conv_x.0.weight'] == (56, 16, 5, 5)
    assert shapes['conv_h.0.weight'] == (32, 8, 5, 5)
    assert shapes['conv_m.0.weight'] == (24, 8, 5, 5)
    assert shapes['conv_o.0.weight'] == (8, 16, 5, 5)
    assert shapes['conv_x.1.weight'] == (56, 4, 4)
    assert shapes['conv_last.weight'] == (8, 16, 1, 1)
    assert cell.fused_gate_weights() is None  # LayerNorm separates the sums


def test_patch_channel_order_is_row_col_channel():
    b, t, c, h, w, p = 1, 1, 3, 4, 6, 2
    frames = torch.arange(b * t * c * h * w, dtype=torch.float32).reshape(b, t, c, h, w)
    patched = patchify(frames, p)
    assert patched.shape == (1, 1, c * p * p, h // p, w // p)
    for i in range(p):
        for j in range(p):
            for ch in range(c):
                # pixel at offset (i, j) of block (1, 2), channel ch
                assert patched[0, 0, (i * p + j) * c + ch, 1, 2] == frames[0, 0, ch, 2 + i, 4 + j]
    torch.testing.assert_close(unpatchify(patched, p), frames)
    # Same layout as the original numpy reshape_patch on [B, T, H, W, C].
    original = reshape_patch(frames.permute(0, 1, 3, 4, 2).numpy(), p)
    np.testing.assert_array_equal(patched.permute(0, 1, 3, 4, 2).numpy(), original)


def test_patching_rejects_indivisible_sizes():
    with pytest.raises(ConfigError, match='not divisible by model.backbone.patch_size=4'):
        patchify(torch.zeros(1, 1, 1, 10, 12), 4)
    with pytest.raises(ConfigError, match='patch_size'):
        PredRNN([8], img_size=(10, 12), patch_size=4)


def test_unequal_widths_are_a_config_error():
    with pytest.raises(ConfigError, match=r'num_hidden=\[8, 16\].*same width'):
        PredRNN([8, 16], img_size=16)


class _Recorder(torch.nn.Module):
    """Wraps a cell and records the memory it receives and returns at each call."""

    def __init__(self, cell, layer, log):
        super().__init__()
        self.cell, self.layer, self.log = cell, layer, log

    def forward(self, x, h, c, m, fused=None):
        out = self.cell(x, h, c, m, fused)
        self.log.append((self.layer, m.clone(), out[2].clone()))
        return out

    def fused_gate_weights(self):
        return self.cell.fused_gate_weights()


def test_memory_zigzags_up_the_layers_and_back_to_the_bottom():
    torch.manual_seed(0)
    model = PredRNN([4, 4, 4], img_size=8, patch_size=2, filter_size=3)
    log = []
    model.cell_list = torch.nn.ModuleList(
        [_Recorder(cell, i, log) for i, cell in enumerate(model.cell_list)])
    model(torch.rand(1, 4, 1, 8, 8), input_length=2)
    layers = [entry[0] for entry in log]
    assert layers == [0, 1, 2] * 3  # every step visits layers 0..L-1 in order
    assert torch.count_nonzero(log[0][1]) == 0  # M starts at zero
    for k in range(1, len(log)):
        # the memory each call receives is the one the previous call produced: within a step
        # from the layer below, across steps from the top layer to layer 0
        torch.testing.assert_close(log[k][1], log[k - 1][2])


def test_zigzag_matters_for_the_output():
    """A stack with per-layer memories (no zigzag) predicts something else."""
    torch.manual_seed(0)
    model = PredRNN([4, 4], img_size=8, patch_size=2, filter_size=3)
    clip = torch.rand(1, 4, 1, 8, 8)
    zigzag = model(clip, input_length=2)[0]

    def per_layer_memory(frames):
        truth = patchify(frames, 2)
        zeros = truth.new_zeros(1, 4, 4, 4)
        h, c, m = [zeros] * 2, [zeros] * 2, [zeros] * 2
        preds, x_gen = [], None
        for t in range(3):
            net = truth[:, t] if t < 2 else x_gen
            for i, cell in enumerate(model.cell_list):
                h[i], c[i], m[i], _, _ = cell(net if i == 0 else h[i - 1], h[i], c[i], m[i])
            x_gen = model.conv_last(h[-1])
            preds.append(x_gen)
        return unpatchify(torch.stack(preds, 1), 2)

    assert (zigzag - per_layer_memory(clip)).abs().max() > 1e-4


def test_decoupling_loss_on_a_known_case():
    model = PredRNNv2([2], img_size=2, patch_size=1, filter_size=1)
    with torch.no_grad():
        model.adapter.weight.copy_(torch.eye(2).reshape(2, 2, 1, 1))
    # channel 0: orthogonal (cos 0); channel 1: cos 45 degrees = 1/sqrt(2)
    dc = torch.tensor([[[[1., 0.], [0., 0.]], [[1., 1.], [0., 0.]]]])
    dm = torch.tensor([[[[0., 1.], [0., 0.]], [[1., 0.], [0., 0.]]]])
    # a second increment pair, anti-parallel in both channels (|cos| = 1)
    loss = model.decoupling_loss([(dc, dm), (dc, -dc)])
    expected = ((0 + 2 ** -0.5) / 2 + 1.0) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_v2_returns_a_weighted_decoupling_loss():
    torch.manual_seed(0)
    model = PredRNNv2([4, 4], img_size=8, patch_size=2, filter_size=3, decouple_beta=0.5)
    clip = torch.rand(2, 5, 1, 8, 8)
    pred, aux = model(clip, input_length=2)
    _, increments = model._rollout(clip, None, 2, keep_increments=True)
    assert aux['loss_decouple'].item() == pytest.approx(
        0.5 * model.decoupling_loss(increments).item(), rel=1e-6)
    dc, dm = model.increments(clip, 2)
    assert dc.shape == (4, 2, 2, 4, 4, 4) and dm.shape == dc.shape
