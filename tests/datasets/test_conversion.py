"""conversion.convert_items: the one conversion path every dataset's preparation goes through.

Items are converted into a hidden partial folder and renamed into place with a completion
record; reruns keep unchanged items and redo replaced or altered ones; damaged items are listed
in one line at the end; an OSError stops the run. The last test shows the path a VideoFolder
dataset takes: user videos into frame-cache entries.
"""
import errno
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from predbench.datasets.conversion import (RECORD_NAME, ConversionItem, DamagedFileError,
                                           convert_items, file_fingerprint, read_record)
from predbench.datasets.frame_cache import open_frames, write_frames
from predbench.datasets.video_io import iter_video_frames
from predbench.utils.errors import DataError

Image = pytest.importorskip('PIL.Image')


# Converters are module-level functions so that worker processes can import them.
def copy_converter(item, folder):
    """Copies the source into data.bin; a source starting with b'BAD' is damaged."""
    data = open(item.source, 'rb').read()
    if data.startswith(b'BAD'):
        raise DamagedFileError(item.source, 'starts with BAD', 'replace it')
    with open(osp.join(folder, 'data.bin'), 'wb') as f:
        f.write(data)
    return {'bytes': len(data)}


def interrupted_converter(item, folder):
    with open(osp.join(folder, 'data.bin'), 'wb') as f:
        f.write(b'half')
    raise KeyboardInterrupt


def disk_full_converter(item, folder):
    raise OSError(errno.ENOSPC, 'No space left on device', osp.join(folder, 'data.bin'))


def size_check(folder, record):
    """A 'full' check: data.bin must not start with a zero byte."""
    with open(osp.join(folder, 'data.bin'), 'rb') as f:
        if f.read(1) == b'\0':
            raise DataError(f'{folder}/data.bin: zeroed')


def quiet(_message):
    pass


@pytest.fixture
def sources(tmp_path):
    """(src folder, dst folder, function listing the items) with sources a..d."""
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    src.mkdir()
    for name in 'abcd':
        (src / f'{name}.raw').write_bytes(name.encode() * 10)

    def items():
        return [ConversionItem(name=str(src / n), target=str(dst / osp.splitext(n)[0]),
                               fingerprint=file_fingerprint(str(src / n)), source=str(src / n))
                for n in sorted(os.listdir(src))]
    return src, dst, items


def hidden(dst):
    return [n for _, dirs, files in os.walk(dst) for n in dirs + files
            if n.startswith('.') and n != RECORD_NAME]


def test_items_are_published_with_a_record_and_kept_on_a_rerun(sources):
    src, dst, items = sources
    report = convert_items(items(), copy_converter, noun='clip', log=quiet)
    assert len(report.converted) == 4 and report.counts == {'bytes': 40}
    assert (dst / 'b' / 'data.bin').read_bytes() == b'b' * 10
    record = json.loads((dst / 'b' / RECORD_NAME).read_text())
    stat = os.stat(src / 'b.raw')
    assert record == dict(source=str(src / 'b.raw'), counts={'bytes': 10},
                          fingerprint=dict(name='b.raw', size=10, mtime_ns=stat.st_mtime_ns),
                          outputs={'data.bin': 10}, format=1)
    assert hidden(dst) == []
    written = os.stat(dst / 'b' / 'data.bin').st_mtime_ns
    again = convert_items(items(), copy_converter, noun='clip', log=quiet)
    assert again.converted == [] and len(again.kept) == 4
    assert os.stat(dst / 'b' / 'data.bin').st_mtime_ns == written


