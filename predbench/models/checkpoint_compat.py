"""What a PredRNN checkpoint says about the architecture it was trained with.

The original release saves ``{'net_param': RNN.state_dict()}`` with keys
``cell_list.{i}.conv_x.0.weight`` (``.1.weight``/``.1.bias`` for LayerNorm), ``conv_h``,
``conv_m``, ``conv_o``, ``cell_list.{i}.conv_last.weight``, ``conv_last.weight`` and, for
PredRNN-V2, ``adapter.weight``. Its action-conditioned models add ``cell_list.{i}.conv_a`` (and
biases on every cell convolution) and, with ``conv_on_input=1``, the encoder/decoder
``conv_input1/2``, ``action_conv_input1/2``, ``deconv_output1/2`` instead of ``conv_last``.
predbench's backbones use the same names under ``backbone.``, so loading is a rename (done by the
one checked loader, ``predbench/engine/weights.py``); this module turns a mismatch into the config
option to change.
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


def is_action_conditioned(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """Whether an ST-LSTM stack's cells read actions (the original's action_cond_* models)."""
    return any(k.startswith('cell_list.') and '.conv_a.' in k for k in state_dict)


def _in_channels(state_dict: Mapping[str, torch.Tensor], key: str) -> Optional[int]:
    weight = state_dict.get(key)
    return int(weight.shape[1]) if torch.is_tensor(weight) and weight.dim() == 4 else None


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
        action_conditioned=is_action_conditioned(state_dict),
        conv_on_input='conv_input1.weight' in state_dict,
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
    if arch['action_conditioned']:
        kind = 'ActionCondPredRNNv2' if arch['v2'] else 'ActionCondPredRNN'
        return [f'the checkpoint is an action-conditioned model (it has cell_list.0.conv_a.*): '
                f'use configs/action_cond_predrnn{"_v2" if arch["v2"] else ""}_bair.py or '
                f'--cfg-options model.backbone.type={kind}']
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


def _option_hint(option: str, found, configured, why: str) -> str:
    return (f'the checkpoint was trained with {option}={found} ({why}) but the config has '
            f'model.backbone.{option}={configured}: pass --cfg-options '
            f'model.backbone.{option}={found}')


def action_cond_checkpoint_hints(backbone, state_dict: Mapping[str, torch.Tensor]) -> List[str]:
    """The config options to change so that an action-conditioned backbone fits a state dict."""
    from .action_cond_predrnn import ActionCondPredRNNv2
    if not looks_like_predrnn(state_dict):
        return ['it does not hold an ST-LSTM stack (no cell_list.0.conv_x.0.weight): it is not '
                'an action-conditioned PredRNN checkpoint']
    arch = infer_predrnn_arch(state_dict)
    if not arch['action_conditioned']:
        kind = 'PredRNNv2' if arch['v2'] else 'PredRNN'
        return [f'the checkpoint is a plain {kind} without actions (no cell_list.*.conv_a): use '
                f'a predrnn{"_v2" if arch["v2"] else ""}_* config or --cfg-options '
                f'model.backbone.type={kind}']
    hints = []
    is_v2 = isinstance(backbone, ActionCondPredRNNv2)
    if arch['v2'] and not is_v2:
        hints.append('the checkpoint is ActionCondPredRNNv2 (it has adapter.weight) but the '
                     f'config builds {type(backbone).__name__}: use '
                     'configs/action_cond_predrnn_v2_bair.py or --cfg-options '
                     'model.backbone.type=ActionCondPredRNNv2')
    elif is_v2 and not arch['v2']:
        hints.append('the checkpoint is ActionCondPredRNN (v1: it has no adapter.weight) but the '
                     'config builds ActionCondPredRNNv2: use configs/action_cond_predrnn_bair.py '
                     '(model.backbone.type=ActionCondPredRNN, without decouple_beta)')
    coi = int(arch['conv_on_input'])
    if not coi and _in_channels(state_dict, 'cell_list.0.conv_a.0.weight') == \
            _width(state_dict, 0) != backbone.num_action_ch:
        hints.append('the checkpoint has the original release\'s conv_on_input=0 layout '
                     '(conv_a reads N channels), which the original cannot run (its forward '
                     'fails at the first step), so it holds no trained weights; predbench runs '
                     'conv_on_input=0 with conv_a on the actions (docs/action_conditioned.md): '
                     'train it, or use a conv_on_input=1 checkpoint')
        return hints
    if coi != int(backbone.conv_on_input):
        why = ('it has the encoder conv_input1.weight' if coi
               else 'it has the top-level conv_last.weight and no encoder')
        hints.append(_option_hint('conv_on_input', coi, int(backbone.conv_on_input), why))
    if arch['layer_norm'] != backbone.layer_norm:
        state = 'present' if arch['layer_norm'] else 'absent'
        hints.append(_option_hint('layer_norm', arch['layer_norm'], backbone.layer_norm,
                                  f'LayerNorm keys cell_list.*.conv_x.1.* are {state}'))
    widths = arch['num_hidden']
    if None not in widths and list(widths) != list(backbone.num_hidden):
        hints.append(f'the checkpoint has {len(widths)} layers of widths {widths} but the config '
                     f'has model.backbone.num_hidden={list(backbone.num_hidden)}: pass '
                     f'--cfg-options "model.backbone.num_hidden={list(widths)}"')
    kernel = state_dict.get('cell_list.0.conv_h.0.weight')
    if torch.is_tensor(kernel) and kernel.dim() == 4 and kernel.shape[-1] != backbone.filter_size:
        hints.append(_option_hint('filter_size', int(kernel.shape[-1]), backbone.filter_size,
                                  f'{kernel.shape[-1]}x{kernel.shape[-1]} kernels'))
    if coi == int(backbone.conv_on_input):
        if coi:
            frame_in = _in_channels(state_dict, 'conv_input1.weight')
            action_in = _in_channels(state_dict, 'action_conv_input1.weight')
        else:
            action_in = _in_channels(state_dict, 'cell_list.0.conv_a.0.weight')
            x_in = _in_channels(state_dict, 'cell_list.0.conv_x.0.weight')
            frame_in = None if x_in is None or action_in is None else x_in - action_in
        if action_in is not None and action_in != backbone.num_action_ch:
            hints.append(_option_hint('num_action_ch', action_in, backbone.num_action_ch,
                                      f'its action convolutions read {action_in} channels'))
        if frame_in is not None and frame_in != backbone.frame_channel:
            hints.append(f'the checkpoint reads {frame_in} frame channels (= patch_size^2 x '
                         f'img_channel) but the config gives model.backbone.patch_size='
                         f'{backbone.patch_size}^2 x img_channel={backbone.img_channel} = '
                         f'{backbone.frame_channel}: set model.backbone.patch_size and '
                         f'model.backbone.img_channel to match')
    if arch['layer_norm'] and backbone.layer_norm and arch['state_size'] is not None \
            and tuple(arch['state_size']) != tuple(backbone.state_size):
        hp, wp = arch['state_size']
        scale = backbone.patch_size * (4 if backbone.conv_on_input else 1)
        hints.append(f'the checkpoint\'s LayerNorm was trained on {hp}x{wp} states but the config '
                     f'gives {backbone.state_size[0]}x{backbone.state_size[1]}: set '
                     f'model.backbone.img_size=({hp * scale}, {wp * scale})')
    return hints
