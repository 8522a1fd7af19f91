"""The LPIPS network (AlexNet, v0.1) and the start-up check for its offline weights.

The lpips package ships its linear calibration layers but builds the AlexNet trunk from
torchvision's ImageNet checkpoint, which torchvision downloads into torch's hub cache on first
use. Offline, that download fails deep inside the first evaluation (after a whole training run);
:func:`check_lpips_weights` lets a run stop before it starts instead.
"""
import contextlib
import io
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn

from ..utils.errors import ConfigError
from .evaluator_config import drop_metric_option, video_metrics_asking_for
from .metric_table import DEFAULT_METRIC_NAMES

ALEXNET_CHECKPOINT = 'alexnet-owt-7be5be79.pth'
ALEXNET_URL = f'https://download.pytorch.org/models/{ALEXNET_CHECKPOINT}'
EVALUATOR_KEYS = ('val_evaluator', 'test_evaluator')


def alexnet_checkpoint_dir() -> str:
    """Where torchvision looks for ImageNet checkpoints: ``torch.hub.get_dir()/checkpoints``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def evaluators_using_lpips(cfg: Any, keys: Sequence[str] = EVALUATOR_KEYS
                           ) -> Dict[str, List[str]]:
    """``{option path: metric names without lpips}`` of the metrics that need AlexNet.

    ``cfg`` is an MMEngine Config or a dict; only the evaluators under ``keys`` are read.
    """
    return {path: rest
            for path, (metric, rest) in video_metrics_asking_for(cfg, 'lpips', keys).items()
            if metric.get('lpips_pretrained_backbone', True)}


def check_lpips_weights(cfg: Optional[Any] = None, keys: Sequence[str] = EVALUATOR_KEYS,
                        metric_names: Optional[Sequence[str]] = None) -> Optional[str]:
    """The AlexNet checkpoint's path; a one-line ConfigError says how to fix its absence.

    With a config, only its evaluators under ``keys`` count (``('val_evaluator',)`` for a
    training run, ``('test_evaluator',)`` for a test run): None when none asks for LPIPS, and
    the error gives the exact option that turns LPIPS off for this config. Without one (a
    metric checking itself), the option is an example built from ``metric_names``.
    """
    if cfg is not None:
        without_lpips = evaluators_using_lpips(cfg, keys)
        if not without_lpips:
            return None
        how = f'turn LPIPS off with {drop_metric_option(without_lpips)}'
    else:
        rest = [n for n in (metric_names or DEFAULT_METRIC_NAMES) if n != 'lpips']
        how = (f'turn LPIPS off by dropping \'lpips\' from the evaluator\'s metric_names, e.g. '
               f'{drop_metric_option({"test_evaluator": rest})}')
    path = osp.join(alexnet_checkpoint_dir(), ALEXNET_CHECKPOINT)
    if not osp.isfile(path):
        raise ConfigError(
            f'LPIPS needs torchvision\'s AlexNet weights {ALEXNET_CHECKPOINT} in '
            f'{alexnet_checkpoint_dir()} (download {ALEXNET_URL} into that folder), or {how}')
    return path


def build_lpips(pretrained_backbone: bool = True,
                device: Optional[Union[str, torch.device]] = None) -> nn.Module:
    """LPIPS (AlexNet trunk, v0.1 calibration), frozen, in eval mode, built without console output.

    ``pretrained_backbone=False`` gives a randomly initialised trunk (tests, no download); the
    calibrated linear layers are always loaded from the lpips package.
    """
    if pretrained_backbone:
        check_lpips_weights()
    import lpips  # imports torchvision: slow, and only needed when LPIPS is asked for

    # lpips prints a banner and passes torchvision's deprecated `pretrained=` argument.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter('ignore', UserWarning)
        net = lpips.LPIPS(net='alex', version='0.1', pnet_rand=not pretrained_backbone,
                          verbose=False)
    net.eval().requires_grad_(False)
    return net.to(device) if device is not None else net
