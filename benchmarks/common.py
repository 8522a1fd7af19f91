"""Timing and memory helpers shared by the benchmarks.

Each variant runs in its own spawned process so that its peak memory is its own: on GPUs the
peak of ``torch.cuda.max_memory_allocated``; on CPUs the growth of the process' peak resident
set (``ru_maxrss``) from just before the first step to the end.
"""
import os
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

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


def interleaved_times(built: Dict[str, Tuple[Callable[[], Any], Any]], device: str, warmup: int,
                      repeat: int, compiled: Sequence[str] = ('compile', 'cudagraphs')
                      ) -> Dict[str, Dict[str, Any]]:
    """``{variant: {seconds, loss}}`` for ``built = {variant: (step, loss)}``: the median seconds
    of ``repeat`` steps, the variants timed in turns (robust to the machine drifting), after
    ``warmup`` steps each (2 more for ``compiled`` variants, which compile on their first)."""
    for variant, (step, _) in built.items():
        for _ in range(warmup + (2 if variant in compiled else 0)):
            step()
    times: Dict[str, List[float]] = {variant: [] for variant in built}
    for _ in range(repeat):
        for variant, (step, _) in built.items():
            sync(device)
            start = time.perf_counter()
            step()
            sync(device)
            times[variant].append(time.perf_counter() - start)
    return {v: dict(seconds=statistics.median(t), loss=built[v][1]) for v, t in times.items()}


def predictor_step(net: torch.nn.Module, clip: torch.Tensor, mask: torch.Tensor, mode: str,
                   variant: str, sampling_mode: str, input_length: int) -> Callable[[], Any]:
    """One timed call of a VideoPredictor: a training step (Adam, bf16 autocast for the
    ``'bf16'`` variant) or, for ``mode='infer'``, a prediction of the frames after
    ``input_length`` without gradients."""
    from mmengine.optim import OptimWrapper
    from predbench.engine.optim_wrapper import AutocastOptimWrapper
    if mode == 'train':
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
        wrapper = (AutocastOptimWrapper(optimizer, dtype='bfloat16') if variant == 'bf16'
                   else OptimWrapper(optimizer))
        data = dict(inputs=clip, sampling_mask=mask, sampling_mode=sampling_mode)
        return lambda: net.train_step(dict(data), wrapper)
    net.eval()
    autocast = torch.autocast(torch.device(clip.device).type, dtype=torch.bfloat16,
                              enabled=variant == 'bf16')

    def step():
        with torch.no_grad(), autocast:
            net.predict_frames(clip[:, :input_length], clip.shape[1] - input_length)
    return step
