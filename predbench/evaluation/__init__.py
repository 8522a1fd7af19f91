"""Metrics of predicted frames (three conventions), the LPIPS network and result reports."""
from .conventions import CONVENTIONS, METRIC_NAMES, Convention
from .functional import compute_metrics, frame_metrics, reduce_frame_metrics
from .lpips_model import build_lpips, check_lpips_weights, evaluators_using_lpips
from .metrics import VideoMetric
from .report import load_metrics_report, per_frame_table, save_metrics_report
from .ssim import ssim

__all__ = [
    'CONVENTIONS', 'METRIC_NAMES', 'Convention', 'compute_metrics', 'frame_metrics',
    'reduce_frame_metrics', 'build_lpips', 'check_lpips_weights', 'evaluators_using_lpips',
    'VideoMetric', 'save_metrics_report', 'load_metrics_report', 'per_frame_table', 'ssim'
]
