"""Pictures of predicted sequences (PNG grids, GIFs) and of the PredRNN-V2 memory decoupling."""
from .sequence import (auto_scale, gif_frames, grid_size, save_frames_strip, save_sequence_gif,
                       save_sequence_grid, to_rgb_frames)

__all__ = [
    'auto_scale', 'gif_frames', 'grid_size', 'save_frames_strip', 'save_sequence_gif',
    'save_sequence_grid', 'to_rgb_frames'
]
