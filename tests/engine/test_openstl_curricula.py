"""The curricula of the OpenSTL configs (PredRNN++, MIM): scheduled sampling and the one-cycle
schedule, checked against OpenSTL's definitions."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from openstl_reference import RefPredRNNpp, full_size_mask, reshape_patch, strip_unused
from predbench.engine.hooks import ScheduledSamplingHook
from predbench.models import PredRNNpp, VideoPredictor
from predbench.utils.config import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = ['predrnnpp_mmnist', 'mim_mmnist', 'predrnnpp_kth', 'mim_kth']


def _openstl_etas(iterations, stop=50000, rate=0.00002):
    """OpenSTL's schedule_sampling: eta starts at 1 and, at each global step k (0-based),
    loses ``rate`` while k < sampling_stop_iter, else is 0 (kept on the method, lost on resume)."""
    eta, etas = 1.0, []
    for k in range(iterations):
        eta = eta - rate if k < stop else 0.0
        etas.append(eta)
    return np.array(etas)


@pytest.mark.parametrize('name', CONFIGS)
def test_configs_use_openstl_scheduled_sampling(name):
    cfg = load_config(osp.join(REPO, 'configs', f'{name}.py'))
    (hook_cfg,) = cfg.custom_hooks
    hook = ScheduledSamplingHook(**{k: v for k, v in hook_cfg.items() if k != 'type'})
    assert hook_cfg['type'] == 'ScheduledSamplingHook'
    hook.input_length = cfg.model.input_length
    # predbench's 1-based iteration it = OpenSTL's global_step + 1
    ours = np.array([hook.eta(k + 1) for k in range(60000)])
    np.testing.assert_allclose(ours, np.maximum(_openstl_etas(60000), 0), atol=1e-9)


@pytest.mark.parametrize('total', [20, 30])  # Moving MNIST 10 -> 10, KTH 10 -> 20
def test_hook_mask_covers_the_steps_openstl_mask_covers(total):
    """OpenSTL's mask [B, T - input - 1, ...] mixes truth and prediction at steps t >= input
    (index t - input); the hook's flags [B, T - input - 1] in 'scheduled' mode do the same: the
    same flags give the same loss and gradients in both."""
    input_length, size, patch = 10, (8, 8), 4
    hook = ScheduledSamplingHook(stop_iter=50000, start_value=1.0, changing_rate=0.00002)
    hook.input_length = input_length
    flags = hook.draw(25000, 2, total)  # eta 0.5
    assert flags.shape == (2, total - input_length - 1)
    assert 0 < flags.mean() < 1
    torch.manual_seed(0)
    ref = RefPredRNNpp([4, 4], size, 1, patch, 3, False, input_length, total)
    ours = PredRNNpp([4, 4], size, patch_size=patch, filter_size=3)
    ours.load_state_dict(strip_unused(ref.state_dict(), PredRNNpp))
    frames = np.random.default_rng(0).random((2, total, *size, 1)).astype(np.float32)
    mask = full_size_mask(flags.numpy(), 2, 2, patch * patch)
    ref_loss = ref(torch.from_numpy(reshape_patch(frames, patch)), torch.FloatTensor(mask))[1]
    loss = VideoPredictor(backbone=ours, input_length=input_length)(
        torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss', sampling_mask=flags,
        sampling_mode='scheduled')['loss_rec']
    assert loss.item() == pytest.approx(ref_loss.item(), abs=1e-6)


@pytest.mark.filterwarnings('ignore:Detected call of')  # no optimizer steps: only the schedule
@pytest.mark.parametrize('name', CONFIGS)
def test_configs_follow_torch_one_cycle_like_openstl(name):
    """lr and Adam's beta1 at every iteration = torch's OneCycleLR(max_lr=lr, total_steps=
    max_iters) with its default cycle_momentum, which OpenSTL steps every iteration."""
    cfg = load_config(osp.join(REPO, 'configs', f'{name}.py'))
    total, lr = cfg.train_cfg.max_iters, cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))],
                                 **{k: v for k, v in cfg.optim_wrapper.optimizer.items()
                                    if k != 'type'})
    wrapper = OptimWrapper(optimizer)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper)) for s in cfg.param_scheduler]
    reference = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(reference, max_lr=lr, total_steps=total,
                                                    final_div_factor=1e4)
    ours, want = [], []
    for step in range(total):
        ours.append((optimizer.param_groups[0]['lr'], optimizer.param_groups[0]['betas'][0]))
        want.append((reference.param_groups[0]['lr'], reference.param_groups[0]['betas'][0]))
        if step < total - 1:
            one_cycle.step()
        for scheduler in schedulers:
            scheduler.step()
    ours, want = np.array(ours), np.array(want)
    np.testing.assert_allclose(ours[:, 0], want[:, 0], rtol=1e-9, atol=0)
    np.testing.assert_allclose(ours[:, 1], want[:, 1], atol=1e-8)
    assert want[0, 1] == 0.95 and want[:, 1].min() == pytest.approx(0.85)


@pytest.mark.filterwarnings('ignore:Detected call of')
def test_one_cycle_state_is_saved_weights_only_and_resumes(tmp_path):
    """OneCycleLR keeps its annealing function in its state; checkpoints leave it out, so
    tools/test.py can read them with weights_only=True and a resume continues the schedule."""
    from predbench.engine.checkpoint_io import read_checkpoint, to_weights_only
    cfg = load_config(osp.join(REPO, 'configs', 'mim_kth.py'))

    def build():
        optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-4,
                                     betas=(0.95, 0.999))
        wrapper = OptimWrapper(optimizer)
        return optimizer, [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
                           for s in cfg.param_scheduler]

    optimizer, schedulers = build()
    for _ in range(12000):
        for scheduler in schedulers:
            scheduler.step()
    path = str(tmp_path / 'sched.pth')
    torch.save(to_weights_only({'param_schedulers': [s.state_dict() for s in schedulers],
                                'optimizer': optimizer.state_dict()}), path)
    saved = read_checkpoint(path)
    resumed_optimizer, resumed = build()
    resumed_optimizer.load_state_dict(saved['optimizer'])
    for scheduler, state in zip(resumed, saved['param_schedulers']):
        scheduler.load_state_dict(state)
    for _ in range(100):
        for a, b in zip(schedulers, resumed):
            a.step()
            b.step()
        assert resumed_optimizer.param_groups[0]['lr'] == optimizer.param_groups[0]['lr']
        assert resumed_optimizer.param_groups[0]['betas'] == optimizer.param_groups[0]['betas']
