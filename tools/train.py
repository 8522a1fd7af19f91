"""Train a predictor from a config.

    python tools/train.py configs/predrnn_v2_kth.py [--work-dir DIR] [--resume [CKPT]]
        [--amp] [--seed N] [--data-root DIR] [--cfg-options key=value ...] [--launcher pytorch]
        [--vis-backend tensorboard|wandb|mlflow ...]

The work dir defaults to work_dirs/<config name>; nothing in it is ever deleted, and a second
training in the same work dir is refused while the first runs. ``--resume`` without a path
continues from the newest checkpoint of the work dir.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.apis.cli import (add_cfg_options_argument, add_data_root_argument,  # noqa: E402
                                add_launcher_arguments, run_cli)
from predbench.engine.amp import apply_amp  # noqa: E402
from predbench.engine.runner import build_runner  # noqa: E402
from predbench.utils.config import default_work_dir, load_config  # noqa: E402
from predbench.utils.errors import ConfigError  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402
from predbench.visualization.backends import (add_vis_backend_argument,  # noqa: E402
                                               add_vis_backends)

AUTO_RESUME = 'auto'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a video prediction model')
    parser.add_argument('config', help='config file, e.g. configs/predrnn_v2_mmnist.py')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const=AUTO_RESUME, default=None,
                        metavar='CHECKPOINT', help='resume training; without a path, from the '
                        'newest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (bf16 autocast where supported, else fp16)')
    parser.add_argument('--seed', type=int, default=None, help='random seed of the run')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (GPUs x batch size) / '
                        'auto_scale_lr.base_batch_size')
    add_cfg_options_argument(parser, 'train_cfg.max_iters=1000')
    add_data_root_argument(parser)
    add_launcher_arguments(parser)
    add_vis_backend_argument(parser)
    return parser.parse_args(argv)


def build_cfg(args: argparse.Namespace):
    """The run's config: the file, the overrides and the command-line switches."""
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)
    add_vis_backends(cfg, args.vis_backend)
    if args.seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}) or {}, seed=args.seed)
    if args.amp:
        apply_amp(cfg)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ConfigError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == AUTO_RESUME:
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_cfg(args)
    from predbench.evaluation import check_metric_weights
    check_metric_weights(cfg, keys=('val_evaluator',))
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    run_cli(main)
