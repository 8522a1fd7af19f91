"""Moving MNIST in its four forms, one registered dataset class each, behind one base.

- :class:`GeneratedMovingMNIST`: the standard training protocol, sequences drawn on the fly from
  MNIST IDX digits (``digit_range`` keeps training and validation digits apart);
- :class:`MovingDigits`: the same generator over procedural Hershey-font digits (the demo's
  Moving Digits, no download);
- :class:`MovingMNISTTestSeq`: the standard fixed test set ``mnist_test_seq.npy``, uint8
  (20, N, 64, 64) time first (``layout='NTHW'`` reads a sequences-first file);
- :class:`MovingMNISTNpz`: the original PredRNN release's npz files (float32 in [0, 1]).

``dict(type='MovingMNIST', source=...)`` still builds them: :func:`MovingMNIST` picks the class
of ``source`` from :data:`SOURCES`.
"""
import inspect
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

DEFAULT_ROOT = 'data/moving_mnist'
DIGITS_FILE = 'train-images-idx3-ubyte.gz'
TEST_SEQ_FILE = 'mnist_test_seq.npy'
TEST_SEQ_FRAMES = 20  # frames per sequence of the standard mnist_test_seq.npy (20, 10000, 64, 64)
LAYOUTS = ('TNHW', 'NTHW')  # time first (the standard file) or sequences first
PREPARE_HINT = 'prepare it with python tools/data/prepare_mmnist.py'

PathOrPaths = Union[str, Sequence[str]]


def _resolve(data_root: str, name: str) -> str:
    """``name`` under ``data_root`` unless it is absolute."""
    return name if osp.isabs(name) else osp.join(data_root, name)


def _find_digits_file(data_root: str, name: PathOrPaths) -> str:
    """The digits file, accepting the un-gzipped twin of a ``.gz`` name (users often gunzip)."""
    if not isinstance(name, str):
        raise ConfigError(f'dataset.data_file must be one IDX file for GeneratedMovingMNIST, got '
                          f'{name!r}')
    path = _resolve(data_root, name)
    if not osp.isfile(path) and path.endswith('.gz') and osp.isfile(path[:-3]):
        return path[:-3]
    if not osp.isfile(path):
        raise DataError(f'{path} not found: {PREPARE_HINT} --out {data_root}')
    return path


class MovingMNISTBase(Dataset):
    """Sequences as ``{'inputs': [T, 1, H, W], 'data_samples': {'index': i}}``, one per index.

    Subclasses set ``image_size`` and ``data_file`` and implement ``__len__`` and ``_clip``.
    ``split`` only labels the dataset in ``metainfo``.
    """
    source = ''  # the ``source`` name of the MovingMNIST factory, shown in metainfo
    fresh_draws = False  # True: indices >= len draw new sequences (ResumableInfiniteSampler)

    def __init__(self, data_root: str = DEFAULT_ROOT, split: str = 'train', seq_length: int = 20):
        if seq_length < 1:
            raise ConfigError(f'dataset.seq_length must be >= 1, got {seq_length}')
        self.data_root = data_root
        self.split = split
        self.seq_length = seq_length
        self.data_file: Optional[PathOrPaths] = None
        self.image_size: Tuple[int, int] = (0, 0)

    def __len__(self) -> int:
        raise NotImplementedError

    def _clip(self, index: int) -> np.ndarray:
        """Sequence ``index`` (already checked) as [T, 1, H, W]."""
        raise NotImplementedError

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
        return {'inputs': torch.from_numpy(self._clip(index)), 'data_samples': {'index': index}}

    def _extra_metainfo(self) -> Dict[str, Any]:
        return {}

    @property
    def metainfo(self) -> Dict[str, Any]:
        """What the sequences are: shown in logs and used by visualisers."""
        info = dict(dataset_name='MovingMNIST', dataset_type=type(self).__name__,
                    source=self.source, split=self.split, seq_length=self.seq_length,
                    image_size=self.image_size, num_channels=1, num_sequences=len(self),
                    data_file=self.data_file)
        info.update(self._extra_metainfo())
        return info


