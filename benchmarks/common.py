"""Timing and memory helpers shared by the benchmarks.

Each variant runs in its own spawned process so that its peak memory is its own: on GPUs the
peak of ``torch.cuda.max_memory_allocated``; on CPUs the growth of the process' peak resident
set (``ru_maxrss``) from just before the first step to the end.
"""
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from predbench.analysis.speed import peak_rss_mb as rss_mb  # noqa: E402
from predbench.analysis.speed import run_in_fresh_process  # noqa: E402


def sync(device: str) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def time_steps(step: Callable[[], Any], device: str, warmup: int, repeat: int) -> Dict[str, float]:
    """Median seconds per call after ``warmup`` calls, and the peak memory of all calls."""
    if str(device).startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    before = rss_mb()
    for _ in range(warmup):
        step()
    sync(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    peak = (torch.cuda.max_memory_allocated() / 2**20 if str(device).startswith('cuda')
            else max(rss_mb() - before, 0.0))
    return dict(seconds=statistics.median(times), peak_mb=peak)


def isolated(fn: Callable[..., Dict[str, Any]], **kwargs) -> Dict[str, Any]:
    """Run ``fn(**kwargs)`` in a spawned process and return its result."""
    return run_in_fresh_process(fn, **kwargs)


def print_table(title: str, rows: List[Dict[str, Any]], columns: List[str]) -> None:
    print(f'\n{title}')
    print('| ' + ' | '.join(columns) + ' |')
    print('|' + '---|' * len(columns))
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c, '')
            cells.append(f'{v:.4g}' if isinstance(v, float) else str(v))
        print('| ' + ' | '.join(cells) + ' |')


def machine() -> str:
    """One line describing where the numbers were measured."""
    if torch.cuda.is_available():
        return f'{torch.cuda.get_device_name()} (torch {torch.__version__})'
    import platform
    return (f'{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads '
            f'(torch {torch.__version__})')
