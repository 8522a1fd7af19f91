"""Video prediction metrics as plain functions, batched on the device of the data.

Two steps, so that a distributed evaluation can gather small per-sequence values and reduce them
once: :func:`frame_metrics` turns a batch of clips into one value per sequence and frame (and,
for a set-level metric such as FVD, per-clip features whose moments are summed),
:func:`reduce_frame_metrics` averages those over sequences as a convention prescribes.
:func:`compute_metrics` chains both for users' own scripts. What each metric computes, per
backend, is a row of ``metric_table.py``; every input goes through ``inputs.py``'s checks.
"""
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from ..utils.errors import ConfigError, DataError
from . import ssim_kernel
from .backend import metric_backend
from .conventions import Convention, get_convention
from .frechet import GaussianMoments
from .fvd_model import build_fvd_net
from .inputs import (ArrayLike, as_array, as_clips, check_clip_shapes, checked_clips,
                     checked_observed)
from .lpips_model import build_lpips
from .metric_table import (FRAME, METRIC_TABLE, SET, ImageBlock, KernelStatistics,
                           check_metric_names)
from .ssim import WIN_SIZE, as_kernel_input, block_length, ssim_constants


def _as_convention(convention: Union[str, Convention]) -> Convention:
    return get_convention(convention) if isinstance(convention, str) else convention


def frame_metrics(pred: ArrayLike, gt: ArrayLike, metrics: Sequence[str],
                  convention: Union[str, Convention] = 'predbench',
                  lpips_net: Optional[nn.Module] = None,
                  backend: Optional[str] = None, observed: Optional[ArrayLike] = None,
                  fvd_net: Optional[nn.Module] = None) -> Dict[str, torch.Tensor]:
    """One value per sequence and predicted frame: ``{name: [B, T] float64}``, on pred's device.

    ``pred`` and ``gt`` are [B, T, C, H, W] in [0, 1] (pred not yet clipped; see ``inputs.py``
    for what is accepted); ``lpips_net`` is required when ``metrics`` includes ``'lpips'`` (see
    :func:`build_lpips`), ``fvd_net`` with ``'fvd'`` (:func:`build_fvd_net`). ``backend`` of the
    pixel metrics: ``'numba'``, ``'torch'`` or None (see :func:`~.backend.metric_backend`).
    A set-level metric (``metric_table.py``) comes back as its per-clip features [B, G, D],
    whose :class:`GaussianMoments` :func:`reduce_frame_metrics` reduces; ``observed``
    [B, T_in, C, H, W] are the frames before ``gt``, which FVD's clips begin with.
    """
    conv = _as_convention(convention)
    metrics = check_metric_names(metrics)
    rows = {name: METRIC_TABLE[name] for name in metrics}
    nets = {'lpips': lpips_net, 'fvd': fvd_net}
    if lpips_net is None and any(row.network is not None for row in rows.values()):
        raise ConfigError('LPIPS needs an LPIPS network: pass lpips_net=build_lpips()')
    pred, gt = checked_clips(pred, gt)
    if observed is not None:
        observed = checked_observed(observed, gt)
    batch, steps = pred.shape[:2]
    images = pred.flatten(0, 1), gt.flatten(0, 1)  # [B*T, C, H, W]
    backend = metric_backend(pred.device, tuple(pred.shape[-2:]), WIN_SIZE, backend)
    kernel = [n for n, row in rows.items() if backend == 'numba' and row.numba is not None]
    blocks = [n for n, row in rows.items() if row.torch is not None and n not in kernel]
    out = {}
    if kernel:
        out.update(_kernel_metrics(*images, kernel, conv))
    if blocks:
        out.update(_block_metrics(*images, blocks, conv))
    for name, row in rows.items():
        if row.network is not None:
            out[name] = row.network(nets[name], images[0].clamp(0, 1), images[1], conv)
    values = {name: out[name].reshape(batch, steps) for name in out}
    for name, row in rows.items():
        if row.level == SET:
            values[name] = row.clip_features(nets.get(name), pred, gt, observed, conv)
    return {name: values[name] for name in metrics}


def _kernel_metrics(pred: torch.Tensor, gt: torch.Tensor, metrics: Sequence[str],
                    conv: Convention) -> Dict[str, torch.Tensor]:
    """The rows' ``numba`` entries per image of [n, C, H, W] -> [n], from one pass of the
    compiled kernel (CPU tensors): the same numbers as their ``torch`` entries to float64
    rounding."""
    n, c, height, width = pred.shape
    _, c1, c2 = ssim_constants(conv.ssim_data_range, WIN_SIZE)
    dtype = torch.float64 if torch.float64 in (pred.dtype, gt.dtype) else torch.float32
    stats = ssim_kernel.image_statistics(
        as_kernel_input(pred.to(dtype).reshape(n * c, height, width)),
        as_kernel_input(gt.to(dtype).reshape(n * c, height, width)), WIN_SIZE, c1, c2,
        integer=False, quantize=conv.uint8_images, clip_x=True,
        errors_of_raw_x=conv.errors_before_clipping, threads=torch.get_num_threads())
    stats = KernelStatistics(torch.from_numpy(stats).reshape(4, n, c), c * height * width)
    return {name: METRIC_TABLE[name].numba(stats, conv) for name in metrics}


