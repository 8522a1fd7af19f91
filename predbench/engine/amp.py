"""Mixed precision for a run's config (``--amp``): bf16 autocast where possible, else fp16."""
import torch
from mmengine.config import Config

AMP_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper', 'AutocastOptimWrapper')


def amp_dtype() -> str:
    """bf16 where the hardware runs it (recent GPUs, CPUs), else fp16."""
    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return 'float16'
    return 'bfloat16'


def apply_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision.

    bf16 autocast (no loss scaling needed) on CPUs and bf16-capable GPUs; fp16 with dynamic loss
    scaling through MMEngine's AmpOptimWrapper on older GPUs.
    """
    wrapper = cfg.optim_wrapper
    if wrapper.get('type', 'OptimWrapper') not in AMP_WRAPPERS:
        return
    if amp_dtype() == 'float16':
        wrapper.type = 'AmpOptimWrapper'
        wrapper.dtype = 'float16'
        wrapper.setdefault('loss_scale', 'dynamic')
    else:
        wrapper.type = 'AutocastOptimWrapper'
        wrapper.dtype = 'bfloat16'


def cpu_computes_bf16() -> bool:
    """Whether this CPU has bf16 arithmetic in hardware (AVX512-BF16 or AMX-BF16), where bf16
    autocast pays (docs/performance.md); elsewhere oneDNN emulates it and it may be slower."""
    try:
        capability = torch._C._cpu._get_cpu_capability()
    except AttributeError:  # older torch: no way to ask, so no bf16
        return False
    return bool(capability.get('avx512_bf16') or capability.get('amx_bf16'))
