"""Benchmark suites: train and/or test a list of configs, measure them, write a leaderboard.

A suite file is a Python config with ``suite_name``, ``entries`` (each a dict with ``name``,
``config``, ``checkpoint`` -- a path, or ``'train'`` to train it first -- and optional
``cfg_options``), optional ``cfg_options`` for all entries and optional ``speed`` settings
(``iters``, ``warmup``, ``amp``, ``enabled``, ``isolated``: each measurement in a spawned
process, the default; False measures in this process, e.g. for a model defined in a script or
notebook, which a spawned process would have to re-run to import). Each entry's results go to
``<work_dir>/<name>/result.json``; a suite run again skips entries whose result exists, and a
half-trained entry resumes from its last checkpoint.
"""
import copy
import csv
import io
import json
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info, is_main_process

from ..engine.checkpoint_io import atomic_write_bytes, find_latest_checkpoint
from ..utils.config import load_config
from ..utils.errors import ConfigError

RESULT_FILE = 'result.json'
SPEED_DEFAULTS = dict(enabled=True, iters=5, warmup=2, amp=False, device=None, threads=None,
                      isolated=True)


def load_suite(path: str) -> Config:
    """Read and check a suite file."""
    if not osp.isfile(path):
        raise ConfigError(f'suite {path} does not exist; see configs/suites/')
    suite = Config.fromfile(path)
    entries = suite.get('entries')
    if not entries:
        raise ConfigError(f'suite {path} has no entries')
    names = [e.get('name') for e in entries]
    for entry in entries:
        for key in ('name', 'config', 'checkpoint'):
            if not entry.get(key):
                raise ConfigError(f'suite {path}: every entry needs "{key}" ({entry})')
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f'suite {path}: entry names must be unique, repeated: {duplicates}')
    return suite


def entry_config(suite: Config, entry: dict, work_dir: str, launcher: str) -> Config:
    """The entry's config with the suite's and the entry's overrides."""
    options = dict(suite.get('cfg_options', {}) or {})
    options.update(entry.get('cfg_options', {}) or {})
    cfg = load_config(entry['config'], options)
    cfg.work_dir = osp.join(work_dir, entry['name'])
    cfg.launcher = launcher
    return cfg


def _trainable(cfg: Config) -> bool:
    from ..registry import MODELS
    model = MODELS.build(copy.deepcopy(cfg.model))
    return any(p.requires_grad for p in model.parameters())


def _runner(cfg: Config, stage: str):
    from ..engine.runner import PredBenchRunner
    cfg = copy.deepcopy(cfg)
    cfg.experiment_name = f'{osp.basename(cfg.work_dir)}_{stage}_{time.strftime("%Y%m%d_%H%M%S")}'
    return PredBenchRunner.from_cfg(cfg)


def _mean_metrics(metrics: Dict[str, float]) -> Dict[str, float]:
    """Frame-averaged metrics only (drop the per-frame ``_tNN`` keys)."""
    return {k: float(v) for k, v in metrics.items()
            if not k.rsplit('/', 1)[-1].rsplit('_t', 1)[-1].isdigit()}


