from .errors import (CheckpointError, ConfigError, DataError, PredBenchError,
                     TrainingDivergedError)

__all__ = [
    'PredBenchError', 'ConfigError', 'DataError', 'CheckpointError', 'TrainingDivergedError'
]
