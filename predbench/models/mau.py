"""MAU (Chang et al., NeurIPS 2021): Motion-Aware Units between a frame encoder and decoder.

Each frame (patched, [p*p*c, H/p, W/p]) goes through an encoder: a 1x1 convolution to N channels,
then log2(``sr_size``) stride-2 3x3 convolutions (LeakyReLU 0.2 after each), down to
[N, H/(p*sr), W/(p*sr)]. That spatial state S enters a stack of MAU cells, each also carrying a
temporal state T; the top cell's S goes through a decoder of stride-2 transposed convolutions
(LeakyReLU between them; with ``model_mode='recall'`` the encoder's feature of the same size is
added after each) and a 1x1 convolution (``srcnn``) to the next frame.

One cell, layer l at step t (``*`` a convolution followed by a LayerNorm over [C, H, W]; the
histories hold the layer's last ``tau`` temporal states T_{t-tau..t-1} and its last ``tau``
spatial inputs S_{t-tau..t-1}, zeros before the first step):
    a_j   = softmax_j( <S_{t-j}, W_s' * S_t> / sqrt(N*H*W) )      (attention module)
    T_att = sum_j a_j T_{t-j};   U_f = sigmoid(W_t' * T_{t-1})
    T_AMI = U_f T_{t-1} + (1 - U_f) T_att
    t_g, t_t, t_s = W_t * T_AMI;   s_g, s_t, s_s = W_s * S_t        (fusion module)
    T_t   = sigmoid(t_g) t_t + (1 - sigmoid(t_g)) s_t
    S_out = sigmoid(s_g) s_s + (1 - sigmoid(s_g)) t_s   (+ S_t with ``cell_mode='residual'``)

The cell and the stack are OpenSTL's, which are the authors' release's (ZhengChang467/MAU); the
two differ in training only (see docs/models.md: OpenSTL's method never lowers the scheduled
sampling probability). What predbench does differently from OpenSTL, where OpenSTL fails:
    * patch sizes > 1 work: frames are patched before the encoder in training and at test time
      alike (OpenSTL patches neither, so any patch size > 1 crashes);
    * predictions come back as [B, T-1, C, H, W] like every backbone's.
The reference's LayerNorms are always on (``layer_norm=False`` is refused) and its widths must
be equal (the first cell reads T and S of width num_hidden[-1] and num_hidden[0]).

State-dict contract: parameter names are those of OpenSTL's ``MAU_Model`` (``encoders.0.
encoder_t_conv-1.weight``, ``cell_list.{i}.conv_t.0.weight``, ``decoders.{j}.c_decoder{j}.weight``,
``srcnn.0.weight``, ...), so an OpenSTL state dict maps onto predbench's by prefixing
``backbone.``. OpenSTL's model also creates ``merge`` and ``conv_last_sr`` and never uses them;
predbench does not create them (a parameter without a gradient breaks DistributedDataParallel)
and names them in ``MAU.reference_unused_keys`` for the checkpoint loader to drop.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from ..utils.errors import ConfigError
from .e3dlstm import as_size, check_frames
from .patching import check_patchable, patchify, unpatchify
from .recurrence import check_true_flags, input_at_step

BackboneOutput = Tuple[torch.Tensor, Dict[str, torch.Tensor]]
CELL_MODES = ('normal', 'residual')
MODEL_MODES = ('normal', 'recall')
LEAKY_SLOPE = 0.2


def _conv_norm(in_channels: int, out_channels: int, height: int, width: int,
               filter_size: int) -> nn.Sequential:
    """Conv (with bias) followed by LayerNorm over [C, H, W], as in the reference."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, filter_size, stride=1, padding=filter_size // 2),
        nn.LayerNorm([out_channels, height, width]))


