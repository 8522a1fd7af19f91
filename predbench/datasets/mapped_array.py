"""A read-only memory map that pickles as a file reference, not as its content.

Pickling an ``np.memmap`` copies all its data, so DataLoader workers started by 'spawn' or
'forkserver' (the default from Python 3.14) would each receive gigabytes of frames. This wrapper
sends only (file, dtype, shape, offset) and maps the file again in the worker.
"""
from typing import Any, Dict, Tuple

import numpy as np


class MappedArray:
    """A read-only view of an array stored in a file, mapped lazily in each process."""

    def __init__(self, filename: str, dtype: Any, shape: Tuple[int, ...], offset: int = 0,
                 order: str = 'C'):
        self.filename = str(filename)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(s) for s in shape)
        self.offset = int(offset)
        self.order = order
        self._array = None

    @classmethod
    def from_memmap(cls, array: np.memmap) -> 'MappedArray':
        """Wrap a memmap (e.g. from ``np.load(..., mmap_mode='r')``)."""
        order = 'F' if array.flags.f_contiguous and not array.flags.c_contiguous else 'C'
        wrapped = cls(array.filename, array.dtype, array.shape, array.offset, order)
        wrapped._array = array
        return wrapped

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = np.memmap(self.filename, self.dtype, 'r', self.offset, self.shape,
                                    self.order)
        return self._array

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.array[key]

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state['_array'] = None  # the worker maps the file itself
        return state
