"""A user's clip is decoded by one checked path: what read_clip returns, and damage in one line."""
import cv2
import numpy as np
import pytest

from predbench.datasets.conversion import DamagedFileError
from predbench.datasets.user_clips import fit_frame, fit_to_model, read_clip, resize_frame

Image = pytest.importorskip('PIL.Image')
ImageSequence = pytest.importorskip('PIL.ImageSequence')


def random_frames(count, height=30, width=40, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.random((height, width, 3)) * 255).astype(np.uint8) for _ in range(count)]


def test_a_gif_reads_as_the_rgb_frames_pillow_decodes(tmp_path):
    path = tmp_path / 'clip.gif'
    images = [Image.fromarray(f) for f in random_frames(4)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0)
    expected = [np.asarray(f.convert('RGB')) for f in ImageSequence.Iterator(Image.open(path))]
    clip = read_clip(str(path))
    assert clip.dtype == np.uint8 and clip.shape == (4, 30, 40, 3)
    np.testing.assert_array_equal(clip, np.stack(expected))
    np.testing.assert_array_equal(read_clip(str(path), num_frames=2), clip[:2])


def test_a_folder_of_images_reads_in_natural_order(tmp_path):
    frames = random_frames(3, seed=1)
    for i, frame in zip((9, 10, 8), frames):  # written out of order
        Image.fromarray(frame).save(tmp_path / f'frame_{i}.png')
    clip = read_clip(str(tmp_path))
    np.testing.assert_array_equal(clip, np.stack([frames[2], frames[0], frames[1]]))


def test_a_damaged_clip_is_one_line_naming_it(tmp_path):
    path = tmp_path / 'cut.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25, (40, 30))
    for frame in random_frames(30, seed=2):
        writer.write(frame)
    writer.release()
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(DamagedFileError) as error:
        read_clip(str(path), num_frames=2)  # damage after the frames it keeps still counts
    assert str(path) in str(error.value) and '\n' not in str(error.value)
    (tmp_path / 'frames').mkdir()
    Image.fromarray(random_frames(1)[0]).save(tmp_path / 'frames' / 'a.png')
    (tmp_path / 'frames' / 'b.png').write_bytes(b'not a png')
    with pytest.raises(DamagedFileError, match='b.png: cannot be decoded as an image'):
        read_clip(str(tmp_path / 'frames'))


def test_fitting_stretches_or_covers_and_crops_with_area_shrinking():
    frame = random_frames(1, 30, 40, seed=3)[0]
    stretched = fit_to_model([frame], 16, 16, 1)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    expected = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA) / np.float32(255)
    np.testing.assert_allclose(stretched[0, 0], expected, atol=1e-7)
    covered = resize_frame(frame, (15, 15), keep_aspect=True)  # 40x30 -> 20x15, columns 2..16
    np.testing.assert_array_equal(
        covered, cv2.resize(frame, (20, 15), interpolation=cv2.INTER_AREA)[:, 2:17])
    enlarged = fit_frame(frame, (60, 60), 3, keep_aspect=True)  # 40x30 -> 80x60, columns 10..69
    np.testing.assert_array_equal(
        enlarged, cv2.resize(frame, (80, 60), interpolation=cv2.INTER_LINEAR)[:, 10:70])
    assert fit_frame(frame, None, 1, True).shape == (30, 40, 1)
