"""Training and inference speed of a config on synthetic clips, after warm-up.

Each measurement runs in a fresh process (spawned), so that the peak memory it reports is its
own: on GPUs the peak of ``torch.cuda.max_memory_allocated``; on CPUs the growth of the process'
peak resident memory over the steps (``ru_maxrss``), i.e. what the steps needed beyond the model
and data already in memory (optimizer state, activations kept for the backward pass).
"""
import multiprocessing as mp
import resource
import time
from typing import Any, Callable, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from .complexity import clip_geometry, example_actions


def _sampling_batch(cfg: Config, batch: int, total: int) -> dict:
    """The sampling mask the config's curriculum hook draws at iteration 1."""
    from ..registry import HOOKS
    from ..engine.hooks.sampling import _SamplingHook
    for hook_cfg in cfg.get('custom_hooks', []) or []:
        hook = HOOKS.build(dict(hook_cfg))
        if isinstance(hook, _SamplingHook):
            hook.input_length = int(cfg.model.get('input_length', 10))
            return dict(sampling_mask=hook.draw(1, batch, total), sampling_mode=hook.mode)
    return {}


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _measure(cfg_dict: dict, mode: str, device: str, amp: bool, iters: int, warmup: int,
             batch_size: Optional[int], threads: Optional[int]) -> Dict[str, Any]:
    from mmengine.optim import build_optim_wrapper
    from ..registry import MODELS
    from ..utils.setup_env import register_all_modules
    from ..engine.amp import apply_amp
    register_all_modules()
    if threads:
        torch.set_num_threads(threads)
    cfg = Config(cfg_dict)
    if cfg.get('custom_imports'):  # a spawned process has not imported the user's modules
        import_modules_from_strings(**cfg.custom_imports)
    if amp:
        apply_amp(cfg)
    dev = torch.device(device)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(dev)
    split = 'train' if mode == 'train' else 'test'
    total, channels, height, width = clip_geometry(cfg, split)
    loader = cfg.get(f'{split}_dataloader') or {}
    batch = int(batch_size or loader.get('batch_size', 1))
    clip = torch.rand(batch, total, channels, height, width, device=dev)
    actions = example_actions(model, batch, total, dev)
    if mode == 'train':
        model.train()
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        data = dict(inputs=clip, **_sampling_batch(cfg, batch, total))
        if actions is not None:
            data['actions'] = actions

        def step():
            model.train_step(dict(data), wrapper)
    else:
        model.eval()
        input_length = int(model.input_length)
        extra = {} if actions is None else {'actions': actions}
        autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp)

        def step():
            with torch.no_grad(), autocast:
                model.predict_frames(clip[:, :input_length], total - input_length, **extra)
    rss_before = peak_rss_mb()
    for _ in range(warmup):
        step()
    _sync(dev)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(dev)
    elapsed = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == 'cuda'
            else max(peak_rss_mb() - rss_before, 0.0))
    out = dict(mode=mode, device=str(dev), amp=amp, batch_size=batch, clip_length=total,
               iterations=iters, seconds=elapsed, peak_memory_mb=peak,
               peak_memory_kind='cuda max allocated' if dev.type == 'cuda'
               else 'growth of peak RSS over the steps (warm-up included)')
    if mode == 'train':
        out['train_iter_per_s'] = iters / elapsed
        out['train_seq_per_s'] = iters * batch / elapsed
    else:
        out['infer_seq_per_s'] = iters * batch / elapsed
    return out


def _child(queue, fn, args, kwargs) -> None:
    try:
        queue.put(('ok', fn(*args, **kwargs)))
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        import traceback
        queue.put(('error', f'{type(err).__name__}: {err}\n{traceback.format_exc()}'))


def run_in_fresh_process(fn: Callable[..., Any], *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)`` in a spawned process (its own peak memory, no state shared)."""
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args, kwargs))
    proc.start()
    status, payload = queue.get()
    proc.join()
    if status != 'ok':
        raise RuntimeError(payload)
    return payload


def measure_speed(cfg: Config, mode: str = 'train', device: Optional[str] = None,
                  amp: bool = False, iters: int = 10, warmup: int = 3,
                  batch_size: Optional[int] = None, threads: Optional[int] = None,
                  isolated: bool = True) -> Dict[str, Any]:
    """Iterations (``mode='train'``) or sequences (``'infer'``) per second, and peak memory.

    ``isolated`` runs the measurement in a spawned process (clean peak memory).
    """
    if mode not in ('train', 'infer'):
        raise ValueError(f"mode must be 'train' or 'infer', got {mode!r}")
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    args = (cfg.to_dict() if isinstance(cfg, Config) else dict(cfg), mode, device, amp,
            iters, warmup, batch_size, threads)
    if not isolated:
        return _measure(*args)
    try:
        return run_in_fresh_process(_measure, *args)
    except RuntimeError as err:
        raise RuntimeError(f'speed measurement ({mode}) failed: {err}') from err
