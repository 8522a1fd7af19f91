"""Starting torch.distributed on GPUs and on CPUs alike.

MMEngine's ``pytorch`` launcher calls ``torch.cuda.set_device`` even on machines without CUDA,
and defaults to NCCL; predbench picks NCCL when CUDA is available and gloo otherwise (overridable
with ``env_cfg.dist_cfg.backend``), and initialises CPU process groups itself.
"""
import datetime
import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist

from ..utils.errors import ConfigError

AUTO_BACKEND = 'auto'


def resolve_backend(backend: Optional[str]) -> str:
    """'auto' (or None): 'nccl' with CUDA, else 'gloo'. NCCL without CUDA is an error."""
    if backend in (None, AUTO_BACKEND):
        return 'nccl' if torch.cuda.is_available() else 'gloo'
    if backend == 'nccl' and not torch.cuda.is_available():
        raise ConfigError(
            "env_cfg.dist_cfg.backend='nccl' needs CUDA GPUs, none is visible: use 'gloo' "
            "(or 'auto') for CPU processes")
    return backend


def init_distributed(launcher: str, backend: Optional[str] = AUTO_BACKEND, **kwargs) -> None:
    """Initialise the default process group for ``launcher`` (pytorch, slurm or mpi)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        return
    backend = resolve_backend(backend)
    if launcher == 'pytorch' and not torch.cuda.is_available():
        timeout = kwargs.pop('timeout', None)
        if timeout is not None:
            kwargs['timeout'] = datetime.timedelta(seconds=timeout)
        torch_dist.init_process_group(backend=backend, rank=int(os.environ['RANK']),
                                      world_size=int(os.environ['WORLD_SIZE']), **kwargs)
        return
    init_dist(launcher, backend=backend, **kwargs)


def shutdown_distributed() -> None:
    """Leave the process group cleanly (gloo's threads abort the process if left running)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        try:
            torch_dist.barrier()
        finally:
            torch_dist.destroy_process_group()
