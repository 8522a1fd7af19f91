"""Baselines with the backbone signature: ConvLSTM (Shi et al., 2015) and "repeat the last frame".

Both plug into :class:`~predbench.models.VideoPredictor` like PredRNN:
``backbone(frames, true_flags, input_length, with_aux)`` -> (predictions of frames 1..T-1, {}).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from ..utils.errors import ConfigError
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, dict]


class ConvLSTMCell(nn.Module):
    """i, f, o = sigmoid(W * [x, h] (+ peepholes)), g = tanh(W * [x, h]), c' = f c + i g,
    h' = o tanh(c')  (Shi et al., NeurIPS 2015).

    ``peephole`` adds the paper's Hadamard terms W_ci . c, W_cf . c (and W_co . c'); most
    benchmark implementations (OpenSTL, PredBench) leave them out, so it is off by default.
    """

    def __init__(self, in_channels: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, peephole: bool = False) -> None:
        super().__init__()
        self.num_hidden = num_hidden
        self.conv = nn.Conv2d(in_channels + num_hidden, 4 * num_hidden, filter_size,
                              padding=filter_size // 2, bias=True)
        self.peephole = peephole
        if peephole:
            self.w_ci = nn.Parameter(torch.zeros(num_hidden, height, width))
            self.w_cf = nn.Parameter(torch.zeros(num_hidden, height, width))
            self.w_co = nn.Parameter(torch.zeros(num_hidden, height, width))

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        i, f, g, o = torch.split(self.conv(torch.cat([x, h], 1)), self.num_hidden, 1)
        if self.peephole:
            i = i + self.w_ci * c
            f = f + self.w_cf * c
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        if self.peephole:
            o = o + self.w_co * c_new
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


@MODELS.register_module()
class ConvLSTM(nn.Module):
    """A stack of ConvLSTM cells with PredRNN's patching and 1x1 output convolution.

    Args mirror :class:`~predbench.models.PredRNN` (``num_hidden``, ``img_size``,
    ``img_channel``, ``patch_size``, ``filter_size``); layers may have different widths.
    """

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 4, filter_size: int = 5,
                 peephole: bool = False) -> None:
        super().__init__()
        self.num_hidden = [int(n) for n in num_hidden]
        if not self.num_hidden:
            raise ConfigError('model.backbone.num_hidden must list at least one layer width')
        size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        check_patchable(size[0], size[1], patch_size)
        self.img_size, self.img_channel, self.patch_size = size, img_channel, patch_size
        self.frame_channel = patch_size ** 2 * img_channel
        height, width = size[0] // patch_size, size[1] // patch_size
        widths = [self.frame_channel] + self.num_hidden
        self.cell_list = nn.ModuleList([
            ConvLSTMCell(widths[i], widths[i + 1], height, width, filter_size, peephole)
            for i in range(len(self.num_hidden))
        ])
        self.conv_last = nn.Conv2d(self.num_hidden[-1], self.frame_channel, 1, bias=False)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        hp, wp = truth.shape[-2:]
        h = [truth.new_zeros(batch, n, hp, wp) for n in self.num_hidden]
        c = [truth.new_zeros(batch, n, hp, wp) for n in self.num_hidden]
        predictions, x_gen = [], None
        for t in range(total - 1):
            x = input_at_step(t, truth, x_gen, true_flags, input_length)
            for i, cell in enumerate(self.cell_list):
                h[i], c[i] = cell(x if i == 0 else h[i - 1], h[i], c[i])
            x_gen = self.conv_last(h[-1])
            predictions.append(x_gen)
        return unpatchify(torch.stack(predictions, 1), self.patch_size), {}


@MODELS.register_module()
class CopyLastFrame(nn.Module):
    """Predict that nothing moves: the prediction of frame t+1 is the frame fed at step t.

    At test time every future frame is the last observed one. It has no weights to train;
    ``tools/train.py`` and the suites evaluate it directly.
    """

    def __init__(self, img_size: Union[int, Sequence[int], None] = None,
                 img_channel: int = 1) -> None:
        super().__init__()
        self.img_size = img_size
        self.img_channel = img_channel
        # Devices and dtypes follow this buffer (the predictor moves it with .to()).
        self.register_buffer('_anchor', torch.zeros(()), persistent=False)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        predictions, previous = [], None
        for t in range(total - 1):
            x = input_at_step(t, frames, previous, true_flags, input_length)
            predictions.append(x)
            previous = x
        return torch.stack(predictions, 1), {}
