"""prepare_kth (tool and predbench.datasets.kth_convert): raw AVIs or zips -> frame folders."""
import os
import os.path as osp
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pytest

from predbench.datasets import KTHAction
from predbench.datasets import kth_convert
from predbench.utils.errors import DataError

Image = pytest.importorskip('PIL.Image')

RAW = {  # video name -> number of frames
    'person01_boxing_d1_uncomp': 26,
    'person02_running_d2_uncomp': 24,
    'person17_walking_d3_uncomp': 22,
}


def decoded_frames(path):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


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


def test_frames_are_written_for_the_original_loader(raw_kth, tmp_path):
    dst = str(tmp_path / 'kth')
    counts = kth_convert.prepare(raw_kth, dst, workers=2)
    assert counts == dict(converted=3, already_there=0, failed=0, frames=sum(RAW.values()))
    folder = osp.join(dst, 'boxing', 'person01_boxing_d1_uncomp')
    files = sorted(os.listdir(folder))
    assert files == [f'image_{n:04d}.png' for n in range(1, 27)]
    video = decoded_frames(osp.join(raw_kth, 'boxing', 'person01_boxing_d1_uncomp.avi'))
    for n in (1, 13, 26):
        png = np.array(Image.open(osp.join(folder, f'image_{n:04d}.png')))
        assert png.shape == (120, 160, 3)  # 3 channels: the original indexes [:, :, 0]
        np.testing.assert_array_equal(png[:, :, ::-1], video[n - 1])  # the BGR frame as is


def test_action_zip_archives_are_read_directly(raw_kth, tmp_path):
    zips = tmp_path / 'zips'
    zips.mkdir()
    for name in RAW:
        action = name.split('_')[1]
        with zipfile.ZipFile(zips / f'{action}.zip', 'a') as archive:
            archive.write(osp.join(raw_kth, action, name + '.avi'), name + '.avi')
    dst = str(tmp_path / 'kth')
    assert kth_convert.prepare(str(zips), dst)['converted'] == 3
    assert len(os.listdir(osp.join(dst, 'running', 'person02_running_d2_uncomp'))) == 24
    assert sorted(os.listdir(osp.join(dst, 'running'))) == ['person02_running_d2_uncomp']


def test_rerun_skips_finished_videos_and_keeps_user_files(raw_kth, tmp_path):
    dst = tmp_path / 'kth'
    kth_convert.prepare(raw_kth, str(dst))
    (dst / 'notes.txt').write_text('mine')
    png = dst / 'boxing' / 'person01_boxing_d1_uncomp' / 'image_0001.png'
    before = png.stat().st_mtime_ns
    counts = kth_convert.prepare(raw_kth, str(dst))
    assert counts['converted'] == 0 and counts['already_there'] == 3
    assert png.stat().st_mtime_ns == before and (dst / 'notes.txt').read_text() == 'mine'


def test_an_interrupted_video_is_converted_again(raw_kth, tmp_path):
    dst = tmp_path / 'kth'
    partial = dst / 'boxing' / '.partial-person01_boxing_d1_uncomp'
    partial.mkdir(parents=True)
    (partial / 'image_0001.png').write_bytes(b'half written')
    assert kth_convert.prepare(raw_kth, str(dst))['converted'] == 3
    assert not partial.exists()
    assert len(os.listdir(dst / 'boxing' / 'person01_boxing_d1_uncomp')) == 26


def test_corrupted_video_is_named_and_can_be_skipped(raw_kth, tmp_path, capsys):
    bad = osp.join(raw_kth, 'walking', 'person05_walking_d1_uncomp.avi')
    with open(bad, 'wb') as f:
        f.write(b'RIFF' + bytes(300))
    dst = str(tmp_path / 'kth')
    with pytest.raises(DataError, match=r'1 video\(s\) could not be converted \(the others were\); '
                                        r'first: .*person05_walking_d1_uncomp.avi: unreadable or '
                                        r'corrupted video'):
        kth_convert.prepare(raw_kth, dst)
    assert not osp.exists(osp.join(dst, 'walking', 'person05_walking_d1_uncomp'))
    assert kth_convert.prepare(raw_kth, dst, skip_bad=True)['failed'] == 1
    assert 'warning: skipped: ' in capsys.readouterr().err
    assert not any(n.startswith('.partial') for n in os.listdir(osp.join(dst, 'walking')))


def test_names_not_following_the_kth_pattern_are_refused_or_skipped(raw_kth, avi_tools,
                                                                    tmp_path, capsys):
    write_avi, moving_square_frames = avi_tools
    write_avi(osp.join(raw_kth, 'holiday.avi'), moving_square_frames(3, 0))
    dst = str(tmp_path / 'kth')
    with pytest.raises(DataError, match=r'1 video\(s\) not named personXX_<action>_dY_uncomp.avi: '
                                        r'.*holiday.avi; rename them or pass --skip-bad'):
        kth_convert.prepare(raw_kth, dst)
    assert kth_convert.prepare(raw_kth, dst, skip_bad=True)['converted'] == 3
    assert 'holiday.avi: not named personXX' in capsys.readouterr().err


def test_prepared_folders_load_as_kth_action(raw_kth, tmp_path):
    dst = str(tmp_path / 'kth')
    kth_convert.prepare(raw_kth, dst)
    train = KTHAction(dst, split='train', seq_length=20, cache_dir=str(tmp_path / 'cache'))
    # boxing: 26 frames -> 1 window; running: 24 frames, stride 3 -> 2 windows.
    assert len(train) == 3 and train.metainfo['num_videos'] == 2


def test_cli_reports_errors_in_one_line(tmp_path, repo_root):
    result = subprocess.run([sys.executable, osp.join(repo_root, 'tools', 'data', 'prepare_kth.py'),
                             str(tmp_path / 'missing'), str(tmp_path / 'kth')],
                            capture_output=True, text=True, cwd=repo_root)
    assert result.returncode == 1
    assert result.stderr.startswith(f'error: {tmp_path / "missing"} not found: give the folder')
    assert result.stderr.count('\n') == 1
