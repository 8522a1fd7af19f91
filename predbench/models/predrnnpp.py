"""PredRNN++ (Wang et al., ICML 2018): Causal LSTM cells and a Gradient Highway Unit (GHU).

Structure, as OpenSTL's ``PredRNNpp_Model`` (a port of the authors' TensorFlow release) computes
it: layer 0 is a Causal LSTM on the patched frame; the GHU sits between layers 0 and 1
(``z = GHU(h^0, z)``) and layer 1 reads ``z``; layer k >= 2 reads ``h^{k-1}``. The spatial memory
M zigzags like PredRNN's: through layers 0..L-1 at each step, from the top layer to layer 0 at the
next. All states start at zero for every clip. The next frame is a 1x1 convolution (no bias) of the
top hidden state.

Causal LSTM (``*`` convolution, each convolution optionally followed by LayerNorm):
    i, f, g   = sigmoid, sigmoid(. + 1), tanh  of  W_x*x + W_h*h + W_c*c
    c'        = f c + i g
    i', f', g', o_c from W_x'*x, W_m*m (i', f' only) and W_c2m*c'
    m'        = f' tanh(W_mm*m) + i' g'
    o         = tanh(W_xo*x + W_ho*h + o_c + W_om*m')
    h'        = o tanh(W_1x1*[c', m'])
GHU:  p, u = tanh, sigmoid of W_x*x + W_z*z;   z' = u p + (1 - u) z.

Where the reference departs from the paper (Eq. 1 of the paper): there ``g'`` also reads the
memory (``W_2 * [X, C', M]``) and the output gate does not read ``h`` (``W_4 * [X, C', M']``).
``paper_equations=True`` computes the paper's version (its conv_h has 3N outputs and its conv_m
4N); the default is the reference's, so OpenSTL checkpoints and numbers carry over.

Checkpoints: parameter names are those of OpenSTL's ``PredRNNpp_Model`` state dict
(``gradient_highway.z_concat.0.weight``, ``cell_list.{i}.conv_x.0.weight`` ...), so an OpenSTL
state dict maps onto predbench's by prefixing ``backbone.``. OpenSTL's ``CausalLSTMCell.conv_o``
is created but never used by its forward; predbench does not create it (an unused parameter breaks
DDP). :attr:`PredRNNpp.reference_unused_keys` lists such keys as regexes over backbone-level keys:
a checkpoint loader drops the matching keys of a reference state dict and names them in a note.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from .backbone_args import (check_clip, check_compile_mode, check_conv_geometry, equal_widths,
                            frame_size)
from .cells import _conv_block
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, Dict[str, torch.Tensor]]
FORGET_BIAS = 1.0
#: OpenSTL initialises the GHU's convolutions uniformly in [-0.001, 0.001] (the authors' release).
GHU_INIT_RANGE = 0.001


class CausalLSTMCell(nn.Module):
    """One Causal LSTM cell; ``forward(x, h, c, m)`` returns (h', c', m').

    Args:
        in_channels: channels of the input x.
        num_hidden: N, channels of h, c and m.
        height, width: size of the states (frame size / patch size), for the LayerNorms.
        filter_size: kernel size of the gate convolutions.
        stride: convolution stride (1).
        layer_norm: LayerNorm over [channels, H, W] after each convolution but the 1x1 one.
        paper_equations: the paper's gates (``g'`` reads m, ``o`` does not read h) instead of
            the reference's.
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, stride: int = 1, layer_norm: bool = False,
                 paper_equations: bool = False) -> None:
        super().__init__()
        self.num_hidden = num_hidden
        self.paper_equations = bool(paper_equations)
        n, shape = num_hidden, (height, width)

        def block(cin: int, cout: int) -> nn.Sequential:
            return _conv_block(cin, cout, filter_size, stride, layer_norm, shape)

        self.conv_x = block(in_channels, 7 * n)  # i, f, g, i', f', g', o
        self.conv_h = block(n, (3 if paper_equations else 4) * n)  # i, f, g (, o)
        self.conv_c = block(n, 3 * n)  # i, f, g
        self.conv_m = block(n, (4 if paper_equations else 3) * n)  # i', f', m_m (, g')
        self.conv_c2m = block(n, 4 * n)  # i', g', f', o
        self.conv_om = block(n, n)
        self.conv_last = nn.Conv2d(2 * n, n, kernel_size=1, stride=1, padding=0, bias=False)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, m: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step: (h', c', m')."""
        n = self.num_hidden
        i_x, f_x, g_x, i_xp, f_xp, g_xp, o_x = torch.split(self.conv_x(x), n, dim=1)
        h_gates = torch.split(self.conv_h(h), n, dim=1)
        i_c, f_c, g_c = torch.split(self.conv_c(c), n, dim=1)
        m_gates = torch.split(self.conv_m(m), n, dim=1)
        i_h, f_h, g_h = h_gates[:3]
        i_m, f_m, m_m = m_gates[:3]

        i = torch.sigmoid(i_x + i_h + i_c)
        f = torch.sigmoid(f_x + f_h + f_c + FORGET_BIAS)
        g = torch.tanh(g_x + g_h + g_c)
        c_new = f * c + i * g

        i_c2, g_c2, f_c2, o_c = torch.split(self.conv_c2m(c_new), n, dim=1)
        i_p = torch.sigmoid(i_xp + i_m + i_c2)
        f_p = torch.sigmoid(f_xp + f_m + f_c2 + FORGET_BIAS)
        g_p = g_xp + g_c2
        if self.paper_equations:
            g_p = g_p + m_gates[3]
        m_new = f_p * torch.tanh(m_m) + i_p * torch.tanh(g_p)

        o = o_x if self.paper_equations else o_x + h_gates[3]
        o = torch.tanh(o + o_c + self.conv_om(m_new))
        h_new = o * torch.tanh(self.conv_last(torch.cat([c_new, m_new], dim=1)))
        return h_new, c_new, m_new


class GradientHighwayUnit(nn.Module):
    """The GHU: ``z' = u p + (1 - u) z`` with p, u = tanh, sigmoid of W_x*x + W_z*z.

    With ``layer_norm`` each of the two convolutions is followed by a LayerNorm over its 2N
    output channels (as the authors' release normalises them). OpenSTL declares those LayerNorms
    over N channels and crashes on the first step, so no OpenSTL checkpoint has them.
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, stride: int = 1, layer_norm: bool = False) -> None:
        super().__init__()
        self.num_hidden = num_hidden
        shape = (height, width)
        self.z_concat = _conv_block(num_hidden, 2 * num_hidden, filter_size, stride, layer_norm,
                                    shape)
        self.x_concat = _conv_block(in_channels, 2 * num_hidden, filter_size, stride,
                                    layer_norm, shape)
        for conv in (self.z_concat[0], self.x_concat[0]):
            nn.init.uniform_(conv.weight, -GHU_INIT_RANGE, GHU_INIT_RANGE)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """One step: z'."""
        p, u = torch.split(self.x_concat(x) + self.z_concat(z), self.num_hidden, dim=1)
        u = torch.sigmoid(u)
        return u * torch.tanh(p) + (1 - u) * z


@MODELS.register_module()
class PredRNNpp(nn.Module):
    """PredRNN++ backbone (Wang et al., ICML 2018), exact to OpenSTL's ``PredRNNpp_Model``.

    Args:
        num_hidden: widths of the layers: at least 2 (the GHU sits between layers 0 and 1), all
            equal (M passes through every layer), e.g. [128, 128, 128, 128].
        img_size: frame size (H, W) in pixels.
        img_channel: channels of a frame (1 grayscale, 3 RGB).
        patch_size: space-to-depth factor p applied to frames before the cells.
        filter_size: kernel size of all convolutions but the 1x1 ones (odd).
        stride: convolution stride; must be 1.
        layer_norm: LayerNorm after each convolution (OpenSTL's configs use 0; with 1 OpenSTL
            crashes in the GHU, predbench normalises the GHU's 2N channels).
        paper_equations: the Causal LSTM gates of the paper instead of the reference's (see the
            module docstring); parameter shapes differ, so reference checkpoints do not load.
        channels_last: run the convolutions in channels-last memory format.
        compile_mode: ``torch.compile`` each cell's and the GHU's step with this mode
            (``'default'``, ``'max-autotune'``, ``'reduce-overhead'``); None: eager.
    """

    #: Keys of a reference (OpenSTL) state dict that predbench does not create (never used).
    reference_unused_keys = (r'^cell_list\.\d+\.conv_o\.',)

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 4, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = False, paper_equations: bool = False,
                 channels_last: bool = False, compile_mode: Optional[str] = None) -> None:
        super().__init__()
        self.num_hidden = equal_widths(
            num_hidden, 'PredRNN++', 'its gradient highway sits between layers 0 and 1 and '
            'its spatial memory passes through every layer', min_layers=2)
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
        self.channels_last = bool(channels_last)
        self.compile_mode = check_compile_mode(compile_mode)
        self._compiled_steps: Optional[list] = None
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        height, width = (s // self.patch_size for s in self.img_size)
        n = self.num_hidden[0]
        self.gradient_highway = GradientHighwayUnit(n, n, height, width, self.filter_size, 1,
                                                    self.layer_norm)
        self.cell_list = nn.ModuleList([
            CausalLSTMCell(self.frame_channel if i == 0 else n, n, height, width,
                           self.filter_size, 1, self.layer_norm, self.paper_equations)
            for i in range(self.num_layers)
        ])
        self.conv_last = nn.Conv2d(n, self.frame_channel, kernel_size=1, stride=1, padding=0,
                                   bias=False)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def _steps(self) -> Tuple[list, nn.Module]:
        """(cell steps, GHU step): the modules, or their compiled versions when asked."""
        if self.compile_mode is None:
            return list(self.cell_list), self.gradient_highway
        if self._compiled_steps is None:
            self._compiled_steps = [torch.compile(m, mode=self.compile_mode, dynamic=False)
                                    for m in [*self.cell_list, self.gradient_highway]]
        return self._compiled_steps[:-1], self._compiled_steps[-1]

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
        h = [zeros] * self.num_layers
        c = [zeros] * self.num_layers
        memory = highway = zeros
        cells, ghu = self._steps()

        predictions, x_gen = [], None
        for t in range(total - 1):
            net = input_at_step(t, truth, x_gen, true_flags, input_length)
            if self.channels_last:
                net = net.contiguous(memory_format=torch.channels_last)
            h[0], c[0], memory = cells[0](net, h[0], c[0], memory)
            highway = ghu(h[0], highway)
            h[1], c[1], memory = cells[1](highway, h[1], c[1], memory)
            for i in range(2, self.num_layers):
                h[i], c[i], memory = cells[i](h[i - 1], h[i], c[i], memory)
            x_gen = self.conv_last(h[-1])
            predictions.append(x_gen)
        return unpatchify(torch.stack(predictions, dim=1), self.patch_size), {}
