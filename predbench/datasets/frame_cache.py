"""A uint8 memory-mapped cache of decoded frames, outside the data folder.

Decoding a KTH split's PNGs takes minutes and, held as the original's floats, more RAM than
most machines have. The cache keeps frames at their native size as uint8 in one ``.npy`` file
that every DataLoader worker maps read-only (shared page cache). Its name carries a hash of the
absolute data folder, the split and every frame file's path, size and mtime, so any change to
the data builds a new cache; it is written to a temporary file and renamed into place.
"""
import hashlib
import json
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional, Sequence

import cv2
import numpy as np

from ..utils.errors import DataError
from ..utils.fileio import atomic_output
from .mapped_array import MappedArray

CACHE_FORMAT_VERSION = 1  # bump when the stored content changes meaning
CACHE_ENV = 'PREDBENCH_CACHE'
KEY_CHARS = 24
# cv2.imread releases the GIL, so threads decode PNGs in parallel without copying frames around.
MAX_DECODE_THREADS = 8
# OpenCV stores colour as BGR(A); the original loader takes PIL's channel 0, which is red.
RED_CHANNEL_IN_BGR = 2


def default_cache_dir(subdir: str) -> str:
    """``$PREDBENCH_CACHE/<subdir>``, else ``~/.cache/predbench/<subdir>``."""
    root = os.environ.get(CACHE_ENV) or osp.join(osp.expanduser('~'), '.cache', 'predbench')
    return osp.join(root, subdir)


def read_gray_frame(path: str) -> np.ndarray:
    """uint8 [H, W]: the channel the original loader reads (PIL's first), or the gray image."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DataError(f'{path}: cannot be decoded as an image; convert the video again with '
                        f'tools/data/prepare_kth.py')
    if image.dtype != np.uint8:
        raise DataError(f'{path}: {image.dtype} pixels, expected 8-bit frames')
    if image.ndim == 3:
        image = image[:, :, RED_CHANNEL_IN_BGR] if image.shape[2] >= 3 else image[:, :, 0]
    return image


def cache_key(data_root: str, split: str, frame_paths: Sequence[str]) -> str:
    """Hash of what the cache content depends on: folder, split, and each file's size and mtime."""
    root = osp.abspath(data_root)
    digest = hashlib.sha256()
    digest.update(json.dumps([CACHE_FORMAT_VERSION, root, split]).encode())
    for path in frame_paths:
        stat = os.stat(path)
        digest.update(f'\n{osp.relpath(path, root)}\t{stat.st_size}\t{stat.st_mtime_ns}'.encode())
    return digest.hexdigest()[:KEY_CHARS]


def _build(path: str, frame_paths: Sequence[str]) -> None:
    """Decode every frame into a temporary .npy next to ``path``, then rename it into place."""
    first = read_gray_frame(frame_paths[0])
    shape = (len(frame_paths),) + first.shape
    with atomic_output(path, suffix='.part') as tmp:
        frames = np.lib.format.open_memmap(tmp, mode='w+', dtype=np.uint8, shape=shape)

        def fill(i: int, frames: np.ndarray = frames) -> None:
            frame = read_gray_frame(frame_paths[i])
            if frame.shape != first.shape:
                raise DataError(f'{frame_paths[i]}: frame of {frame.shape[0]}x{frame.shape[1]} '
                                f'but {frame_paths[0]} is {first.shape[0]}x{first.shape[1]}; '
                                f'all frames of a split must have one size')
            frames[i] = frame

        with ThreadPoolExecutor(min(MAX_DECODE_THREADS, os.cpu_count() or 1)) as pool:
            list(pool.map(fill, range(len(frame_paths))))
        frames.flush()
        del frames


def load_or_build(cache_dir: str, name: str, frame_paths: Sequence[str],
                  log: Optional[Callable[[str], None]] = None) -> MappedArray:
    """The frames of ``frame_paths`` as a read-only uint8 [N, H, W] map, building it if needed."""
    path = osp.join(cache_dir, name + '.npy')
    if osp.isfile(path):
        try:
            frames = np.load(path, mmap_mode='r')
            if frames.dtype == np.uint8 and frames.ndim == 3 and len(frames) == len(frame_paths):
                return MappedArray.from_memmap(frames)
        except ValueError:
            pass  # an unreadable cache file is rebuilt below
    try:
        os.makedirs(cache_dir, exist_ok=True)
    except OSError as e:
        raise DataError(f'cache folder {cache_dir} cannot be created ({e}): set dataset.cache_dir '
                        f'or ${CACHE_ENV} to a writable folder') from e
    if not os.access(cache_dir, os.W_OK):
        raise DataError(f'cache folder {cache_dir} is not writable: set dataset.cache_dir or '
                        f'${CACHE_ENV} to a writable folder')
    if log is not None:
        log(f'decoding {len(frame_paths)} frames into the cache {path} (once per data change)')
    _build(path, frame_paths)
    return MappedArray.from_memmap(np.load(path, mmap_mode='r'))
