"""FVD's network (I3D on Kinetics-400, StyleGAN-V's TorchScript): loading it, and the start-up
check for its offline weights.

The network is the TorchScript port of the TF-Hub I3D that the original FVD uses
(``i3d_torchscript.pt``, StyleGAN-V; universome/fvd-comparison shows it gives the TF numbers),
called as the PyTorch FVD implementations call it: ``net(x, rescale=False, resize=False,
return_features=True)`` with ``x`` [B, 3, T, 224, 224] in [-1, 1], returning the 400 logits
before the softmax. predbench resizes and scales the clips itself (``fvd_features.py``).

The weights are never downloaded at run time: like LPIPS's AlexNet, a missing file stops a run
at start-up with one line saying where to get it and where to put it.
"""
import os.path as osp
import warnings
from typing import Any, List, Optional, Sequence, Union

import torch
import torch.nn as nn

from ..utils.errors import CheckpointError, ConfigError
from .evaluator_config import drop_metric_option, video_metrics_asking_for

I3D_CHECKPOINT = 'i3d_torchscript.pt'
I3D_URL = 'https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1'
EVALUATOR_KEYS = ('val_evaluator', 'test_evaluator')


def default_fvd_model_path() -> str:
    """Where FVD looks for the network unless told: ``torch.hub.get_dir()/checkpoints``, beside
    the checkpoints torchvision downloads (LPIPS's AlexNet)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', I3D_CHECKPOINT)


def _missing_message(path: str, option_key: str, how_off: str) -> str:
    return (f'FVD needs the Kinetics-400 I3D network {I3D_CHECKPOINT} (StyleGAN-V\'s TorchScript '
            f'export) at {path}: download {I3D_URL} to that path or name your copy with '
            f'--cfg-options {option_key}.fvd_model=PATH, or {how_off}')


def check_fvd_weights(cfg: Optional[Any] = None, keys: Sequence[str] = EVALUATOR_KEYS,
                      metric_names: Optional[Sequence[str]] = None,
                      fvd_model: Optional[str] = None) -> List[str]:
    """The I3D files the evaluators (or one metric) will load; a one-line ConfigError says how
    to fix a missing one.

    With a config, only its evaluators under ``keys`` count, each VideoMetric with its own
    ``fvd_model`` (default :func:`default_fvd_model_path`), and the error gives the exact option
    that turns FVD off for this config. Without one (a metric checking itself, with
    ``metric_names`` and ``fvd_model``), the option is an example. An empty list: nothing asks
    for FVD.
    """
    if cfg is not None:
        wanted = {path: (metric.get('fvd_model'), rest)
                  for path, (metric, rest) in video_metrics_asking_for(cfg, 'fvd', keys).items()}
    else:
        names = list(metric_names or ())  # FVD is never a default metric
        if 'fvd' not in names:
            return []
        wanted = {'test_evaluator': (fvd_model, [n for n in names if n != 'fvd'])}
    paths = []
    for option_key, (path, _) in wanted.items():
        path = osp.expanduser(path) if path else default_fvd_model_path()
        if not osp.isfile(path):
            off = drop_metric_option({k: rest for k, (_, rest) in wanted.items()})
            how = (f'turn FVD off with {off}' if cfg is not None else
                   f'turn FVD off by dropping \'fvd\' from the evaluator\'s metric_names, e.g. '
                   f'{off}')
            raise ConfigError(_missing_message(path, option_key, how))
        paths.append(path)
    return paths


def build_fvd_net(fvd_model: Optional[str] = None,
                  device: Optional[Union[str, torch.device]] = None) -> nn.Module:
    """The I3D TorchScript network from ``fvd_model`` (default :func:`default_fvd_model_path`),
    frozen, in eval mode, on ``device``."""
    path = check_fvd_weights(metric_names=('fvd', ), fvd_model=fvd_model)[0]
    try:
        with warnings.catch_warnings():  # torch 2.9+ calls TorchScript deprecated; the file is one
            warnings.simplefilter('ignore', FutureWarning)
            net = torch.jit.load(path, map_location=device or 'cpu')
    except (RuntimeError, ValueError) as err:
        raise CheckpointError(
            f'{path} is not a TorchScript file ({str(err).splitlines()[0][:80]}): FVD loads '
            f'StyleGAN-V\'s TorchScript I3D {I3D_CHECKPOINT} ({I3D_URL}); a state dict would '
            f'need its network\'s code, which predbench does not ship') from None
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