@pytest.mark.parametrize('change,reason', [
    ('replace the source', 'source changed'),
    ('truncate an output', 'files changed since conversion (data.bin)'),
    ('delete the record', 'no completion record'),
])
def test_replaced_sources_and_altered_folders_are_converted_again(sources, change, reason):
    src, dst, items = sources
    convert_items(items(), copy_converter, log=quiet)
    if change == 'replace the source':
        (src / 'c.raw').write_bytes(b'new content')
    elif change == 'truncate an output':
        (dst / 'c' / 'data.bin').write_bytes(b'c')
    else:
        (dst / 'c' / RECORD_NAME).unlink()
    report = convert_items(items(), copy_converter, log=quiet)
    assert report.reconverted == {str(src / 'c.raw'): reason} and len(report.kept) == 3
    assert (dst / 'c' / 'data.bin').read_bytes() == (src / 'c.raw').read_bytes()
    assert read_record(str(dst / 'c')).outputs == {'data.bin': os.stat(src / 'c.raw').st_size}
    assert hidden(dst) == []


def test_damaged_items_are_listed_in_one_line_after_the_others_are_converted(sources):
    src, dst, items = sources
    (src / 'b.raw').write_bytes(b'BAD one')
    (src / 'd.raw').write_bytes(b'BAD two')
    printed = []
    with pytest.raises(DataError) as info:
        convert_items(items(), copy_converter, noun='clip', log=printed.append,
                      damage_advice='replace them and run again')
    assert str(info.value) == (f'2 damaged clip(s) not converted (2 other clip(s) complete): '
                               f'{src / "b.raw"} (starts with BAD), {src / "d.raw"} (starts with '
                               f'BAD); replace them and run again')
    assert f'damaged: {src / "b.raw"}: starts with BAD; replace it' in printed
    assert sorted(os.listdir(dst)) == ['a', 'c'] and hidden(dst) == []


def test_a_folder_stays_as_it_was_until_its_replaced_source_converts(sources):
    src, dst, items = sources
    convert_items(items(), copy_converter, log=quiet)
    (src / 'a.raw').write_bytes(b'BAD download')
    with pytest.raises(DataError, match=r'a.raw \(starts with BAD\)'):
        convert_items(items(), copy_converter, log=quiet)
    assert (dst / 'a' / 'data.bin').read_bytes() == b'a' * 10  # the earlier, complete version
    (src / 'a.raw').write_bytes(b'good download')
    report = convert_items(items(), copy_converter, log=quiet)
    assert report.reconverted == {str(src / 'a.raw'): 'source changed'}


def test_skip_bad_warns_once_per_damaged_item_and_returns(sources, capsys):
    src, dst, items = sources
    (src / 'a.raw').write_bytes(b'BAD')
    report = convert_items(items(), copy_converter, skip_bad=True, noun='clip', log=quiet)
    assert report.damaged == {str(src / 'a.raw'): 'starts with BAD'} and len(report.converted) == 3
    assert capsys.readouterr().err.splitlines() == [
        f'warning: skipped damaged clip: {src / "a.raw"}: starts with BAD; replace it']


def test_an_interrupted_conversion_leaves_nothing_that_looks_complete(sources):
    src, dst, items = sources
    with pytest.raises(KeyboardInterrupt):
        convert_items(items(), interrupted_converter, log=quiet)
    assert not dst.exists() or os.listdir(dst) == []
    # What a SIGKILL leaves (no handler runs): a partial folder and a half-swapped old folder.
    (dst / '.partial-a').mkdir(parents=True)
    (dst / '.partial-a' / 'data.bin').write_bytes(b'half')
    (dst / '.stale-b').mkdir()
    report = convert_items(items(), copy_converter, log=quiet)
    assert len(report.converted) == 4 and hidden(dst) == []


def test_an_os_error_stops_the_run_in_one_line(sources):
    src, dst, items = sources
    with pytest.raises(DataError) as info:
        convert_items(items(), disk_full_converter, noun='clip', log=quiet)
    assert str(info.value) == (f'stopped at {dst / ".partial-a" / "data.bin"}: No space left on '
                               f'device; fix it (free disk space, permissions) and run again '
                               f'(finished clips are kept)')
    assert os.listdir(dst) == []


