"""FVD's network (I3D on Kinetics-400): loading it, and the start-up check of its offline file.

The default network is StyleGAN-V's TorchScript port of the TF-Hub I3D that the original FVD
uses (``i3d_torchscript.pt``; universome/fvd-comparison compares its outputs with TF-Hub's),
called as fvd-comparison and common_metrics_on_video_quality call it: ``net(x, rescale=False,
resize=False, return_features=True)`` with ``x`` [B, 3, T, 224, 224] in [-1, 1], returning the
400 logits before the softmax. predbench resizes and scales the clips itself
(``fvd_features.py``).

A state dict (``fvd_model``) needs its network's code: ``fvd_arch`` names an ``nn.Module``
registered in ``MODELS`` with the same call, and the weights go through predbench's one checked
loader (``engine/weights.py``: weights-only reading, strict key and shape checks). The engine
layer sits above this one (docs/architecture.md), so it installs that loader here when it is
imported (:func:`use_state_dict_loader`), as every run and ``register_all_modules()`` do.

The file is never downloaded at run time: like LPIPS's AlexNet, a missing file stops a run at
start-up with one line saying where to get it and where to put it.
"""
import os.path as osp
import warnings
import zipfile
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from ..utils.errors import CheckpointError, ConfigError
from .evaluator_config import drop_metric_option, video_metrics_asking_for

I3D_CHECKPOINT = 'i3d_torchscript.pt'
I3D_URL = 'https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1'
EVALUATOR_KEYS = ('val_evaluator', 'test_evaluator')

#: (module, file, source description) -> None: puts a state dict file into a module, strictly.
StateDictLoader = Callable[[nn.Module, str, str], Any]
_state_dict_loader: Optional[StateDictLoader] = None


def use_state_dict_loader(loader: StateDictLoader) -> None:
    """Install the loader that puts ``fvd_arch`` networks' weights in (``predbench.engine``
    installs its checked ``load_model_weights`` when imported)."""
    global _state_dict_loader
    _state_dict_loader = loader


def default_fvd_model_path() -> str:
    """Where FVD looks for the network unless told: ``torch.hub.get_dir()/checkpoints``, beside
    the checkpoints torchvision downloads (LPIPS's AlexNet)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', I3D_CHECKPOINT)


def is_torchscript_file(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip holding the network's ``code/``), as
    opposed to a ``torch.save`` state dict; read from the zip's index, without loading it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any('/code/' in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _arch_name(arch: Mapping) -> str:
    return str(arch.get('type', '?'))


def _missing_message(path: str, option_key: str, arch: Optional[Mapping], how_off: str) -> str:
    if arch is not None:
        return (f'FVD needs the state dict of its network {_arch_name(arch)} (fvd_arch) at '
                f'{path}: put it there or name it with --cfg-options {option_key}.fvd_model=PATH, '
                f'or {how_off}')
    return (f'FVD needs the Kinetics-400 I3D network {I3D_CHECKPOINT} (StyleGAN-V\'s TorchScript '
            f'export) at {path}: download {I3D_URL} to that path or name your copy with '
            f'--cfg-options {option_key}.fvd_model=PATH, or {how_off}')


def _fvd_file(fvd_model: Optional[str], arch: Optional[Mapping], where: str) -> str:
    """The file to load: ``fvd_model`` (``~`` expanded) or the default TorchScript path; a
    state dict (``arch``) has no default."""
    if fvd_model:
        return osp.expanduser(str(fvd_model))
    if arch is not None:
        raise ConfigError(f'{where}.fvd_arch={_arch_name(arch)} needs the file of its weights: '
                          f'set {where}.fvd_model=PATH (a state dict)')
    return default_fvd_model_path()


def _check_format(path: str, arch: Optional[Mapping]) -> None:
    """One line when the file's kind (TorchScript or state dict) does not match ``arch``."""
    scripted = is_torchscript_file(path)
    if arch is None and not scripted:
        raise CheckpointError(
            f'{path} is not a TorchScript file: FVD loads StyleGAN-V\'s TorchScript I3D '
            f'{I3D_CHECKPOINT} ({I3D_URL}); for a state dict, name its network with '
            f'fvd_arch=dict(type=...) (an nn.Module registered in MODELS, docs/metrics.md)')
    if arch is not None and scripted:
        raise CheckpointError(f'{path} is a TorchScript file, which holds its own network: '
                              f'drop fvd_arch={_arch_name(arch)} to load it as it is')


