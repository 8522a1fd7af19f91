"""BAIR robot pushing with the original PredRNN release's windows, from uint8 memory maps.

The folders written by ``tools/data/prepare_bair.py`` (:mod:`.bair_convert`) are read in the
original's order: source files sorted by name, videos in file order, and every start offset
of each video (stride 1) for both splits, as its ``bair.py`` enumerates them. An item is
``{'inputs': uint8 [T, 3, 64, 64], 'actions': float32 [T, A], 'data_samples': {'index': i}}``;
the data preprocessor divides the frames by 255 in float32, which gives exactly the original's
values (``aux1_arr / 255`` in float64, stored as float32).
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.logging import print_log
from torch.utils.data import Dataset

from ..registry import DATASETS
from ..utils.errors import ConfigError, DataError
from .bair_convert import ACTIONS_FILE, FRAMES_FILE, SPLITS, TOOL, VIDEOS_FILE
from .conversion import RECORD_NAME, read_record
from .frame_cache import open_frames
from .mapped_array import MappedArray

MIN_SEQ_LENGTH = 2


def _log(message: str) -> None:
    print_log(message, logger='current')


def _source_name(folder: str, record) -> str:
    """The name the original sorts by: the source file's (or group folder's) name."""
    return str(record.fingerprint.get('name', osp.basename(folder)))


@DATASETS.register_module()
class BAIRPush(Dataset):
    """Windows of ``seq_length`` consecutive frames of BAIR robot pushing, with their actions.

    Args:
        data_root: the folder ``tools/data/prepare_bair.py`` wrote (``<split>/<file>/``).
        split: ``'train'`` or ``'test'`` (the release's own split, as the original uses it).
        seq_length: frames per window (the original's ``total_length``, 12 for BAIR).
        with_actions: yield ``actions`` [T, A] (needed by action-conditioned models); False
            for frames only (an action-free baseline, or extracted frames without actions).
        max_windows: keep only the first windows (the original's test loop evaluates
            batch_size * (ceil(N / batch_size) - 1) of its N windows; see docs/datasets.md).
    """

    def __init__(self, data_root: str = 'data/bair', split: str = 'train', seq_length: int = 12,
                 with_actions: bool = True, max_windows: Optional[int] = None) -> None:
        if split not in SPLITS:
            raise ConfigError(f'dataset.split={split!r} is not one of {list(SPLITS)}')
        if seq_length < MIN_SEQ_LENGTH:
            raise ConfigError(f'dataset.seq_length must be >= {MIN_SEQ_LENGTH}, got {seq_length}')
        if max_windows is not None and max_windows < 1:
            raise ConfigError(f'dataset.max_windows must be >= 1 or None, got {max_windows}')
        self.data_root = data_root
        self.split = split
        self.seq_length = int(seq_length)
        self.with_actions = bool(with_actions)
        self._open_folders()
        self._index_windows(max_windows)

    def _open_folders(self) -> None:
        """Map every converted file of the split, in the original's order (by source name)."""
        root = osp.join(self.data_root, self.split)
        hint = f'prepare it with {TOOL} BAIR_DIR {self.data_root}'
        if not osp.isdir(root):
            raise DataError(f'{root} not found: {hint}')
        folders = []
        for name in os.listdir(root):
            folder = osp.join(root, name)
            if name.startswith('.') or not osp.isdir(folder):
                continue  # hidden: a conversion in progress or the previous version
            record = read_record(folder)
            if record is None:
                raise DataError(f'{folder} has no completion record ({RECORD_NAME}): its '
                                f'conversion did not finish; rerun {TOOL} BAIR_DIR '
                                f'{self.data_root}')
            folders.append((_source_name(folder, record), folder, record))
        if not folders:
            raise DataError(f'{root} holds no converted BAIR file: {hint}')
        folders.sort(key=lambda entry: entry[0])
        self.files: List[str] = []
        self._frames: List[MappedArray] = []
        self._actions: List[Optional[MappedArray]] = []
        self._videos: List[np.ndarray] = []
        for _, folder, record in folders:
            self._check_unchanged(folder, record)
            frames = open_frames(osp.join(folder, FRAMES_FILE), record.counts.get('frames'))
            if frames is None or frames.ndim != 4 or frames.shape[3] != 3:
                raise DataError(f'{folder}/{FRAMES_FILE} is not the RGB frame cache the '
                                f'conversion wrote; rerun {TOOL} BAIR_DIR {self.data_root} '
                                f'--verify')
            actions = None
            if self.with_actions:
                if 'actions' not in record.counts:
                    raise DataError(
                        f'{folder} has no actions (converted from frames without actions '
                        f'files): convert the softmotion30_44k TFRecords, or set '
                        f'dataset.with_actions=False for a model that takes no actions')
                actions = MappedArray.from_memmap(np.load(osp.join(folder, ACTIONS_FILE),
                                                          mmap_mode='r', allow_pickle=False))
            self.files.append(folder)
            self._frames.append(frames)
            self._actions.append(actions)
            self._videos.append(np.load(osp.join(folder, VIDEOS_FILE), allow_pickle=False))
        widths = {a.shape[1] for a in self._actions if a is not None}
        if len(widths) > 1:
            raise DataError(f'{root}: files with actions of different widths {sorted(widths)}')
        self.num_action_ch = widths.pop() if widths else 0
        self.image_size = tuple(int(s) for s in self._frames[0].shape[1:3])

    def _check_unchanged(self, folder: str, record) -> None:
        for rel, size in record.outputs.items():
            path = osp.join(folder, rel)
            if not osp.isfile(path) or os.stat(path).st_size != size:
                raise DataError(f'{path} changed since its conversion (or is missing): rerun '
                                f'{TOOL} {record.source or "BAIR_DIR"} {self.data_root}')

    def _index_windows(self, max_windows: Optional[int]) -> None:
        """Every start offset of every video, in file, video and offset order."""
        files, starts = [], []
        self.num_videos = 0
        for k, spans in enumerate(self._videos):
            self.num_videos += len(spans)
            for first, length in spans:
                offsets = np.arange(int(length) - self.seq_length + 1, dtype=np.int64)
                files.append(np.full(len(offsets), k, np.int64))
                starts.append(int(first) + offsets)
        self._file_of_window = np.concatenate(files) if files else np.zeros(0, np.int64)
        self._window_start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
        self.num_all_windows = len(self._window_start)
        if max_windows is not None:
            self._file_of_window = self._file_of_window[:max_windows]
            self._window_start = self._window_start[:max_windows]
        if not len(self._window_start):
            raise DataError(f'{osp.join(self.data_root, self.split)}: no video has '
                            f'{self.seq_length} frames; lower dataset.seq_length')
        _log(f'BAIRPush {self.split}: {len(self.files)} files, {self.num_videos} videos, '
             f'{len(self)} windows of {self.seq_length} frames'
             + (f' (the first {len(self)} of {self.num_all_windows})'
                if len(self) < self.num_all_windows else ''))

    def __len__(self) -> int:
        return len(self._window_start)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        index = int(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f'index {index} out of range for {len(self)} windows')
        index %= len(self)
        k, start = int(self._file_of_window[index]), int(self._window_start[index])
        end = start + self.seq_length
        clip = np.ascontiguousarray(self._frames[k][start:end].transpose(0, 3, 1, 2))
        item = {'inputs': torch.from_numpy(clip), 'data_samples': {'index': index}}
        if self.with_actions:
            item['actions'] = torch.from_numpy(np.array(self._actions[k][start:end], np.float32))
        return item

    @property
    def metainfo(self) -> Dict[str, Any]:
        """What the windows are: shown in logs and used by visualisers."""
        return dict(dataset_name='BAIRPush', split=self.split, seq_length=self.seq_length,
                    image_size=self.image_size, num_channels=3,
                    num_action_ch=self.num_action_ch if self.with_actions else 0,
                    num_files=len(self.files), num_videos=self.num_videos,
                    num_windows=len(self), num_all_windows=self.num_all_windows)
