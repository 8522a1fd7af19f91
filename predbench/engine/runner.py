"""predbench's Runner: MMEngine's, with safe checkpoint IO and CPU-capable distributed start-up."""
import os.path as osp

from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.model import is_model_wrapper

from ..registry import RUNNERS
from ..utils.errors import CheckpointError
from .checkpoint_io import (find_latest_checkpoint, load_checkpoint_file,
                            remove_stale_temporaries, to_weights_only)
from .distributed import init_distributed


@RUNNERS.register_module()
class PredBenchRunner(Runner):
    """MMEngine's Runner with three fixes predbench relies on.

    * Checkpoints are saved in a form ``torch.load(weights_only=True)`` reads (torch >= 2.6
      rejects MMEngine's HistoryBuffer otherwise) and written atomically (with the
      ``predbench_atomic_local`` backend of the configs); only resuming the run's own training
      state may fall back to ``weights_only=False`` (checkpoints of plain MMEngine).
    * ``--resume`` without a path finds the newest complete checkpoint even if MMEngine's
      ``last_checkpoint`` pointer is missing or stale.
    * Distributed start-up works on CPUs (gloo, no ``torch.cuda.set_device``).
    """

    _trusted_load = False

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed:
            dist_cfg = dict(env_cfg.get('dist_cfg', {}) or {})
            init_distributed(self.launcher, **dist_cfg)
        super().setup_env(env_cfg)

    def call_hook(self, fn_name: str, **kwargs) -> None:
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            # After every hook added its entries: make the file readable with weights_only=True.
            checkpoint = kwargs['checkpoint']
            for key in list(checkpoint):
                checkpoint[key] = to_weights_only(checkpoint[key])

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._trusted_load = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._trusted_load = False

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        if map_location == 'default':
            map_location = 'cpu'
        checkpoint = load_checkpoint_file(filename, map_location=map_location,
                                          trusted=self._trusted_load)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        from ..models.checkpoint_compat import check_checkpoint_fits
        state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
            else checkpoint
        check_checkpoint_fits(model, state_dict, source=filename)
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

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
            self._has_loaded = True
            return
        if self._resume and self._load_from is not None:
            if not osp.isfile(self._load_from):
                raise CheckpointError(f'--resume {self._load_from}: no such checkpoint file')
            self.resume(self._load_from)
            self._has_loaded = True
            return
        if self._load_from is not None:
            self.load_checkpoint(self._load_from)
            self._has_loaded = True
