"""Pictures of predicted sequences (grids, GIFs), per-frame metric curves, the visualizer that
sends them to every vis backend, and the PredRNN-V2 memory decoupling."""
from .backends import VIS_BACKENDS, add_vis_backend_argument, add_vis_backends
from .metric_curves import per_frame_figure, per_frame_image, save_per_frame_plot
from .sequence import (auto_scale, gif_frames, grid_size, save_frames_strip, save_image,
                       save_sequence_gif, save_sequence_grid, sequence_grid, to_rgb_frames)
from .visualizer import VideoPredictionVisualizer

__all__ = [
    'auto_scale', 'gif_frames', 'grid_size', 'save_frames_strip', 'save_image',
    'save_sequence_gif', 'save_sequence_grid', 'sequence_grid', 'to_rgb_frames',
    'per_frame_figure', 'per_frame_image', 'save_per_frame_plot', 'VideoPredictionVisualizer',
    'VIS_BACKENDS', 'add_vis_backend_argument', 'add_vis_backends'
]
