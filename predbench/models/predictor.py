"""The training and inference logic around any recurrent backbone (losses, sampling, modes).

Backbones share one signature: ``backbone(frames, true_flags, input_length, with_aux)`` returns
the predictions of frames 1..T-1 ([B, T-1, C, H, W]) and a dict of auxiliary losses. A backbone
conditioned on actions (e.g. ``ActionCondPredRNN``) declares one more keyword, ``actions``
([B, T, A]); the predictor passes the batch's ``actions`` only to backbones that declare it.
"""
import inspect
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from ..registry import MODELS
from ..utils.errors import ConfigError

#: How the sampling mask of a training batch maps onto the per-step input flags.
SAMPLING_MODES = ('reverse', 'scheduled')


def true_flags_from_mask(mask: torch.Tensor, mode: str, total_length: int,
                         input_length: int) -> torch.Tensor:
    """Per-step flags [B, T-1] (1: feed the true frame) from an original-release sampling mask.

    ``'reverse'`` (reverse scheduled sampling): mask [B, T-2]; step 0 uses the truth, step
    t >= 1 uses mask[t-1]. ``'scheduled'``: mask [B, T-input_length-1]; steps t < input_length
    use the truth, later steps mask[t-input_length].
    """
    batch = mask.shape[0]
    if mode == 'reverse':
        leading, expected = 1, total_length - 2
    elif mode == 'scheduled':
        leading, expected = input_length, total_length - input_length - 1
    else:
        raise ConfigError(f'sampling_mode must be one of {SAMPLING_MODES}, got {mode!r}')
    if mask.dim() != 2 or mask.shape[1] != expected:
        raise ConfigError(
            f'a {mode} sampling mask for clips of {total_length} frames (input_length='
            f'{input_length}) must be [B, {expected}], got {list(mask.shape)}')
    ones = mask.new_ones(batch, leading)
    return torch.cat([ones, mask.to(ones.dtype)], dim=1)


