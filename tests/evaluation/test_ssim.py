"""The batched torch SSIM agrees with scikit-image's structural_similarity per image."""
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from predbench.evaluation import ssim
from predbench.utils.errors import DataError


def skimage_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> np.ndarray:
    """Per image of [N, C, H, W], channels averaged, computed in float64 like old scikit-image."""
    return np.array([
        structural_similarity(x[n].astype(np.float64), y[n].astype(np.float64),
                              data_range=data_range, channel_axis=0)
        for n in range(len(x))
    ])


@pytest.mark.parametrize('shape', [(5, 1, 64, 64), (3, 3, 32, 48), (4, 1, 7, 11),
                                   (2, 3, 33, 20)])
def test_ssim_matches_skimage_on_random_images(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.random(shape)
    y = np.clip(x + rng.normal(0, 0.15, shape), 0, 1)
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y), data_range=1.0).numpy()
    np.testing.assert_allclose(ours, skimage_ssim(x, y, 1.0), atol=1e-4)


@pytest.mark.parametrize('data_range', [1.0, 2.0])
def test_ssim_matches_skimage_on_digit_frames(digit_clips, rgb_clips, data_range):
    for pred, gt in (digit_clips, rgb_clips):
        x = np.clip(pred, 0, 1).reshape(-1, *pred.shape[2:])
        y = gt.reshape(-1, *gt.shape[2:])
        ours = ssim(torch.from_numpy(x), torch.from_numpy(y), data_range=data_range).numpy()
        np.testing.assert_allclose(ours, skimage_ssim(x, y, data_range), atol=1e-4)


def test_ssim_on_uint8_frames_matches_skimage_with_range_255(digit_clips):
    pred, gt = digit_clips
    x = np.uint8(np.clip(pred, 0, 1) * 255).reshape(-1, 32, 32)
    y = np.uint8(gt * 255).reshape(-1, 32, 32)
    ours = ssim(torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None], 255.0).numpy()
    # skimage infers the range 255 from uint8, as the original release's compare_ssim did.
    expected = [structural_similarity(a, b) for a, b in zip(x, y)]
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_identical_images_have_ssim_one():
    x = torch.rand(3, 1, 16, 16)
    torch.testing.assert_close(ssim(x, x.clone(), 1.0), torch.ones(3, dtype=torch.float64))


def test_frames_smaller_than_the_window_are_a_clear_error():
    with pytest.raises(DataError, match='at least 7x7'):
        ssim(torch.rand(1, 1, 6, 20), torch.rand(1, 1, 6, 20), 1.0)
