"""Checkpoint files: read without running code from them, written so that none is ever lost.

* **Reading.** Every checkpoint predbench loads (``--resume``, ``load_from``, ``tools/test.py``,
  ``init_model``, the converters, the suites) goes through :func:`read_checkpoint`, which calls
  ``torch.load(weights_only=True)`` with an explicit, short list of safe globals (numpy's array
  and scalar reconstructors, which hold data, never code). A file that needs anything more (a
  pickle that calls ``os.system``, or MMEngine's HistoryBuffer whose pickle calls ``getattr``) is
  refused with one line; no message suggests loading it another way. Damaged files (truncated,
  empty, random bytes, a folder) get one line each saying what is wrong.
* **Writing.** predbench's own checkpoints are weights-only readable: MMEngine's message hub
  (HistoryBuffers, numpy values) is stored as tensors and rebuilt on load (:func:`to_weights_only`,
  :func:`restore_history_buffers`). Files are written atomically (temporary file in the same
  folder, fsync, rename, fsync of the folder) by the ``predbench_atomic_local`` file backend.
"""
import errno
import glob
import os
import os.path as osp
import re
import types
from collections import OrderedDict
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import HistoryBuffer

from ..utils.errors import CheckpointError, StorageError
from ..utils.fileio import atomic_write_bytes

ATOMIC_BACKEND = 'predbench_atomic_local'
HISTORY_BUFFER_MARK = '__predbench_history_buffer__'
CHECKPOINT_SUFFIX = '.pth'
_ZIP_MAGIC = b'PK\x03\x04'
_ITER_CKPT = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend with atomic ``put``/``put_text`` (used for checkpoints).

    A failed write (disk full, read-only folder) leaves no partial file and raises a
    :class:`StorageError` naming the file and the cause.
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        try:
            atomic_write_bytes(obj, str(filepath))
        except OSError as err:
            raise StorageError(f'cannot write {filepath}: {describe_os_error(err)}') from err

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def describe_os_error(err: OSError) -> str:
    """``strerror`` (errno name) of an OSError, with a hint for the common storage failures."""
    name = errno.errorcode.get(err.errno, str(err.errno)) if err.errno else type(err).__name__
    text = f'{err.strerror or err} ({name})'
    if err.errno == errno.ENOSPC:
        text += '; free some space'
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        text += '; the folder must be writable'
    return text


FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)


# -- weights-only form of MMEngine's checkpoint content ----------------------------------------
def to_weights_only(obj: Any) -> Any:
    """A copy of ``obj`` that ``torch.load(weights_only=True)`` can read.

    MMEngine's message hub holds HistoryBuffer objects (their pickles call ``getattr``) and numpy
    values; they become marked dicts of tensors and Python scalars. Functions in a dict (a
    scheduler's state) are left out. Tensors pass unchanged.
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
        # A parameter scheduler's function (OneCycleLR's ``anneal_func``) cannot be read back
        # with weights_only=True; its constructor sets it again, so resuming needs no copy.
        items = [(k, to_weights_only(v)) for k, v in obj.items() if not isinstance(v, FUNCTIONS)]
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


# -- reading ------------------------------------------------------------------------------------
def safe_globals() -> List[Any]:
    """Globals allowed beyond torch's defaults: numpy's data-only reconstructors.

    They rebuild arrays, dtypes and scalars from bytes; none of them can call arbitrary code.
    """
    core = getattr(np, '_core', None) or np.core
    allowed = [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype]
    allowed += [type(np.dtype(t)) for t in (np.float16, np.float32, np.float64, np.int8,
                                               np.int16, np.int32, np.int64, np.uint8, np.bool_)]
    return allowed


def _unsafe_globals(path: str) -> List[str]:
    """The globals a refused file asks for (torch >= 2.5 can list them without unpickling)."""
    lister = getattr(torch.serialization, 'get_unsafe_globals_in_checkpoint', None)
    if lister is None:
        return []
    try:
        allowed = {f'{g.__module__}.{g.__qualname__}' for g in safe_globals()}
        return [g for g in lister(path) if g not in allowed]
    except Exception:  # noqa: BLE001 - only used to make the message more precise
        return []


def checkpoints_in(folder: str) -> List[str]:
    """Checkpoint files in ``folder``, the newest iteration first (then other .pth files)."""
    numbered, others = [], []
    for path in glob.glob(osp.join(folder, '*' + CHECKPOINT_SUFFIX)):
        match = _ITER_CKPT.match(osp.basename(path))
        (numbered.append((int(match.group(1)), path)) if match else others.append(path))
    return [p for _, p in sorted(numbered, reverse=True)] + sorted(others)


def check_checkpoint_path(path: str) -> None:
    """One line if ``path`` is missing, a folder or empty (before a long run starts)."""
    if osp.isdir(path):
        found = checkpoints_in(path)
        hint = (f'give a checkpoint file in it, e.g. {found[0]}' if found
                else 'it holds no .pth checkpoint')
        raise CheckpointError(f'checkpoint {path} is a folder, not a file: {hint}')
    if not osp.exists(path):
        raise CheckpointError(f'checkpoint {path} does not exist')
    if osp.getsize(path) == 0:
        raise CheckpointError(f'checkpoint {path} is empty (0 bytes): it was never written '
                              f'completely; use another checkpoint')


def read_checkpoint(path: str, map_location: Union[str, Callable, torch.device, None] = 'cpu'
                    ) -> Any:
    """Load a checkpoint file with ``weights_only=True``; one-line errors for every failure."""
    path = str(path)
    check_checkpoint_path(path)
    try:
        with open(path, 'rb') as f:
            head = f.read(4)
    except OSError as err:
        raise CheckpointError(f'cannot read checkpoint {path}: {describe_os_error(err)}') from err
    loader = getattr(torch.serialization, 'safe_globals', None)
    try:
        if loader is not None:
            with loader(safe_globals()):
                checkpoint = torch.load(path, map_location=map_location, weights_only=True)
        else:  # torch < 2.5: predbench's own files need no extra globals
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - every failure becomes one line
        raise CheckpointError(_explain_load_failure(path, head, err)) from err
    return restore_history_buffers(checkpoint)


def _cause(err: BaseException) -> str:
    """torch.load's reason without its advice (which would suggest ``weights_only=False``)."""
    lines = [line.strip() for line in str(err).replace('\x1b[1m', '').replace('\x1b[0m', '')
             .splitlines() if line.strip()]
    for line in lines:
        if 'Unpickler error:' in line:
            return line.split('Unpickler error:', 1)[1].strip()[:160]
    first = lines[0] if lines else type(err).__name__
    return '' if 'Weights only load failed' in first else first.split('. ')[0][:160]


