"""The compiled (numba) and torch backends of frame_metrics give the same numbers."""
import importlib

import numpy as np
import pytest
import torch

from predbench.evaluation import compute_metrics, frame_metrics
from predbench.utils.errors import ConfigError

functional = importlib.import_module('predbench.evaluation.functional')
PIXEL_METRICS = ('mse', 'mae', 'psnr', 'ssim')


def _clips(shape, dtype, seed=0):
    """Predictions with values outside [0, 1] (clipping matters) and ground truth in [0, 1],
    a little above 1 in one frame (quantization must clamp, not wrap)."""
    rng = np.random.default_rng(seed)
    gt = rng.random(shape)
    pred = gt + rng.normal(0, 0.2, shape)
    gt[0, 0, 0, 0, :3] = 1.0 + 1e-3
    return (torch.from_numpy(pred).to(dtype), torch.from_numpy(gt).to(dtype))


@pytest.mark.parametrize('convention', ['predbench', 'thuml', 'openstl'])
@pytest.mark.parametrize('shape,dtype', [((2, 3, 1, 64, 64), torch.float32),
                                         ((2, 2, 3, 33, 20), torch.float32),
                                         ((1, 2, 1, 16, 16), torch.float64)])
def test_numba_and_torch_backends_agree(convention, shape, dtype):
    pred, gt = _clips(shape, dtype)
    compiled = frame_metrics(pred, gt, PIXEL_METRICS, convention, backend='numba')
    eager = frame_metrics(pred, gt, PIXEL_METRICS, convention, backend='torch')
    for name in PIXEL_METRICS:
        assert compiled[name].shape == eager[name].shape == shape[:2]
    # numba sums float64 errors; torch squares in the inputs' precision.
    torch.testing.assert_close(compiled['mse'], eager['mse'], rtol=1e-6, atol=0)
    torch.testing.assert_close(compiled['mae'], eager['mae'], rtol=1e-6, atol=0)
    torch.testing.assert_close(compiled['psnr'], eager['psnr'], rtol=0, atol=1e-5)
    # torch's integer SSIM rounds its ratio to float32.
    torch.testing.assert_close(compiled['ssim'], eager['ssim'], rtol=0, atol=3e-7)


def test_default_backend_is_numba_on_cpu_and_torch_without_it(monkeypatch):
    pred, gt = _clips((1, 2, 1, 16, 16), torch.float32)
    calls = []
    original = functional._kernel_metrics
    monkeypatch.setattr(functional, '_kernel_metrics',
                        lambda *a: calls.append(1) or original(*a))
    with_numba = compute_metrics(pred, gt, PIXEL_METRICS, 'thuml')
    assert calls
    monkeypatch.setattr(functional.ssim_kernel, 'available', lambda: False)
    calls.clear()
    without = compute_metrics(pred, gt, PIXEL_METRICS, 'thuml')
    assert not calls
    for name in PIXEL_METRICS:
        np.testing.assert_allclose(with_numba[name], without[name], rtol=1e-6, atol=3e-7)


def test_frames_smaller_than_the_ssim_window_use_torch_for_the_other_metrics():
    pred, gt = _clips((1, 2, 1, 5, 5), torch.float32)
    out = frame_metrics(pred, gt, ('mse', 'psnr'), 'predbench')
    expected = ((pred.clamp(0, 1) - gt).double() ** 2).flatten(2).sum(dim=2)
    torch.testing.assert_close(out['mse'], expected)


def test_unknown_backend_is_a_config_error():
    pred, gt = _clips((1, 1, 1, 8, 8), torch.float32)
    with pytest.raises(ConfigError, match='metric backend'):
        frame_metrics(pred, gt, ('mse', ), backend='gpu')
