"""E3D-LSTM (Wang et al., ICLR 2019): a stack of Eidetic 3D LSTM cells over sliding windows.

At step t the stack reads a window of the last ``window_length`` inputs (zeros before the first
frame) [B, c, w, H, W]; every state (h, C, M) is such a window. Each convolution of a cell is a 3D
convolution whose kernel (w, k, k) spans the whole window, so its output has one time step, which
OpenSTL resizes (nearest) back to w steps and, with ``stride`` > 1, to the full spatial size. The
next frame is a (w, 1, 1) convolution of the top layer's h. predbench computes each such
convolution as a 2D convolution over the window's frames stacked as channels (the same sums) and
keeps the one-step outputs as broadcasts instead of copies.

One cell, as OpenSTL computes it (default; ``*`` is a convolution, LN a LayerNorm over
[N, w, H, W] that ``layer_norm`` adds after every convolution, except the one on C, always on):
    i = sigmoid(i_x + i_h)    r = sigmoid(r_x + r_h)    g = tanh(g_x + g_h)
    C' = LN_c(C + RECALL(r, C_history)) + i * g         RECALL(q, K) = softmax(q K^T) K
    i', f', g', m = split(W_m * M)
    M' = sigmoid(f'_x + f' + 1) * tanh(m) + sigmoid(i'_x + i') * tanh(g'_x + g')
    o = sigmoid(tanh(o_x + o_h + W_co * C' + W_mo * M'))
    h' = tanh(W_1x1x1 * [C', M']) * o
C_history lists the cell's C before every step so far (the first one zero). The cell hands on the
memory it was given, not M', so every cell sees M = 0 (the authors' TensorFlow release does the
same). RECALL's rows are OpenSTL's: it reshapes channels-first [B, N, w, H, W] tensors straight
into [B, w*H*W, N], so a "position" mixes channels and positions.

The paper's equations instead (each behind a switch, all off by default so that OpenSTL's
checkpoints and numbers carry over):
    ``paper_attention``    RECALL over positions: the rows are the N-vectors of each (t, y, x),
                           the history stacked along time (as the authors' release computes it).
    ``paper_memory``       M' = f' * M + i' * g' is handed on: to the next layer at the same step,
                           from the top layer to the first at the next step (the ``m`` part of
                           ``conv_gm`` is then unused; its weights get zero gradients).
    ``paper_output_gate``  o = sigmoid(o_x + o_h + W_co * C' + W_mo * M'), without the tanh.
``filter_size`` sets k (OpenSTL ignores it and always uses 5); ``window_length`` sets w (2 in
OpenSTL and the authors' release, which also fix the window stride to 1, the only value their
loops run with).

Training loss: OpenSTL's model returns MSE + L1; predbench's predictor adds the MSE (``loss_rec``)
and this backbone the L1 term (``loss_l1``, weight ``l1_weight``).

State-dict contract: parameter names are those of OpenSTL's ``E3DLSTM_Model``
(``cell_list.{i}.conv_x.0.conv3d.weight``, ``cell_list.{i}._norm_c_t.weight``,
``cell_list.{i}.conv_last.conv3d.weight``, ``conv_last.weight``, ...), so an OpenSTL state dict
maps onto predbench's by prefixing ``backbone.``; the reference holds no unused parameters
(``reference_unused_keys`` is empty).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import MODELS
from ..utils.errors import ConfigError
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, Dict[str, torch.Tensor]]
FORGET_BIAS = 1.0


def as_size(img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """(H, W) from an int or a pair; a one-line ConfigError otherwise."""
    if isinstance(img_size, int):
        return img_size, img_size
    if len(img_size) != 2:
        raise ConfigError(f'model.backbone.img_size must be (H, W) or an int, got {img_size}')
    return int(img_size[0]), int(img_size[1])


def check_frames(frames: torch.Tensor, img_channel: int, img_size: Tuple[int, int]) -> None:
    """Raise a one-line ConfigError unless ``frames`` is [B, T>=2, img_channel, *img_size]."""
    if frames.dim() != 5:
        raise ConfigError(f'frames must be [B, T, C, H, W], got shape {list(frames.shape)}')
    _, t, c, h, w = frames.shape
    if (c, h, w) != (img_channel, *img_size):
        raise ConfigError(
            f'frames of shape [C, H, W] = {[c, h, w]} do not match the model '
            f'(model.backbone.img_channel={img_channel}, model.backbone.img_size={img_size})')
    if t < 2:
        raise ConfigError(f'a clip needs at least 2 frames, got {t}')


def autocast_ready(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` in the autocast dtype when autocast is on (once per clip instead of per call).

    Autocast caches its casts of parameters, not of views of them such as a reshaped kernel: it
    would cast the kernel at every step and keep every copy for the backward pass.
    """
    kind = weight.device.type
    if torch.is_autocast_enabled(kind):
        return weight.to(torch.get_autocast_dtype(kind))
    return weight


