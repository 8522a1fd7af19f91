"""Both SSIM backends (compiled numba kernel, torch) agree with scikit-image per image."""
import importlib

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from predbench.evaluation import ssim
from predbench.evaluation.ssim import window_sums
from predbench.utils.errors import DataError

# The module, not the function predbench.evaluation exports under the same name.
ssim_module = importlib.import_module('predbench.evaluation.ssim')
BACKENDS = pytest.mark.parametrize('backend', ['numba', 'torch'])


def skimage_ssim(x: np.ndarray, y: np.ndarray, data_range: float) -> np.ndarray:
    """Per image of [N, C, H, W], channels averaged, computed in float64 like old scikit-image."""
    return np.array([
        structural_similarity(x[n].astype(np.float64), y[n].astype(np.float64),
                              data_range=data_range, channel_axis=0)
        for n in range(len(x))
    ])


@BACKENDS
@pytest.mark.parametrize('shape', [(5, 1, 64, 64), (3, 3, 32, 48), (4, 1, 7, 11),
                                   (2, 3, 33, 20)])
def test_ssim_matches_skimage_on_random_images(shape, backend):
    rng = np.random.default_rng(sum(shape))
    x = rng.random(shape)
    y = np.clip(x + rng.normal(0, 0.15, shape), 0, 1)
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y), 1.0, backend=backend).numpy()
    np.testing.assert_allclose(ours, skimage_ssim(x, y, 1.0), atol=1e-12, rtol=0)


@BACKENDS
@pytest.mark.parametrize('data_range', [1.0, 2.0])
def test_ssim_matches_skimage_on_digit_frames(digit_clips, rgb_clips, data_range, backend):
    for pred, gt in (digit_clips, rgb_clips):
        x = np.clip(pred, 0, 1).reshape(-1, *pred.shape[2:])
        y = gt.reshape(-1, *gt.shape[2:])
        ours = ssim(torch.from_numpy(x), torch.from_numpy(y), data_range, backend=backend)
        np.testing.assert_allclose(ours.numpy(), skimage_ssim(x, y, data_range), atol=1e-7)


@BACKENDS
def test_ssim_on_uint8_frames_matches_skimage_with_range_255(digit_clips, backend):
    pred, gt = digit_clips
    x = np.uint8(np.clip(pred, 0, 1) * 255).reshape(-1, 32, 32)
    y = np.uint8(gt * 255).reshape(-1, 32, 32)
    ours = ssim(torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None], 255.0,
                backend=backend).numpy()
    # skimage infers the range 255 from uint8, as the original release's compare_ssim did.
    expected = [structural_similarity(a, b) for a, b in zip(x, y)]
    # numba: exact sums and a float64 ratio; torch: a float32 ratio.
    np.testing.assert_allclose(ours, expected, atol=1e-12 if backend == 'numba' else 3e-7)


@BACKENDS
def test_identical_images_have_ssim_one(backend):
    x = torch.rand(3, 1, 16, 16)
    torch.testing.assert_close(ssim(x, x.clone(), 1.0, backend=backend),
                               torch.ones(3, dtype=torch.float64))


@BACKENDS
def test_frames_smaller_than_the_window_are_a_clear_error(backend):
    with pytest.raises(DataError, match='at least 7x7'):
        ssim(torch.rand(1, 1, 6, 20), torch.rand(1, 1, 6, 20), 1.0, backend=backend)


def test_without_numba_ssim_falls_back_to_torch(monkeypatch):
    x = torch.randint(0, 256, (3, 1, 20, 20), dtype=torch.uint8)
    y = torch.randint(0, 256, (3, 1, 20, 20), dtype=torch.uint8)
    expected = ssim(x, y, 255.0, backend='torch')
    monkeypatch.setattr(ssim_module.ssim_kernel, 'available', lambda: False)
    monkeypatch.setattr(ssim_module, '_ssim_numba', None)  # would fail if called
    torch.testing.assert_close(ssim(x, y, 255.0), expected)


@pytest.mark.parametrize('win_size', [1, 2, 3, 5, 7, 8, 11])
def test_window_sums_equal_sum_pooling(win_size):
    maps = torch.randint(0, 256, (2, 3, 20, 17)).double()
    expected = torch.nn.functional.avg_pool2d(maps, win_size, stride=1, divisor_override=1)
    assert torch.equal(window_sums(maps, win_size), expected)


def _integer_images(n=37, shape=(1, 40, 36), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, ) + shape, dtype=np.uint8)
    noise = rng.integers(-40, 41, x.shape)
    y = np.clip(x.astype(int) + noise, 0, 255).astype(np.uint8)
    y[:3] = 255  # flat frames: zero variance in every window
    return x, y


@BACKENDS
def test_integer_path_matches_skimage_and_float64(monkeypatch, backend):
    x, y = _integer_images()
    expected = [structural_similarity(a[0], b[0], data_range=255) for a, b in zip(x, y)]
    monkeypatch.setattr(ssim_module, 'BLOCK_PIXELS', 5 * 40 * 36)  # blocks of 5: a partial one
    u8 = ssim(torch.from_numpy(x), torch.from_numpy(y), 255.0, backend=backend).numpy()
    np.testing.assert_allclose(u8, expected, atol=1e-12 if backend == 'numba' else 3e-7, rtol=0)
    as_float = ssim(torch.from_numpy(x).float(), torch.from_numpy(y).float(), 255.0,
                    integer_valued=True, backend=backend).numpy()
    np.testing.assert_array_equal(as_float, u8)
    float64 = ssim(torch.from_numpy(x).double(), torch.from_numpy(y).double(), 255.0,
                   backend=backend).numpy()
    np.testing.assert_allclose(float64, expected, atol=1e-12, rtol=0)


def test_integer_window_sums_by_convolution_equal_the_additions(monkeypatch):
    x, y = _integer_images(n=6, shape=(64, 64), seed=1)
    x, y = torch.from_numpy(x).float(), torch.from_numpy(y).float()
    by_convolution = ssim_module._integer_window_sums(x, y, 7)
    monkeypatch.setattr(ssim_module, '_exact_cpu_convolution', lambda: False)
    by_additions = ssim_module._integer_window_sums(x, y, 7)
    assert torch.equal(by_convolution, by_additions)
    assert by_additions[3].max() <= 2 ** 24  # x² + y² sums: exact in float32


def test_reduced_precision_convolutions_are_not_used_for_exact_sums():
    conv = getattr(torch.backends.mkldnn, 'conv', None)
    if conv is None or not hasattr(conv, 'fp32_precision'):
        pytest.skip('this torch has no oneDNN fp32_precision switch')
    previous = conv.fp32_precision
    try:
        conv.fp32_precision = 'bf16'
        assert not ssim_module._exact_cpu_convolution()
    finally:
        conv.fp32_precision = previous
    assert ssim_module._exact_cpu_convolution()


@BACKENDS
def test_identical_integer_images_have_ssim_one(backend):
    x = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    torch.testing.assert_close(ssim(x, x.clone(), 255.0, backend=backend),
                               torch.ones(4, dtype=torch.float64), atol=1e-6, rtol=0)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="'numba', 'torch' or None"):
        ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8), 1.0, backend='cuda')
