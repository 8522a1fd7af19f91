"""Which videos a folder holds, which split each video belongs to, and where its windows start.

- **Videos.** Every ``.mp4``/``.avi``/``.mov``/``.gif`` file under the folder, and every folder
  that holds images (its images, in natural order, are the frames of one video). A video is
  named by its path relative to the folder, with ``/`` separators (``cars/a.mp4``, ``cam1``;
  ``.`` when the folder itself holds the images). Hidden entries are skipped.
- **Split, by video** (never windows of one video on both sides). With list files
  ``train.txt``/``val.txt``/``test.txt`` (one relative path per line, ``#`` comments) those
  decide, and a missing list is an empty split; otherwise ``split_ratios`` (train, val, test)
  with a seed: the videos are ordered by a hash of (seed, name), so a video's place does not
  depend on the order the file system lists them, and cut into counts by the largest remainder,
  each split of positive ratio getting at least one video.
- **Windows.** ``seq_length`` frames taken every ``frame_step`` frames of one video; window
  starts ``stride`` frames apart (default ``seq_length * frame_step``: windows that tile the
  subsampled video without overlap), from the first frame on.
"""
import hashlib
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..utils.errors import ConfigError, DataError
from .user_clips import VIDEO_EXTENSIONS, is_image_name, is_video_name

SPLITS = ('train', 'val', 'test')
LIST_SUFFIX = '.txt'


@dataclass(frozen=True)
class VideoSource:
    """One video of a folder: its name (relative path) and where it is."""
    name: str
    path: str

    @property
    def is_frame_folder(self) -> bool:
        return osp.isdir(self.path)


def _relative(path: str, root: str) -> str:
    rel = osp.relpath(path, root)
    return rel.replace(os.sep, '/')


def find_videos(root: str, skip: Iterable[str] = ()) -> Tuple[List[VideoSource], List[str]]:
    """(videos under ``root`` sorted by name, names of other files ignored), skipping ``skip``.

    ``skip`` holds names of folders (relative paths) not to look into, e.g. a prepared copy.
    Symbolic links to files and folders are followed.
    """
    skipped = {osp.normpath(s) for s in skip}
    videos, ignored = [], []
    visited = set()  # real paths: symlinked folders are followed, each once (no loops)
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = osp.realpath(folder)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        rel_folder = osp.normpath(osp.relpath(folder, root))
        dirs[:] = sorted(d for d in dirs if not d.startswith('.')
                         and osp.normpath(osp.join(rel_folder, d)) not in skipped)
        if any(is_image_name(f) for f in files):
            videos.append(VideoSource(_relative(folder, root), folder))
        for name in sorted(files):
            path = osp.join(folder, name)
            if is_video_name(name):
                videos.append(VideoSource(_relative(path, root), path))
            elif not name.startswith('.') and not is_image_name(name) and \
                    not (folder == root and name in list_file_names()):
                ignored.append(_relative(path, root))
    return sorted(videos, key=lambda v: v.name), ignored


def list_file_names() -> List[str]:
    """``['train.txt', 'val.txt', 'test.txt']``."""
    return [split + LIST_SUFFIX for split in SPLITS]


def _normalise(line: str) -> str:
    return osp.normpath(line.strip().replace('\\', '/')).replace(os.sep, '/')


