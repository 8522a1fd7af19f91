"""DistributedDataParallel for predictors, on GPUs and on CPUs."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from ..registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class PredictorDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper that also runs on CPU and keeps the predictor's training step.

    * ``device_ids`` must be None for a module on the CPU (MMEngine passes ``[LOCAL_RANK]``).
    * ``train_step`` delegates to the predictor's logic (``reverse_input``: two optimizer steps
      per iteration), with gradients synchronised through this wrapper.
    """

    def __init__(self, module, device_ids=None, **kwargs) -> None:
        on_cpu = next(module.parameters()).device.type == 'cpu'
        if on_cpu or not torch.cuda.is_available():
            device_ids = None
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=module, device_ids=device_ids, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        from ..models.predictor import reversible_train_step
        return reversible_train_step(self, self.module, data, optim_wrapper)
