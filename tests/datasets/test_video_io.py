"""video_io: a video decodes completely or raises one line naming the file and what is wrong."""
import cv2
import numpy as np
import pytest

from predbench.datasets.conversion import DamagedFileError
from predbench.datasets.video_io import (iter_video_frames, read_image, read_video,
                                         video_frame_count)

Image = pytest.importorskip('PIL.Image')


@pytest.fixture
def avi(tmp_path, avi_tools):
    """(path, frames as OpenCV decodes them) of a good 40-frame MJPG AVI."""
    write_avi, moving_square_frames = avi_tools
    path = str(tmp_path / 'clip.avi')
    write_avi(path, moving_square_frames(40, 1))
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    return path, np.stack(frames)


def one_line(error) -> str:
    message = str(error.value)
    assert '\n' not in message
    return message


def test_a_complete_video_yields_every_frame_as_decoded(avi):
    path, expected = avi
    frames = read_video(path)
    assert frames.dtype == np.uint8 and frames.shape == (40, 120, 160, 3)
    np.testing.assert_array_equal(frames, expected)
    assert video_frame_count(path) == 40


def test_a_video_damaged_in_the_middle_is_named_with_its_frame_counts(avi, tmp_path):
    path, _ = avi
    data = bytearray(open(path, 'rb').read())
    data[len(data) // 2:len(data) // 2 + 2000] = bytes(2000)
    open(path, 'wb').write(bytes(data))
    with pytest.raises(DamagedFileError) as error:
        list(iter_video_frames(path, label='raw/clip.avi'))
    assert error.value.path == 'raw/clip.avi'
    assert one_line(error).startswith('raw/clip.avi: damaged video: ')
    assert one_line(error).endswith(' of the 40 frames its container declares could be '
                                    'decoded; replace the file (e.g. download or copy it again)')


def test_a_video_cut_to_half_is_named(avi):
    path, _ = avi
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    with pytest.raises(DamagedFileError, match=rf'^{path}: damaged video: 1[0-9] of the 40 '
                                               rf'frames its container declares'):
        read_video(path)


def test_a_file_that_is_not_a_video_is_named(tmp_path):
    path = tmp_path / 'x.avi'
    path.write_bytes(b'RIFF' + bytes(300))
    with pytest.raises(DamagedFileError, match=r'x.avi: cannot be opened as a video \(not a '
                                               r'video, an unsupported codec, or a damaged '
                                               r'header\); replace the file'):
        read_video(str(path))


def gif_frames():
    return [np.full((24, 32, 3), 30 * i, np.uint8) for i in range(7)]


def test_a_gif_decodes_every_frame_and_a_truncated_gif_is_named(tmp_path):
    path = str(tmp_path / 'anim.gif')
    frames = [Image.fromarray(f) for f in gif_frames()]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[40, 200] * 3 + [40],
                   loop=0)
    decoded = read_video(path)
    assert decoded.shape == (7, 24, 32, 3)
    np.testing.assert_array_equal(decoded[:, 0, 0, 0], [30 * i for i in range(7)])
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) * 2 // 3])
    with pytest.raises(DamagedFileError, match=r'anim.gif: truncated GIF \(it does not end with '
                                               r'the GIF trailer\)'):
        read_video(path)


def test_an_image_that_does_not_decode_is_named_with_the_advice(tmp_path):
    path = tmp_path / 'image_0001.png'
    path.write_bytes(b'garbage')
    with pytest.raises(DamagedFileError) as error:
        read_image(str(path), advice='convert its video again')
    assert one_line(error) == f'{path}: cannot be decoded as an image; convert its video again'