def check_fvd_weights(cfg: Optional[Any] = None, keys: Sequence[str] = EVALUATOR_KEYS,
                      metric_names: Optional[Sequence[str]] = None,
                      fvd_model: Optional[str] = None,
                      fvd_arch: Optional[Mapping] = None) -> List[str]:
    """The network files the evaluators (or one metric) will load; one-line errors say how to
    fix a missing file (ConfigError) or one of the wrong kind (CheckpointError).

    With a config, only its evaluators under ``keys`` count, each VideoMetric with its own
    ``fvd_model`` (default :func:`default_fvd_model_path`) and ``fvd_arch``, and the error
    gives the exact option that turns FVD off for this config. Without one (a metric checking
    itself, with ``metric_names``, ``fvd_model`` and ``fvd_arch``), the option is an example.
    An empty list: nothing asks for FVD.
    """
    wanted: Dict[str, Tuple[Optional[str], Optional[Mapping], List[str]]]
    if cfg is not None:
        wanted = {key: (metric.get('fvd_model'), metric.get('fvd_arch'), rest)
                  for key, (metric, rest) in video_metrics_asking_for(cfg, 'fvd', keys).items()}
    else:
        names = list(metric_names or ())  # FVD is never a default metric
        if 'fvd' not in names:
            return []
        wanted = {'test_evaluator': (fvd_model, fvd_arch, [n for n in names if n != 'fvd'])}
    paths = []
    for option_key, (model, arch, _) in wanted.items():
        path = _fvd_file(model, arch, option_key)
        if not osp.isfile(path):
            off = drop_metric_option({k: rest for k, (_, _, rest) in wanted.items()})
            how = (f'turn FVD off with {off}' if cfg is not None else
                   f'turn FVD off by dropping \'fvd\' from the evaluator\'s metric_names, e.g. '
                   f'{off}')
            raise ConfigError(_missing_message(path, option_key, arch, how))
        _check_format(path, arch)
        paths.append(path)
    return paths


def build_fvd_net(fvd_model: Optional[str] = None,
                  device: Optional[Union[str, torch.device]] = None,
                  arch: Optional[Mapping] = None) -> nn.Module:
    """FVD's network, frozen, in eval mode, on ``device``: the TorchScript file ``fvd_model``
    (default :func:`default_fvd_model_path`), or with ``arch`` (a ``MODELS`` config of an
    ``nn.Module`` with the I3D call) that module with the state dict ``fvd_model``."""
    path = check_fvd_weights(metric_names=('fvd', ), fvd_model=fvd_model, fvd_arch=arch)[0]
    if arch is None:
        try:
            with warnings.catch_warnings():  # torch 2.9+ calls TorchScript deprecated
                warnings.simplefilter('ignore', FutureWarning)
                net = torch.jit.load(path, map_location=device or 'cpu')
        except (RuntimeError, ValueError) as err:
            raise CheckpointError(f'cannot load the TorchScript file {path}: '
                                  f'{str(err).strip().splitlines()[0][:120]}') from None
    else:
        if _state_dict_loader is None:
            raise ConfigError('a state-dict FVD network (fvd_arch) loads through predbench\'s '
                              'checked weights loader: import predbench.engine first (or call '
                              'predbench.utils.setup_env.register_all_modules())')
        net = MODELS.build(dict(arch))
        _state_dict_loader(net, path, f'FVD weights {path}')
        net = net.to(device) if device is not None else net
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