def run_entry(suite: Config, entry: dict, work_dir: str, launcher: str = 'none') -> dict:
    """Train (if asked and possible), test, and measure one entry."""
    from ..analysis.complexity import config_complexity
    from ..analysis.speed import measure_speed
    cfg = entry_config(suite, entry, work_dir, launcher)
    trainable = _trainable(cfg)
    checkpoint: Optional[str] = entry['checkpoint']
    if checkpoint == 'train':
        if trainable:
            train_cfg = copy.deepcopy(cfg)
            train_cfg.resume, train_cfg.load_from = True, None  # continue a half-finished run
            _runner(train_cfg, 'train').train()
            checkpoint = find_latest_checkpoint(cfg.work_dir)
        else:
            checkpoint = None  # nothing to learn (e.g. CopyLastFrame)
    elif checkpoint in ('none', 'None'):
        checkpoint = None
    elif not osp.isfile(checkpoint):
        raise ConfigError(f'suite entry {entry["name"]}: checkpoint {checkpoint} does not exist')
    test_cfg = copy.deepcopy(cfg)
    test_cfg.resume, test_cfg.load_from = False, checkpoint
    metrics = _runner(test_cfg, 'test').test()
    result = dict(name=entry['name'], config=entry['config'], checkpoint=checkpoint,
                  model=cfg.model.get('backbone', {}).get('type', cfg.model.get('type')),
                  metrics=_mean_metrics(metrics), all_metrics=metrics)
    if is_main_process():
        result.update(config_complexity(cfg))
        speed = dict(SPEED_DEFAULTS, **(suite.get('speed', {}) or {}))
        if speed['enabled']:
            kwargs = dict(device=speed['device'], amp=speed['amp'], iters=speed['iters'],
                          warmup=speed['warmup'], threads=speed['threads'],
                          isolated=speed['isolated'])
            infer = measure_speed(cfg, 'infer', **kwargs)
            result.update(infer_seq_per_s=infer['infer_seq_per_s'],
                          infer_peak_mb=infer['peak_memory_mb'], device=infer['device'],
                          memory_kind=infer['peak_memory_kind'])
            if trainable:
                train = measure_speed(cfg, 'train', **kwargs)
                result.update(train_iter_per_s=train['train_iter_per_s'],
                              train_seq_per_s=train['train_seq_per_s'],
                              train_peak_mb=train['peak_memory_mb'])
    return result


def write_leaderboard(results: List[dict], work_dir: str) -> Dict[str, str]:
    """leaderboard.md and leaderboard.csv: one row per entry."""
    metric_keys = sorted({k for r in results for k in r.get('metrics', {})})
    columns = ['name', 'model', *metric_keys, 'params_M', 'GFLOPs', 'train_iter_per_s',
               'train_seq_per_s', 'infer_seq_per_s', 'train_peak_mb', 'infer_peak_mb', 'device']
    rows = []
    for r in results:
        row = dict(name=r['name'], model=r.get('model'), **r.get('metrics', {}))
        row.update(params_M=r.get('params', 0) / 1e6, GFLOPs=r.get('flops', 0) / 1e9)
        for key in columns[len(metric_keys) + 4:]:
            row[key] = r.get(key)
        rows.append(row)

    def fmt(value):
        if value is None:
            return '-'
        return f'{value:.4g}' if isinstance(value, float) else str(value)

    md = io.StringIO()
    md.write('| ' + ' | '.join(columns) + ' |\n')
    md.write('|' + '---|' * len(columns) + '\n')
    for row in rows:
        md.write('| ' + ' | '.join(fmt(row.get(c)) for c in columns) + ' |\n')
    md_path = osp.join(work_dir, 'leaderboard.md')
    atomic_write_bytes(md.getvalue().encode(), md_path)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction='ignore')
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) for c in columns})
    csv_path = osp.join(work_dir, 'leaderboard.csv')
    atomic_write_bytes(buffer.getvalue().encode(), csv_path)
    return dict(markdown=md_path, csv=csv_path)


def run_suite(suite_path: str, work_dir: Optional[str] = None, launcher: str = 'none',
              only: Optional[List[str]] = None, force: bool = False) -> Dict[str, Any]:
    """Run every unfinished entry of a suite, then write the leaderboard (rank 0)."""
    suite = load_suite(suite_path)
    name = suite.get('suite_name') or osp.splitext(osp.basename(suite_path))[0]
    work_dir = work_dir or osp.join('work_dirs', 'suites', name)
    os.makedirs(work_dir, exist_ok=True)
    entries = [e for e in suite.entries if not only or e['name'] in only]
    if only and len(entries) != len(only):
        known = [e['name'] for e in suite.entries]
        raise ConfigError(f'--only {only}: the suite has entries {known}')
    results, skipped = [], []
    for entry in entries:
        path = osp.join(work_dir, entry['name'], RESULT_FILE)
        if osp.isfile(path) and not force:
            with open(path) as f:
                results.append(json.load(f))
            skipped.append(entry['name'])
            continue
        result = run_entry(suite, entry, work_dir, launcher)
        if is_main_process():
            atomic_write_bytes(json.dumps(result, indent=2).encode(), path)
        results.append(result)
        if get_dist_info()[1] > 1:
            barrier()
    paths = write_leaderboard(results, work_dir) if is_main_process() else {}
    return dict(results=results, skipped=skipped, work_dir=work_dir, **paths)
