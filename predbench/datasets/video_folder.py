"""Your own videos: a folder of video files and/or frame folders, as windows of uint8 frames.

``data_root`` is either a folder of raw videos (``.mp4``/``.avi``/``.mov``/``.gif`` files and
folders of frame images, any size, frame rate, grayscale or colour) or a folder prepared from one
by ``tools/data/prepare_videos.py``. A raw folder is decoded once, on first use, into a prepared
copy in the cache (``cache_dir``, default ``$PREDBENCH_CACHE/video_folder`` else
``~/.cache/predbench/video_folder``; one copy per folder and decoding options; a video whose file
changed is decoded again). Both ways go through the one conversion path with damage checks
(:mod:`.video_folder_convert`). Under DDP rank 0 decodes; the other ranks wait and then map.

Videos are split by video (:mod:`.video_folder_layout`: list files or ratios with a seed); a
split's items are the windows of its videos, uint8 [T, C, H, W] read from memory-mapped frames.
"""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from torch.utils.data import Dataset

from ..registry import DATASETS
from ..utils.errors import ConfigError, DataError, PredBenchError
from .frame_cache import open_frames
from .mapped_array import MappedArray
from .video_folder_convert import (DecodeOptions, Manifest, cache_folder, check_entry,
                                   check_prepared, entry_frames_path, is_prepared,
                                   prepare_video_folder, read_manifest)
from .video_folder_layout import (SPLITS, default_stride, split_videos, window_span,
                                  window_starts)

DEFAULT_IMAGE_SIZE = (64, 64)
OPEN_VIDEOS = 64  # memory maps kept open per process (each holds a file descriptor)
LISTED_VIDEOS = 5  # video names shown in a log line


def _log(message: str) -> None:
    print_log(message, logger='current')


def _shown(names: Sequence[str]) -> str:
    more = len(names) - LISTED_VIDEOS
    return ', '.join(names[:LISTED_VIDEOS]) + (f' and {more} more' if more > 0 else '')


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f'dataset.{key}={value!r}: must be an integer >= 1')
    return int(value)


