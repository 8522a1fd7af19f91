"""prepare_kth (tool and predbench.datasets.kth_convert): raw AVIs or zips -> frame folders.

Damaged videos are named and left out, nothing partial looks complete, the tool exits 1 with the
list, and a rerun after the files are replaced converts them; a damaged frame found by the
dataset is repaired by the command its message gives.
"""
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pytest
import torch

from predbench.datasets import KTHAction
from predbench.datasets import kth_convert
from predbench.datasets.conversion import RECORD_NAME
from predbench.utils.errors import DataError
from tool_runner import load_tool

Image = pytest.importorskip('PIL.Image')

RAW = {  # video name -> number of frames
    'person01_boxing_d1_uncomp': 26,
    'person02_running_d2_uncomp': 24,
    'person17_walking_d3_uncomp': 22,
}
# The audit's case: eight 40-frame videos, one damaged in the middle and one cut to half.
EIGHT = [f'person{p:02d}_{a}_d1_uncomp' for p in (1, 17)
         for a in ('boxing', 'running', 'walking', 'jogging')]
MID_DAMAGED, TRUNCATED = EIGHT[2], EIGHT[5]


@pytest.fixture(scope='module')
def tool():
    return load_tool('data/prepare_kth.py')


def decoded_frames(path):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def frame_files(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith('.'))


def hidden_entries(root):
    """Every hidden file or folder under ``root`` other than completion records."""
    found = []
    for folder, dirs, files in os.walk(root):
        found += [osp.join(folder, n) for n in dirs + files
                  if n.startswith('.') and n != RECORD_NAME]
    return found


def damage_in_the_middle(path):
    data = bytearray(open(path, 'rb').read())
    middle = len(data) // 2
    data[middle:middle + 2000] = bytes(2000)
    open(path, 'wb').write(bytes(data))


def truncate_to_half(path):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])


def run(tool, capsys, *args):
    """(exit code, stdout, stderr lines) of prepare_kth.py run in-process."""
    code = tool.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


@pytest.fixture
def raw_kth(tmp_path, avi_tools):
    """Raw release layout: AVIs in per-action sub-folders."""
    write_avi, moving_square_frames = avi_tools
    src = tmp_path / 'raw'
    for i, (name, count) in enumerate(RAW.items()):
        action = name.split('_')[1]
        os.makedirs(src / action, exist_ok=True)
        write_avi(str(src / action / f'{name}.avi'), moving_square_frames(count, i))
    return str(src)


@pytest.fixture
def eight_videos(tmp_path, avi_tools):
    """(src folder, {name: path}) of eight good 40-frame AVIs."""
    write_avi, moving_square_frames = avi_tools
    src = tmp_path / 'eight'
    src.mkdir()
    paths = {}
    for i, name in enumerate(EIGHT):
        paths[name] = str(src / f'{name}.avi')
        write_avi(paths[name], moving_square_frames(40, i))
    return str(src), paths


def test_frames_are_written_for_the_original_loader(raw_kth, tmp_path):
    dst = str(tmp_path / 'kth')
    report = kth_convert.prepare(raw_kth, dst, workers=2)
    assert len(report.converted) == 3 and not report.kept and not report.damaged
    assert report.counts == {'frames': sum(RAW.values())}
    folder = osp.join(dst, 'boxing', 'person01_boxing_d1_uncomp')
    assert frame_files(folder) == [f'image_{n:04d}.png' for n in range(1, 27)]
    video = decoded_frames(osp.join(raw_kth, 'boxing', 'person01_boxing_d1_uncomp.avi'))
    for n in (1, 13, 26):
        png = np.array(Image.open(osp.join(folder, f'image_{n:04d}.png')))
        assert png.shape == (120, 160, 3)  # 3 channels: the original indexes [:, :, 0]
        np.testing.assert_array_equal(png[:, :, ::-1], video[n - 1])  # the BGR frame as is
    record = json.load(open(osp.join(folder, RECORD_NAME)))
    source = osp.join(raw_kth, 'boxing', 'person01_boxing_d1_uncomp.avi')
    assert record['source'] == osp.abspath(source) and record['counts'] == {'frames': 26}
    assert record['fingerprint'] == dict(name='person01_boxing_d1_uncomp.avi',
                                         size=os.stat(source).st_size,
                                         mtime_ns=os.stat(source).st_mtime_ns)
    assert sorted(record['outputs']) == frame_files(folder)
    assert hidden_entries(dst) == []


