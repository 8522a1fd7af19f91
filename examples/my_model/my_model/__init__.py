"""An external model package: importing it registers ``ConvGRUPredictor`` in predbench's MODELS."""
from .conv_gru import ConvGRUPredictor

__all__ = ['ConvGRUPredictor']
