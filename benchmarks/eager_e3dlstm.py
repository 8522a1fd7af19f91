"""A straightforward eager E3D-LSTM, computed the way OpenSTL computes it.

It re-states the structure of OpenSTL's ``E3DLSTM_Model`` and ``Eidetic3DLSTMCell`` in plain fp32
eager PyTorch: patched frames [B, T, H/p, W/p, p*p*C] with full-size sampling masks, a list of the
inputs of which the last two form each step's window, 3D convolutions of kernel (2, 5, 5) without
temporal padding whose output is interpolated (nearest) back to the input's size, the cell history
concatenated along the channel axis and read by an attention that reshapes channels-first tensors
straight into rows of ``num_hidden`` values, the global memory handed on unchanged (so always
zero), loss = MSE + L1 in patch space. Parameter names match OpenSTL's state dict.

Three switches re-state the paper's equations instead (Wang et al., ICLR 2019, Eq. 2-4), for the
tests of predbench's switches of the same names:

* ``paper_attention``: RECALL attends over positions; the history is stacked along time and each
  query / key / value is the ``num_hidden``-vector of one (time, y, x) position.
* ``paper_memory``: M' = f' * M + i' * g' and M' is what the cell hands on (to the next layer, and
  from the top layer to the bottom one at the next step).
* ``paper_output_gate``: o = sigmoid(W * [x, h, C, M]) instead of sigmoid(tanh(...)).

It serves as the baseline of benchmarks/bench_e3d_mau.py and as the oracle of
tests/models/test_e3dlstm_exact.py.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from benchmarks.eager_predrnn import reshape_patch, reshape_patch_back  # noqa: F401

WINDOW = 2
KERNEL = (2, 5, 5)


class TFConv3d(nn.Module):
    """Conv3d whose output is resized (nearest) to the spatiotemporal size of its input."""

    def __init__(self, cin, cout, kernel_size, stride, padding):
        super().__init__()
        self.conv3d = nn.Conv3d(cin, cout, kernel_size=kernel_size, stride=stride,
                                padding=padding, bias=False)

    def forward(self, x):
        return F.interpolate(self.conv3d(x), size=x.shape[-3:], mode='nearest')


class RefE3DCell(nn.Module):
    def __init__(self, cin, n, window, height, width, kernel, stride, layer_norm):
        super().__init__()
        self.n = n
        self._norm_c_t = nn.LayerNorm([n, window, height, width])
        padding = (0, kernel[1] // 2, kernel[2] // 2)

        def block(i, o):
            mods = [TFConv3d(i, o, kernel, stride, padding)]
            if layer_norm:
                mods.append(nn.LayerNorm([o, window, height, width]))
            return nn.Sequential(*mods)

        self.conv_x = block(cin, 7 * n)
        self.conv_h = block(n, 4 * n)
        self.conv_gm = block(n, 4 * n)
        self.conv_new_cell = block(n, n)
        self.conv_new_gm = block(n, n)
        self.conv_last = TFConv3d(2 * n, n, 1, 1, 0)

    @staticmethod
    def attention(query, keys, values, paper):
        """softmax(q k^T) v over rows of C values; OpenSTL reshapes [B, C, T, H, W] directly."""
        b, c, t, h, w = query.shape
        if paper:
            q = query.permute(0, 2, 3, 4, 1).reshape(b, -1, c)
            k = keys.permute(0, 2, 3, 4, 1).reshape(b, -1, c)
            v = values.permute(0, 2, 3, 4, 1).reshape(b, -1, c)
        else:
            q = query.reshape(b, -1, c)
            k = keys.reshape(b, -1, c)
            v = values.reshape(b, -1, c)
        attn = torch.softmax(torch.einsum('bxc,byc->bxy', q, k), dim=2)
        out = torch.einsum('bxy,byc->bxc', attn, v)
        if paper:
            return out.reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)
        return out.reshape(b, c, t, h, w)

    def forward(self, x, h, c, m, c_history, paper_attention=False, paper_memory=False,
                paper_output_gate=False):
        i_h, g_h, r_h, o_h = torch.split(self.conv_h(h), self.n, 1)
        i_x, g_x, r_x, o_x, ti_x, tg_x, tf_x = torch.split(self.conv_x(x), self.n, 1)
        i_t = torch.sigmoid(i_x + i_h)
        r_t = torch.sigmoid(r_x + r_h)
        g_t = torch.tanh(g_x + g_h)
        new_cell = c + self.attention(r_t, c_history, c_history, paper_attention)
        new_cell = self._norm_c_t(new_cell) + i_t * g_t
        i_m, f_m, g_m, m_m = torch.split(self.conv_gm(m), self.n, 1)
        ti = torch.sigmoid(ti_x + i_m)
        tf = torch.sigmoid(tf_x + f_m + 1.0)
        tg = torch.tanh(tg_x + g_m)
        if paper_memory:
            new_m = tf * m + ti * tg
        else:
            new_m = tf * torch.tanh(m_m) + ti * tg
        gate = o_x + o_h + self.conv_new_cell(new_cell) + self.conv_new_gm(new_m)
        out_gate = torch.sigmoid(gate if paper_output_gate else torch.tanh(gate))
        h_new = torch.tanh(self.conv_last(torch.cat([new_cell, new_m], 1))) * out_gate
        return h_new, new_cell, (new_m if paper_memory else m)


class RefE3DLSTM(nn.Module):
    """OpenSTL's E3DLSTM_Model: forward(patched frames, full-size mask) -> (frames, loss)."""

    def __init__(self, num_hidden, img_size, img_channel, patch, stride, layer_norm,
                 input_length, total_length, reverse_scheduled_sampling=False,
                 paper_attention=False, paper_memory=False, paper_output_gate=False,
                 window=WINDOW, kernel=KERNEL):
        super().__init__()
        self.num_hidden = num_hidden
        self.window = window
        self.frame_channel = patch * patch * img_channel
        hp, wp = img_size[0] // patch, img_size[1] // patch
        self.cell_list = nn.ModuleList([
            RefE3DCell(self.frame_channel if i == 0 else num_hidden[i - 1], num_hidden[i],
                       window, hp, wp, kernel, stride, layer_norm)
            for i in range(len(num_hidden))
        ])
        self.conv_last = nn.Conv3d(num_hidden[-1], self.frame_channel, (window, 1, 1),
                                   stride=(window, 1, 1), padding=0, bias=False)
        self.input_length = input_length
        self.total_length = total_length
        self.rss = reverse_scheduled_sampling
        self.paper = dict(paper_attention=paper_attention, paper_memory=paper_memory,
                          paper_output_gate=paper_output_gate)

    def forward(self, frames_tensor, mask_true, return_loss=True):
        frames = frames_tensor.permute(0, 1, 4, 2, 3).contiguous()
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b, _, _, hp, wp = frames.shape
        layers = len(self.num_hidden)
        h = [torch.zeros(b, n, self.window, hp, wp) for n in self.num_hidden]
        c = [torch.zeros(b, n, self.window, hp, wp) for n in self.num_hidden]
        c_history = [None] * layers
        memory = torch.zeros(b, self.num_hidden[0], self.window, hp, wp)
        inputs = [torch.zeros_like(frames[:, 0]) for _ in range(self.window - 1)]
        history_axis = 2 if self.paper['paper_attention'] else 1
        next_frames, x_gen = [], None
        for t in range(self.total_length - 1):
            if self.rss:
                net = frames[:, t] if t == 0 else \
                    mask_true[:, t - 1] * frames[:, t] + (1 - mask_true[:, t - 1]) * x_gen
            elif t < self.input_length:
                net = frames[:, t]
            else:
                k = t - self.input_length
                net = mask_true[:, k] * frames[:, t] + (1 - mask_true[:, k]) * x_gen
            inputs.append(net)
            net = torch.stack(inputs[t:], dim=0).permute(1, 2, 0, 3, 4).contiguous()
            for i in range(layers):
                c_history[i] = c[i] if t == 0 else torch.cat([c_history[i], c[i]], history_axis)
                inp = net if i == 0 else h[i - 1]
                h[i], c[i], memory = self.cell_list[i](inp, h[i], c[i], memory, c_history[i],
                                                       **self.paper)
            x_gen = self.conv_last(h[-1]).squeeze(2)
            next_frames.append(x_gen)
        next_frames = torch.stack(next_frames, 0).permute(1, 0, 3, 4, 2).contiguous()
        loss = None
        if return_loss:
            target = frames_tensor[:, 1:]
            loss = F.mse_loss(next_frames, target) + F.l1_loss(next_frames, target)
        return next_frames, loss


