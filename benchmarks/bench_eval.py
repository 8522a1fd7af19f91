"""Evaluation of a test pass (metrics only): predbench's batched metrics against a per-image loop.

    python benchmarks/bench_eval.py [--size mmnist|kth] [--num-sequences N] [--lpips]
                                    [--device cpu|cuda]

The baseline is the original release's test loop on the same predictions: per predicted frame,
numpy MSE over the batch, uint8 conversion, ``batch_psnr``, then scikit-image SSIM image by
image (``compare_ssim(..., full=True, multichannel=True)``). predbench computes the same metrics
(the ``'thuml'`` convention) with ``frame_metrics``: on CPUs with its compiled kernel (numba) and,
as a second row, with its torch operations (the fallback without numba, and the GPU path). All
get the same synthetic predictions: Moving MNIST's shape ([N, 10, 1, 64, 64], test batch 16) or
KTH's ([N, 20, 1, 128, 128], test batch 4). Slices of the test set are timed in turns, so that
drift of the machine's speed hits all alike; the ratios are measured in this run. ``--lpips``
adds LPIPS (randomly initialised AlexNet when the ImageNet weights are missing: same cost).
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import machine, print_table  # noqa: E402

#: Predicted frames, frame size and test batch of the two datasets' configs.
SIZES = {'mmnist': dict(frames=10, pixels=64, batch=16),
         'kth': dict(frames=20, pixels=128, batch=4)}
BATCH = SIZES['mmnist']['batch']


def synthetic_predictions(n: int, seed: int = 0, frames: int = 10, pixels: int = 64):
    """Ground truth of moving blobs and noisy predictions of it, [n, frames, 1, pixels, pixels]."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((n, frames, 1, pixels, pixels), np.float32)
    yy, xx = np.mgrid[:pixels, :pixels] * (64 / pixels)
    for i in range(n):
        cy, cx, vy, vx = rng.uniform(16, 48), rng.uniform(16, 48), *rng.uniform(-2, 2, 2)
        for t in range(frames):
            gt[i, t, 0] = np.exp(-((yy - cy - vy * t) ** 2 + (xx - cx - vx * t) ** 2) / 40.0)
    pred = gt + rng.normal(0, 0.05, gt.shape).astype(np.float32)
    return pred, gt


def original_loop(pred: np.ndarray, gt: np.ndarray, lpips_net=None, batch: int = BATCH) -> dict:
    """The original release's test loop (core/trainer.py test()) on the same predictions.

    Returns its running sums and counts (``finish_loop`` divides them as the original does), so
    that the test set can be timed slice by slice.
    """
    from skimage.metrics import structural_similarity
    steps = pred.shape[1]
    sums = {name: np.zeros(steps) for name in ('mse', 'psnr', 'ssim', 'lpips')}
    batches = 0
    for start in range(0, len(pred), batch):
        batches += 1
        x_b = gt[start:start + batch].transpose(0, 1, 3, 4, 2)  # [B, T, H, W, C] like the original
        g_b = pred[start:start + batch].transpose(0, 1, 3, 4, 2)
        for i in range(steps):
            x = x_b[:, i]
            gx = np.maximum(g_b[:, i], 0)
            gx = np.minimum(gx, 1)
            sums['mse'][i] += np.square(x - gx).sum()
            if lpips_net is not None:
                img_x = torch.from_numpy(x.transpose(0, 3, 1, 2)).repeat(1, 3, 1, 1)
                img_gx = torch.from_numpy(gx.transpose(0, 3, 1, 2)).repeat(1, 3, 1, 1)
                with torch.no_grad():
                    sums['lpips'][i] += lpips_net(img_x, img_gx).mean().item()
            real, fake = np.uint8(x * 255), np.uint8(gx * 255)
            diff = np.int32(fake) - np.int32(real)
            frame_mse = np.sum(diff ** 2, axis=(1, 2, 3), dtype=np.float32) / real[0].size
            sums['psnr'][i] += np.mean(20 * np.log10(255) - 10 * np.log10(frame_mse))
            for b in range(len(real)):
                # compare_ssim(pred_frm[b], real_frm[b], full=True, multichannel=True)
                score, _ = structural_similarity(fake[b], real[b], data_range=255,
                                                 channel_axis=-1, full=True)
                sums['ssim'][i] += score
    return dict(sums=sums, sequences=len(pred), batches=batches)


def finish_loop(parts: list) -> dict:
    """The original's averages from the running sums of ``original_loop`` over slices."""
    sequences = sum(p['sequences'] for p in parts)
    batches = sum(p['batches'] for p in parts)
    total = {name: sum(p['sums'][name] for p in parts) for name in parts[0]['sums']}
    return dict(mse=total['mse'] / sequences, psnr=total['psnr'] / batches,
                ssim=total['ssim'] / sequences, lpips=total['lpips'] / batches)