@MODELS.register_module()
class VideoPredictor(BaseModel):
    """Observe ``input_length`` frames, predict the rest of the clip.

    Modes: ``loss`` (training: MSE over all T-1 generated frames plus the backbone's auxiliary
    losses, inputs chosen by the batch's sampling mask), ``predict`` (truth for the observed
    frames, own predictions afterwards; one dict per clip with ``pred`` and ``gt`` of the future
    frames), ``tensor`` (the raw predictions of frames 1..T-1).

    Batches may carry ``actions`` [B, T, A] (one action per frame; e.g. BAIRPush): they reach
    backbones whose ``forward`` takes ``actions`` and are ignored by the others (an action-free
    baseline on the same data); with ``reverse_input`` they are reversed with the frames, as the
    original release reverses its action channels.

    Args:
        backbone: config of a registered backbone (``PredRNN``, ``PredRNNv2``, ...).
        input_length: observed frames.
        reverse_input: also train on each time-reversed clip with its own optimizer step, as
            the original release does (``--reverse_input 1``); the logged losses are the means.
        data_preprocessor: defaults to :class:`VideoDataPreprocessor`.
    """

    def __init__(self, backbone: dict, input_length: int = 10, reverse_input: bool = False,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here, from predbench's registry: BaseModel would look in MMEngine's root.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        if input_length < 1:
            raise ConfigError(f'model.input_length must be >= 1, got {input_length}')
        self.input_length = int(input_length)
        self.reverse_input = bool(reverse_input)
        self.takes_actions = 'actions' in inspect.signature(self.backbone.forward).parameters

    def forward(self, inputs: torch.Tensor, data_samples: Optional[Union[dict, list]] = None,
                mode: str = 'tensor', sampling_mask: Optional[torch.Tensor] = None,
                sampling_mode: Optional[str] = None, actions: Optional[torch.Tensor] = None):
        """Dispatch on ``mode``; ``inputs`` are clips [B, T, C, H, W] in [0, 1]."""
        if inputs.shape[1] <= self.input_length and mode != 'tensor':
            raise ConfigError(
                f'clips of {inputs.shape[1]} frames leave nothing to predict after '
                f'model.input_length={self.input_length} observed frames')
        if mode == 'loss':
            return self.loss(inputs, sampling_mask, sampling_mode, actions)
        if mode == 'predict':
            return self.predict(inputs, data_samples, actions)
        if mode == 'tensor':
            flags = self._flags(inputs, sampling_mask, sampling_mode)
            return self._run_backbone(inputs, flags, False, actions)[0]
        raise ConfigError(f'unknown mode {mode!r}; use loss, predict or tensor')

    def _run_backbone(self, clip: torch.Tensor, flags: Optional[torch.Tensor], with_aux: bool,
                      actions: Optional[torch.Tensor]):
        """The backbone on ``clip``, with ``actions`` only for a backbone that takes them."""
        if self.takes_actions:
            return self.backbone(clip, flags, self.input_length, with_aux=with_aux,
                                 actions=actions)
        return self.backbone(clip, flags, self.input_length, with_aux=with_aux)

    def _flags(self, inputs: torch.Tensor, mask: Optional[torch.Tensor],
               mode: Optional[str]) -> Optional[torch.Tensor]:
        if mask is None:
            return None
        if mode is None:
            raise ConfigError('a sampling_mask needs its sampling_mode (reverse or scheduled)')
        return true_flags_from_mask(mask, mode, inputs.shape[1], self.input_length)

    def loss(self, inputs: torch.Tensor, sampling_mask: Optional[torch.Tensor] = None,
             sampling_mode: Optional[str] = None,
             actions: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """``loss_rec`` (MSE of frames 1..T-1) plus the backbone's auxiliary losses.

        Without a mask (no sampling hook) the model sees the truth for the observed frames and
        its own predictions afterwards, like the original with sampling switched off.
        """
        flags = self._flags(inputs, sampling_mask, sampling_mode)
        pred, aux = self._run_backbone(inputs, flags, True, actions)
        return {'loss_rec': F.mse_loss(pred, inputs[:, 1:]), **aux}

    def predict(self, inputs: torch.Tensor, data_samples=None,
                actions: Optional[torch.Tensor] = None) -> List[dict]:
        """One dict per clip: ``pred`` and ``gt`` [T_out, C, H, W] (pred not clipped), ``input``,
        and the clip's ``actions`` [T, A] when the batch has them (for pictures)."""
        pred = self.predict_frames(inputs[:, :self.input_length],
                                   inputs.shape[1] - self.input_length, future=inputs,
                                   actions=actions)
        indices = _sample_indices(data_samples, inputs.shape[0])
        outputs = [
            dict(pred=pred[b], gt=inputs[b, self.input_length:],
                 input=inputs[b, :self.input_length], index=indices[b])
            for b in range(inputs.shape[0])
        ]
        if actions is not None:
            for b, output in enumerate(outputs):
                output['actions'] = actions[b]
        return outputs

    @torch.no_grad()
    def predict_frames(self, observed: torch.Tensor, pred_length: int,
                       future: Optional[torch.Tensor] = None,
                       actions: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Predict ``pred_length`` frames after ``observed`` [B, T_in, C, H, W] -> [B, N, C, H, W].

        ``pred_length`` may exceed the length the model was trained for (10->20, 10->40).
        ``actions`` [B, T_in + pred_length, A] condition an action-conditioned backbone (the
        action of frame t drives the step t -> t + 1); other backbones ignore them.
        """
        t_in = observed.shape[1]
        if t_in != self.input_length:
            raise ConfigError(
                f'the model observes model.input_length={self.input_length} frames, got {t_in}')
        if future is None:
            # The rollout never reads true frames after the observed ones at inference.
            pad = observed.new_zeros(observed.shape[0], pred_length, *observed.shape[2:])
            future = torch.cat([observed, pad], dim=1)
        clip = future[:, :t_in + pred_length]
        if actions is not None:
            actions = actions[:, :t_in + pred_length]
        pred, _ = self._run_backbone(clip, None, False, actions)
        return pred[:, t_in - 1:]

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One iteration (two optimizer steps with ``reverse_input``)."""
        return reversible_train_step(self, self, data, optim_wrapper)


def _sample_indices(data_samples, batch: int) -> List[Optional[int]]:
    """Dataset indices of the clips in a batch, when the dataset provided them."""
    if isinstance(data_samples, dict) and 'index' in data_samples:
        index = data_samples['index']
        return [int(i) for i in (index.tolist() if torch.is_tensor(index) else index)]
    if isinstance(data_samples, (list, tuple)) and len(data_samples) == batch:
        return [d.get('index') if isinstance(d, dict) else None for d in data_samples]
    return [None] * batch


def reversible_train_step(runner_model, predictor: VideoPredictor, data,
                          optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
    """Train on the batch, then (with ``reverse_input``) on its time-reversed clips.

    ``runner_model`` is the predictor itself or its DDP wrapper (so that gradients are
    synchronised); each pass takes its own optimizer step with the same sampling mask, as in the
    original release, and the logged values are the means of the two passes.
    """
    with optim_wrapper.optim_context(runner_model):
        data = predictor.data_preprocessor(data, True)
        losses = runner_model._run_forward(data, mode='loss')
    parsed, log_vars = predictor.parse_losses(losses)
    optim_wrapper.update_params(parsed)
    if not getattr(predictor, 'reverse_input', False):
        return log_vars
    reversed_data = dict(data, inputs=data['inputs'].flip(1))
    if data.get('actions') is not None:  # the original flips its action channels with the frames
        reversed_data['actions'] = data['actions'].flip(1)
    with optim_wrapper.optim_context(runner_model):
        losses = runner_model._run_forward(reversed_data, mode='loss')
    parsed, reversed_vars = predictor.parse_losses(losses)
    optim_wrapper.update_params(parsed)
    return {k: (v + reversed_vars[k]) / 2 for k, v in log_vars.items()}
