"""Converting reference checkpoints (the original PredRNN release, OpenSTL) for predbench.

Both converters (``tools/convert_thuml_ckpt.py``, ``tools/convert_openstl_ckpt.py``) are this
module: the source is read weights-only, its state dict is found and renamed by the one checked
loader (``engine/weights.py``), checked against the config's model *before* anything is written,
and written atomically; on any failure no destination file exists. Parameters a reference model
holds but never uses are dropped and named in the output.
"""
import argparse
import io
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional

import torch

from ..engine.checkpoint_io import read_checkpoint
from ..engine.weights import THUML, extract_state_dict, fit_state_dict
from ..models.checkpoint_compat import infer_predrnn_arch, looks_like_predrnn, missing_predrnn_keys
from ..utils.errors import CheckpointError
from ..utils.fileio import atomic_write_bytes
from .cli import add_cfg_options_argument

REFERENCES = {
    'thuml': 'the original PredRNN release (thuml/predrnn-pytorch)',
    'openstl': 'OpenSTL (chengtan9907/OpenSTL)',
}
#: Keys of the original release's plain PredRNN/PredRNN-V2 backbone (no action conditioning).
_PLAIN_PREDRNN_TOP_LEVEL = ('cell_list.', 'conv_last.', 'adapter.')


@dataclass
class Conversion:
    """What a conversion found and wrote."""
    src: str
    dst: str
    reference: str
    checked_against: Optional[str]
    notes: List[str] = field(default_factory=list)
    arch: dict = field(default_factory=dict)


def _source_state_dict(src: str, reference: str) -> dict:
    checkpoint = read_checkpoint(src)
    state_dict, layout = extract_state_dict(checkpoint, src)
    if reference == 'thuml' and layout != THUML:
        found = sorted(checkpoint)[:5] if isinstance(checkpoint, Mapping) else []
        raise CheckpointError(
            f'{src} is not a checkpoint of {REFERENCES["thuml"]}: no "net_param" entry (found '
            f'{found}); an OpenSTL state dict is converted by tools/convert_openstl_ckpt.py')
    if reference == 'openstl' and layout == THUML:
        raise CheckpointError(f'{src} is a checkpoint of {REFERENCES["thuml"]} ("net_param"): '
                              f'convert it with tools/convert_thuml_ckpt.py')
    if not state_dict:
        raise CheckpointError(f'{src} holds an empty state dict')
    return state_dict


def _check_plain_predrnn(src: str, state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Without a config: the state dict must be a complete plain PredRNN/PredRNN-V2 stack."""
    plain = looks_like_predrnn(state_dict) and all(
        k.startswith(_PLAIN_PREDRNN_TOP_LEVEL) for k in state_dict)
    if not plain:
        raise CheckpointError(f'{src} is not a plain PredRNN/PredRNN-V2 checkpoint: pass '
                              f'--config CFG so that its weights are checked against that model')
    missing = missing_predrnn_keys(state_dict)
    if missing:
        shown = ', '.join(missing[:6]) + (f' and {len(missing) - 6} more' if len(missing) > 6
                                          else '')
        raise CheckpointError(f'{src} is incomplete: the PredRNN stack it holds lacks {shown}')
    return infer_predrnn_arch(state_dict)


def convert_checkpoint(src: str, dst: str, reference: str = 'thuml',
                       config: Optional[str] = None,
                       cfg_options: Optional[Mapping[str, Any]] = None) -> Conversion:
    """Convert ``src`` (a ``reference`` checkpoint) to a predbench checkpoint ``dst``, checked."""
    if reference not in REFERENCES:
        raise CheckpointError(f'unknown reference {reference!r}; one of {sorted(REFERENCES)}')
    state_dict = _source_state_dict(src, reference)
    notes: List[str] = []
    arch = _check_plain_predrnn(src, state_dict) if config is None else (
        infer_predrnn_arch(state_dict) if looks_like_predrnn(state_dict) else {})
    if config is not None:
        from .inference import build_model
        model = build_model(config, cfg_options)
        state_dict, notes = fit_state_dict(model, state_dict, src)
    else:
        state_dict = {'backbone.' + k: v for k, v in state_dict.items()}
    meta = dict(converted_from=osp.abspath(src), source=REFERENCES[reference], notes=notes,
                checked_against=config)
    if arch:
        meta['reference_arch'] = arch
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=state_dict), buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    return Conversion(src, dst, reference, config, notes, arch)


def converter_main(reference: str, argv: Optional[List[str]] = None) -> Conversion:
    """The command line of ``tools/convert_<reference>_ckpt.py``."""
    config_required = reference == 'openstl'
    parser = argparse.ArgumentParser(
        description=f'Convert a checkpoint of {REFERENCES[reference]} for predbench')
    parser.add_argument('src', help='the reference checkpoint')
    parser.add_argument('dst', help='output checkpoint for predbench (.pth)')
    parser.add_argument('--config', required=config_required,
                        help='check the converted weights against this config\'s model' +
                        ('' if config_required else ' (recommended)'))
    add_cfg_options_argument(parser, 'model.backbone.num_hidden=[64,64,64,64]')
    args = parser.parse_args(argv)
    result = convert_checkpoint(args.src, args.dst, reference, args.config, args.cfg_options)
    arch = result.arch
    if arch.get('num_hidden'):
        kind = 'PredRNN-V2' if arch['v2'] else 'PredRNN'
        if arch.get('action_conditioned'):
            kind = f'action-conditioned {kind} (conv_on_input={int(arch["conv_on_input"])})'
        print(f'{kind}: num_hidden={arch["num_hidden"]} filter_size={arch["filter_size"]} '
              f'input channels={arch["in_channels"]} layer_norm={arch["layer_norm"]}')
    for note in result.notes:
        print(f'note: {note}')
    if args.config:
        print(f'checked against {args.config}: the weights fit')
    print(f'wrote {args.dst}')
    return result
