"""Moving MNIST in its four forms behind one registered name, ``MovingMNIST``.

``source`` chooses the form:

- ``'generated'``: the standard training protocol, sequences drawn on the fly from MNIST IDX digits
  (``digit_range`` keeps training and validation digits apart);
- ``'sprites'``: the same generator over procedural Hershey-font digits (the demo's Moving Digits,
  no download);
- ``'test_seq'``: the standard fixed test set ``mnist_test_seq.npy``, uint8 (20, N, 64, 64);
- ``'npz'``: the original PredRNN release's npz files (float32 in [0, 1]).
"""
import os.path as osp
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch.utils.data import Dataset

from ..registry import DATASETS
from ..utils.errors import ConfigError, DataError
from .digit_sprites import SPRITE_BANK_SIZE, render_digit_sprites
from .mapped_array import MappedArray
from .mnist_idx import read_idx_images
from .moving_digits import DEFAULT_CANVAS, STEP_LENGTH, generate_sequence, sequence_rng
from .npz_clips import NpzClips

SOURCES = ('generated', 'sprites', 'test_seq', 'npz')
DEFAULT_FILES = {
    'generated': 'train-images-idx3-ubyte.gz',
    'test_seq': 'mnist_test_seq.npy',
}
PREPARE_HINT = 'prepare it with python tools/data/prepare_mmnist.py'
TEST_SEQ_FRAMES_AXIS = 0  # mnist_test_seq.npy is time first: (T, N, H, W)

PathOrPaths = Union[str, Sequence[str]]


def _resolve(data_root: str, name: str) -> str:
    """``name`` under ``data_root`` unless it is absolute."""
    return name if osp.isabs(name) else osp.join(data_root, name)


def _find_digits_file(data_root: str, name: PathOrPaths) -> str:
    """The digits file, accepting the un-gzipped twin of a ``.gz`` name (users often gunzip)."""
    if not isinstance(name, str):
        raise ConfigError(f'dataset.data_file must be one IDX file for source="generated", got '
                          f'{name!r}')
    path = _resolve(data_root, name)
    if not osp.isfile(path) and path.endswith('.gz') and osp.isfile(path[:-3]):
        return path[:-3]
    if not osp.isfile(path):
        raise DataError(f'{path} not found: {PREPARE_HINT} --out {data_root}')
    return path


