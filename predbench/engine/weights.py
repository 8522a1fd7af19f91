"""The one checked loader of model weights, for every checkpoint layout predbench accepts.

Every place that puts weights into a model (``--resume``, ``load_from``, ``tools/test.py``,
``init_model``, the converters, the benchmark suites) calls :func:`load_model_weights`. It

* reads the file weights-only (:func:`~predbench.engine.checkpoint_io.read_checkpoint`);
* finds the state dict whatever the layout: predbench/MMEngine ``{'state_dict': ..., 'meta': ...}``,
  the original PredRNN release's ``{'net_param': backbone state dict}``, OpenSTL's
  ``torch.save(model.state_dict())`` (backbone keys) or its training checkpoints
  ``{'state_dict': {'model.<key>': ...}}``, with or without DDP's ``module.`` prefix;
* maps backbone-level keys under ``backbone.``, and drops the keys a reference implementation holds
  but never uses (a backbone lists them as regexes in ``reference_unused_keys``), naming them in a
  note;
* refuses, in one line, any missing, unexpected or mis-shaped key, naming the keys and, where the
  backbone can tell (``explain_checkpoint_mismatch``), the config option to change. A checkpoint
  is never loaded partly: no layer stays randomly initialised.
"""
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch
import torch.nn as nn

from ..evaluation.fvd_model import use_state_dict_loader
from ..utils.errors import CheckpointError
from .checkpoint_io import read_checkpoint

BACKBONE_PREFIX = 'backbone.'
#: Prefixes that wrappers add in front of a model's own keys (DDP, OpenSTL's Lightning module).
WRAPPER_PREFIXES = ('module.', 'model.')
MAX_NAMED_KEYS = 8

#: Layout names, as reported in notes and the converters' metadata.
PREDBENCH, THUML, BACKBONE_ONLY = 'predbench', 'thuml', 'backbone'


