"""How far apart the three metric conventions land on the same predictions (docs/metrics.md).

    python -m predbench.evaluation.convention_table [--num-sequences 64] [--lpips]

Draws moving-digit clips (OpenCV's font, bouncing on a 64x64 canvas, like Moving MNIST) and
fakes a predictor that blurs more with every predicted frame, with slight over-shoot and noise
(so that raw predictions leave [0, 1], as real ones do); prints a markdown table.
"""
import argparse
from typing import Dict, Tuple

import cv2
import numpy as np

from .conventions import CONVENTIONS
from .functional import compute_metrics


def demo_clips(num_sequences: int = 64, length: int = 10, size: int = 64, channels: int = 1,
               seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """(pred, gt) float32 [N, T, C, H, W]: bouncing digits and an increasingly blurred guess."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((num_sequences, length, channels, size, size), np.float32)
    pred = np.zeros_like(gt)
    for n in range(num_sequences):
        digits = [str(d) for d in rng.integers(0, 10, 2)]
        pos = rng.uniform(4, size - 28, (2, 2))
        vel = rng.uniform(-3, 3, (2, 2))
        color = rng.uniform(0.6, 1.0, channels)
        for t in range(length):
            canvas = np.zeros((size, size, channels), np.float32)
            for d, digit in enumerate(digits):
                pos[d] += vel[d]
                for axis in range(2):  # bounce off the borders
                    if not 0 <= pos[d, axis] <= size - 24:
                        vel[d, axis] = -vel[d, axis]
                        pos[d, axis] = np.clip(pos[d, axis], 0, size - 24)
                x, y = int(pos[d, 0]), int(pos[d, 1]) + 22
                layer = np.zeros((size, size), np.uint8)
                cv2.putText(layer, digit, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 3,
                            cv2.LINE_AA)
                canvas = np.maximum(canvas, layer[..., None] / np.float32(255) * color)
            truth = np.round(canvas * 255) / 255  # frames come from uint8 data
            sigma = 0.6 + 0.25 * t
            guess = cv2.GaussianBlur(truth, (0, 0), sigma).reshape(size, size, channels)
            guess = 1.1 * guess - 0.02 + rng.normal(0, 0.02, guess.shape)
            gt[n, t] = truth.transpose(2, 0, 1)
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-sequences', type=int, default=64)
    parser.add_argument('--channels', type=int, default=1, choices=(1, 3))
    parser.add_argument('--lpips', action='store_true', help='also LPIPS (needs AlexNet weights)')
    args = parser.parse_args(argv)
    pred, gt = demo_clips(args.num_sequences, channels=args.channels)
    table = convention_table(pred, gt, lpips=args.lpips)
    names = list(next(iter(table.values())))
    print('| convention | ' + ' | '.join(n.upper() for n in names) + ' |')
    print('|---|' + '---|' * len(names))
    for conv, row in table.items():
        print(f'| {conv} | ' + ' | '.join(f'{row[n]:.4f}' for n in names) + ' |')


if __name__ == '__main__':
    main()
