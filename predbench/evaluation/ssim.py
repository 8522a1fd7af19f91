"""Batched SSIM of torch tensors, matching scikit-image's ``structural_similarity``.

scikit-image (default arguments, ``gaussian_weights=False``) filters both images with a 7x7
uniform window (scipy ``uniform_filter``, mode ``'reflect'``), uses the sample covariance
(NP / (NP - 1)), then averages the SSIM map after cropping ``(win_size - 1) // 2`` pixels from
each border, per channel, and averages the channels. Every pixel left after that crop has its
whole window inside the image, so 'valid' window sums (no padding at all) give exactly the
cropped map; the padding mode never reaches the result.

Written with window *sums* S (not means), the SSIM of a pixel is, with NP = win_size**2,
``c1 = C1 NP**2`` and ``c2 = C2 NP (NP - 1)``::

    (2 Sx Sy + c1) (2 (NP Sxy - Sx Sy) + c2)
    ------------------------------------------------------
    (Sx² + Sy² + c1) (NP (Sxx + Syy) - Sx² - Sy² + c2)

so it needs four window sums (x, y, xy and x² + y²). Two backends compute it:

* ``'numba'`` (CPU tensors, the default when numba imports): ``ssim_kernel.py``, one compiled
  pass per image, exact int64 sums for integer images, float64 everywhere else.
* ``'torch'`` (any device): whole-array operations. For ``uint8`` images (the original release's
  convention) every sum and every product above is an integer below 2**31: they are computed
  exactly (float32 sums of integers below 2**24, then int32), and only the final ratio is rounded,
  to float32 (SSIM within ~2e-7 of scikit-image's float64). Float images use float64 throughout,
  because the variances are differences of nearly equal numbers. On CPUs the images go through in
  blocks of :data:`BLOCK_PIXELS` pixels, so that the temporaries stay in the caches.
"""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..utils.errors import DataError
from . import ssim_kernel
from .backend import metric_backend

K1 = 0.01
K2 = 0.03
WIN_SIZE = 7
#: Pixels per block of the computation: keeps a block's working set in a CPU core's caches
#: (measured: 2-3x faster than whole test batches at once).
BLOCK_PIXELS = 65536


def window_sums(maps: torch.Tensor, win_size: int) -> torch.Tensor:
    """Sums over every ``win_size`` x ``win_size`` window inside the image ('valid').

    ``maps`` [..., H, W] -> [..., H - w + 1, W - w + 1] (a strided view); exact for integers,
    also for integer-valued float32 below 2**24.
    """
    height, width = maps.shape[-2:]
    flat = _flat_window_sums(maps.reshape(maps.shape[:-2] + (height * width, )), win_size, width)
    return _valid_windows(flat, height, width, win_size)


def _flat_window_sums(flat: torch.Tensor, win_size: int, width: int) -> torch.Tensor:
    """Window sums of images stored row after row in the last dim (length H*W).

    Entry ``r * W + c`` of the result is the sum of the window whose top-left pixel is (r, c),
    for ``c <= W - w``; the other entries sum windows that wrap around a row end (valid numbers,
    unused). Working on whole rows of the flat array keeps every addition one contiguous run,
    2-3x faster than adding narrow 2-D slices.
    """
    return _sliding_sum(_sliding_sum(flat, win_size, 1), win_size, width)


def _valid_windows(flat: torch.Tensor, height: int, width: int, win_size: int) -> torch.Tensor:
    """The [..., H - w + 1, W - w + 1] view of the windows inside the image of a flat result."""
    lead = flat.shape[:-1]
    size = lead + (height - win_size + 1, width - win_size + 1)
    stride = flat.stride()[:-1] + (width, 1)
    return flat.as_strided(size, stride, flat.storage_offset())


def _sliding_sum(x: torch.Tensor, width: int, step: int) -> torch.Tensor:
    """``out[i] = x[i] + x[i + step] + ... + x[i + (width - 1) step]`` along the last dim.

    By binary decomposition: ``power`` holds sums of ``span`` = 1, 2, 4, ... terms, and a window
    is the sum of the spans of ``width``'s binary digits laid end to end (about 2 log2(width)
    additions per entry instead of width - 1).
    """
    out_len = x.shape[-1] - (width - 1) * step
    parts = []
    offset, span, power = 0, 1, x
    while True:
        if width & span:
            parts.append(power[..., offset * step:offset * step + out_len])
            offset += span
        if 2 * span > width:
            break
        reach = power.shape[-1] - span * step
        power = power[..., :reach] + power[..., span * step:span * step + reach]
        span *= 2
    if len(parts) == 1:
        return parts[0].contiguous()
    result = parts[0] + parts[1]
    for part in parts[2:]:
        result += part
    return result


