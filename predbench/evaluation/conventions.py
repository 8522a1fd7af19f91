"""The three ways video prediction papers compute the same five metrics.

Codebases agree on the names (MSE, MAE, PSNR, SSIM, LPIPS) but not on the computations, and the
numbers they print differ by more than most improvements they claim (``docs/metrics.md``). Each
:class:`Convention` lists the choices that differ; the rows of ``metric_table.py`` read them.
"""
from typing import NamedTuple, Tuple

from ..utils.errors import ConfigError


class Convention(NamedTuple):
    """What a codebase does differently; all compute MSE/MAE as the sum over a frame's pixels."""
    name: str
    #: MSE and MAE of the raw prediction (OpenSTL), not of the prediction clipped to [0, 1].
    errors_before_clipping: bool
    #: PSNR and SSIM on ``uint8(x * 255)`` (truncation), as the original release does.
    uint8_images: bool
    #: SSIM's data range: 1 (floats in [0, 1]), 255 (uint8), 2 (old scikit-image's guess for
    #: any float image, which OpenSTL inherits by passing no data_range).
    ssim_data_range: float
    #: Map [0, 1] images to the [-1, 1] the lpips package expects (the original feeds [0, 1]).
    lpips_signed_input: bool
    #: Metrics averaged per test batch, then over batches (the original's PSNR and LPIPS).
    per_batch_means: Tuple[str, ...]


CONVENTIONS = {
    'predbench': Convention('predbench', errors_before_clipping=False, uint8_images=False,
                            ssim_data_range=1.0, lpips_signed_input=True, per_batch_means=()),
    'thuml': Convention('thuml', errors_before_clipping=False, uint8_images=True,
                        ssim_data_range=255.0, lpips_signed_input=False,
                        per_batch_means=('psnr', 'lpips')),
    'openstl': Convention('openstl', errors_before_clipping=True, uint8_images=False,
                          ssim_data_range=2.0, lpips_signed_input=True, per_batch_means=()),
}


def get_convention(name: str) -> Convention:
    """The convention called ``name``; a ConfigError lists the valid names."""
    if name not in CONVENTIONS:
        raise ConfigError(f'metric convention must be one of {sorted(CONVENTIONS)}, got {name!r}')
    return CONVENTIONS[name]
