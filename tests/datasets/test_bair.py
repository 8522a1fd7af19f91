"""BAIR robot pushing: conversion from TFRecords (damage named by record); the original's
windows."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from bair_records import video, write_tfrecord
from predbench.datasets import BAIRPush
from predbench.datasets.bair_convert import prepare
from predbench.datasets.conversion import RECORD_NAME
from predbench.datasets.tfrecord import iter_records, parse_example
from predbench.utils.errors import ConfigError, DataError
from tool_runner import run_tool

SEQ = 4
# name -> videos (seed, frames); 'traj_10_to_11' sorts before 'traj_2_to_3' as strings, which
# is the order the original's os.listdir(...).sort() gives.
TRAIN = {'traj_2_to_3.tfrecords': [(0, 6), (1, 5)], 'traj_10_to_11.tfrecords': [(2, 7), (3, 3)]}
TEST = {'traj_0_to_1.tfrecords': [(4, 6), (5, 4)]}


def _write_release(root, corrupt=None):
    corrupt = corrupt or {}
    for split, files in (('train', TRAIN), ('test', TEST)):
        folder = root / 'softmotion30_44k' / split
        folder.mkdir(parents=True, exist_ok=True)
        for name, videos in files.items():
            write_tfrecord(folder / name, [video(seed, n) for seed, n in videos],
                           corrupt=corrupt.get(name))
    return root


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('bair')
    raw = _write_release(root / 'raw')
    prepare(str(raw), str(root / 'data'), workers=1)
    return raw, root / 'data'


def original_windows(split_dir, seq_length):
    """The original bair.py's enumeration, restated: (file, record, start) for every start
    offset of every video, files in sorted order, frames counted by their '<i>/action'."""
    indices = []
    for name in sorted(os.listdir(split_dir)):
        for k, data in iter_records(osp.join(split_dir, name)):
            example = parse_example(data)
            i = 0
            while len(example.get(f'{i}/action', [])):
                i += 1
            for j in range(i - seq_length + 1):
                indices.append((name, k, j))
    return indices


@pytest.mark.parametrize('split,files', [('train', TRAIN), ('test', TEST)])
def test_windows_are_the_originals_in_its_order_with_exact_values(converted, split, files):
    raw, data = converted
    dataset = BAIRPush(str(data), split=split, seq_length=SEQ)
    expected = original_windows(raw / 'softmotion30_44k' / split, SEQ)
    assert len(dataset) == len(expected) == sum(n - SEQ + 1 for v in files.values() for _, n in v)
    for index, (name, k, j) in enumerate(expected):
        frames, actions = video(*files[name][k])
        item = dataset[index]
        assert item['inputs'].dtype == torch.uint8 and item['inputs'].shape == (SEQ, 3, 64, 64)
        np.testing.assert_array_equal(item['inputs'].permute(0, 2, 3, 1).numpy(),
                                      frames[j:j + SEQ])
        np.testing.assert_array_equal(item['actions'].numpy(), actions[j:j + SEQ])
        assert item['data_samples'] == {'index': index}
    assert dataset.metainfo['num_action_ch'] == 4
    assert dataset.num_videos == sum(len(v) for v in files.values())


def test_batches_carry_the_actions_to_the_model(converted):
    _, data = converted
    dataset = BAIRPush(str(data), split='test', seq_length=SEQ, max_windows=3)
    assert len(dataset) == 3 and dataset.num_all_windows == 4
    batch = next(iter(DataLoader(dataset, batch_size=3)))
    assert batch['inputs'].shape == (3, SEQ, 3, 64, 64) and batch['actions'].shape == (3, SEQ, 4)
    from predbench.models import VideoPredictor
    model = VideoPredictor(dict(type='ActionCondPredRNN', num_hidden=[4], img_size=64,
                                filter_size=3), input_length=2).eval()
    data_batch = model.data_preprocessor(batch)
    torch.testing.assert_close(data_batch['inputs'], batch['inputs'].float() / 255)
    outputs = model.test_step(batch)
    assert len(outputs) == 3 and outputs[0]['pred'].shape == (2, 3, 64, 64)
    torch.testing.assert_close(outputs[2]['actions'], batch['actions'][2])


def test_a_damaged_record_is_named_and_only_its_file_is_left_out(tmp_path, capsys):
    raw = _write_release(tmp_path / 'raw', corrupt={'traj_10_to_11.tfrecords': {1: 'data'}})
    data = tmp_path / 'data'
    with pytest.raises(DataError) as info:
        prepare(str(raw), str(data))
    message = str(info.value)
    assert '\n' not in message
    assert message.startswith('1 damaged file(s) not converted (2 other file(s) complete)')
    assert 'traj_10_to_11.tfrecords (record 1: the CRC of its data does not match)' in message
    assert 'damaged: ' in capsys.readouterr().out
    assert not (data / 'train' / 'traj_10_to_11').exists()
    assert not any(n.startswith('.partial') for n in os.listdir(data / 'train'))
    assert len(BAIRPush(str(data), 'train', SEQ)) == 3 + 2  # the other file only

    # Replacing the file and running again converts it and keeps the finished ones.
    write_tfrecord(raw / 'softmotion30_44k' / 'train' / 'traj_10_to_11.tfrecords',
                   [video(2, 7), video(3, 3)])
    kept_mtime = os.stat(data / 'train' / 'traj_2_to_3' / 'frames.npy').st_mtime_ns
    report = prepare(str(raw), str(data))
    assert report.converted == [str(raw / 'softmotion30_44k' / 'train' /
                                    'traj_10_to_11.tfrecords')]
    assert len(report.kept) == 2
    assert os.stat(data / 'train' / 'traj_2_to_3' / 'frames.npy').st_mtime_ns == kept_mtime
    assert len(BAIRPush(str(data), 'train', SEQ)) == 3 + 2 + 4


def test_skip_bad_warns_and_goes_on(tmp_path, capsys):
    raw = _write_release(tmp_path / 'raw', corrupt={'traj_0_to_1.tfrecords': {0: 'length'}})
    report = prepare(str(raw), str(tmp_path / 'data'), skip_bad=True)
    assert list(report.damaged) == [str(raw / 'softmotion30_44k' / 'test' /
                                         'traj_0_to_1.tfrecords')]
    assert 'record 0: the CRC of its length does not match' in capsys.readouterr().err
    with pytest.raises(DataError, match='holds no converted BAIR file'):
        BAIRPush(str(tmp_path / 'data'), 'test')


def test_a_record_that_is_not_a_bair_video_is_damage(tmp_path):
    from bair_records import example, framed
    folder = tmp_path / 'raw' / 'test'
    folder.mkdir(parents=True)
    (folder / 'x.tfrecords').write_bytes(framed(example({'0/state': np.zeros(2, np.float32)})))
    with pytest.raises(DataError, match=r'x.tfrecords \(record 0: no 0/action feature'):
        prepare(str(tmp_path / 'raw'), str(tmp_path / 'data'))


def test_unfinished_or_changed_folders_are_refused(converted, tmp_path):
    _, data = converted
    copy = tmp_path / 'copy'
    shutil.copytree(data, copy)
    os.remove(copy / 'test' / 'traj_0_to_1' / RECORD_NAME)
    with pytest.raises(DataError, match='has no completion record'):
        BAIRPush(str(copy), 'test')
    shutil.rmtree(copy / 'test' / 'traj_0_to_1')
    shutil.copytree(data / 'test' / 'traj_0_to_1', copy / 'test' / 'traj_0_to_1')
    with open(copy / 'test' / 'traj_0_to_1' / 'actions.npy', 'ab') as f:
        f.write(b'\0')
    with pytest.raises(DataError, match='changed since its conversion'):
        BAIRPush(str(copy), 'test')


def test_extracted_frames_with_and_without_actions(tmp_path):
    """The layout of common conversion scripts: <split>/<group>/<video>/<t>.png."""
    import cv2
    raw = tmp_path / 'raw' / 'processed_data'
    frames, actions = video(7, 5)
    for split, with_actions in (('train', True), ('test', False)):
        folder = raw / split / 'traj_0_to_255' / '0'
        folder.mkdir(parents=True)
        for t, frame in enumerate(frames):
            cv2.imwrite(str(folder / f'{t}.png'), frame[:, :, ::-1])  # written as BGR
        if with_actions:
            np.savetxt(folder / 'actions.csv', actions, delimiter=',')
    prepare(str(tmp_path / 'raw'), str(tmp_path / 'data'))
    train = BAIRPush(str(tmp_path / 'data'), 'train', SEQ)
    np.testing.assert_array_equal(train[1]['inputs'].permute(0, 2, 3, 1).numpy(), frames[1:5])
    np.testing.assert_allclose(train[1]['actions'].numpy(), actions[1:5], rtol=1e-6)
    with pytest.raises(DataError, match='with_actions=False'):
        BAIRPush(str(tmp_path / 'data'), 'test', SEQ)
    test = BAIRPush(str(tmp_path / 'data'), 'test', SEQ, with_actions=False)
    assert 'actions' not in test[0] and len(test) == 2


def test_options_are_checked():
    with pytest.raises(ConfigError, match="split='val'"):
        BAIRPush('data/bair', split='val')
    with pytest.raises(ConfigError, match='max_windows'):
        BAIRPush('data/bair', max_windows=0)


def test_tool_reports_damage_in_one_line_and_exits_1(tmp_path):
    raw = _write_release(tmp_path / 'raw', corrupt={'traj_2_to_3.tfrecords': {0: 'truncate'}})
    result = run_tool(['tools/data/prepare_bair.py', str(raw), str(tmp_path / 'data'),
                       '--workers', '2'], check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1 and 'traj_2_to_3.tfrecords (record 0:' in errors[0]
    assert 'Traceback' not in result.stderr
    ok = run_tool(['tools/data/prepare_bair.py', str(tmp_path / 'raw'), str(tmp_path / 'data'),
                   '--skip-bad'])
    assert 'train: 1 files, 2 videos, 10 frames' in ok.stdout
    assert 'test: 1 files, 2 videos, 10 frames' in ok.stdout
