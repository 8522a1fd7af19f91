"""The PredRNN++ and MIM configs build OpenSTL's models and train and test with tools/*.py."""
import os.path as osp

import pytest
import torch

from tool_runner import REPO, run_test_tool, run_train_tool, tiny_options

CONFIGS = {
    # name: (backbone type, patch size, frame size, train clip length)
    'predrnnpp_mmnist': ('PredRNNpp', 4, (64, 64), 20),
    'mim_mmnist': ('MIM', 4, (64, 64), 20),
    'predrnnpp_kth': ('PredRNNpp', 2, (128, 128), 30),
    'mim_kth': ('MIM', 4, (128, 128), 30),
}


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_builds_openstl_settings(name):
    from predbench.apis import init_model
    model = init_model(osp.join(REPO, 'configs', f'{name}.py'))
    kind, patch, size, train_length = CONFIGS[name]
    backbone = model.backbone
    assert type(backbone).__name__ == kind
    assert backbone.num_hidden == [128] * 4
    assert (backbone.filter_size, backbone.stride, backbone.patch_size) == (5, 1, patch)
    assert backbone.img_size == size and backbone.layer_norm is False
    assert backbone.paper_equations is False
    assert model.reverse_input is False
    assert model.cfg.train_dataloader.batch_size == 16
    assert model.cfg.train_dataloader.dataset.seq_length == train_length


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_trains_two_iterations_and_tests(name, mmnist_root, kth_root, tmp_path):
    work_dir = str(tmp_path / name)
    opts = tiny_options(name, mmnist_root, kth_root, work_dir)
    config = osp.join(REPO, 'configs', f'{name}.py')
    run_train_tool([config, '--work-dir', work_dir, '--seed', '0', '--cfg-options', *opts])
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 2
    assert ckpt['meta']['sampling']['type'] == 'ScheduledSamplingHook'
    # the one-cycle schedule moved the lr up from peak / 25 after two iterations
    peak = 1e-4 if name in ('predrnnpp_mmnist', 'mim_kth') else (5e-4 if 'mim' in name else 1e-3)
    lr = ckpt['optimizer']['param_groups'][0]['lr']
    assert peak / 25 < lr < peak
    metrics = run_test_tool([config, checkpoint, '--work-dir', work_dir, '--cfg-options', *opts])
    prefix = 'kth' if 'kth' in name else 'mmnist'
    assert metrics[f'{prefix}/mse'] == metrics[f'{prefix}/mse']  # not NaN
    assert f'{prefix}/mse_t{20 if "kth" in name else 10:02d}' in metrics
