"""Hooks the tests load into training runs with ``custom_imports`` (not part of predbench).

``KillAtIterationHook`` SIGKILLs the process after a given iteration (a crash with no chance to
clean up); ``RecordSamplingHook`` writes, on every rank, the sampling mask each iteration used
and the loss, so tests can check schedules and losses across ranks and restarts.
"""
import json
import os
import os.path as osp
import signal

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from predbench.registry import HOOKS


@HOOKS.register_module()
class KillAtIterationHook(Hook):
    priority = 'LOWEST'  # after the checkpoint hook of that iteration

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class RecordSamplingHook(Hook):
    priority = 'LOW'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        mask = data_batch.get('sampling_mask')
        index = data_batch['data_samples']['index']
        record = dict(
            iteration=runner.iter + 1, rank=get_rank(),
            mask=None if mask is None else mask.tolist(),
            mode=data_batch.get('sampling_mode'),
            indices=index.tolist() if torch.is_tensor(index) else list(index),
            losses={k: float(v.detach()) if torch.is_tensor(v) else float(v)
                    for k, v in (outputs or {}).items()})
        path = osp.join(runner.work_dir, f'record_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')


@HOOKS.register_module()
class PoisonWeightsHook(Hook):
    """Sets one weight to NaN after a given iteration, so the next loss is not finite."""
    priority = 'LOWEST'

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            model = runner.model.module if hasattr(runner.model, 'module') else runner.model
            weight = next(model.parameters())
            with torch.no_grad():
                weight[(0,) * weight.dim()] = float('nan')