def predbench_values(pred: np.ndarray, gt: np.ndarray, device: str, lpips_net=None,
                     batch: int = BATCH, backend=None) -> dict:
    """predbench's per-sequence values on the same predictions, batch by batch like a test loop."""
    from predbench.evaluation import frame_metrics
    names = ('mse', 'psnr', 'ssim') + (('lpips',) if lpips_net is not None else ())
    collected = {n: [] for n in names}
    for start in range(0, len(pred), batch):
        p = torch.from_numpy(pred[start:start + batch]).to(device)
        g = torch.from_numpy(gt[start:start + batch]).to(device)
        values = frame_metrics(p, g, names, 'thuml', lpips_net, backend=backend)
        for n in names:
            collected[n].append(values[n].cpu().numpy())
    return {n: np.concatenate(v) for n, v in collected.items()}


def finish_predbench(parts: list, batch: int = BATCH) -> dict:
    from predbench.evaluation import reduce_frame_metrics
    stacked = {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}
    return reduce_frame_metrics(stacked, 'thuml', batch)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', choices=sorted(SIZES), default='mmnist')
    parser.add_argument('--num-sequences', type=int, default=2000,
                        help='test sequences (the Moving MNIST test set has 10,000)')
    parser.add_argument('--turns', type=int, default=10,
                        help='slices of the test set, timed in turns')
    parser.add_argument('--device', default=None)
    parser.add_argument('--lpips', action='store_true')
    args = parser.parse_args(argv)
    from predbench.evaluation import ssim_kernel
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    size = SIZES[args.size]
    batch = size['batch']
    pred, gt = synthetic_predictions(args.num_sequences, frames=size['frames'],
                                     pixels=size['pixels'])
    net = None
    if args.lpips:
        from predbench.evaluation import build_lpips
        from predbench.evaluation.lpips_model import alexnet_checkpoint_dir
        pretrained = osp.isfile(osp.join(alexnet_checkpoint_dir(), 'alexnet-owt-7be5be79.pth'))
        net = build_lpips(pretrained, device='cpu')
    print(f'{args.num_sequences} sequences x {size["frames"]} frames of {size["pixels"]}x'
          f'{size["pixels"]}, test batch {batch}; on {machine()}')
    ours_net = net.to(device) if net is not None else None
    loop_net = net.cpu() if net is not None and device != 'cpu' else ours_net
    backends = ['torch']
    if device == 'cpu' and ssim_kernel.available():
        backends.insert(0, 'numba')
        tic = time.perf_counter()
        predbench_values(pred[:batch], gt[:batch], device, ours_net, batch, 'numba')
        print(f'compiling the numba kernel (first use only, then cached on disk): '
              f'{time.perf_counter() - tic:.1f} s, not counted below')
    for backend in backends:  # warm-up
        predbench_values(pred[:batch], gt[:batch], device, ours_net, batch, backend)
    seconds = dict.fromkeys(backends + ['loop'], 0.0)
    parts = {name: [] for name in seconds}
    slice_len = batch * max(1, args.num_sequences // (batch * args.turns))
    for start in range(0, len(pred), slice_len):
        p, g = pred[start:start + slice_len], gt[start:start + slice_len]
        for name in seconds:
            tic = time.perf_counter()
            if name == 'loop':
                parts[name].append(original_loop(p, g, loop_net, batch))
            else:
                parts[name].append(predbench_values(p, g, device, ours_net, batch, name))
            seconds[name] += time.perf_counter() - tic
    loop = finish_loop(parts['loop'])
    rows = [dict(implementation='per-image loop (original test loop)', seconds=seconds['loop'],
                 speedup=1.0)]
    for backend in backends:
        ours = finish_predbench(parts[backend], batch)
        label = 'compiled kernel' if backend == 'numba' else 'torch operations'
        rows.append(dict(implementation=f'predbench, {label} ({device})',
                         seconds=seconds[backend], speedup=seconds['loop'] / seconds[backend]))
        for name in ours:
            gap = np.abs(np.asarray(ours[name]) - np.asarray(loop[name])).max()
            rows[-1][f'max |{name} diff|'] = gap
    print_table('metrics of one test pass (MSE, PSNR, SSIM' + (', LPIPS' if net else '') + ')',
                rows, ['implementation', 'seconds', 'speedup'] +
                [k for k in rows[1] if k.startswith('max')])
    print('max |diff|: largest per-frame difference from the original loop\'s numbers')
    return rows


if __name__ == '__main__':
    main()
