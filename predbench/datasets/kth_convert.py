"""Decode raw KTH videos (AVIs, loose or in the action zips) into the release's frame folders.

Output: ``<dst>/<action>/personXX_<action>_dY_uncomp/image_NNNN.png`` (1-based), 3-channel PNGs of
the decoded frames as is, which both predbench and the original PredRNN loader read. Each video
is one item of :func:`predbench.datasets.conversion.convert_items`: decoded with the checks of
:func:`predbench.datasets.video_io.iter_video_frames` (frames decoded = frames the container
declares), written to a hidden partial folder, renamed into place with a completion record,
skipped on a rerun while its source and frames are unchanged, and reported by name when damaged.
Lives in the package (not the tool) so worker processes can import it under any start method.
"""
import errno
import os
import os.path as osp
import shlex
import shutil
import sys
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional

import cv2

from ..utils.errors import DataError
from .conversion import (ConversionItem, ConversionRecord, ConversionReport, DamagedFileError,
                         convert_items, file_fingerprint, read_record, zip_member_fingerprint)
from .kth_layout import ACTIONS, VIDEO_NAME
from .video_io import iter_video_frames, read_image

VIDEO_EXT = '.avi'
ARCHIVE_EXT = '.zip'
FRAME_PATTERN = 'image_{:04d}.png'
FIRST_FRAME_NUMBER = 1  # the original release's frame folders count from image_0001.png
EXTRACTED_NAME = '.video' + VIDEO_EXT  # a zip member is decoded from this temporary copy
FRAMES_KEY = 'frames'
TOOL = 'python tools/data/prepare_kth.py'
SRC_HELP = ('give the folder holding the KTH AVIs or the six action zips (boxing.zip ... '
            'running.zip)')
DAMAGE_ADVICE = ('replace them (download again) and rerun the same command, which keeps the '
                 'finished videos; or pass --skip-bad to go on without them')


@dataclass(frozen=True)
class VideoSource:
    """Where one video comes from: a file, or a member of a zip archive."""
    stem: str
    path: str
    member: Optional[str] = None
    fingerprint: Optional[Dict[str, object]] = None  # of the zip member (read with the list)

    def __str__(self) -> str:
        return f'{self.path}:{self.member}' if self.member else self.path


def warn(message: str) -> None:
    """One 'warning: ...' line on stderr (the tool's output format)."""
    print(f'warning: {message}', file=sys.stderr)


def _archive_sources(path: str) -> List[VideoSource]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(archive.infolist(), key=lambda info: info.filename)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f'{path}: not a readable zip archive ({e}); download it again') from e
    return [VideoSource(osp.splitext(osp.basename(m.filename))[0], path, m.filename,
                        zip_member_fingerprint(m)) for m in members
            if osp.splitext(m.filename)[1].lower() == VIDEO_EXT]


def _file_source(path: str) -> List[VideoSource]:
    stem, ext = osp.splitext(osp.basename(path))
    if ext.lower() == VIDEO_EXT:
        return [VideoSource(stem, path)]
    if ext.lower() == ARCHIVE_EXT:
        return _archive_sources(path)
    return []


def find_sources(src: str) -> List[VideoSource]:
    """Every .avi under ``src`` (a folder, one .avi or one .zip), loose or in zips, by path."""
    if osp.isfile(src):
        if osp.splitext(src)[1].lower() not in (VIDEO_EXT, ARCHIVE_EXT):
            raise DataError(f'{src} is a file, not a folder: {SRC_HELP} (one .avi or .zip file '
                            f'is also accepted)')
        return _file_source(src)
    if not osp.isdir(src):
        raise DataError(f'{src} not found: {SRC_HELP}')
    sources = []
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            sources.extend(_file_source(osp.join(folder, name)))
    return sources


def kth_items(sources: List[VideoSource], dst: str, skip_bad: bool) -> List[ConversionItem]:
    """One conversion item per KTH video; names outside the KTH pattern refused or skipped."""
    bad = [s for s in sources if not VIDEO_NAME.match(s.stem)]
    if bad and not skip_bad:
        names = ', '.join(str(s) for s in bad[:3]) + (' ...' if len(bad) > 3 else '')
        raise DataError(f'{len(bad)} video(s) not named personXX_<action>_dY_uncomp.avi: {names}; '
                        f'rename them or pass --skip-bad')
    for s in bad:
        warn(f'skipping {s}: not named personXX_<action>_dY_uncomp.avi')
    items: List[ConversionItem] = []
    seen: Dict[str, VideoSource] = {}
    for source in sources:
        match = VIDEO_NAME.match(source.stem)
        if match is None:
            continue
        if source.stem in seen:
            warn(f'skipping {source}: same video as {seen[source.stem]}')
            continue
        seen[source.stem] = source
        fingerprint = source.fingerprint or file_fingerprint(source.path)
        items.append(ConversionItem(name=str(source),
                                    target=osp.join(dst, match.group(2), source.stem),
                                    fingerprint=fingerprint, source=osp.abspath(source.path),
                                    data=source))
    return items


