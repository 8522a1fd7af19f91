"""Reading and writing checkpoints safely.

* Writes are atomic: a checkpoint is written to a temporary file in the same folder, flushed to
  disk and renamed over the target, so a run killed at any moment (SIGKILL included) never
  leaves a half-written file behind.
* predbench's checkpoints hold only tensors and plain Python values: MMEngine's message hub
  (HistoryBuffer objects, numpy values), which ``torch.load``'s ``weights_only=True`` default
  (torch >= 2.6) rejects, is stored as tensors and rebuilt on load. So every checkpoint is read
  with ``weights_only=True``; only resuming a run (the user's own training state) falls back to
  ``weights_only=False`` for checkpoints written by plain MMEngine. Checkpoints users bring
  (``load_from``, ``tools/test.py``, ``init_model``) are never fully unpickled.
"""
import glob
import os
import os.path as osp
import re
import types
from collections import OrderedDict
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ..utils.errors import CheckpointError
from ..utils.fileio import atomic_write_bytes

ATOMIC_BACKEND = 'predbench_atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put``/``put_text`` (used for checkpoints)."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


HISTORY_BUFFER_MARK = '__predbench_history_buffer__'


def to_weights_only(obj: Any) -> Any:
    """A copy of ``obj`` that ``torch.load(weights_only=True)`` can read.

    MMEngine's message hub holds HistoryBuffer objects (their pickles call ``getattr``) and numpy
    values; they become marked dicts of tensors and Python scalars. Functions held in a
    scheduler's state are dropped. Tensors pass unchanged.
    """
    if isinstance(obj, HistoryBuffer):
        log, count = obj.data
        return {HISTORY_BUFFER_MARK: True, 'log': torch.from_numpy(np.array(log, np.float64)),
                'count': torch.from_numpy(np.array(count, np.int64)),
                'max_length': int(obj.max_length)}
    if isinstance(obj, np.ndarray):
        return obj.tolist() if obj.dtype == object else torch.from_numpy(obj.copy())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        # Parameter schedulers keep a function in their state (OneCycleLR's ``anneal_func``,
        # pickled through ``getattr``); building the scheduler from the config sets it again
        # before a resume loads the state, so it is left out.
        items = [(k, to_weights_only(v)) for k, v in obj.items()
                 if not isinstance(v, (types.FunctionType, types.MethodType))]
        return type(obj)(items) if type(obj) in (dict, OrderedDict) else dict(items)
    if type(obj) in (list, tuple):
        return type(obj)(to_weights_only(v) for v in obj)
    return obj


def restore_history_buffers(obj: Any) -> Any:
    """Undo :func:`to_weights_only` for the message hub's HistoryBuffers."""
    if isinstance(obj, dict):
        if obj.get(HISTORY_BUFFER_MARK):
            return HistoryBuffer(obj['log'].numpy(), obj['count'].numpy(), obj['max_length'])
        return type(obj)((k, restore_history_buffers(v)) for k, v in obj.items())
    if type(obj) in (list, tuple):
        return type(obj)(restore_history_buffers(v) for v in obj)
    return obj


def load_checkpoint_file(path: str, map_location: Union[str, Callable, None] = 'cpu',
                         trusted: bool = False) -> Any:
    """Load a checkpoint file; ``trusted`` (the run's own, for resuming) allows full unpickling."""
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint {path} does not exist')
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - report any unpickling failure in one line
        if trusted:
            # The run's own training state from an MMEngine that pickled live objects.
            checkpoint = torch.load(path, map_location=map_location, weights_only=False)
            return restore_history_buffers(checkpoint)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        first = first.replace('\x1b[1m', '').replace('\x1b[0m', '')
        raise CheckpointError(
            f'cannot load checkpoint {path} safely (torch.load weights_only=True): {first}. '
            f'If it is a checkpoint of the original PredRNN release, convert it with '
            f'python tools/convert_thuml_ckpt.py; if it is your own training checkpoint, '
            f'resume from it with tools/train.py --resume') from err
    return restore_history_buffers(checkpoint)


def remove_stale_temporaries(folder: str) -> list:
    """Delete the temporary files of :func:`atomic_write_bytes` left by a killed run."""
    removed = []
    for path in glob.glob(osp.join(folder, '.*.pth.*.tmp')):
        os.remove(path)
        removed.append(path)
    return removed


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
