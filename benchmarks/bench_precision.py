"""Loss curves of a short training run in fp32, bf16 autocast and (optionally) torch.compile.

    python benchmarks/bench_precision.py [--iters 100] [--compile] [--out-dir work_dirs/benchmarks]

Every variant starts from the same weights and sees the same Moving Digits clips and
reverse-scheduled-sampling masks (the demo's small PredRNN-V2), so the curves differ only by the
arithmetic. Prints the loss every 10 iterations, the seconds per iteration, and writes a plot.
"""
import argparse
import os
import os.path as osp
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import isolated, machine, print_table  # noqa: E402


def train_curve(variant: str, iters: int, threads: int, device: str) -> dict:
    from mmengine.optim import OptimWrapper
    from predbench.datasets import MovingDigits
    from predbench.engine.hooks import ReverseScheduledSamplingHook
    from predbench.engine.optim_wrapper import AutocastOptimWrapper
    from predbench.models import VideoPredictor
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = VideoPredictor(dict(type='PredRNNv2', num_hidden=[32, 32], img_size=64,
                                patch_size=4, filter_size=5, decouple_beta=0.1,
                                compile_mode='default' if variant == 'compile' else None),
                           input_length=10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    wrapper = (AutocastOptimWrapper(optimizer, dtype='bfloat16') if variant == 'bf16'
               else OptimWrapper(optimizer))
    data = MovingDigits(num_sequences=10 ** 6, digit_range=(0, 8000), seed=0)
    hook = ReverseScheduledSamplingHook(step_1=iters // 5, step_2=iters // 2,
                                        exp_alpha=max(iters // 20, 1), input_length=10, seed=0)
    losses, seconds = [], []
    for it in range(1, iters + 1):
        clips = torch.stack([data[(it - 1) * 8 + b]['inputs'] for b in range(8)])
        batch = dict(inputs=clips.to(device), sampling_mask=hook.draw(it, 8, 20),
                     sampling_mode='reverse')
        start = time.perf_counter()
        log = model.train_step(batch, wrapper)
        seconds.append(time.perf_counter() - start)
        losses.append(float(log['loss'].detach()))
    return dict(losses=losses, seconds=float(np.median(seconds[3:] or seconds)))


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--iters', type=int, default=100)
    parser.add_argument('--compile', action='store_true')
    parser.add_argument('--device', default=None)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--out-dir', default=osp.join('work_dirs', 'benchmarks'))
    args = parser.parse_args(argv)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    threads = args.threads or torch.get_num_threads()
    variants = ['fp32', 'bf16'] + (['compile'] if args.compile else [])
    curves = {v: isolated(train_curve, variant=v, iters=args.iters, threads=threads,
                          device=device) for v in variants}
    print(f'demo PredRNN-V2 (32x2), batch 8, {args.iters} iterations; on {machine()}')
    rows = []
    for it in list(range(10, args.iters + 1, 10)) or [args.iters]:
        row = dict(iteration=it)
        for v in variants:
            row[f'loss {v}'] = float(np.mean(curves[v]['losses'][max(0, it - 10):it]))
        rows.append(row)
    print_table('training loss (mean of the 10 iterations up to each row)', rows,
                ['iteration'] + [f'loss {v}' for v in variants])
    speed = [dict(variant=v, s_per_iter=curves[v]['seconds'],
                  speedup=curves['fp32']['seconds'] / curves[v]['seconds'],
                  final_loss_gap=float(np.mean(curves[v]['losses'][-10:])
                                       - np.mean(curves['fp32']['losses'][-10:])))
             for v in variants]
    print_table('speed and final loss gap to fp32', speed,
                ['variant', 's_per_iter', 'speedup', 'final_loss_gap'])
    os.makedirs(args.out_dir, exist_ok=True)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for v in variants:
        ax.plot(range(1, args.iters + 1), curves[v]['losses'], label=v, linewidth=1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('training loss')
    ax.set_yscale('log')
    ax.legend()
    fig.tight_layout()
    path = osp.join(args.out_dir, 'precision_loss_curves.png')
    fig.savefig(path, dpi=120)
    print(f'plot: {path}')
    return speed


if __name__ == '__main__':
    main()
