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


def _check_actions(model: torch.nn.Module, actions, frames: torch.Tensor, t_in: int,
                   pred_length: int) -> Optional[torch.Tensor]:
    """``actions`` as float32 [B, T_in + pred_length, A] on the frames' device, or None."""
    takes = getattr(model, 'takes_actions', False)
    if actions is None:
        if takes:
            raise ConfigError(
                f'{type(model.backbone).__name__} is conditioned on actions: pass actions=[B, '
                f'{t_in + pred_length}, {model.backbone.num_action_ch}] (one action per frame, '
                f'observed and predicted; the action of frame t drives the step to t + 1)')
        return None
    if not takes:
        raise ConfigError(f'{type(model.backbone).__name__} takes no actions: leave out '
                          f'actions= (or use an action-conditioned model)')
    actions = torch.as_tensor(actions).to(device=frames.device, dtype=torch.float32)
    need = t_in + pred_length
    width = model.backbone.num_action_ch
    if actions.dim() == 2 and frames.shape[0] == 1:
        raise ConfigError(f'actions must be [B, T, A] = [1, {need}, {width}]; got '
                          f'{list(actions.shape)} (add a batch dimension with actions[None])')
    if actions.dim() != 3 or actions.shape[0] != frames.shape[0] \
            or actions.shape[1] not in (need, need - 1) or actions.shape[2] != width:
        raise ConfigError(
            f'actions must be [B, T_in + pred_length, A] = [{frames.shape[0]}, {need}, {width}] '
            f'for {t_in} observed and {pred_length} predicted frames (the last row, the action '
            f'of the last predicted frame, is never read and may be left out); got '
            f'{list(actions.shape)}')
    if not torch.isfinite(actions).all():
        raise ConfigError('actions hold NaN or infinite values')
    return actions


@torch.no_grad()
def predict(model: torch.nn.Module, frames: Union[np.ndarray, torch.Tensor],
            pred_length: int, actions: Union[np.ndarray, torch.Tensor, None] = None
            ) -> torch.Tensor:
    """Predict ``pred_length`` frames after ``frames`` [B, T_in, C, H, W] in [0, 1].

    Returns a torch tensor [B, pred_length, C, H, W] (not clipped). The model observes its
    ``input_length`` frames; a longer ``frames`` is cut to its last ``input_length`` frames.
    An action-conditioned model needs ``actions`` [B, T_in + pred_length, A]: one action per
    frame, aligned with ``frames`` and continuing over the predicted frames; the action of
    frame t conditions the step from frame t to frame t + 1 (the last row is never read).
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
    t_in = frames.shape[1]
    if t_in < need:
        raise ConfigError(f'the model observes {need} frames; got only {t_in}')
    actions = _check_actions(model, actions, frames, t_in, pred_length)
    if actions is not None:
        actions = actions[:, t_in - need:]
    was_training = model.training
    model.eval()
    try:
        return model.predict_frames(frames[:, -need:], pred_length, actions=actions)
    finally:
        model.train(was_training)
