"""How much FVD moves with the clip count, what each clip holds and the resize (docs/metrics.md).

    python tools/analysis/fvd_sensitivity.py [--num-sequences 128] [--fvd-model i3d_torchscript.pt]

Draws Moving Digits clips of 10 observed + 10 predicted frames with the dataset's own generator
and the blurring fake predictor of ``metric_conventions.py``, and prints markdown tables of FVD
(predbench's computation: whole clips, bilinear 224x224, [-1, 1], sample covariances) and of the
variants other codebases use. Without ``--fvd-model`` the features come from a random-weight
network shaped like I3D's first blocks (3D convolutions and pooling, global average, 400
outputs), so the tables show how the numbers move, not the values the real I3D gives.
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Dict, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from metric_conventions import demo_clips  # noqa: E402  (the same fake predictor)
from predbench.evaluation import GaussianMoments, build_fvd_net, frechet_distance  # noqa: E402
from predbench.evaluation.fvd_features import I3D_CHUNK, I3D_SIZE, i3d_input  # noqa: E402

OBSERVED = PREDICTED = 10


class RandomI3DLike(nn.Module):
    """I3D's stem (7x7x7 convolution, stride 2, max pooling) and three 3D convolution blocks
    with random (Kaiming) weights, averaged to one vector and mapped to 400 features; called as
    the I3D TorchScript file is."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Sequential(
            nn.Conv3d(3, 16, 7, stride=2, padding=3), nn.ReLU(),
            nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)),
            nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d(3, 2, 1),
            nn.Conv3d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool3d(3, 2, 1),
            nn.Conv3d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1))
        self.fc = nn.Linear(128, 400)
        for layer in self.modules():  # He initialisation keeps the activations' scale
            if isinstance(layer, (nn.Conv3d, nn.Linear)):
                nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        logits = self.fc(self.body(x).flatten(1))
        return logits if return_features else logits.softmax(dim=1)


def resized(size: Optional[int], mode: str, align_corners: Optional[bool] = None) -> Callable:
    """A variant of predbench's network input (``i3d_input``): another interpolation or size."""

    def prepare(clips: torch.Tensor) -> torch.Tensor:
        b, t, c, h, w = clips.shape
        frames = clips.reshape(b * t, c, h, w)
        if size is not None:
            frames = F.interpolate(frames, size=(size, size), mode=mode,
                                   align_corners=align_corners).clamp(0, 1)
        frames = frames.expand(-1, 3, -1, -1)
        return frames.reshape(b, t, 3, *frames.shape[-2:]).permute(0, 2, 1, 3, 4) * 2 - 1

    return prepare


def features(net: nn.Module, clips: np.ndarray, prepare: Callable = i3d_input) -> torch.Tensor:
    """[N, 400] float64 features of clips [N, T, 1, H, W] in [0, 1], I3D_CHUNK clips at a time."""
    out = []
    for start in range(0, len(clips), I3D_CHUNK):
        x = prepare(torch.from_numpy(clips[start:start + I3D_CHUNK]).float())
        with torch.no_grad():
            out.append(net(x, rescale=False, resize=False, return_features=True).double())
    return torch.cat(out)


def fvd(real: torch.Tensor, fake: torch.Tensor, population: bool = False) -> float:
    """FVD from the features [N, 400] of the true and the predicted clips, as predbench sums
    them (``GaussianMoments``); ``population``: covariances divided by N, not N - 1."""
    moments = GaussianMoments.of(torch.stack([real, fake], dim=1))
    mean, cov = moments.mean(), moments.covariance()
    if population:
        cov = cov * (moments.count - 1) / moments.count
    return frechet_distance(mean[0], cov[0], mean[1], cov[1])


def _print_relative(what: str, table: Dict[str, float]) -> None:
    """A markdown table of FVD values and their ratio to the first (predbench's) row."""
    first = next(iter(table.values()))
    print(f'| {what} | FVD | / predbench\'s |\n|---|---|---|')
    for name, value in table.items():
        print(f'| {name} | {value:.4g} | {value / first:.2f} |')


def main(argv=None) -> Dict[str, Dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-sequences', type=int, default=128)
    parser.add_argument('--fvd-model', help='the real I3D TorchScript file (default: random)')
    args = parser.parse_args(argv)
    net = build_fvd_net(args.fvd_model) if args.fvd_model else RandomI3DLike().eval()
    n = args.num_sequences
    length = OBSERVED + PREDICTED
    pred, gt = demo_clips(n, length=length, seed=0)
    _, other = demo_clips(n, length=length, seed=1)  # more true clips, for true vs true
    whole_pred = np.concatenate([gt[:, :OBSERVED], pred[:, OBSERVED:].clip(0, 1)], axis=1)
    tables: Dict[str, Dict[str, float]] = {}

    real, fake, real2 = (features(net, x) for x in (gt, whole_pred, other))
    counts = [c for c in (16, 32, 64, 128, 256, 512, 1024) if c < n] + [n]
    tables['clips'] = {str(c): fvd(real[:c], fake[:c]) for c in counts}
    tables['clips_floor'] = {str(c): fvd(real[:c], real2[:c]) for c in counts}
    print(f'FVD against the clip count ({OBSERVED} observed + {PREDICTED} predicted frames per '
          f'clip; "true vs true": two disjoint sets of true clips)')
    print('| clips | blurred prediction vs truth | true vs true |\n|---|---|---|')
    for c in tables['clips']:
        print(f'| {c} | {tables["clips"][c]:.4g} | {tables["clips_floor"][c]:.4g} |')

    # uint8 frames, rounded as StyleGAN-V's (x * 127.5 + 128) on [-1, 1] does; the observed
    # frames are uint8 already and stay as they are.
    quantized = (np.round(whole_pred * 255) / 255).astype(np.float32)
    tables['clip'] = {
        f'observed + predicted ({length}, predbench)': fvd(real, fake),
        f'predicted only ({PREDICTED}, PredBench)': fvd(
            *(features(net, x[:, OBSERVED:]) for x in (gt, whole_pred))),
        f'first 16 frames ({OBSERVED} observed + {16 - OBSERVED} predicted)': fvd(
            *(features(net, x[:, :16]) for x in (gt, whole_pred))),
        'prediction quantized to uint8': fvd(real, features(net, quantized)),
        'covariances divided by N (StyleGAN-V)': fvd(real, fake, population=True),
    }
    print(f'\nFVD against what each clip holds and how the statistics are taken ({n} clips)')
    _print_relative('variant', tables['clip'])

    variants = {'bilinear 224 (predbench)': None,
                'bilinear 224, align_corners=True': resized(I3D_SIZE, 'bilinear', True),
                'bicubic 224': resized(I3D_SIZE, 'bicubic', False),
                'nearest 224': resized(I3D_SIZE, 'nearest'),
                'no resize (64x64)': resized(None, '')}
    tables['resize'] = {name: fvd(real, fake) if prepare is None else
                        fvd(features(net, gt, prepare), features(net, whole_pred, prepare))
                        for name, prepare in variants.items()}
    print(f'\nFVD against the resize ({n} clips of {length} frames)')
    _print_relative('resize', tables['resize'])
    return tables


if __name__ == '__main__':
    from predbench.apis.cli import run_cli
    run_cli(main)
