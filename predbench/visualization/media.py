"""Read a user's clip (video file, GIF, or folder of images) and fit it to a model's frames."""
import os
import os.path as osp
import re
from typing import List, Optional

import cv2
import numpy as np
from PIL import Image, ImageSequence

from ..utils.errors import DataError

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def _natural_key(name: str) -> list:
    """frame_2.png before frame_10.png."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


def _read_folder(folder: str, limit: Optional[int]) -> List[np.ndarray]:
    names = sorted((n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS)),
                   key=_natural_key)
    if not names:
        raise DataError(f'folder {folder} holds no images ({", ".join(IMAGE_EXTENSIONS)})')
    names = names[:limit] if limit else names
    return [np.asarray(Image.open(osp.join(folder, n)).convert('RGB')) for n in names]


def _read_gif(path: str, limit: Optional[int]) -> List[np.ndarray]:
    frames = []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            frames.append(np.asarray(frame.convert('RGB')))
            if limit and len(frames) >= limit:
                break
    return frames


def _read_video(path: str, limit: Optional[int]) -> List[np.ndarray]:
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise DataError(f'cannot read {path} as a video (OpenCV could not open it); give a '
                        f'video file, a GIF or a folder of images')
    frames = []
    try:
        while not limit or len(frames) < limit:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return frames


def read_clip(path: str, num_frames: Optional[int] = None) -> np.ndarray:
    """The first ``num_frames`` frames (all if None) of ``path`` as uint8 RGB [T, H, W, 3]."""
    if not osp.exists(path):
        raise DataError(f'input {path} does not exist')
    if osp.isdir(path):
        frames = _read_folder(path, num_frames)
    elif path.lower().endswith('.gif'):
        frames = _read_gif(path, num_frames)
    else:
        frames = _read_video(path, num_frames)
    if not frames:
        raise DataError(f'no frames could be read from {path}')
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise DataError(f'the frames of {path} differ in size: {sorted(shapes)}')
    return np.stack(frames)


def fit_to_model(frames: np.ndarray, height: int, width: int, channels: int) -> np.ndarray:
    """uint8 RGB [T, H0, W0, 3] -> float32 [T, channels, height, width] in [0, 1].

    Area interpolation when shrinking (no aliasing), bilinear when enlarging; one channel is the
    luminance (OpenCV's RGB-to-gray weights).
    """
    if channels not in (1, 3):
        raise DataError(f'models with {channels} channels per frame are not supported here')
    out = []
    for frame in frames:
        if channels == 1:
            frame = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        shrink = frame.shape[0] > height or frame.shape[1] > width
        frame = cv2.resize(frame, (width, height),
                           interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        out.append(frame.reshape(height, width, channels))
    return np.stack(out).transpose(0, 3, 1, 2).astype(np.float32) / 255.0


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