def _extract(source: VideoSource, folder: str) -> str:
    """Copy a zip member to a temporary file in ``folder`` (OpenCV decodes files only)."""
    path = osp.join(folder, EXTRACTED_NAME)
    try:
        with zipfile.ZipFile(source.path) as archive, archive.open(source.member) as f_in, \
                open(path, 'wb') as f_out:
            shutil.copyfileobj(f_in, f_out)
    except (zipfile.BadZipFile, EOFError) as e:  # a bad CRC or a truncated member
        raise DamagedFileError(str(source), f'cannot be extracted ({e})',
                               'download the archive again') from e
    return path


def convert_video(item: ConversionItem, folder: str) -> Dict[str, int]:
    """Decode one KTH video into ``folder`` as image_NNNN.png; the number of frames."""
    source: VideoSource = item.data
    video_path = source.path if source.member is None else _extract(source, folder)
    count = 0
    for count, frame in enumerate(iter_video_frames(video_path, item.name), 1):
        # The decoded BGR frame as is: 3 channels, which the original loader indexes.
        path = osp.join(folder, FRAME_PATTERN.format(FIRST_FRAME_NUMBER + count - 1))
        if not cv2.imwrite(path, frame):
            raise OSError(errno.EIO, 'cv2.imwrite failed (disk full or no permission?)', path)
    if source.member is not None:
        os.remove(video_path)
    return {FRAMES_KEY: count}


def check_frames(folder: str, record: ConversionRecord) -> None:
    """Decode every frame of a finished video folder (``--verify``): DataError if one is damaged."""
    names = sorted(n for n in os.listdir(folder) if n.startswith('image'))
    expected = record.counts.get(FRAMES_KEY)
    if len(names) != expected:
        raise DataError(f'{folder}: {len(names)} frame files, the conversion wrote {expected}')
    for name in names:
        read_image(osp.join(folder, name), cv2.IMREAD_UNCHANGED, 'convert its video again')


def repair_command(frame_path: str, data_root: str) -> str:
    """What to run to rebuild the video folder holding ``frame_path`` (named in the message)."""
    folder = osp.dirname(frame_path)
    record = read_record(folder)
    src = shlex.quote(record.source) if record is not None and record.source else 'RAW_KTH_DIR'
    return (f'rebuild its folder {folder} with: {TOOL} {src} {shlex.quote(data_root)} --verify')


def _check_dst(dst: str) -> None:
    if osp.exists(dst) and not osp.isdir(dst):
        raise DataError(f'{dst} is a file, not a folder: give a folder for the frame folders '
                        f'(it is created if missing), e.g. data/kth')
    for action in ACTIONS:  # readers expect all six action folders, even for a partial release
        path = osp.join(dst, action)
        if osp.exists(path) and not osp.isdir(path):
            raise DataError(f'{path} is a file where the {action} frame folders belong: move it '
                            f'away and run again')
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as e:
            raise DataError(f'{path} cannot be created ({e.strerror or e}): give a writable '
                            f'destination folder') from e


def prepare(src: str, dst: str, workers: int = 1, skip_bad: bool = False,
            verify: bool = False) -> ConversionReport:
    """Convert every KTH video of ``src`` whose frame folder in ``dst`` is missing or stale.

    ``verify`` also decodes every frame of the finished folders and redoes damaged ones.
    Raises a one-line DataError listing damaged videos (after converting the others) unless
    ``skip_bad``.
    """
    sources = find_sources(src)
    if not sources:
        raise DataError(f'{src} holds no KTH video (personXX_<action>_dY_uncomp.avi, or the six '
                        f'action .zip archives)')
    items = kth_items(sources, dst, skip_bad)
    _check_dst(dst)
    report = convert_items(items, convert_video, check=check_frames, verify=verify,
                           workers=workers, skip_bad=skip_bad, noun='video',
                           damage_advice=DAMAGE_ADVICE)
    return report
