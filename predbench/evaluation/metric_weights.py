"""The start-up check of every metric network's offline weights (LPIPS's AlexNet, FVD's I3D).

The tools call :func:`check_metric_weights` before building a runner, so that a run whose
evaluators need a missing file stops with one line before it trains, not at its first
validation.
"""
from typing import Any, Sequence

from .fvd_model import check_fvd_weights
from .lpips_model import EVALUATOR_KEYS, check_lpips_weights


def check_metric_weights(cfg: Any, keys: Sequence[str] = EVALUATOR_KEYS) -> None:
    """A one-line ConfigError if an evaluator of ``cfg`` under ``keys`` needs a weight file
    that is missing (``('val_evaluator',)`` for a training run, ``('test_evaluator',)`` for a
    test run)."""
    check_lpips_weights(cfg, keys)
    check_fvd_weights(cfg, keys)
