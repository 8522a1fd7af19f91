"""frame_cache: one uint8 .npy format for frames from image files (KTH) or any decoder."""
import os
import pickle

import numpy as np
import pytest

from predbench.datasets.frame_cache import open_frames, write_frames
from predbench.utils.errors import DataError


@pytest.mark.parametrize('shape', [(6, 20, 24), (6, 20, 24, 3)])
def test_frames_from_an_iterable_round_trip_gray_or_colour(tmp_path, shape):
    frames = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    path = str(tmp_path / 'entry.npy')
    write_frames(path, iter(frames), len(frames))
    stored = open_frames(path, num_frames=6)
    assert stored.shape == shape and isinstance(stored.array, np.memmap)
    np.testing.assert_array_equal(stored[:], frames)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(stored))[4], frames[4])
    write_frames(str(tmp_path / 'listed.npy'), list(frames))  # count taken from the list
    np.testing.assert_array_equal(open_frames(str(tmp_path / 'listed.npy'))[:], frames)


@pytest.mark.parametrize('frames,count,message', [
    ([np.zeros((4, 4), np.uint8)] * 2, 3, r'x.avi: 2 frames, expected 3'),
    ([np.zeros((4, 4), np.uint8)] * 3, 2, r'x.avi: more than the 2 frames expected'),
    ([np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8)], 2,
     r'x.avi \(frame 2\): frame of shape \(4, 5\) but the first is \(4, 4\)'),
    ([np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.float32)], 2,
     r'x.avi \(frame 2\): float32 pixels, expected uint8'),
])
def test_frames_that_do_not_fit_leave_no_file(tmp_path, frames, count, message):
    with pytest.raises(DataError, match=message):
        write_frames(str(tmp_path / 'entry.npy'), frames, count, label='x.avi')
    assert os.listdir(tmp_path) == []


def test_a_missing_or_foreign_file_is_not_a_cache(tmp_path):
    assert open_frames(str(tmp_path / 'none.npy')) is None
    (tmp_path / 'junk.npy').write_bytes(b'junk')
    assert open_frames(str(tmp_path / 'junk.npy')) is None
    np.save(tmp_path / 'floats.npy', np.zeros((2, 4, 4), np.float32))
    assert open_frames(str(tmp_path / 'floats.npy')) is None
    np.save(tmp_path / 'short.npy', np.zeros((2, 4, 4), np.uint8))
    assert open_frames(str(tmp_path / 'short.npy'), num_frames=3) is None