def _explain_load_failure(path: str, head: bytes, err: BaseException) -> str:
    cause = _cause(err)
    message = f' ({cause})' if cause else ''
    if head != _ZIP_MAGIC and not head.startswith(b'\x80'):  # neither zip nor (old) pickle
        return (f'{path} is not a PyTorch checkpoint; give a .pth file written by torch.save '
                f'(predbench, the original PredRNN release or OpenSTL)')
    wanted = _unsafe_globals(path) if head == _ZIP_MAGIC else []
    if wanted or 'Unsupported global' in str(err):
        what = f' ({", ".join(wanted[:4])})' if wanted else ''
        return (f'checkpoint {path} cannot be loaded safely: it holds Python objects besides '
                f'tensors{what}, and loading it would run code from the file. predbench reads '
                f'only weights-only checkpoints (its own checkpoints always are)')
    return (f'checkpoint {path} is incomplete or damaged{message}: it was cut short (an '
            f'interrupted copy or download?); copy it again or use another checkpoint')


# -- finding and tidying a work dir's checkpoints -----------------------------------------------
def remove_stale_temporaries(folder: str) -> list:
    """Delete the temporary files of :func:`atomic_write_bytes` left by a killed run."""
    removed = []
    for path in glob.glob(osp.join(folder, '.*.pth.*.tmp')):
        os.remove(path)
        removed.append(path)
    return removed


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint in ``work_dir``, or None.

    Reads MMEngine's ``last_checkpoint`` pointer, and falls back to the highest-numbered
    ``iter_*.pth`` when the pointer is missing, truncated or points at a file that is not there.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target and not osp.isabs(target):
            target = osp.join(work_dir, target)
        if target and osp.isfile(target):
            return target
    numbered = [p for p in checkpoints_in(work_dir) if _ITER_CKPT.match(osp.basename(p))]
    return numbered[0] if numbered else None


def write_checkpoint_pointer(work_dir: str, checkpoint: str) -> None:
    """Point MMEngine's ``last_checkpoint`` file at ``checkpoint`` (atomically)."""
    atomic_write_bytes(checkpoint.encode(), osp.join(work_dir, 'last_checkpoint'))


def checkpoint_iteration(path: str) -> Optional[int]:
    """The iteration in a checkpoint's file name (``iter_N.pth``), or None."""
    match = _ITER_CKPT.match(osp.basename(path))
    return int(match.group(1)) if match else None
