"""MIM, Memory In Memory (Wang et al., CVPR 2019): an ST-LSTM layer, then MIM blocks.

Structure, as OpenSTL's ``MIM_Model`` (a port of the authors' TensorFlow release) computes it:
layer 0 is PredRNN's ST-LSTM cell on the patched frame; layer k >= 1 is a MIM block reading
``h^{k-1}``. Between layers k-1 and k sits a MIM-N module (``stlstm_layer_diff.{k-1}``) that
turns the differential signal into D^k: the first reads ``h^0_t - h^0_{t-1}``, the next ones the
D of the module below; at step 0 there is no difference yet and D is zero. The spatiotemporal
memory M zigzags through all layers like PredRNN's. The next frame is a 1x1 convolution of the
top hidden state.

MIM block (``*`` convolution, ``.`` elementwise, LN optional after each convolution):
    i, g, o from W_x*x, W_h*h (i, g, o), W_m*m (i', g', f', o): shared x terms i_x, g_x:
        i = sig(i_x + i_h)    g = tanh(g_x + g_h)
        i' = sig(i_x + i_m)   g' = tanh(g_x + g_m)   f' = sig(f_x + f_m + 1)
        o = sig(o_x + o_h + o_m)
    m' = f' m + i' g'
    (T, S') = MIM-S(D, c, S)          -- the MIM-S memory S replaces the forget gate
    c' = T + i g
    h' = o tanh(W_1x1 * [c', m'])
MIM-N and MIM-S are the authors' peephole ConvLSTMs: for input u, hidden state v, cell s,
    i, f = sig(W_u*u + W_v*v + w_c . s (+1 for f)),   g = W_u*u + W_v*v
    s' = f s + i tanh(g),   v' = sig(W_u*u + W_v*v + w_o . s') tanh(s')
(MIM-N: u = differential signal, v = D, s = N; MIM-S: u = D, v = the block's c, s = S).

Reference bugs and what predbench does:
- OpenSTL keeps MIM-S's memory S on the module (``MIMBlock.convlstm_c``) from one call to the
  next, so a clip starts from the previous batch's state (a second call on the same frames
  differs, its FLOP-count pass leaks into the first real batch, and batches must all have one
  size). predbench starts every clip from zero state: each call gives what a freshly built
  OpenSTL model gives.
- OpenSTL detaches S at every step (needed once S outlives the call). Gradients therefore do not
  flow through S from step to step; ``detach_mims_state=True`` (default) keeps that so OpenSTL's
  training numbers carry over; False backpropagates through S as the authors' release does.
- The paper's block uses separate input weights for the (i, g) and (i', g', f') gates and an
  output gate reading the new c' and m' (like PredRNN's ST-LSTM); the reference shares i_x, g_x
  and reads the old m. ``paper_equations=True`` computes the paper's block (conv_x_cc has 6N
  outputs, conv_s_cc 3N, plus a ``conv_o`` over [c', m']); MIM-N and MIM-S stay as above.

Checkpoints: parameter names are those of OpenSTL's ``MIM_Model`` state dict
(``stlstm_layer.{i}...``, ``stlstm_layer_diff.{i}...``), so an OpenSTL state dict maps onto
predbench's by prefixing ``backbone.``. OpenSTL's ``MIMN.conv_last`` is created but never used by
its forward; predbench does not create it (an unused parameter breaks DDP).
:attr:`MIM.reference_unused_keys` lists such keys as regexes over backbone-level keys: a
checkpoint loader drops the matching keys of a reference state dict and names them in a note.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from .backbone_args import (check_clip, check_compile_mode, check_conv_geometry, equal_widths,
                            frame_size)
from .cells import SpatioTemporalLSTMCell, _conv_block
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, Dict[str, torch.Tensor]]
FORGET_BIAS = 1.0


def peephole_convlstm_step(conv_x: nn.Module, conv_h: nn.Module, ct_weight: torch.Tensor,
                           oc_weight: torch.Tensor, x: torch.Tensor, h: torch.Tensor,
                           c: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """One step of the authors' peephole ConvLSTM (MIM-N and MIM-S): returns (h', c')."""
    n = oc_weight.shape[0]
    i_h, g_h, f_h, o_h = torch.split(conv_h(h), n, dim=1)
    i_x, g_x, f_x, o_x = torch.split(conv_x(x), n, dim=1)
    i = torch.sigmoid(i_h + c * ct_weight[:n] + i_x)
    f = torch.sigmoid(f_h + c * ct_weight[n:] + f_x + FORGET_BIAS)
    c_new = f * c + i * torch.tanh(g_h + g_x)
    h_new = torch.sigmoid(o_h + o_x + c_new * oc_weight) * torch.tanh(c_new)
    return h_new, c_new


