"""Checks of the arguments the recurrent backbones share, each failing with one line that names
the option to change (``model.backbone.<name>``)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch

from ..utils.errors import ConfigError

#: ``compile_mode`` values accepted by the backbones (None: eager).
COMPILE_MODES = (None, 'default', 'reduce-overhead', 'max-autotune', 'max-autotune-no-cudagraphs')


def frame_size(img_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """(H, W) from ``img_size`` given as an int or a pair."""
    if isinstance(img_size, int):
        return img_size, img_size
    if len(img_size) != 2:
        raise ConfigError(f'model.backbone.img_size must be (H, W) or an int, got {img_size}')
    return int(img_size[0]), int(img_size[1])


def equal_widths(num_hidden: Sequence[int], model: str, reason: str,
                 min_layers: int = 1) -> List[int]:
    """``num_hidden`` as ints, refused unless it has ``min_layers`` layers of one width."""
    widths = [int(n) for n in num_hidden]
    if len(widths) < min_layers:
        raise ConfigError(
            f'model.backbone.num_hidden={widths}: {model} needs at least {min_layers} layers '
            f'({reason}); use e.g. num_hidden=[{widths[0] if widths else 64}]*{max(min_layers, 4)}')
    if len(set(widths)) != 1:
        raise ConfigError(
            f'model.backbone.num_hidden={widths}: {model} needs all layers of the same width '
            f'({reason}); use e.g. num_hidden=[{widths[0]}]*{len(widths)}')
    return widths


def check_conv_geometry(filter_size: int, stride: int) -> None:
    """Refuse kernels and strides that would change the size of the recurrent states."""
    if stride != 1:
        raise ConfigError(
            f'model.backbone.stride={stride}: the recurrent states must keep their size from '
            f'step to step, so only stride=1 works (as in the reference configs)')
    if filter_size % 2 != 1:
        raise ConfigError(
            f'model.backbone.filter_size={filter_size} must be odd so that padding '
            f'filter_size//2 keeps the state size')


def check_compile_mode(compile_mode: Optional[str]) -> Optional[str]:
    """``compile_mode`` if torch.compile knows it, else a one-line ConfigError."""
    if compile_mode not in COMPILE_MODES:
        raise ConfigError(f'model.backbone.compile_mode={compile_mode!r}: use None, '
                          f"'default', 'reduce-overhead' or 'max-autotune'")
    return compile_mode


def check_clip(frames: torch.Tensor, img_channel: int, img_size: Tuple[int, int]) -> None:
    """Refuse clips that are not [B, T >= 2, img_channel, H, W] of the model's frame size."""
    if frames.dim() != 5:
        raise ConfigError(f'frames must be [B, T, C, H, W], got shape {list(frames.shape)}')
    _, t, c, h, w = frames.shape
    if (c, h, w) != (img_channel, *img_size):
        raise ConfigError(
            f'frames of shape [C, H, W] = {[c, h, w]} do not match the model '
            f'(model.backbone.img_channel={img_channel}, model.backbone.img_size={img_size})')
    if t < 2:
        raise ConfigError(f'a clip needs at least 2 frames, got {t}')
