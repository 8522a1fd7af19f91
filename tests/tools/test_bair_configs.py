"""The BAIR configs train (reverse scheduled sampling, reversed clips with their actions) and
test on tiny BAIR data, with the actions drawn beside the frames."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from bair_records import video, write_tfrecord
from predbench.datasets.bair_convert import prepare
from tool_runner import REPO, run_test_tool, run_train_tool


@pytest.fixture(scope='module')
def bair_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('bair_cfg')
    for split, seeds in (('train', [0, 1]), ('test', [2])):
        folder = root / 'raw' / 'softmotion30_44k' / split
        folder.mkdir(parents=True)
        write_tfrecord(folder / f'traj_{split}.tfrecords', [video(s, 5) for s in seeds])
    prepare(str(root / 'raw'), str(root / 'data'))
    return str(root / 'data')


def _options(data, work_dir):
    return ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
            'model.backbone.num_hidden=[4,4]', 'model.backbone.filter_size=3',
            'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'test_dataloader.batch_size=2',
            'test_dataloader.num_workers=0', "test_evaluator.metric_names=['mse','ssim']",
            'train_dataloader.dataset.seq_length=4', 'test_dataloader.dataset.seq_length=4',
            f'train_dataloader.dataset.data_root={data}',
            f'test_dataloader.dataset.data_root={data}']


@pytest.mark.parametrize('name', ['action_cond_predrnn_bair', 'action_cond_predrnn_v2_bair'])
def test_bair_config_trains_two_iterations_and_tests(name, bair_root, tmp_path):
    work_dir = str(tmp_path / name)
    config = osp.join(REPO, 'configs', f'{name}.py')
    opts = _options(bair_root, work_dir)
    run_train_tool([config, '--work-dir', work_dir, '--seed', '0', '--cfg-options', *opts])
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert ckpt['meta']['sampling']['type'] == 'ReverseScheduledSamplingHook'
    assert ('backbone.adapter.weight' in ckpt['state_dict']) == ('v2' in name)
    show = osp.join(work_dir, 'show')
    metrics = run_test_tool([config, checkpoint, '--work-dir', work_dir, '--show-dir', show,
                             '--num-show', '1', '--cfg-options', *opts])
    assert set(metrics) >= {'bair/mse', 'bair/ssim', 'bair/mse_t02'}
    assert np.isfinite(metrics['bair/mse'])
    assert sorted(os.listdir(show)) == ['seq_00000.gif', 'seq_00000.png']
    from PIL import Image
    from predbench.visualization import grid_size
    assert Image.open(osp.join(show, 'seq_00000.png')).size == grid_size(2, 2, 4, 64, 64)


def test_bair_configs_match_the_original_scripts():
    from predbench.apis.inference import build_model
    from predbench.utils.config import load_config
    for name, width, beta in (('action_cond_predrnn_bair', 64, None),
                              ('action_cond_predrnn_v2_bair', 128, 0.1)):
        cfg = load_config(osp.join(REPO, 'configs', f'{name}.py'))
        backbone = build_model(cfg).backbone
        assert backbone.num_hidden == [width] * 4 and backbone.img_size == (64, 64)
        assert (backbone.patch_size, backbone.filter_size, backbone.layer_norm) == (1, 5, False)
        assert (backbone.conv_on_input, backbone.res_on_conv, backbone.num_action_ch) == \
            (True, True, 4)
        assert getattr(backbone, 'decouple_beta', None) == beta
        assert cfg.model.input_length == 2 and cfg.model.reverse_input is True
        assert cfg.train_dataloader.dataset.seq_length == 12
        assert cfg.train_dataloader.batch_size == 16 and cfg.optim_wrapper.optimizer.lr == 1e-4
        assert cfg.custom_hooks == [dict(type='ReverseScheduledSamplingHook', step_1=25000,
                                         step_2=50000, exp_alpha=2500)]
        assert cfg.train_cfg.max_iters == 80000


def test_speed_and_complexity_feed_actions_to_action_models():
    from predbench.analysis.complexity import config_complexity
    from predbench.analysis.speed import _measure
    from predbench.utils.config import load_config
    cfg = load_config(osp.join(REPO, 'configs', 'action_cond_predrnn_v2_bair.py'),
                      {'model.backbone.num_hidden': [4, 4], 'model.backbone.filter_size': 3})
    info = config_complexity(cfg)
    assert info['clip_shape'] == [12, 3, 64, 64] and info['flops'] > 0
    for mode, key in (('train', 'train_iter_per_s'), ('infer', 'infer_seq_per_s')):
        assert _measure(cfg.to_dict(), mode, 'cpu', False, 1, 0, 2, 1)[key] > 0