@DATASETS.register_module()
class VideoFolder(Dataset):
    """Windows of ``seq_length`` frames of your own videos as uint8 [T, C, H, W].

    Args:
        data_root: folder of raw videos, or a folder prepared by tools/data/prepare_videos.py.
        split: ``'train'``, ``'val'`` or ``'test'``.
        seq_length: frames per window (observed + predicted).
        image_size: (H, W) or an int (square) the frames are resized to; None keeps the
            videos' own size (which must then be one size).
        channels: 1 (grayscale) or 3 (RGB).
        keep_aspect: scale to cover ``image_size`` and center-crop (True) or stretch (False).
        stride: frames of a video between window starts; default ``seq_length * frame_step``.
        frame_step: take every ``frame_step``-th frame (temporal subsampling).
        split_ratios: (train, val, test) fractions of the videos, used when ``data_root`` has
            no ``train.txt``/``val.txt``/``test.txt`` lists.
        split_seed: seed of the ratio split.
        skip_bad: go on without damaged videos (a warning each) instead of stopping.
        cache_dir: where a raw folder's prepared copy goes.
    """

    def __init__(self,
                 data_root: str = 'data/videos',
                 split: str = 'train',
                 seq_length: int = 20,
                 image_size: Union[int, Sequence[int], None] = DEFAULT_IMAGE_SIZE,
                 channels: int = 3,
                 keep_aspect: bool = True,
                 stride: Optional[int] = None,
                 frame_step: int = 1,
                 split_ratios: Sequence[float] = (0.8, 0.1, 0.1),
                 split_seed: int = 0,
                 skip_bad: bool = False,
                 cache_dir: Optional[str] = None):
        if split not in SPLITS:
            raise ConfigError(f'dataset.split={split!r} is not one of {list(SPLITS)}')
        self.data_root = data_root
        self.split = split
        self.seq_length = _positive_int(seq_length, 'seq_length')
        self.frame_step = _positive_int(frame_step, 'frame_step')
        self.stride = default_stride(self.seq_length, self.frame_step) if stride is None \
            else _positive_int(stride, 'stride')
        self.options = DecodeOptions.create(image_size, channels, keep_aspect)
        self.skip_bad = bool(skip_bad)
        self.folder = self._prepared_folder(cache_dir)
        manifest = read_manifest(self.folder)
        check_prepared(self.folder, manifest, self.options)
        self._index_windows(manifest, split_ratios, split_seed)
        self._open: 'OrderedDict[int, MappedArray]' = OrderedDict()

    # -- preparation ------------------------------------------------------------------------
    def _prepared_folder(self, cache_dir: Optional[str]) -> str:
        """``data_root`` if prepared, else its copy in the cache, decoded there by rank 0."""
        if is_prepared(self.data_root):
            return self.data_root
        folder = cache_folder(self.data_root, self.options, cache_dir)
        rank, world_size = get_dist_info()
        failure: List[Optional[str]] = [None]
        if rank == 0:
            try:
                prepare_video_folder(
                    self.data_root, folder, self.options, skip_bad=self.skip_bad, log=_log,
                    damage_advice='replace or remove them and run again (finished videos are '
                                  'kept), or set skip_bad=True in the dataset config to go on '
                                  'without them')
            except PredBenchError as e:
                if world_size == 1:
                    raise
                failure = [str(e)]
        if world_size > 1:  # the other ranks wait for rank 0's copy, and share its failure
            broadcast_object_list(failure, src=0)
            if failure[0] is not None:
                raise DataError(failure[0])
        return folder

    # -- windows ----------------------------------------------------------------------------
    def _index_windows(self, manifest: Manifest, ratios: Sequence[float], seed: int) -> None:
        if manifest.damaged and not (self.skip_bad or manifest.skip_bad):
            listed = ', '.join(f'{n} ({why})' for n, why in list(manifest.damaged.items())[:3])
            raise DataError(f'{self.folder}: {len(manifest.damaged)} damaged video(s) were not '
                            f'prepared: {listed}; replace them and prepare again, or set '
                            f'skip_bad=True in the dataset config to go on without them')
        if manifest.damaged:
            _log(f'warning: {len(manifest.damaged)} damaged video(s) left out (skip_bad): '
                 f'{_shown(sorted(manifest.damaged))}')
        by_name = {v['name']: v for v in manifest.videos}
        lists, how = split_videos(self.data_root, sorted(by_name), ratios, seed,
                                  dropped=manifest.damaged)
        names = lists[self.split]
        if not names:
            raise DataError(f'{self.data_root} gives no video to split {self.split!r} ({how}; '
                            f'{len(by_name)} videos): add videos, write {self.split}.txt, or '
                            f'remove the {self.split} dataloader')
        sizes = {(by_name[n]['height'], by_name[n]['width']) for n in names}
        if len(sizes) > 1:
            raise DataError(f'{self.data_root}: the {self.split} videos differ in size '
                            f'({sorted(sizes)}); set dataset.image_size to resize them')
        self.videos: List[Dict[str, Any]] = []
        video_index, starts, short = [], [], []
        for name in names:
            video = by_name[name]
            check_entry(self.folder, video)
            found = window_starts(video['frames'], self.seq_length, self.stride, self.frame_step)
            if not found:
                short.append(name)
                continue
            video_index.extend([len(self.videos)] * len(found))
            starts.extend(found)
            self.videos.append(video)
        span = window_span(self.seq_length, self.frame_step)
        if not starts:
            raise DataError(f'{self.data_root} (split {self.split!r}): none of its {len(names)} '
                            f'videos has the {span} frames a window of seq_length='
                            f'{self.seq_length}, frame_step={self.frame_step} needs: lower '
                            f'dataset.seq_length or dataset.frame_step')
        self._video_index = np.asarray(video_index, np.int64)
        self._starts = np.asarray(starts, np.int64)
        self.skipped_videos = short
        self.image_size = sizes.pop()
        self.split_rule = how
        skipped = f', {len(short)} shorter than a window ({_shown(short)})' if short else ''
        _log(f'VideoFolder {self.split}: {len(self)} windows of {self.seq_length} frames '
             f'(frame_step {self.frame_step}, stride {self.stride}) from '
             f'{len(self.videos)} video(s) ({_shown([v["name"] for v in self.videos])})'
             f'{skipped}; {how}; '
             f'{self.options.describe()}, frames in {self.folder}')

    def _frames(self, video: int) -> MappedArray:
        """The memory map of one video, keeping at most ``OPEN_VIDEOS`` open."""
        frames = self._open.pop(video, None)
        if frames is None:
            path = entry_frames_path(self.folder, self.videos[video])
            frames = open_frames(path, self.videos[video]['frames'])
            if frames is None:
                raise DataError(f'{path} is missing or damaged: prepare {self.data_root} again')
            if len(self._open) >= OPEN_VIDEOS:
                self._open.popitem(last=False)
        self._open[video] = frames
        return frames

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        index = int(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f'index {index} out of range for {len(self)} windows')
        index %= len(self)
        start = int(self._starts[index])
        stop = start + window_span(self.seq_length, self.frame_step)
        window = self._frames(int(self._video_index[index]))[start:stop:self.frame_step]
        clip = np.ascontiguousarray(window.transpose(0, 3, 1, 2))  # [T, C, H, W]
        return {'inputs': torch.from_numpy(clip), 'data_samples': {'index': index}}

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state['_open'] = OrderedDict()  # a worker opens its own maps
        return state

    def window_of(self, index: int) -> Dict[str, Any]:
        """Which video and frames window ``index`` holds: ``{'video', 'start', 'frames'}``."""
        video = self.videos[int(self._video_index[index])]
        start = int(self._starts[index])
        return dict(video=video['name'], start=start,
                    frames=list(range(start, start + window_span(self.seq_length,
                                                                 self.frame_step),
                                      self.frame_step)))

    @property
    def metainfo(self) -> Dict[str, Any]:
        """What the windows are: shown in logs and used by visualisers."""
        return dict(dataset_name='VideoFolder', split=self.split, seq_length=self.seq_length,
                    image_size=self.image_size, num_channels=self.options.channels,
                    keep_aspect=self.options.keep_aspect, frame_step=self.frame_step,
                    stride=self.stride, num_videos=len(self.videos),
                    videos=[v['name'] for v in self.videos],
                    num_skipped_videos=len(self.skipped_videos),
                    num_frames=int(sum(v['frames'] for v in self.videos)),
                    num_windows=len(self), split_rule=self.split_rule, folder=self.folder)
