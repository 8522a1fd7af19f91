"""KTH action's names, frame-folder layout and the original release's window rule.

Frame folders are ``<action>/personXX_<action>_dY_uncomp/image_NNNN.png`` (what
``tools/data/prepare_kth.py`` writes and what the original PredRNN loader reads).
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Iterable, List, Sequence

import numpy as np

from ..utils.errors import ConfigError, DataError

# Order of the original loader (category_1 then category_2); it fixes the order of sequences.
ACTIONS = ('boxing', 'handclapping', 'handwaving', 'walking', 'jogging', 'running')
# After a window the original moves back a whole window for these actions but only 3 frames for
# jogging and running, whose actors cross the view in few frames: overlapping windows there.
FAST_ACTIONS = ('jogging', 'running')
JOG_RUN_STRIDE = 3
# Shorter windows would let the original's jog/run jump skip the previous video's last frame.
MIN_SEQ_LENGTH = JOG_RUN_STRIDE
NUM_PERSONS = 25
VIDEO_NAME = re.compile(r'^person(\d{2})_(' + '|'.join(ACTIONS) + r')_d([1-4])_uncomp$')
# The original parses frame numbers from characters 6:10 of names starting with 'image'.
FRAME_PREFIX = 'image'
FRAME_NAME = re.compile(r'^image_(\d{4})\.(png|jpg|jpeg|bmp)$', re.IGNORECASE)
PREPARE_HINT = 'prepare it with python tools/data/prepare_kth.py RAW_KTH_DIR'


@dataclass
class KTHVideo:
    """One video's frame folder: which action/person/scenario and its frames in file order."""
    action: str
    person: int
    scenario: int
    folder: str
    frame_files: List[str] = field(default_factory=list)
    frame_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def name(self) -> str:
        return osp.basename(self.folder)


def window_stride(action: str, seq_length: int) -> int:
    """Frames the original moves back after recording a window: the window, or 3 for jog/run."""
    return JOG_RUN_STRIDE if action in FAST_ACTIONS else seq_length


def window_starts(frame_numbers: Sequence[int], seq_length: int, stride: int) -> List[int]:
    """Positions (in file order) where windows start, found backwards from the video's end.

    A window is ``seq_length`` files whose frame numbers are consecutive; after a window the
    search moves back ``stride`` positions, otherwise one. This is the original's global loop
    restricted to one video: for ``seq_length >= JOG_RUN_STRIDE`` its jumps never cross into
    the previous video (hence ``MIN_SEQ_LENGTH``).
    """
    numbers = np.asarray(frame_numbers, np.int64)
    starts = []
    end = len(numbers) - 1
    while end >= seq_length - 1:
        start = end - seq_length + 1
        if numbers[end] - numbers[start] == seq_length - 1:
            starts.append(start)
            end -= stride
        else:
            end -= 1
    return starts[::-1]


def parse_persons(persons: Iterable, key: str) -> List[int]:
    """Person ids as ints 1..25 from ints or strings like '07' (config-friendly)."""
    result = []
    for p in persons:
        try:
            pid = int(p)
        except (TypeError, ValueError):
            raise ConfigError(f'dataset.{key}: {p!r} is not a person number') from None
        if not 1 <= pid <= NUM_PERSONS:
            raise ConfigError(f'dataset.{key}: person {pid} is outside 1..{NUM_PERSONS}')
        result.append(pid)
    return sorted(set(result))


def _video_frames(video: KTHVideo) -> None:
    """Fill the video's frame files (sorted by name, as the original) and their numbers."""
    files = sorted(f for f in os.listdir(video.folder) if f.startswith(FRAME_PREFIX))
    numbers = []
    for name in files:
        match = FRAME_NAME.match(name)
        if match is None:
            raise DataError(f'{osp.join(video.folder, name)}: frame files must be named '
                            f'image_NNNN.png (4-digit frame number); rename or remove it')
        numbers.append(int(match.group(1)))
    video.frame_files = files
    video.frame_numbers = np.asarray(numbers, np.int64)


def scan_videos(data_root: str, actions: Sequence[str], persons: Sequence[int]) -> List[KTHVideo]:
    """The frame folders of ``persons`` for ``actions``, in action order then name order."""
    if not osp.isdir(data_root):
        raise DataError(f'{data_root} not found: {PREPARE_HINT} {data_root}')
    wanted = set(persons)
    videos = []
    for action in actions:
        action_dir = osp.join(data_root, action)
        if not osp.isdir(action_dir):
            raise DataError(f'{action_dir} not found (one folder per action is expected): '
                            f'{PREPARE_HINT} {data_root}')
        for name in sorted(os.listdir(action_dir)):
            if name.startswith('.'):  # hidden entries, e.g. prepare_kth's partial folders
                continue
            match = VIDEO_NAME.match(name)
            if match is None or match.group(2) != action:
                raise DataError(f'{osp.join(action_dir, name)}: not a KTH video folder name '
                                f'(personXX_{action}_dY_uncomp); move it out of {action_dir}')
            if not osp.isdir(osp.join(action_dir, name)):
                raise DataError(f'{osp.join(action_dir, name)} is not a folder of frames: '
                                f'{PREPARE_HINT} {data_root}')
            person, scenario = int(match.group(1)), int(match.group(3))
            if person not in wanted:
                continue
            video = KTHVideo(action, person, scenario, osp.join(action_dir, name))
            _video_frames(video)
            videos.append(video)
    return videos
