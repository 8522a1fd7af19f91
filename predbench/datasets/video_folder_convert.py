"""Decode a folder of user videos once into a *prepared folder* of uint8 frame caches, checked.

A prepared folder is what ``tools/data/prepare_videos.py SRC DST`` writes to DST and what
:class:`~.video_folder.VideoFolder` builds in its cache for a folder of raw videos::

    <dst>/video_folder.json                  manifest: decoding options and the videos
    <dst>/<video>-<hash>/frames.npy          uint8 [N, H, W, C] (the frame-cache format)
    <dst>/<video>-<hash>/source.json         the source's name, size and frame rate
    <dst>/<video>-<hash>/.predbench-conversion.json   completion record
    <dst>/train.txt, val.txt, test.txt       split lists copied from SRC, if it has them

Each video is one item of :func:`~.conversion.convert_items` (atomic, recorded, kept on reruns
while its source and options are unchanged, damage reported by name) whose converter decodes it
with :func:`~.user_clips.iter_clip_frames`, fits every frame (:func:`~.user_clips.fit_frame`) and
streams it into :func:`~.frame_cache.write_frames`. The manifest is written last, atomically,
listing the videos converted and the damaged ones. Lives in the package (not the tool) so worker
processes can import the converter under any start method.
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import shutil
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ..utils.errors import ConfigError, DataError
from ..utils.fileio import atomic_output, atomic_write_bytes
from .conversion import (ConversionItem, DamagedItemsError, convert_items, file_fingerprint,
                         read_record)
from .frame_cache import default_cache_dir, open_frames, write_frames
from .user_clips import check_channels, fit_frame, frame_files, iter_clip_frames
from .video_folder_layout import VideoSource, find_videos, list_file_names

MANIFEST_NAME = 'video_folder.json'
MANIFEST_FORMAT = 1  # bump when the manifest or the stored frames change meaning
FRAMES_NAME = 'frames.npy'
SOURCE_NAME = 'source.json'
LOCK_NAME = '.predbench-prepare.lock'
CACHE_SUBDIR = 'video_folder'
KEY_CHARS = 16
TOOL = 'python tools/data/prepare_videos.py'

try:
    import fcntl
except ImportError:  # not POSIX: no lock (two preparations of one folder must not overlap)
    fcntl = None


def as_size(image_size: Union[None, int, Sequence[int]], key: str = 'image_size'
            ) -> Optional[Tuple[int, int]]:
    """(H, W) from an int (square) or a pair; None stays None (each video's own size)."""
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        size: Tuple[int, ...] = (int(image_size), int(image_size))
    elif isinstance(image_size, (list, tuple)) and \
            all(isinstance(s, (int, np.integer)) for s in image_size):
        size = tuple(int(s) for s in image_size)
    else:
        size = ()
    if len(size) != 2 or min(size) < 1:
        raise ConfigError(f'{key}={image_size!r}: give (H, W) in pixels, an int for a square, '
                          f'or None for the videos\' own size')
    return size  # type: ignore[return-value]


@dataclass(frozen=True)
class DecodeOptions:
    """How frames are stored: size (H, W) or None (as decoded), channels, aspect kept or not."""
    image_size: Optional[Tuple[int, int]]
    channels: int
    keep_aspect: bool

    @classmethod
    def create(cls, image_size: Union[None, int, Sequence[int]], channels: int,
               keep_aspect: bool) -> 'DecodeOptions':
        return cls(as_size(image_size), check_channels(channels), bool(keep_aspect))

    def as_dict(self) -> Dict[str, Any]:
        return dict(image_size=list(self.image_size) if self.image_size else None,
                    channels=self.channels, keep_aspect=self.keep_aspect)

    def describe(self) -> str:
        """e.g. '64x64 (HxW) RGB, aspect kept (center crop)'."""
        colour = 'RGB' if self.channels == 3 else 'grayscale'
        if self.image_size is None:
            return f'own size, {colour}'
        fit = 'aspect kept (center crop)' if self.keep_aspect else 'stretched'
        return f'{self.image_size[0]}x{self.image_size[1]} (HxW) {colour}, {fit}'


@dataclass
class Manifest:
    """What ``video_folder.json`` holds about a prepared folder."""
    source: str
    options: Dict[str, Any]
    videos: List[Dict[str, Any]]  # name, entry, frames, height, width, fps, source_size
    damaged: Dict[str, str] = field(default_factory=dict)  # name -> what is wrong
    ignored: List[str] = field(default_factory=list)  # files that are not videos
    skip_bad: bool = False  # prepared on purpose without the damaged videos
    format: int = MANIFEST_FORMAT


def entry_name(name: str) -> str:
    """The folder a video becomes: readable, and unique per relative path."""
    base = osp.basename(name.rstrip('/')) if name != '.' else 'frames'
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f'{base}-{digest}'


def _folder_fingerprint(folder: str) -> Dict[str, Any]:
    """Identity of a folder of images: their names, sizes and modification times, hashed."""
    digest = hashlib.sha256()
    paths = frame_files(folder)
    for path in paths:
        stat = os.stat(path)
        digest.update(f'{osp.basename(path)}\t{stat.st_size}\t{stat.st_mtime_ns}\n'.encode())
    return dict(images=len(paths), digest=digest.hexdigest())


def video_items(videos: Sequence[VideoSource], dst: str, options: DecodeOptions
                ) -> List[ConversionItem]:
    """One conversion item per video, reported by its path; the options are in its fingerprint."""
    items = []
    for video in videos:
        source = _folder_fingerprint(video.path) if video.is_frame_folder \
            else file_fingerprint(video.path)
        items.append(ConversionItem(
            name=video.path, target=osp.join(dst, entry_name(video.name)),
            fingerprint=dict(source, video=video.name, **options.as_dict()),
            source=osp.abspath(video.path), data=(video, options)))
    return items


def decode_video(item: ConversionItem, folder: str) -> Dict[str, int]:
    """Decode one video into ``folder``/frames.npy, fitted to the options; its frame count."""
    video, options = item.data
    source_size: List[int] = []

    def fitted() -> Iterator[np.ndarray]:
        for frame in iter_clip_frames(video.path, item.name):
            if not source_size:
                source_size.extend(frame.shape[:2])
            yield fit_frame(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), options.image_size,
                            options.channels, options.keep_aspect)

    frames_path = osp.join(folder, FRAMES_NAME)
    write_frames(frames_path, fitted(), label=item.name)
    frames = open_frames(frames_path)
    info = dict(name=video.name, source=item.source, source_size=source_size,
                fps=_frame_rate(video.path), frames=len(frames), size=list(frames.shape[1:3]))
    atomic_write_bytes(json.dumps(info).encode(), osp.join(folder, SOURCE_NAME))
    return {'frames': len(frames)}


