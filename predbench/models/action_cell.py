"""The action-conditioned ST-LSTM cell of the original release (``SpatioTemporalLSTMCell_action``).

It is PredRNN's ST-LSTM cell (same gates, same memory update: :class:`SpatioTemporalLSTMCell`)
with convolutions that carry a bias and one more block, ``conv_a``, whose output multiplies the
hidden-state terms of the four gates:

    [i_h, f_h, g_h, o_h] = (W_h * H) . (W_a * A)        (. is the elementwise product)

where A is the action as the cell sees it (the tiled action, or its encoding). Everything else
follows the ST-LSTM equations in :mod:`predbench.models.cells`.

``conv_a`` is linear in A (a convolution plus a bias, then the optional LayerNorm), and A is a
linear function of the action vector a (the tiled action, or two bias-free convolutions of it),
so W_a * A = b_a + sum_k a_k R_k, where R_k is the response to the k-th unit action. The cell
computes the responses once per rollout (:meth:`action_responses`) and the gates of every step
from them (:meth:`action_gates`): no tiled action tensor and no conv_a per step, with the zero
padding of every convolution (the borders) exactly as in the original.
"""
from typing import Tuple

import torch

from .cells import SpatioTemporalLSTMCell, _conv_block


class ActionConditionedSTLSTMCell(SpatioTemporalLSTMCell):
    """ST-LSTM cell whose hidden-state gate terms are modulated by the action.

    Parameter names and shapes are the original's (``conv_x``, ``conv_h``, ``conv_a``, ``conv_m``,
    ``conv_o``: ``<name>.0.weight`` / ``.0.bias``, LayerNorm ``<name>.1.*``; ``conv_last``).

    Args:
        in_channels: channels of the input x.
        num_hidden: N, channels of h, c and m.
        height, width: spatial size of the states.
        action_channels: channels of the action map the cell reads (``conv_a``'s input).
        filter_size, stride, layer_norm: as for :class:`SpatioTemporalLSTMCell`.
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 action_channels: int, filter_size: int = 5, stride: int = 1,
                 layer_norm: bool = False) -> None:
        super().__init__(in_channels, num_hidden, height, width, filter_size, stride,
                         layer_norm, bias=True)
        self.action_channels = action_channels
        self.conv_a = _conv_block(action_channels, 4 * num_hidden, filter_size, stride,
                                  layer_norm, (height, width), bias=True)

    def action_responses(self, unit_action_maps: torch.Tensor) -> torch.Tensor:
        """conv_a's kernel (no bias) on the unit actions' maps [A, C_a, h, w] -> [A, 4N, h, w]."""
        conv = self.conv_a[0]
        return torch.nn.functional.conv2d(unit_action_maps, conv.weight, None, conv.stride,
                                          conv.padding)

    def action_gates(self, actions: torch.Tensor, responses: torch.Tensor) -> torch.Tensor:
        """conv_a of the action maps of ``actions`` [B, A], from :meth:`action_responses`."""
        gates = torch.einsum('ba,achw->bchw', actions, responses)
        gates = gates + self.conv_a[0].bias[:, None, None]
        return self.conv_a[1](gates) if self.layer_norm else gates

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, m: torch.Tensor,
                action_gates: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """One step; ``action_gates`` is W_a * A [B, 4N, h, w]. Returns (h', c', m', dc, dm)."""
        n = self.num_hidden
        i_x, f_x, g_x, i_xp, f_xp, g_xp, o_x = torch.split(self.conv_x(x), n, dim=1)
        i_h, f_h, g_h, o_h = torch.split(self.conv_h(h) * action_gates, n, dim=1)
        i_m, f_m, g_m = torch.split(self.conv_m(m), n, dim=1)
        preactivations = (i_x + i_h, f_x + f_h, g_x + g_h, o_x + o_h,
                          i_xp + i_m, f_xp + f_m, g_xp + g_m)
        return self._update(preactivations, c, m)
