"""A figure of each metric against the predicted frame index (MSE rising, SSIM falling, ...).

Takes per-frame series ``{prefix: {metric: [v_1, ..., v_T]}}`` (one line per prefix, one panel
per metric), so it needs nothing from the evaluation package: the report writes the figure to a
PNG file, the visualizer sends it to every dashboard as an image.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

PerFrameSeries = Dict[str, Dict[str, Sequence[float]]]

# Panels in this order; other metrics follow alphabetically.
METRIC_ORDER = ('mse', 'mae', 'psnr', 'ssim', 'lpips')
PANEL_SIZE = (3.2, 3.0)  # inches per metric panel
DPI = 100


def per_frame_metric_names(series: PerFrameSeries) -> List[str]:
    """The metrics that have per-frame values, in panel order."""
    names = {name for by_name in series.values() for name in by_name}
    return sorted(names, key=lambda n: (n not in METRIC_ORDER,
                                        METRIC_ORDER.index(n) if n in METRIC_ORDER else 0, n))


def per_frame_figure(series: PerFrameSeries):
    """A matplotlib Figure (Agg canvas, no pyplot) or None when no metric has per-frame values."""
    # A Figure with its own Agg canvas: no pyplot, so no global backend to set or to disturb.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = per_frame_metric_names(series)
    if not names:
        return None
    fig = Figure(figsize=(PANEL_SIZE[0] * len(names), PANEL_SIZE[1]), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for prefix, by_name in series.items():
            if name in by_name:
                values = list(by_name[name])
                ax.plot(range(1, len(values) + 1), values, marker='o', markersize=3,
                        label=prefix or None)
        ax.set_title(name.upper())
        ax.set_xlabel('predicted frame')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if any(series):  # a legend only names prefixes
        axes[0].legend(fontsize='small')
    fig.tight_layout()
    return fig


def figure_to_rgb(fig) -> np.ndarray:
    """The rendered figure as uint8 RGB [H, W, 3] (what the vis backends' add_image takes)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def per_frame_image(series: PerFrameSeries) -> Optional[np.ndarray]:
    """:func:`per_frame_figure` as uint8 RGB, or None without per-frame values."""
    fig = per_frame_figure(series)
    return None if fig is None else figure_to_rgb(fig)


def save_per_frame_plot(series: PerFrameSeries, path: str) -> Optional[str]:
    """Write :func:`per_frame_figure` as a PNG; returns ``path``, or None (nothing written)."""
    fig = per_frame_figure(series)
    if fig is None:
        return None
    fig.savefig(path, dpi=DPI)
    return path
