"""MMEngine's checkpoint hook, made to never lose a checkpoint and to write weights-only files."""
import os.path as osp
from typing import Any, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from ...registry import HOOKS
from ...utils.errors import StorageError, TrainingDivergedError
from ..checkpoint_io import ATOMIC_BACKEND, find_latest_checkpoint, to_weights_only
from ..divergence import describe_last_good, trainable_state_is_finite


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` only queue the path; :meth:`flush` deletes."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.pending: List[str] = []

    def remove(self, path: str) -> None:
        self.pending.append(path)

    def rmtree(self, path: str) -> None:
        self.pending.append(path)

    def flush(self, keep: set) -> None:
        """Delete the queued paths except those in ``keep`` (rank 0 only)."""
        pending, self.pending = self.pending, []
        if not is_main_process():
            return
        for path in pending:
            if path in keep:
                continue
            if self._backend.isfile(path):
                self._backend.remove(path)
            elif self._backend.isdir(path):
                self._backend.rmtree(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's CheckpointHook (same arguments) with four guarantees.

    * Files are written atomically (``predbench_atomic_local`` backend unless another is given):
      a kill during a write leaves the previous file, never a partial one.
    * An old checkpoint (periodic, or the best-by-validation one) is deleted only after the
      checkpoint replacing it is durable *and* the next iteration's loss was finite (or training
      ended), so at every instant the work dir holds at least as many complete checkpoints as
      before, and the checkpoint to go back to after a divergence is still there.
    * Weights or optimizer state that are not finite are never saved: training stops with a
      message naming the last good checkpoint.
    * Saved files are readable with ``torch.load(weights_only=True)`` (MMEngine's message hub is
      stored as tensors). Its priority is the lowest, so this happens after every other hook
      added its entries to the checkpoint.
    """

    priority = 'LOWEST'

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs) -> None:
        if backend_args is None and kwargs.get('file_client_args') is None:
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(*args, backend_args=backend_args, **kwargs)

    # -- deferred deletion ---------------------------------------------------------------------
    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not isinstance(self.file_backend, _DeferredRemovals):
            self.file_backend = _DeferredRemovals(self.file_backend)

    def _kept_paths(self) -> set:
        keep = {p for p in (getattr(self, 'last_ckpt', None), getattr(self, 'best_ckpt_path', None))
                if p}
        keep |= {p for p in getattr(self, 'best_ckpt_path_dict', {}).values() if p}
        for step in getattr(self, 'keep_ckpt_ids', []) or []:
            keep.add(self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(step)))
        return keep

    def _flush_removals(self) -> None:
        if isinstance(self.file_backend, _DeferredRemovals):
            self.file_backend.flush(self._kept_paths())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        # This iteration's loss was finite (FiniteLossHook runs first): the checkpoints that
        # earlier saves replaced are no longer needed to recover from a divergence.
        self._flush_removals()
        super().after_train_iter(runner, batch_idx, data_batch, outputs)

    def after_train(self, runner) -> None:
        super().after_train(runner)
        self._flush_removals()

    # -- what is written -----------------------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = trainable_state_is_finite(checkpoint)
        if bad is not None:
            iteration = int(checkpoint.get('meta', {}).get('iter', runner.iter))
            raise TrainingDivergedError(
                f'the weights are not finite after iteration {iteration} ({bad}): not saving '
                f'them; {describe_last_good(self._folder(runner), iteration + 1)}')
        for key in list(checkpoint):
            checkpoint[key] = to_weights_only(checkpoint[key])

    def _folder(self, runner) -> str:
        out_dir = getattr(self, 'out_dir', None)
        return out_dir if isinstance(out_dir, str) and osp.isdir(out_dir) else runner.work_dir

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        except StorageError as err:
            raise self._storage_error(runner, err) from err

    def _save_best_checkpoint(self, runner, metrics) -> None:
        try:
            super()._save_best_checkpoint(runner, metrics)
        except StorageError as err:
            raise self._storage_error(runner, err) from err

    def _storage_error(self, runner, err: StorageError) -> StorageError:
        latest = find_latest_checkpoint(self._folder(runner))
        kept = (f'the checkpoints already on disk are intact (newest: {latest}); resume with '
                f'--resume once there is room' if latest else 'no checkpoint was saved yet')
        return StorageError(f'{err}; {kept}')
