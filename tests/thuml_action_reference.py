"""The test oracle for the action-conditioned models: the original release's computation restated.

A plain eager re-statement of ``action_cond_predrnn`` / ``action_cond_predrnn_v2`` of
thuml/predrnn-pytorch as they run on BAIR, written from their equations: inputs are
[B, T, H, W, 3 + A] with each frame's action tiled over channels 3.. (as its ``bair.py`` builds
them), full-size sampling masks [B, steps, H, W, 3], biased cell convolutions, the action
applied as ``conv_h(h) * conv_a(encoded action)``, stride-2 encoders and transposed-convolution
decoders, the adapter per layer and step, the loss in [B, T-1, H, W, C] order. It materialises
everything (tiled actions, per-step conv_a) as the original does. Parameter names match the
original's state dict, so ``{'net_param': ref.state_dict()}`` is an original checkpoint.

It covers what the original can run: ``conv_on_input=1``, ``patch_size=1``, masks of
reverse scheduled sampling. It was checked against the original's own modules (``.cuda()``
removed) outside the project; the measured differences are in docs/action_conditioned.md.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FRAME_CHANNELS = 3


class RefActionCell(nn.Module):
    def __init__(self, cin, n, size, k, layer_norm):
        super().__init__()
        self.n = n

        def block(i, o):
            mods = [nn.Conv2d(i, o, k, 1, k // 2)]  # with a bias, like the original's cells
            if layer_norm:
                mods.append(nn.LayerNorm([o, size, size]))
            return nn.Sequential(*mods)

        self.conv_x = block(cin, 7 * n)
        self.conv_h = block(n, 4 * n)
        self.conv_a = block(n, 4 * n)
        self.conv_m = block(n, 3 * n)
        self.conv_o = block(2 * n, n)
        self.conv_last = nn.Conv2d(2 * n, n, 1, 1, 0)

    def forward(self, x, h, c, m, a):
        xs = torch.split(self.conv_x(x), self.n, 1)
        hs = torch.split(self.conv_h(h) * self.conv_a(a), self.n, 1)
        ms = torch.split(self.conv_m(m), self.n, 1)
        i = torch.sigmoid(xs[0] + hs[0])
        f = torch.sigmoid(xs[1] + hs[1] + 1.0)
        g = torch.tanh(xs[2] + hs[2])
        dc = i * g
        c_new = f * c + dc
        ip = torch.sigmoid(xs[3] + ms[0])
        fp = torch.sigmoid(xs[4] + ms[1] + 1.0)
        gp = torch.tanh(xs[5] + ms[2])
        dm = ip * gp
        m_new = fp * m + dm
        mem = torch.cat((c_new, m_new), 1)
        o = torch.sigmoid(xs[6] + hs[3] + self.conv_o(mem))
        return o * torch.tanh(self.conv_last(mem)), c_new, m_new, dc, dm


class RefActionRNN(nn.Module):
    """action_cond_predrnn.RNN (v2=False) or action_cond_predrnn_v2.RNN (v2=True) at
    conv_on_input=1."""

    def __init__(self, num_hidden, img_width, k, layer_norm, v2, total_length, res_on_conv,
                 num_action_ch=4, decouple_beta=0.1):
        super().__init__()
        n = num_hidden[0]
        self.num_hidden = num_hidden
        self.total_length = total_length
        self.res = res_on_conv
        self.v2 = v2
        self.beta = decouple_beta
        size = img_width // 4

        def down(i, o):
            return nn.Conv2d(i, o, k, stride=2, padding=k // 2, bias=False)

        def up(i, o):
            return nn.ConvTranspose2d(i, o, k, stride=2, padding=k // 2, bias=False)

        self.conv_input1 = down(FRAME_CHANNELS, n // 2)
        self.conv_input2 = down(n // 2, n)
        self.action_conv_input1 = down(num_action_ch, n // 2)
        self.action_conv_input2 = down(n // 2, n)
        self.deconv_output1 = up(num_hidden[-1], num_hidden[-1] // 2)
        self.deconv_output2 = up(num_hidden[-1] // 2, FRAME_CHANNELS)
        self.cell_list = nn.ModuleList([
            RefActionCell(n if i == 0 else num_hidden[i - 1], num_hidden[i], size, k, layer_norm)
            for i in range(len(num_hidden))])
        if v2:
            self.adapter = nn.Conv2d(num_hidden[-1], num_hidden[-1], 1, 1, 0, bias=False)
        self.size = size

    def forward(self, all_frames, mask_true):
        everything = all_frames.permute(0, 1, 4, 2, 3).contiguous()
        frames = everything[:, :, :FRAME_CHANNELS]
        actions = everything[:, :, FRAME_CHANNELS:]
        mask_true = mask_true.permute(0, 1, 4, 2, 3).contiguous()
        b = frames.shape[0]
        layers = len(self.num_hidden)
        h = [torch.zeros(b, n, self.size, self.size) for n in self.num_hidden]
        c = [torch.zeros(b, n, self.size, self.size) for n in self.num_hidden]
        memory = torch.zeros(b, self.num_hidden[0], self.size, self.size)
        outputs, decouple = [], []
        x_gen = None
        for t in range(self.total_length - 1):
            if t == 0:
                net = frames[:, 0]
            else:
                net = mask_true[:, t - 1] * frames[:, t] + (1 - mask_true[:, t - 1]) * x_gen
            enc1 = self.conv_input1(net)
            enc2 = self.conv_input2(enc1)
            act = self.action_conv_input2(self.action_conv_input1(actions[:, t]))
            inp = enc2
            for i in range(layers):
                h[i], c[i], memory, dc, dm = self.cell_list[i](inp, h[i], c[i], memory, act)
                inp = h[i]
                if self.v2:
                    a = F.normalize(self.adapter(dc).view(dc.shape[0], dc.shape[1], -1), dim=2)
                    bm = F.normalize(self.adapter(dm).view(dm.shape[0], dm.shape[1], -1), dim=2)
                    decouple.append(torch.mean(torch.abs(torch.cosine_similarity(a, bm, dim=2))))
            top = h[-1] + enc2 if self.res else h[-1]
            y = self.deconv_output1(top, output_size=enc1.shape)
            y = y + enc1 if self.res else y
            x_gen = self.deconv_output2(y, output_size=net.shape)
            outputs.append(x_gen)
        outputs = torch.stack(outputs, 0).permute(1, 0, 3, 4, 2).contiguous()
        loss = F.mse_loss(outputs, all_frames[:, 1:, :, :, :FRAME_CHANNELS])
        if self.v2:
            loss = loss + self.beta * torch.mean(torch.stack(decouple, 0))
        return outputs, loss


def tiled_input(frames_bthwc: np.ndarray, actions_bta: np.ndarray) -> np.ndarray:
    """The original's BAIR batch: frames, then each frame's action repeated over every pixel."""
    b, t, h, w, _ = frames_bthwc.shape
    tiled = np.broadcast_to(actions_bta[:, :, None, None, :], (b, t, h, w, actions_bta.shape[2]))
    return np.concatenate([frames_bthwc, tiled], axis=4).astype(np.float32)


def full_size_mask(flags: np.ndarray, height: int, width: int) -> np.ndarray:
    """One [H, W, 3] block of ones or zeros per clip and step, as the original's run.py builds."""
    return np.broadcast_to(flags[:, :, None, None, None].astype(np.float32),
                           (*flags.shape, height, width, FRAME_CHANNELS)).copy()


def test_mask(batch: int, total_length: int, input_length: int, height: int, width: int):
    """The original's test-time mask with reverse scheduled sampling: input_length - 1 ones."""
    flags = np.zeros((batch, total_length - 2), np.float32)
    flags[:, :input_length - 1] = 1.0
    return full_size_mask(flags, height, width)


def reference_test_predictions(ref: RefActionRNN, frames_bthwc: np.ndarray,
                               actions_bta: np.ndarray, input_length: int) -> np.ndarray:
    """What the original's test loop keeps: the last T - input_length predictions
    [B, N, H, W, 3]."""
    b, t, h, w, _ = frames_bthwc.shape
    with torch.no_grad():
        out, _ = ref(torch.from_numpy(tiled_input(frames_bthwc, actions_bta)),
                     torch.from_numpy(test_mask(b, t, input_length, h, w)))
    return out.numpy()[:, -(t - input_length):]
