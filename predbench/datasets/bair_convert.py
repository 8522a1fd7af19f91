"""Convert BAIR robot pushing into the uint8 frame caches that :class:`BAIRPush` maps.

Sources (``SRC``), per split ``train`` and ``test``:

* the public release, ``softmotion30_44k/<split>/*.tfrecords`` (SRC may be the folder holding
  ``softmotion30_44k``, that folder itself, or hold ``<split>/`` directly): each record a
  ``tf.train.Example`` of one video whose frame t is ``<t>/image_aux1/encoded`` (64x64x3 raw RGB
  bytes) with the 4-number action ``<t>/action``; the frames of a video are t = 0, 1, ... while
  ``<t>/action`` exists, as the original release's ``bair.py`` counts them;
* frames already extracted, ``[processed_data/]<split>/<group>/<video>/<t>.png`` (the layout of
  common conversion scripts, e.g. ``traj_0_to_255/0/0.png``), with the actions, if any, in
  ``<video>/actions.npy`` or ``actions.csv`` (one row per frame).

Each TFRecord file (or extracted group folder) is one item of
:func:`~predbench.datasets.conversion.convert_items`, written to ``DST/<split>/<name>/`` as
``frames.npy`` (uint8 [N, H, W, 3], every frame of its videos in order,
:func:`~predbench.datasets.frame_cache.write_frames`), ``videos.npy`` (int64 [V, 2]: first frame
and length of each video) and ``actions.npy`` (float32 [N, A], one row per frame). A damaged
record (a CRC that does not match, a truncated file, a record that is not a BAIR example) is
reported by file and record number, and its file gets no folder.
"""
import hashlib
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from ..utils.errors import DataError
from .conversion import (ConversionItem, ConversionRecord, ConversionReport, DamagedFileError,
                         convert_items, file_fingerprint, read_record)
from .frame_cache import open_frames, write_frames
from .tfrecord import ExampleFormatError, iter_records, parse_example
from .video_io import read_image

SPLITS = ('train', 'test')
RELEASE_FOLDER = 'softmotion30_44k'
EXTRACTED_FOLDER = 'processed_data'
TFRECORD_EXTENSIONS = ('.tfrecords', '.tfrecord')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg')
FRAME_KEY = '{}/image_aux1/encoded'  # the camera the original release reads
ACTION_KEY = '{}/action'
FRAME_SHAPE = (64, 64, 3)
FRAMES_FILE, VIDEOS_FILE, ACTIONS_FILE = 'frames.npy', 'videos.npy', 'actions.npy'
ACTION_FILES = ('actions.npy', 'actions.csv')
TOOL = 'python tools/data/prepare_bair.py'
DAMAGE_ADVICE = ('download these files again and rerun the same command, which keeps the '
                 'finished files; or pass --skip-bad to go on without them')


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def _visible(folder: str) -> List[str]:
    return sorted((n for n in os.listdir(folder) if not n.startswith('.')), key=_natural_key)


def _split_folder(src: str, split: str) -> Optional[str]:
    for parent in (osp.join(src, RELEASE_FOLDER), osp.join(src, EXTRACTED_FOLDER), src):
        if osp.isdir(osp.join(parent, split)):
            return osp.join(parent, split)
    return None


def _folder_fingerprint(folder: str) -> Dict[str, object]:
    """Identity of an extracted group folder: a hash of every file's path, size and mtime."""
    digest = hashlib.sha256()
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            stat = os.stat(osp.join(root, name))
            rel = osp.relpath(osp.join(root, name), folder)
            digest.update(f'{rel}\t{stat.st_size}\t{stat.st_mtime_ns}\n'.encode())
            count += 1
    return dict(name=osp.basename(folder), files=count, digest=digest.hexdigest()[:24])


