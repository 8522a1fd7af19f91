"""predbench's Runner: MMEngine's, with checked checkpoints, an owned work dir and CPU DDP.

Everything else it needs comes from MMEngine's extension points: ``SafeCheckpointHook`` writes
weights-only checkpoints atomically and never deletes one too early, ``FiniteLossHook`` stops a
diverging run, ``ResumableIterBasedTrainLoop`` resumes without replaying data. What stays here:

* the run's config is checked before anything is built (``utils/config_checks.py``), after the
  backbone's frame shape is taken from the datasets (``utils/config.py`` ``fill_frame_shape``);
* the work dir must be a writable folder, and a training run holds its lock (``work_dir.py``);
* every checkpoint is read weights-only and loaded strictly by the one checked loader
  (``weights.py``); a resumed run says which optimizer settings come from the checkpoint and
  which from the config;
* distributed start-up works on CPUs (gloo, no ``torch.cuda.set_device``).
"""
from typing import Any, Dict, List, Mapping, Optional

import torch
from mmengine.dist import broadcast_object_list, get_dist_info
from mmengine.device import get_device
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from ..registry import RUNNERS
from ..utils.config import fill_frame_shape
from ..utils.config_checks import check_run_config
from ..utils.errors import CheckpointError, PredBenchError, WorkDirInUseError
from .checkpoint_io import find_latest_checkpoint, read_checkpoint, remove_stale_temporaries
from .distributed import init_distributed
from .weights import load_model_weights
from .work_dir import WorkDirLock, check_work_dir

#: Optimizer param-group entries that are not hyper-parameters a user sets.
_NOT_HYPER_PARAMETERS = ('params', 'initial_lr', 'foreach', 'fused', 'capturable',
                         'differentiable', 'maximize', 'decoupled_weight_decay')
#: Entries of a training checkpoint that resuming needs.
_TRAINING_STATE = ('meta', 'state_dict', 'optimizer', 'message_hub')


class _ReadCheckpoint(dict):
    """A checkpoint already read from ``path`` (so MMEngine's resume does not read it again)."""

    def __init__(self, content: Mapping, path: str) -> None:
        super().__init__(content)
        self.path = path


