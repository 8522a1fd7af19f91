"""Training and inference speed of a config on synthetic clips, after warm-up.

    python tools/analysis/measure_speed.py CONFIG [--device cpu|cuda] [--amp both|on|off]
        [--iters 10] [--warmup 3] [--batch-size N] [--cfg-options k=v ...] [--out FILE.json]

Prints one table (training iterations/s and sequences/s, inference sequences/s, peak memory,
with AMP on and/or off) and writes it as JSON with --out. A training iteration is the config's:
with reverse_input it includes the second pass on the reversed clips.
"""
import argparse
import json
import os.path as osp
import sys


sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from predbench.analysis import measure_speed  # noqa: E402
from predbench.apis.cli import add_cfg_options_argument, run_cli  # noqa: E402
from predbench.utils.config import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--device', default=None, help='cpu or cuda (default: cuda if present)')
    parser.add_argument('--amp', choices=['off', 'on', 'both'], default='both',
                        help='bf16 autocast off, on, or both (default)')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=None,
                        help='default: the config\'s train/test batch sizes')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads')
    parser.add_argument('--skip-train', action='store_true')
    add_cfg_options_argument(parser, 'model.input_length=10')
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    amps = {'off': [False], 'on': [True], 'both': [False, True]}[args.amp]
    rows = []
    for amp in amps:
        row = dict(config=args.config, amp=amp)
        if not args.skip_train:
            train = measure_speed(cfg, 'train', args.device, amp, args.iters, args.warmup,
                                  args.batch_size, args.threads)
            row.update(device=train['device'], train_batch=train['batch_size'],
                       train_iter_per_s=train['train_iter_per_s'],
                       train_seq_per_s=train['train_seq_per_s'],
                       train_peak_mb=train['peak_memory_mb'],
                       memory_kind=train['peak_memory_kind'])
        infer = measure_speed(cfg, 'infer', args.device, amp, args.iters, args.warmup,
                              args.batch_size, args.threads)
        row.update(device=infer['device'], infer_batch=infer['batch_size'],
                   infer_seq_per_s=infer['infer_seq_per_s'], infer_peak_mb=infer['peak_memory_mb'],
                   memory_kind=infer['peak_memory_kind'])
        rows.append(row)
    print('| config | device | AMP (bf16) | train it/s | train seq/s | train peak MB '
          '| infer seq/s | infer peak MB |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        train = (f'{r["train_iter_per_s"]:.3f} | {r["train_seq_per_s"]:.2f} | '
                 f'{r["train_peak_mb"]:.0f}') if 'train_iter_per_s' in r else '- | - | -'
        print(f'| {osp.basename(r["config"])} | {r["device"]} | {"on" if r["amp"] else "off"} | '
              f'{train} | {r["infer_seq_per_s"]:.2f} | {r["infer_peak_mb"]:.0f} |')
    print(f'memory: {rows[0]["memory_kind"]}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
        print(f'wrote {args.out}')
    return rows


if __name__ == '__main__':
    run_cli(main)