def test_action_zip_archives_are_read_directly(raw_kth, tmp_path):
    zips = tmp_path / 'zips'
    zips.mkdir()
    for name in RAW:
        action = name.split('_')[1]
        with zipfile.ZipFile(zips / f'{action}.zip', 'a') as archive:
            archive.write(osp.join(raw_kth, action, name + '.avi'), name + '.avi')
    dst = str(tmp_path / 'kth')
    assert len(kth_convert.prepare(str(zips), dst).converted) == 3
    assert len(frame_files(osp.join(dst, 'running', 'person02_running_d2_uncomp'))) == 24
    assert sorted(os.listdir(osp.join(dst, 'running'))) == ['person02_running_d2_uncomp']
    assert hidden_entries(dst) == []  # the extracted temporary AVI is gone too


def test_rerun_skips_finished_videos_and_keeps_user_files(raw_kth, tmp_path):
    dst = tmp_path / 'kth'
    kth_convert.prepare(raw_kth, str(dst))
    (dst / 'notes.txt').write_text('mine')
    png = dst / 'boxing' / 'person01_boxing_d1_uncomp' / 'image_0001.png'
    before = png.stat().st_mtime_ns
    report = kth_convert.prepare(raw_kth, str(dst))
    assert report.converted == [] and len(report.kept) == 3
    assert png.stat().st_mtime_ns == before and (dst / 'notes.txt').read_text() == 'mine'


def test_interrupted_and_unrecorded_folders_are_converted_again(raw_kth, tmp_path):
    dst = tmp_path / 'kth'
    partial = dst / 'boxing' / '.partial-person01_boxing_d1_uncomp'
    partial.mkdir(parents=True)
    (partial / 'image_0001.png').write_bytes(b'half written')
    # What the previous prepare_kth left for a damaged video: a short folder, no record.
    short = dst / 'running' / 'person02_running_d2_uncomp'
    short.mkdir(parents=True)
    cv2.imwrite(str(short / 'image_0001.png'), np.zeros((120, 160, 3), np.uint8))
    report = kth_convert.prepare(raw_kth, str(dst))
    assert len(report.converted) == 3
    assert report.reconverted == {str(osp.join(raw_kth, 'running', 'person02_running_d2_uncomp'
                                                        '.avi')): 'no completion record'}
    assert not partial.exists() and hidden_entries(str(dst)) == []
    assert len(frame_files(dst / 'boxing' / 'person01_boxing_d1_uncomp')) == 26
    assert len(frame_files(short)) == 24


def test_damaged_videos_are_named_left_out_and_converted_once_replaced(eight_videos, tmp_path,
                                                                      tool, capsys, avi_tools):
    src, paths = eight_videos
    damage_in_the_middle(paths[MID_DAMAGED])
    truncate_to_half(paths[TRUNCATED])
    dst = tmp_path / 'kth'
    code, out, err = run(tool, capsys, src, dst, '--workers', 2)
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith('error: 2 damaged video(s) not converted (6 other video(s) '
                             'complete): ')
    for name in (MID_DAMAGED, TRUNCATED):
        assert f'{paths[name]} (damaged video: ' in err[0]
        assert 'of the 40 frames its container declares could be decoded)' in err[0]
        assert f'damaged: {paths[name]}: damaged video' in out  # reported as it is met
    assert err[0].endswith('replace them (download again) and rerun the same command, which '
                           'keeps the finished videos; or pass --skip-bad to go on without them')
    assert '6 videos converted, 240 frames; 0 already converted; 2 damaged' in out
    # Nothing of the damaged videos looks complete; the others have all their frames.
    assert not osp.exists(dst / 'walking' / MID_DAMAGED)
    assert not osp.exists(dst / 'running' / TRUNCATED)
    assert hidden_entries(str(dst)) == []
    for name in set(EIGHT) - {MID_DAMAGED, TRUNCATED}:
        assert len(frame_files(dst / name.split('_')[1] / name)) == 40

    write_avi, moving_square_frames = avi_tools
    for name in (MID_DAMAGED, TRUNCATED):
        write_avi(paths[name], moving_square_frames(40, EIGHT.index(name)))
    code, out, err = run(tool, capsys, src, dst)
    assert code == 0 and err == []
    assert '2 videos converted, 80 frames; 6 already converted; 0 damaged' in out
    expected = decoded_frames(paths[TRUNCATED])
    folder = dst / 'running' / TRUNCATED
    assert len(frame_files(folder)) == 40
    np.testing.assert_array_equal(cv2.imread(str(folder / 'image_0040.png')), expected[39])


