"""SSIM of whole batches of images in torch, matching scikit-image's ``structural_similarity``.

scikit-image (default arguments, ``gaussian_weights=False``) filters both images with a 7x7
uniform window (scipy ``uniform_filter``, mode ``'reflect'``), uses the sample covariance
(NP / (NP - 1)), then averages the SSIM map after cropping ``(win_size - 1) // 2`` pixels from
each border, per channel, and averages the channels. Every pixel left after that crop has its
whole window inside the image, so a 'valid' box filter (no padding at all) gives exactly the
cropped map; the padding mode never reaches the result.
"""
import torch
import torch.nn.functional as F

from ..utils.errors import DataError

K1 = 0.01
K2 = 0.03
WIN_SIZE = 7


def _box_filter_valid(x: torch.Tensor, win_size: int) -> torch.Tensor:
    """Mean over each win_size x win_size window that fits inside the image (separable)."""
    x = F.avg_pool2d(x, kernel_size=(win_size, 1), stride=1)
    return F.avg_pool2d(x, kernel_size=(1, win_size), stride=1)


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float,
         win_size: int = WIN_SIZE) -> torch.Tensor:
    """SSIM per image of ``x`` and ``y`` [N, C, H, W] -> [N] (channels averaged), in float64.

    Equals ``skimage.metrics.structural_similarity(x[n], y[n], data_range=data_range,
    channel_axis=0)`` (7x7 uniform window, sample covariance) up to float rounding.
    """
    if x.shape != y.shape or x.dim() != 4:
        raise DataError(f'SSIM needs two batches [N, C, H, W] of one shape, got '
                        f'{list(x.shape)} and {list(y.shape)}')
    height, width = x.shape[-2:]
    if min(height, width) < win_size:
        raise DataError(f'SSIM with a {win_size}x{win_size} window needs frames of at least '
                        f'{win_size}x{win_size} pixels, got {height}x{width}')
    n, c = x.shape[:2]
    # float64: the variances are differences of nearly equal means (uxx - ux**2).
    x = x.to(torch.float64).reshape(n * c, 1, height, width)
    y = y.to(torch.float64).reshape(n * c, 1, height, width)
    # One pooling call for the five local moments.
    moments = _box_filter_valid(torch.cat([x, y, x * x, y * y, x * y], dim=1), win_size)
    ux, uy, uxx, uyy, uxy = moments.unbind(dim=1)
    num_points = win_size ** 2
    cov_norm = num_points / (num_points - 1)
    vx = cov_norm * (uxx - ux * ux)
    vy = cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    ssim_map = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return ssim_map.reshape(n, c, -1).mean(dim=2).mean(dim=1)
