"""Build a predictor from a config, load weights, and predict the future of clips."""
from typing import Any, Mapping, Optional, Union

import numpy as np
import torch
from mmengine.config import Config

from ..registry import MODELS
from ..utils.config import load_config
from ..utils.config_checks import check_model_config
from ..utils.errors import ConfigError
from ..utils.setup_env import register_all_modules


def load_weights(model: torch.nn.Module, checkpoint: str) -> dict:
    """Load a checkpoint (predbench, original release, OpenSTL) into ``model``, strictly.

    The file is read with ``weights_only=True``; any missing, unexpected or mis-shaped key
    raises a CheckpointError naming the keys and, where known, the option to change. Returns
    the checkpoint's ``meta``.
    """
    from ..engine.weights import load_model_weights
    return load_model_weights(model, checkpoint).meta


def build_model(config: Union[str, Config], cfg_options: Optional[Mapping[str, Any]] = None
                ) -> torch.nn.Module:
    """The predictor of ``config`` (path or Config), with its config as ``model.cfg``."""
    register_all_modules()
    cfg = load_config(config, cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'config {getattr(cfg, "filename", "")} has no model')
    check_model_config(cfg.model)
    try:
        model = MODELS.build(cfg.model)
    except KeyError as err:
        from ..utils.registry_help import explain_unknown_type
        raise (explain_unknown_type(err) or err) from err
    model.cfg = cfg
    return model


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               cfg_options: Optional[Mapping[str, Any]] = None,
               device: Union[str, torch.device] = 'cpu') -> torch.nn.Module:
    """Build the predictor of ``config`` (path or Config), load ``checkpoint``, in eval mode."""
    model = build_model(config, cfg_options)
    if checkpoint is not None:
        load_weights(model, checkpoint)
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
