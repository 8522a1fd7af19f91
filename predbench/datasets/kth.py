"""KTH action with the original PredRNN release's protocol, from a uint8 memory-mapped cache.

Same persons split, same backwards window search and the same values as the original loader:
each frame is ``cv2.resize(np.float32(frame), (W, H)) / 255`` in float32, computed on the fly
from uint8 frames cached at native size (19 KB per 160x120 frame instead of the original's
128 KB float64 or 64 KB float32 at 128x128).
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from torch.utils.data import Dataset

from ..registry import DATASETS
from ..utils.errors import ConfigError, DataError
from .frame_cache import cache_key, default_cache_dir, load_or_build
from .kth_convert import repair_command
from .kth_layout import (ACTIONS, MIN_SEQ_LENGTH, PREPARE_HINT, parse_persons, scan_videos,
                         window_starts, window_stride)

TRAIN_PERSONS = tuple(range(1, 17))
TEST_PERSONS = tuple(range(17, 26))
SPLITS = ('train', 'val', 'test')
DEFAULT_IMAGE_SIZE = 128
MAX_PIXEL = np.float32(255)  # float32 so the division is the original's float32 division


def _log(message: str) -> None:
    print_log(message, logger='current')


def _hw(image_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """(H, W) from an int (square, as the original) or a pair."""
    if isinstance(image_size, (int, np.integer)):
        size = (int(image_size), int(image_size))
    else:
        size = tuple(int(s) for s in image_size)
    if len(size) != 2 or min(size) < 1:
        raise ConfigError(f'dataset.image_size must be an int or (H, W), got {image_size!r}')
    return size


@DATASETS.register_module()
class KTHAction(Dataset):
    """Windows of ``seq_length`` consecutive KTH frames as float32 [T, 1, H, W] in [0, 1].

    ``split='val'`` takes ``val_persons``, which are then left out of ``'train'``.
    """

    def __init__(self,
                 data_root: str = 'data/kth',
                 split: str = 'train',
                 seq_length: int = 20,
                 image_size: Union[int, Sequence[int]] = DEFAULT_IMAGE_SIZE,
                 train_persons: Sequence[int] = TRAIN_PERSONS,
                 test_persons: Sequence[int] = TEST_PERSONS,
                 val_persons: Sequence[int] = (),
                 actions: Sequence[str] = ACTIONS,
                 cache_dir: Optional[str] = None):
        if split not in SPLITS:
            raise ConfigError(f'dataset.split={split!r} is not one of {list(SPLITS)}')
        if seq_length < MIN_SEQ_LENGTH:
            raise ConfigError(f'dataset.seq_length must be >= {MIN_SEQ_LENGTH}, got {seq_length}')
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown or not actions:
            raise ConfigError(f'dataset.actions: {unknown or "empty"}; choose from {list(ACTIONS)}')
        self.data_root = data_root
        self.split = split
        self.seq_length = int(seq_length)
        self.image_size = _hw(image_size)
        self.actions = tuple(actions)
        self.persons = self._split_persons(train_persons, test_persons, val_persons)
        self.cache_dir = cache_dir or default_cache_dir('kth')
        self._index_windows()

    def _split_persons(self, train: Sequence[int], test: Sequence[int],
                       val: Sequence[int]) -> List[int]:
        train_ids = parse_persons(train, 'train_persons')
        test_ids = parse_persons(test, 'test_persons')
        val_ids = parse_persons(val, 'val_persons')
        if self.split == 'val':
            if not val_ids:
                raise ConfigError("dataset.split='val' needs dataset.val_persons (e.g. [15, 16])")
            return val_ids
        if self.split == 'test':
            return test_ids
        return [p for p in train_ids if p not in val_ids]

    def _index_windows(self) -> None:
        """Find the windows, then map the frames of the videos that have any."""
        videos = scan_videos(self.data_root, self.actions, self.persons)
        where = (f'{self.data_root} (split {self.split!r}, persons '
                 f'{self.persons[0]:02d}..{self.persons[-1]:02d})' if self.persons
                 else f'{self.data_root} (split {self.split!r}, no persons)')
        if not videos:
            raise DataError(f'{where} has no video folder: {PREPARE_HINT} {self.data_root}')
        frame_paths: List[str] = []
        starts: List[int] = []
        self.videos = []
        num_short = 0
        for video in videos:
            video_starts = window_starts(video.frame_numbers, self.seq_length,
                                         window_stride(video.action, self.seq_length))
            if not video_starts:
                num_short += 1  # too short, or gaps everywhere: the original skips it too
                continue
            starts.extend(len(frame_paths) + s for s in video_starts)
            frame_paths.extend(osp.join(video.folder, f) for f in video.frame_files)
            self.videos.append(video)
        if not starts:
            raise DataError(f'{where} has no window of {self.seq_length} consecutive frames in '
                            f'its {len(videos)} videos: lower dataset.seq_length or check the '
                            f'frame folders')
        self._starts = np.asarray(starts, np.int64)
        key = cache_key(self.data_root, self.split, frame_paths)
        # Under DDP, rank 0 decodes the frames once; the other ranks then map its cache.
        rank, world_size = get_dist_info()
        if world_size > 1 and rank != 0:
            barrier()
        self._frames = load_or_build(self.cache_dir, f'kth_{self.split}_{key}', frame_paths, _log,
                                     repair_hint=self._repair_hint)
        if world_size > 1 and rank == 0:
            barrier()
        self.cache_file = self._frames.filename
        _log(f'KTHAction {self.split}: {len(frame_paths)} frames of {len(self.videos)} videos '
             f'(persons {",".join(f"{p:02d}" for p in self.persons)}), {num_short} videos '
             f'skipped without a {self.seq_length}-frame window, {len(starts)} windows; '
             f'cache {self.cache_file} ({self.cache_bytes / 2**20:.1f} MiB uint8)')
        self.num_skipped_videos = num_short

    def _repair_hint(self, frame_path: str) -> str:
        """What to do about a damaged frame: rerun prepare_kth on its video (exact command)."""
        return repair_command(frame_path, self.data_root)

    @property
    def cache_bytes(self) -> int:
        """Bytes of frames held (memory-mapped) for this split."""
        return int(self._frames.nbytes)

    @property
    def window_starts(self) -> np.ndarray:
        """Start of each window as an index into the cached frames (videos concatenated)."""
        return self._starts.copy()

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        index = int(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f'index {index} out of range for {len(self)} windows')
        index %= len(self)
        start = self._starts[index]
        height, width = self.image_size
        clip = np.empty((self.seq_length, 1, height, width), np.float32)
        for t, frame in enumerate(self._frames[start:start + self.seq_length]):
            # Exactly the original's arithmetic: float32 bilinear resize, then float32 / 255.
            clip[t, 0] = cv2.resize(np.float32(frame), (width, height)) / MAX_PIXEL
        return {'inputs': torch.from_numpy(clip), 'data_samples': {'index': index}}

    @property
    def metainfo(self) -> Dict[str, Any]:
        """What the windows are: shown in logs and used by visualisers."""
        return dict(dataset_name='KTHAction', split=self.split, seq_length=self.seq_length,
                    image_size=self.image_size, num_channels=1, persons=list(self.persons),
                    actions=list(self.actions), num_videos=len(self.videos),
                    num_skipped_videos=self.num_skipped_videos, num_frames=len(self._frames),
                    num_windows=len(self), cache_file=self.cache_file)
