"""The metrics predbench computes: one row per metric, saying how each backend computes it.

Every list of metric names (``VideoMetric``'s default, the start-up checks of LPIPS's and FVD's
weights, the ``--out`` dump) comes from :data:`METRIC_TABLE`, and ``functional.py`` computes
whatever rows it is asked for, so adding a metric is adding a row (and the small functions it
names).

Two levels of metric:

* ``'frame'``: one value per sequence and predicted frame, averaged over sequences
  (MSE, MAE, PSNR, SSIM, LPIPS). A row says how to compute it per image with the compiled kernel
  (``numba``, from the kernel's per-image sums), with torch operations on a block of images
  (``torch``), or with a network on the whole batch (``network``, LPIPS). A row without a
  ``numba`` entry runs on torch under either backend.
* ``'set'``: one value for the whole evaluated set, e.g. FVD over whole clips. A row gives each
  clip's feature vectors (``clip_features``, [B, G, D]: G groups such as truth and prediction),
  whose Gaussian statistics are summed over batches and ranks (``frechet.GaussianMoments``:
  count, sum, sum of outer products, so no process keeps every clip's features), and how those
  statistics ``reduce`` to one number.

A row whose computation needs a network (LPIPS's AlexNet, FVD's I3D) receives the network passed
for its name. Rows with ``default=False`` (FVD: it needs a network file and minutes of CPU) are
computed only when asked for by name.
"""
import math
from functools import cached_property
from typing import Callable, Dict, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..utils.errors import ConfigError, DataError
from . import ssim_kernel
from .conventions import Convention
from .frechet import GaussianMoments, frechet_distance_of
from .fvd_features import i3d_features
from .ssim import ssim

FRAME, SET = 'frame', 'set'
#: Images per LPIPS forward pass: bounds the memory AlexNet's activations take.
LPIPS_CHUNK = 256


class KernelStatistics(NamedTuple):
    """What one pass of the compiled kernel gives: per image and channel ``[4, n, C]`` float64
    (rows ``ssim_kernel.SSIM``, ``SQUARED``, ``ERROR_SQUARED``, ``ERROR_ABSOLUTE``)."""
    per_channel: torch.Tensor
    pixels: int  # C * H * W of one image


