from .checkpoint_io import (ATOMIC_BACKEND, AtomicLocalBackend, find_latest_checkpoint,
                            read_checkpoint)
from .hooks import *  # noqa: F401,F403
from .log_processor import PerFrameTableLogProcessor
from .loops import ResumableIterBasedTrainLoop
from .model_wrapper import PredictorDistributedDataParallel
from .optim_wrapper import AutocastOptimWrapper
from .runner import PredBenchRunner, build_runner
from .weights import LoadedWeights, load_model_weights

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'find_latest_checkpoint', 'read_checkpoint',
    'ResumableIterBasedTrainLoop', 'PredictorDistributedDataParallel', 'PredBenchRunner',
    'build_runner', 'AutocastOptimWrapper', 'LoadedWeights', 'load_model_weights',
    'PerFrameTableLogProcessor'
]
