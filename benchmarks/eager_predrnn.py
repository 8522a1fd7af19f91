"""A straightforward eager PredRNN / PredRNN-V2, as the original release computes it.

It re-states the original's structure in plain fp32 eager PyTorch: numpy ``reshape_patch`` on
[B, T, H, W, C] frames, three separate gate convolutions per cell, full-size
[B, steps, H/p, W/p, C*p*p] sampling masks built with Python loops, the adapter applied per layer
and step, the loss in patch space. Parameter names match the original's state dict (its
``state_dict()`` is what an original checkpoint's ``net_param`` holds).

It serves twice: as the baseline the benchmarks measure predbench against, and as the oracle the
exactness tests compare predbench's models with.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def reshape_patch(frames: np.ndarray, p: int) -> np.ndarray:
    """[B, T, H, W, C] -> [B, T, H/p, W/p, p*p*C], offsets (i, j) then channel."""
    b, t, h, w, c = frames.shape
    x = frames.reshape(b, t, h // p, p, w // p, p, c)
    x = x.transpose(0, 1, 2, 4, 3, 5, 6)
    return x.reshape(b, t, h // p, w // p, p * p * c)


def reshape_patch_back(patches: np.ndarray, p: int) -> np.ndarray:
    b, t, hp, wp, cpp = patches.shape
    c = cpp // (p * p)
    x = patches.reshape(b, t, hp, wp, p, p, c)
    x = x.transpose(0, 1, 2, 4, 3, 5, 6)
    return x.reshape(b, t, hp * p, wp * p, c)


class RefCell(nn.Module):
    def __init__(self, cin, n, height, width, k, layer_norm):
        super().__init__()
        self.n = n

        def block(i, o):
            mods = [nn.Conv2d(i, o, k, 1, k // 2, bias=False)]
            if layer_norm:
                mods.append(nn.LayerNorm([o, height, width]))
            return nn.Sequential(*mods)

        self.conv_x = block(cin, 7 * n)
        self.conv_h = block(n, 4 * n)
        self.conv_m = block(n, 3 * n)
        self.conv_o = block(2 * n, n)
        self.conv_last = nn.Conv2d(2 * n, n, 1, 1, 0, bias=False)

    def forward(self, x, h, c, m):
        i_x, f_x, g_x, i_xp, f_xp, g_xp, o_x = torch.split(self.conv_x(x), self.n, 1)
        i_h, f_h, g_h, o_h = torch.split(self.conv_h(h), self.n, 1)
        i_m, f_m, g_m = torch.split(self.conv_m(m), self.n, 1)
        i = torch.sigmoid(i_x + i_h)
        f = torch.sigmoid(f_x + f_h + 1.0)
        g = torch.tanh(g_x + g_h)
        dc = i * g
        c_new = f * c + dc
        ip = torch.sigmoid(i_xp + i_m)
        fp = torch.sigmoid(f_xp + f_m + 1.0)
        gp = torch.tanh(g_xp + g_m)
        dm = ip * gp
        m_new = fp * m + dm
        mem = torch.cat((c_new, m_new), 1)
        o = torch.sigmoid(o_x + o_h + self.conv_o(mem))
        h_new = o * torch.tanh(self.conv_last(mem))
        return h_new, c_new, m_new, dc, dm


class RefRNN(nn.Module):
    """predrnn.RNN (v2=False) or predrnn_v2.RNN (v2=True) of the original release."""

    def __init__(self, num_hidden, img_size, img_channel, patch, k, layer_norm, v2,
                 input_length, total_length, reverse_scheduled_sampling, decouple_beta=0.1):
        super().__init__()
        self.num_hidden = num_hidden
        self.frame_channel = patch * patch * img_channel
        hp, wp = img_size[0] // patch, img_size[1] // patch
        self.cell_list = nn.ModuleList([
            RefCell(self.frame_channel if i == 0 else num_hidden[i - 1], num_hidden[i], hp, wp,
                    k, layer_norm) for i in range(len(num_hidden))
        ])
        self.conv_last = nn.Conv2d(num_hidden[-1], self.frame_channel, 1, 1, 0, bias=False)
        self.v2 = v2
        if v2:
            self.adapter = nn.Conv2d(num_hidden[0], num_hidden[0], 1, 1, 0, bias=False)
        self.input_length = input_length
        self.total_length = total_length
        self.rss = reverse_scheduled_sampling
        self.beta = decouple_beta

    def forward(self, frames_tensor, mask_true):
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b, _, _, hp, wp = frames.shape
        layers = len(self.num_hidden)
        h = [torch.zeros(b, n, hp, wp) for n in self.num_hidden]
        c = [torch.zeros(b, n, hp, wp) for n in self.num_hidden]
        memory = torch.zeros(b, self.num_hidden[0], hp, wp)
        next_frames, decouple = [], []
        x_gen = None
        for t in range(self.total_length - 1):
            if self.rss:
                if t == 0:
                    net = frames[:, t]
                else:
                    net = mask_true[:, t - 1] * frames[:, t] + (1 - mask_true[:, t - 1]) * x_gen
            else:
                if t < self.input_length:
                    net = frames[:, t]
                else:
                    k = t - self.input_length
                    net = mask_true[:, k] * frames[:, t] + (1 - mask_true[:, k]) * x_gen
            deltas = []
            for i in range(layers):
                inp = net if i == 0 else h[i - 1]
                h[i], c[i], memory, dc, dm = self.cell_list[i](inp, h[i], c[i], memory)
                deltas.append((dc, dm))
            x_gen = self.conv_last(h[-1])
            next_frames.append(x_gen)
            if self.v2:
                for dc, dm in deltas:
                    a = F.normalize(self.adapter(dc).view(dc.shape[0], dc.shape[1], -1), dim=2)
                    bm = F.normalize(self.adapter(dm).view(dm.shape[0], dm.shape[1], -1), dim=2)
                    decouple.append(torch.mean(torch.abs(torch.cosine_similarity(a, bm, dim=2))))
        next_frames = torch.stack(next_frames, 0).permute(1, 0, 3, 4, 2).contiguous()
        loss = F.mse_loss(next_frames, frames_tensor[:, 1:])
        if self.v2:
            loss = loss + self.beta * torch.mean(torch.stack(decouple, 0))
        return next_frames, loss


def full_size_mask(flags: np.ndarray, hp: int, wp: int, channels: int) -> np.ndarray:
    """The original's mask: one [H/p, W/p, C*p*p] block of ones or zeros per clip and step."""
    ones = np.ones((hp, wp, channels))
    zeros = np.zeros((hp, wp, channels))
    blocks = []
    for i in range(flags.shape[0]):
        for j in range(flags.shape[1]):
            blocks.append(ones if flags[i, j] else zeros)
    return np.array(blocks).reshape(flags.shape[0], flags.shape[1], hp, wp, channels)


def test_time_mask(batch, total_length, input_length, hp, wp, channels, rss):
    """The mask the original's test loop builds: ones over the encoder steps (RSS), else zeros."""
    mask_input = 1 if rss else input_length
    mask = np.zeros((batch, total_length - mask_input - 1, hp, wp, channels), dtype=np.float32)
    if rss:
        mask[:, :input_length - 1] = 1.0
    return mask


def reference_test_predictions(ref: RefRNN, frames_bthwc: np.ndarray, patch: int) -> np.ndarray:
    """What the original's test loop gets for the output frames: [B, T-input, H, W, C]."""
    b, t, h, w, c = frames_bthwc.shape
    mask = test_time_mask(b, t, ref.input_length, h // patch, w // patch, patch * patch * c,
                          ref.rss)
    with torch.no_grad():
        gen, _ = ref(torch.FloatTensor(reshape_patch(frames_bthwc, patch)),
                     torch.FloatTensor(mask))
    gen = reshape_patch_back(gen.numpy(), patch)
    return gen[:, -(t - ref.input_length):]
