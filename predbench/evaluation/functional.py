"""Per-frame video prediction metrics as plain functions, batched on the device of the data.

Two steps, so that a distributed evaluation can gather small per-sequence values and reduce them
once: :func:`frame_metrics` turns a batch of clips into one value per sequence and frame,
:func:`reduce_frame_metrics` averages those over sequences as a convention prescribes.
:func:`compute_metrics` chains both for users' own scripts.
"""
import math
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from ..utils.errors import ConfigError, DataError
from .conventions import Convention, check_metric_names, get_convention
from .lpips_model import build_lpips
from . import ssim_kernel
from .ssim import (WIN_SIZE, as_kernel_input, block_length, check_ssim_inputs, ssim,
                   ssim_constants)

ArrayLike = Union[np.ndarray, torch.Tensor]
#: Images per LPIPS forward pass: bounds the memory AlexNet's activations take.
LPIPS_CHUNK = 256


def as_clips(x: ArrayLike, name: str, device: Optional[Union[str, torch.device]] = None
             ) -> torch.Tensor:
    """[B, T, C, H, W] (or one clip [T, C, H, W]) floats as a tensor; uint8 becomes x / 255."""
    x = torch.as_tensor(x, device=device)
    if x.dim() == 4:
        x = x.unsqueeze(0)
    if x.dim() != 5:
        raise DataError(f'{name} must be clips [B, T, C, H, W], got shape {list(x.shape)}')
    if x.dtype == torch.uint8:
        return x.float() / 255.0
    # Half-precision outputs (AMP) would truncate and square in fp16: use float32, as numpy did.
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def _quantize(x: torch.Tensor) -> torch.Tensor:
    """``np.uint8(x * 255)`` of the original release (multiply in x's own dtype, truncate), as
    integer-valued float32, the form PSNR and SSIM compute on exactly. Values outside [0, 255]
    (ground truth beyond [0, 1]) are clamped, where numpy's cast would wrap around."""
    return (x * 255).trunc_().clamp_(0, 255).float()


def _squared_error_sums(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Sum of squared differences per image [N, ...] -> [N], accumulated in float64.

    The differences and squares are taken in the inputs' dtype (float32 like the original's
    numpy, exact for uint8-valued floats).
    """
    return (pred - gt).square_().flatten(1).sum(dim=1, dtype=torch.float64)


def _psnr_float(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """10 log10(1 / MSE) per image [N, C, H, W] -> [N], images in [0, 1]."""
    mse = _squared_error_sums(pred.double(), gt.double()) / pred[0].numel()
    return -10 * torch.log10(mse)


def _psnr_uint8(pred_q: torch.Tensor, gt_q: torch.Tensor) -> torch.Tensor:
    """The original's ``batch_psnr`` per image of quantized frames (see _quantize):
    20 log10(255) - 10 log10(float32 MSE)."""
    # Differences of uint8 values and their squares are exact in float32, the sum in float64.
    sums = _squared_error_sums(pred_q, gt_q)
    mse = (sums / pred_q[0].numel()).float().double()
    return 20 * math.log10(255) - 10 * torch.log10(mse)


def _lpips(net: nn.Module, pred: torch.Tensor, gt: torch.Tensor, signed: bool) -> torch.Tensor:
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
        if signed:
            p, g = p * 2 - 1, g * 2 - 1
        with torch.no_grad():
            values.append(net(g, p).flatten().double())
    return torch.cat(values).to(pred.device)


def frame_metrics(pred: ArrayLike, gt: ArrayLike, metrics: Sequence[str],
                  convention: Union[str, Convention] = 'predbench',
                  lpips_net: Optional[nn.Module] = None,
                  backend: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """One value per sequence and predicted frame: ``{name: [B, T] float64}``, on pred's device.

    ``pred`` and ``gt`` are [B, T, C, H, W] in [0, 1] (pred not yet clipped); ``lpips_net`` is
    required when ``metrics`` includes ``'lpips'`` (see :func:`build_lpips`). ``backend`` of
    MSE, MAE, PSNR and SSIM: ``'numba'`` (CPU: one compiled pass, ``ssim_kernel.py``),
    ``'torch'``, or None: numba for CPU tensors when it can be imported.
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    metrics = check_metric_names(metrics)
    pred = as_clips(pred, 'pred')
    gt = as_clips(gt, 'gt', device=pred.device)
    if pred.shape != gt.shape:
        raise DataError(f'pred and gt must have one shape, got {list(pred.shape)} and '
                        f'{list(gt.shape)}')
    if 'lpips' in metrics and lpips_net is None:
        raise ConfigError('LPIPS needs an LPIPS network: pass lpips_net=build_lpips()')
    batch, steps = pred.shape[:2]
    images = pred.flatten(0, 1), gt.flatten(0, 1)  # [B*T, C, H, W]
    out = {name: torch.empty(batch * steps, dtype=torch.float64, device=pred.device)
           for name in metrics}
    pixel_metrics = [m for m in metrics if m != 'lpips']
    if backend is None:
        backend = ('numba' if pred.device.type == 'cpu' and ssim_kernel.available()
                   and min(pred.shape[-2:]) >= WIN_SIZE else 'torch')
    if backend not in ('numba', 'torch'):
        raise ConfigError(f"metric backend must be 'numba', 'torch' or None, got {backend!r}")
    if pixel_metrics and backend == 'numba':
        if pred.device.type != 'cpu':
            raise ConfigError(f"the 'numba' metric backend runs on CPU tensors, got "
                              f"{pred.device}: use backend='torch' (or None)")
        out.update(_image_metrics_numba(*images, pixel_metrics, conv))
    elif pixel_metrics:
        # Block by block, every metric at once: a block's temporaries stay in the CPU's caches.
        step = block_length(images[0][0].numel()) if pred.device.type == 'cpu' else batch * steps
        for start in range(0, batch * steps, step):
            block = slice(start, start + step)
            values = _image_metrics(images[0][block], images[1][block], pixel_metrics, conv)
            for name, value in values.items():
                out[name][block] = value
    if 'lpips' in metrics:
        out['lpips'] = _lpips(lpips_net, images[0].clamp(0, 1), images[1],
                              signed=conv.lpips_signed_input)
    return {name: value.reshape(batch, steps) for name, value in out.items()}


