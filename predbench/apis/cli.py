"""What predbench's command-line tools share: their common arguments and one-line errors.

Every tool in ``tools/`` runs its ``main`` through :func:`run_cli`: a user error (a
:class:`~predbench.utils.errors.PredBenchError`, an unknown registered type, or an operating-system
failure such as a full disk) is printed as one ``error: ...`` line with exit status 1, never as a
stack trace. Set ``PREDBENCH_DEBUG=1`` to see the trace as well.
"""
import argparse
import os
import sys
import traceback
from typing import Callable

from ..utils.config import DATA_ROOT_KEY, CfgOptionsAction
from ..utils.errors import PredBenchError

DEBUG_ENV = 'PREDBENCH_DEBUG'
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def _fail(message: str) -> None:
    if os.environ.get(DEBUG_ENV):
        traceback.print_exc()
    print(f'error: {message}', file=sys.stderr)
    sys.exit(1)


def run_cli(main: Callable[[], object]) -> None:
    """Run ``main``; user errors become ``error: <one line>`` and exit status 1."""
    from ..engine.distributed import shutdown_distributed
    try:
        main()
        shutdown_distributed()
    except PredBenchError as err:
        _fail(' '.join(str(err).split('\n')))
    except KeyError as err:
        from ..utils.registry_help import explain_unknown_type
        explained = explain_unknown_type(err)
        if explained is None:
            raise
        _fail(str(explained))
    except OSError as err:
        where = f' ({err.filename})' if getattr(err, 'filename', None) else ''
        _fail(f'{err.strerror or err}{where}')
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        sys.exit(130)


def add_cfg_options_argument(parser: argparse.ArgumentParser, example: str) -> None:
    """``--cfg-options key=value ...`` with checked keys and one-line parse errors."""
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
                        metavar='KEY=VALUE', help=f'override config keys, e.g. {example}')


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """``--launcher`` and the ``--local-rank`` that older PyTorch launchers pass."""
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher for distributed runs')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)


class _DataRootAction(argparse.Action):
    """``--data-root DIR``: the same as ``--cfg-options data_root=DIR`` (merged into it)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        options = dict(getattr(namespace, 'cfg_options', None) or {})
        options[DATA_ROOT_KEY] = values
        namespace.cfg_options = options
        setattr(namespace, self.dest, values)


def add_data_root_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-root DIR``: the data folder of every dataloader (train, val and test).

    Needs the tool's ``--cfg-options`` (:func:`add_cfg_options_argument`); ``load_config``
    applies it (``utils/config.py`` ``apply_data_root``).
    """
    parser.add_argument('--data-root', action=_DataRootAction, default=None, metavar='DIR',
                        help='data folder of every dataloader (train, val, test), e.g. your '
                             'videos; the same as --cfg-options data_root=DIR')
