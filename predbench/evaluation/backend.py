"""Which backend computes the pixel metrics (MSE, MAE, PSNR, SSIM): the one place that decides.

* ``'numba'``: the compiled kernel of ``ssim_kernel.py``, one pass per image on CPU tensors;
* ``'torch'``: whole-array torch operations, on any device.

Both give the same numbers (tests/evaluation/test_metric_backends.py); the default is the faster
one that can run.
"""
from typing import Optional, Tuple, Union

import torch

from ..utils.errors import ConfigError
from . import ssim_kernel

BACKENDS = ('numba', 'torch')


def metric_backend(device: Union[str, torch.device], frame_size: Tuple[int, int],
                   win_size: int, requested: Optional[str] = None) -> str:
    """The backend for frames of ``frame_size`` (H, W) on ``device``: ``requested`` if it can
    run (a one-line ConfigError says why not), else numba on CPUs when it imports and the frames
    hold a whole ``win_size`` window (the kernel's SSIM needs one), torch otherwise."""
    device = torch.device(device)
    fits_kernel = min(frame_size) >= win_size
    if requested is None:
        use_numba = device.type == 'cpu' and fits_kernel and ssim_kernel.available()
        return 'numba' if use_numba else 'torch'
    if requested not in BACKENDS:
        raise ConfigError(f"metric backend must be 'numba', 'torch' or None, got {requested!r}")
    if requested == 'numba':
        if device.type != 'cpu':
            raise ConfigError(f"the 'numba' metric backend runs on CPU tensors, got {device}: "
                              f"use backend='torch' (or None)")
        if not ssim_kernel.available():
            raise ConfigError("the 'numba' metric backend needs numba (pip install numba): "
                              "use backend='torch' (or None)")
        if not fits_kernel:
            raise ConfigError(f"the 'numba' metric backend needs frames of at least "
                              f"{win_size}x{win_size} pixels, got {frame_size[0]}x"
                              f"{frame_size[1]}: use backend='torch' (or None)")
    return requested
