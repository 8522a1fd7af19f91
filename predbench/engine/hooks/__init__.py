from .checkpoint import SafeCheckpointHook
from .dump_predictions import DumpPredictionsHook
from .finite_loss import FiniteLossHook
from .sampling import ReverseScheduledSamplingHook, ScheduledSamplingHook
from .visualization import PredictionVisualizationHook, TestProgressBarHook

__all__ = [
    'SafeCheckpointHook', 'FiniteLossHook', 'ScheduledSamplingHook', 'ReverseScheduledSamplingHook',
    'DumpPredictionsHook', 'PredictionVisualizationHook', 'TestProgressBarHook'
]
