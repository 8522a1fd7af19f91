"""Decode raw KTH videos (AVIs, loose or in the action zips) into the release's frame folders.

Output: ``<dst>/<action>/personXX_<action>_dY_uncomp/image_NNNN.png`` (1-based), 3-channel PNGs of
the decoded frames as is, which both predbench and the original PredRNN loader read. Each video
is written to a hidden partial folder and renamed when complete, so a rerun skips finished
videos and redoes only an interrupted one; nothing else in ``dst`` is touched. Lives in the
package (not the tool) so worker processes can import it under any start method.
"""
import os
import os.path as osp
import shutil
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import cv2

from ..utils.errors import DataError, PredBenchError
from .kth_layout import ACTIONS, VIDEO_NAME

VIDEO_EXT = '.avi'
ARCHIVE_EXT = '.zip'
FRAME_PATTERN = 'image_{:04d}.png'
FIRST_FRAME_NUMBER = 1  # the original release's frame folders count from image_0001.png
PARTIAL_PREFIX = '.partial-'  # hidden, so the dataset ignores half-written folders
EXTRACTED_NAME = '.video' + VIDEO_EXT
PROGRESS_EVERY = 50  # videos between progress lines (the release has 599)


@dataclass
class VideoSource:
    """Where one video comes from: a file, or a member of a zip archive."""
    stem: str
    path: str
    member: Optional[str] = None

    def __str__(self) -> str:
        return f'{self.path}:{self.member}' if self.member else self.path


def warn(message: str) -> None:
    """One 'warning: ...' line on stderr (the tool's output format)."""
    print(f'warning: {message}', file=sys.stderr)


def find_sources(src: str) -> List[VideoSource]:
    """Every .avi under ``src``, loose or inside .zip archives, sorted by path."""
    if not osp.isdir(src):
        raise DataError(f'{src} not found: give the folder holding the KTH AVIs or the six action '
                        f'.zip archives (boxing.zip ... running.zip)')
    sources = []
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = osp.join(folder, name)
            stem, ext = osp.splitext(name)
            if ext.lower() == VIDEO_EXT:
                sources.append(VideoSource(stem, path))
            elif ext.lower() == ARCHIVE_EXT:
                try:
                    with zipfile.ZipFile(path) as archive:
                        members = sorted(archive.namelist())
                except zipfile.BadZipFile as e:
                    raise DataError(f'{path}: not a readable zip archive ({e}); download it '
                                    f'again') from e
                for member in members:
                    base = osp.basename(member)
                    if osp.splitext(base)[1].lower() == VIDEO_EXT:
                        sources.append(VideoSource(osp.splitext(base)[0], path, member))
    return sources


def _decode(video_path: str, partial: str, label: str) -> int:
    """Write every decodable frame of ``video_path`` into ``partial``; the number written."""
    capture = cv2.VideoCapture(video_path)
    count = 0
    try:
        while capture.isOpened():
            ok, frame = capture.read()
            if not ok:
                break
            # The decoded BGR frame as is: 3 channels, which the original loader indexes.
            path = osp.join(partial, FRAME_PATTERN.format(FIRST_FRAME_NUMBER + count))
            if not cv2.imwrite(path, frame):
                raise DataError(f'{path}: cannot be written (disk full or no permission?)')
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise DataError(f'{label}: unreadable or corrupted video (no frame could be decoded); '
                        f'download it again or pass --skip-bad')
    return count


def convert(source: VideoSource, target: str) -> int:
    """Decode ``source`` into the frame folder ``target`` atomically; the number of frames."""
    parent = osp.dirname(target)
    os.makedirs(parent, exist_ok=True)
    partial = osp.join(parent, PARTIAL_PREFIX + osp.basename(target))
    if osp.isdir(partial):  # left by an interrupted run of this tool
        shutil.rmtree(partial)
    os.makedirs(partial)
    try:
        video_path = source.path
        if source.member is not None:
            video_path = osp.join(partial, EXTRACTED_NAME)
            with zipfile.ZipFile(source.path) as archive, archive.open(source.member) as f_in, \
                    open(video_path, 'wb') as f_out:
                shutil.copyfileobj(f_in, f_out)
        count = _decode(video_path, partial, str(source))
        if source.member is not None:
            os.remove(video_path)
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return count


def _convert_job(job: Tuple[VideoSource, str]) -> Tuple[str, int, Optional[str]]:
    """(stem, frames, error message or None): errors travel back as text from worker processes."""
    source, target = job
    try:
        return source.stem, convert(source, target), None
    except PredBenchError as e:
        return source.stem, 0, str(e)


def plan(sources: List[VideoSource], dst: str,
         skip_bad: bool) -> Tuple[List[Tuple[VideoSource, str]], int]:
    """(videos to convert with their target folder, number already converted)."""
    bad = [s for s in sources if not VIDEO_NAME.match(s.stem)]
    if bad and not skip_bad:
        names = ', '.join(str(s) for s in bad[:3]) + (' ...' if len(bad) > 3 else '')
        raise DataError(f'{len(bad)} video(s) not named personXX_<action>_dY_uncomp.avi: {names}; '
                        f'rename them or pass --skip-bad')
    for s in bad:
        warn(f'skipping {s}: not named personXX_<action>_dY_uncomp.avi')
    jobs: List[Tuple[VideoSource, str]] = []
    seen: Dict[str, VideoSource] = {}
    done = 0
    for source in sources:
        match = VIDEO_NAME.match(source.stem)
        if match is None:
            continue
        if source.stem in seen:
            warn(f'skipping {source}: same video as {seen[source.stem]}')
            continue
        seen[source.stem] = source
        target = osp.join(dst, match.group(2), source.stem)
        if osp.isdir(target):
            done += 1
        else:
            jobs.append((source, target))
    return jobs, done


def _run(jobs: List[Tuple[VideoSource, str]], workers: int) -> List[Tuple[str, int, Optional[str]]]:
    """Convert the videos, in worker processes when asked, reporting progress as they finish."""
    pool = ProcessPoolExecutor(workers) if workers > 1 and len(jobs) > 1 else None
    results = []
    try:
        outcomes = pool.map(_convert_job, jobs) if pool else map(_convert_job, jobs)
        for result in outcomes:
            results.append(result)
            if len(results) % PROGRESS_EVERY == 0:
                print(f'{len(results)}/{len(jobs)} videos done')
    finally:
        if pool is not None:
            pool.shutdown()
    return results


def prepare(src: str, dst: str, workers: int = 1, skip_bad: bool = False) -> Dict[str, int]:
    """Convert every KTH video of ``src`` missing from ``dst``; counts of what happened."""
    sources = find_sources(src)
    if not sources:
        raise DataError(f'{src} holds no KTH video (personXX_<action>_dY_uncomp.avi, or the six '
                        f'action .zip archives)')
    jobs, done = plan(sources, dst, skip_bad)
    for action in ACTIONS:  # readers expect all six action folders, even for a partial release
        os.makedirs(osp.join(dst, action), exist_ok=True)
    results = _run(jobs, workers)
    errors = [message for _, _, message in results if message is not None]
    for message in errors if skip_bad else []:
        warn(f'skipped: {message}')
    if errors and not skip_bad:
        raise DataError(f'{len(errors)} video(s) could not be converted (the others were); '
                        f'first: {errors[0]}')
    converted = len(results) - len(errors)
    frames = sum(count for _, count, _ in results)
    print(f'{dst}: {converted} videos converted ({frames} frames), {done} already there, '
          f'{len(errors)} skipped as unreadable')
    return dict(converted=converted, already_there=done, failed=len(errors), frames=frames)
