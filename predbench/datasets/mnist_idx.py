"""Read and write MNIST's IDX image files (plain or gzipped) with numpy alone.

IDX is the format MNIST is distributed in: a big-endian header (magic, count, rows, cols)
followed by raw uint8 pixels. Parsing it here avoids a dependency on torchvision's MNIST class.
"""
import gzip
import os.path as osp
import struct

import numpy as np

from ..utils.errors import DataError
from ..utils.fileio import atomic_write_bytes

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte data, 3 dimensions
IDX_HEADER = struct.Struct('>iiii')  # magic, count, rows, cols
GZIP_MAGIC = b'\x1f\x8b'
GZIP_LEVEL = 6  # gzip's own default: level 9 takes 5x longer for 1% less


def _read_bytes(path: str) -> bytes:
    """The file's content, decompressed when it is gzipped (by content, not by name)."""
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f'{path}: corrupted gzip data ({e}); download it again') from e
    return raw


def read_idx_images(path: str) -> np.ndarray:
    """Load an IDX image file as uint8 [N, rows, cols], refusing anything but complete images."""
    if not osp.isfile(path):
        raise DataError(f'{path} not found: download it with python tools/data/prepare_mmnist.py')
    raw = _read_bytes(path)
    if len(raw) < IDX_HEADER.size:
        raise DataError(f'{path}: {len(raw)} bytes is too short for an IDX header')
    magic, count, rows, cols = IDX_HEADER.unpack_from(raw)
    if magic != IDX_IMAGES_MAGIC:
        raise DataError(
            f'{path}: IDX magic is {magic}, expected {IDX_IMAGES_MAGIC} (an images file such as '
            f'train-images-idx3-ubyte.gz; labels files have magic 2049)')
    expected = IDX_HEADER.size + count * rows * cols
    if count <= 0 or rows <= 0 or cols <= 0 or len(raw) != expected:
        raise DataError(
            f'{path}: header says {count} images of {rows}x{cols} ({expected} bytes) but the file '
            f'holds {len(raw)} bytes; download it again')
    return np.frombuffer(raw, np.uint8, offset=IDX_HEADER.size).reshape(count, rows, cols)



def write_idx_images(path: str, images: np.ndarray) -> None:
    """Write uint8 [N, rows, cols] as IDX, gzipped when ``path`` ends in .gz, atomically."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f'IDX images must be uint8 [N, rows, cols], got {images.dtype} '
                         f'{images.shape}')
    payload = IDX_HEADER.pack(IDX_IMAGES_MAGIC, *images.shape) + images.tobytes()
    if path.endswith('.gz'):
        # mtime=0 makes the output byte-identical across runs.
        payload = gzip.compress(payload, compresslevel=GZIP_LEVEL, mtime=0)
    atomic_write_bytes(payload, path)
