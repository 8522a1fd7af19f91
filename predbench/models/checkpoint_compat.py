"""What a PredRNN checkpoint says about the architecture it was trained with.

The original release saves ``{'net_param': RNN.state_dict()}`` with keys
``cell_list.{i}.conv_x.0.weight`` (``.1.weight``/``.1.bias`` for LayerNorm), ``conv_h``,
``conv_m``, ``conv_o``, ``cell_list.{i}.conv_last.weight``, ``conv_last.weight`` and, for
PredRNN-V2, ``adapter.weight``. predbench's backbones use the same names under ``backbone.``, so
loading is a rename (done by the one checked loader, ``predbench/engine/weights.py``); this module
turns a mismatch into the config option to change.
"""
import re
from typing import List, Mapping, Optional

import torch

_CELL_KEY = re.compile(r'^cell_list\.(\d+)\.')
#: Convolution blocks every ST-LSTM cell has (``<name>.0.weight``), and the 1x1 one.
CELL_BLOCKS = ('conv_x', 'conv_h', 'conv_m', 'conv_o')
GATES_PER_BLOCK = {'conv_x': 7, 'conv_h': 4, 'conv_m': 3, 'conv_o': 1}


def looks_like_predrnn(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """Whether a backbone-level state dict holds an ST-LSTM stack (PredRNN/PredRNN-V2)."""
    return 'cell_list.0.conv_x.0.weight' in state_dict


def _width(state_dict: Mapping[str, torch.Tensor], layer: int) -> Optional[int]:
    """Layer width N from whichever of the cell's kernels is present."""
    for block, gates in GATES_PER_BLOCK.items():
        weight = state_dict.get(f'cell_list.{layer}.{block}.0.weight')
        if torch.is_tensor(weight) and weight.dim() == 4:
            return int(weight.shape[0]) // gates
    return None


def infer_predrnn_arch(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Architecture options of a backbone-level PredRNN state dict (missing keys tolerated)."""
    layers = sorted({int(m.group(1)) for k in state_dict for m in [_CELL_KEY.match(k)] if m})
    w_x = state_dict.get('cell_list.0.conv_x.0.weight')
    norm = state_dict.get('cell_list.0.conv_x.1.weight')
    return dict(
        v2='adapter.weight' in state_dict,
        num_hidden=[_width(state_dict, i) for i in layers],
        filter_size=int(w_x.shape[-1]) if torch.is_tensor(w_x) and w_x.dim() == 4 else None,
        in_channels=int(w_x.shape[1]) if torch.is_tensor(w_x) and w_x.dim() == 4 else None,
        layer_norm=any(k.endswith('conv_x.1.weight') for k in state_dict),
        state_size=tuple(int(s) for s in norm.shape[1:]) if torch.is_tensor(norm) else None,
    )


def missing_predrnn_keys(state_dict: Mapping[str, torch.Tensor]) -> List[str]:
    """Keys an ST-LSTM stack with the layers and options found in ``state_dict`` must have."""
    arch = infer_predrnn_arch(state_dict)
    layers = sorted({int(m.group(1)) for k in state_dict for m in [_CELL_KEY.match(k)] if m})
    needed = ['conv_last.weight'] + (['adapter.weight'] if arch['v2'] else [])
    for i in layers:
        for block in CELL_BLOCKS:
            needed.append(f'cell_list.{i}.{block}.0.weight')
            if arch['layer_norm']:
                needed += [f'cell_list.{i}.{block}.1.weight', f'cell_list.{i}.{block}.1.bias']
        needed.append(f'cell_list.{i}.conv_last.weight')
    if layers and layers != list(range(len(layers))):
        needed += [f'cell_list.{i}.conv_x.0.weight' for i in range(max(layers) + 1)
                   if i not in layers]
    return [k for k in needed if k not in state_dict]


def predrnn_checkpoint_hints(backbone, state_dict: Mapping[str, torch.Tensor]) -> List[str]:
    """The config options to change so that ``backbone`` fits a backbone-level state dict."""
    from .predrnn import PredRNNv2
    if not looks_like_predrnn(state_dict):
        return ['it does not hold an ST-LSTM stack (no cell_list.0.conv_x.0.weight): it is not '
                'a PredRNN/PredRNN-V2 checkpoint']
    arch = infer_predrnn_arch(state_dict)
    hints = []
    is_v2 = isinstance(backbone, PredRNNv2)
    if arch['v2'] and not is_v2:
        hints.append(
            'the checkpoint is a PredRNN-V2 model (it has adapter.weight) but the config builds '
            f'{type(backbone).__name__}: use a predrnn_v2_* config or '
            '--cfg-options model.backbone.type=PredRNNv2')
    elif not arch['v2'] and is_v2:
        hints.append(
            'the checkpoint is a PredRNN (v1) model (no adapter.weight) but the config builds '
            'PredRNNv2: use a predrnn_* config or --cfg-options model.backbone.type=PredRNN')
    if arch['layer_norm'] != backbone.layer_norm:
        state = 'on' if arch['layer_norm'] else 'off'
        hints.append(
            f'the checkpoint was trained with layer_norm {state} (LayerNorm keys '
            f'cell_list.*.conv_x.1.* are {"present" if arch["layer_norm"] else "absent"}) but '
            f'the config has model.backbone.layer_norm={backbone.layer_norm}: pass '
            f'--cfg-options model.backbone.layer_norm={arch["layer_norm"]}')
    widths = arch['num_hidden']
    if None not in widths and list(widths) != list(backbone.num_hidden):
        hints.append(
            f'the checkpoint has {len(widths)} layers of widths {widths} but the config has '
            f'model.backbone.num_hidden={list(backbone.num_hidden)}: pass --cfg-options '
            f'"model.backbone.num_hidden={list(widths)}"')
    if arch['filter_size'] is not None and arch['filter_size'] != backbone.filter_size:
        hints.append(
            f'the checkpoint has {arch["filter_size"]}x{arch["filter_size"]} kernels but the '
            f'config has model.backbone.filter_size={backbone.filter_size}: pass --cfg-options '
            f'model.backbone.filter_size={arch["filter_size"]}')
    if arch['in_channels'] is not None and arch['in_channels'] != backbone.frame_channel:
        hints.append(
            f'the checkpoint takes {arch["in_channels"]} input channels (= patch_size^2 x '
            f'img_channel) but the config gives model.backbone.patch_size={backbone.patch_size}'
            f'^2 x img_channel={backbone.img_channel} = {backbone.frame_channel}: set '
            f'model.backbone.patch_size and model.backbone.img_channel to match')
    if arch['layer_norm'] and backbone.layer_norm and arch['state_size'] is not None:
        size = tuple(s // backbone.patch_size for s in backbone.img_size)
        if tuple(arch['state_size']) != size:
            hp, wp = arch['state_size']
            hints.append(
                f'the checkpoint\'s LayerNorm was trained on {hp}x{wp} states (img_size / '
                f'patch_size) but the config gives {size[0]}x{size[1]}: set model.backbone.'
                f'img_size=({hp * backbone.patch_size}, {wp * backbone.patch_size})')
    return hints