def bair_items(src: str, dst: str) -> List[ConversionItem]:
    """One conversion item per TFRecord file or extracted group folder of each split."""
    if not osp.isdir(src):
        raise DataError(f'{src} not found: give the folder holding {RELEASE_FOLDER}/ (the '
                        f'extracted bair_robot_pushing_dataset_v0.tar) or train/ and test/')
    items = []
    for split in SPLITS:
        folder = _split_folder(src, split)
        if folder is None:
            continue
        names = _visible(folder)
        records = [n for n in names if n.lower().endswith(TFRECORD_EXTENSIONS)]
        groups = [n for n in names if osp.isdir(osp.join(folder, n))]
        for name in records:
            path = osp.join(folder, name)
            items.append(ConversionItem(
                name=path, target=osp.join(dst, split, osp.splitext(name)[0]),
                fingerprint=file_fingerprint(path), source=osp.abspath(path),
                data=('tfrecord', path)))
        if not records:
            for name in groups:
                path = osp.join(folder, name)
                items.append(ConversionItem(
                    name=path, target=osp.join(dst, split, name),
                    fingerprint=_folder_fingerprint(path), source=osp.abspath(path),
                    data=('folder', path)))
    if not items:
        raise DataError(f'{src} holds no BAIR data: expected {RELEASE_FOLDER}/train/*.tfrecords '
                        f'(and test/), or extracted frames {EXTRACTED_FOLDER}/train/<group>/'
                        f'<video>/<t>.png')
    return items


# -- converters -----------------------------------------------------------------------------------
def _record_video(example: dict, name: str, record: int
                  ) -> Tuple[List[np.ndarray], np.ndarray]:
    """The frames [H, W, 3] and actions [T, A] of one parsed BAIR example."""
    def damaged(what: str, advice: str = 'download the file again') -> DamagedFileError:
        return DamagedFileError(name, f'record {record}: {what}', advice)

    frames, actions = [], []
    while len(example.get(ACTION_KEY.format(len(actions)), [])):
        t = len(actions)
        action = example[ACTION_KEY.format(t)]
        if not isinstance(action, np.ndarray) or action.dtype != np.float32:
            raise damaged(f'{ACTION_KEY.format(t)} is not a list of floats',
                          'check that it is a BAIR file')
        encoded = example.get(FRAME_KEY.format(t))
        if not encoded or not isinstance(encoded, list):
            raise damaged(f'frame {t} has an action but no {FRAME_KEY.format(t)}')
        raw = encoded[0]
        if len(raw) != int(np.prod(FRAME_SHAPE)):
            raise damaged(f'{FRAME_KEY.format(t)} holds {len(raw)} bytes, expected '
                          f'{int(np.prod(FRAME_SHAPE))} (64x64 raw RGB)')
        frames.append(np.frombuffer(raw, np.uint8).reshape(FRAME_SHAPE))
        actions.append(action)
    if not actions:
        raise damaged(f'no {ACTION_KEY.format(0)} feature: not a BAIR video',
                      'check that it is a file of softmotion30_44k')
    widths = {len(a) for a in actions}
    if len(widths) != 1:
        raise damaged(f'actions of different lengths {sorted(widths)}')
    return frames, np.stack(actions)


def _tfrecord_videos(item: ConversionItem):
    path = item.data[1]
    for index, data in iter_records(path, item.name):
        try:
            example = parse_example(data)
        except (ExampleFormatError, UnicodeDecodeError) as e:
            raise DamagedFileError(item.name, f'record {index}: not a tf.train.Example ({e})',
                                   'download the file again') from e
        yield _record_video(example, item.name, index)


def _read_actions_file(folder: str) -> Optional[np.ndarray]:
    for name in ACTION_FILES:
        path = osp.join(folder, name)
        if osp.isfile(path):
            try:
                if name.endswith('.npy'):
                    return np.load(path, allow_pickle=False).astype(np.float32)
                return np.loadtxt(path, delimiter=',', ndmin=2).astype(np.float32)
            except ValueError as e:
                raise DamagedFileError(path, f'cannot be read as numbers ({e})',
                                       'write it again, one row per frame') from e
    return None


def _folder_videos(item: ConversionItem):
    group = item.data[1]
    names = _visible(group)
    if any(n.lower().endswith(IMAGE_EXTENSIONS) for n in names):
        videos = [group]  # the group folder is itself one video
    else:
        videos = [osp.join(group, n) for n in names if osp.isdir(osp.join(group, n))]
    for video in videos:
        frame_names = [n for n in _visible(video) if n.lower().endswith(IMAGE_EXTENSIONS)]
        if not frame_names:
            raise DamagedFileError(video, 'holds no frame images', 'check the folder')
        frames = [cv2.cvtColor(read_image(osp.join(video, n), cv2.IMREAD_COLOR),
                               cv2.COLOR_BGR2RGB) for n in frame_names]
        actions = _read_actions_file(video)
        if actions is not None and (actions.ndim != 2 or len(actions) != len(frames)):
            raise DamagedFileError(video, f'its actions are {list(actions.shape)} for '
                                   f'{len(frames)} frames', 'write one row per frame')
        yield frames, actions