class MIMN(nn.Module):
    """The non-stationary module MIM-N: ``forward(x, h, c)`` returns (D', N')."""

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, stride: int = 1, layer_norm: bool = False) -> None:
        super().__init__()
        shape = (height, width)
        self.ct_weight = nn.Parameter(torch.zeros(2 * num_hidden, height, width))
        self.oc_weight = nn.Parameter(torch.zeros(num_hidden, height, width))
        self.conv_h_concat = _conv_block(num_hidden, 4 * num_hidden, filter_size, stride,
                                         layer_norm, shape)
        self.conv_x_concat = _conv_block(in_channels, 4 * num_hidden, filter_size, stride,
                                         layer_norm, shape)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        return peephole_convlstm_step(self.conv_x_concat, self.conv_h_concat, self.ct_weight,
                                      self.oc_weight, x, h, c)


class MIMBlock(nn.Module):
    """One MIM block with its MIM-S module; ``forward(x, d, h, c, m, s)`` -> (h', c', m', s').

    ``d`` is the D of the MIM-N below, ``s`` the MIM-S memory; the caller keeps all states, so
    nothing survives from one clip to the next.

    Args:
        in_channels: channels of x (the hidden state of the layer below).
        num_hidden: N, channels of h, c, m, d and s.
        height, width: size of the states (frame size / patch size).
        filter_size, stride, layer_norm: of the gate convolutions.
        paper_equations: the paper's gates (see the module docstring).
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, stride: int = 1, layer_norm: bool = False,
                 paper_equations: bool = False) -> None:
        super().__init__()
        self.num_hidden = n = num_hidden
        self.paper_equations = bool(paper_equations)
        shape = (height, width)

        def block(cin: int, cout: int) -> nn.Sequential:
            return _conv_block(cin, cout, filter_size, stride, layer_norm, shape)

        self.ct_weight = nn.Parameter(torch.zeros(2 * n, height, width))
        self.oc_weight = nn.Parameter(torch.zeros(n, height, width))
        self.conv_t_cc = block(n, 3 * n)  # from h: i, g, o
        if paper_equations:
            self.conv_s_cc = block(n, 3 * n)  # from m: i', g', f'
            self.conv_x_cc = block(in_channels, 6 * n)  # i, g, i', g', f', o
        else:
            self.conv_s_cc = block(n, 4 * n)  # from m: i', g', f', o
            self.conv_x_cc = block(in_channels, 4 * n)  # shared by i and i', g and g': i, g, f', o
        self.conv_h_concat = block(n, 4 * n)  # MIM-S, from the block's c
        self.conv_x_concat = block(n, 4 * n)  # MIM-S, from D
        if paper_equations:
            self.conv_o = block(2 * n, n)
        self.conv_last = nn.Conv2d(2 * n, n, kernel_size=1, stride=1, padding=0, bias=False)

    def forward(self, x: torch.Tensor, d: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
                m: torch.Tensor, s: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """One step: (h', c', m', s')."""
        n = self.num_hidden
        i_t, g_t, o_t = torch.split(self.conv_t_cc(h), n, dim=1)
        if self.paper_equations:
            i_s, g_s, f_s = torch.split(self.conv_s_cc(m), n, dim=1)
            i_x, g_x, i_xp, g_xp, f_x, o_x = torch.split(self.conv_x_cc(x), n, dim=1)
            o = o_x + o_t
        else:
            i_s, g_s, f_s, o_s = torch.split(self.conv_s_cc(m), n, dim=1)
            i_x, g_x, f_x, o_x = torch.split(self.conv_x_cc(x), n, dim=1)
            i_xp, g_xp = i_x, g_x
            o = torch.sigmoid(o_x + o_t + o_s)
        i = torch.sigmoid(i_x + i_t)
        i_p = torch.sigmoid(i_xp + i_s)
        g = torch.tanh(g_x + g_t)
        g_p = torch.tanh(g_xp + g_s)
        f_p = torch.sigmoid(f_x + f_s + FORGET_BIAS)
        m_new = f_p * m + i_p * g_p
        stationary, s_new = peephole_convlstm_step(self.conv_x_concat, self.conv_h_concat,
                                                   self.ct_weight, self.oc_weight, d, c, s)
        c_new = stationary + i * g
        mem = torch.cat([c_new, m_new], dim=1)
        if self.paper_equations:
            o = torch.sigmoid(o + self.conv_o(mem))
        h_new = o * torch.tanh(self.conv_last(mem))
        return h_new, c_new, m_new, s_new


@MODELS.register_module()
class MIM(nn.Module):
    """MIM backbone (Wang et al., CVPR 2019), exact to a freshly built OpenSTL ``MIM_Model``.

    Args:
        num_hidden: widths of the layers, all equal (M passes through every layer and the MIM
            blocks mix the widths of neighbours), e.g. [128, 128, 128, 128].
        img_size: frame size (H, W) in pixels.
        img_channel: channels of a frame (1 grayscale, 3 RGB).
        patch_size: space-to-depth factor p applied to frames before the cells.
        filter_size: kernel size of all convolutions but the 1x1 ones (odd).
        stride: convolution stride; must be 1.
        layer_norm: LayerNorm after each convolution (OpenSTL's configs use 0).
        paper_equations: the MIM block of the paper instead of the reference's (see the module
            docstring); parameter shapes differ, so reference checkpoints do not load.
        detach_mims_state: cut the gradient through the MIM-S memory between steps, as OpenSTL
            does (default); False: full backpropagation through time, as the authors' release.
        fused_gates: the faster two-convolution path of the ST-LSTM layer (same values up to
            float rounding).
        channels_last: run the convolutions in channels-last memory format.
        compile_mode: ``torch.compile`` each layer's step with this mode; None: eager.
    """

    #: Keys of a reference (OpenSTL) state dict that predbench does not create (never used).
    reference_unused_keys = (r'^stlstm_layer_diff\.\d+\.conv_last\.',)

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 4, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = False, paper_equations: bool = False,
                 detach_mims_state: bool = True, fused_gates: bool = True,
                 channels_last: bool = False, compile_mode: Optional[str] = None) -> None:
        super().__init__()
        self.num_hidden = equal_widths(
            num_hidden, 'MIM', 'its spatiotemporal memory passes through every layer and the '
            'differential signals pass from each layer to the next')
        self.num_layers = len(self.num_hidden)
        self.img_size = frame_size(img_size)
        self.img_channel = int(img_channel)
        self.patch_size = int(patch_size)
        self.filter_size = int(filter_size)
        check_conv_geometry(self.filter_size, stride)
        check_patchable(*self.img_size, self.patch_size)
        self.stride = 1
        self.layer_norm = bool(layer_norm)
        self.paper_equations = bool(paper_equations)
        self.detach_mims_state = bool(detach_mims_state)
        self.fused_gates = bool(fused_gates)
        self.channels_last = bool(channels_last)
        self.compile_mode = check_compile_mode(compile_mode)
        self._compiled_steps: Optional[list] = None
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        height, width = (s // self.patch_size for s in self.img_size)
        n, k, ln = self.num_hidden[0], self.filter_size, self.layer_norm
        self.stlstm_layer = nn.ModuleList(
            [SpatioTemporalLSTMCell(self.frame_channel, n, height, width, k, 1, ln)] +
            [MIMBlock(n, n, height, width, k, 1, ln, self.paper_equations)
             for _ in range(1, self.num_layers)])
        self.stlstm_layer_diff = nn.ModuleList(
            [MIMN(n, n, height, width, k, 1, ln) for _ in range(1, self.num_layers)])
        self.conv_last = nn.Conv2d(n, self.frame_channel, kernel_size=1, stride=1, padding=0,
                                   bias=False)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def _steps(self) -> Tuple[list, list]:
        """(layer steps, MIM-N steps): the modules, or their compiled versions when asked."""
        layers, diffs = list(self.stlstm_layer), list(self.stlstm_layer_diff)
        if self.compile_mode is None:
            return layers, diffs
        if self._compiled_steps is None:
            self._compiled_steps = [torch.compile(m, mode=self.compile_mode, dynamic=False)
                                    for m in layers + diffs]
        return self._compiled_steps[:len(layers)], self._compiled_steps[len(layers):]

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        """Predict frames 1..T-1 of ``frames`` [B, T, c, H, W]; returns (predictions, {})."""
        check_clip(frames, self.img_channel, self.img_size)
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        zeros = truth.new_zeros(batch, self.num_hidden[0], *truth.shape[-2:]).contiguous(
            memory_format=memory_format)
        layers = self.num_layers
        h, c = [zeros] * layers, [zeros] * layers
        stationary = [zeros] * layers  # MIM-S memory of each block (entry 0 unused)
        diff_h, diff_c = [zeros] * (layers - 1), [zeros] * (layers - 1)
        memory = zeros
        cells, diffs = self._steps()
        st_lstm = self.stlstm_layer[0]
        fused = st_lstm.fused_gate_weights() if self.fused_gates else None

        predictions, x_gen = [], None
        for t in range(total - 1):
            net = input_at_step(t, truth, x_gen, true_flags, input_length)
            if self.channels_last:
                net = net.contiguous(memory_format=torch.channels_last)
            previous_h0 = h[0]
            h[0], c[0], memory, _, _ = cells[0](net, h[0], c[0], memory, fused)
            for i in range(1, layers):
                if t > 0:  # at step 0 there is no difference yet: D stays zero
                    signal = h[0] - previous_h0 if i == 1 else diff_h[i - 2]
                    diff_h[i - 1], diff_c[i - 1] = diffs[i - 1](signal, diff_h[i - 1],
                                                                diff_c[i - 1])
                s = stationary[i].detach() if self.detach_mims_state else stationary[i]
                h[i], c[i], memory, stationary[i] = cells[i](h[i - 1], diff_h[i - 1], h[i], c[i],
                                                             memory, s)
            x_gen = self.conv_last(h[-1])
            predictions.append(x_gen)
        return unpatchify(torch.stack(predictions, dim=1), self.patch_size), {}
