"""A small random-weight stand-in for StyleGAN-V's I3D TorchScript (``i3d_torchscript.pt``).

Same file format (TorchScript, or a state dict of the module registered as ``FakeI3D``) and
call: ``net(x, rescale=False, resize=False,
return_features=True)`` with ``x`` [B, 3, T, 224, 224] in [-1, 1] -> [B, 400] logits (the
softmax of them without ``return_features``). It refuses any other layout or range, so a test
passing through it also checks what predbench feeds the network.
"""
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F


class FakeI3D(nn.Module):
    """A 3D convolution, pooling to a 2x4x4 grid and a linear layer to 400 features."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 8, kernel_size=3, stride=(1, 4, 4), padding=1)
        self.fc = nn.Linear(8 * 2 * 4 * 4, 400)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        if rescale:
            x = x / 127.5 - 1
        if resize:
            x = F.interpolate(x, size=(x.shape[2], 224, 224), mode='trilinear',
                              align_corners=False)
        if x.dim() != 5 or x.shape[1] != 3 or x.shape[3] != 224 or x.shape[4] != 224:
            raise RuntimeError('the I3D network takes [B, 3, T, 224, 224]')
        if bool(x.min() < -1.0) or bool(x.max() > 1.0):
            raise RuntimeError('the I3D network takes values in [-1, 1]')
        h = F.adaptive_avg_pool3d(torch.relu(self.conv(x)), (2, 4, 4)).flatten(1)
        logits = self.fc(h)
        return logits if return_features else logits.softmax(dim=1)


def save_fake_i3d(path: str, seed: int = 0) -> str:
    """Write a FakeI3D of seeded random weights as a TorchScript file at ``path``."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():  # TorchScript is deprecated, and the format of the real file
        warnings.simplefilter('ignore', FutureWarning)
        torch.jit.script(FakeI3D().eval()).save(str(path))
    return str(path)


def register_fake_i3d() -> dict:
    """Register FakeI3D in predbench's MODELS; the ``fvd_arch`` config that builds it."""
    from predbench.registry import MODELS
    MODELS.register_module(name='FakeI3D', module=FakeI3D, force=True)
    return dict(type='FakeI3D')


def save_fake_i3d_state_dict(path: str, seed: int = 0, wrap: bool = False) -> str:
    """Write the state dict of the FakeI3D that ``save_fake_i3d(seed=seed)`` scripts; with
    ``wrap``, as a training checkpoint of a DDP model (``{'state_dict': {'module.<key>'}}``)."""
    torch.manual_seed(seed)
    state_dict = FakeI3D().state_dict()
    if wrap:
        state_dict = {'state_dict': {f'module.{k}': v for k, v in state_dict.items()}}
    torch.save(state_dict, str(path))
    return str(path)