@DATASETS.register_module()
class MovingMNIST(Dataset):
    """Moving MNIST sequences as ``{'inputs': [T, 1, H, W], 'data_samples': {'index': i}}``.

    Generated sources yield uint8 (the preprocessor divides by 255); ``npz`` yields the stored
    float32 values. With ``fresh=True`` a generated dataset also accepts indices >= ``len`` so a
    sampler can yield ``epoch * len + i`` and every epoch sees new sequences. ``data_file`` is
    relative to ``data_root`` (one IDX file, one .npy, or one or several npz files); ``split`` only
    labels the dataset in ``metainfo``.
    """

    def __init__(self,
                 data_root: str = 'data/moving_mnist',
                 source: str = 'generated',
                 data_file: Optional[PathOrPaths] = None,
                 split: str = 'train',
                 seq_length: int = 20,
                 num_sequences: int = 10000,
                 num_digits: int = 2,
                 digit_range: Optional[Tuple[int, int]] = None,
                 image_size: int = DEFAULT_CANVAS,
                 step_length: float = STEP_LENGTH,
                 seed: int = 0,
                 fresh: bool = False):
        if source not in SOURCES:
            raise ConfigError(f'dataset.source={source!r} is not one of {list(SOURCES)}')
        if seq_length < 1:
            raise ConfigError(f'dataset.seq_length must be >= 1, got {seq_length}')
        self.data_root = data_root
        self.source = source
        self.split = split
        self.seq_length = seq_length
        self.fresh_draws = False
        self._digits: Optional[np.ndarray] = None
        self._test_seq: Optional[MappedArray] = None
        self._npz: Optional[NpzClips] = None

        if source in ('generated', 'sprites'):
            self._init_generator(data_file, num_sequences, num_digits, digit_range, image_size,
                                 step_length, seed, fresh)
        elif fresh:
            raise ConfigError(f'dataset.fresh=True needs a generated source, not {source!r}')
        elif source == 'test_seq':
            self._init_test_seq(data_file or DEFAULT_FILES['test_seq'])
        else:
            self._init_npz(data_file)

    def _init_generator(self, data_file: Optional[PathOrPaths], num_sequences: int,
                        num_digits: int, digit_range: Optional[Tuple[int, int]],
                        image_size: int, step_length: float, seed: int, fresh: bool) -> None:
        if num_sequences < 1 or num_digits < 1:
            raise ConfigError(f'dataset.num_sequences and num_digits must be >= 1, got '
                              f'{num_sequences} and {num_digits}')
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f'dataset.seed must be a non-negative int, got {seed!r}')
        if self.source == 'sprites':
            if data_file is not None:
                raise ConfigError('dataset.data_file must be None for source="sprites" '
                                  '(its digits are rendered, not read)')
            start, stop = digit_range or (0, SPRITE_BANK_SIZE)
            self._check_range(start, stop, None, 'the sprite bank')
            self._digits = render_digit_sprites((start, stop))
            self.data_file = None
        else:
            self.data_file = _find_digits_file(self.data_root,
                                               data_file or DEFAULT_FILES['generated'])
            digits = read_idx_images(self.data_file)
            start, stop = digit_range or (0, len(digits))
            self._check_range(start, stop, len(digits), self.data_file)
            self._digits = digits[start:stop]
        if max(self._digits.shape[1:]) > image_size:
            raise ConfigError(f'dataset.image_size={image_size} is smaller than the digits '
                              f'({self._digits.shape[1]}x{self._digits.shape[2]})')
        self.digit_range = (int(start), int(stop))
        self.num_sequences = num_sequences
        self.num_digits = num_digits
        self.image_size = (image_size, image_size)
        self.step_length = step_length
        self.seed = int(seed)
        self.fresh_draws = bool(fresh)

    @staticmethod
    def _check_range(start: int, stop: int, available: Optional[int], what: str) -> None:
        if not 0 <= start < stop or (available is not None and stop > available):
            limit = f' within [0, {available}]' if available is not None else ''
            raise ConfigError(f'dataset.digit_range=({start}, {stop}) must satisfy '
                              f'0 <= start < stop{limit} for {what}')

    def _init_test_seq(self, data_file: PathOrPaths) -> None:
        if not isinstance(data_file, str):
            raise ConfigError(f'dataset.data_file must be one path for source="test_seq", got '
                              f'{data_file!r}')
        path = _resolve(self.data_root, data_file)
        if not osp.isfile(path):
            raise DataError(f'{path} not found: {PREPARE_HINT} --out {self.data_root}')
        try:
            data = np.load(path, mmap_mode='r', allow_pickle=False)
        except ValueError as e:
            raise DataError(f'{path}: not a readable .npy file ({e})') from e
        if data.dtype != np.uint8 or data.ndim != 4 or data.shape[0] < 1 or data.shape[1] < 1:
            raise DataError(f'{path}: got {data.dtype} {data.shape}, expected uint8 (T, N, H, W) '
                            f'time first like mnist_test_seq.npy (20, 10000, 64, 64)')
        if self.seq_length > data.shape[TEST_SEQ_FRAMES_AXIS]:
            raise ConfigError(f'dataset.seq_length={self.seq_length} exceeds the '
                              f'{data.shape[0]} frames per sequence of {path}')
        self.data_file = path
        self._test_seq = MappedArray.from_memmap(data)
        self.image_size = tuple(data.shape[2:])

    def _init_npz(self, data_file: Optional[PathOrPaths]) -> None:
        if not data_file:
            raise ConfigError('dataset.data_file must name the npz file(s) for source="npz", '
                              'e.g. "moving-mnist-train.npz"')
        names = [data_file] if isinstance(data_file, str) else list(data_file)
        paths = [_resolve(self.data_root, n) for n in names]
        for path in paths:
            if not osp.isfile(path):
                raise DataError(f'{path} not found: the original PredRNN npz files come with its '
                                f'release; for the standard files use {PREPARE_HINT}')
        self._npz = NpzClips(paths)
        if self._npz.seq_length != self.seq_length:
            raise ConfigError(f'dataset.seq_length={self.seq_length} but the sequences of '
                              f'{paths} have {self._npz.seq_length} frames (input + output)')
        if self._npz.frame_shape[0] != 1:
            raise DataError(f'{paths}: frames have {self._npz.frame_shape[0]} channels, expected 1')
        self.data_file = paths
        self.image_size = tuple(self._npz.frame_shape[1:])

    def __len__(self) -> int:
        if self._digits is not None:
            return self.num_sequences
        if self._test_seq is not None:
            return self._test_seq.shape[1]
        return len(self._npz)

    def _check_index(self, index: int) -> int:
        index = int(index)
        length = len(self)
        if self.fresh_draws and index >= 0:
            return index
        if not -length <= index < length:
            raise IndexError(f'index {index} out of range for {length} sequences')
        return index % length

    def __getitem__(self, index: int) -> Dict[str, Any]:
        index = self._check_index(index)
        if self._digits is not None:
            frames = generate_sequence(self._digits, sequence_rng(self.seed, index),
                                       self.seq_length, self.num_digits, self.image_size[0],
                                       self.step_length)
            clip = frames[:, None]
        elif self._test_seq is not None:
            clip = np.ascontiguousarray(self._test_seq[:self.seq_length, index])[:, None]
        else:
            clip = self._npz[index]
        return {'inputs': torch.from_numpy(clip), 'data_samples': {'index': index}}

    @property
    def metainfo(self) -> Dict[str, Any]:
        """What the sequences are: shown in logs and used by visualisers."""
        info = dict(dataset_name='MovingMNIST', source=self.source, split=self.split,
                    seq_length=self.seq_length, image_size=self.image_size, num_channels=1,
                    num_sequences=len(self), data_file=self.data_file)
        if self._digits is not None:
            info.update(num_digits=self.num_digits, digit_range=self.digit_range, seed=self.seed,
                        fresh_draws=self.fresh_draws)
        return info