class _GeneratedSequences(MovingMNISTBase):
    """Bouncing digits drawn from a digit bank: sequence ``i`` is a pure function of (seed, i)."""

    def __init__(self, digits: np.ndarray, digit_range: Tuple[int, int], data_root: str,
                 split: str, seq_length: int, num_sequences: int, num_digits: int,
                 image_size: int, step_length: float, seed: int, fresh: bool):
        super().__init__(data_root, split, seq_length)
        if num_sequences < 1 or num_digits < 1:
            raise ConfigError(f'dataset.num_sequences and num_digits must be >= 1, got '
                              f'{num_sequences} and {num_digits}')
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f'dataset.seed must be a non-negative int, got {seed!r}')
        if max(digits.shape[1:]) > image_size:
            raise ConfigError(f'dataset.image_size={image_size} is smaller than the digits '
                              f'({digits.shape[1]}x{digits.shape[2]})')
        self._digits = digits
        self.digit_range = (int(digit_range[0]), int(digit_range[1]))
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

    def __len__(self) -> int:
        return self.num_sequences

    def _clip(self, index: int) -> np.ndarray:
        frames = generate_sequence(self._digits, sequence_rng(self.seed, index), self.seq_length,
                                   self.num_digits, self.image_size[0], self.step_length)
        return frames[:, None]

    def _extra_metainfo(self) -> Dict[str, Any]:
        return dict(num_digits=self.num_digits, digit_range=self.digit_range, seed=self.seed,
                    fresh_draws=self.fresh_draws)


@DATASETS.register_module()
class GeneratedMovingMNIST(_GeneratedSequences):
    """Moving MNIST drawn on the fly from an MNIST IDX digits file, as uint8 clips.

    ``data_file`` (relative to ``data_root``) is the IDX file; ``digit_range`` selects its
    digits. With ``fresh=True`` indices >= ``len`` are accepted, so a sampler yielding
    ``epoch * len + i`` draws new sequences every epoch.
    """
    source = 'generated'

    def __init__(self, data_root: str = DEFAULT_ROOT, data_file: str = DIGITS_FILE,
                 split: str = 'train', seq_length: int = 20, num_sequences: int = 10000,
                 num_digits: int = 2, digit_range: Optional[Tuple[int, int]] = None,
                 image_size: int = DEFAULT_CANVAS, step_length: float = STEP_LENGTH,
                 seed: int = 0, fresh: bool = False):
        path = _find_digits_file(data_root, data_file or DIGITS_FILE)
        digits = read_idx_images(path)
        start, stop = digit_range or (0, len(digits))
        self._check_range(start, stop, len(digits), path)
        super().__init__(digits[start:stop], (start, stop), data_root, split, seq_length,
                         num_sequences, num_digits, image_size, step_length, seed, fresh)
        self.data_file = path


@DATASETS.register_module()
class MovingDigits(_GeneratedSequences):
    """Moving Digits: the Moving MNIST generator over procedural Hershey-font digit sprites.

    Sprite ``k`` shows digit ``k % 10`` and is a pure function of ``k``; ``digit_range`` selects
    sprites of the bank (default 0..10,000). Nothing is read from disk.
    """
    source = 'sprites'

    def __init__(self, data_root: str = DEFAULT_ROOT, split: str = 'train', seq_length: int = 20,
                 num_sequences: int = 10000, num_digits: int = 2,
                 digit_range: Optional[Tuple[int, int]] = None, image_size: int = DEFAULT_CANVAS,
                 step_length: float = STEP_LENGTH, seed: int = 0, fresh: bool = False):
        start, stop = digit_range or (0, SPRITE_BANK_SIZE)
        self._check_range(start, stop, None, 'the sprite bank')
        super().__init__(render_digit_sprites((start, stop)), (start, stop), data_root, split,
                         seq_length, num_sequences, num_digits, image_size, step_length, seed,
                         fresh)


