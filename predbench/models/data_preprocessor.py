"""Moves a batch of clips to the model's device and brings frames to float32 in [0, 1]."""
from typing import Any, Dict

import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS
from ..utils.errors import DataError


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Stack clips to [B, T, C, H, W], move them to the device, convert uint8 to [0, 1] floats.

    Datasets may yield uint8 frames (4x less to copy to the device) or float frames in [0, 1];
    everything else in the batch (sampling masks, data samples) is moved to the device as is.
    """

    def forward(self, data: Dict[str, Any], training: bool = False) -> Dict[str, Any]:
        data = dict(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack([torch.as_tensor(x) for x in inputs])
        inputs = torch.as_tensor(inputs)
        if inputs.dim() != 5:
            raise DataError(
                f'a batch of clips must be [B, T, C, H, W], got shape {list(inputs.shape)}; '
                f'datasets must yield clips as [T, C, H, W]')
        data['inputs'] = inputs
        data = self.cast_data(data)
        inputs = data['inputs']
        if inputs.dtype == torch.uint8:
            inputs = inputs.float().div_(255.0)
        elif not inputs.is_floating_point():
            inputs = inputs.float()
        data['inputs'] = inputs
        return data