class WindowConv3d(nn.Module):
    """OpenSTL's ``tf_Conv3d``: a 3D convolution resized (nearest) to its input's [T, H, W].

    The kernel is (window, k, k) without temporal padding, so the output has one time step; it
    is returned as [B, O, 1, H, W] and broadcast over the window by the caller. A kernel of
    (1, 1, 1) is applied to every time step. Both are computed with 2D convolutions of the
    kernel from :meth:`kernel2d`.
    """

    def __init__(self, in_channels: int, out_channels: int, window: int, kernel: int,
                 stride: int) -> None:
        super().__init__()
        self.window = window
        self.kernel = kernel
        self.stride = stride
        self.conv3d = nn.Conv3d(in_channels, out_channels, (window, kernel, kernel),
                                stride=stride, padding=(0, kernel // 2, kernel // 2), bias=False)

    @property
    def pointwise(self) -> bool:
        return self.window == 1 and self.kernel == 1 and self.stride == 1

    def kernel2d(self) -> torch.Tensor:
        """The 3D kernel as a 2D one: [O, C*w, k, k] (channel c*w + s is slice (c, s))."""
        weight = self.conv3d.weight
        return weight.flatten(2, 3) if self.pointwise else weight.flatten(1, 2)

    def forward(self, x: torch.Tensor, kernel: Optional[torch.Tensor] = None) -> torch.Tensor:
        """[B, C, w or 1, H, W] (1: the same frame at every step) -> [B, O, 1 or w, H, W]."""
        b, c, t, h, w = x.shape
        kernel = self.kernel2d() if kernel is None else kernel
        if self.pointwise:  # every time step, as one 2D convolution
            out = F.conv2d(x.reshape(b, c, t * h, w), kernel)
            return out.unflatten(2, (t, h))
        if t != self.window:
            x = x.expand(b, c, self.window, h, w)
        out = F.conv2d(x.reshape(b, c * self.window, h, w), kernel, stride=self.stride,
                       padding=self.kernel // 2)
        if out.shape[-2:] != (h, w):
            out = F.interpolate(out, size=(h, w), mode='nearest')
        return out.unsqueeze(2)


def _conv_block(in_channels: int, out_channels: int, window: int, height: int, width: int,
                kernel: int, stride: int, layer_norm: bool) -> nn.Sequential:
    layers = [WindowConv3d(in_channels, out_channels, window, kernel, stride)]
    if layer_norm:
        layers.append(nn.LayerNorm([out_channels, window, height, width]))
    return nn.Sequential(*layers)


class Eidetic3DLSTMCell(nn.Module):
    """One Eidetic 3D LSTM cell; returns (h', C', M handed on). Equations: module docstring.

    Args:
        in_channel: channels of the input window (patched frame channels for layer 0, else N).
        num_hidden: N, channels of h, C and M.
        window_length: w, time steps of every window.
        height, width: spatial size of the states (frame size / patch size).
        filter_size: k of the (w, k, k) kernels.
        stride: spatial stride of the convolutions (outputs resized back, as OpenSTL does).
        layer_norm: LayerNorm after each gate convolution (the one on C is always on).
        paper_attention, paper_memory, paper_output_gate: the paper's equations.
        fused_attention: compute RECALL with ``scaled_dot_product_attention`` (no attention
            matrix kept for the backward pass) instead of two matrix products and a softmax.
    """

    def __init__(self, in_channel: int, num_hidden: int, window_length: int, height: int,
                 width: int, filter_size: int = 5, stride: int = 1, layer_norm: bool = False,
                 paper_attention: bool = False, paper_memory: bool = False,
                 paper_output_gate: bool = False, fused_attention: bool = True) -> None:
        super().__init__()
        self.num_hidden = num_hidden
        self.window = window_length
        self.paper_attention = paper_attention
        self.paper_memory = paper_memory
        self.paper_output_gate = paper_output_gate
        self.fused_attention = fused_attention
        self._norm_c_t = nn.LayerNorm([num_hidden, window_length, height, width])
        block = dict(window=window_length, height=height, width=width, kernel=filter_size,
                     stride=stride, layer_norm=layer_norm)
        self.conv_x = _conv_block(in_channel, num_hidden * 7, **block)
        self.conv_h = _conv_block(num_hidden, num_hidden * 4, **block)
        self.conv_gm = _conv_block(num_hidden, num_hidden * 4, **block)
        self.conv_new_cell = _conv_block(num_hidden, num_hidden, **block)
        self.conv_new_gm = _conv_block(num_hidden, num_hidden, **block)
        self.conv_last = WindowConv3d(num_hidden * 2, num_hidden, 1, 1, 1)

    def window_kernels(self) -> Dict[str, torch.Tensor]:
        """The 2D kernels of the cell's convolutions, made once per clip (see autocast_ready)."""
        convs = dict(conv_x=self.conv_x[0], conv_h=self.conv_h[0], conv_gm=self.conv_gm[0],
                     conv_new_cell=self.conv_new_cell[0], conv_new_gm=self.conv_new_gm[0],
                     conv_last=self.conv_last)
        return {name: autocast_ready(conv.kernel2d()) for name, conv in convs.items()}

    def _block(self, block: nn.Sequential, x: torch.Tensor,
               kernel: Optional[torch.Tensor]) -> torch.Tensor:
        out = block[0](x, kernel)
        if len(block) > 1:  # the LayerNorm sees the output repeated over the window
            out = block[1](out.expand(-1, -1, self.window, -1, -1))
        return out

    def rows(self, x: torch.Tensor) -> torch.Tensor:
        """[B, N, w, H, W] -> the [B, w*H*W, N] rows RECALL reads (OpenSTL's or the paper's)."""
        b, n = x.shape[:2]
        if self.paper_attention:
            return x.permute(0, 2, 3, 4, 1).reshape(b, -1, n)
        return x.reshape(b, -1, n)

    def _recall(self, query: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """softmax(q K^T) K for the rows of ``query`` [B, N, w|1, H, W] over ``history``."""
        b, n, _, h, w = query.shape
        q = self.rows(query.expand(b, n, self.window, h, w))
        if self.fused_attention:
            out = F.scaled_dot_product_attention(q.unsqueeze(1), history.unsqueeze(1),
                                                 history.unsqueeze(1), scale=1.0).squeeze(1)
        else:
            out = torch.softmax(q @ history.transpose(1, 2), dim=2) @ history
        if self.paper_attention:
            return out.reshape(b, self.window, h, w, n).permute(0, 4, 1, 2, 3)
        return out.reshape(b, n, self.window, h, w)

    def _zero_memory_gates(self) -> Tuple[torch.Tensor, ...]:
        """``conv_gm`` of OpenSTL's all-zero memory, without convolving zeros.

        The convolution gives 0, and its LayerNorm (if any) turns 0 into its bias. The weights
        enter with a factor 0: their gradient is 0, as OpenSTL's, and they stay in the autograd
        graph (DistributedDataParallel expects a gradient for every parameter).
        """
        zero = self.conv_gm[0].conv3d.weight.sum() * 0.0
        if len(self.conv_gm) == 1:
            return (zero, ) * 4
        norm = self.conv_gm[1]
        gates = (norm.bias + norm.weight * 0.0 + zero).unsqueeze(0)
        return torch.split(gates, self.num_hidden, dim=1)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
                memory: Optional[torch.Tensor], history: torch.Tensor,
                kernels: Optional[Dict[str, torch.Tensor]] = None
                ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """One step. ``memory`` None: OpenSTL's (always zero); ``history``: rows of C so far;
        ``kernels``: :meth:`window_kernels` of this clip (made here if None)."""
        n = self.num_hidden
        k = self.window_kernels() if kernels is None else kernels
        i_h, g_h, r_h, o_h = torch.split(self._block(self.conv_h, h, k['conv_h']), n, dim=1)
        i_x, g_x, r_x, o_x, i_xm, g_xm, f_xm = torch.split(
            self._block(self.conv_x, x, k['conv_x']), n, dim=1)
        i = torch.sigmoid(i_x + i_h)
        r = torch.sigmoid(r_x + r_h)
        g = torch.tanh(g_x + g_h)
        c_new = self._norm_c_t(c + self._recall(r, history)) + i * g

        if memory is None:
            i_m, f_m, g_m, m_m = self._zero_memory_gates()
        else:
            i_m, f_m, g_m, m_m = torch.split(self._block(self.conv_gm, memory, k['conv_gm']), n,
                                             dim=1)
        i_p = torch.sigmoid(i_xm + i_m)
        f_p = torch.sigmoid(f_xm + f_m + FORGET_BIAS)
        g_p = torch.tanh(g_xm + g_m)
        if self.paper_memory:
            m_new = f_p * memory + i_p * g_p
        else:
            m_new = f_p * torch.tanh(m_m) + i_p * g_p

        gate = o_x + o_h + self._block(self.conv_new_cell, c_new, k['conv_new_cell']) + \
            self._block(self.conv_new_gm, m_new, k['conv_new_gm'])
        o = torch.sigmoid(gate if self.paper_output_gate else torch.tanh(gate))
        mem = torch.cat([c_new, m_new.expand_as(c_new)], dim=1)
        h_new = torch.tanh(self.conv_last(mem, k['conv_last'])) * o
        return h_new, c_new, (m_new if self.paper_memory else memory)


@MODELS.register_module()
class E3DLSTM(nn.Module):
    """E3D-LSTM backbone (Wang et al., ICLR 2019), as OpenSTL computes it by default.

    Args:
        num_hidden: width N of each layer (all equal), e.g. [128, 128, 128, 128].
        img_size: frame size (H, W) in pixels.
        img_channel: channels of a frame (1 grayscale, 3 RGB).
        patch_size: space-to-depth factor p applied to frames before the cells.
        filter_size: spatial kernel size k of the cell convolutions (OpenSTL: always 5).
        stride: spatial stride of the cell convolutions, outputs resized back (OpenSTL's KTH
            config uses 2).
        layer_norm: LayerNorm after each gate convolution (the LayerNorm on C is always on).
        window_length: w, frames per window (OpenSTL: 2).
        l1_weight: weight of the L1 term OpenSTL adds to the MSE (``loss_l1``; 0 drops it).
        paper_attention, paper_memory, paper_output_gate: the paper's equations instead of
            OpenSTL's (module docstring).
        fused_attention: RECALL with ``scaled_dot_product_attention`` (less memory, same
            values up to float rounding).
    """

    #: Keys of a reference state dict (without ``backbone.``) that predbench does not create.
    reference_unused_keys: Tuple[str, ...] = ()

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 4, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = False, window_length: int = 2,
                 l1_weight: float = 1.0, paper_attention: bool = False,
                 paper_memory: bool = False, paper_output_gate: bool = False,
                 fused_attention: bool = True) -> None:
        super().__init__()
        self.num_hidden = [int(n) for n in num_hidden]
        if not self.num_hidden:
            raise ConfigError('model.backbone.num_hidden must list at least one layer width')
        if len(set(self.num_hidden)) != 1:
            raise ConfigError(
                f'model.backbone.num_hidden={self.num_hidden}: E3D-LSTM needs equal widths (every '
                f'cell reads the memory M of width num_hidden[0]); use e.g. '
                f'[{self.num_hidden[0]}]*{len(self.num_hidden)}')
        for name, value in (('filter_size', filter_size), ('stride', stride),
                            ('window_length', window_length)):
            if int(value) < 1:
                raise ConfigError(f'model.backbone.{name} must be >= 1, got {value}')
        self.num_layers = len(self.num_hidden)
        self.img_size = as_size(img_size)
        self.img_channel = int(img_channel)
        self.patch_size = int(patch_size)
        self.filter_size = int(filter_size)
        self.stride = int(stride)
        self.layer_norm = bool(layer_norm)
        self.window_length = int(window_length)
        self.l1_weight = float(l1_weight)
        self.paper_attention = bool(paper_attention)
        self.paper_memory = bool(paper_memory)
        self.paper_output_gate = bool(paper_output_gate)
        check_patchable(*self.img_size, self.patch_size)
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        height, width = (s // self.patch_size for s in self.img_size)
        self.cell_list = nn.ModuleList([
            Eidetic3DLSTMCell(self.frame_channel if i == 0 else self.num_hidden[i - 1],
                              self.num_hidden[i], self.window_length, height, width,
                              self.filter_size, self.stride, self.layer_norm,
                              self.paper_attention, self.paper_memory, self.paper_output_gate,
                              bool(fused_attention))
            for i in range(self.num_layers)
        ])
        w = self.window_length
        self.conv_last = nn.Conv3d(self.num_hidden[-1], self.frame_channel, (w, 1, 1),
                                   stride=(w, 1, 1), padding=0, bias=False)

    @staticmethod
    def _next_frame(h: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """The (w, 1, 1) output convolution of the top layer's h [B, N, w, H, W]."""
        b, n, w, height, width = h.shape
        return F.conv2d(h.reshape(b, n * w, height, width), kernel)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        """Predict frames 1..T-1 of ``frames`` [B, T, c, H, W]; returns (predictions, aux)."""
        check_frames(frames, self.img_channel, self.img_size)
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        height, width = truth.shape[-2:]
        w = self.window_length
        zeros = truth.new_zeros(batch, self.num_hidden[0], w, height, width)
        h: List[torch.Tensor] = [zeros] * self.num_layers
        c: List[torch.Tensor] = [zeros] * self.num_layers
        history: List[Optional[torch.Tensor]] = [None] * self.num_layers
        memory = zeros if self.paper_memory else None
        window = [torch.zeros_like(truth[:, 0])] * (w - 1)

        kernels = [cell.window_kernels() for cell in self.cell_list]
        last_kernel = autocast_ready(self.conv_last.weight.flatten(1, 2))

        predictions, x_gen = [], None
        for t in range(total - 1):
            net = input_at_step(t, truth, x_gen, true_flags, input_length)
            window = (window + [net])[-w:]
            x = torch.stack(window, dim=2)
            for i, cell in enumerate(self.cell_list):
                rows = cell.rows(c[i])
                history[i] = rows if t == 0 else torch.cat([history[i], rows], dim=1)
                h[i], c[i], memory = cell(x if i == 0 else h[i - 1], h[i], c[i], memory,
                                          history[i], kernels[i])
            x_gen = self._next_frame(h[-1], last_kernel)
            predictions.append(x_gen)
        pred = unpatchify(torch.stack(predictions, dim=1), self.patch_size)
        aux = {}
        if with_aux and self.l1_weight:
            aux['loss_l1'] = self.l1_weight * F.l1_loss(pred, frames[:, 1:])
        return pred, aux