def test_verify_runs_the_full_check_and_redoes_failing_items(sources):
    src, dst, items = sources
    convert_items(items(), copy_converter, log=quiet)
    (dst / 'd' / 'data.bin').write_bytes(bytes(10))  # same size: only the full check sees it
    assert convert_items(items(), copy_converter, check=size_check, log=quiet).converted == []
    report = convert_items(items(), copy_converter, check=size_check, verify=True, log=quiet)
    assert report.reconverted == {
        str(src / 'd.raw'): f'failed verification ({dst / "d"}/data.bin: zeroed)'}
    assert (dst / 'd' / 'data.bin').read_bytes() == b'd' * 10


def test_worker_processes_give_the_same_result(sources):
    src, dst, items = sources
    (src / 'c.raw').write_bytes(b'BAD')
    report = convert_items(items(), copy_converter, workers=2, skip_bad=True, log=quiet)
    assert sorted(report.converted) == [str(src / n) for n in ('a.raw', 'b.raw', 'd.raw')]
    assert list(report.damaged) == [str(src / 'c.raw')] and report.counts == {'bytes': 30}


def test_a_file_where_an_item_folder_belongs_is_one_line(sources):
    src, dst, items = sources
    dst.mkdir()
    (dst / 'b').write_text('mine')
    with pytest.raises(DataError, match=rf'^{dst / "b"} is a file where the folder converted from '
                                        rf'{src / "b.raw"} belongs: move it away and run again$'):
        convert_items(items(), copy_converter, log=quiet)
    assert (dst / 'b').read_text() == 'mine'


# --- the path a VideoFolder dataset takes ---------------------------------------------------

def video_to_cache_entry(item, folder):
    """A user video -> frames.npy of RGB frames resized to 32x32, in the frame-cache format."""
    frames = (cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2RGB), (32, 32))
              for f in iter_video_frames(item.source, item.name))
    path = osp.join(folder, 'frames.npy')
    write_frames(path, frames, label=item.name)
    return {'frames': len(open_frames(path))}


def test_user_videos_become_frame_cache_entries_and_damaged_ones_are_named(tmp_path, avi_tools):
    write_avi, moving_square_frames = avi_tools
    videos, cache = tmp_path / 'videos', tmp_path / 'cache'
    videos.mkdir()
    write_avi(str(videos / 'walk.avi'), moving_square_frames(12, 0))
    gif = [Image.fromarray(np.full((40, 48, 3), (20 * i, 0, 255 - 20 * i), np.uint8))
           for i in range(5)]
    gif[0].save(videos / 'spin.gif', save_all=True, append_images=gif[1:], duration=50)
    write_avi(str(videos / 'cut.avi'), moving_square_frames(40, 1))
    data = (videos / 'cut.avi').read_bytes()
    (videos / 'cut.avi').write_bytes(data[:len(data) // 2])
    items = [ConversionItem(name=str(videos / n), target=str(cache / osp.splitext(n)[0]),
                            fingerprint=file_fingerprint(str(videos / n)),
                            source=str(videos / n)) for n in sorted(os.listdir(videos))]
    report = convert_items(items, video_to_cache_entry, skip_bad=True, noun='video', log=quiet)
    assert list(report.damaged) == [str(videos / 'cut.avi')]
    assert report.counts == {'frames': 17}
    spin = open_frames(str(cache / 'spin' / 'frames.npy'))
    assert spin.shape == (5, 32, 32, 3) and spin[3][0, 0].tolist() == [60, 0, 195]  # RGB order
    walk = open_frames(str(cache / 'walk' / 'frames.npy'))
    assert walk.shape == (12, 32, 32, 3) and not osp.exists(cache / 'cut')


def test_a_fingerprint_with_tuples_matches_its_stored_record(sources):
    src, dst, items = sources
    with_tuple = [ConversionItem(i.name, i.target, {**i.fingerprint, 'span': (0, 3)}, i.source)
                  for i in items()]
    convert_items(with_tuple, copy_converter, log=quiet)
    assert len(convert_items(with_tuple, copy_converter, log=quiet).kept) == 4