class ImageBlock:
    """A block of predicted (raw) and true images [n, C, H, W], and what the torch rows derive
    from them, each computed once, on first use."""

    def __init__(self, pred: torch.Tensor, gt: torch.Tensor, conv: Convention) -> None:
        self.pred, self.gt, self.conv = pred, gt, conv

    @cached_property
    def clipped(self) -> torch.Tensor:
        """The prediction clipped to [0, 1]."""
        return self.pred.clamp(0, 1)

    @cached_property
    def compared(self) -> torch.Tensor:
        """The prediction MSE and MAE see: raw (OpenSTL) or clipped."""
        return self.pred if self.conv.errors_before_clipping else self.clipped

    @cached_property
    def quantized(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """(prediction, truth) as the original's ``uint8(x * 255)``, see :func:`quantize`."""
        return quantize(self.clipped), quantize(self.gt)


KernelRule = Callable[[KernelStatistics, Convention], torch.Tensor]
TorchRule = Callable[[ImageBlock, Convention], torch.Tensor]
NetworkRule = Callable[[nn.Module, torch.Tensor, torch.Tensor, Convention], torch.Tensor]
SetRule = Callable[[Optional[nn.Module], torch.Tensor, torch.Tensor, Optional[torch.Tensor],
                    Convention], torch.Tensor]


class MetricRow(NamedTuple):
    """How to compute one metric (see the module docstring); unused entries stay None."""
    level: str = FRAME
    #: frame level, compiled kernel: (kernel statistics, convention) -> [n] per image.
    numba: Optional[KernelRule] = None
    #: frame level, torch: (block of images, convention) -> [n] per image.
    torch: Optional[TorchRule] = None
    #: frame level, a network on the whole batch: (net, clipped pred, gt, convention) -> [n].
    network: Optional[NetworkRule] = None
    #: set level: (net or None, pred, gt [B, T, C, H, W], observed frames [B, T_in, C, H, W] or
    #: None, convention) -> per-clip feature vectors [B, G, D].
    clip_features: Optional[SetRule] = None
    #: set level: the features' moments over the whole set -> the metric's one value.
    reduce: Optional[Callable[[GaussianMoments], float]] = None
    #: computed when no metric names are given (``DEFAULT_METRIC_NAMES``).
    default: bool = True


# --- the computations the rows name ---------------------------------------------------------

def quantize(x: torch.Tensor) -> torch.Tensor:
    """``np.uint8(x * 255)`` of the original release (multiply in x's own dtype, truncate), as
    integer-valued float32, the form PSNR and SSIM compute on exactly. Values outside [0, 255]
    (ground truth beyond [0, 1]) are clamped, where numpy's cast would wrap around."""
    return (x * 255).trunc_().clamp_(0, 255).float()


def squared_error_sums(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Sum of squared differences per image [N, ...] -> [N], accumulated in float64.

    The differences and squares are taken in the inputs' dtype (float32 like the original's
    numpy, exact for uint8-valued floats).
    """
    return (pred - gt).square_().flatten(1).sum(dim=1, dtype=torch.float64)


def _psnr_float(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """10 log10(1 / MSE) per image [N, C, H, W] -> [N], images in [0, 1]."""
    mse = squared_error_sums(pred.double(), gt.double()) / pred[0].numel()
    return -10 * torch.log10(mse)


def _psnr_uint8(pred_q: torch.Tensor, gt_q: torch.Tensor) -> torch.Tensor:
    """The original's ``batch_psnr`` per image of quantized frames (see quantize):
    20 log10(255) - 10 log10(float32 MSE)."""
    # Differences of uint8 values and their squares are exact in float32, the sum in float64.
    sums = squared_error_sums(pred_q, gt_q)
    mse = (sums / pred_q[0].numel()).float().double()
    return 20 * math.log10(255) - 10 * torch.log10(mse)


def _psnr_torch(block: ImageBlock, conv: Convention) -> torch.Tensor:
    return (_psnr_uint8(*block.quantized) if conv.uint8_images
            else _psnr_float(block.clipped, block.gt))


def _psnr_numba(stats: KernelStatistics, conv: Convention) -> torch.Tensor:
    # SQUARED sums the differences of the pixels SSIM saw: quantized under 'thuml'.
    mse = stats.per_channel[ssim_kernel.SQUARED].sum(dim=1) / stats.pixels
    return (20 * math.log10(255) - 10 * torch.log10(mse.float().double())
            if conv.uint8_images else -10 * torch.log10(mse))


def _ssim_torch(block: ImageBlock, conv: Convention) -> torch.Tensor:
    if conv.uint8_images:
        return ssim(*block.quantized, conv.ssim_data_range, integer_valued=True,
                    backend='torch')
    return ssim(block.clipped, block.gt, conv.ssim_data_range, backend='torch')


def _lpips(net: nn.Module, pred: torch.Tensor, gt: torch.Tensor,
           conv: Convention) -> torch.Tensor:
    """LPIPS per image [N, C, H, W] -> [N]; grayscale repeated to the 3 channels AlexNet takes."""
    if pred.shape[1] not in (1, 3):
        raise DataError(f'LPIPS needs 1- or 3-channel frames, got {pred.shape[1]} channels')
    device = next(net.parameters()).device
    values = []
    for start in range(0, pred.shape[0], LPIPS_CHUNK):
        p = pred[start:start + LPIPS_CHUNK].to(device, torch.float32)
        g = gt[start:start + LPIPS_CHUNK].to(device, torch.float32)
        if p.shape[1] == 1:
            p, g = p.expand(-1, 3, -1, -1), g.expand(-1, 3, -1, -1)
        if conv.lpips_signed_input:
            p, g = p * 2 - 1, g * 2 - 1
        with torch.no_grad():
            values.append(net(g, p).flatten().double())
    return torch.cat(values).to(pred.device)


def _fvd_features(net: Optional[nn.Module], pred: torch.Tensor, gt: torch.Tensor,
                  observed: Optional[torch.Tensor], conv: Convention) -> torch.Tensor:
    """I3D features per clip [B, 2, 400]: of the true clip, then of the predicted one; each clip
    is the observed frames (when given) followed by the truth or the clipped prediction."""
    if net is None:
        raise ConfigError('FVD needs the I3D network: pass fvd_net=build_fvd_net(PATH)')
    if pred.shape[2] not in (1, 3):
        raise DataError(f'FVD needs 1- or 3-channel frames, got {pred.shape[2]} channels')
    true, predicted = gt, pred.clamp(0, 1)
    if observed is not None:
        true, predicted = torch.cat([observed, true], 1), torch.cat([observed, predicted], 1)
    features = i3d_features(net, torch.cat([true, predicted]))
    return torch.stack(features.chunk(2), dim=1)


# --- the table --------------------------------------------------------------------------------

METRIC_TABLE: Dict[str, MetricRow] = {
    # MSE and MAE per frame: the sum over the frame's pixels (all three codebases).
    'mse': MetricRow(
        numba=lambda stats, conv: stats.per_channel[ssim_kernel.ERROR_SQUARED].sum(dim=1),
        torch=lambda block, conv: squared_error_sums(block.compared, block.gt)),
    'mae': MetricRow(
        numba=lambda stats, conv: stats.per_channel[ssim_kernel.ERROR_ABSOLUTE].sum(dim=1),
        torch=lambda block, conv: (block.compared - block.gt).abs_().flatten(1).sum(
            dim=1, dtype=torch.float64)),
    'psnr': MetricRow(numba=_psnr_numba, torch=_psnr_torch),
    'ssim': MetricRow(numba=lambda stats, conv: stats.per_channel[ssim_kernel.SSIM].mean(dim=1),
                      torch=_ssim_torch),
    'lpips': MetricRow(network=_lpips),
    # FVD (docs/metrics.md): the Fréchet distance between the Gaussians of the I3D features of
    # the true and of the predicted clips.
    'fvd': MetricRow(level=SET, clip_features=_fvd_features, reduce=frechet_distance_of,
                     default=False),
}
#: Every metric's name, in the order reports list them.
METRIC_NAMES = tuple(METRIC_TABLE)
#: What a VideoMetric computes when no names are given: the rows with ``default=True``.
DEFAULT_METRIC_NAMES = tuple(name for name, row in METRIC_TABLE.items() if row.default)


def check_metric_names(metrics) -> Tuple[str, ...]:
    """``metrics`` as a tuple of known names; a ConfigError names the unknown ones."""
    if isinstance(metrics, str):
        metrics = (metrics, )
    metrics = tuple(str(m).lower() for m in metrics)
    unknown = [m for m in metrics if m not in METRIC_TABLE]
    if unknown or not metrics:
        raise ConfigError(f'metrics must be a non-empty list drawn from {list(METRIC_TABLE)}, '
                          f'got {list(metrics)}')
    return metrics


def names_at_level(metrics: Sequence[str], level: str) -> Tuple[str, ...]:
    """The names among ``metrics`` whose rows are of ``level`` (FRAME or SET)."""
    return tuple(m for m in metrics if METRIC_TABLE[m].level == level)
