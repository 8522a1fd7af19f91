"""Parameters and FLOPs of a config's model per predicted sequence.

    python tools/analysis/get_flops.py CONFIG [--split test] [--cfg-options k=v ...]
        [--out FILE.json]

FLOPs are multiply-adds of one forward pass at batch 1 over a whole test clip (observed and
predicted frames, T-1 recurrent steps), counted by mmengine.analysis (as OpenSTL reports them).
"""
import argparse
import json
import os.path as osp
import sys


sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from predbench.analysis import config_complexity  # noqa: E402
from predbench.apis.cli import add_cfg_options_argument, run_cli  # noqa: E402
from predbench.utils.config import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--split', default='test', choices=['train', 'val', 'test'],
                        help='whose clip length to count (default: test)')
    add_cfg_options_argument(parser, 'model.input_length=10')
    parser.add_argument('--out', help='also write the numbers as JSON')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    result = config_complexity(cfg, args.split)
    result['config'] = args.config
    t, c, h, w = result['clip_shape']
    print('| config | clip (T x C x H x W) | params | FLOPs per sequence |')
    print('|---|---|---|---|')
    print(f'| {osp.basename(args.config)} | {t} x {c} x {h} x {w} | '
          f'{result["params"] / 1e6:.3f} M | {result["flops"] / 1e9:.2f} G |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    run_cli(main)
