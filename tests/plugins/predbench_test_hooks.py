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


def _wait_forever(marker: str) -> None:
    """Tell the test where the run is (a marker file), then wait to be killed."""
    import time
    with open(marker, 'w') as f:
        f.write(str(os.getpid()))
    while True:
        time.sleep(60)


@HOOKS.register_module()
class PauseWhileWritingHook(Hook):
    """Stops the run forever inside the atomic write of ``target``, before its rename.

    At that instant the temporary file of the new checkpoint exists and is complete, and the
    previous checkpoints are all still there: the test SIGKILLs the run then.
    """

    def __init__(self, target: str, marker: str) -> None:
        self.target, self.marker = target, marker

    def before_run(self, runner) -> None:
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if osp.basename(str(dst)) == self.target:
                _wait_forever(self.marker)
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace


@HOOKS.register_module()
class PauseBeforeIterationHook(Hook):
    """Stops the run forever before iteration ``iteration`` (after the previous one's save)."""
    priority = 'VERY_HIGH'

    def __init__(self, iteration: int, marker: str) -> None:
        self.iteration, self.marker = iteration, marker

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter + 1 == self.iteration:
            _wait_forever(self.marker)


@HOOKS.register_module()
class ScaleWeightsHook(Hook):
    """Multiplies every weight by ``factor`` after a given iteration (finite, useless weights)."""
    priority = 'LOWEST'

    def __init__(self, iteration: int, factor: float) -> None:
        self.iteration, self.factor = iteration, factor

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            model = runner.model.module if hasattr(runner.model, 'module') else runner.model
            with torch.no_grad():
                for weight in model.parameters():
                    weight.mul_(self.factor)


@HOOKS.register_module()
class DiskFullHook(Hook):
    """Makes the write of ``target`` fail as a full disk does (ENOSPC)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def before_run(self, runner) -> None:
        import errno
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            if osp.basename(str(dst)) == self.target:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
            return real_replace(src, dst, *args, **kwargs)

        os.replace = replace


@HOOKS.register_module()
class SlowIterationsHook(Hook):
    """Sleeps after every iteration, so that a test can start a second run meanwhile."""

    def __init__(self, seconds: float, marker: str) -> None:
        self.seconds, self.marker = seconds, marker

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        import time
        with open(self.marker, 'w') as f:
            f.write(str(runner.iter + 1))
        time.sleep(self.seconds)


from predbench.engine.runner import PredBenchRunner  # noqa: E402
from predbench.registry import RUNNERS  # noqa: E402


@RUNNERS.register_module()
class RecordingRunner(PredBenchRunner):
    """A user's runner named by ``runner_type``: it leaves a mark in the work dir."""

    def train(self):
        with open(osp.join(self.work_dir, 'recording_runner_was_used'), 'w') as f:
            f.write(type(self).__name__)
        return super().train()
