"""predbench: spatiotemporal predictive learning (PredRNN, PredRNN-V2) on MMEngine."""
from .version import __version__

__all__ = ['__version__']
