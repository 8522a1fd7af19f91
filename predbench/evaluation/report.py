"""Write evaluation results for a person: a JSON file and a plot of each metric per frame.

Reads the flat dict :class:`VideoMetric` returns (``mmnist/mse``, ``mmnist/mse_t01``, ...), so
it works on what ``runner.test()`` returns, whatever the prefixes.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, Union

import numpy as np

from ..visualization.metric_curves import save_per_frame_plot

_FRAME_KEY = re.compile(r'^(?P<name>.+)_t(?P<t>\d+)$')
REPORT_JSON = 'metrics.json'
REPORT_PLOT = 'metrics_per_frame.png'


def is_per_frame_key(key: str) -> bool:
    """Whether ``key`` (``mse_t01``, ``kth/mse_t01``) is a per-frame value of a metric."""
    return _FRAME_KEY.match(key.rpartition('/')[2]) is not None


def group_metrics(metrics: Dict[str, float]) -> Dict[str, dict]:
    """``{prefix: {'mean': {name: v}, 'per_frame': {name: [v_1, ..., v_T]}}}`` from flat keys."""
    groups: Dict[str, dict] = {}
    frames: Dict[str, Dict[str, Dict[int, float]]] = {}
    for key, value in metrics.items():
        prefix, _, name = key.rpartition('/')
        group = groups.setdefault(prefix, {'mean': {}, 'per_frame': {}})
        match = _FRAME_KEY.match(name)
        if match:
            series = frames.setdefault(prefix, {}).setdefault(match['name'], {})
            series[int(match['t'])] = float(value)
        else:
            group['mean'][name] = _plain(value)
    for prefix, by_name in frames.items():
        for name, series in by_name.items():
            groups[prefix]['per_frame'][name] = [series[t] for t in sorted(series)]
    return groups


def _plain(value):
    """A JSON-friendly copy of a metric value (numpy scalars and arrays become Python ones)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def per_frame_table(metrics: Dict[str, float]) -> str:
    """The per-frame values as a text table (one row per predicted frame), for a console."""
    lines = []
    for prefix, group in group_metrics(metrics).items():
        names = list(group['per_frame'])
        if not names:
            continue
        steps = max(len(v) for v in group['per_frame'].values())
        lines.append(f'{prefix or "metrics"} per predicted frame:')
        lines.append('frame ' + ''.join(f'{n:>12}' for n in names))
        for t in range(steps):
            row = [group['per_frame'][n][t] if t < len(group['per_frame'][n]) else float('nan')
                   for n in names]
            lines.append(f'{t + 1:>5} ' + ''.join(f'{v:>12.4f}' for v in row))
        lines.append(' mean ' + ''.join(f'{group["mean"].get(n, float("nan")):>12.4f}'
                                        for n in names))
    return '\n'.join(lines)


def save_metrics_report(metrics: Dict[str, float], out_dir: str) -> Dict[str, str]:
    """Write ``metrics.json`` and, when per-frame values exist, ``metrics_per_frame.png``.

    Returns ``{'json': path, 'plot': path}`` (no ``'plot'`` without per-frame values).
    """
    os.makedirs(out_dir, exist_ok=True)
    groups = group_metrics(metrics)
    paths = {'json': osp.join(out_dir, REPORT_JSON)}
    with open(paths['json'], 'w') as f:
        json.dump({'metrics': {k: _plain(v) for k, v in metrics.items()}, 'groups': groups},
                  f, indent=2, allow_nan=True)
    plot = save_per_frame_plot({prefix: g['per_frame'] for prefix, g in groups.items()},
                               osp.join(out_dir, REPORT_PLOT))
    if plot is not None:
        paths['plot'] = plot
    return paths


def load_metrics_report(path: str) -> Dict[str, Union[float, list]]:
    """The flat metrics dict written by :func:`save_metrics_report` (file or its folder)."""
    if osp.isdir(path):
        path = osp.join(path, REPORT_JSON)
    with open(path) as f:
        return json.load(f)['metrics']
