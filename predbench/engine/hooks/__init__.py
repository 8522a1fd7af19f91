from .checkpoint import SafeCheckpointHook
from .finite_loss import FiniteLossHook
from .sampling import ReverseScheduledSamplingHook, ScheduledSamplingHook
from .visualization import PredictionVisualizationHook, TestProgressBarHook

__all__ = [
    'SafeCheckpointHook', 'FiniteLossHook', 'ScheduledSamplingHook', 'ReverseScheduledSamplingHook',
    'PredictionVisualizationHook', 'TestProgressBarHook'
]
