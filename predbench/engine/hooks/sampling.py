"""Sampling curricula of PredRNN (scheduled sampling) and PredRNN-V2 (reverse scheduled sampling).

Each training iteration draws per-clip, per-step Bernoulli flags (1: feed the true frame, 0: feed
the model's own prediction) and puts them in the batch as ``sampling_mask`` [B, steps] with its
``sampling_mode``; the predictor maps them onto its inputs exactly like the original release.

The probabilities are pure functions of the 1-based global iteration ``it`` and the draws come
from a generator seeded by (seed, it), so a resumed run continues the schedule and the draws
exactly, and every DDP rank advances with the global iteration (nothing is stored on the model or
its DDP wrapper); each rank takes the rows of the global batch's mask that belong to its clips.
"""
import math
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS
from ...utils.errors import ConfigError


class _SamplingHook(Hook):
    """Shared machinery: draw flags before each training iteration and log their probability."""

    priority = 'NORMAL'
    mode = ''

    def __init__(self, input_length: Optional[int] = None, seed: Optional[int] = None) -> None:
        self.input_length = input_length
        self.seed = seed

    # -- the schedule ---------------------------------------------------------------------
    def num_flags(self, total_length: int) -> int:
        raise NotImplementedError

    def probabilities(self, it: int, total_length: int) -> np.ndarray:
        """Probability of feeding the truth for each flag at iteration ``it`` (1-based)."""
        raise NotImplementedError

    def draw(self, it: int, batch_size: int, total_length: int, rank: int = 0,
             world_size: int = 1) -> torch.Tensor:
        """The sampling mask [batch_size, num_flags] of iteration ``it`` on ``rank``.

        The mask of the global batch (``batch_size * world_size`` clips) is drawn once, and rank
        r takes rows r, r + world_size, ... -- the clips that the training sampler gives it -- so
        a DDP run draws exactly what a single process with the global batch would.
        """
        p = self.probabilities(it, total_length)
        rng = np.random.default_rng([self._seed_value(), int(it)])
        uniform = rng.random((batch_size * world_size, p.shape[0]))[rank::world_size]
        return torch.from_numpy((uniform < p[None, :]).astype(np.float32))

    # -- MMEngine hook points -------------------------------------------------------------
    def _seed_value(self) -> int:
        return 0 if self.seed is None else int(self.seed)

    def before_train(self, runner) -> None:
        others = [h for h in runner.hooks if isinstance(h, _SamplingHook) and h is not self]
        if others:
            names = sorted({type(h).__name__ for h in [self, *others]})
            raise ConfigError(
                f'custom_hooks has {" and ".join(names)}: the sampling curricula are mutually '
                f'exclusive, keep exactly one (ScheduledSamplingHook for PredRNN, '
                f'ReverseScheduledSamplingHook for PredRNN-V2)')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self.input_length is None:
            self.input_length = int(getattr(model, 'input_length', 10))
        if self.seed is None:
            self.seed = runner.seed if isinstance(getattr(runner, 'seed', None), int) else 0

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not isinstance(data_batch, dict) or 'inputs' not in data_batch:
            raise ConfigError(f'{type(self).__name__} needs batches with an "inputs" entry')
        inputs = data_batch['inputs']
        batch, total = (len(inputs), inputs[0].shape[0]) if isinstance(inputs, (list, tuple)) \
            else inputs.shape[:2]
        it = runner.iter + 1
        data_batch['sampling_mask'] = self.draw(it, int(batch), int(total), *get_dist_info())
        data_batch['sampling_mode'] = self.mode
        for name, value in self.logged_probabilities(it).items():
            runner.message_hub.update_scalar(f'train/{name}', value)

    def logged_probabilities(self, it: int) -> dict:
        raise NotImplementedError

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # For the record only: the schedule is recomputed from the iteration on resume.
        checkpoint.setdefault('meta', {})['sampling'] = dict(
            type=type(self).__name__, iteration=runner.iter, seed=self._seed_value(),
            **self.logged_probabilities(max(runner.iter, 1)))


@HOOKS.register_module()
class ScheduledSamplingHook(_SamplingHook):
    """PredRNN's scheduled sampling over the decoder steps (T - input_length - 1 flags).

    eta(it) = max(0, start_value - changing_rate * it) while it < stop_iter, else 0.
    """

    mode = 'scheduled'

    def __init__(self, stop_iter: int = 50000, start_value: float = 1.0,
                 changing_rate: float = 0.00002, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stop_iter = int(stop_iter)
        self.start_value = float(start_value)
        self.changing_rate = float(changing_rate)

    def eta(self, it: int) -> float:
        if it >= self.stop_iter:
            return 0.0
        return max(0.0, self.start_value - self.changing_rate * it)

    def num_flags(self, total_length: int) -> int:
        return total_length - self.input_length - 1

    def probabilities(self, it: int, total_length: int) -> np.ndarray:
        return np.full(self.num_flags(total_length), self.eta(it))

    def logged_probabilities(self, it: int) -> dict:
        return dict(sampling_eta=self.eta(it))


@HOOKS.register_module()
class ReverseScheduledSamplingHook(_SamplingHook):
    """PredRNN-V2's reverse scheduled sampling (T - 2 flags).

    The first input_length - 1 (encoder) flags use the truth with probability
    r_eta(it) = 0.5 (it < s1); 1 - 0.5 exp(-(it - s1) / alpha) (s1 <= it < s2); 1 (later).
    The other (decoder) flags with eta(it) = 0.5 (it < s1); 0.5 - 0.5 (it - s1) / (s2 - s1)
    (s1 <= it < s2); 0 (later).
    """

    mode = 'reverse'

    def __init__(self, step_1: int = 25000, step_2: int = 50000, exp_alpha: float = 2500,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not step_1 < step_2:
            raise ConfigError(f'ReverseScheduledSamplingHook needs step_1 < step_2, got '
                              f'{step_1} and {step_2}')
        self.step_1 = int(step_1)
        self.step_2 = int(step_2)
        self.exp_alpha = float(exp_alpha)

    def etas(self, it: int) -> Tuple[float, float]:
        """(r_eta, eta): truth probabilities of the encoder and decoder flags at ``it``."""
        s1, s2 = self.step_1, self.step_2
        if it < s1:
            return 0.5, 0.5
        if it < s2:
            r_eta = 1.0 - 0.5 * math.exp(-float(it - s1) / self.exp_alpha)
            eta = 0.5 - (0.5 / (s2 - s1)) * (it - s1)
            return r_eta, eta
        return 1.0, 0.0

    def num_flags(self, total_length: int) -> int:
        return total_length - 2

    def probabilities(self, it: int, total_length: int) -> np.ndarray:
        r_eta, eta = self.etas(it)
        encoder = self.input_length - 1
        p = np.full(self.num_flags(total_length), eta)
        p[:encoder] = r_eta
        return p

    def logged_probabilities(self, it: int) -> dict:
        r_eta, eta = self.etas(it)
        return dict(sampling_r_eta=r_eta, sampling_eta=eta)
