"""PredRNN (NeurIPS 2017) and PredRNN-V2 (TPAMI 2022) backbones: stacks of ST-LSTM cells.

The spatiotemporal memory M zigzags: at each step it passes through layers 0..L-1 in order, and
the top layer's M at step t is layer 0's M at step t+1. All states start at zero. The next frame
is a 1x1 convolution (no bias) of the top layer's hidden state. Both backbones take frames in
[0, 1] as [B, T, c, H, W], patch them, and return predictions of frames 1..T-1 in pixel space.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from ..utils.errors import ConfigError
from .cells import SpatioTemporalLSTMCell
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, Dict[str, torch.Tensor]]


def _as_size(img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(img_size, int):
        return img_size, img_size
    if len(img_size) != 2:
        raise ConfigError(f'model.backbone.img_size must be (H, W) or an int, got {img_size}')
    return int(img_size[0]), int(img_size[1])


def _check_num_hidden(num_hidden: Sequence[int]) -> List[int]:
    if not isinstance(num_hidden, (list, tuple)) or \
            not all(isinstance(n, int) and n > 0 for n in num_hidden):
        raise ConfigError(f'model.backbone.num_hidden={num_hidden!r} must be a list of positive '
                          f'layer widths, e.g. [128, 128, 128, 128]')
    num_hidden = [int(n) for n in num_hidden]
    if not num_hidden:
        raise ConfigError('model.backbone.num_hidden must list at least one layer width')
    if len(set(num_hidden)) != 1:
        raise ConfigError(
            f'model.backbone.num_hidden={num_hidden}: all layers must have the same width, '
            f'because the spatiotemporal memory M passes from every layer to the next (and from '
            f'the top layer back to the first); use e.g. num_hidden=[{num_hidden[0]}]*'
            f'{len(num_hidden)}')
    return num_hidden


@MODELS.register_module()
class PredRNN(nn.Module):
    """PredRNN backbone (Wang et al., NeurIPS 2017).

    Args:
        num_hidden: width N of each layer (all equal), e.g. [128, 128, 128, 128].
        img_size: frame size (H, W) in pixels.
        img_channel: channels of a frame (1 grayscale, 3 RGB).
        patch_size: space-to-depth factor p applied to frames before the cells.
        filter_size: kernel size of the cell convolutions.
        stride: convolution stride; must be 1 (the recurrent states keep their size).
        layer_norm: LayerNorm after each cell convolution (the original flag; its scripts use 0).
        fused_gates: compute the gate sums with two convolutions over concat(x, h) and
            concat(x, m) instead of three (same values up to float rounding; faster).
        channels_last: run convolutions in channels-last memory format (faster on most CPUs
            and on GPUs with tensor cores).
        compile_mode: ``torch.compile`` each cell's step (its convolutions and gate math fused
            into few kernels) with this mode: ``'default'``, ``'max-autotune'``, or
            ``'reduce-overhead'`` (CUDA graphs on GPUs). None (default): eager. Measured in
            docs/performance.md; on CPUs it is slower than eager.
    """

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 4, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = False, fused_gates: bool = True,
                 channels_last: bool = False, compile_mode: Optional[str] = None) -> None:
        super().__init__()
        self.num_hidden = _check_num_hidden(num_hidden)
        self.num_layers = len(self.num_hidden)
        self.img_size = _as_size(img_size)
        self.img_channel = int(img_channel)
        self.patch_size = int(patch_size)
        self.filter_size = int(filter_size)
        self.layer_norm = bool(layer_norm)
        self.fused_gates = bool(fused_gates)
        self.channels_last = bool(channels_last)
        if compile_mode not in (None, 'default', 'reduce-overhead', 'max-autotune',
                                'max-autotune-no-cudagraphs'):
            raise ConfigError(f'model.backbone.compile_mode={compile_mode!r}: use None, '
                              f"'default', 'reduce-overhead' or 'max-autotune'")
        self.compile_mode = compile_mode
        self._compiled_steps: Optional[list] = None
        if stride != 1:
            raise ConfigError(
                f'model.backbone.stride={stride}: the recurrent states must keep their size '
                f'from step to step, so only stride=1 works (as in the original scripts)')
        if filter_size % 2 != 1:
            raise ConfigError(
                f'model.backbone.filter_size={filter_size} must be odd so that padding '
                f'filter_size//2 keeps the state size')
        check_patchable(*self.img_size, self.patch_size)
        self.stride = 1
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        height, width = (s // self.patch_size for s in self.img_size)
        self.cell_list = nn.ModuleList([
            SpatioTemporalLSTMCell(self.frame_channel if i == 0 else self.num_hidden[i - 1],
                                   self.num_hidden[i], height, width, self.filter_size,
                                   self.stride, self.layer_norm)
            for i in range(self.num_layers)
        ])
        self.conv_last = nn.Conv2d(self.num_hidden[-1], self.frame_channel, kernel_size=1,
                                   stride=1, padding=0, bias=False)
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def _check_frames(self, frames: torch.Tensor) -> None:
        if frames.dim() != 5:
            raise ConfigError(f'frames must be [B, T, C, H, W], got shape {list(frames.shape)}')
        _, t, c, h, w = frames.shape
        if (c, h, w) != (self.img_channel, *self.img_size):
            raise ConfigError(
                f'frames of shape [C, H, W] = {[c, h, w]} do not match the model '
                f'(model.backbone.img_channel={self.img_channel}, '
                f'model.backbone.img_size={self.img_size})')
        if t < 2:
            raise ConfigError(f'a clip needs at least 2 frames, got {t}')

    def _cell_steps(self) -> list:
        """The callables that run one step of each cell (compiled once when asked)."""
        if self.compile_mode is None:
            return list(self.cell_list)
        if self._compiled_steps is None:
            self._compiled_steps = [torch.compile(cell, mode=self.compile_mode, dynamic=False)
                                    for cell in self.cell_list]
        return self._compiled_steps

    def _rollout(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor],
                 input_length: Optional[int], keep_increments: bool):
        """Run the stack over all steps; returns (patched predictions, increments per step)."""
        self._check_frames(frames)
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        height, width = truth.shape[-2:]
        zeros = truth.new_zeros(batch, self.num_hidden[0], height, width).contiguous(
            memory_format=memory_format)
        h = [zeros] * self.num_layers
        c = [zeros] * self.num_layers
        memory = zeros
        fused = [cell.fused_gate_weights() if self.fused_gates else None
                 for cell in self.cell_list]
        steps = self._cell_steps()

        predictions, increments = [], []
        x_gen = None
        for t in range(total - 1):
            net = input_at_step(t, truth, x_gen, true_flags, input_length)
            if self.channels_last:
                net = net.contiguous(memory_format=torch.channels_last)
            for i, step in enumerate(steps):
                x = net if i == 0 else h[i - 1]
                h[i], c[i], memory, delta_c, delta_m = step(x, h[i], c[i], memory, fused[i])
                if keep_increments:
                    increments.append((delta_c, delta_m))
            x_gen = self.conv_last(h[-1])
            predictions.append(x_gen)
        return torch.stack(predictions, dim=1), increments

    def explain_checkpoint_mismatch(self, state_dict: Dict[str, torch.Tensor]) -> List[str]:
        """Config options to change so that a backbone-level state dict fits (checkpoint loader)."""
        from .checkpoint_compat import predrnn_checkpoint_hints
        return predrnn_checkpoint_hints(self, state_dict)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        """Predict frames 1..T-1 of ``frames`` [B, T, c, H, W]; returns (predictions, {})."""
        patched, _ = self._rollout(frames, true_flags, input_length, keep_increments=False)
        return unpatchify(patched, self.patch_size), {}


class MemoryDecouplingMixin:
    """PredRNN-V2's decoupling loss, for any ST-LSTM stack with a 1x1 ``adapter`` and
    ``num_layers``: the mean over layers and steps of |cos(adapter(delta_c), adapter(delta_m))|,
    the cosine taken per channel along space, averaged over batch and channels."""

    adapter: nn.Conv2d
    num_layers: int
    decouple_beta: float

    def decoupling_loss(self, increments: Sequence[Tuple[torch.Tensor, torch.Tensor]]
                        ) -> torch.Tensor:
        """Mean |cosine| between adapted delta_c and delta_m, over layers, steps, batch, channels.

        ``increments`` lists (delta_c, delta_m) of every layer at every step. Each step's layers
        go through the adapter together (one 1x1 convolution on cache-sized tensors); the cosine
        is computed from one dot product and two norms instead of normalising both tensors first
        (equal in exact arithmetic to the original's F.normalize + cosine_similarity).
        """
        layers = self.num_layers
        terms = [self._step_decoupling(increments[k:k + layers])
                 for k in range(0, len(increments), layers)]
        return torch.stack(terms).mean()

    def _step_decoupling(self, increments: Sequence[Tuple[torch.Tensor, torch.Tensor]]
                         ) -> torch.Tensor:
        deltas = [dc for dc, _ in increments] + [dm for _, dm in increments]
        adapted = self.adapter(torch.cat(deltas, dim=0)).flatten(2)  # [2*L*B, N, H*W]
        delta_c, delta_m = adapted.chunk(2, dim=0)
        eps = 1e-12  # F.normalize's
        dot = (delta_c * delta_m).sum(dim=2)
        norm_c = delta_c.norm(dim=2).clamp_min(eps)
        norm_m = delta_m.norm(dim=2).clamp_min(eps)
        return (dot / (norm_c * norm_m)).abs().mean()

    def decoupling_terms(self, increments: Sequence[Tuple[torch.Tensor, torch.Tensor]],
                         with_aux: bool) -> Dict[str, torch.Tensor]:
        """``{'loss_decouple': beta * loss}`` when ``with_aux``, else ``{}``."""
        if not with_aux:
            return {}
        return {'loss_decouple': self.decouple_beta * self.decoupling_loss(increments)}


@MODELS.register_module()
class PredRNNv2(MemoryDecouplingMixin, PredRNN):
    """PredRNN-V2 backbone (Wang et al., TPAMI 2022): PredRNN plus memory decoupling.

    A shared 1x1 ``adapter`` maps the increments delta_c and delta_m of every layer at every step;
    the decoupling loss is the mean over layers and steps of |cos(adapter(delta_c),
    adapter(delta_m))|, the cosine taken per channel along space, averaged over batch and channels.

    Args:
        decouple_beta: weight of the decoupling loss (0.1 Moving MNIST, 0.01 KTH in the papers).
        **kwargs: the arguments of :class:`PredRNN`.
    """

    def __init__(self, *args, decouple_beta: float = 0.1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decouple_beta = float(decouple_beta)
        self.adapter = nn.Conv2d(self.num_hidden[0], self.num_hidden[0], kernel_size=1,
                                 stride=1, padding=0, bias=False)
        if self.channels_last:
            self.adapter.to(memory_format=torch.channels_last)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        """Predict frames 1..T-1; with ``with_aux`` also return ``loss_decouple`` (weighted)."""
        patched, increments = self._rollout(frames, true_flags, input_length,
                                            keep_increments=with_aux)
        return unpatchify(patched, self.patch_size), self.decoupling_terms(increments, with_aux)

    def increments(self, frames: torch.Tensor, input_length: int
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
        """delta_c and delta_m at test time, each [T-1, L, B, N, H/p, W/p] (for t-SNE plots)."""
        _, increments = self._rollout(frames, None, input_length, keep_increments=True)
        steps, layers = frames.shape[1] - 1, self.num_layers
        delta_c = torch.stack([dc for dc, _ in increments]).unflatten(0, (steps, layers))
        delta_m = torch.stack([dm for _, dm in increments]).unflatten(0, (steps, layers))
        return delta_c, delta_m
