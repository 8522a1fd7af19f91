"""Test a trained predictor: per-frame metrics, a JSON report, plots and example pictures.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.npz]
        [--show-dir DIR] [--data-root DIR] [--cfg-options key=value ...] [--launcher pytorch]
        [--vis-backend tensorboard|wandb|mlflow ...]

Writes ``<work_dir>/test_metrics.json`` and a per-frame plot of each metric; ``--out`` saves the
per-sequence predictions and metrics; ``--show-dir`` saves grids and GIFs of the first clips.
CHECKPOINT may be a predbench checkpoint, an original-release one or an OpenSTL state dict: it
is read weights-only and must fit the config's model exactly.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.apis.cli import (add_cfg_options_argument, add_data_root_argument,  # noqa: E402
                                add_launcher_arguments, run_cli)
from predbench.engine.checkpoint_io import check_checkpoint_path  # noqa: E402
from predbench.engine.runner import build_runner  # noqa: E402
from predbench.utils.config import default_work_dir, load_config  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402
from predbench.visualization.backends import (add_vis_backend_argument,  # noqa: E402
                                               add_vis_backends)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a video prediction model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (predbench, original release, OpenSTL)')
    parser.add_argument('--work-dir', help='where the report goes (default: '
                        'work_dirs/<config name>)')
    parser.add_argument('--out', help='save per-sequence predictions and metrics (.npz)')
    parser.add_argument('--show-dir', help='save grids and GIFs of the first test clips here')
    parser.add_argument('--num-show', type=int, default=8,
                        help='how many test clips --show-dir pictures (default 8)')
    add_cfg_options_argument(parser, 'test_dataloader.batch_size=16')
    add_data_root_argument(parser)
    add_launcher_arguments(parser)
    add_vis_backend_argument(parser)
    return parser.parse_args(argv)


def build_cfg(args: argparse.Namespace):
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)
    add_vis_backends(cfg, args.vis_backend)
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
    check_checkpoint_path(args.checkpoint)  # reported before anything is built
    cfg = build_cfg(args)
    from predbench.evaluation import check_metric_weights
    from predbench.evaluation.evaluator_config import set_out_files
    # --out: the test metric itself writes what it computes (its convention), batch by batch.
    out_files = set_out_files(cfg, args.out, 'test_evaluator') if args.out else []
    check_metric_weights(cfg, keys=('test_evaluator',))
    runner = build_runner(cfg)
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
