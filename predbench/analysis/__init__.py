"""Complexity (parameters, FLOPs) and speed (iterations/s, sequences/s, memory) of configs."""
from .complexity import clip_geometry, config_complexity, model_complexity
from .speed import measure_speed

__all__ = ['clip_geometry', 'config_complexity', 'model_complexity', 'measure_speed']