@DATASETS.register_module()
class MovingMNISTTestSeq(MovingMNISTBase):
    """The fixed test set ``mnist_test_seq.npy``: uint8 (T, N, H, W), time first, memory-mapped.

    ``layout`` says which axis is time: ``'TNHW'`` (the standard file, (20, 10000, 64, 64)) or
    ``'NTHW'`` (sequences first). Left as None, only a file with the standard 20 frames on its
    first axis (and not on its second) is accepted; any other shape must declare its layout.
    ``seq_length`` takes the first frames of each sequence.
    """
    source = 'test_seq'

    def __init__(self, data_root: str = DEFAULT_ROOT, data_file: str = TEST_SEQ_FILE,
                 split: str = 'test', seq_length: int = 20, layout: Optional[str] = None):
        super().__init__(data_root, split, seq_length)
        if not isinstance(data_file, str):
            raise ConfigError(f'dataset.data_file must be one path for MovingMNISTTestSeq, got '
                              f'{data_file!r}')
        if layout is not None and layout not in LAYOUTS:
            raise ConfigError(f'dataset.layout={layout!r} is not one of {list(LAYOUTS)} (time '
                              f'first like mnist_test_seq.npy, or sequences first)')
        path = _resolve(data_root, data_file)
        if not osp.isfile(path):
            raise DataError(f'{path} not found: {PREPARE_HINT} --out {data_root}')
        try:
            data = np.load(path, mmap_mode='r', allow_pickle=False)
        except ValueError as e:
            raise DataError(f'{path}: not a readable .npy file ({e})') from e
        if data.dtype != np.uint8 or data.ndim != 4 or min(data.shape[:2]) < 1:
            raise DataError(f'{path}: got {data.dtype} {data.shape}, expected uint8 (T, N, H, W) '
                            f'time first like mnist_test_seq.npy (20, 10000, 64, 64)')
        self.layout = layout or self._infer_layout(path, data.shape)
        self._time_axis = self.layout.index('T')
        frames = data.shape[self._time_axis]
        if seq_length > frames:
            raise ConfigError(f'dataset.seq_length={seq_length} exceeds the {frames} frames per '
                              f'sequence of {path} (layout {self.layout})')
        self.data_file = path
        self._sequences = MappedArray.from_memmap(data)
        self.image_size = tuple(data.shape[2:])

    @staticmethod
    def _infer_layout(path: str, shape: Tuple[int, ...]) -> str:
        """'TNHW' for the standard file's shape; an error naming the fix for anything else."""
        if shape[0] == TEST_SEQ_FRAMES and shape[1] != TEST_SEQ_FRAMES:
            return 'TNHW'
        guess = (f'it looks sequences first: set dataset.layout="NTHW" if it holds {shape[0]} '
                 f'sequences of {shape[1]} frames' if shape[1] == TEST_SEQ_FRAMES
                 else 'set dataset.layout="TNHW" (time first) or "NTHW" (sequences first)')
        raise DataError(f'{path}: shape {tuple(shape)} does not tell which axis is time; '
                        f'expected time first (T, N, H, W) like mnist_test_seq.npy '
                        f'(20, 10000, 64, 64); {guess}')

    def __len__(self) -> int:
        return self._sequences.shape[1 - self._time_axis]

    def _clip(self, index: int) -> np.ndarray:
        if self._time_axis == 0:
            frames = self._sequences[:self.seq_length, index]
        else:
            frames = self._sequences[index, :self.seq_length]
        return np.ascontiguousarray(frames)[:, None]

    def _extra_metainfo(self) -> Dict[str, Any]:
        return dict(layout=self.layout)


@DATASETS.register_module()
class MovingMNISTNpz(MovingMNISTBase):
    """The original PredRNN release's npz files, as float32 clips with the stored values.

    ``data_file`` is one file or a list (concatenated in order, each sequence reading its own
    file's frames); ``seq_length`` must equal the files' input + output length.
    """
    source = 'npz'

    def __init__(self, data_root: str = DEFAULT_ROOT, data_file: Optional[PathOrPaths] = None,
                 split: str = 'train', seq_length: int = 20):
        super().__init__(data_root, split, seq_length)
        if not data_file:
            raise ConfigError('dataset.data_file must name the npz file(s) for MovingMNISTNpz, '
                              'e.g. "moving-mnist-train.npz"')
        names = [data_file] if isinstance(data_file, str) else list(data_file)
        paths = [_resolve(data_root, n) for n in names]
        for path in paths:
            if not osp.isfile(path):
                raise DataError(f'{path} not found: the original PredRNN npz files come with its '
                                f'release; for the standard files use {PREPARE_HINT}')
        self._npz = NpzClips(paths)
        if self._npz.seq_length != seq_length:
            raise ConfigError(f'dataset.seq_length={seq_length} but the sequences of '
                              f'{paths} have {self._npz.seq_length} frames (input + output)')
        if self._npz.frame_shape[0] != 1:
            raise DataError(f'{paths}: frames have {self._npz.frame_shape[0]} channels, expected 1')
        self.data_file = paths
        self.image_size = tuple(self._npz.frame_shape[1:])

    def __len__(self) -> int:
        return len(self._npz)

    def _clip(self, index: int) -> np.ndarray:
        return self._npz[index]


SOURCES = {cls.source: cls for cls in
           (GeneratedMovingMNIST, MovingDigits, MovingMNISTTestSeq, MovingMNISTNpz)}


@DATASETS.register_module(name='MovingMNIST')
def MovingMNIST(data_root: str = DEFAULT_ROOT, source: str = 'generated',
                **kwargs: Any) -> MovingMNISTBase:
    """The dataset class of ``source`` (a key of :data:`SOURCES`) built with ``kwargs``.

    Kept for configs written as ``dict(type='MovingMNIST', source=...)``; new configs name the
    class (``GeneratedMovingMNIST``, ``MovingDigits``, ``MovingMNISTTestSeq``, ``MovingMNISTNpz``).
    """
    if source not in SOURCES:
        raise ConfigError(f'dataset.source={source!r} is not one of {list(SOURCES)}')
    cls = SOURCES[source]
    accepted = inspect.signature(cls).parameters
    unknown = sorted(k for k in kwargs if k not in accepted)
    if unknown:
        raise ConfigError(f'dataset.{unknown[0]} does not apply to source={source!r} '
                          f'({cls.__name__} takes {", ".join(accepted)}); remove it')
    return cls(data_root=data_root, **kwargs)
