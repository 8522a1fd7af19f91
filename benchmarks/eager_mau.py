"""A straightforward eager MAU, computed the way OpenSTL (and the authors' release) compute it.

It re-states the structure of OpenSTL's ``MAU_Model`` and ``MAUCell`` in plain fp32 eager
PyTorch: frames [B, T, H, W, C] with full-size sampling masks, an encoder (1x1 convolution, then
log2(sr_size) stride-2 convolutions, LeakyReLU 0.2), a stack of MAU cells on the encoded features
with Python lists of the last ``tau`` temporal and spatial states, a loop over ``tau`` for the
attention weights, a decoder of transposed convolutions (with the encoder's features added back
in ``model_mode='recall'``), and a 1x1 convolution to the frame; loss = MSE. Parameter names match
OpenSTL's state dict, including ``merge`` and ``conv_last_sr`` (created, never used).

OpenSTL never patches MAU's frames, so it only runs at patch size 1. Here the frames are patched
before the model like every other model of the family ([B, T, H/p, W/p, p*p*C]), which is the
same computation at patch size 1 and the consistent one above it.

It serves as the baseline of benchmarks/bench_e3d_mau.py and as the oracle of
tests/models/test_mau_exact.py.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from benchmarks.eager_predrnn import reshape_patch, reshape_patch_back


class RefMAUCell(nn.Module):
    def __init__(self, cin, n, height, width, k, stride, tau, cell_mode):
        super().__init__()
        self.n = n
        self.d = n * height * width
        self.tau = tau
        self.cell_mode = cell_mode

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, k, stride, k // 2),
                                 nn.LayerNorm([o, height, width]))

        self.conv_t = block(cin, 3 * n)
        self.conv_t_next = block(cin, n)
        self.conv_s = block(n, 3 * n)
        self.conv_s_next = block(n, n)

    def forward(self, T_t, S_t, t_att, s_att):
        s_next = self.conv_s_next(S_t)
        t_next = self.conv_t_next(T_t)
        scores = []
        for i in range(self.tau):
            scores.append((s_att[i] * s_next).sum(dim=(1, 2, 3)) / math.sqrt(self.d))
        weights = torch.softmax(torch.stack(scores, 0), dim=0)[:, :, None, None, None]
        T_trend = (t_att * weights).sum(dim=0)
        t_gate = torch.sigmoid(t_next)
        T_fusion = T_t * t_gate + (1 - t_gate) * T_trend
        t_g, t_t, t_s = torch.split(self.conv_t(T_fusion), self.n, 1)
        s_g, s_t, s_s = torch.split(self.conv_s(S_t), self.n, 1)
        T_gate = torch.sigmoid(t_g)
        S_gate = torch.sigmoid(s_g)
        T_new = T_gate * t_t + (1 - T_gate) * s_t
        S_new = S_gate * s_s + (1 - S_gate) * t_s
        if self.cell_mode == 'residual':
            S_new = S_new + S_t
        return T_new, S_new


class RefMAU(nn.Module):
    """OpenSTL's MAU_Model: forward(frames [B, T, H, W, C'], full-size mask) -> (frames, loss)."""

    def __init__(self, num_hidden, img_size, img_channel, patch, filter_size, stride, sr_size,
                 tau, cell_mode, model_mode, input_length, total_length):
        super().__init__()
        self.num_hidden = num_hidden
        self.tau = tau
        self.sr_size = sr_size
        self.model_mode = model_mode
        self.input_length = input_length
        self.total_length = total_length
        self.frame_channel = patch * patch * img_channel
        height = img_size[0] // patch // sr_size
        width = img_size[1] // patch // sr_size
        self.cell_list = nn.ModuleList([
            RefMAUCell(num_hidden[i - 1], num_hidden[i], height, width, filter_size, stride,
                       tau, cell_mode) for i in range(len(num_hidden))
        ])
        n = int(math.log2(sr_size))
        first = nn.Sequential()
        first.add_module('encoder_t_conv-1', nn.Conv2d(self.frame_channel, num_hidden[0], 1))
        first.add_module('relu_t_-1', nn.LeakyReLU(0.2))
        encoders = [first]
        for i in range(n):
            enc = nn.Sequential()
            enc.add_module(f'encoder_t{i}', nn.Conv2d(num_hidden[0], num_hidden[0], 3, 2, 1))
            enc.add_module(f'encoder_t_relu{i}', nn.LeakyReLU(0.2))
            encoders.append(enc)
        self.encoders = nn.ModuleList(encoders)
        decoders = []
        for i in range(n):
            dec = nn.Sequential()
            dec.add_module(f'c_decoder{i}', nn.ConvTranspose2d(num_hidden[-1], num_hidden[-1], 3,
                                                               2, 1, output_padding=1))
            if i < n - 1:
                dec.add_module(f'c_decoder_relu{i}', nn.LeakyReLU(0.2))
            decoders.append(dec)
        self.decoders = nn.ModuleList(decoders)
        self.srcnn = nn.Sequential(nn.Conv2d(num_hidden[-1], self.frame_channel, 1))
        self.merge = nn.Conv2d(num_hidden[-1] * 2, num_hidden[-1], 1)
        self.conv_last_sr = nn.Conv2d(self.frame_channel * 2, self.frame_channel, 1)

    def forward(self, frames_tensor, mask_true, return_loss=True):
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b = frames.shape[0]
        height = frames.shape[3] // self.sr_size
        width = frames.shape[4] // self.sr_size
        layers = len(self.num_hidden)
        T_pre, S_pre = [], []
        for i in range(layers):
            cin = self.num_hidden[0] if i == 0 else self.num_hidden[i - 1]
            T_pre.append([torch.zeros(b, cin, height, width) for _ in range(self.tau)])
            S_pre.append([torch.zeros(b, cin, height, width) for _ in range(self.tau)])
        T_t = [torch.zeros(b, n, height, width) for n in self.num_hidden]
        next_frames, x_gen = [], None
        for t in range(self.total_length - 1):
            if t < self.input_length:
                net = frames[:, t]
            else:
                k = t - self.input_length
                net = mask_true[:, k] * frames[:, t] + (1 - mask_true[:, k]) * x_gen
            features, encoded = net, []
            for enc in self.encoders:
                features = enc(features)
                encoded.append(features)
            S_t = features
            for i in range(layers):
                t_att = torch.stack(T_pre[i][-self.tau:], 0)
                s_att = torch.stack(S_pre[i][-self.tau:], 0)
                S_pre[i].append(S_t)
                T_t[i], S_t = self.cell_list[i](T_t[i], S_t, t_att, s_att)
                T_pre[i].append(T_t[i])
            out = S_t
            for i, dec in enumerate(self.decoders):
                out = dec(out)
                if self.model_mode == 'recall':
                    out = out + encoded[-2 - i]
            x_gen = self.srcnn(out)
            next_frames.append(x_gen)
        next_frames = torch.stack(next_frames, 0).permute(1, 0, 3, 4, 2).contiguous()
        loss = F.mse_loss(next_frames, frames_tensor[:, 1:]) if return_loss else None
        return next_frames, loss


def full_size_mask(flags: np.ndarray, hp: int, wp: int, channels: int) -> np.ndarray:
    """OpenSTL's mask: one [H/p, W/p, C*p*p] block of ones or zeros per clip and flag."""
    return np.broadcast_to(flags[:, :, None, None, None].astype(np.float32),
                           (*flags.shape, hp, wp, channels)).copy()


def reference_test_predictions(ref: RefMAU, frames_bthwc: np.ndarray, patch: int) -> np.ndarray:
    """What OpenSTL's test step (MAU.forward) returns, as [B, T - input, H, W, C]."""
    b, t, h, w, c = frames_bthwc.shape
    mask = np.zeros((b, t - ref.input_length - 1, h // patch, w // patch, patch * patch * c),
                    np.float32)
    with torch.no_grad():
        gen, _ = ref(torch.from_numpy(reshape_patch(frames_bthwc, patch)), torch.from_numpy(mask),
                     return_loss=False)
    return reshape_patch_back(gen.numpy(), patch)[:, -(t - ref.input_length):]


def reference_training_loss(ref: RefMAU, frames_bthwc: np.ndarray, patch: int,
                            flags: np.ndarray) -> torch.Tensor:
    """OpenSTL's training step: the model's MSE with the flags' full-size mask."""
    b, t, h, w, c = frames_bthwc.shape
    mask = full_size_mask(flags, h // patch, w // patch, patch * patch * c)
    _, loss = ref(torch.from_numpy(reshape_patch(frames_bthwc, patch)), torch.from_numpy(mask))
    return loss
