"""Which checkpoint a diverged run can safely go back to.

A checkpoint saved after iteration k holds the weights that iteration k + 1 trains from. If the
loss of iteration n is not finite, the weights of iteration n - 1 produced it, so the last *good*
checkpoint is the newest one of an iteration k <= n - 2 whose parameters and optimizer state are
all finite (a learning rate of 1e30 gives finite but useless weights after one step: only the next
loss tells). :class:`~predbench.engine.hooks.SafeCheckpointHook` keeps the checkpoint it replaces
until the next iteration's loss is known to be finite, so that checkpoint is still on disk.
"""
import math
import os.path as osp
from typing import Any, Optional, Tuple

import torch

from ..utils.errors import PredBenchError
from .checkpoint_io import checkpoint_iteration, checkpoints_in, read_checkpoint


def first_non_finite(obj: Any, where: str = '') -> Optional[str]:
    """The path of the first NaN/inf tensor or number inside ``obj`` (dicts, lists), or None."""
    if torch.is_tensor(obj):
        if obj.is_floating_point() or obj.is_complex():
            return None if bool(torch.isfinite(obj).all()) else where or 'tensor'
        return None
    if isinstance(obj, float):
        return None if math.isfinite(obj) else where or 'value'
    if isinstance(obj, dict):
        for key, value in obj.items():
            found = first_non_finite(value, f'{where}.{key}' if where else str(key))
            if found:
                return found
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            found = first_non_finite(value, f'{where}[{i}]')
            if found:
                return found
    return None


def trainable_state_is_finite(checkpoint: dict) -> Optional[str]:
    """None if the model weights and optimizer state are finite, else the first bad entry."""
    return first_non_finite({'state_dict': checkpoint.get('state_dict', {}),
                             'optimizer': checkpoint.get('optimizer', {})})


def last_good_checkpoint(folder: str, diverged_at: int) -> Optional[Tuple[str, int]]:
    """(path, iteration) of the newest checkpoint usable after divergence at ``diverged_at``."""
    for path in checkpoints_in(folder):
        iteration = checkpoint_iteration(path)
        if iteration is None or iteration > diverged_at - 2:
            continue
        try:
            checkpoint = read_checkpoint(path)
        except PredBenchError:
            continue
        if isinstance(checkpoint, dict) and trainable_state_is_finite(checkpoint) is None:
            return path, iteration
    return None


def describe_last_good(folder: str, diverged_at: int) -> str:
    """The end of a divergence message: which checkpoint to resume from, and how."""
    found = last_good_checkpoint(folder, diverged_at)
    if found is None:
        return ('no checkpoint from before the divergence is left, so training must start again; '
                'lower optim_wrapper.optimizer.lr')
    path, iteration = found
    return (f'the last good checkpoint is {osp.basename(path)} (weights after iteration '
            f'{iteration}, whose next loss was finite); lower optim_wrapper.optimizer.lr and '
            f'resume with --resume {path}')