def _frame_rate(path: str) -> Optional[float]:
    """Frames per second the container declares (None for a folder of images or if unknown)."""
    if osp.isdir(path):
        return None
    capture = cv2.VideoCapture(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS)) if capture.isOpened() else 0.0
    finally:
        capture.release()
    return round(fps, 3) if fps > 0 else None


def read_manifest(folder: str) -> Optional[Manifest]:
    """The manifest of a prepared folder, or None if ``folder`` is not one."""
    path = osp.join(folder, MANIFEST_NAME)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            data = json.load(f)
        if data.get('format') != MANIFEST_FORMAT:
            raise ValueError(f'format {data.get("format")}')
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as e:
        raise DataError(f'{path}: not a manifest this predbench reads ({e}); prepare the folder '
                        f'again with {TOOL} SRC {folder}') from e


def is_prepared(folder: str) -> bool:
    """Whether ``folder`` holds a prepared copy (a manifest) rather than raw videos."""
    return osp.isfile(osp.join(folder, MANIFEST_NAME))


def cache_folder(src: str, options: DecodeOptions, cache_dir: Optional[str] = None) -> str:
    """Where the prepared copy of raw folder ``src`` goes: one folder per (src, options)."""
    key = json.dumps([MANIFEST_FORMAT, osp.abspath(src), options.as_dict()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:KEY_CHARS]
    base = osp.basename(osp.abspath(src).rstrip(os.sep)) or 'videos'
    return osp.join(cache_dir or default_cache_dir(CACHE_SUBDIR), f'{base}-{digest}')


@contextlib.contextmanager
def preparation_lock(dst: str) -> Iterator[None]:
    """Hold an exclusive lock on ``dst`` (a second preparation of it waits for the first)."""
    if fcntl is None:
        yield
        return
    fd = os.open(osp.join(dst, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _make_folder(dst: str) -> None:
    if osp.exists(dst) and not osp.isdir(dst):
        raise DataError(f'{dst} is a file, not a folder: give a folder for the prepared videos '
                        f'(it is created if missing)')
    try:
        os.makedirs(dst, exist_ok=True)
    except OSError as e:
        raise DataError(f'{dst} cannot be created ({e.strerror or e}): give a writable folder '
                        f'(for the cache: set dataset.cache_dir or $PREDBENCH_CACHE)') from e
    if not os.access(dst, os.W_OK):
        raise DataError(f'{dst} is not writable: give a writable folder (for the cache: set '
                        f'dataset.cache_dir or $PREDBENCH_CACHE)')


def _copy_split_lists(src: str, dst: str) -> None:
    for name in list_file_names():
        path = osp.join(src, name)
        if osp.isfile(path):
            with atomic_output(osp.join(dst, name)) as tmp:
                shutil.copyfile(path, tmp)


def _video_record(item: ConversionItem) -> Dict[str, Any]:
    with open(osp.join(item.target, SOURCE_NAME)) as f:
        info = json.load(f)
    return dict(name=item.data[0].name, entry=osp.basename(item.target), frames=info['frames'],
                height=info['size'][0], width=info['size'][1], fps=info['fps'],
                source_size=info['source_size'])


def prepare_video_folder(src: str, dst: str, options: DecodeOptions, *, workers: int = 1,
                         skip_bad: bool = False, log: Callable[[str], None] = print,
                         progress: Optional[Callable[[int, int], None]] = None,
                         damage_advice: Optional[str] = None) -> Manifest:
    """Decode every video of ``src`` that is not yet in ``dst``; the manifest written.

    Damaged videos are left out and listed in the manifest; unless ``skip_bad`` the call then
    raises a one-line DataError naming them (after converting the others).
    """
    if not osp.isdir(src):
        raise DataError(f'{src} not found: give the folder of your videos (.mp4, .avi, .mov, '
                        f'.gif files and/or folders of frame images)' if not osp.exists(src)
                        else f'{src} is a file, not a folder: put your videos in a folder and '
                             f'give that folder')
    if is_prepared(src):
        raise DataError(f'{src} is already a prepared folder ({MANIFEST_NAME}): use it as '
                        f'data_root directly')
    inside = osp.relpath(osp.abspath(dst), osp.abspath(src))
    skip = [inside] if not inside.startswith('..') else []
    videos, ignored = find_videos(src, skip)
    if not videos:
        raise DataError(f'{src} holds no video: put .mp4, .avi, .mov or .gif files, or folders '
                        f'of frame images, in it')
    _make_folder(dst)
    with preparation_lock(dst):
        if ignored:
            shown = ', '.join(ignored[:3]) + (' ...' if len(ignored) > 3 else '')
            log(f'ignored {len(ignored)} file(s) that are not videos or images: {shown}')
        items = video_items(videos, dst, options)
        before = read_manifest(dst) if is_prepared(dst) else None
        if before is not None and before.options != options.as_dict():
            log(f'{dst} held videos prepared with {before.options}: decoding every video again '
                f'as {options.describe()}')
        advice = damage_advice or (f'replace them and run {TOOL} again (finished videos are '
                                   f'kept), or pass --skip-bad to go on without them')
        failure: Optional[DamagedItemsError] = None
        try:
            report = convert_items(items, decode_video, workers=workers, skip_bad=skip_bad,
                                   noun='video', damage_advice=advice, log=log,
                                   progress=progress)
        except DamagedItemsError as e:
            failure, report = e, e.report
        manifest = Manifest(source=osp.abspath(src), options=options.as_dict(),
                            videos=[_video_record(i) for i in items if i.name not in
                                    report.damaged],
                            damaged={i.data[0].name: report.damaged[i.name] for i in items
                                     if i.name in report.damaged},
                            ignored=ignored, skip_bad=skip_bad)
        atomic_write_bytes(json.dumps(asdict(manifest), indent=1).encode(),
                           osp.join(dst, MANIFEST_NAME))
        _copy_split_lists(src, dst)
    if failure is not None:
        raise failure
    return manifest


def check_prepared(folder: str, manifest: Manifest, options: DecodeOptions) -> None:
    """ConfigError if ``folder`` was prepared with other decoding options than ``options``."""
    if manifest.options == options.as_dict():
        return
    stored = DecodeOptions.create(manifest.options['image_size'], manifest.options['channels'],
                                  manifest.options['keep_aspect'])
    size = stored.image_size
    hint = (f'image_size={tuple(size)}' if size else 'image_size=None') + \
        f', channels={stored.channels}, keep_aspect={stored.keep_aspect}'
    raise ConfigError(f'{folder} was prepared as {stored.describe()} but the dataset asks for '
                      f'{options.describe()}: set the dataset\'s {hint}, or prepare again with '
                      f'{TOOL} {manifest.source} {folder} and the options you want')


def entry_frames_path(folder: str, video: Dict[str, Any]) -> str:
    """The frames file of one video of a prepared folder."""
    return osp.join(folder, video['entry'], FRAMES_NAME)


def check_entry(folder: str, video: Dict[str, Any]) -> None:
    """DataError naming a video whose frames file is missing or not what the manifest says."""
    entry = osp.join(folder, video['entry'])
    record = read_record(entry)
    frames = open_frames(entry_frames_path(folder, video), video['frames'])
    if record is None or frames is None:
        raise DataError(f'{entry} (video {video["name"]}) is missing or incomplete: prepare the '
                        f'folder again ({TOOL} SRC {folder}, which redoes only what is missing)')