def convert_bair_item(item: ConversionItem, folder: str) -> Dict[str, int]:
    """Write one TFRecord file's (or group folder's) videos into ``folder``; the counts."""
    videos = _tfrecord_videos(item) if item.data[0] == 'tfrecord' else _folder_videos(item)
    all_frames, all_actions, spans = [], [], []
    for frames, actions in videos:
        spans.append((sum(len(f) for f in all_frames), len(frames)))
        all_frames.append(frames)
        all_actions.append(actions)
    if not spans:
        raise DamagedFileError(item.name, 'holds no video', 'check that it is a BAIR file')
    with_actions = [a is not None for a in all_actions]
    if any(with_actions) and not all(with_actions):
        raise DamagedFileError(item.name, 'some of its videos have an actions file and some '
                               'do not', 'give every video its actions, or none')
    frames = [frame for video in all_frames for frame in video]
    write_frames(osp.join(folder, FRAMES_FILE), frames, label=item.name)
    np.save(osp.join(folder, VIDEOS_FILE), np.asarray(spans, np.int64))
    counts = {'videos': len(spans), 'frames': len(frames)}
    if all(with_actions):
        widths = {a.shape[1] for a in all_actions}
        if len(widths) != 1:
            raise DamagedFileError(item.name, f'actions of different widths {sorted(widths)}',
                                   'check the actions')
        np.save(osp.join(folder, ACTIONS_FILE), np.concatenate(all_actions).astype(np.float32))
        counts['actions'] = len(frames)  # one row per frame
    return counts


def check_bair_folder(folder: str, record: ConversionRecord) -> None:
    """``--verify``: the arrays of a finished folder load and agree with its record."""
    frames = open_frames(osp.join(folder, FRAMES_FILE), record.counts.get('frames'))
    if frames is None:
        raise DataError(f'{folder}/{FRAMES_FILE} is not the frame cache the conversion wrote')
    spans = np.load(osp.join(folder, VIDEOS_FILE), allow_pickle=False)
    if spans.ndim != 2 or len(spans) != record.counts.get('videos') or \
            int(spans[:, 1].sum()) != len(frames):
        raise DataError(f'{folder}/{VIDEOS_FILE} does not describe the frames')
    if 'actions' in record.counts:
        actions = np.load(osp.join(folder, ACTIONS_FILE), mmap_mode='r', allow_pickle=False)
        if actions.ndim != 2 or len(actions) != len(frames):
            raise DataError(f'{folder}/{ACTIONS_FILE} does not match the frames')


def prepare(src: str, dst: str, workers: int = 1, skip_bad: bool = False,
            verify: bool = False) -> ConversionReport:
    """Convert every BAIR file of ``src`` whose folder in ``dst`` is missing or stale.

    Raises a one-line DataError listing damaged files (after converting the others) unless
    ``skip_bad``.
    """
    if osp.exists(dst) and not osp.isdir(dst):
        raise DataError(f'{dst} is a file, not a folder: give a folder for the converted data '
                        f'(it is created if missing), e.g. data/bair')
    items = bair_items(src, dst)
    return convert_items(items, convert_bair_item, check=check_bair_folder, verify=verify,
                         workers=workers, skip_bad=skip_bad, noun='file',
                         damage_advice=DAMAGE_ADVICE)


def describe(dst: str) -> str:
    """One line per split: files, videos and frames converted in ``dst`` (for the tool)."""
    lines = []
    for split in SPLITS:
        folder = osp.join(dst, split)
        if not osp.isdir(folder):
            continue
        videos = frames = files = 0
        for name in _visible(folder):
            record = read_record(osp.join(folder, name))
            if record is not None:
                files += 1
                videos += record.counts.get('videos', 0)
                frames += record.counts.get('frames', 0)
        lines.append(f'{split}: {files} files, {videos} videos, {frames} frames in {folder}')
    return '\n'.join(lines)
