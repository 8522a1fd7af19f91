"""Space-to-depth patching in the channel order of the original PredRNN release.

A frame [c, H, W] becomes [c*p*p, H/p, W/p]; the pixel at offset (i, j) inside its p x p
block, channel ch, lands in patched channel ``(i*p + j)*c + ch`` (the original
``reshape_patch`` order, which released RGB checkpoints depend on).
"""
import torch

from ..utils.errors import ConfigError


def check_patchable(height: int, width: int, patch_size: int) -> None:
    """Raise a ConfigError unless both frame sides are divisible by ``patch_size``."""
    if patch_size < 1:
        raise ConfigError(f'model.backbone.patch_size must be >= 1, got {patch_size}')
    if height % patch_size or width % patch_size:
        raise ConfigError(
            f'frame size {height}x{width} (H x W) is not divisible by '
            f'model.backbone.patch_size={patch_size}: choose a patch_size that divides both '
            f'sides, or resize the frames (dataset image_size)')


def patchify(frames: torch.Tensor, patch_size: int) -> torch.Tensor:
    """[B, T, c, H, W] -> [B, T, c*p*p, H/p, W/p] (space-to-depth, original channel order)."""
    if patch_size == 1:
        return frames
    b, t, c, h, w = frames.shape
    check_patchable(h, w, patch_size)
    p = patch_size
    x = frames.reshape(b, t, c, h // p, p, w // p, p)
    # -> [B, T, p_row, p_col, c, H/p, W/p]
    x = x.permute(0, 1, 4, 6, 2, 3, 5)
    return x.reshape(b, t, p * p * c, h // p, w // p)


def unpatchify(patches: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Inverse of :func:`patchify`: [B, T, c*p*p, H/p, W/p] -> [B, T, c, H, W]."""
    if patch_size == 1:
        return patches
    b, t, cpp, hp, wp = patches.shape
    p = patch_size
    if cpp % (p * p):
        raise ConfigError(f'{cpp} patched channels are not a multiple of patch_size**2={p * p}')
    c = cpp // (p * p)
    x = patches.reshape(b, t, p, p, c, hp, wp)
    # -> [B, T, c, H/p, p_row, W/p, p_col]
    x = x.permute(0, 1, 4, 5, 2, 6, 3)
    return x.reshape(b, t, c, hp * p, wp * p)