@dataclass
class LoadedWeights:
    """What :func:`load_model_weights` found: the layout, notes for the user, the file's meta."""
    layout: str
    notes: List[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    checkpoint: Any = None


def _name_keys(keys: List[str]) -> str:
    shown = ', '.join(keys[:MAX_NAMED_KEYS])
    return shown + (f' and {len(keys) - MAX_NAMED_KEYS} more' if len(keys) > MAX_NAMED_KEYS else '')


def extract_state_dict(checkpoint: Any, source: str) -> Tuple[Dict[str, torch.Tensor], str]:
    """(state dict, layout) of a loaded checkpoint; one-line errors for anything else."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{source} holds a {type(checkpoint).__name__}, not a state dict '
                              f'(a dict of parameter tensors)')
    if 'net_param' in checkpoint:
        state_dict, layout, key = checkpoint['net_param'], THUML, "'net_param'"
    elif 'state_dict' in checkpoint:
        state_dict, layout, key = checkpoint['state_dict'], PREDBENCH, "'state_dict'"
    else:
        state_dict, layout, key = checkpoint, BACKBONE_ONLY, None
    where = f'{source}[{key}]' if key else source
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(f'{where} is a {type(state_dict).__name__}, not a state dict (a '
                              f'dict of parameter tensors)')
    if not state_dict:
        return {}, layout
    others = sorted(str(k) for k, v in state_dict.items() if not torch.is_tensor(v))
    if others:
        raise CheckpointError(f'{where} is not a state dict: entries {_name_keys(others)} are not '
                              f'tensors')
    return dict(state_dict), layout


def _renamings(state_dict: Dict[str, torch.Tensor], with_backbone: bool):
    """Candidate key mappings: wrapper prefixes removed or not, ``backbone.`` added or not."""
    variants = [state_dict]
    for prefix in WRAPPER_PREFIXES:
        for variant in list(variants):
            if variant and all(k.startswith(prefix) for k in variant):
                variants.append({k[len(prefix):]: v for k, v in variant.items()})
    if with_backbone:
        variants += [{BACKBONE_PREFIX + k: v for k, v in variant.items()} for variant in variants]
    return variants


def _rename_for(model_keys: set, state_dict: Dict[str, torch.Tensor],
                with_backbone: bool) -> Dict[str, torch.Tensor]:
    """The candidate renaming that matches most of the model's keys (the simplest on a tie)."""
    best, best_overlap = state_dict, -1
    for variant in _renamings(state_dict, with_backbone):
        overlap = len(model_keys & set(variant))
        if overlap > best_overlap:
            best, best_overlap = variant, overlap
    return best


def _backbone(model: nn.Module) -> Optional[nn.Module]:
    backbone = getattr(model, 'backbone', None)
    return backbone if isinstance(backbone, nn.Module) else None


def fit_state_dict(model: nn.Module, state_dict: Dict[str, torch.Tensor], source: str,
                   layout: str = PREDBENCH) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """``state_dict`` renamed for ``model`` and checked key by key; (state dict, notes)."""
    own = model.state_dict()
    backbone = _backbone(model)
    state_dict = _rename_for(set(own), state_dict, backbone is not None)
    notes = []
    if backbone is not None:
        patterns = [re.compile(p) for p in getattr(backbone, 'reference_unused_keys', ())]
        unused = sorted(k for k in state_dict if k not in own and k.startswith(BACKBONE_PREFIX)
                        and any(p.search(k[len(BACKBONE_PREFIX):]) for p in patterns))
        if unused:
            state_dict = {k: v for k, v in state_dict.items() if k not in unused}
            notes.append(f'ignored {len(unused)} parameters that the reference model holds but '
                         f'never uses: {_name_keys(unused)}')
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = sorted(k for k in set(own) & set(state_dict)
                    if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or shapes:
        problems = []
        explain = getattr(backbone, 'explain_checkpoint_mismatch', None)
        if explain is not None:
            problems += explain(_backbone_level(state_dict))
        if missing:
            problems.append(f'missing from the checkpoint: {_name_keys(missing)}')
        if unexpected:
            problems.append(f'not in the model: {_name_keys(unexpected)}')
        for k in shapes[:3]:
            problems.append(f'{k} has shape {list(state_dict[k].shape)} in the checkpoint but '
                            f'{list(own[k].shape)} in the model')
        raise CheckpointError(f'{source} does not fit the model of the config '
                              f'({type(backbone or model).__name__}): ' + '; '.join(problems))
    return state_dict, notes


def _backbone_level(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {k[len(BACKBONE_PREFIX):]: v for k, v in state_dict.items()
            if k.startswith(BACKBONE_PREFIX)}


def load_model_weights(model: nn.Module, checkpoint: Union[str, Mapping],
                       source: Optional[str] = None,
                       map_location: Union[str, torch.device, None] = 'cpu') -> LoadedWeights:
    """Load a checkpoint file (or an already-read checkpoint) into ``model``, strictly.

    Returns the layout found, notes for the user (e.g. ignored unused reference parameters), the
    file's ``meta`` and the whole checkpoint (for resuming).
    """
    if isinstance(checkpoint, (str, bytes)) or hasattr(checkpoint, '__fspath__'):
        source = source or f'checkpoint {checkpoint}'
        checkpoint = read_checkpoint(str(checkpoint), map_location=map_location)
    source = source or 'checkpoint'
    state_dict, layout = extract_state_dict(checkpoint, source)
    state_dict, notes = fit_state_dict(model, state_dict, source, layout)
    model.load_state_dict(state_dict, strict=True)
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, Mapping) else {}
    return LoadedWeights(layout, notes, meta if isinstance(meta, dict) else {}, checkpoint)


# FVD's state-dict networks (evaluation/fvd_model.py, a layer below) load through this loader.
use_state_dict_loader(lambda model, path, source: load_model_weights(model, path, source))
