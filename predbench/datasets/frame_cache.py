"""A uint8 memory-mapped cache of decoded frames, outside the data folder.

Decoding a KTH split's PNGs takes minutes and, held as the original's floats, more RAM than
most machines have. The cache keeps frames at their native size as uint8 in one ``.npy`` file
that every DataLoader worker maps read-only (shared page cache). Its name carries a hash of the
absolute data folder, the split and every frame file's path, size and mtime, so any change to
the data builds a new cache; it is written to a temporary file and renamed into place.

The format is one uint8 ``.npy`` array of frames along axis 0: [N, H, W] (gray) or [N, H, W, C]
(colour). :func:`load_or_build` fills it from frame image files (KTH: the channel the original
loader reads, at native size); :func:`write_frames` from any iterable of frames (a video decoder
from :mod:`.video_io`, resized or converted by the caller), and :func:`open_frames` maps a file
written either way.
"""
import hashlib
import json
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..utils.errors import DataError
from ..utils.fileio import atomic_output
from .conversion import DamagedFileError
from .mapped_array import MappedArray
from .video_io import read_image

CACHE_FORMAT_VERSION = 1  # bump when the stored content changes meaning
CACHE_ENV = 'PREDBENCH_CACHE'
KEY_CHARS = 24
# cv2.imread releases the GIL, so threads decode PNGs in parallel without copying frames around.
MAX_DECODE_THREADS = 8
# OpenCV stores colour as BGR(A); the original loader takes PIL's channel 0, which is red.
RED_CHANNEL_IN_BGR = 2
FRAME_NDIMS = (2, 3)  # [H, W] or [H, W, C]
REDO_ADVICE = 'convert its source again'


def default_cache_dir(subdir: str) -> str:
    """``$PREDBENCH_CACHE/<subdir>``, else ``~/.cache/predbench/<subdir>``."""
    root = os.environ.get(CACHE_ENV) or osp.join(osp.expanduser('~'), '.cache', 'predbench')
    return osp.join(root, subdir)


def read_gray_frame(path: str, advice: str = REDO_ADVICE) -> np.ndarray:
    """uint8 [H, W]: the channel the original loader reads (PIL's first), or the gray image."""
    image = read_image(path, cv2.IMREAD_UNCHANGED, advice)
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


def _check_frame(frame: np.ndarray, shape: Tuple[int, ...], what: str, first: str) -> None:
    if frame.dtype != np.uint8:
        raise DataError(f'{what}: {frame.dtype} pixels, expected uint8')
    if frame.shape != shape:
        raise DataError(f'{what}: frame of shape {frame.shape} but {first} is {shape}; all frames '
                        f'of one cache must have one size')


def write_frames(path: str, frames: Iterable[np.ndarray], num_frames: Optional[int] = None,
                 label: Optional[str] = None) -> None:
    """Store frames from any iterable (a decoder, a list) as a cache file, atomically.

    Frames are uint8, [H, W] (gray) or [H, W, C] (colour), all of one shape; the file is
    [N, H, W] or [N, H, W, C]. With ``num_frames`` they stream straight into the file (an error
    if the iterable yields another number); without it they are gathered in memory first.
    ``label`` names the source in errors (default ``path``).
    """
    label = label or path
    if num_frames is None:
        frames = list(frames)
        num_frames = len(frames)
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None or num_frames < 1:
        raise DataError(f'{label}: no frame to store')
    first = np.asarray(first)
    if first.dtype != np.uint8 or first.ndim not in FRAME_NDIMS:
        raise DataError(f'{label}: frames are {first.dtype} {first.shape}, expected uint8 '
                        f'[H, W] or [H, W, C]')
    with atomic_output(path, suffix='.part') as tmp:
        stored = np.lib.format.open_memmap(tmp, mode='w+', dtype=np.uint8,
                                           shape=(num_frames,) + first.shape)
        stored[0] = first
        count = 1
        for frame in iterator:
            if count == num_frames:
                raise DataError(f'{label}: more than the {num_frames} frames expected')
            _check_frame(np.asarray(frame), first.shape, f'{label} (frame {count + 1})',
                         'the first')
            stored[count] = frame
            count += 1
        if count != num_frames:
            raise DataError(f'{label}: {count} frames, expected {num_frames}')
        stored.flush()
        del stored


def open_frames(path: str, num_frames: Optional[int] = None) -> Optional[MappedArray]:
    """The cache file ``path`` as a read-only map, or None if absent, unreadable or not a cache."""
    if not osp.isfile(path):
        return None
    try:
        frames = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError):
        return None
    if (frames.dtype != np.uint8 or frames.ndim - 1 not in FRAME_NDIMS
            or (num_frames is not None and len(frames) != num_frames)):
        return None
    return MappedArray.from_memmap(frames)


def _build(path: str, frame_paths: Sequence[str], advice: Callable[[str], str]) -> None:
    """Decode every frame file, in threads, into a temporary .npy renamed into ``path``."""
    def read(frame_path: str) -> np.ndarray:
        try:
            return read_gray_frame(frame_path)
        except DamagedFileError as e:  # the advice is only worked out for a damaged frame
            raise DamagedFileError(e.path, e.reason, advice(frame_path)) from None

    first = read(frame_paths[0])
    shape = (len(frame_paths),) + first.shape
    with atomic_output(path, suffix='.part') as tmp:
        frames = np.lib.format.open_memmap(tmp, mode='w+', dtype=np.uint8, shape=shape)

        def fill(i: int, frames: np.ndarray = frames) -> None:
            frame = read(frame_paths[i])
            _check_frame(frame, first.shape, frame_paths[i], frame_paths[0])
            frames[i] = frame

        with ThreadPoolExecutor(min(MAX_DECODE_THREADS, os.cpu_count() or 1)) as pool:
            list(pool.map(fill, range(len(frame_paths))))
        frames.flush()
        del frames


def load_or_build(cache_dir: str, name: str, frame_paths: Sequence[str],
                  log: Optional[Callable[[str], None]] = None,
                  repair_hint: Optional[Callable[[str], str]] = None) -> MappedArray:
    """The frames of ``frame_paths`` as a read-only uint8 [N, H, W] map, building it if needed.

    ``repair_hint(frame_path)`` says what to do about a frame file that cannot be decoded.
    """
    path = osp.join(cache_dir, name + '.npy')
    frames = open_frames(path, len(frame_paths))
    if frames is not None and frames.ndim == 3:
        return frames
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
    _build(path, frame_paths, repair_hint or (lambda _: REDO_ADVICE))
    return open_frames(path, len(frame_paths))
