"""Reading and writing checkpoints safely.

* Writes are atomic: a checkpoint is written to a temporary file in the same folder, flushed to
  disk and renamed over the target, so a run killed at any moment (SIGKILL included) never
  leaves a half-written file behind.
* Reads distinguish trust. Resuming a run loads the run's own training state (optimizer,
  MMEngine's message hub with its HistoryBuffer objects), which ``torch.load``'s
  ``weights_only=True`` default (torch >= 2.6) rejects, so resume loads with
  ``weights_only=False``. Checkpoints users bring (``load_from``, ``tools/test.py``,
  ``init_model``) keep ``weights_only=True``, with only MMEngine's plain metadata types allowed.
"""
import glob
import os
import os.path as osp
import re
import tempfile
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ..utils.errors import CheckpointError

ATOMIC_BACKEND = 'predbench_atomic_local'


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put``/``put_text`` (used for checkpoints)."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


def _safe_metadata_types() -> list:
    """Types that MMEngine puts in a checkpoint's metadata, safe to unpickle."""
    types: list = [HistoryBuffer, np.ndarray, np.dtype]
    try:
        from numpy.core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - numpy layout differs
        _reconstruct = None
    try:
        from numpy._core.multiarray import _reconstruct as _reconstruct2
        types.append(_reconstruct2)
    except ImportError:  # pragma: no cover
        pass
    if _reconstruct is not None:
        types.append(_reconstruct)
    types += [type(np.dtype(t)) for t in ('float64', 'float32', 'int64', 'int32', 'bool')]
    types += [np.float64, np.float32, np.int64, np.int32, np.bool_]
    if hasattr(np, 'core') and hasattr(np.core, 'multiarray'):
        scalar = getattr(np.core.multiarray, 'scalar', None)
        if scalar is not None:
            types.append(scalar)
    try:
        from numpy._core.multiarray import scalar as scalar2
        types.append(scalar2)
    except ImportError:  # pragma: no cover
        pass
    return types


def load_checkpoint_file(path: str, map_location: Union[str, Callable, None] = 'cpu',
                         trusted: bool = False) -> Any:
    """Load a checkpoint file; ``trusted`` (the run's own, for resuming) allows full unpickling."""
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint {path} does not exist')
    if trusted:
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(_safe_metadata_types()):
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - report any unpickling failure in one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f'cannot load checkpoint {path} safely (torch.load weights_only=True): {first}. '
            f'If it is a checkpoint of the original PredRNN release, convert it with '
            f'python tools/convert_thuml_ckpt.py; if it is your own training checkpoint, '
            f'resume from it with tools/train.py --resume') from err


_ITER_CKPT = re.compile(r'(?:iter|epoch)_(\d+)\.pth$')


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint in ``work_dir``, or None.

    Reads MMEngine's ``last_checkpoint`` pointer, and falls back to the highest-numbered
    ``iter_*.pth`` when the pointer is missing or points at a file that is not there.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target and not osp.isabs(target):
            target = osp.join(work_dir, target)
        if target and osp.isfile(target):
            return target
    candidates = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _ITER_CKPT.search(osp.basename(path))
        if match:
            candidates.append((int(match.group(1)), path))
    return max(candidates)[1] if candidates else None
