"""A convolutional GRU video predictor, written outside predbench and plugged in by registry.

predbench's ``VideoPredictor`` calls its backbone as
``backbone(frames, true_flags, input_length, with_aux)`` with frames [B, T, C, H, W] in [0, 1]
and expects (predictions of frames 1..T-1 as [B, T-1, C, H, W], dict of extra losses).
``true_flags`` [B, T-1] says, per clip and step, whether to feed the true frame (1) or the
model's own last prediction (0); when it is None, feed the truth for the first
``input_length`` frames and the predictions afterwards.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from predbench.registry import MODELS


class ConvGRUCell(nn.Module):
    def __init__(self, in_channels: int, hidden: int, kernel: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(in_channels + hidden, 2 * hidden, kernel, padding=kernel // 2)
        self.candidate = nn.Conv2d(in_channels + hidden, hidden, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        update, reset = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, dim=1)
        candidate = torch.tanh(self.candidate(torch.cat([x, reset * h], 1)))
        return (1 - update) * h + update * candidate


@MODELS.register_module()
class ConvGRUPredictor(nn.Module):
    """Stacked ConvGRU cells on frames downsampled by a strided convolution."""

    def __init__(self, img_channel: int = 1, hidden: Sequence[int] = (32, 32),
                 kernel: int = 3, stride: int = 4) -> None:
        super().__init__()
        self.encode = nn.Conv2d(img_channel, hidden[0], stride, stride=stride)
        widths = [hidden[0], *hidden]
        self.cells = nn.ModuleList(
            ConvGRUCell(widths[i], widths[i + 1], kernel) for i in range(len(hidden)))
        self.decode = nn.ConvTranspose2d(hidden[-1], img_channel, stride, stride=stride)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True
                ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        batch, steps = frames.shape[0], frames.shape[1] - 1
        states = None
        predictions, previous = [], None
        for t in range(steps):
            if previous is None:
                x = frames[:, t]
            elif true_flags is None:
                x = frames[:, t] if t < input_length else previous
            else:
                flag = true_flags[:, t].view(batch, 1, 1, 1)
                x = flag * frames[:, t] + (1 - flag) * previous
            z = self.encode(x)
            if states is None:
                states = [z.new_zeros(batch, cell.hidden, *z.shape[-2:]) for cell in self.cells]
            for i, cell in enumerate(self.cells):
                states[i] = cell(z if i == 0 else states[i - 1], states[i])
            previous = torch.sigmoid(self.decode(states[-1]))
            predictions.append(previous)
        return torch.stack(predictions, dim=1), {}
