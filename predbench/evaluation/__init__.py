"""Metrics of predicted frames (three conventions), FVD, their networks and result reports."""
from .backend import metric_backend
from .conventions import CONVENTIONS, Convention
from .frechet import GaussianMoments, frechet_distance
from .functional import compute_metrics, frame_metrics, reduce_frame_metrics
from .fvd_model import build_fvd_net, check_fvd_weights, default_fvd_model_path
from .inputs import checked_clips
from .lpips_model import build_lpips, check_lpips_weights, evaluators_using_lpips
from .metric_table import DEFAULT_METRIC_NAMES, METRIC_NAMES, METRIC_TABLE, MetricRow
from .metric_weights import check_metric_weights
from .metrics import VideoMetric
from .report import load_metrics_report, per_frame_table, save_metrics_report
from .ssim import ssim

__all__ = [
    'CONVENTIONS', 'METRIC_NAMES', 'DEFAULT_METRIC_NAMES', 'METRIC_TABLE', 'MetricRow',
    'Convention', 'compute_metrics', 'frame_metrics', 'reduce_frame_metrics', 'checked_clips',
    'metric_backend', 'build_lpips', 'check_lpips_weights', 'evaluators_using_lpips',
    'build_fvd_net', 'check_fvd_weights', 'default_fvd_model_path', 'check_metric_weights',
    'GaussianMoments', 'frechet_distance', 'VideoMetric', 'save_metrics_report',
    'load_metrics_report', 'per_frame_table', 'ssim'
]