class MAUCell(nn.Module):
    """One Motion-Aware Unit; returns (T_t, S_out). Equations: module docstring.

    Args:
        in_channel: channels of the temporal state T (the reference's ``num_hidden[i - 1]``).
        num_hidden: N, channels of T and S.
        height, width: spatial size of the states.
        filter_size: kernel size of the four convolutions.
        tau: how many past states the attention module reads.
        cell_mode: ``'normal'`` or ``'residual'`` (adds the input S to the output S).
    """

    def __init__(self, in_channel: int, num_hidden: int, height: int, width: int,
                 filter_size: int = 5, tau: int = 5, cell_mode: str = 'normal') -> None:
        super().__init__()
        self.num_hidden = num_hidden
        self.tau = tau
        self.cell_mode = cell_mode
        self.scale = 1.0 / math.sqrt(num_hidden * height * width)
        self.conv_t = _conv_norm(in_channel, 3 * num_hidden, height, width, filter_size)
        self.conv_t_next = _conv_norm(in_channel, num_hidden, height, width, filter_size)
        self.conv_s = _conv_norm(num_hidden, 3 * num_hidden, height, width, filter_size)
        self.conv_s_next = _conv_norm(num_hidden, num_hidden, height, width, filter_size)

    def forward(self, T_t: torch.Tensor, S_t: torch.Tensor, t_att: torch.Tensor,
                s_att: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One step; ``t_att`` and ``s_att`` are the histories stacked as [tau, B, C, H, W]."""
        s_next = self.conv_s_next(S_t)
        t_next = self.conv_t_next(T_t)
        scores = (s_att.flatten(2) * s_next.flatten(1)).sum(dim=2) * self.scale  # [tau, B]
        weights = torch.softmax(scores, dim=0)
        T_trend = (t_att * weights[:, :, None, None, None]).sum(dim=0)
        t_gate = torch.sigmoid(t_next)
        T_fusion = T_t * t_gate + (1 - t_gate) * T_trend
        t_g, t_t, t_s = torch.split(self.conv_t(T_fusion), self.num_hidden, dim=1)
        s_g, s_t, s_s = torch.split(self.conv_s(S_t), self.num_hidden, dim=1)
        T_gate = torch.sigmoid(t_g)
        S_gate = torch.sigmoid(s_g)
        T_new = T_gate * t_t + (1 - T_gate) * s_t
        S_new = S_gate * s_s + (1 - S_gate) * t_s
        if self.cell_mode == 'residual':
            S_new = S_new + S_t
        return T_new, S_new


def _encoders(frame_channel: int, width: int, levels: int) -> nn.ModuleList:
    first = nn.Sequential()
    first.add_module('encoder_t_conv-1', nn.Conv2d(frame_channel, width, kernel_size=1))
    first.add_module('relu_t_-1', nn.LeakyReLU(LEAKY_SLOPE))
    encoders = [first]
    for i in range(levels):
        down = nn.Sequential()
        down.add_module(f'encoder_t{i}', nn.Conv2d(width, width, 3, stride=2, padding=1))
        down.add_module(f'encoder_t_relu{i}', nn.LeakyReLU(LEAKY_SLOPE))
        encoders.append(down)
    return nn.ModuleList(encoders)


def _decoders(width: int, levels: int) -> nn.ModuleList:
    decoders = []
    for i in range(levels):
        up = nn.Sequential()
        up.add_module(f'c_decoder{i}', nn.ConvTranspose2d(width, width, 3, stride=2, padding=1,
                                                          output_padding=1))
        if i < levels - 1:  # no activation after the last one
            up.add_module(f'c_decoder_relu{i}', nn.LeakyReLU(LEAKY_SLOPE))
        decoders.append(up)
    return nn.ModuleList(decoders)


@MODELS.register_module()
class MAU(nn.Module):
    """MAU backbone (Chang et al., NeurIPS 2021), as OpenSTL and the authors compute it.

    Args:
        num_hidden: width N of each layer (all equal), e.g. [64, 64, 64, 64].
        img_size: frame size (H, W) in pixels.
        img_channel: channels of a frame (1 grayscale, 3 RGB).
        patch_size: space-to-depth factor p (OpenSTL's configs use 1; >1 works here).
        filter_size: kernel size of the cell convolutions (odd).
        stride: must be 1 (the cells keep their states' size).
        layer_norm: must be True: the reference's cells always normalise (OpenSTL ignores its
            ``layer_norm`` option).
        sr_size: spatial reduction of the encoder, a power of 2 dividing H/p and W/p.
        tau: how many past states each cell's attention reads.
        cell_mode: ``'normal'`` or ``'residual'``.
        model_mode: ``'normal'`` or ``'recall'`` (decoder adds the encoder's features).
    """

    #: Keys of a reference state dict (without ``backbone.``) that predbench does not create:
    #: OpenSTL's (and the authors') ``merge`` and ``conv_last_sr`` are built and never used.
    reference_unused_keys: Tuple[str, ...] = (r'^merge\.', r'^conv_last_sr\.')

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 1, patch_size: int = 1, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = True, sr_size: int = 4, tau: int = 5,
                 cell_mode: str = 'normal', model_mode: str = 'normal') -> None:
        super().__init__()
        self.num_hidden = [int(n) for n in num_hidden]
        self.img_size = as_size(img_size)
        self.img_channel = int(img_channel)
        self.patch_size = int(patch_size)
        self.filter_size = int(filter_size)
        self.stride = int(stride)
        self.layer_norm = bool(layer_norm)
        self.sr_size = int(sr_size)
        self.tau = int(tau)
        self.cell_mode = cell_mode
        self.model_mode = model_mode
        self._check_options()
        self.num_layers = len(self.num_hidden)
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        height, width = (s // self.patch_size // self.sr_size for s in self.img_size)
        levels = int(math.log2(self.sr_size))
        width_n = self.num_hidden[0]
        self.cell_list = nn.ModuleList([
            MAUCell(self.num_hidden[i - 1], self.num_hidden[i], height, width, self.filter_size,
                    self.tau, self.cell_mode) for i in range(self.num_layers)
        ])
        self.encoders = _encoders(self.frame_channel, width_n, levels)
        self.decoders = _decoders(width_n, levels)
        self.srcnn = nn.Sequential(nn.Conv2d(width_n, self.frame_channel, kernel_size=1))

    def _check_options(self) -> None:
        n = self.num_hidden
        if not n:
            raise ConfigError('model.backbone.num_hidden must list at least one layer width')
        if len(set(n)) != 1:
            raise ConfigError(
                f'model.backbone.num_hidden={n}: MAU needs equal widths (the first cell reads '
                f'states of width num_hidden[-1] and num_hidden[0]); use e.g. [{n[0]}]*{len(n)}')
        if not self.layer_norm:
            raise ConfigError(
                'model.backbone.layer_norm=False: MAU\'s cells always apply LayerNorm (OpenSTL '
                'ignores its layer_norm option); set layer_norm=True or leave it out')
        if self.stride != 1:
            raise ConfigError(f'model.backbone.stride={self.stride}: MAU\'s cells keep their '
                              f'states\' size, so only stride=1 works')
        if self.filter_size < 1 or self.filter_size % 2 != 1:
            raise ConfigError(f'model.backbone.filter_size={self.filter_size} must be odd so '
                              f'that padding filter_size//2 keeps the state size')
        if self.sr_size < 1 or self.sr_size & (self.sr_size - 1):
            raise ConfigError(f'model.backbone.sr_size={self.sr_size} must be a power of 2 '
                              f'(the encoder halves the frame log2(sr_size) times)')
        if self.tau < 1:
            raise ConfigError(f'model.backbone.tau must be >= 1, got {self.tau}')
        if self.cell_mode not in CELL_MODES:
            raise ConfigError(f'model.backbone.cell_mode={self.cell_mode!r}: use one of '
                              f'{list(CELL_MODES)}')
        if self.model_mode not in MODEL_MODES:
            raise ConfigError(f'model.backbone.model_mode={self.model_mode!r}: use one of '
                              f'{list(MODEL_MODES)}')
        check_patchable(*self.img_size, self.patch_size)
        factor = self.patch_size * self.sr_size
        if self.img_size[0] % factor or self.img_size[1] % factor:
            raise ConfigError(
                f'frame size {self.img_size[0]}x{self.img_size[1]} is not divisible by '
                f'model.backbone.patch_size * sr_size = {factor}: choose a smaller sr_size or '
                f'patch_size')

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True) -> BackboneOutput:
        """Predict frames 1..T-1 of ``frames`` [B, T, c, H, W]; returns (predictions, {})."""
        check_frames(frames, self.img_channel, self.img_size)
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        height, width = (s // self.sr_size for s in truth.shape[-2:])
        zeros = truth.new_zeros(batch, self.num_hidden[0], height, width)
        temporal: List[torch.Tensor] = [zeros] * self.num_layers
        t_history = [[zeros] * self.tau for _ in range(self.num_layers)]
        s_history = [[zeros] * self.tau for _ in range(self.num_layers)]

        predictions, x_gen = [], None
        for t in range(total - 1):
            features = input_at_step(t, truth, x_gen, true_flags, input_length)
            encoded = []
            for encoder in self.encoders:
                features = encoder(features)
                encoded.append(features)
            spatial = features
            for i, cell in enumerate(self.cell_list):
                t_att = torch.stack(t_history[i], dim=0)
                s_att = torch.stack(s_history[i], dim=0)
                s_history[i] = s_history[i][1:] + [spatial]
                temporal[i], spatial = cell(temporal[i], spatial, t_att, s_att)
                t_history[i] = t_history[i][1:] + [temporal[i]]
            out = spatial
            for j, decoder in enumerate(self.decoders):
                out = decoder(out)
                if self.model_mode == 'recall':
                    out = out + encoded[-2 - j]
            x_gen = self.srcnn(out)
            predictions.append(x_gen)
        return unpatchify(torch.stack(predictions, dim=1), self.patch_size), {}
