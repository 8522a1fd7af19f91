"""E3D-LSTM's and MAU's configs train as OpenSTL's methods do: curriculum, masks, lr schedule."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from benchmarks.eager_e3dlstm import RefE3DLSTM, reference_training_loss
from predbench.engine.hooks import ScheduledSamplingHook
from predbench.models import E3DLSTM, VideoPredictor
from predbench.utils.config import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = ['e3dlstm_mmnist', 'e3dlstm_kth', 'mau_mmnist', 'mau_kth']


def _config(name):
    return load_config(osp.join(REPO, 'configs', f'{name}.py'))


def _openstl_etas(method: str, iterations: int, stop=50000, rate=0.00002) -> np.ndarray:
    """eta used at each 0-based global step by OpenSTL's training_step (schedule_sampling).

    PredRNN's method (E3D-LSTM inherits it) stores the lowered eta; MAU's method assigns it to
    a local variable, so it lowers 1.0 once at every step.
    """
    eta, etas = 1.0, []
    for step in range(iterations):
        new = eta - rate if step < stop else 0.0
        if method == 'predrnn':
            eta = new
        etas.append(new)
    return np.array(etas)


@pytest.mark.parametrize('name,method', [('e3dlstm_mmnist', 'predrnn'), ('mau_mmnist', 'mau')])
def test_sampling_curriculum_is_openstls(name, method):
    cfg = _config(name)
    (hook_cfg, ) = cfg.custom_hooks
    assert hook_cfg.pop('type') == 'ScheduledSamplingHook'
    hook = ScheduledSamplingHook(**hook_cfg)
    expected = _openstl_etas(method, 60000)
    got = np.array([hook.eta(step + 1) for step in range(60000)])  # the hook's it is 1-based
    np.testing.assert_allclose(got, expected, atol=1e-9)
    if method == 'mau':
        assert got[49999] == pytest.approx(0.99998) and got[50000] == 0.0


def test_hook_masks_cover_openstls_decoder_steps_and_window():
    """The hook draws T - input - 1 flags, the predictor feeds the truth for the first
    input_length steps; with E3D-LSTM's two-frame window this is OpenSTL's training loss."""
    hook = ScheduledSamplingHook(stop_iter=50000, start_value=0.5, changing_rate=0.0, seed=3)
    hook.input_length = 3
    flags = hook.draw(it=11, batch_size=3, total_length=8)
    assert flags.shape == (3, 4) and 0 < flags.sum() < flags.numel()
    torch.manual_seed(0)
    ref = RefE3DLSTM([8, 8], (16, 16), 1, 4, 1, False, 3, 8)
    ours = E3DLSTM([8, 8], 16, patch_size=4)
    ours.load_state_dict(ref.state_dict())
    frames = np.random.default_rng(4).random((3, 8, 16, 16, 1)).astype(np.float32)
    expected = reference_training_loss(ref, frames, 4, flags.numpy())
    model = VideoPredictor(backbone=ours, input_length=3)
    losses = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss',
                   sampling_mask=flags, sampling_mode=hook.mode)
    assert sum(losses.values()).item() == pytest.approx(expected.item(), abs=1e-6)


@pytest.mark.filterwarnings('ignore:Detected call of')
def test_onecycle_schedule_is_torchs_one_cycle_lr():
    """lr and Adam's beta1 at every iteration equal torch's OneCycleLR (OpenSTL's scheduler)."""
    cfg = _config('e3dlstm_kth')
    ours_opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))],
                                **{k: v for k, v in cfg.optim_wrapper.optimizer.items()
                                   if k != 'type'})
    wrapper = OptimWrapper(ours_opt)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper)) for s in cfg.param_scheduler]
    torch_opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(torch_opt, max_lr=cfg.lr,
                                                    total_steps=cfg.train_cfg.max_iters)
    lrs, betas = [], []
    for _ in range(cfg.train_cfg.max_iters):
        ours, theirs = ours_opt.param_groups[0], torch_opt.param_groups[0]
        lrs.append((ours['lr'], theirs['lr']))
        betas.append((ours['betas'][0], theirs['betas'][0]))
        ours_opt.step()
        torch_opt.step()
        for scheduler in schedulers:
            scheduler.step()
        one_cycle.step()
    lrs, betas = np.array(lrs), np.array(betas)
    np.testing.assert_allclose(lrs[:, 0], lrs[:, 1], rtol=1e-12)
    np.testing.assert_allclose(betas[:, 0], betas[:, 1], atol=1e-12)
    assert lrs[:, 0].max() == pytest.approx(5e-4) and betas[:, 0].min() == pytest.approx(0.85)


@pytest.mark.parametrize('name', CONFIGS)
def test_configs_state_openstls_settings(name):
    cfg = _config(name)
    backbone = cfg.model.backbone
    kth = name.endswith('kth')
    expected_lr = {'e3dlstm_mmnist': 1e-4, 'mau_mmnist': 1e-3}.get(name, 5e-4)
    assert cfg.optim_wrapper.optimizer.lr == cfg.param_scheduler[0].eta_max == expected_lr
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[0].total_steps == \
        (32500 if kth else 125000)
    assert cfg.param_scheduler[1].end == int(0.3 * cfg.train_cfg.max_iters)
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.train_dataloader.dataset.seq_length == (30 if kth else 20)
    assert cfg.test_dataloader.dataset.seq_length == (30 if kth else 20)
    assert cfg.model.reverse_input is False
    if name.startswith('e3dlstm'):
        assert backbone.num_hidden == [128] * 4 and backbone.filter_size == 5
        assert (backbone.patch_size, backbone.stride) == ((8, 2) if kth else (4, 1))
    else:
        assert backbone.num_hidden == [64] * 4 and backbone.patch_size == 1
        assert (backbone.sr_size, backbone.tau) == ((2 if kth else 4), 5)
