"""Command-line switches shared by the training and test tools."""
import argparse
import os.path as osp

import torch
from mmengine.config import Config


def default_work_dir(config_path: str) -> str:
    """work_dirs/<config file name without .py>."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def amp_dtype() -> str:
    """bf16 where the hardware runs it (recent GPUs, CPUs), else fp16."""
    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return 'float16'
    return 'bfloat16'


def apply_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision (``--amp``).

    bf16 autocast (no loss scaling needed) on CPUs and bf16-capable GPUs; fp16 with dynamic loss
    scaling through MMEngine's AmpOptimWrapper on older GPUs.
    """
    wrapper = cfg.optim_wrapper
    if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'AmpOptimWrapper',
                                                     'AutocastOptimWrapper'):
        return
    if amp_dtype() == 'float16':
        wrapper.type = 'AmpOptimWrapper'
        wrapper.dtype = 'float16'
        wrapper.setdefault('loss_scale', 'dynamic')
    else:
        wrapper.type = 'AutocastOptimWrapper'
        wrapper.dtype = 'bfloat16'


LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """``--launcher`` and the ``--local-rank`` that older PyTorch launchers pass."""
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher for distributed runs')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)
