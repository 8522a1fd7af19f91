"""Plot a t-SNE of PredRNN-V2's memory increments to see whether C and M were decoupled.

    python tools/analysis/visualize_decoupling.py CONFIG CHECKPOINT --out DIR
        [--num-sequences 2] [--random-input] [--topk 10] [--max-points 1000]
        [--threads 1] [--device cpu] [--cfg-options key=value ...]

Runs the model on the first test sequences of the config (or on random frames with
``--random-input``, no data needed), collects delta_c and delta_m of every layer at every step,
and writes ``DIR/decoupling_tsne.png`` (one panel per layer; black delta_c, red delta_m) and
prints each layer's mean |cos(delta_c, delta_m)|.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from predbench.apis import init_model  # noqa: E402
from predbench.registry import DATASETS  # noqa: E402
from predbench.apis.cli import add_cfg_options_argument, run_cli  # noqa: E402
from predbench.utils.errors import ConfigError, DataError  # noqa: E402
from predbench.visualization.decoupling import (decoupling_features, mean_abs_cosine,  # noqa: E402
                                                plot_decoupling, subsample_pairs, tsne_2d)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='t-SNE of PredRNN-V2 memory increments')
    parser.add_argument('config', help='a PredRNN-V2 config')
    parser.add_argument('checkpoint', help='trained weights (.pth)')
    parser.add_argument('--out', required=True, help='folder for the picture')
    parser.add_argument('--num-sequences', type=int, default=2, help='test sequences used')
    parser.add_argument('--random-input', action='store_true',
                        help='use random frames instead of the test set (a quick look)')
    parser.add_argument('--seq-length', type=int, default=None,
                        help='frames per random clip (default: twice model.input_length)')
    parser.add_argument('--topk', type=int, default=10,
                        help='top activations per channel in each feature (the original: 10)')
    parser.add_argument('--max-points', type=int, default=1000,
                        help='at most this many points per memory and layer (t-SNE is slow)')
    parser.add_argument('--seed', type=int, default=0, help='seed of t-SNE and subsampling')
    parser.add_argument('--threads', type=int, default=1,
                        help='t-SNE threads (more only help on an otherwise idle machine)')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    add_cfg_options_argument(parser, 'model.input_length=10')
    return parser.parse_args(argv)


def load_frames(args, model) -> torch.Tensor:
    """[B, T, C, H, W] in [0, 1]: the first test sequences, or random frames."""
    if args.num_sequences < 1:
        raise ConfigError(f'--num-sequences must be >= 1, got {args.num_sequences}')
    if args.random_input:
        length = args.seq_length or 2 * model.input_length
        generator = torch.Generator().manual_seed(args.seed)
        return torch.rand(args.num_sequences, length, model.backbone.img_channel,
                          *model.backbone.img_size, generator=generator)
    if 'test_dataloader' not in model.cfg:
        raise ConfigError('the config has no test_dataloader; use --random-input')
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    if len(dataset) < args.num_sequences:
        raise DataError(f'the test set has {len(dataset)} sequences, fewer than '
                        f'--num-sequences={args.num_sequences}')
    clips = [torch.as_tensor(dataset[i]['inputs']) for i in range(args.num_sequences)]
    frames = torch.stack(clips)
    return frames.float() / 255.0 if frames.dtype == torch.uint8 else frames.float()


def main(argv=None) -> None:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, args.cfg_options, device=args.device)
    if not hasattr(model.backbone, 'increments'):
        raise ConfigError(f'{type(model.backbone).__name__} has no decoupled memories; '
                          f'give a PredRNN-V2 config (model.backbone.type=\'PredRNNv2\')')
    frames = load_frames(args, model).to(args.device)
    with torch.no_grad():
        delta_c, delta_m = model.backbone.increments(frames, model.input_length)
    embeddings, labels, titles = [], [], []
    for layer in range(delta_c.shape[1]):
        features, label = decoupling_features(delta_c[:, layer], delta_m[:, layer], args.topk)
        features, label = subsample_pairs(features, label, args.max_points, args.seed)
        embeddings.append(tsne_2d(features, args.seed, args.threads))
        labels.append(label)
        cosine = mean_abs_cosine(delta_c[:, layer], delta_m[:, layer])
        titles.append(f'layer {layer}  (mean |cos| {cosine:.3f})')
        print(f'layer {layer}: {len(features) // 2} points per memory, '
              f'mean |cos(delta_c, delta_m)| = {cosine:.4f}')
    os.makedirs(args.out, exist_ok=True)
    path = plot_decoupling(embeddings, labels, osp.join(args.out, 'decoupling_tsne.png'), titles)
    print(f'wrote {path}')


if __name__ == '__main__':
    run_cli(main)