def read_split_lists(root: str, names: Sequence[str], dropped: Iterable[str] = ()
                     ) -> Optional[Dict[str, List[str]]]:
    """The videos of each split from ``root``'s list files, or None if it has none.

    ``names`` are the videos that exist; ``dropped`` those left out on purpose (damaged videos
    skipped with ``skip_bad``), which are ignored where listed. A listed name that is neither,
    or a video listed twice, is a one-line DataError naming the list file and line.
    """
    paths = {split: osp.join(root, split + LIST_SUFFIX) for split in SPLITS}
    if not any(osp.isfile(p) for p in paths.values()):
        return None
    known, dropped = set(names), set(dropped)
    where: Dict[str, str] = {}
    lists: Dict[str, List[str]] = {}
    for split, path in paths.items():
        lists[split] = []
        if not osp.isfile(path):
            continue
        with open(path, encoding='utf-8') as f:
            for number, line in enumerate(f, 1):
                if not line.strip() or line.lstrip().startswith('#'):
                    continue
                name = _normalise(line)
                here = f'{path}:{number}'
                if name in where:
                    raise DataError(f'{here}: {name} is already listed at {where[name]}; a video '
                                    f'belongs to one split only')
                where[name] = here
                if name in dropped:
                    continue
                if name not in known:
                    raise DataError(f'{here}: {name} is not a video of {root} (give paths '
                                    f'relative to that folder, of {"/".join(VIDEO_EXTENSIONS)} '
                                    f'files or folders of images)')
                lists[split].append(name)
    return lists


def ratio_counts(num_videos: int, ratios: Sequence[float]) -> List[int]:
    """Videos per split: largest remainder, then one for each split of positive ratio if possible.

    A split that rounding left empty takes a video from the largest split (if it has two).
    """
    total = float(sum(ratios))
    quotas = [num_videos * r / total for r in ratios]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(ratios)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[:num_videos - sum(counts)]:
        counts[i] += 1
    for i, ratio in enumerate(ratios):
        largest = max(range(len(counts)), key=lambda j: counts[j])
        if ratio > 0 and counts[i] == 0 and counts[largest] > 1:
            counts[largest] -= 1
            counts[i] += 1
    return counts


def check_ratios(ratios: Sequence[float]) -> Tuple[float, float, float]:
    """``ratios`` as a (train, val, test) triple of non-negative numbers with a positive sum."""
    values = tuple(float(r) for r in ratios) if isinstance(ratios, (list, tuple)) else ()
    if len(values) != 3 or min(values) < 0 or sum(values) <= 0:
        raise ConfigError(f'dataset.split_ratios={ratios!r}: give (train, val, test) fractions, '
                          f'e.g. (0.8, 0.1, 0.1)')
    return values


def split_by_ratio(names: Sequence[str], ratios: Sequence[float], seed: int
                   ) -> Dict[str, List[str]]:
    """Each split's videos: names ordered by a hash of (seed, name), cut by :func:`ratio_counts`."""
    def rank(name: str) -> str:
        return hashlib.sha256(f'{seed}\0{name}'.encode()).hexdigest()

    ordered = sorted(names, key=rank)
    counts = ratio_counts(len(ordered), check_ratios(ratios))
    lists, start = {}, 0
    for split, count in zip(SPLITS, counts):
        lists[split] = sorted(ordered[start:start + count])
        start += count
    return lists


def split_videos(root: str, names: Sequence[str], ratios: Sequence[float], seed: int,
                 dropped: Iterable[str] = ()) -> Tuple[Dict[str, List[str]], str]:
    """(each split's videos, how the split was made) from ``root``'s lists, else the ratios."""
    lists = read_split_lists(root, names, dropped)
    if lists is not None:
        present = [n for n in list_file_names() if osp.isfile(osp.join(root, n))]
        return lists, f'list files {", ".join(present)} in {root}'
    return split_by_ratio(names, ratios, seed), \
        f'split_ratios={tuple(check_ratios(ratios))}, split_seed={seed}'


def window_span(seq_length: int, frame_step: int) -> int:
    """Frames of the video one window covers."""
    return (seq_length - 1) * frame_step + 1


def default_stride(seq_length: int, frame_step: int) -> int:
    """Window starts that tile the subsampled video without overlap."""
    return seq_length * frame_step


def window_starts(num_frames: int, seq_length: int, stride: int, frame_step: int) -> range:
    """First frame of every window of a ``num_frames``-frame video."""
    span = window_span(seq_length, frame_step)
    return range(0, max(num_frames - span + 1, 0), stride)