@RUNNERS.register_module()
class PredBenchRunner(Runner):
    """MMEngine's Runner with checked checkpoints, an owned work dir and CPU-capable DDP."""

    def __init__(self, *args, **kwargs) -> None:
        work_dir = kwargs['work_dir'] if 'work_dir' in kwargs else args[1]
        check_work_dir(work_dir)
        super().__init__(*args, **kwargs)

    @classmethod
    def from_cfg(cls, cfg) -> 'PredBenchRunner':
        fill_frame_shape(cfg)  # a Config made without load_config (e.g. in Python)
        check_run_config(cfg)
        return super().from_cfg(cfg)

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed:
            dist_cfg = dict(env_cfg.get('dist_cfg', {}) or {})
            init_distributed(self.launcher, **dist_cfg)
        super().setup_env(env_cfg)

    # -- work dir ownership -------------------------------------------------------------------
    def train(self):
        lock = self._lock_work_dir()
        try:
            return super().train()
        finally:
            lock.release()

    def _lock_work_dir(self) -> WorkDirLock:
        """Rank 0 takes the lock; every rank stops with the same message if it is taken."""
        lock = WorkDirLock(self.work_dir)
        rank, world_size = get_dist_info()
        failure: List[Optional[str]] = [None]
        if rank == 0:
            try:
                lock.acquire()
            except PredBenchError as err:
                failure = [str(err)]
                if world_size == 1:
                    raise
        if world_size > 1:
            broadcast_object_list(failure, src=0)
        if failure[0] is not None:
            raise WorkDirInUseError(failure[0])
        return lock

    # -- checkpoints ------------------------------------------------------------------------
    def load_checkpoint(self, filename: Any, map_location='cpu', strict: bool = True,
                        revise_keys: Optional[list] = None) -> dict:
        """Read ``filename`` weights-only and load it strictly into the model.

        ``strict`` and ``revise_keys`` of MMEngine's signature are ignored: loading is always
        strict, and DDP's ``module.`` prefix (like every other layout) is handled by the loader.
        """
        if map_location == 'default':
            map_location = 'cpu'
        source = getattr(filename, 'path', filename)
        checkpoint = filename if isinstance(filename, Mapping) else \
            read_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        loaded = load_model_weights(model, checkpoint, source=f'checkpoint {source}')
        for note in loaded.notes:
            self.logger.info(f'{source}: {note}')
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {source}')
        return checkpoint

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True, map_location='default') -> None:
        device = get_device() if map_location == 'default' else map_location
        checkpoint = _ReadCheckpoint(read_checkpoint(filename, map_location=device), filename)
        missing = [k for k in _TRAINING_STATE if k not in checkpoint]
        if missing or 'iter' not in checkpoint.get('meta', {}):
            raise CheckpointError(
                f'--resume {filename}: not a training checkpoint of a predbench run (no '
                f'{", ".join(missing) or "meta.iter"}); to start a new training from its weights '
                f'use --cfg-options load_from={filename} without --resume')
        before = optimizer_settings(self.optim_wrapper)
        super().resume(checkpoint, resume_optimizer, resume_param_scheduler, map_location=device)
        self._settle_optimizer_settings(filename, before, resume_optimizer)

    def _settle_optimizer_settings(self, filename: str, config: Optional[List[dict]],
                                   resumed: bool) -> None:
        """Apply the config's optimizer hyper-parameters that differ from the checkpoint's.

        MMEngine restores the whole optimizer state, hyper-parameters included, so a learning
        rate changed in the config would be silently ignored. predbench keeps the state (Adam's
        moments, step counts) and applies the config's hyper-parameters, except those a
        restored parameter scheduler sets; one log line says which came from where.
        """
        checkpoint = optimizer_settings(self.optim_wrapper)
        where = f'resumed from {filename} at iteration {self.iter}'
        if not resumed or config is None or checkpoint is None:
            self.logger.info(where)
            return
        scheduled = {getattr(s, 'param_name', None) for s in _schedulers(self.param_schedulers)}
        applied, ignored = [], []
        for group, (cfg_group, ckpt_group) in enumerate(zip(config, checkpoint)):
            for key, value in cfg_group.items():
                if key not in ckpt_group or _same(ckpt_group[key], value):
                    continue
                name = key if len(config) == 1 else f'{key} (group {group})'
                change = f'{name} {ckpt_group[key]} -> {value}'
                if key in scheduled:
                    ignored.append(f'{name} {value} (the restored param scheduler sets it)')
                    continue
                self.optim_wrapper.param_groups[group][key] = value
                if key == 'lr' and 'initial_lr' in self.optim_wrapper.param_groups[group]:
                    self.optim_wrapper.param_groups[group]['initial_lr'] = value
                applied.append(change)
        kept = ', '.join(f'{k}={v}' for k, v in checkpoint[0].items()) if checkpoint else ''
        message = (f'{where}: weights, optimizer state (moments, step counts), iteration, '
                   f'sampling schedule and data position come from the checkpoint; ')
        if applied:
            message += 'from the config: ' + ', '.join(applied)
        else:
            message += f'optimizer settings equal the config\'s ({kept})'
        if ignored:
            message += '; config values ignored: ' + ', '.join(ignored)
        self.logger.info(message)

    def test(self) -> dict:
        # Load the weights before the test data: a checkpoint that does not fit the config is
        # reported before any (possibly long) dataset preparation.
        if not self._resume:
            self.load_or_resume()
        return super().test()

    def load_or_resume(self) -> None:
        if self._has_loaded:
            return
        if self._resume:
            for path in remove_stale_temporaries(self.work_dir):
                self.logger.info(f'removed {path}, a checkpoint a killed run had not finished')
        if self._resume and self._load_from is None:
            latest = find_latest_checkpoint(self.work_dir)
            if latest is None:
                self.logger.warning(f'--resume: no checkpoint in {self.work_dir} yet; '
                                    f'starting from scratch')
                return
            self.resume(latest)
        elif self._resume:
            self.resume(self._load_from)
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)
        self._has_loaded = True


def optimizer_settings(optim_wrapper: Any) -> Optional[List[Dict[str, Any]]]:
    """Per param group, the hyper-parameters of a built optimizer (None if not built)."""
    if not isinstance(optim_wrapper, OptimWrapper):
        return None
    return [{k: v for k, v in group.items() if k not in _NOT_HYPER_PARAMETERS}
            for group in optim_wrapper.param_groups]


def _schedulers(param_schedulers: Any) -> list:
    if param_schedulers is None:
        return []
    if isinstance(param_schedulers, dict):
        return [s for group in param_schedulers.values() for s in group]
    return list(param_schedulers) if isinstance(param_schedulers, (list, tuple)) else []


def build_runner(cfg) -> Runner:
    """The runner the config names (``runner_type``, MMEngine's RUNNERS), else PredBenchRunner."""
    if cfg.get('runner_type'):
        return RUNNERS.build(cfg)
    return PredBenchRunner.from_cfg(cfg)


def _same(a: Any, b: Any) -> bool:
    """Equality of hyper-parameter values that may be tensors (e.g. a tensor lr)."""
    try:
        return bool(a == b) if not (hasattr(a, 'shape') or hasattr(b, 'shape')) else \
            bool((torch.as_tensor(a) == torch.as_tensor(b)).all())
    except (TypeError, ValueError, RuntimeError):
        return False
