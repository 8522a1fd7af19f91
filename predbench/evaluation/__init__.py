"""Metrics of predicted frames (three conventions), the LPIPS network and result reports."""
from .backend import metric_backend
from .conventions import CONVENTIONS, Convention
from .functional import compute_metrics, frame_metrics, reduce_frame_metrics
from .inputs import checked_clips
from .lpips_model import build_lpips, check_lpips_weights, evaluators_using_lpips
from .metric_table import METRIC_NAMES, METRIC_TABLE, MetricRow
from .metrics import VideoMetric
from .report import load_metrics_report, per_frame_table, save_metrics_report
from .ssim import ssim

__all__ = [
    'CONVENTIONS', 'METRIC_NAMES', 'METRIC_TABLE', 'MetricRow', 'Convention', 'compute_metrics',
    'frame_metrics', 'reduce_frame_metrics', 'checked_clips', 'metric_backend', 'build_lpips',
    'check_lpips_weights', 'evaluators_using_lpips', 'VideoMetric', 'save_metrics_report',
    'load_metrics_report', 'per_frame_table', 'ssim'
]
