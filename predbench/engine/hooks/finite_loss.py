"""Stop training at the first non-finite loss, naming a checkpoint that is safe to resume from."""
import math
import os.path as osp

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ...registry import HOOKS
from ...utils.errors import TrainingDivergedError
from ..checkpoint_io import write_checkpoint_pointer
from ..divergence import describe_last_good, last_good_checkpoint


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`TrainingDivergedError` when a logged loss of iteration n is NaN/inf.

    Its priority is above the checkpoint hook's, so the iteration that diverged is never saved.
    The message names the newest checkpoint of an iteration <= n - 2 whose weights and optimizer
    state are finite (see ``engine/divergence.py``), and MMEngine's ``last_checkpoint`` pointer is
    moved to it, so a plain ``--resume`` continues from there (with a lower learning rate).
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        bad = {}
        for name, value in outputs.items():
            number = float(value.detach()) if torch.is_tensor(value) else float(value)
            if not math.isfinite(number):
                bad[name] = number
        if not bad:
            return
        iteration = runner.iter + 1
        folder = runner.work_dir
        good = last_good_checkpoint(folder, iteration)
        if good is not None and is_main_process():
            write_checkpoint_pointer(folder, good[0])
        terms = ', '.join(f'{k}={v}' for k, v in bad.items())
        raise TrainingDivergedError(
            f'non-finite loss at iteration {iteration} ({terms}); training stopped in '
            f'{osp.abspath(folder)}: {describe_last_good(folder, iteration)}')
