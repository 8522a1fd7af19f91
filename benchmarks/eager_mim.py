"""A straightforward eager MIM, as OpenSTL's ``MIM_Model`` and method compute it.

It re-states the reference's structure in plain fp32 eager PyTorch: numpy patching, full-size
sampling masks, one convolution per state, the MIM-S memory kept on each block between steps
*and between calls* (OpenSTL's ``MIMBlock.convlstm_c``, detached at every step), the MIM-N
modules also run at step 0 on zeros with their output thrown away, every ``MIMN`` creating a
``conv_last`` it never uses. ``reset_memory()`` gives the state of a freshly built model.
Parameter names and shapes match OpenSTL's state dict.

It serves as the baseline of benchmarks/bench_family.py and as the oracle of
tests/models/test_mim_exact.py.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from benchmarks.eager_predrnn import (RefCell, full_size_mask, reshape_patch,  # noqa: F401
                                      reshape_patch_back, test_time_mask)
from benchmarks.eager_predrnnpp import _block, reference_test_predictions  # noqa: F401


class RefPeepholeLSTM(nn.Module):
    """OpenSTL's MIMN (and the MIMS step of its MIMBlock)."""

    def __init__(self, n, height, width, k, layer_norm):
        super().__init__()
        self.n = n
        self.ct_weight = nn.Parameter(torch.zeros(2 * n, height, width))
        self.oc_weight = nn.Parameter(torch.zeros(n, height, width))
        self.conv_h_concat = _block(n, 4 * n, k, layer_norm, height, width)
        self.conv_x_concat = _block(n, 4 * n, k, layer_norm, height, width)

    def step(self, x, h, c):
        if h is None:
            h = torch.zeros_like(x)
        if c is None:
            c = torch.zeros_like(x)
        i_h, g_h, f_h, o_h = torch.split(self.conv_h_concat(h), self.n, 1)
        i_c, f_c = torch.split(c.repeat(1, 2, 1, 1) * self.ct_weight, self.n, 1)
        i_x, g_x, f_x, o_x = torch.split(self.conv_x_concat(x), self.n, 1)
        i = torch.sigmoid(i_h + i_c + i_x)
        f = torch.sigmoid(f_h + f_c + f_x + 1.0)
        c_new = f * c + i * torch.tanh(g_h + g_x)
        h_new = torch.sigmoid(o_h + o_x + c_new * self.oc_weight) * torch.tanh(c_new)
        return h_new, c_new


class RefMIMN(RefPeepholeLSTM):
    def __init__(self, n, height, width, k, layer_norm):
        super().__init__(n, height, width, k, layer_norm)
        self.conv_last = nn.Conv2d(2 * n, n, 1, 1, 0, bias=False)  # never used, as in OpenSTL

    def forward(self, x, h, c):
        return self.step(x, h, c)


class RefMIMBlock(RefPeepholeLSTM):
    def __init__(self, n, height, width, k, layer_norm):
        super().__init__(n, height, width, k, layer_norm)
        self.conv_t_cc = _block(n, 3 * n, k, layer_norm, height, width)
        self.conv_s_cc = _block(n, 4 * n, k, layer_norm, height, width)
        self.conv_x_cc = _block(n, 4 * n, k, layer_norm, height, width)
        self.conv_last = nn.Conv2d(2 * n, n, 1, 1, 0, bias=False)
        self.convlstm_c = None  # the MIM-S memory, kept between steps and calls

    def forward(self, x, diff_h, h, c, m):
        if diff_h is None:
            diff_h = torch.zeros_like(x)
        i_s, g_s, f_s, o_s = torch.split(self.conv_s_cc(m), self.n, 1)
        i_t, g_t, o_t = torch.split(self.conv_t_cc(h), self.n, 1)
        i_x, g_x, f_x, o_x = torch.split(self.conv_x_cc(x), self.n, 1)
        i = torch.sigmoid(i_x + i_t)
        i2 = torch.sigmoid(i_x + i_s)
        g = torch.tanh(g_x + g_t)
        g2 = torch.tanh(g_x + g_s)
        f2 = torch.sigmoid(f_x + f_s + 1.0)
        o = torch.sigmoid(o_x + o_t + o_s)
        new_m = f2 * m + i2 * g2
        previous = None if self.convlstm_c is None else self.convlstm_c.detach()
        c, self.convlstm_c = self.step(diff_h, c, previous)
        new_c = c + i * g
        new_h = o * torch.tanh(self.conv_last(torch.cat((new_c, new_m), 1)))
        return new_h, new_c, new_m