def block_length(pixels_per_image: int) -> int:
    """Images per block of :data:`BLOCK_PIXELS` pixels (at least one)."""
    return max(1, BLOCK_PIXELS // pixels_per_image)


def check_ssim_inputs(x: torch.Tensor, y: torch.Tensor, win_size: int) -> None:
    """A DataError unless x and y are [N, C, H, W] of one shape, with H, W >= win_size."""
    if x.shape != y.shape or x.dim() != 4:
        raise DataError(f'SSIM needs two batches [N, C, H, W] of one shape, got '
                        f'{list(x.shape)} and {list(y.shape)}')
    height, width = x.shape[-2:]
    if min(height, width) < win_size:
        raise DataError(f'SSIM with a {win_size}x{win_size} window needs frames of at least '
                        f'{win_size}x{win_size} pixels, got {height}x{width}')


def ssim_constants(data_range: float, win_size: int) -> Tuple[int, float, float]:
    """NP and the constants c1 = C1 NP², c2 = C2 NP (NP - 1) of the window-sum form."""
    num_points = win_size ** 2
    c1 = (K1 * data_range) ** 2 * num_points ** 2
    c2 = (K2 * data_range) ** 2 * num_points * (num_points - 1)
    return num_points, c1, c2


def _moment_maps(x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """x, y, x*y and x*x + y*y of images [n, H, W] as [4, n, H*W] in ``dtype``."""
    maps = torch.empty((4, x.shape[0], x[0].numel()), dtype=dtype, device=x.device)
    xf, yf = maps[0].copy_(x.flatten(1)), maps[1].copy_(y.flatten(1))
    torch.mul(xf, yf, out=maps[2])
    torch.mul(xf, xf, out=maps[3]).addcmul_(yf, yf)
    return maps


def _exact_cpu_convolution() -> bool:
    """Whether oneDNN runs float32 convolutions in float32 (not bf16/tf32 by user request)."""
    precisions = [getattr(torch.backends.mkldnn, 'fp32_precision', 'none'),
                  getattr(getattr(torch.backends.mkldnn, 'conv', None), 'fp32_precision',
                          'none')]
    return torch.backends.mkldnn.is_available() and all(p in ('none', 'ieee')
                                                       for p in precisions)


def _integer_window_sums(x: torch.Tensor, y: torch.Tensor, win_size: int) -> torch.Tensor:
    """Window sums of x, y, xy and x² + y² of integer images [n, H, W]: [4, n, H', W'] float32.

    Exact: all partial sums are integers below 2**24. On CPUs, two depthwise convolutions with
    a ones kernel over channels-last maps (oneDNN, 2x faster than additions); elsewhere the
    additions of :func:`window_sums`.
    """
    n, height, width = x.shape
    if x.device.type != 'cpu' or not _exact_cpu_convolution():
        flat = _flat_window_sums(_moment_maps(x, y, torch.float32), win_size, width)
        return _valid_windows(flat, height, width, win_size)
    maps = torch.empty((n, height, width, 4), dtype=torch.float32)  # channels last
    xf, yf = maps[..., 0].copy_(x), maps[..., 1].copy_(y)
    torch.mul(xf, yf, out=maps[..., 2])
    torch.mul(xf, xf, out=maps[..., 3]).addcmul_(yf, yf)
    ones = maps.new_ones(4, 1, win_size, 1)
    sums = F.conv2d(maps.permute(0, 3, 1, 2), ones, groups=4)
    sums = F.conv2d(sums, ones.transpose(2, 3), groups=4)
    return sums.contiguous().transpose(0, 1)


def _ssim_map_integers(x: torch.Tensor, y: torch.Tensor, data_range: float,
                       win_size: int) -> torch.Tensor:
    """SSIM map [n, H', W'] of images [n, H, W] holding integers in [0, 255], float32.

    The window sums are exact in float32 (below 2**24), the products of sums exact in int32
    (below 2**31); only the final ratio is rounded, in float32.
    """
    num_points, c1, c2 = ssim_constants(data_range, win_size)
    sx, sy, sxy, sq = _integer_window_sums(x, y, win_size).to(torch.int32).unbind(0)
    prod = sx * sy
    squares = (sx * sx).addcmul_(sy, sy)
    # (2 P + c1)(2 cov + c2) / ((Q + c1)(var + c2)), with the factor 4 taken out of the numerator
    # (ssim() multiplies the mean by it).
    numerator = (prod + c1 / 2).mul_(sxy.mul_(num_points).sub_(prod).add(c2 / 2))
    variance = sq.mul_(num_points).sub_(squares)
    return numerator.div_((squares + c1).mul_(variance.add(c2)))


def _ssim_map_float(x: torch.Tensor, y: torch.Tensor, data_range: float,
                    win_size: int) -> torch.Tensor:
    """SSIM map [n, H', W'] of float images [n, H, W], in float64."""
    num_points, c1, c2 = ssim_constants(data_range, win_size)
    height, width = x.shape[-2:]
    sums = _flat_window_sums(_moment_maps(x, y, torch.float64), win_size, width)
    sx, sy, sxy, sq = sums.unbind(0)
    prod = sx * sy
    squares = (sx * sx).addcmul_(sy, sy)
    numerator = (prod + c1 / 2).mul_(sxy.mul_(num_points).sub_(prod).add_(c2 / 2))
    variance = sq.mul_(num_points).sub_(squares)
    ratio = numerator.div_((squares + c1).mul_(variance.add_(c2)))
    return _valid_windows(ratio, height, width, win_size)


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float, win_size: int = WIN_SIZE,
         integer_valued: Optional[bool] = None, backend: Optional[str] = None) -> torch.Tensor:
    """SSIM per image of ``x`` and ``y`` [N, C, H, W] -> [N] float64 (channels averaged).

    Equals ``skimage.metrics.structural_similarity(x[n], y[n], data_range=data_range,
    channel_axis=0)`` (7x7 uniform window, sample covariance) to float64 rounding (the torch
    backend on integer images: to ~2e-7, see the module docstring).

    Args:
        integer_valued: ``x`` and ``y`` hold integers in [0, 255] (uint8 images, or floats made
            from them), which allows exact integer sums; default: whether both are uint8.
        backend: ``'numba'`` (CPU tensors: one compiled pass, see ``ssim_kernel.py``),
            ``'torch'`` (any device), or None: see :func:`~.backend.metric_backend`.
    """
    check_ssim_inputs(x, y, win_size)
    n, c, height, width = x.shape
    x = x.reshape(n * c, height, width)
    y = y.reshape(n * c, height, width)
    if integer_valued is None:
        integer_valued = x.dtype == torch.uint8 and y.dtype == torch.uint8
    if metric_backend(x.device, (height, width), win_size, backend) == 'numba':
        means = _ssim_numba(x, y, data_range, win_size, integer_valued)
    else:
        means = _ssim_torch(x, y, data_range, win_size, integer_valued)
    return means.reshape(n, c).mean(dim=1)


def _ssim_numba(x: torch.Tensor, y: torch.Tensor, data_range: float, win_size: int,
                integer_valued: bool) -> torch.Tensor:
    """Mean SSIM per image [n, H, W] -> [n] with the compiled kernel (CPU)."""
    _, c1, c2 = ssim_constants(data_range, win_size)
    stats = ssim_kernel.image_statistics(as_kernel_input(x), as_kernel_input(y), win_size, c1,
                                         c2, integer=integer_valued,
                                         threads=torch.get_num_threads())
    return torch.from_numpy(stats[ssim_kernel.SSIM].copy())


def as_kernel_input(images: torch.Tensor) -> np.ndarray:
    """A CPU tensor as the C-contiguous uint8/float32/float64 array the kernel takes."""
    if images.dtype not in (torch.uint8, torch.float32, torch.float64):
        images = images.float()
    return images.detach().contiguous().numpy()


def _ssim_torch(x: torch.Tensor, y: torch.Tensor, data_range: float, win_size: int,
                integer_valued: bool) -> torch.Tensor:
    """Mean SSIM per image [n, H, W] -> [n] with torch operations, block by block on CPUs."""
    count, height, width = x.shape
    # The integer path keeps the window sums of x² + y² below 2**24 (float32) and
    # NP (Sxx + Syy) below 2**31 (int32) for windows up to 11x11.
    ssim_map = (_ssim_map_integers if integer_valued and win_size <= 11 else _ssim_map_float)
    means = torch.empty(count, dtype=torch.float64, device=x.device)
    step = block_length(height * width) if x.device.type == 'cpu' else count
    for start in range(0, count, step):
        block = ssim_map(x[start:start + step], y[start:start + step], data_range, win_size)
        # float32 maps: row sums, then their sum (two short sums, accurate to ~1e-10).
        means[start:start + step] = block.sum(dim=2).sum(dim=1)
    # Both maps leave out a factor 4 of the numerator.
    return means.mul_(4 / ((height - win_size + 1) * (width - win_size + 1)))
