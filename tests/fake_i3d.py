"""A small random-weight stand-in for StyleGAN-V's I3D TorchScript (``i3d_torchscript.pt``).

Same file format (TorchScript) and call: ``net(x, rescale=False, resize=False,
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