class RefMIM(nn.Module):
    """OpenSTL's MIM_Model: ``forward(patched frames, mask)`` -> (patched predictions, loss)."""

    def __init__(self, num_hidden, img_size, img_channel, patch, k, layer_norm, input_length,
                 total_length, reverse_scheduled_sampling=False):
        super().__init__()
        self.num_hidden = list(num_hidden)
        self.frame_channel = patch * patch * img_channel
        hp, wp = img_size[0] // patch, img_size[1] // patch
        n = num_hidden[0]
        self.stlstm_layer = nn.ModuleList(
            [RefCell(self.frame_channel, n, hp, wp, k, layer_norm)] +
            [RefMIMBlock(n, hp, wp, k, layer_norm) for _ in range(1, len(num_hidden))])
        self.stlstm_layer_diff = nn.ModuleList(
            [RefMIMN(n, hp, wp, k, layer_norm) for _ in range(1, len(num_hidden))])
        self.conv_last = nn.Conv2d(n, self.frame_channel, 1, 1, 0, bias=False)
        self.input_length = input_length
        self.total_length = total_length
        self.rss = bool(reverse_scheduled_sampling)

    def reset_memory(self):
        """Forget the MIM-S memories, as a freshly built model has them."""
        for block in self.stlstm_layer[1:]:
            block.convlstm_c = None

    def forward(self, frames_tensor, mask_true):
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b, _, _, hp, wp = frames.shape
        layers = len(self.num_hidden)
        h = [torch.zeros(b, n, hp, wp, device=frames.device) for n in self.num_hidden]
        c = [torch.zeros(b, n, hp, wp, device=frames.device) for n in self.num_hidden]
        diff_h, diff_c = [None] * layers, [None] * layers
        memory = torch.zeros(b, self.num_hidden[0], hp, wp, device=frames.device)
        x_gen, next_frames = None, []
        for t in range(self.total_length - 1):
            if self.rss:
                net = frames[:, t] if t == 0 else \
                    mask_true[:, t - 1] * frames[:, t] + (1 - mask_true[:, t - 1]) * x_gen
            elif t < self.input_length:
                net = frames[:, t]
            else:
                k = t - self.input_length
                net = mask_true[:, k] * frames[:, t] + (1 - mask_true[:, k]) * x_gen
            before = h[0]
            h[0], c[0], memory, _, _ = self.stlstm_layer[0](net, h[0], c[0], memory)
            for i in range(1, layers):
                if t > 0:
                    source = h[0] - before if i == 1 else diff_h[i - 2]
                    diff_h[i - 1], diff_c[i - 1] = self.stlstm_layer_diff[i - 1](
                        source, diff_h[i - 1], diff_c[i - 1])
                else:
                    self.stlstm_layer_diff[i - 1](torch.zeros_like(h[i - 1]), None, None)
                h[i], c[i], memory = self.stlstm_layer[i](h[i - 1], diff_h[i - 1], h[i], c[i],
                                                          memory)
            x_gen = self.conv_last(h[-1])
            next_frames.append(x_gen)
        next_frames = torch.stack(next_frames, 0).permute(1, 0, 3, 4, 2).contiguous()
        return next_frames, F.mse_loss(next_frames, frames_tensor[:, 1:])
