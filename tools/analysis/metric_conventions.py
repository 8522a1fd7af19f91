"""How far apart the three metric conventions land on the same predictions (docs/metrics.md).

    python tools/analysis/metric_conventions.py [--num-sequences 64] [--channels 1|3] [--lpips]

Draws Moving Digits clips with the dataset's own generator (predbench/datasets: procedural digit
sprites bouncing on a 64x64 canvas, as Moving MNIST) and fakes a predictor that blurs more with
every predicted frame, with slight over-shoot and noise (so that raw predictions leave [0, 1], as
real ones do); prints a markdown table of each convention's means over the predicted frames.
"""
import argparse
import functools
import os.path as osp
import sys
from typing import Dict, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from predbench.datasets.digit_sprites import render_digit_sprites  # noqa: E402
from predbench.datasets.moving_digits import generate_sequence, sequence_rng  # noqa: E402
from predbench.evaluation import CONVENTIONS, compute_metrics  # noqa: E402

#: The sprites the clips draw their digits from (ten of each digit, in several styles).
SPRITES = (0, 100)


@functools.lru_cache(maxsize=1)
def _sprites() -> np.ndarray:
    return render_digit_sprites(SPRITES)


def demo_clips(num_sequences: int = 64, length: int = 10, size: int = 64, channels: int = 1,
               seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """(pred, gt) float32 [N, T, C, H, W]: bouncing digits (uint8-valued truth, in colour when
    ``channels`` is 3) and an increasingly blurred, over-shooting, noisy guess."""
    rng = np.random.default_rng([seed, num_sequences])  # colours and noise
    gt = np.zeros((num_sequences, length, channels, size, size), np.float32)
    pred = np.zeros_like(gt)
    for n in range(num_sequences):
        frames = generate_sequence(_sprites(), sequence_rng(seed, n), seq_length=length,
                                   canvas=size)  # uint8 [T, size, size]
        color = rng.uniform(0.6, 1.0, channels).astype(np.float32)
        # Frames come from uint8 data, in colour too.
        truth = np.round(frames[..., None] * color) / np.float32(255)
        for t in range(length):
            sigma = 0.6 + 0.25 * t
            guess = cv2.GaussianBlur(truth[t], (0, 0), sigma).reshape(size, size, channels)
            guess = 1.1 * guess - 0.02 + rng.normal(0, 0.02, guess.shape)
            gt[n, t] = truth[t].transpose(2, 0, 1)
            pred[n, t] = guess.transpose(2, 0, 1)
    return pred, gt


def convention_table(pred: np.ndarray, gt: np.ndarray, lpips: bool = False,
                     thuml_batch_size: int = 16) -> Dict[str, Dict[str, float]]:
    """{convention: {metric: mean over predicted frames}} on the same predictions."""
    metrics = ('mse', 'mae', 'psnr', 'ssim') + (('lpips', ) if lpips else ())
    table = {}
    for name in CONVENTIONS:
        per_frame = compute_metrics(pred, gt, metrics, convention=name,
                                    thuml_batch_size=thuml_batch_size if name == 'thuml' else None)
        table[name] = {m: float(v.mean()) for m, v in per_frame.items()}
    return table


def main(argv=None) -> Dict[str, Dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-sequences', type=int, default=64)
    parser.add_argument('--channels', type=int, default=1, choices=(1, 3))
    parser.add_argument('--lpips', action='store_true', help='also LPIPS (needs AlexNet weights)')
    args = parser.parse_args(argv)
    pred, gt = demo_clips(args.num_sequences, channels=args.channels)
    outside = float(np.mean((pred < 0) | (pred > 1)))
    table = convention_table(pred, gt, lpips=args.lpips)
    names = list(next(iter(table.values())))
    print(f'{args.num_sequences} clips, {pred.shape[1]} predicted frames, {outside:.0%} of the '
          f'predicted pixels outside [0, 1]')
    print('| convention | ' + ' | '.join(n.upper() for n in names) + ' |')
    print('|---|' + '---|' * len(names))
    for conv, row in table.items():
        print(f'| {conv} | ' + ' | '.join(f'{row[n]:.4f}' for n in names) + ' |')
    return table


if __name__ == '__main__':
    from predbench.apis.cli import run_cli
    run_cli(main)
