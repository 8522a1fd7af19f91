"""Test a trained predictor: per-frame metrics, a JSON report, plots and example pictures.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.npz]
        [--show-dir DIR] [--cfg-options key=value ...] [--launcher pytorch]

Writes ``<work_dir>/test_metrics.json`` and a per-frame plot of each metric; ``--out`` saves the
per-sequence predictions and metrics; ``--show-dir`` saves grids and GIFs of the first clips.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.engine.runner import PredBenchRunner  # noqa: E402
from predbench.utils.cli import run_cli  # noqa: E402
from predbench.utils.config import load_config  # noqa: E402
from predbench.utils.errors import CheckpointError  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402
from predbench.utils.train_options import (add_launcher_arguments,  # noqa: E402
                                            default_work_dir)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a video prediction model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (predbench or converted original)')
    parser.add_argument('--work-dir', help='where the report goes (default: '
                        'work_dirs/<config name>)')
    parser.add_argument('--out', help='save per-sequence predictions and metrics (.npz)')
    parser.add_argument('--show-dir', help='save grids and GIFs of the first test clips here')
    parser.add_argument('--num-show', type=int, default=8,
                        help='how many test clips --show-dir pictures (default 8)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override config keys, e.g. test_dataloader.batch_size=16')
    add_launcher_arguments(parser)
    return parser.parse_args(argv)


def build_cfg(args: argparse.Namespace):
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)
    if not osp.isfile(args.checkpoint):
        raise CheckpointError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    cfg.resume = False
    hooks = list(cfg.get('custom_hooks', []) or [])
    hooks.append(dict(type='TestProgressBarHook'))
    if args.show_dir:
        vis = dict(type='PredictionVisualizationHook', out_dir=args.show_dir,
                   num_samples=args.num_show)
        default_hooks = cfg.get('default_hooks') or {}
        if default_hooks.get('visualization'):
            default_hooks['visualization'].update(vis)
        else:
            hooks.append(vis)
    cfg.custom_hooks = hooks
    return cfg


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_cfg(args)
    from predbench.evaluation import check_lpips_weights
    from predbench.evaluation.evaluator_config import set_out_files
    # --out: the test metric itself writes what it computes (its convention), batch by batch.
    out_files = set_out_files(cfg, args.out, 'test_evaluator') if args.out else []
    check_lpips_weights(cfg, keys=('test_evaluator',))
    runner = PredBenchRunner.from_cfg(cfg)
    # The log shows the summary metrics, then the per-frame table (PerFrameTableLogProcessor).
    metrics = runner.test()
    from mmengine.dist import is_main_process
    if is_main_process():
        from predbench.evaluation.report import save_metrics_report
        paths = save_metrics_report(metrics, runner.work_dir)
        for name, path in paths.items():
            print(f'{name}: {path}')
        for path in out_files:
            print(f'predictions: {path}')
        if args.show_dir:
            print(f'pictures: {args.show_dir}')
    return metrics


if __name__ == '__main__':
    run_cli(main)
