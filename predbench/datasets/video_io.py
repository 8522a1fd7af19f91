"""Decode a video file or an image, checked: damage is a ``DamagedFileError`` naming the file.

OpenCV (FFmpeg) stops or skips silently at a damaged or truncated part of a video, so a plain
read loop turns a broken file into a short clip. :func:`iter_video_frames` compares the frames it
decoded with the count the container declares (``cv2.CAP_PROP_FRAME_COUNT``; AVI, MP4 and MOV
store it) and, for GIFs, which store no count, checks that the file ends with the GIF trailer.
A frame whose damage the codec conceals (decoded with artefacts) cannot be seen from here.

Used by ``prepare_kth`` and meant for any dataset that decodes user videos.
"""
import os
import os.path as osp
from typing import Iterator, Optional

import cv2
import numpy as np

from ..utils.errors import DataError
from .conversion import DamagedFileError

GIF_EXT = '.gif'
GIF_TRAILER = b'\x3b'  # the byte every complete GIF ends with
FFMPEG_LOG_ENV = 'OPENCV_FFMPEG_LOGLEVEL'
FFMPEG_QUIET = '-8'  # AV_LOG_QUIET
REPLACE_ADVICE = 'replace the file (e.g. download or copy it again)'


def quiet_ffmpeg() -> None:
    """Silence FFmpeg's own messages (damage is reported by file name instead).

    Takes effect only before the first video is opened in the process; a value the user set
    for ``OPENCV_FFMPEG_LOGLEVEL`` is kept.
    """
    os.environ.setdefault(FFMPEG_LOG_ENV, FFMPEG_QUIET)


def _gif_is_complete(path: str) -> bool:
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) == GIF_TRAILER


def _open_capture(path: str, label: str) -> 'cv2.VideoCapture':
    """An opened OpenCV capture of ``path``; DamagedFileError naming ``label`` if it cannot be."""
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        capture.release()
        raise DamagedFileError(label, 'cannot be opened as a video (not a video, an unsupported '
                                      'codec, or a damaged header)', REPLACE_ADVICE)
    return capture


def video_frame_count(path: str, label: Optional[str] = None) -> int:
    """Frames the container of ``path`` declares (0 when it declares none, as GIFs)."""
    capture = _open_capture(path, label or path)
    try:
        return max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    finally:
        capture.release()


def iter_video_frames(path: str, label: Optional[str] = None) -> Iterator[np.ndarray]:
    """Yield every frame of ``path`` as uint8 [H, W, 3] (BGR, as decoded), checked complete.

    Raises :class:`DamagedFileError` naming ``label`` (default ``path``) if the file cannot be
    opened, a frame changes size, fewer or more frames decode than the container declares, or a
    GIF lacks its trailer. Checks that need the whole file run after the last frame, so a caller
    writing frames as they come must treat its output as partial until the iterator ends.
    """
    label = label or path
    if not osp.isfile(path):
        raise DataError(f'{label} not found')
    is_gif = osp.splitext(path)[1].lower() == GIF_EXT
    if is_gif and not _gif_is_complete(path):
        raise DamagedFileError(label, 'truncated GIF (it does not end with the GIF trailer)',
                               REPLACE_ADVICE)
    capture = _open_capture(path, label)
    try:
        declared = 0 if is_gif else max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        count = 0
        shape = None
        while True:
            try:
                ok, frame = capture.read()
            except cv2.error as e:
                raise DamagedFileError(label, f'decoding failed after {count} frames ({e})',
                                       REPLACE_ADVICE) from e
            if not ok:
                break
            if shape is None:
                shape = frame.shape
            elif frame.shape != shape:
                raise DamagedFileError(label, f'frame {count + 1} is {frame.shape[1]}x'
                                              f'{frame.shape[0]} but the first is {shape[1]}x'
                                              f'{shape[0]}', REPLACE_ADVICE)
            count += 1
            yield frame
    finally:
        capture.release()
    if count == 0:
        raise DamagedFileError(label, 'no frame could be decoded', REPLACE_ADVICE)
    if declared and count != declared:
        raise DamagedFileError(label, f'damaged video: {count} of the {declared} frames its '
                                      f'container declares could be decoded', REPLACE_ADVICE)


def read_video(path: str, label: Optional[str] = None) -> np.ndarray:
    """All frames of ``path`` as uint8 [T, H, W, 3] BGR, checked as :func:`iter_video_frames`."""
    return np.stack(list(iter_video_frames(path, label)))


def read_image(path: str, flags: int = cv2.IMREAD_UNCHANGED, advice: str = REPLACE_ADVICE
               ) -> np.ndarray:
    """``cv2.imread(path, flags)``, or a :class:`DamagedFileError` naming it with ``advice``."""
    image = cv2.imread(path, flags)
    if image is None:
        raise DamagedFileError(path, 'cannot be decoded as an image', advice)
    return image
