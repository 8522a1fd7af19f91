"""The spatiotemporal LSTM (ST-LSTM) cell of PredRNN and PredRNN-V2.

Parameters keep the original release's names and layout (``conv_x.0.weight``,
``conv_x.1.weight`` for the optional LayerNorm, ...) so its checkpoints load unchanged.

Equations (``*`` is a convolution, LN optional):
    i  = sigmoid(i_x + i_h)        f  = sigmoid(f_x + f_h + 1)     g  = tanh(g_x + g_h)
    c' = f * c + i * g             (delta_c = i * g)
    i' = sigmoid(i'_x + i_m)       f' = sigmoid(f'_x + f_m + 1)    g' = tanh(g'_x + g_m)
    m' = f' * m + i' * g'          (delta_m = i' * g')
    o  = sigmoid(o_x + o_h + conv_o([c', m']))
    h' = o * tanh(conv_last([c', m']))
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import MODELS

FORGET_BIAS = 1.0


class FusedGateWeights(NamedTuple):
    """Convolution kernels that compute the summed gate pre-activations in two convolutions.

    ``xh`` acts on concat(x, h) and yields (i, f, g, o); ``xm`` acts on concat(x, m) and yields
    (i', f', g'). They are views of the cell's own parameters (gradients flow back to them), so
    the cell computes the same sums as three separate convolutions, with fewer, larger kernels.
    """
    xh: torch.Tensor
    xm: torch.Tensor


def _conv_block(in_channels: int, out_channels: int, filter_size: int, stride: int,
                layer_norm: bool, norm_shape: Sequence[int], bias: bool = False) -> nn.Sequential:
    """Conv optionally followed by LayerNorm over [channels, H, W], as in the original."""
    layers = [
        nn.Conv2d(in_channels, out_channels, kernel_size=filter_size, stride=stride,
                  padding=filter_size // 2, bias=bias)
    ]
    if layer_norm:
        layers.append(nn.LayerNorm([out_channels, *norm_shape]))
    return nn.Sequential(*layers)


@MODELS.register_module()
class SpatioTemporalLSTMCell(nn.Module):
    """One ST-LSTM cell; returns (h', c', m', delta_c, delta_m).

    Args:
        in_channels: channels of the input x (patched frame channels for layer 0, else N).
        num_hidden: N, channels of h, c and m.
        height, width: spatial size of the states (frame size / patch size).
        filter_size: kernel size of the four gate convolutions.
        stride: convolution stride (1: the recurrence needs states of constant size).
        layer_norm: LayerNorm over [channels, H, W] after each of the four convolutions.
        bias: convolutions with a bias (the original's action-conditioned cells have one; its
            PredRNN/PredRNN-V2 cells do not).
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, stride: int = 1, layer_norm: bool = False,
                 bias: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_hidden = num_hidden
        self.layer_norm = bool(layer_norm)
        self.conv_bias = bool(bias)
        self.padding = filter_size // 2
        self.stride = stride
        n, shape = num_hidden, (height, width)
        block = dict(filter_size=filter_size, stride=stride, layer_norm=layer_norm,
                     norm_shape=shape, bias=bias)
        self.conv_x = _conv_block(in_channels, 7 * n, **block)
        self.conv_h = _conv_block(n, 4 * n, **block)
        self.conv_m = _conv_block(n, 3 * n, **block)
        self.conv_o = _conv_block(2 * n, n, **block)
        self.conv_last = nn.Conv2d(2 * n, n, kernel_size=1, stride=1, padding=0, bias=bias)

    def fused_gate_weights(self) -> Optional[FusedGateWeights]:
        """Kernels for the two-convolution path; None when LayerNorm (or a bias) separates the
        sums."""
        if self.layer_norm or self.conv_bias:
            return None
        n = self.num_hidden
        w_x = self.conv_x[0].weight  # rows: i, f, g, i', f', g', o (N each)
        w_x_hgates = torch.cat([w_x[:3 * n], w_x[6 * n:]], dim=0)  # i, f, g, o
        w_x_mgates = w_x[3 * n:6 * n]  # i', f', g'
        xh = torch.cat([w_x_hgates, self.conv_h[0].weight], dim=1)
        xm = torch.cat([w_x_mgates, self.conv_m[0].weight], dim=1)
        return FusedGateWeights(xh, xm)

    def _gate_preactivations(self, x: torch.Tensor, h: torch.Tensor, m: torch.Tensor,
                             fused: Optional[FusedGateWeights]) -> Tuple[torch.Tensor, ...]:
        """(i, f, g, o, i', f', g') before the nonlinearities, without the forget bias."""
        if fused is None:
            i_x, f_x, g_x, i_xp, f_xp, g_xp, o_x = torch.split(
                self.conv_x(x), self.num_hidden, dim=1)
            i_h, f_h, g_h, o_h = torch.split(self.conv_h(h), self.num_hidden, dim=1)
            i_m, f_m, g_m = torch.split(self.conv_m(m), self.num_hidden, dim=1)
            return (i_x + i_h, f_x + f_h, g_x + g_h, o_x + o_h,
                    i_xp + i_m, f_xp + f_m, g_xp + g_m)
        conv = dict(stride=self.stride, padding=self.padding)
        hgates = F.conv2d(torch.cat([x, h], dim=1), fused.xh, **conv)
        mgates = F.conv2d(torch.cat([x, m], dim=1), fused.xm, **conv)
        return (*torch.split(hgates, self.num_hidden, dim=1),
                *torch.split(mgates, self.num_hidden, dim=1))

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, m: torch.Tensor,
                fused: Optional[FusedGateWeights] = None) -> Tuple[torch.Tensor, ...]:
        """One step. ``fused`` (from :meth:`fused_gate_weights`) selects the faster path."""
        return self._update(self._gate_preactivations(x, h, m, fused), c, m)

    def _update(self, preactivations: Tuple[torch.Tensor, ...], c: torch.Tensor,
                m: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The gates and the new states from (i, f, g, o, i', f', g') before the nonlinearities."""
        i, f, g, o, i_p, f_p, g_p = preactivations
        i = torch.sigmoid(i)
        f = torch.sigmoid(f + FORGET_BIAS)
        g = torch.tanh(g)
        delta_c = i * g
        c_new = f * c + delta_c

        i_p = torch.sigmoid(i_p)
        f_p = torch.sigmoid(f_p + FORGET_BIAS)
        g_p = torch.tanh(g_p)
        delta_m = i_p * g_p
        m_new = f_p * m + delta_m

        mem = torch.cat([c_new, m_new], dim=1)
        o = torch.sigmoid(o + self.conv_o(mem))
        h_new = o * torch.tanh(self.conv_last(mem))
        return h_new, c_new, m_new, delta_c, delta_m
