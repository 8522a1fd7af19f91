"""What FVD's I3D network is fed and what it gives: clips in [0, 1] -> 400 features per clip.

The calling convention of the PyTorch FVD implementations (StyleGAN-V's TorchScript I3D, see
``fvd_model.py``): predbench resizes and scales the clips itself and asks the network for its
pre-softmax features, ``net(x, rescale=False, resize=False, return_features=True)``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

#: Frame size the network takes (its Kinetics training crops).
I3D_SIZE = 224
#: Clips per forward pass: bounds the memory of the activations at 224x224.
I3D_CHUNK = 8


def i3d_input(clips: torch.Tensor) -> torch.Tensor:
    """Clips [B, T, C, H, W] in [0, 1] (C = 1 or 3) as the network takes them: [B, 3, T, 224,
    224] float32 in [-1, 1]; frames resized bilinearly (``align_corners=False``, no antialias,
    as the PyTorch FVD implementations do), grey repeated to RGB."""
    batch, steps, channels, height, width = clips.shape
    frames = clips.reshape(batch * steps, channels, height, width).float()
    if (height, width) != (I3D_SIZE, I3D_SIZE):
        frames = F.interpolate(frames, size=(I3D_SIZE, I3D_SIZE), mode='bilinear',
                               align_corners=False)
    if channels == 1:
        frames = frames.expand(-1, 3, -1, -1)
    frames = frames.reshape(batch, steps, 3, I3D_SIZE, I3D_SIZE).permute(0, 2, 1, 3, 4)
    return (frames * 2 - 1).contiguous()


def i3d_features(net: nn.Module, clips: torch.Tensor) -> torch.Tensor:
    """The network's 400 pre-softmax features of each clip [B, T, C, H, W] in [0, 1] -> [B, 400]
    float64, on the clips' device, :data:`I3D_CHUNK` clips at a time."""
    device = next(iter(net.parameters()), clips).device
    out = []
    for start in range(0, clips.shape[0], I3D_CHUNK):
        x = i3d_input(clips[start:start + I3D_CHUNK].to(device))
        with torch.no_grad():
            out.append(net(x, rescale=False, resize=False, return_features=True).double())
    return torch.cat(out).to(clips.device)
