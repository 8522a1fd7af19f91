from .checkpoint_io import (ATOMIC_BACKEND, AtomicLocalBackend, find_latest_checkpoint,
                            load_checkpoint_file)
from .hooks import *  # noqa: F401,F403
from .log_processor import PerFrameTableLogProcessor
from .loops import ResumableIterBasedTrainLoop
from .model_wrapper import PredictorDistributedDataParallel
from .optim_wrapper import AutocastOptimWrapper
from .runner import PredBenchRunner

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'find_latest_checkpoint', 'load_checkpoint_file',
    'PerFrameTableLogProcessor', 'ResumableIterBasedTrainLoop',
    'PredictorDistributedDataParallel', 'PredBenchRunner', 'AutocastOptimWrapper'
]
