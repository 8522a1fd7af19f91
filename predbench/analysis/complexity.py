"""Parameters and FLOPs per predicted sequence, counted by ``mmengine.analysis``.

FLOPs are multiply-adds (one fused multiply-add counts once, as fvcore, MMEngine and OpenSTL
count them) of one forward pass at batch 1 over a whole test clip: the observed frames and all
predicted ones (T-1 recurrent steps). Training-only terms (PredRNN-V2's decoupling adapter) are
not included. Attention computed by ``scaled_dot_product_attention`` (E3D-LSTM's RECALL) counts
like the two matrix products it replaces (MMEngine's analyzer would skip it).
"""
import logging
from math import prod
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape
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


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of softmax(q k^T) v: q [..., L, E], k [..., S, E], v [..., S, Ev]."""
    q, k, v = (get_shape(x) for x in inputs[:3])
    return prod(q[:-1]) * k[-2] * (q[-1] + v[-1])


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
            analyzer = FlopAnalyzer(model, inputs=inputs)
            analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
            flops = analyzer.total()
    finally:
        logger.setLevel(level)
    params = sum(p.numel() for p in model.parameters())
    return dict(params=int(params), flops=int(flops), clip_shape=list(clip_shape))


def config_complexity(cfg: Config, split: str = 'test') -> Dict[str, Any]:
    """Parameters and FLOPs per predicted sequence of ``split`` for the model of ``cfg``."""
    from ..utils.setup_env import register_all_modules
    register_all_modules()
    model = MODELS.build(cfg.model)
    result = model_complexity(model, clip_geometry(cfg, split))
    result['input_length'] = int(getattr(model, 'input_length', 0))
    return result