def _block_metrics(pred: torch.Tensor, gt: torch.Tensor, metrics: Sequence[str],
                   conv: Convention) -> Dict[str, torch.Tensor]:
    """The rows' ``torch`` entries per image of [n, C, H, W] -> [n] (any device)."""
    total = pred.shape[0]
    # Block by block, every metric at once: a block's temporaries stay in the CPU's caches.
    step = block_length(pred[0].numel()) if pred.device.type == 'cpu' else total
    out = {name: torch.empty(total, dtype=torch.float64, device=pred.device) for name in metrics}
    for start in range(0, total, step):
        block = ImageBlock(pred[start:start + step], gt[start:start + step], conv)
        for name in metrics:
            out[name][start:start + step] = METRIC_TABLE[name].torch(block, conv)
    return out


def reduce_frame_metrics(values: Dict[str, Union[ArrayLike, GaussianMoments]],
                         convention: Union[str, Convention] = 'predbench',
                         thuml_batch_size: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Average per-sequence values ``{name: [N, T]}`` (dataset order) to per-frame ``{name: [T]}``.

    Every convention takes the mean over sequences, except that ``'thuml'`` averages PSNR and
    LPIPS per test batch of ``thuml_batch_size`` consecutive sequences, then over batches. That
    differs from the plain mean only when the last batch is partial: it counts as one batch.
    A set-level metric's :class:`GaussianMoments` (or its per-clip features [N, G, D]) reduce to
    its one value (a 0-d array).
    """
    conv = _as_convention(convention)
    if thuml_batch_size is not None and thuml_batch_size < 1:
        raise ConfigError(f'thuml_batch_size must be >= 1, got {thuml_batch_size}')
    out = {}
    for name, value in values.items():
        row = METRIC_TABLE.get(name)
        if row is not None and row.level == SET:
            moments = value if isinstance(value, GaussianMoments) else GaussianMoments.of(value)
            out[name] = np.asarray(row.reduce(moments), dtype=np.float64)
            continue
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
                    chunk_size: int = 64, observed: Optional[ArrayLike] = None,
                    fvd_net: Optional[nn.Module] = None, fvd_model: Optional[str] = None,
                    fvd_arch: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Per-frame metrics ``{name: array [T]}`` of predictions against ground truth.

    Args:
        pred, gt: clips [B, T, C, H, W] in [0, 1] (numpy, torch or nested lists; pred not yet
            clipped; docs/metrics.md says what is accepted).
        metrics: names from ``metric_table.METRIC_NAMES``.
        convention: ``'predbench'``, ``'thuml'`` or ``'openstl'`` (docs/metrics.md).
        thuml_batch_size: the original's test batch size (``'thuml'`` only; see
            :func:`reduce_frame_metrics`).
        lpips_net: a prebuilt :func:`build_lpips` network (built here otherwise).
        lpips_pretrained_backbone: False builds LPIPS on a random AlexNet (plumbing tests).
        device: where to compute (default: pred's device for tensors, else CPU).
        chunk_size: sequences moved to the device at a time (bounds memory).
        observed: the frames before ``gt`` [B, T_in, C, H, W]: FVD compares whole clips,
            observed + true and observed + predicted frames (without it: the frames given).
        fvd_net: a prebuilt :func:`build_fvd_net` network (for ``'fvd'``; built from
            ``fvd_model`` otherwise: a TorchScript file, or with ``fvd_arch``, the ``MODELS``
            config of its network, a state dict; docs/metrics.md).
    """
    metrics = check_metric_names(metrics)
    conv = get_convention(convention)
    pred, gt = as_array(pred, 'pred'), as_array(gt, 'gt')
    # One clip [T, C, H, W] is a batch of one.
    pred = pred[None] if pred.ndim == 4 else pred
    gt = gt[None] if gt.ndim == 4 else gt
    check_clip_shapes(tuple(pred.shape), tuple(gt.shape))  # values: chunk by chunk, below
    if device is None:
        device = pred.device if torch.is_tensor(pred) else 'cpu'
    if any(METRIC_TABLE[name].network is not None for name in metrics) and lpips_net is None:
        lpips_net = build_lpips(lpips_pretrained_backbone, device=device)
    if 'fvd' in metrics and fvd_net is None:
        fvd_net = build_fvd_net(fvd_model, device=device, arch=fvd_arch)
    if observed is not None:
        observed = as_array(observed, 'observed')
        observed = observed[None] if observed.ndim == 4 else observed
    parts = {name: [] for name in metrics if METRIC_TABLE[name].level == FRAME}
    moments = {name: [] for name in metrics if METRIC_TABLE[name].level == SET}
    for start in range(0, len(pred), chunk_size):
        part = slice(start, start + chunk_size)
        values = frame_metrics(
            as_clips(pred[part], 'pred', device), as_clips(gt[part], 'gt', device), metrics,
            conv, lpips_net, observed=None if observed is None else as_clips(
                observed[part], 'observed', device), fvd_net=fvd_net)
        for name, value in values.items():
            if name in moments:  # summed chunk by chunk: the features are not kept
                moments[name].append(GaussianMoments.of(value))
            else:
                parts[name].append(value.cpu())
    reduced = reduce_frame_metrics(
        {**{k: torch.cat(v) for k, v in parts.items()},
         **{k: GaussianMoments.total_of(v) for k, v in moments.items()}}, conv, thuml_batch_size)
    return {name: reduced[name] for name in metrics}
