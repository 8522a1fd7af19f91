"""What a recurrent predictor feeds itself at each step: the true frame or its own prediction.

Every backbone in predbench rolls out over T frames and returns predictions of frames 1..T-1.
At step t (0..T-2) its input is chosen by a per-sample flag ``true_flags[:, t]`` (1: the true
frame t, 0: the prediction of frame t made at step t-1), mixed exactly like the original release:
``flag * truth + (1 - flag) * prediction``. Without flags (inference), the true frame is used for
t < input_length and the prediction afterwards.
"""
from typing import Optional

import torch

from ..utils.errors import ConfigError


def input_at_step(t: int, truth: torch.Tensor, prediction: Optional[torch.Tensor],
                  true_flags: Optional[torch.Tensor], input_length: Optional[int]) -> torch.Tensor:
    """The input of step ``t``; ``truth`` is [B, T, ...], ``true_flags`` is [B, T-1] or None."""
    if t == 0 or prediction is None:
        return truth[:, t]
    if true_flags is None:
        if input_length is None:
            raise ConfigError('inference needs input_length (the number of observed frames)')
        return truth[:, t] if t < input_length else prediction
    flag = true_flags[:, t].reshape(-1, *([1] * (truth.dim() - 2))).to(truth.dtype)
    return flag * truth[:, t] + (1 - flag) * prediction


def check_true_flags(true_flags: Optional[torch.Tensor], batch: int, steps: int) -> None:
    """Raise a clear error unless ``true_flags`` is None or of shape [batch, steps]."""
    if true_flags is not None and tuple(true_flags.shape) != (batch, steps):
        raise ConfigError(
            f'per-step input flags must have shape [batch, T-1] = [{batch}, {steps}], got '
            f'{list(true_flags.shape)}; check the sampling hook and the clip length')
