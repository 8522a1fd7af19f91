"""VideoFolder: your own videos (files and frame folders, odd sizes) as windows, split by video.

The folder holds a 90x70 MJPG AVI, a 90x70 MP4 (mp4v, when this OpenCV can write it), a 90x70
GIF and a folder of 90x70 PNG frames. Frames are decoded once into the frame cache through the
conversion path; the values are checked against OpenCV's resize of the source frames.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT
from predbench.datasets import VideoFolder
from predbench.datasets.video_folder_convert import MANIFEST_NAME, read_manifest
from predbench.datasets.video_folder_layout import (ratio_counts, split_by_ratio,
                                                    window_starts)
from predbench.utils.errors import ConfigError, DataError
from tool_runner import load_tool
from video_samples import FRAMES, gif_frame, source_frame, write_video_folder

Image = pytest.importorskip('PIL.Image')


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """(folder of videos, whether the MP4 could be written)."""
    root = tmp_path_factory.mktemp('videos')
    return str(root), write_video_folder(str(root))


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / 'cache')


def names(videos_fixture):
    root, has_mp4 = videos_fixture
    return sorted(n for n in FRAMES if has_mp4 or n != 'drive.mp4')


def build(root, cache, split='train', **kwargs):
    kwargs.setdefault('split_ratios', (0.5, 0.25, 0.25))
    return VideoFolder(root, split=split, cache_dir=cache, **kwargs)


def test_every_format_becomes_windows_of_uint8_frames_split_by_video(videos, cache):
    root, has_mp4 = videos  # without an MP4 writer here, the folder has 3 videos, not 4
    splits = {s: build(root, cache, s, seq_length=10) for s in ('train', 'val', 'test')}
    seen = [v for d in splits.values() for v in d.metainfo['videos']]
    assert sorted(seen) == names(videos)  # every video in exactly one split
    assert [len(d.metainfo['videos']) for d in splits.values()] == \
        ([2, 1, 1] if has_mp4 else [1, 1, 1])
    for dataset in splits.values():  # windows: floor(frames / 10), non-overlapping
        expected = sum(FRAMES[n] // 10 for n in dataset.metainfo['videos'])
        assert len(dataset) == expected
        assert {dataset.window_of(i)['video'] for i in range(len(dataset))} == \
            set(dataset.metainfo['videos'])
        item = dataset[len(dataset) - 1]
        assert item['inputs'].shape == (10, 3, 64, 64) and str(item['inputs'].dtype) == \
            'torch.uint8'
        assert item['data_samples'] == {'index': len(dataset) - 1}
    assert splits['train'].metainfo['image_size'] == (64, 64)
    assert splits['train'].metainfo['num_channels'] == 3


def keep_aspect_64(rgb):
    """The expected fit of a 90x70 frame to 64x64: area-shrink to 82x64, crop columns 9..72."""
    return cv2.resize(rgb, (82, 64), interpolation=cv2.INTER_AREA)[:, 9:73]


def test_frames_are_resized_to_cover_and_center_cropped_exactly(videos, cache):
    root, _ = videos
    dataset = build(root, cache, split_ratios=(1, 0, 0), seq_length=5, stride=5)
    by_video = {}
    for i in range(len(dataset)):
        by_video.setdefault(dataset.window_of(i)['video'], i)
    cam = dataset[by_video['cam'] + 2]['inputs'].numpy()  # frames 10..14 of the PNGs
    assert dataset.window_of(by_video['cam'] + 2)['frames'] == [10, 11, 12, 13, 14]
    np.testing.assert_array_equal(cam[0].transpose(1, 2, 0), keep_aspect_64(source_frame(10, 3)))
    gif = dataset[by_video['spin.gif'] + 1]['inputs'].numpy()  # lossless palette colours
    np.testing.assert_array_equal(gif[4].transpose(1, 2, 0), keep_aspect_64(gif_frame(9)))
    avi = dataset[by_video['walk.avi']]['inputs'].numpy().astype(int)  # MJPG is lossy
    assert np.abs(avi[3].transpose(1, 2, 0) - keep_aspect_64(source_frame(3, 1))).mean() < 4


def test_grayscale_stretched_frames_and_temporal_subsampling(videos, cache):
    root, _ = videos
    dataset = build(root, cache, split_ratios=(1, 0, 0), seq_length=4, frame_step=3,
                    image_size=(35, 45), channels=1, keep_aspect=False)
    # A window covers (4 - 1) * 3 + 1 = 10 frames; starts 12 frames apart (4 x 3).
    cam = [i for i in range(len(dataset)) if dataset.window_of(i)['video'] == 'cam']
    assert [dataset.window_of(i)['frames'] for i in cam] == [[0, 3, 6, 9], [12, 15, 18, 21]]
    clip = dataset[cam[1]]['inputs'].numpy()
    assert clip.shape == (4, 1, 35, 45)
    gray = cv2.cvtColor(source_frame(15, 3), cv2.COLOR_RGB2GRAY)
    np.testing.assert_array_equal(clip[1, 0], cv2.resize(gray, (45, 35),
                                                         interpolation=cv2.INTER_AREA))
    assert dataset.metainfo['num_channels'] == 1 and dataset.metainfo['frame_step'] == 3


def test_windows_start_stride_frames_apart_and_short_videos_are_skipped(videos, cache):
    assert list(window_starts(45, 10, 10, 1)) == [0, 10, 20, 30]
    assert list(window_starts(45, 5, 10, 2)) == [0, 10, 20, 30]  # span 9: 30..38 fits, 40 not
    assert list(window_starts(45, 10, 3, 1)) == list(range(0, 36, 3))  # overlapping windows
    assert list(window_starts(8, 10, 10, 1)) == []
    root, _ = videos
    dataset = build(root, cache, split_ratios=(1, 0, 0), seq_length=23)
    assert set(dataset.metainfo['videos']) == {'walk.avi', 'cam'} | (
        {'drive.mp4'} if 'drive.mp4' in names(videos) else set())
    assert dataset.metainfo['num_skipped_videos'] == 1  # the 22-frame GIF


def test_ratio_split_counts_and_order_do_not_depend_on_the_listing():
    assert ratio_counts(3, (0.8, 0.1, 0.1)) == [1, 1, 1]
    assert ratio_counts(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    assert ratio_counts(5, (0.8, 0.1, 0.1)) == [3, 1, 1]
    assert ratio_counts(2, (0.8, 0.1, 0.1)) == [1, 1, 0]
    assert ratio_counts(7, (0, 0, 1)) == [0, 0, 7]
    listed = [f'clip_{i}.mp4' for i in range(20)]
    split = split_by_ratio(listed, (0.8, 0.1, 0.1), seed=3)
    assert split == split_by_ratio(list(reversed(listed)), (0.8, 0.1, 0.1), seed=3)
    assert [len(split[s]) for s in ('train', 'val', 'test')] == [16, 2, 2]
    assert split != split_by_ratio(listed, (0.8, 0.1, 0.1), seed=4)


def test_list_files_decide_the_split_and_are_checked(videos, cache, tmp_path):
    root = tmp_path / 'listed'  # the same videos through symbolic links, plus list files
    root.mkdir()
    for name in os.listdir(videos[0]):
        os.symlink(osp.join(videos[0], name), root / name)
    (root / 'train.txt').write_text('# training videos\nwalk.avi\n./cam\n')
    (root / 'test.txt').write_text('spin.gif\n')
    train = build(str(root), cache, 'train', seq_length=10)
    test = build(str(root), cache, 'test', seq_length=10)
    assert train.metainfo['videos'] == ['walk.avi', 'cam']  # in the order listed
    assert test.metainfo['videos'] == ['spin.gif']
    assert len(train) == 4 + 2 and 'list files' in train.metainfo['split_rule']
    with pytest.raises(DataError, match="no video to split 'val'"):
        build(str(root), cache, 'val', seq_length=10)
    (root / 'test.txt').write_text('spin.gif\nwalk.avi\n')
    with pytest.raises(DataError, match=r'test.txt:2: walk.avi is already listed at .*'
                                        r'train.txt:2'):
        build(str(root), cache, 'test', seq_length=10)
    (root / 'test.txt').write_text('missing.mp4\n')
    with pytest.raises(DataError, match=r'test.txt:1: missing.mp4 is not a video of'):
        build(str(root), cache, 'test', seq_length=10)


def test_each_video_is_decoded_once_and_again_only_when_it_changes(videos, cache, tmp_path):
    root = tmp_path / 'copy'
    root.mkdir()
    for name in ('walk.avi', 'spin.gif'):
        (root / name).write_bytes(open(osp.join(videos[0], name), 'rb').read())
    first = build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10)
    folder = first.metainfo['folder']
    entries = {v['name']: osp.join(folder, v['entry'], 'frames.npy')
               for v in read_manifest(folder).videos}
    stamps = {n: os.stat(p).st_mtime_ns for n, p in entries.items()}
    build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10)
    assert {n: os.stat(p).st_mtime_ns for n, p in entries.items()} == stamps
    os.utime(root / 'walk.avi', ns=(1, 1))  # a replaced source: same name, new identity
    build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10)
    assert os.stat(entries['walk.avi']).st_mtime_ns != stamps['walk.avi']
    assert os.stat(entries['spin.gif']).st_mtime_ns == stamps['spin.gif']
    other = build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10, image_size=32)
    assert other.metainfo['folder'] != folder  # other options: another cache folder
    assert other[0]['inputs'].shape == (10, 3, 32, 32)


def test_a_damaged_video_is_named_in_one_line_and_skip_bad_goes_on(videos, cache, tmp_path):
    root = tmp_path / 'damaged'
    root.mkdir()
    (root / 'spin.gif').write_bytes(open(osp.join(videos[0], 'spin.gif'), 'rb').read())
    data = open(osp.join(videos[0], 'walk.avi'), 'rb').read()
    (root / 'walk.avi').write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError) as error:
        build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10)
    message = str(error.value)
    assert '\n' not in message and 'walk.avi' in message and 'skip_bad=True' in message
    assert 'frames its container declares' in message
    dataset = build(str(root), cache, split_ratios=(1, 0, 0), seq_length=10, skip_bad=True)
    assert dataset.metainfo['videos'] == ['spin.gif'] and len(dataset) == 2


def test_a_prepared_folder_reads_the_same_clips_and_checks_its_options(videos, cache, tmp_path,
                                                                       capsys):
    root, _ = videos
    dst = str(tmp_path / 'prepared')
    tool = load_tool('data/prepare_videos.py')
    assert tool.main([root, dst, '--image-size', '64', '64', '--workers', '1',
                      '--seq-length', '10', '--split-ratios', '0.5', '0.25', '0.25']) == 0
    out = capsys.readouterr().out
    assert osp.isfile(osp.join(dst, MANIFEST_NAME))
    from_source = build(root, cache, 'train', seq_length=10)
    from_prepared = build(dst, str(tmp_path / 'unused'), 'train', seq_length=10)
    assert from_prepared.metainfo['videos'] == from_source.metainfo['videos']
    np.testing.assert_array_equal(from_prepared[1]['inputs'], from_source[1]['inputs'])
    assert not osp.exists(tmp_path / 'unused')  # nothing decoded again
    # The summary counts the clips of each split as the dataset does.
    test = build(root, cache, 'test', seq_length=10)
    assert f'{"test":<6}{1:>8}{len(test):>8}{0:>11}' in out.splitlines()  # its table row
    assert f'--data-root {dst}' in out
    with pytest.raises(ConfigError, match=r'prepared as 64x64 \(HxW\) RGB.*asks for 32x32'):
        build(dst, cache, 'train', seq_length=10, image_size=32)


def test_prepare_videos_lists_damaged_files_and_exits_1(videos, tmp_path, capsys):
    root = tmp_path / 'mixed'
    root.mkdir()
    (root / 'spin.gif').write_bytes(open(osp.join(videos[0], 'spin.gif'), 'rb').read())
    (root / 'broken.avi').write_bytes(open(osp.join(videos[0], 'walk.avi'), 'rb').read()[:2000])
    tool = load_tool('data/prepare_videos.py')
    dst = str(tmp_path / 'out')
    assert tool.main([str(root), dst, '--workers', '1']) == 1
    captured = capsys.readouterr()
    error_lines = [line for line in captured.err.splitlines() if line.startswith('error:')]
    assert len(error_lines) == 1 and 'broken.avi' in error_lines[0]
    assert f'damaged: {root}/broken.avi' in captured.out  # named as it is met
    assert read_manifest(dst).damaged.keys() == {'broken.avi'}
    with pytest.raises(DataError, match='1 damaged video'):  # the dataset refuses it ...
        VideoFolder(dst, split_ratios=(1, 0, 0), seq_length=10)
    assert tool.main([str(root), dst, '--workers', '1', '--skip-bad']) == 0
    dataset = VideoFolder(dst, split_ratios=(1, 0, 0), seq_length=10)  # ... unless skipped
    assert dataset.metainfo['videos'] == ['spin.gif']


# --- distributed: rank 0 decodes, the other ranks wait and share its result or error ---------

WORKER = r'''
import json, sys
import torch.distributed as dist
rank, store, root, cache, out = sys.argv[1:]
# A file store: no TCP server thread in rank 0 to abort its exit ("terminate called ...").
dist.init_process_group('gloo', init_method=f'file://{store}', rank=int(rank), world_size=2)
from predbench.datasets import video_folder_convert
from predbench.datasets import VideoFolder
from predbench.utils.errors import DataError
calls = []
original = video_folder_convert.convert_items
video_folder_convert.convert_items = lambda *a, **k: calls.append(1) or original(*a, **k)
try:
    dataset = VideoFolder(root, seq_length=10, split_ratios=(1, 0, 0), cache_dir=cache)
    result = dict(windows=len(dataset), first=dataset[0]['inputs'].sum().item())
except DataError as e:
    result = dict(error=str(e))
with open(f'{out}.{rank}', 'w') as f:
    json.dump(dict(result, conversions=len(calls)), f)
dist.barrier()
dist.destroy_process_group()
'''


def run_two_ranks(tmp_path, root, cache):
    """Build the dataset in 2 gloo processes; what each rank got."""
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    store = osp.join(tempfile.mkdtemp(dir=str(tmp_path)), 'store')  # fresh for every call
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    out = str(tmp_path / 'rank')
    procs = [subprocess.Popen([sys.executable, str(script), str(rank), store, root, cache, out],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for rank in range(2)]
    logs = [p.communicate(timeout=180)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), '\n'.join(logs)
    return [json.load(open(f'{out}.{rank}')) for rank in range(2)]


def test_under_ddp_rank_0_decodes_and_the_other_rank_shares_its_result_or_error(videos,
                                                                                 tmp_path):
    root = tmp_path / 'ddp'
    root.mkdir()
    (root / 'spin.gif').write_bytes(open(osp.join(videos[0], 'spin.gif'), 'rb').read())
    rank0, rank1 = run_two_ranks(tmp_path, str(root), str(tmp_path / 'cache'))
    assert (rank0['conversions'], rank1['conversions']) == (1, 0)
    assert rank0['windows'] == rank1['windows'] == 2 and rank0['first'] == rank1['first']
    data = open(osp.join(videos[0], 'walk.avi'), 'rb').read()
    (root / 'walk.avi').write_bytes(data[:len(data) // 2])
    rank0, rank1 = run_two_ranks(tmp_path, str(root), str(tmp_path / 'cache'))
    assert 'walk.avi' in rank0['error'] and rank1['error'] == rank0['error']
    assert rank1['conversions'] == 0
