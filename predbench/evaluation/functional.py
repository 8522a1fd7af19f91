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
from .ssim import ssim

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


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    """``np.uint8(x * 255)`` of the original release: truncation, multiply in x's own dtype."""
    return (x * 255).to(torch.uint8)


def _psnr_float(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """10 log10(1 / MSE) per image [N, C, H, W] -> [N], images in [0, 1]."""
    mse = (pred.double() - gt.double()).square().flatten(1).mean(dim=1)
    return -10 * torch.log10(mse)


def _psnr_uint8(pred_u8: torch.Tensor, gt_u8: torch.Tensor) -> torch.Tensor:
    """The original's ``batch_psnr`` per image: 20 log10(255) - 10 log10(float32 MSE)."""
    sq = (pred_u8.int() - gt_u8.int()).double().square().flatten(1)
    mse = (sq.sum(dim=1) / sq.shape[1]).float().double()
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
                  lpips_net: Optional[nn.Module] = None) -> Dict[str, torch.Tensor]:
    """One value per sequence and predicted frame: ``{name: [B, T] float64}``, on pred's device.

    ``pred`` and ``gt`` are [B, T, C, H, W] in [0, 1] (pred not yet clipped); ``lpips_net`` is
    required when ``metrics`` includes ``'lpips'`` (see :func:`build_lpips`).
    """
    conv = get_convention(convention) if isinstance(convention, str) else convention
    metrics = check_metric_names(metrics)
    pred = as_clips(pred, 'pred')
    gt = as_clips(gt, 'gt', device=pred.device)
    if pred.shape != gt.shape:
        raise DataError(f'pred and gt must have one shape, got {list(pred.shape)} and '
                        f'{list(gt.shape)}')
    batch, steps = pred.shape[:2]
    clipped = pred.clamp(0, 1)
    images = clipped.flatten(0, 1), gt.flatten(0, 1)  # [B*T, C, H, W]
    if conv.uint8_images and ('psnr' in metrics or 'ssim' in metrics):
        images_u8 = _to_uint8(images[0]), _to_uint8(images[1])

    if 'mse' in metrics or 'mae' in metrics:
        error = (pred if conv.errors_before_clipping else clipped).double() - gt.double()

    out = {}
    for name in metrics:
        if name in ('mse', 'mae'):
            per_pixel = error.square() if name == 'mse' else error.abs()
            out[name] = per_pixel.flatten(2).sum(dim=2)
            continue
        if name == 'psnr':
            value = _psnr_uint8(*images_u8) if conv.uint8_images else _psnr_float(*images)
        elif name == 'ssim':
            value = ssim(*(images_u8 if conv.uint8_images else images), conv.ssim_data_range)
        else:
            if lpips_net is None:
                raise ConfigError('LPIPS needs an LPIPS network: pass lpips_net=build_lpips()')
            value = _lpips(lpips_net, *images, signed=conv.lpips_signed_input)
        out[name] = value.reshape(batch, steps)
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
