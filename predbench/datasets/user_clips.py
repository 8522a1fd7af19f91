"""A user's clip (a video file, a GIF or a folder of images): decoded, checked, and fitted.

One decoding path for every user clip: :class:`~.video_folder.VideoFolder` decodes the videos
it trains on with it and ``tools/predict.py`` the clip it predicts from, so a model sees the
same values at prediction time as in training. Video files and GIFs go through
:func:`~.video_io.iter_video_frames` (frames decoded = frames the container declares; a GIF must
end with its trailer); a folder's images through :func:`~.video_io.read_image`, in natural order
(``frame_2`` before ``frame_10``), all of one size. Damage is a one-line
:class:`~.conversion.DamagedFileError` naming the file.

Fitting (:func:`fit_frame`): RGB or gray (OpenCV's luminance weights), then a resize to (H, W),
either stretched or, with ``keep_aspect``, scaled to cover (H, W) and center-cropped; area
interpolation when shrinking (no aliasing), bilinear when enlarging.
"""
import os
import os.path as osp
import re
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError
from .conversion import DamagedFileError
from .video_io import REPLACE_ADVICE, iter_video_frames, read_image

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.gif')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
CHANNELS = (1, 3)  # grayscale or RGB


def natural_key(name: str) -> list:
    """Sort key that puts frame_2.png before frame_10.png."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


def is_image_name(name: str) -> bool:
    """Whether ``name`` is a visible file with an image extension."""
    return not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS)


def is_video_name(name: str) -> bool:
    """Whether ``name`` is a visible file with a video extension (.mp4, .avi, .mov, .gif)."""
    return not name.startswith('.') and name.lower().endswith(VIDEO_EXTENSIONS)


def frame_files(folder: str) -> List[str]:
    """Paths of the images directly in ``folder``, in natural order (hidden files skipped)."""
    names = sorted((n for n in os.listdir(folder) if is_image_name(n)
                    and osp.isfile(osp.join(folder, n))), key=natural_key)
    return [osp.join(folder, n) for n in names]


def _iter_folder_frames(folder: str, label: str) -> Iterator[np.ndarray]:
    paths = frame_files(folder)
    if not paths:
        raise DataError(f'folder {label} holds no images ({", ".join(IMAGE_EXTENSIONS)})')
    shape = None
    for path in paths:
        frame = read_image(path, cv2.IMREAD_COLOR, REPLACE_ADVICE)
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise DamagedFileError(path, f'{frame.shape[1]}x{frame.shape[0]} but the first image '
                                         f'of {label} is {shape[1]}x{shape[0]}',
                                   'all images of a folder must have one size')
        yield frame


def iter_clip_frames(path: str, label: Optional[str] = None) -> Iterator[np.ndarray]:
    """Every frame of a video file, GIF or folder of images as uint8 BGR [H, W, 3], checked.

    Checks that need the whole file run after the last frame (see
    :func:`~.video_io.iter_video_frames`): treat what you wrote as partial until the end.
    """
    label = label or path
    if osp.isdir(path):
        return _iter_folder_frames(path, label)
    return iter_video_frames(path, label)


def check_channels(channels: int, key: str = 'channels') -> int:
    """``channels`` if it is 1 or 3, else a ConfigError naming ``key``."""
    if channels not in CHANNELS:
        raise ConfigError(f'{key}={channels!r}: frames have 1 (grayscale) or 3 (RGB) channels')
    return int(channels)


def _resize(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    shrink = frame.shape[0] > height or frame.shape[1] > width
    return cv2.resize(frame, (width, height),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def resize_frame(frame: np.ndarray, size: Tuple[int, int], keep_aspect: bool) -> np.ndarray:
    """``frame`` [H0, W0(, C)] at ``size`` (H, W): stretched, or scaled to cover and cropped."""
    height, width = size
    if not keep_aspect:
        return _resize(frame, height, width)
    scale = max(height / frame.shape[0], width / frame.shape[1])
    cover_h = max(height, int(round(frame.shape[0] * scale)))
    cover_w = max(width, int(round(frame.shape[1] * scale)))
    covered = _resize(frame, cover_h, cover_w)
    top, left = (cover_h - height) // 2, (cover_w - width) // 2
    return np.ascontiguousarray(covered[top:top + height, left:left + width])


def fit_frame(rgb: np.ndarray, size: Optional[Tuple[int, int]], channels: int,
              keep_aspect: bool) -> np.ndarray:
    """uint8 RGB [H0, W0, 3] -> uint8 [H, W, channels] (gray: OpenCV's luminance weights).

    ``size`` None keeps the frame's own size.
    """
    if channels == 1:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if size is not None:
        rgb = resize_frame(rgb, size, keep_aspect)
    return rgb.reshape(rgb.shape[0], rgb.shape[1], channels)


def read_clip(path: str, num_frames: Optional[int] = None) -> np.ndarray:
    """The first ``num_frames`` frames (all if None) of ``path`` as uint8 RGB [T, H, W, 3].

    The whole clip is decoded and checked (damage anywhere is one line naming the file); only
    the first ``num_frames`` frames are kept.
    """
    if not osp.exists(path):
        raise DataError(f'input {path} does not exist')
    frames = []
    for frame in iter_clip_frames(path):
        if not num_frames or len(frames) < num_frames:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


def fit_to_model(frames: Sequence[np.ndarray], height: int, width: int, channels: int,
                 keep_aspect: bool = False) -> np.ndarray:
    """uint8 RGB [T, H0, W0, 3] -> float32 [T, channels, height, width] in [0, 1] (fit_frame)."""
    if channels not in CHANNELS:
        raise DataError(f'models with {channels} channels per frame are not supported here')
    fitted = [fit_frame(np.asarray(f), (height, width), channels, keep_aspect) for f in frames]
    return np.stack(fitted).transpose(0, 3, 1, 2).astype(np.float32) / 255.0


ACTION_FILE_EXTENSIONS = ('.npy', '.csv')


def read_actions(path: str) -> np.ndarray:
    """Actions from a ``.npy`` ([T, A]) or ``.csv`` file (one row per frame, commas; a first line
    that is not numbers is taken as a header) as float32 [T, A]."""
    ext = osp.splitext(path)[1].lower()
    if ext not in ACTION_FILE_EXTENSIONS:
        raise DataError(f'{path}: actions must be a .npy or .csv file (one row per frame)')
    if not osp.isfile(path):
        raise DataError(f'{path} not found: give the actions file (one row per frame)')
    try:
        if ext == '.npy':
            actions = np.load(path, allow_pickle=False)
        else:
            with open(path) as f:
                lines = [line for line in f.read().splitlines() if line.strip()]
            if lines and not _is_number_row(lines[0]):
                lines = lines[1:]
            actions = np.array([[float(v) for v in line.split(',')] for line in lines])
    except ValueError as e:
        raise DataError(f'{path}: cannot be read as numbers ({e}); expected one row of '
                        f'comma-separated numbers per frame') from e
    if actions.ndim != 2 or not len(actions) or not np.issubdtype(actions.dtype, np.number):
        raise DataError(f'{path}: actions must be [T, A] numbers (one row per frame), got '
                        f'{actions.dtype} {list(actions.shape)}')
    return actions.astype(np.float32)


def _is_number_row(line: str) -> bool:
    try:
        [float(v) for v in line.split(',')]
    except ValueError:
        return False
    return True
