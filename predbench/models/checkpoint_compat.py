"""Checkpoints of the original PredRNN release: conversion, and clear errors on mismatch.

The original saves ``{'net_param': RNN.state_dict()}`` with keys ``cell_list.{i}.conv_x.0.weight``
(``.1.weight``/``.1.bias`` for LayerNorm), ``cell_list.{i}.conv_last.weight``,
``conv_last.weight`` and, for PredRNN-V2, ``adapter.weight``. predbench's backbones use the same
names under ``backbone.``, so conversion is a rename; what matters is saying clearly which
option to change when a checkpoint does not fit the config.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch

from ..utils.errors import CheckpointError

BACKBONE_PREFIX = 'backbone.'
_CELL_KEY = re.compile(r'^cell_list\.(\d+)\.')


def _strip(state_dict: Mapping[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def looks_like_predrnn(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """Whether a (backbone-level) state dict holds a PredRNN/PredRNN-V2 stack."""
    return 'cell_list.0.conv_x.0.weight' in state_dict and 'conv_last.weight' in state_dict


def infer_predrnn_arch(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Architecture options a PredRNN state dict (without ``backbone.``) was trained with."""
    layers = sorted({int(m.group(1)) for k in state_dict for m in [_CELL_KEY.match(k)] if m})
    w_x = state_dict['cell_list.0.conv_x.0.weight']
    arch = dict(
        v2='adapter.weight' in state_dict,
        num_hidden=[int(state_dict[f'cell_list.{i}.conv_h.0.weight'].shape[1]) for i in layers],
        filter_size=int(w_x.shape[-1]),
        in_channels=int(w_x.shape[1]),
        layer_norm='cell_list.0.conv_x.1.weight' in state_dict,
        state_size=None,
    )
    if arch['layer_norm']:
        arch['state_size'] = tuple(int(s) for s in state_dict['cell_list.0.conv_x.1.weight']
                                   .shape[1:])
    return arch


def convert_thuml_state_dict(net_param: Mapping[str, torch.Tensor]) -> 'OrderedDict':
    """Original ``net_param`` -> predbench ``state_dict`` (keys under ``backbone.``)."""
    if not looks_like_predrnn(net_param):
        raise CheckpointError(
            'net_param does not look like a PredRNN model of the original release (no '
            'cell_list.0.conv_x.0.weight / conv_last.weight keys)')
    return OrderedDict((BACKBONE_PREFIX + k, v) for k, v in net_param.items())


def _backbone_of(model):
    return getattr(model, 'backbone', model)


def _predrnn_mismatches(backbone, arch: dict) -> List[str]:
    """Human-readable differences between a PredRNN backbone and a checkpoint's architecture."""
    from .predrnn import PredRNNv2
    problems = []
    is_v2 = isinstance(backbone, PredRNNv2)
    if arch['v2'] and not is_v2:
        problems.append(
            'the checkpoint is a PredRNN-V2 model (it has adapter.weight) but the config builds '
            f'{type(backbone).__name__}: use a predrnn_v2_* config or '
            '--cfg-options model.backbone.type=PredRNNv2')
    elif not arch['v2'] and is_v2:
        problems.append(
            'the checkpoint is a PredRNN (v1) model (no adapter.weight) but the config builds '
            'PredRNNv2: use a predrnn_* config or --cfg-options model.backbone.type=PredRNN')
    if arch['layer_norm'] != backbone.layer_norm:
        state = 'on' if arch['layer_norm'] else 'off'
        problems.append(
            f'the checkpoint was trained with layer_norm {state} (LayerNorm keys '
            f'cell_list.*.conv_x.1.* are {"present" if arch["layer_norm"] else "absent"}) but '
            f'the config has model.backbone.layer_norm={backbone.layer_norm}: pass '
            f'--cfg-options model.backbone.layer_norm={arch["layer_norm"]}')
    if list(arch['num_hidden']) != list(backbone.num_hidden):
        problems.append(
            f'the checkpoint has {len(arch["num_hidden"])} layers of widths '
            f'{arch["num_hidden"]} but the config has model.backbone.num_hidden='
            f'{list(backbone.num_hidden)}: pass --cfg-options '
            f'"model.backbone.num_hidden={list(arch["num_hidden"])}"')
    if arch['filter_size'] != backbone.filter_size:
        problems.append(
            f'the checkpoint has {arch["filter_size"]}x{arch["filter_size"]} kernels but the '
            f'config has model.backbone.filter_size={backbone.filter_size}: pass --cfg-options '
            f'model.backbone.filter_size={arch["filter_size"]}')
    if arch['in_channels'] != backbone.frame_channel:
        problems.append(
            f'the checkpoint takes {arch["in_channels"]} input channels (= patch_size^2 x '
            f'img_channel) but the config gives model.backbone.patch_size={backbone.patch_size}'
            f'^2 x img_channel={backbone.img_channel} = {backbone.frame_channel}: set '
            f'model.backbone.patch_size and model.backbone.img_channel to match')
    if arch['layer_norm'] and backbone.layer_norm and arch['state_size'] is not None:
        size = tuple(s // backbone.patch_size for s in backbone.img_size)
        if tuple(arch['state_size']) != size:
            hp, wp = arch['state_size']
            problems.append(
                f'the checkpoint\'s LayerNorm was trained on {hp}x{wp} states (img_size / '
                f'patch_size) but the config gives {size[0]}x{size[1]}: set model.backbone.'
                f'img_size=({hp * backbone.patch_size}, {wp * backbone.patch_size})')
    return problems


def _generic_mismatches(model, state_dict: Mapping[str, torch.Tensor]) -> List[str]:
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = sorted(k for k in set(own) & set(state_dict)
                    if tuple(own[k].shape) != tuple(state_dict[k].shape))
    problems = []
    if missing:
        problems.append(f'{len(missing)} parameters of the model are missing from the checkpoint '
                        f'(e.g. {missing[:3]})')
    if unexpected:
        problems.append(f'{len(unexpected)} checkpoint entries are not in the model '
                        f'(e.g. {unexpected[:3]})')
    for k in shapes[:3]:
        problems.append(f'{k} has shape {list(state_dict[k].shape)} in the checkpoint but '
                        f'{list(own[k].shape)} in the model')
    return problems


def check_checkpoint_fits(model, state_dict: Mapping[str, torch.Tensor],
                          source: Optional[str] = None) -> None:
    """Raise a CheckpointError naming the config option to change when the weights do not fit."""
    from .predrnn import PredRNN
    state_dict = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    backbone = _backbone_of(model)
    backbone_sd = _strip(state_dict, BACKBONE_PREFIX) if backbone is not model else state_dict
    where = f'checkpoint {source}' if source else 'checkpoint'
    if isinstance(backbone, PredRNN) and looks_like_predrnn(backbone_sd):
        problems = _predrnn_mismatches(backbone, infer_predrnn_arch(backbone_sd))
    elif isinstance(backbone, PredRNN):
        problems = ['it does not hold a PredRNN backbone (no backbone.cell_list.0.conv_x.0.weight)'
                    '; a checkpoint of the original release must first be converted with '
                    'python tools/convert_thuml_ckpt.py SRC DST']
    else:
        problems = _generic_mismatches(model, state_dict)
    if problems:
        raise CheckpointError(f'{where} does not fit the model: ' + '; '.join(problems))
