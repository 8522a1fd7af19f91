"""Build a predictor from a config, load weights, and predict the future of clips."""
from typing import Any, Mapping, Optional, Union

import numpy as np
import torch
from mmengine.config import Config

from ..models.checkpoint_compat import check_checkpoint_fits, convert_thuml_state_dict
from ..registry import MODELS
from ..utils.config import load_config
from ..utils.errors import CheckpointError, ConfigError
from ..utils.setup_env import register_all_modules


def load_weights(model: torch.nn.Module, checkpoint: str) -> dict:
    """Load a predbench checkpoint (or an original release's one) into ``model``, strictly.

    The file is read with ``weights_only=True``; a mismatch raises a CheckpointError naming the
    option to change.
    """
    from ..engine.checkpoint_io import load_checkpoint_file
    ckpt = load_checkpoint_file(checkpoint, map_location='cpu', trusted=False)
    if isinstance(ckpt, Mapping) and 'net_param' in ckpt:
        state_dict = convert_thuml_state_dict(ckpt['net_param'])
    elif isinstance(ckpt, Mapping) and 'state_dict' in ckpt:
        state_dict = ckpt['state_dict']
    elif isinstance(ckpt, Mapping):
        state_dict = ckpt
    else:
        raise CheckpointError(f'checkpoint {checkpoint} holds no state dict')
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}
    check_checkpoint_fits(model, state_dict, source=checkpoint)
    model.load_state_dict(state_dict, strict=True)
    return ckpt if isinstance(ckpt, dict) else {}


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               cfg_options: Optional[Mapping[str, Any]] = None,
               device: Union[str, torch.device] = 'cpu') -> torch.nn.Module:
    """Build the predictor of ``config`` (path or Config), load ``checkpoint``, in eval mode."""
    register_all_modules()
    cfg = load_config(config, cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'config {getattr(cfg, "filename", "")} has no model')
    try:
        model = MODELS.build(cfg.model)
    except KeyError as err:
        from ..utils.registry_help import explain_unknown_type
        raise (explain_unknown_type(err) or err) from err
    if checkpoint is not None:
        load_weights(model, checkpoint)
    model.cfg = cfg
    return model.to(device).eval()


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter or buffer (CPU for an empty model)."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device('cpu')


def _as_tensor(frames: Union[np.ndarray, torch.Tensor], device) -> torch.Tensor:
    frames = torch.as_tensor(frames)
    if frames.dtype == torch.uint8:
        frames = frames.float() / 255.0
    return frames.to(device=device, dtype=torch.float32)


@torch.no_grad()
def predict(model: torch.nn.Module, frames: Union[np.ndarray, torch.Tensor],
            pred_length: int) -> torch.Tensor:
    """Predict ``pred_length`` frames after ``frames`` [B, T_in, C, H, W] in [0, 1].

    Returns a torch tensor [B, pred_length, C, H, W] (not clipped). The model observes its
    ``input_length`` frames; a longer ``frames`` is cut to its last ``input_length`` frames.
    """
    device = model_device(model)
    frames = _as_tensor(frames, device)
    if frames.dim() == 4:
        raise ConfigError(f'frames must be [B, T, C, H, W]; got {list(frames.shape)} '
                          f'(add a batch dimension with frames[None])')
    if frames.dim() != 5:
        raise ConfigError(f'frames must be [B, T, C, H, W]; got {list(frames.shape)}')
    if pred_length < 1:
        raise ConfigError(f'pred_length must be >= 1, got {pred_length}')
    need = model.input_length
    if frames.shape[1] < need:
        raise ConfigError(f'the model observes {need} frames; got only {frames.shape[1]}')
    was_training = model.training
    model.eval()
    try:
        return model.predict_frames(frames[:, -need:], pred_length)
    finally:
        model.train(was_training)