def test_skip_bad_warns_per_damaged_video_and_exits_0(eight_videos, tmp_path, tool, capsys):
    src, paths = eight_videos
    truncate_to_half(paths[TRUNCATED])
    code, out, err = run(tool, capsys, src, tmp_path / 'kth', '--skip-bad', '--workers', 1)
    assert code == 0
    assert err == [f'warning: skipped damaged video: {paths[TRUNCATED]}: damaged video: '
                   f'{len(decoded_frames(paths[TRUNCATED]))} of the 40 frames its container '
                   f'declares could be decoded; replace the file (e.g. download or copy it again)']
    assert '7 videos converted, 280 frames; 0 already converted; 1 damaged' in out


def test_a_replaced_source_is_converted_again(raw_kth, tmp_path, avi_tools, capsys):
    write_avi, moving_square_frames = avi_tools
    dst = tmp_path / 'kth'
    kth_convert.prepare(raw_kth, str(dst))
    source = osp.join(raw_kth, 'walking', 'person17_walking_d3_uncomp.avi')
    write_avi(source, moving_square_frames(30, 9))  # a new download, other length
    report = kth_convert.prepare(raw_kth, str(dst))
    assert report.reconverted == {source: 'source changed'} and len(report.kept) == 2
    assert len(frame_files(dst / 'walking' / 'person17_walking_d3_uncomp')) == 30
    assert f'converted again: {source}: source changed' in capsys.readouterr().out


def test_a_damaged_zip_member_is_named_with_its_archive(raw_kth, tmp_path):
    archive = tmp_path / 'boxing.zip'
    video = osp.join(raw_kth, 'boxing', 'person01_boxing_d1_uncomp.avi')
    with zipfile.ZipFile(archive, 'w', zipfile.ZIP_STORED) as z:
        z.write(video, 'person01_boxing_d1_uncomp.avi')
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the member: its CRC no longer matches
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match=rf'^1 damaged video\(s\) not converted \(0 other '
                                        rf'video\(s\) complete\): {archive}:'
                                        rf'person01_boxing_d1_uncomp.avi \(cannot be extracted '
                                        rf'\(Bad CRC-32'):
        kth_convert.prepare(str(archive), str(tmp_path / 'kth'))
    assert os.listdir(tmp_path / 'kth' / 'boxing') == []


def test_names_not_following_the_kth_pattern_are_refused_or_skipped(raw_kth, avi_tools,
                                                                    tmp_path, capsys):
    write_avi, moving_square_frames = avi_tools
    write_avi(osp.join(raw_kth, 'holiday.avi'), moving_square_frames(3, 0))
    dst = str(tmp_path / 'kth')
    with pytest.raises(DataError, match=r'1 video\(s\) not named personXX_<action>_dY_uncomp.avi: '
                                        r'.*holiday.avi; rename them or pass --skip-bad'):
        kth_convert.prepare(raw_kth, dst)
    assert len(kth_convert.prepare(raw_kth, dst, skip_bad=True).converted) == 3
    assert 'holiday.avi: not named personXX' in capsys.readouterr().err


def test_prepared_folders_load_as_kth_action(raw_kth, tmp_path):
    dst = str(tmp_path / 'kth')
    kth_convert.prepare(raw_kth, dst)
    train = KTHAction(dst, split='train', seq_length=20, cache_dir=str(tmp_path / 'cache'))
    # boxing: 26 frames -> 1 window; running: 24 frames, stride 3 -> 2 windows.
    assert len(train) == 3 and train.metainfo['num_videos'] == 2


# --- a frame damaged after conversion ------------------------------------------------------

