from .errors import (CheckpointError, ConfigError, DataError, PredBenchError, StorageError,
                     TrainingDivergedError, WorkDirInUseError)

__all__ = [
    'PredBenchError', 'ConfigError', 'DataError', 'CheckpointError', 'TrainingDivergedError',
    'StorageError', 'WorkDirInUseError'
]
