"""Action-conditioned PredRNN and PredRNN-V2, as the original release trains them on BAIR.

The original's ``action_cond_predrnn`` / ``action_cond_predrnn_v2``: a stack of action-conditioned
ST-LSTM cells (:mod:`.action_cell`) with PredRNN's zigzag memory, zero initial states, input
choice per step (:mod:`.recurrence`) and, for V2, PredRNN-V2's decoupling loss. Step t reads
frame t (or the prediction of it) and the action of frame t, and predicts frame t + 1; the same
action reaches every layer. The action of the last frame is never read.

``conv_on_input=1`` (the BAIR scripts): the frame goes through two stride-2 convolutions
(``conv_input1``, ``conv_input2``: the cells work at a quarter of the size), the action tiled
over the frame through two more (``action_conv_input1``, ``action_conv_input2``), and the top
hidden state comes back through two transposed convolutions (``deconv_output1``,
``deconv_output2``); ``res_on_conv=1`` adds the encoder's outputs to the decoder's inputs
(U-Net-like skips). All six are bias-free, as in the original.

``conv_on_input=0`` cannot run in the original release (its first cell expects frame + action
channels and gets the frame; its ``conv_a`` expects N channels and gets the action's). predbench
runs it as its constructor describes the first cell: layer 0 reads the frame concatenated with
the tiled action, every ``conv_a`` reads the tiled action (``num_action_ch`` channels, where the
original declares N), and a 1x1 ``conv_last`` maps the top hidden state to the frame's channels
(the original declares frame + action channels and trains them to predict the next action;
predbench predicts frames only). ``res_on_conv`` has no effect there, as in the original.

``patch_size`` > 1 also crashes in the original (its action convolutions receive the patched
action, 4 x p^2 channels); here the action is tiled over the patched frame with its
``num_action_ch`` channels, which is what patching a constant map amounts to.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..registry import MODELS
from ..utils.errors import ConfigError
from .action_cell import ActionConditionedSTLSTMCell
from .patching import check_patchable, patchify, unpatchify
from .predrnn import BackboneOutput, MemoryDecouplingMixin, _as_size, _check_num_hidden
from .recurrence import check_true_flags, input_at_step

#: Stride of each of the two encoder convolutions (the cells work at 1/4 of the patched size).
ENCODER_STRIDE = 2


def _encoded_size(size: int, filter_size: int) -> int:
    """Side of a stride-2 convolution's output with padding filter_size // 2 (odd kernels)."""
    return (size + 2 * (filter_size // 2) - filter_size) // ENCODER_STRIDE + 1


def _flag(value: Union[int, bool], name: str) -> bool:
    if value not in (0, 1, True, False):
        raise ConfigError(f'model.backbone.{name}={value!r} must be 0 or 1 (False or True)')
    return bool(value)


@MODELS.register_module()
class ActionCondPredRNN(nn.Module):
    """Action-conditioned PredRNN backbone (the original release's ``action_cond_predrnn``).

    ``forward(frames, true_flags, input_length, with_aux, actions)``: frames [B, T, C, H, W] in
    [0, 1] and actions [B, T, A] (the action of frame t conditions the step t -> t + 1; a
    [B, T-1, A] tensor without the unread last row is accepted too); returns the predictions of
    frames 1..T-1 as [B, T-1, C, H, W] and a dict of auxiliary losses.

    Args:
        num_hidden: width N of each layer (all equal), e.g. [64, 64, 64, 64].
        img_size: frame size (H, W) in pixels (an int: square, as the original's ``img_width``).
        img_channel: channels of a frame (3 for BAIR).
        patch_size: space-to-depth factor p applied to frames before the cells.
        filter_size: kernel size of every convolution (odd).
        stride: convolution stride of the cells; must be 1.
        layer_norm: LayerNorm after each cell convolution (the BAIR scripts use 0).
        conv_on_input: encode frames and actions with two stride-2 convolutions and decode with
            two transposed ones (1 in the BAIR scripts); 0: the cells see the patched frames.
        res_on_conv: skip connections from the encoder to the decoder (1 in the BAIR scripts).
        num_action_ch: channels A of an action (4 for BAIR).
    """

    def __init__(self, num_hidden: Sequence[int], img_size: Union[int, Sequence[int]],
                 img_channel: int = 3, patch_size: int = 1, filter_size: int = 5,
                 stride: int = 1, layer_norm: bool = False, conv_on_input: Union[int, bool] = 1,
                 res_on_conv: Union[int, bool] = 1, num_action_ch: int = 4) -> None:
        super().__init__()
        self.num_hidden = _check_num_hidden(num_hidden)
        self.num_layers = len(self.num_hidden)
        self.img_size = _as_size(img_size)
        self.img_channel = int(img_channel)
        self.patch_size = int(patch_size)
        self.filter_size = int(filter_size)
        self.layer_norm = bool(layer_norm)
        self.conv_on_input = _flag(conv_on_input, 'conv_on_input')
        self.res_on_conv = _flag(res_on_conv, 'res_on_conv')
        if not isinstance(num_action_ch, int) or num_action_ch < 1:
            raise ConfigError(f'model.backbone.num_action_ch={num_action_ch!r} must be a '
                              f'positive int (4 for BAIR)')
        self.num_action_ch = num_action_ch
        if stride != 1:
            raise ConfigError(
                f'model.backbone.stride={stride}: the recurrent states must keep their size '
                f'from step to step, so only stride=1 works (as in the original scripts)')
        if filter_size % 2 != 1:
            raise ConfigError(
                f'model.backbone.filter_size={filter_size} must be odd so that padding '
                f'filter_size//2 keeps the state size')
        check_patchable(*self.img_size, self.patch_size)
        self.frame_channel = self.patch_size ** 2 * self.img_channel
        self.patched_size = tuple(s // self.patch_size for s in self.img_size)
        n, k = self.num_hidden[0], self.filter_size
        if self.conv_on_input:
            self.state_size = tuple(_encoded_size(_encoded_size(s, k), k)
                                    for s in self.patched_size)
            self.conv_input1 = self._conv(self.frame_channel, n // 2)
            self.conv_input2 = self._conv(n // 2, n)
            self.action_conv_input1 = self._conv(self.num_action_ch, n // 2)
            self.action_conv_input2 = self._conv(n // 2, n)
            self.deconv_output1 = self._deconv(n, n // 2)
            self.deconv_output2 = self._deconv(n // 2, self.frame_channel)
            first_in, action_in = n, n
        else:
            self.state_size = self.patched_size
            first_in, action_in = self.frame_channel + self.num_action_ch, self.num_action_ch
        self.cell_list = nn.ModuleList([
            ActionConditionedSTLSTMCell(first_in if i == 0 else self.num_hidden[i - 1],
                                        self.num_hidden[i], *self.state_size, action_in,
                                        self.filter_size, 1, self.layer_norm)
            for i in range(self.num_layers)
        ])
        if not self.conv_on_input:
            self.conv_last = nn.Conv2d(self.num_hidden[-1], self.frame_channel, kernel_size=1,
                                       stride=1, padding=0, bias=False)

    def _conv(self, in_channels: int, out_channels: int) -> nn.Conv2d:
        return nn.Conv2d(in_channels, out_channels, self.filter_size, stride=ENCODER_STRIDE,
                         padding=self.filter_size // 2, bias=False)

    def _deconv(self, in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
        return nn.ConvTranspose2d(in_channels, out_channels, self.filter_size,
                                  stride=ENCODER_STRIDE, padding=self.filter_size // 2,
                                  bias=False)

    # -- checks -------------------------------------------------------------------------------
    def _check_frames(self, frames: torch.Tensor) -> None:
        if frames.dim() != 5:
            raise ConfigError(f'frames must be [B, T, C, H, W], got shape {list(frames.shape)}')
        _, t, c, h, w = frames.shape
        if (c, h, w) != (self.img_channel, *self.img_size):
            raise ConfigError(
                f'frames of shape [C, H, W] = {[c, h, w]} do not match the model '
                f'(model.backbone.img_channel={self.img_channel}, '
                f'model.backbone.img_size={self.img_size})')
        if t < 2:
            raise ConfigError(f'a clip needs at least 2 frames, got {t}')

    def _check_actions(self, actions: Optional[torch.Tensor], frames: torch.Tensor
                       ) -> torch.Tensor:
        """The actions of steps 0..T-2 as [B, T-1, A] in the frames' dtype."""
        name = type(self).__name__
        if actions is None:
            raise ConfigError(
                f'{name} needs the actions of the clip: use a dataset that yields "actions" '
                f'(e.g. BAIRPush), or pass actions= to predbench.apis.predict')
        batch, total = frames.shape[:2]
        if not torch.is_tensor(actions) or actions.dim() != 3 or actions.shape[0] != batch \
                or actions.shape[1] not in (total, total - 1) \
                or actions.shape[2] != self.num_action_ch:
            shape = list(actions.shape) if torch.is_tensor(actions) else type(actions).__name__
            raise ConfigError(
                f'actions must be [B, T, A] = [{batch}, {total}, {self.num_action_ch}] for '
                f'{total} frames (one action per frame; the last may be left out), got '
                f'{shape} (model.backbone.num_action_ch={self.num_action_ch})')
        return actions[:, :total - 1].to(frames.dtype)

    # -- the rollout ----------------------------------------------------------------------------
    def _action_responses(self, like: torch.Tensor) -> List[torch.Tensor]:
        """Each cell's conv_a response to each unit action tiled over the frame [A, 4N, h, w]."""
        a = self.num_action_ch
        unit = torch.eye(a, dtype=like.dtype, device=like.device)[:, :, None, None]
        unit_maps = unit.expand(a, a, *self.patched_size).contiguous()
        if self.conv_on_input:
            unit_maps = self.action_conv_input2(self.action_conv_input1(unit_maps))
        return [cell.action_responses(unit_maps) for cell in self.cell_list]

    def _encode(self, net: torch.Tensor, action: torch.Tensor
                ) -> Tuple[torch.Tensor, Optional[Tuple[torch.Tensor, torch.Tensor]]]:
        """Layer 0's input, and the encoder's outputs the decoder needs (None without encoder)."""
        if not self.conv_on_input:
            tiled = action[:, :, None, None].expand(-1, -1, *net.shape[-2:])
            return torch.cat([net, tiled], dim=1), None
        first = self.conv_input1(net)
        second = self.conv_input2(first)
        return second, (first, second)

    def _decode(self, hidden: torch.Tensor, encoded: Optional[Tuple[torch.Tensor, torch.Tensor]],
                out_size: torch.Size) -> torch.Tensor:
        if encoded is None:
            return self.conv_last(hidden)
        first, second = encoded
        if self.res_on_conv:
            hidden = hidden + second
        out = self.deconv_output1(hidden, output_size=first.shape[-2:])
        if self.res_on_conv:
            out = out + first
        return self.deconv_output2(out, output_size=out_size[-2:])

    def _rollout(self, frames: torch.Tensor, actions: Optional[torch.Tensor],
                 true_flags: Optional[torch.Tensor], input_length: Optional[int],
                 keep_increments: bool):
        """Run the stack over all steps; returns (patched predictions, increments per step)."""
        self._check_frames(frames)
        actions = self._check_actions(actions, frames)
        batch, total = frames.shape[:2]
        check_true_flags(true_flags, batch, total - 1)
        truth = patchify(frames, self.patch_size)
        responses = self._action_responses(truth)
        zeros = truth.new_zeros(batch, self.num_hidden[0], *self.state_size)
        h = [zeros] * self.num_layers
        c = [zeros] * self.num_layers
        memory = zeros
        predictions, increments = [], []
        x_gen = None
        for t in range(total - 1):
            net = input_at_step(t, truth, x_gen, true_flags, input_length)
            action = actions[:, t]
            x, encoded = self._encode(net, action)
            for i, cell in enumerate(self.cell_list):
                gates = cell.action_gates(action, responses[i])
                h[i], c[i], memory, delta_c, delta_m = cell(x if i == 0 else h[i - 1], h[i],
                                                            c[i], memory, gates)
                if keep_increments:
                    increments.append((delta_c, delta_m))
            x_gen = self._decode(h[-1], encoded, net.shape)
            predictions.append(x_gen)
        return torch.stack(predictions, dim=1), increments

    def explain_checkpoint_mismatch(self, state_dict: Dict[str, torch.Tensor]) -> List[str]:
        """Config options to change so that a backbone-level state dict fits (checkpoint loader)."""
        from .checkpoint_compat import action_cond_checkpoint_hints
        return action_cond_checkpoint_hints(self, state_dict)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True,
                actions: Optional[torch.Tensor] = None) -> BackboneOutput:
        """Predict frames 1..T-1 of ``frames`` under ``actions``; returns (predictions, {})."""
        patched, _ = self._rollout(frames, actions, true_flags, input_length,
                                   keep_increments=False)
        return unpatchify(patched, self.patch_size), {}


@MODELS.register_module()
class ActionCondPredRNNv2(MemoryDecouplingMixin, ActionCondPredRNN):
    """Action-conditioned PredRNN-V2 (the original's ``action_cond_predrnn_v2``): the
    action-conditioned stack plus PredRNN-V2's decoupling loss over a 1x1 ``adapter``.

    Args:
        decouple_beta: weight of the decoupling loss (0.1 in the BAIR script).
        **kwargs: the arguments of :class:`ActionCondPredRNN`.
    """

    def __init__(self, *args, decouple_beta: float = 0.1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.decouple_beta = float(decouple_beta)
        self.adapter = nn.Conv2d(self.num_hidden[-1], self.num_hidden[-1], kernel_size=1,
                                 stride=1, padding=0, bias=False)

    def forward(self, frames: torch.Tensor, true_flags: Optional[torch.Tensor] = None,
                input_length: Optional[int] = None, with_aux: bool = True,
                actions: Optional[torch.Tensor] = None) -> BackboneOutput:
        """Predict frames 1..T-1; with ``with_aux`` also return ``loss_decouple`` (weighted)."""
        patched, increments = self._rollout(frames, actions, true_flags, input_length,
                                            keep_increments=with_aux)
        return unpatchify(patched, self.patch_size), self.decoupling_terms(increments, with_aux)