def _image_metrics_numba(pred: torch.Tensor, gt: torch.Tensor, metrics: Sequence[str],
                         conv: Convention) -> Dict[str, torch.Tensor]:
    """MSE, MAE, PSNR and SSIM per image of [n, C, H, W] -> [n], from one pass of the compiled
    kernel (CPU tensors): the same numbers as :func:`_image_metrics` to float64 rounding."""
    if 'ssim' in metrics:
        check_ssim_inputs(pred, gt, WIN_SIZE)
    n, c, height, width = pred.shape
    _, c1, c2 = ssim_constants(conv.ssim_data_range, WIN_SIZE)
    dtype = torch.float64 if torch.float64 in (pred.dtype, gt.dtype) else torch.float32
    stats = ssim_kernel.image_statistics(
        as_kernel_input(pred.to(dtype).reshape(n * c, height, width)),
        as_kernel_input(gt.to(dtype).reshape(n * c, height, width)), WIN_SIZE, c1, c2,
        integer=False, quantize=conv.uint8_images, clip_x=True,
        errors_of_raw_x=conv.errors_before_clipping, threads=torch.get_num_threads())
    per_channel = torch.from_numpy(stats).reshape(4, n, c)
    out = {}
    for name in metrics:
        if name == 'mse':
            out[name] = per_channel[ssim_kernel.ERROR_SQUARED].sum(dim=1)
        elif name == 'mae':
            out[name] = per_channel[ssim_kernel.ERROR_ABSOLUTE].sum(dim=1)
        elif name == 'psnr':
            mse = per_channel[ssim_kernel.SQUARED].sum(dim=1) / (c * height * width)
            out[name] = (20 * math.log10(255) - 10 * torch.log10(mse.float().double())
                         if conv.uint8_images else -10 * torch.log10(mse))
        else:
            out[name] = per_channel[ssim_kernel.SSIM].mean(dim=1)
    return out


