"""E3D-LSTM's and MAU's configs train two iterations and test with tools/train.py, test.py."""
import os.path as osp

import pytest
import torch
from mmengine.config import DictAction
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from predbench.engine.checkpoint_io import read_checkpoint
from predbench.utils.config import load_config
from tool_runner import REPO, run_test_tool, run_train_tool, tiny_options

CONFIGS = ['e3dlstm_mmnist', 'e3dlstm_kth', 'mau_mmnist', 'mau_kth']


def _next_lr_after_resume(config: str, opts: list, schedulers_state: list) -> float:
    """The lr a resumed run's schedulers set for the next iteration."""
    options = {k: DictAction._parse_iterable(v) for k, v in (o.split('=', 1) for o in opts)}
    cfg = load_config(config, options)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], betas=(0.95, 0.999))
    wrapper = OptimWrapper(optimizer)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper)) for s in cfg.param_scheduler]
    for scheduler, state in zip(schedulers, schedulers_state):
        scheduler.load_state_dict(state)
    optimizer.step()
    for scheduler in schedulers:
        scheduler.step()
    return optimizer.param_groups[0]['lr']


@pytest.mark.filterwarnings('ignore:Detected call of')
@pytest.mark.parametrize('name', CONFIGS)
def test_config_trains_two_iterations_and_tests(name, mmnist_root, kth_root, tmp_path):
    work_dir = str(tmp_path / name)
    opts = tiny_options(name, mmnist_root, kth_root, work_dir)
    if name == 'e3dlstm_mmnist':  # RECALL's cost grows with the squared state size
        opts.append('model.backbone.patch_size=8')
    config = osp.join(REPO, 'configs', f'{name}.py')
    run_train_tool([config, '--work-dir', work_dir, '--seed', '0', '--cfg-options', *opts])
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    ckpt = read_checkpoint(checkpoint)  # weights_only=True: schedulers' state included
    assert ckpt['meta']['iter'] == 2
    assert ckpt['meta']['sampling']['type'] == 'ScheduledSamplingHook'
    if name.startswith('mau'):
        assert not any(k.startswith(('backbone.merge', 'backbone.conv_last_sr'))
                       for k in ckpt['state_dict'])
    # OneCycleLR: after two iterations the lr is torch's OneCycleLR's at step 2; resumed from
    # the checkpoint (read with weights_only=True), the schedulers continue with step 3
    cfg = load_config(config)
    reference = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(reference, max_lr=cfg.lr,
                                                    total_steps=cfg.max_iters)
    expected = []
    for _ in range(3):
        reference.step()
        one_cycle.step()
        expected.append(reference.param_groups[0]['lr'])
    assert ckpt['optimizer']['param_groups'][0]['lr'] == pytest.approx(expected[1], rel=1e-12,
                                                                       abs=0)
    resumed = _next_lr_after_resume(config, opts, ckpt['param_schedulers'])
    assert resumed == pytest.approx(expected[2], rel=1e-12, abs=0)

    metrics = run_test_tool([config, checkpoint, '--work-dir', work_dir,
                             '--cfg-options', *opts])
    prefix = 'kth' if 'kth' in name else 'mmnist'
    frames = 20 if 'kth' in name else 10
    assert f'{prefix}/mse_t{frames:02d}' in metrics
    assert metrics[f'{prefix}/mse'] == metrics[f'{prefix}/mse']  # not NaN
