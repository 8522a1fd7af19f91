"""Convert a checkpoint of the original PredRNN release (thuml/predrnn-pytorch) for predbench.

    python tools/convert_thuml_ckpt.py SRC DST [--config CONFIG [--cfg-options k=v ...]]

SRC is a file saved by the original ``model.save`` ({'net_param': RNN.state_dict()}); DST is an
MMEngine checkpoint that ``init_model``, ``tools/test.py`` and ``load_from`` read. With
``--config``, the converted weights are also checked against that config's model, and a
mismatch names the option to change.
"""
import argparse
import io
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.engine.checkpoint_io import atomic_write_bytes, load_checkpoint_file  # noqa: E402
from predbench.models.checkpoint_compat import (convert_thuml_state_dict,  # noqa: E402
                                                infer_predrnn_arch)
from predbench.utils.cli import run_cli  # noqa: E402
from predbench.utils.errors import CheckpointError  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='checkpoint of the original release (model.ckpt-N)')
    parser.add_argument('dst', help='output checkpoint for predbench (.pth)')
    parser.add_argument('--config', help='check the converted weights against this config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='overrides of the config, key=value')
    return parser.parse_args(argv)


def convert(src: str, dst: str) -> dict:
    """Write the converted checkpoint atomically; returns the architecture found in SRC."""
    ckpt = load_checkpoint_file(src, map_location='cpu', trusted=False)
    if not isinstance(ckpt, dict) or 'net_param' not in ckpt:
        raise CheckpointError(
            f'{src} is not a checkpoint of the original PredRNN release (no "net_param" entry; '
            f'found {sorted(ckpt)[:5] if isinstance(ckpt, dict) else type(ckpt).__name__})')
    state_dict = convert_thuml_state_dict(ckpt['net_param'])
    arch = infer_predrnn_arch(ckpt['net_param'])
    out = dict(meta=dict(converted_from=osp.abspath(src), source='thuml/predrnn-pytorch',
                         thuml_arch=arch), state_dict=state_dict)
    buffer = io.BytesIO()
    torch.save(out, buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    return arch


def main(argv=None) -> None:
    args = parse_args(argv)
    arch = convert(args.src, args.dst)
    kind = 'PredRNN-V2' if arch['v2'] else 'PredRNN'
    print(f'{kind}: num_hidden={arch["num_hidden"]} filter_size={arch["filter_size"]} '
          f'input channels={arch["in_channels"]} layer_norm={arch["layer_norm"]}')
    if args.config:
        from predbench.apis import init_model
        init_model(args.config, args.dst, cfg_options=args.cfg_options)
        print(f'checked against {args.config}: the weights fit')
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    run_cli(main)
