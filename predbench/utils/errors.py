"""User-facing errors: each carries one line telling the user what is wrong and what to do.

The command-line tools print these as ``error: <message>`` without a stack trace.
"""


class PredBenchError(Exception):
    """Base class of errors a user can fix (bad config, missing data, wrong checkpoint)."""


class ConfigError(PredBenchError, ValueError):
    """A config value is invalid or inconsistent; the message names the key."""


class DataError(PredBenchError, ValueError):
    """A dataset file or folder is missing or malformed; the message names the path."""


class CheckpointError(PredBenchError, ValueError):
    """A checkpoint does not fit the model; the message names the option to change."""


class TrainingDivergedError(PredBenchError, RuntimeError):
    """The training loss (or the weights) became NaN or infinite."""


class StorageError(PredBenchError, OSError):
    """A file could not be written (disk full, read-only folder); the message names the file."""


class WorkDirInUseError(PredBenchError, RuntimeError):
    """Another run holds the work dir's lock; the message names the work dir."""
