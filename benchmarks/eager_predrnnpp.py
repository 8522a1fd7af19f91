"""A straightforward eager PredRNN++, as OpenSTL's ``PredRNNpp_Model`` and method compute it.

It re-states the reference's structure in plain fp32 eager PyTorch: numpy patching of
[B, T, H, W, C] frames, one convolution per state and gate group, full-size
[B, steps, H/p, W/p, C*p*p] sampling masks, the loss in patch space. Parameter names and shapes
match OpenSTL's state dict, including the ``conv_o`` every cell creates and never uses.
``ghu_norm_channels='reference'`` keeps the reference's GHU LayerNorm over N channels (it crashes
on the 2N-channel convolution output, as OpenSTL does); ``'2n'`` normalises the 2N channels.

It serves as the baseline of benchmarks/bench_family.py and as the oracle of
tests/models/test_predrnnpp_exact.py.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from benchmarks.eager_predrnn import (full_size_mask, reshape_patch,  # noqa: F401
                                      reshape_patch_back, test_time_mask)


def _block(cin, cout, k, layer_norm, height, width, norm_channels=None):
    mods = [nn.Conv2d(cin, cout, k, 1, k // 2, bias=False)]
    if layer_norm:
        mods.append(nn.LayerNorm([norm_channels or cout, height, width]))
    return nn.Sequential(*mods)


class RefCausalCell(nn.Module):
    def __init__(self, cin, n, height, width, k, layer_norm):
        super().__init__()
        self.n = n
        self.conv_x = _block(cin, 7 * n, k, layer_norm, height, width)
        self.conv_h = _block(n, 4 * n, k, layer_norm, height, width)
        self.conv_c = _block(n, 3 * n, k, layer_norm, height, width)
        self.conv_m = _block(n, 3 * n, k, layer_norm, height, width)
        self.conv_o = _block(2 * n, n, k, layer_norm, height, width)  # never used, as in OpenSTL
        self.conv_c2m = _block(n, 4 * n, k, layer_norm, height, width)
        self.conv_om = _block(n, n, k, layer_norm, height, width)
        self.conv_last = nn.Conv2d(2 * n, n, 1, 1, 0, bias=False)

    def forward(self, x, h, c, m):
        n = self.n
        i_x, f_x, g_x, i_x2, f_x2, g_x2, o_x = torch.split(self.conv_x(x), n, 1)
        i_h, f_h, g_h, o_h = torch.split(self.conv_h(h), n, 1)
        i_m, f_m, m_m = torch.split(self.conv_m(m), n, 1)
        i_c, f_c, g_c = torch.split(self.conv_c(c), n, 1)
        i = torch.sigmoid(i_x + i_h + i_c)
        f = torch.sigmoid(f_x + f_h + f_c + 1.0)
        g = torch.tanh(g_x + g_h + g_c)
        c_new = f * c + i * g
        i_c, g_c, f_c, o_c = torch.split(self.conv_c2m(c_new), n, 1)
        i2 = torch.sigmoid(i_x2 + i_m + i_c)
        f2 = torch.sigmoid(f_x2 + f_m + f_c + 1.0)
        g2 = torch.tanh(g_x2 + g_c)
        m_new = f2 * torch.tanh(m_m) + i2 * g2
        o_m = self.conv_om(m_new)
        o = torch.tanh(o_x + o_h + o_c + o_m)
        h_new = o * torch.tanh(self.conv_last(torch.cat((c_new, m_new), 1)))
        return h_new, c_new, m_new


class RefGHU(nn.Module):
    def __init__(self, n, height, width, k, layer_norm, ghu_norm_channels='reference'):
        super().__init__()
        self.n = n
        norm = n if ghu_norm_channels == 'reference' else 2 * n
        self.z_concat = _block(n, 2 * n, k, layer_norm, height, width, norm)
        self.x_concat = _block(n, 2 * n, k, layer_norm, height, width, norm)
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.uniform_(mod.weight, -0.001, 0.001)

    def forward(self, x, z):
        if z is None:
            z = torch.zeros_like(x)
        gates = self.x_concat(x) + self.z_concat(z)
        p, u = torch.split(gates, self.n, 1)
        p = torch.tanh(p)
        u = torch.sigmoid(u)
        return u * p + (1 - u) * z


class RefPredRNNpp(nn.Module):
    """OpenSTL's PredRNNpp_Model: ``forward(patched frames, mask)`` -> (predictions, loss)."""

    def __init__(self, num_hidden, img_size, img_channel, patch, k, layer_norm, input_length,
                 total_length, reverse_scheduled_sampling=False, ghu_norm_channels='reference'):
        super().__init__()
        self.num_hidden = list(num_hidden)
        self.frame_channel = patch * patch * img_channel
        hp, wp = img_size[0] // patch, img_size[1] // patch
        self.gradient_highway = RefGHU(num_hidden[0], hp, wp, k, layer_norm, ghu_norm_channels)
        self.cell_list = nn.ModuleList([
            RefCausalCell(self.frame_channel if i == 0 else num_hidden[i - 1], num_hidden[i], hp,
                          wp, k, layer_norm) for i in range(len(num_hidden))])
        self.conv_last = nn.Conv2d(num_hidden[-1], self.frame_channel, 1, 1, 0, bias=False)
        self.input_length = input_length
        self.total_length = total_length
        self.rss = bool(reverse_scheduled_sampling)

    def forward(self, frames_tensor, mask_true):
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b, _, _, hp, wp = frames.shape
        layers = len(self.num_hidden)
        h = [torch.zeros(b, n, hp, wp, device=frames.device) for n in self.num_hidden]
        c = [torch.zeros(b, n, hp, wp, device=frames.device) for n in self.num_hidden]
        memory = torch.zeros(b, self.num_hidden[0], hp, wp, device=frames.device)
        z, x_gen, next_frames = None, None, []
        for t in range(self.total_length - 1):
            if self.rss:
                net = frames[:, t] if t == 0 else \
                    mask_true[:, t - 1] * frames[:, t] + (1 - mask_true[:, t - 1]) * x_gen
            elif t < self.input_length:
                net = frames[:, t]
            else:
                k = t - self.input_length
                net = mask_true[:, k] * frames[:, t] + (1 - mask_true[:, k]) * x_gen
            h[0], c[0], memory = self.cell_list[0](net, h[0], c[0], memory)
            z = self.gradient_highway(h[0], z)
            h[1], c[1], memory = self.cell_list[1](z, h[1], c[1], memory)
            for i in range(2, layers):
                h[i], c[i], memory = self.cell_list[i](h[i - 1], h[i], c[i], memory)
            x_gen = self.conv_last(h[-1])
            next_frames.append(x_gen)
        next_frames = torch.stack(next_frames, 0).permute(1, 0, 3, 4, 2).contiguous()
        return next_frames, F.mse_loss(next_frames, frames_tensor[:, 1:])


def reference_test_predictions(ref, frames_bthwc: np.ndarray, patch: int) -> np.ndarray:
    """What OpenSTL's test step predicts for the output frames: [B, T-input, H, W, C].

    Works for any model with OpenSTL's ``(patched frames, mask) -> (predictions, loss)`` call and
    ``input_length`` / ``rss`` attributes (also the MIM re-statement).
    """
    b, t, h, w, c = frames_bthwc.shape
    mask = test_time_mask(b, t, ref.input_length, h // patch, w // patch, patch * patch * c,
                          ref.rss)
    with torch.no_grad():
        gen, _ = ref(torch.FloatTensor(reshape_patch(frames_bthwc, patch)),
                     torch.FloatTensor(mask))
    gen = reshape_patch_back(gen.numpy(), patch)
    return gen[:, -(t - ref.input_length):]
