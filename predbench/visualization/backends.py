"""The tools' ``--vis-backend`` flag: dashboards (TensorBoard, W&B, MLflow) beside the local files.

``--cfg-options "visualizer.vis_backends=[dict(type=...)]"`` does not get through MMEngine's
option parser, so tools/train.py and tools/test.py offer ``--vis-backend NAME`` (repeatable);
each adds one MMEngine vis backend to the config's visualizer, after the ``LocalVisBackend``.
"""
import argparse
import importlib
from typing import Iterable, NamedTuple

from ..utils.errors import ConfigError


class VisBackendChoice(NamedTuple):
    """What one ``--vis-backend`` name adds and what it needs installed."""
    type: str  # MMEngine's vis backend class
    module: str  # the package the backend imports
    extra: str  # predbench's extra that installs it


VIS_BACKENDS = {
    'tensorboard': VisBackendChoice('TensorboardVisBackend', 'tensorboard', 'tensorboard'),
    'wandb': VisBackendChoice('WandbVisBackend', 'wandb', 'wandb'),
    'mlflow': VisBackendChoice('MLflowVisBackend', 'mlflow', 'mlflow'),
}
DEFAULT_VISUALIZER = dict(type='VideoPredictionVisualizer',
                          vis_backends=[dict(type='LocalVisBackend')])


def add_vis_backend_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--vis-backend {tensorboard,wandb,mlflow}`` (repeatable) to a tool's parser."""
    parser.add_argument('--vis-backend', action='append', default=[], choices=sorted(VIS_BACKENDS),
                        metavar='{' + ','.join(sorted(VIS_BACKENDS)) + '}',
                        help='also send scalars, pictures and curves to this dashboard '
                        '(repeatable; the local files under <work_dir>/<timestamp>/vis_data stay)')


def check_vis_backend_installed(name: str) -> None:
    """Raise a one-line ConfigError naming the pip extra when the backend's package is missing."""
    choice = VIS_BACKENDS[name]
    try:
        importlib.import_module(choice.module)
    except ImportError:
        raise ConfigError(f"--vis-backend {name} needs the {choice.module} package: "
                          f"pip install 'predbench[{choice.extra}]'") from None


def add_vis_backends(cfg, names: Iterable[str]) -> None:
    """Append the named backends to ``cfg.visualizer.vis_backends`` (each once), checked first."""
    names = list(dict.fromkeys(names or []))
    if not names:
        return
    for name in names:
        if name not in VIS_BACKENDS:
            raise ConfigError(f'--vis-backend {name}: unknown; choose from '
                              f'{", ".join(sorted(VIS_BACKENDS))}')
        check_vis_backend_installed(name)
    visualizer = cfg.get('visualizer') or dict(DEFAULT_VISUALIZER)
    backends = list(visualizer.get('vis_backends') or [dict(type='LocalVisBackend')])
    present = {backend.get('type') for backend in backends}
    for name in names:
        if VIS_BACKENDS[name].type not in present:
            backends.append(dict(type=VIS_BACKENDS[name].type))
    visualizer['vis_backends'] = backends
    cfg.visualizer = visualizer
