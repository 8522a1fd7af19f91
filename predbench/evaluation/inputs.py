"""The checks every metric input goes through: layout, emptiness, finiteness and value range.

One place, so that every way into the metrics (``compute_metrics``, ``frame_metrics``,
``VideoMetric`` and its ``out_file`` dump) refuses the same broken inputs with the same one-line
:class:`DataError`, instead of turning them into plausible numbers.

The value rule (docs/metrics.md, "What the metrics accept"):

* ground truth lies in [0, 1], give or take :data:`GT_TOLERANCE` (one 8-bit grey level, which
  covers the rounding of normalising and resampling);
* predictions are the model's raw output, not yet clipped (OpenSTL's MSE/MAE see them before
  clipping), and a trained model overshoots [0, 1] by hundredths, an untrained one by tenths: they
  may leave [0, 1] by up to :data:`PRED_OVERSHOOT`. Frames on the 0..255 scale, or the output of
  a diverged model, go far beyond;
* both are finite.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..utils.errors import DataError

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence]
#: How far ground truth may leave [0, 1]: one grey level of 8-bit data.
GT_TOLERANCE = 1 / 255
#: How far raw predictions may leave [0, 1]: twice the data range.
PRED_OVERSHOOT = 2.0
#: The layout every metric takes.
LAYOUT = '[B, T, C, H, W] (channels first, C = 1 or 3)'


def as_array(x: ArrayLike, name: str) -> Union[np.ndarray, torch.Tensor]:
    """Tensors and arrays as they are; (nested) lists and other array-likes as numpy arrays."""
    if torch.is_tensor(x) or isinstance(x, np.ndarray):
        return x
    try:
        array = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise DataError(f'{name} is not an array of frames {LAYOUT}: {err}') from None
    if array.dtype == object or array.dtype.kind not in 'buif':
        raise DataError(f'{name} must hold numbers (frames {LAYOUT}), got an array of '
                        f'{array.dtype} (nested lists of unequal lengths?)')
    return array


def as_clips(x: ArrayLike, name: str, device: Optional[Union[str, torch.device]] = None
             ) -> torch.Tensor:
    """[B, T, C, H, W] (or one clip [T, C, H, W]) as a float tensor; uint8 becomes x / 255.

    Checks the layout only (:func:`check_clip_shape`); :func:`checked_clips` also the values.
    """
    x = torch.as_tensor(as_array(x, name), device=device)
    if x.dim() == 4:
        x = x.unsqueeze(0)
    check_clip_shape(tuple(x.shape), name)
    if x.dtype == torch.uint8:
        return x.float() / 255.0
    # Half-precision outputs (AMP) would truncate and square in fp16: use float32, as numpy did.
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def check_clip_shape(shape: Tuple[int, ...], name: str) -> None:
    """A one-line DataError unless ``shape`` is a non-empty [B, T, C, H, W] (channels first)."""
    if len(shape) != 5:
        raise DataError(f'{name} must be clips {LAYOUT} or one clip [T, C, H, W], got shape '
                        f'{list(shape)}')
    if shape[-1] in (1, 3) and shape[2] > 4:
        raise DataError(f'{name} has shape {list(shape)}, channels last [B, T, H, W, C]; '
                        f'metrics take {LAYOUT}: permute it, e.g. x.permute(0, 1, 4, 2, 3)')
    if 0 in shape:
        raise DataError(f'{name} is empty (shape {list(shape)}): metrics need at least one '
                        f'clip of one frame')


def check_clip_shapes(pred_shape: Tuple[int, ...], gt_shape: Tuple[int, ...]) -> None:
    """Both layouts (:func:`check_clip_shape`) and one shape for both."""
    check_clip_shape(tuple(pred_shape), 'pred')
    check_clip_shape(tuple(gt_shape), 'gt')
    if tuple(pred_shape) != tuple(gt_shape):
        raise DataError(f'pred and gt must have one shape, got {list(pred_shape)} and '
                        f'{list(gt_shape)}')


def _check_finite(name: str, x: torch.Tensor, low: float, high: float, source: str) -> None:
    """A one-line DataError if ``x`` (whose extremes are ``low``, ``high``) is not finite."""
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = int((~torch.isfinite(x)).sum())
        raise DataError(f'{name} holds {bad} NaN or infinite values (of {x.numel()}): '
                        f'{source}; metrics need finite frames')


def _check_true_range(name: str, low: float, high: float) -> None:
    """A one-line DataError unless true frames (gt, observed) lie in [0, 1] (with rounding)."""
    if high > 1 + GT_TOLERANCE:
        raise DataError(f'{name} max {high:.4g}: frames must be in [0, 1]; divide uint8-scale '
                        f'frames by 255')
    if low < -GT_TOLERANCE:
        raise DataError(f'{name} min {low:.4g}: frames must be in [0, 1]; map [-1, 1]-scale '
                        f'frames with (x + 1) / 2')


def check_frame_values(pred: torch.Tensor, gt: torch.Tensor) -> None:
    """A one-line DataError if a value is not finite or out of range (see the module docstring).

    One ``aminmax`` pass over each tensor (NaN propagates into it); the details of an error are
    only counted once an error is certain.
    """
    extremes = [v.item() for v in (*torch.aminmax(gt.detach()), *torch.aminmax(pred.detach()))]
    gt_low, gt_high, pred_low, pred_high = extremes
    _check_finite('gt', gt, gt_low, gt_high, 'the data is broken')
    _check_finite('pred', pred, pred_low, pred_high, "the model's output is broken (diverged?)")
    _check_true_range('gt', gt_low, gt_high)
    allowed = f'[{-PRED_OVERSHOOT:g}, {1 + PRED_OVERSHOOT:g}]'
    why = 'raw predictions may leave [0, 1], but only a little: docs/metrics.md'
    if pred_high > 1 + PRED_OVERSHOOT:
        raise DataError(f'pred max {pred_high:.4g}: predictions must lie in {allowed} ({why}); '
                        f'divide uint8-scale predictions by 255')
    if pred_low < -PRED_OVERSHOOT:
        raise DataError(f'pred min {pred_low:.4g}: predictions must lie in {allowed} ({why}); '
                        f'is the model trained on another scale?')


def checked_clips(pred: ArrayLike, gt: ArrayLike,
                  device: Optional[Union[str, torch.device]] = None
                  ) -> Tuple[torch.Tensor, torch.Tensor]:
    """(pred, gt) as float tensors [B, T, C, H, W] on pred's device (or ``device``), checked:
    layout, one shape, finite values in range. The one entry every metric computation uses."""
    pred = as_clips(pred, 'pred', device)
    gt = as_clips(gt, 'gt', pred.device)
    check_clip_shapes(pred.shape, gt.shape)
    check_frame_values(pred, gt)
    return pred, gt


def checked_observed(observed: ArrayLike, gt: torch.Tensor) -> torch.Tensor:
    """The observed frames [B, T_in, C, H, W] before ``gt`` (checked by :func:`checked_clips`)
    as a float tensor on gt's device: the clips, frame size and value rule of ``gt``."""
    observed = as_clips(observed, 'observed', gt.device)
    if observed.shape[:1] + observed.shape[2:] != gt.shape[:1] + gt.shape[2:]:
        raise DataError(f'observed frames {list(observed.shape)} do not match gt '
                        f'{list(gt.shape)}: they need the same clips, channels and frame size')
    low, high = (v.item() for v in torch.aminmax(observed.detach()))
    _check_finite('observed', observed, low, high, 'the data is broken')
    _check_true_range('observed', low, high)
    return observed
