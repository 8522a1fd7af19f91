"""The sampling curricula: probabilities against the papers' formulas, and their draws."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from predbench.engine.hooks import ReverseScheduledSamplingHook, ScheduledSamplingHook
from predbench.utils.errors import ConfigError


def _rss(**kw):
    hook = ReverseScheduledSamplingHook(step_1=25000, step_2=50000, exp_alpha=2500, **kw)
    hook.input_length = 10
    return hook


@pytest.mark.parametrize('it,r_eta,eta', [
    (1, 0.5, 0.5),
    (24999, 0.5, 0.5),
    (25000, 0.5, 0.5),  # exp(0) -> 1 - 0.5; the decoder starts its linear decay at 0.5
    (27500, 1 - 0.5 * math.exp(-1), 0.5 - 0.5 * 2500 / 25000),
    (40000, 1 - 0.5 * math.exp(-6), 0.5 - 0.5 * 15000 / 25000),
    (49999, 1 - 0.5 * math.exp(-24999 / 2500), 0.5 - 0.5 * 24999 / 25000),
    (50000, 1.0, 0.0),
    (80000, 1.0, 0.0),
])
def test_reverse_schedule_matches_the_formula(it, r_eta, eta):
    hook = _rss()
    got_r, got = hook.etas(it)
    assert got_r == pytest.approx(r_eta, abs=1e-12)
    assert got == pytest.approx(eta, abs=1e-12)
    p = hook.probabilities(it, total_length=20)
    assert p.shape == (18,)  # T - 2 flags
    np.testing.assert_allclose(p[:9], r_eta)  # input_length - 1 encoder flags
    np.testing.assert_allclose(p[9:], eta)


def test_kth_reverse_schedule():
    hook = ReverseScheduledSamplingHook(step_1=5000, step_2=50000, exp_alpha=2000)
    hook.input_length = 10
    assert hook.etas(7000) == pytest.approx((1 - 0.5 * math.exp(-1), 0.5 - 0.5 * 2000 / 45000))


@pytest.mark.parametrize('it,eta', [(1, 1 - 2e-5), (100, 0.998), (25000, 0.5), (49999, 0.00002),
                                    (50000, 0.0), (60000, 0.0)])
def test_scheduled_sampling_matches_the_formula(it, eta):
    hook = ScheduledSamplingHook(stop_iter=50000, start_value=1.0, changing_rate=2e-5)
    hook.input_length = 10
    assert hook.eta(it) == pytest.approx(eta, abs=1e-12)
    p = hook.probabilities(it, total_length=20)
    assert p.shape == (9,)  # T - input_length - 1 decoder flags
    np.testing.assert_allclose(p, eta)


def test_scheduled_sampling_never_goes_negative():
    hook = ScheduledSamplingHook(stop_iter=10 ** 9, start_value=1.0, changing_rate=1e-3)
    assert hook.eta(5000) == 0.0


def test_draw_statistics_follow_the_probabilities():
    hook = _rss()
    it = 30000
    r_eta, eta = hook.etas(it)
    mask = hook.draw(it, batch_size=20000, total_length=20)
    assert mask.shape == (20000, 18) and mask.dtype == torch.float32
    assert set(torch.unique(mask).tolist()) <= {0.0, 1.0}
    means = mask.mean(0).numpy()
    tol = 4 * math.sqrt(0.25 / 20000)
    np.testing.assert_allclose(means[:9], r_eta, atol=tol)
    np.testing.assert_allclose(means[9:], eta, atol=tol)


def test_draws_are_a_function_of_seed_iteration_and_rank():
    hook = _rss(seed=3)
    a = hook.draw(123, 8, 20, rank=0)
    assert torch.equal(a, hook.draw(123, 8, 20, rank=0))  # a resumed run draws the same
    assert not torch.equal(a, hook.draw(124, 8, 20, rank=0))
    assert not torch.equal(hook.draw(123, 4, 20, 0, 2), hook.draw(123, 4, 20, 1, 2))


def test_ranks_share_the_global_batch_mask():
    """Rank r of W gets the rows of the global mask of the clips r, r + W, ... it trains on."""
    hook = _rss(seed=5)
    whole = hook.draw(99, 8, 20)
    assert torch.equal(hook.draw(99, 4, 20, rank=0, world_size=2), whole[0::2])
    assert torch.equal(hook.draw(99, 4, 20, rank=1, world_size=2), whole[1::2])


def _fake_runner(iteration, hooks, seed=0):
    hub = SimpleNamespace(scalars={}, update_scalar=lambda k, v: hub.scalars.__setitem__(k, v))
    model = SimpleNamespace(input_length=10)
    return SimpleNamespace(iter=iteration, hooks=hooks, model=model, seed=seed, message_hub=hub)


def test_hook_puts_a_small_mask_and_its_mode_in_the_batch():
    hook = ReverseScheduledSamplingHook()
    runner = _fake_runner(29999, [hook])
    hook.before_train(runner)
    batch = dict(inputs=torch.zeros(4, 20, 1, 8, 8))
    hook.before_train_iter(runner, 0, batch)
    assert batch['sampling_mode'] == 'reverse'
    assert batch['sampling_mask'].shape == (4, 18)
    assert torch.equal(batch['sampling_mask'], hook.draw(30000, 4, 20))  # 1-based iteration
    assert runner.message_hub.scalars['train/sampling_r_eta'] == pytest.approx(hook.etas(30000)[0])


def test_both_curricula_together_are_a_config_error():
    a, b = ScheduledSamplingHook(), ReverseScheduledSamplingHook()
    with pytest.raises(ConfigError, match='mutually exclusive'):
        a.before_train(_fake_runner(0, [a, b]))
