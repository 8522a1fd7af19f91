"""Stop training at the first non-finite loss, before a broken model can be checkpointed."""
import math

import torch
from mmengine.hooks import Hook

from ...registry import HOOKS
from ...utils.errors import TrainingDivergedError


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`TrainingDivergedError` naming the iteration when a logged loss is NaN/inf.

    Its priority is above the checkpoint hook's, so the iteration that diverged is never saved
    and the last checkpoint on disk is the last good one.
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
        if bad:
            last = runner.message_hub.get_info('last_ckpt')
            keep = f'the last good checkpoint is {last}' if last else 'no checkpoint was saved yet'
            terms = ', '.join(f'{k}={v}' for k, v in bad.items())
            raise TrainingDivergedError(
                f'non-finite loss at iteration {runner.iter + 1} ({terms}); training stopped and '
                f'{keep}. Lower optim_wrapper.optimizer.lr, or resume with --resume')
