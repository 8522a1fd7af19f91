"""bf16 autocast for any device (MMEngine's AmpOptimWrapper requires CUDA and grad scaling)."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Run forward passes under ``torch.autocast`` in ``dtype`` (bf16 by default).

    bf16 has float32's exponent range, so unlike fp16 it needs no loss scaling; this works on
    CPUs and GPUs alike. Parameters, gradients and optimizer state stay in float32.
    """

    def __init__(self, *args, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model):
            device = next(model.parameters()).device.type
            with torch.autocast(device_type=device, dtype=self.cast_dtype):
                yield