def test_a_corrupt_frame_message_gives_the_command_that_repairs_it(raw_kth, tmp_path, tool,
                                                                   capsys):
    dst = str(tmp_path / 'kth')
    cache = str(tmp_path / 'cache')
    kth_convert.prepare(raw_kth, dst)
    before = KTHAction(dst, split='train', cache_dir=cache)
    expected = [before[i]['inputs'] for i in range(len(before))]
    folder = osp.join(dst, 'boxing', 'person01_boxing_d1_uncomp')
    png = osp.join(folder, 'image_0007.png')
    with open(png, 'wb') as f:
        f.write(b'garbage, not a PNG')

    with pytest.raises(DataError) as info:
        KTHAction(dst, split='train', cache_dir=cache)
    message = str(info.value)
    assert '\n' not in message
    source = osp.abspath(osp.join(raw_kth, 'boxing', 'person01_boxing_d1_uncomp.avi'))
    assert message == (f'{png}: cannot be decoded as an image; rebuild its folder {folder} with: '
                       f'python tools/data/prepare_kth.py {source} {dst} --verify')

    command = shlex.split(message.split(' with: ')[1])
    assert command[:2] == ['python', 'tools/data/prepare_kth.py']
    code, out, err = run(tool, capsys, *command[2:])  # follow the advice
    assert code == 0 and err == []
    assert '1 video converted (1 of them again: 1 files changed since conversion), 26 frames' in out
    after = KTHAction(dst, split='train', cache_dir=cache)
    assert all(torch.equal(after[i]['inputs'], x) for i, x in enumerate(expected))


def test_verify_finds_a_damaged_frame_of_unchanged_size(raw_kth, tmp_path):
    dst = tmp_path / 'kth'
    kth_convert.prepare(raw_kth, str(dst))
    png = dst / 'running' / 'person02_running_d2_uncomp' / 'image_0003.png'
    size = png.stat().st_size
    png.write_bytes(bytes(size))  # same size: only decoding shows the damage
    assert kth_convert.prepare(raw_kth, str(dst)).converted == []
    report = kth_convert.prepare(raw_kth, str(dst), verify=True)
    assert list(report.reconverted.values()) == [
        f'failed verification ({png}: cannot be decoded as an image; convert its video again)']
    assert cv2.imread(str(png)) is not None and len(report.kept) == 2


# --- arguments that are not what they should be ----------------------------------------------

def test_destination_that_is_a_file_is_one_line(raw_kth, tmp_path, tool, capsys):
    dst = tmp_path / 'kth.txt'
    dst.write_text('not a folder')
    code, out, err = run(tool, capsys, raw_kth, dst)
    assert code == 1 and err == [f'error: {dst} is a file, not a folder: give a folder for the '
                                 f'frame folders (it is created if missing), e.g. data/kth']
    assert dst.read_text() == 'not a folder'


def test_source_that_is_a_file_is_one_line_unless_it_is_a_video_or_zip(raw_kth, tmp_path, tool,
                                                                       capsys):
    notes = tmp_path / 'notes.txt'
    notes.write_text('x')
    code, out, err = run(tool, capsys, notes, tmp_path / 'kth')
    assert code == 1 and err == [f'error: {notes} is a file, not a folder: give the folder '
                                 f'holding the KTH AVIs or the six action zips (boxing.zip ... '
                                 f'running.zip) (one .avi or .zip file is also accepted)']
    one = osp.join(raw_kth, 'running', 'person02_running_d2_uncomp.avi')
    code, out, err = run(tool, capsys, one, tmp_path / 'kth')
    assert code == 0 and os.listdir(tmp_path / 'kth' / 'running') == ['person02_running_d2_uncomp']


def test_cli_reports_errors_in_one_line(tmp_path, repo_root):
    result = subprocess.run([sys.executable, osp.join(repo_root, 'tools', 'data', 'prepare_kth.py'),
                             str(tmp_path / 'missing'), str(tmp_path / 'kth')],
                            capture_output=True, text=True, cwd=repo_root)
    assert result.returncode == 1
    assert result.stderr.startswith(f'error: {tmp_path / "missing"} not found: give the folder')
    assert result.stderr.count('\n') == 1
