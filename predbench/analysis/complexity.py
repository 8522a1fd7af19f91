"""Parameters and FLOPs per predicted sequence, counted by ``mmengine.analysis``.

FLOPs are multiply-adds (one fused multiply-add counts once, as fvcore, MMEngine and OpenSTL
count them) of one forward pass at batch 1 over a whole test clip: the observed frames and all
predicted ones (T-1 recurrent steps). Training-only terms (PredRNN-V2's decoupling adapter) are
not included.
"""
import logging
from typing import Any, Dict, Optional, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.logging import MMLogger

from ..registry import MODELS


def _dataset_cfg(cfg: Config, split: str) -> dict:
    loader = cfg.get(f'{split}_dataloader') or {}
    return loader.get('dataset', {}) or {}


def clip_geometry(cfg: Config, split: str = 'test') -> Tuple[int, int, int, int]:
    """(T, C, H, W) of the clips of ``split`` according to the config."""
    backbone = cfg.model.get('backbone', {})
    dataset = _dataset_cfg(cfg, split)
    total = int(dataset.get('seq_length', cfg.model.get('input_length', 10) * 2))
    size = backbone.get('img_size') or dataset.get('image_size') or 64
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    return total, int(backbone.get('img_channel', 1)), int(height), int(width)


def example_actions(model: torch.nn.Module, batch: int, total: int,
                    device: torch.device) -> Optional[torch.Tensor]:
    """Random actions [batch, total, A] for a predictor whose backbone takes actions, else None."""
    if not getattr(model, 'takes_actions', False):
        return None
    return torch.randn(batch, total, int(model.backbone.num_action_ch), device=device)


def model_complexity(model: torch.nn.Module, clip_shape: Tuple[int, ...]) -> Dict[str, Any]:
    """Parameters and FLOPs (multiply-adds) of ``model`` on one clip of shape (T, C, H, W)."""
    model = model.eval()
    clip = torch.rand(1, *clip_shape, device=next(iter(model.state_dict().values()),
                                                     torch.zeros(())).device)
    actions = example_actions(model, 1, clip_shape[0], clip.device)
    # forward(inputs, data_samples, mode, sampling_mask, sampling_mode, actions)
    inputs = (clip,) if actions is None else (clip, None, 'tensor', None, None, actions)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)  # the analyzer warns about every elementwise op it skips
    try:
        with torch.no_grad():
            info = get_model_complexity_info(model, inputs=inputs, show_table=False,
                                             show_arch=False)
    finally:
        logger.setLevel(level)
    params = sum(p.numel() for p in model.parameters())
    return dict(params=int(params), flops=int(info['flops']), clip_shape=list(clip_shape))


def config_complexity(cfg: Config, split: str = 'test') -> Dict[str, Any]:
    """Parameters and FLOPs per predicted sequence of ``split`` for the model of ``cfg``."""
    from ..utils.setup_env import register_all_modules
    register_all_modules()
    model = MODELS.build(cfg.model)
    result = model_complexity(model, clip_geometry(cfg, split))
    result['input_length'] = int(getattr(model, 'input_length', 0))
    return result