def _image_metrics(pred: torch.Tensor, gt: torch.Tensor, metrics: Sequence[str],
                   conv: Convention) -> Dict[str, torch.Tensor]:
    """MSE, MAE, PSNR and SSIM (those in ``metrics``) per image of [n, C, H, W] -> [n], with
    torch operations (any device)."""
    clipped = pred.clamp(0, 1)
    compared = pred if conv.errors_before_clipping else clipped
    if conv.uint8_images and ('psnr' in metrics or 'ssim' in metrics):
        quantized = _quantize(clipped), _quantize(gt)
    out = {}
    for name in metrics:
        if name == 'mse':
            out[name] = _squared_error_sums(compared, gt)
        elif name == 'mae':
            out[name] = (compared - gt).abs_().flatten(1).sum(dim=1, dtype=torch.float64)
        elif name == 'psnr':
            out[name] = (_psnr_uint8(*quantized) if conv.uint8_images
                         else _psnr_float(clipped, gt))
        else:
            out[name] = (ssim(*quantized, conv.ssim_data_range, integer_valued=True,
                              backend='torch') if conv.uint8_images
                         else ssim(clipped, gt, conv.ssim_data_range, backend='torch'))
    return out


def reduce_frame_metrics(values: Dict[str, ArrayLike],
                         convention: Union[str, Convention] = 'predbench',
                         thuml_batch_size: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Average per-sequence values ``{name: [N, T]}`` (dataset order) to per-frame ``{name: [T]}``.

    Every convention takes the mean over sequences, except that ``'thuml'`` averages PSNR and
    LPIPS per test batch of ``thuml_batch_size`` consecutive sequences, then over batches. That
    differs from the plain mean only when the last batch is partial: it counts as one batch.
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    if thuml_batch_size is not None and thuml_batch_size < 1:
        raise ConfigError(f'thuml_batch_size must be >= 1, got {thuml_batch_size}')
    out = {}
    for name, value in values.items():
        value = np.asarray(torch.as_tensor(value).cpu(), dtype=np.float64)
        if value.ndim != 2 or value.shape[0] == 0:
            raise DataError(f'{name}: expected per-sequence values [N, T] with N >= 1, got '
                            f'shape {list(value.shape)}')
        if name in conv.per_batch_means and thuml_batch_size:
            starts = range(0, value.shape[0], thuml_batch_size)
            batch_means = [value[s:s + thuml_batch_size].mean(axis=0) for s in starts]
            out[name] = np.mean(batch_means, axis=0)
        else:
            out[name] = value.mean(axis=0)
    return out


def compute_metrics(pred: ArrayLike, gt: ArrayLike,
                    metrics: Sequence[str] = ('mse', 'mae', 'psnr', 'ssim'),
                    convention: str = 'predbench', thuml_batch_size: Optional[int] = None,
                    lpips_net: Optional[nn.Module] = None, lpips_pretrained_backbone: bool = True,
                    device: Optional[Union[str, torch.device]] = None,
                    chunk_size: int = 64) -> Dict[str, np.ndarray]:
    """Per-frame metrics ``{name: array [T]}`` of predictions against ground truth.

    Args:
        pred, gt: clips [B, T, C, H, W] in [0, 1] (numpy or torch; pred not yet clipped).
        metrics: any of ``'mse', 'mae', 'psnr', 'ssim', 'lpips'``.
        convention: ``'predbench'``, ``'thuml'`` or ``'openstl'`` (docs/metrics.md).
        thuml_batch_size: the original's test batch size (``'thuml'`` only; see
            :func:`reduce_frame_metrics`).
        lpips_net: a prebuilt :func:`build_lpips` network (built here otherwise).
        lpips_pretrained_backbone: False builds LPIPS on a random AlexNet (plumbing tests).
        device: where to compute (default: pred's device for tensors, else CPU).
        chunk_size: sequences moved to the device at a time (bounds memory).
    """
    metrics = check_metric_names(metrics)
    conv = get_convention(convention)
    if device is None:
        device = pred.device if torch.is_tensor(pred) else 'cpu'
    if 'lpips' in metrics and lpips_net is None:
        lpips_net = build_lpips(lpips_pretrained_backbone, device=device)
    # One clip [T, C, H, W] is a batch of one.
    pred = pred[None] if pred.ndim == 4 else pred
    gt = gt[None] if gt.ndim == 4 else gt
    if len(pred) != len(gt):
        raise DataError(f'pred has {len(pred)} clips, gt has {len(gt)}')
    parts = {name: [] for name in metrics}
    for start in range(0, len(pred), chunk_size):
        values = frame_metrics(
            as_clips(pred[start:start + chunk_size], 'pred', device),
            as_clips(gt[start:start + chunk_size], 'gt', device), metrics, conv, lpips_net)
        for name, value in values.items():
            parts[name].append(value.cpu())
    return reduce_frame_metrics({k: torch.cat(v) for k, v in parts.items()}, conv,
                                thuml_batch_size)