def full_size_mask(flags: np.ndarray, hp: int, wp: int, channels: int) -> np.ndarray:
    """OpenSTL's mask: one [H/p, W/p, C*p*p] block of ones or zeros per clip and flag."""
    return np.broadcast_to(flags[:, :, None, None, None].astype(np.float32),
                           (*flags.shape, hp, wp, channels)).copy()


def reference_test_predictions(ref: RefE3DLSTM, frames_bthwc: np.ndarray, patch: int
                               ) -> np.ndarray:
    """What OpenSTL's test step (PredRNN.forward) returns, as [B, T - input, H, W, C]."""
    b, t, h, w, c = frames_bthwc.shape
    steps = t - 1 - (1 if ref.rss else ref.input_length)
    mask = np.zeros((b, steps, h // patch, w // patch, patch * patch * c), np.float32)
    if ref.rss:
        mask[:, :ref.input_length - 1] = 1.0
    with torch.no_grad():
        gen, _ = ref(torch.from_numpy(reshape_patch(frames_bthwc, patch)), torch.from_numpy(mask),
                     return_loss=False)
    return reshape_patch_back(gen.numpy(), patch)[:, -(t - ref.input_length):]


def reference_training_loss(ref: RefE3DLSTM, frames_bthwc: np.ndarray, patch: int,
                            flags: np.ndarray) -> torch.Tensor:
    """OpenSTL's training step: the model's loss on the patched clip with the flags' mask."""
    b, t, h, w, c = frames_bthwc.shape
    mask = full_size_mask(flags, h // patch, w // patch, patch * patch * c)
    _, loss = ref(torch.from_numpy(reshape_patch(frames_bthwc, patch)), torch.from_numpy(mask))
    return loss
