"""Finding the VideoMetric configs inside an evaluator config, whatever its shape."""
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Tuple

from ..utils.errors import ConfigError
from .metric_table import DEFAULT_METRIC_NAMES
from .prediction_dump import npz_path

VIDEO_METRIC_TYPES = ('VideoMetric', 'predbench.VideoMetric')


def video_metric_configs(evaluator: Any, key: str) -> Iterator[Tuple[str, Mapping]]:
    """(option path, config) of each VideoMetric in the evaluator config found at ``key``.

    MMEngine accepts one metric dict, a list of them, or an Evaluator dict holding ``metrics``;
    the configs are yielded as they are, so a caller may set options on them in place.
    """
    if isinstance(evaluator, (list, tuple)):
        for i, item in enumerate(evaluator):
            yield from video_metric_configs(item, f'{key}.{i}')
    elif isinstance(evaluator, Mapping):
        if 'metrics' in evaluator:
            yield from video_metric_configs(evaluator['metrics'], f'{key}.metrics')
        elif evaluator.get('type') in VIDEO_METRIC_TYPES:
            yield key, evaluator


def set_out_files(cfg: Any, out: str, key: str = 'test_evaluator') -> List[str]:
    """Have each VideoMetric of the evaluator at ``key`` save its predictions and per-sequence
    values to ``out`` (``out_file``); with several, ``<out>_<prefix>.npz`` each. Returns the
    paths; a one-line ConfigError when the evaluator holds no VideoMetric."""
    metrics = [metric for _, metric in video_metric_configs(cfg.get(key), key)]
    if not metrics:
        raise ConfigError(f'--out saves what a VideoMetric computes, and {key} has none')
    path = npz_path(out)
    paths = []
    for i, metric in enumerate(metrics):
        tag = metric.get('prefix') or f'metric{i}'
        metric['out_file'] = path if len(metrics) == 1 else f'{path[:-4]}_{tag}.npz'
        paths.append(metric['out_file'])
    return paths


def video_metrics_asking_for(cfg: Any, name: str, keys: Sequence[str]
                             ) -> Dict[str, Tuple[Mapping, List[str]]]:
    """``{option path: (config, its other metric names)}`` of each VideoMetric under ``keys``
    of ``cfg`` (a Config or dict) that computes metric ``name`` (by default or by name)."""
    found = {}
    for key in keys:
        for path, metric in video_metric_configs(cfg.get(key), key):
            names = [str(n) for n in metric.get('metric_names', DEFAULT_METRIC_NAMES)]
            if name in names:
                found[path] = (metric, [n for n in names if n != name])
    return found


def drop_metric_option(remaining: Mapping[str, Sequence[str]]) -> str:
    """The ``--cfg-options`` that sets each metric's names to ``remaining`` (MMEngine's
    DictAction syntax), e.g. to turn one metric off."""
    items = ' '.join(f'{path}.metric_names="[{",".join(repr(n) for n in names)}]"'
                     for path, names in remaining.items())
    return f'--cfg-options {items}'
