"""Command-line entry points print user errors as one line instead of a stack trace."""
import sys
from typing import Callable

from .errors import PredBenchError


def run_cli(main: Callable[[], object]) -> None:
    """Run ``main``; a :class:`PredBenchError` becomes ``error: <message>`` and exit status 1."""
    try:
        main()
        from ..engine.distributed import shutdown_distributed
        shutdown_distributed()
    except PredBenchError as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
    except KeyError as err:
        from .registry_help import explain_unknown_type
        explained = explain_unknown_type(err)
        if explained is None:
            raise
        print(f'error: {explained}', file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        sys.exit(130)
