"""Stated once: --data-root points every dataloader at a folder, and the model takes the frame
shape (img_size, img_channel) from the datasets (image_size, channels)."""
import os.path as osp

import pytest

from conftest import REPO_ROOT
from predbench.utils.config import load_config
from predbench.utils.errors import ConfigError
from tool_runner import load_tool

VIDEOS = osp.join(REPO_ROOT, 'configs', 'predrnn_v2_video_folder.py')
MMNIST = osp.join(REPO_ROOT, 'configs', 'predrnn_v2_mmnist.py')
KTH = osp.join(REPO_ROOT, 'configs', 'predrnn_v2_kth.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_roots(cfg):
    return [cfg[loader].dataset.data_root for loader in LOADERS if cfg.get(loader)]


@pytest.mark.parametrize('config', [VIDEOS, MMNIST], ids=osp.basename)
def test_data_root_flag_and_option_point_every_dataloader_at_the_folder(config, tmp_path):
    train, test = load_tool('train.py'), load_tool('test.py')
    folder = str(tmp_path / 'mine')
    args = train.parse_args([config, '--data-root', folder, '--cfg-options',
                             'train_cfg.max_iters=5'])
    cfg = train.build_cfg(args)
    assert data_roots(cfg) == [folder] * 3 and cfg.data_root == folder
    assert cfg.train_cfg.max_iters == 5  # the other options still apply
    cfg = test.build_cfg(test.parse_args([config, 'ckpt.pth', '--data-root', folder]))
    assert data_roots(cfg) == [folder] * 3
    assert data_roots(load_config(config, {'data_root': folder})) == [folder] * 3


def test_data_root_on_a_config_without_datasets_is_one_line():
    with pytest.raises(ConfigError, match='no dataloader of this config has a dataset'):
        load_config({'model': {'type': 'VideoPredictor'}}, {'data_root': 'x'})


def test_the_model_takes_frame_size_and_channels_from_the_datasets():
    options = {f'{loader}.dataset.{key}': value for loader in LOADERS
               for key, value in (('image_size', (32, 48)), ('channels', 1))}
    backbone = load_config(VIDEOS, options).model.backbone
    assert backbone.img_size == (32, 48) and backbone.img_channel == 1
    backbone = load_config(VIDEOS).model.backbone  # the dataset config's defaults
    assert backbone.img_size == (64, 64) and backbone.img_channel == 3
    # Explicit model values that agree are kept as written (KTH: 128 and (128, 128)).
    assert load_config(KTH).model.backbone.img_size == (128, 128)


def test_a_model_value_that_contradicts_the_dataset_is_one_line_naming_both_keys():
    with pytest.raises(ConfigError) as error:
        load_config(VIDEOS, {'model.backbone.img_channel': 1})
    message = str(error.value)
    assert message.startswith('model.backbone.img_channel=1 does not match '
                              'train_dataloader.dataset.channels=3') and '\n' not in message
    with pytest.raises(ConfigError, match=r'model.backbone.img_size=\(32, 32\) does not match '
                                          r'train_dataloader.dataset.image_size=128'):
        load_config(KTH, {'model.backbone.img_size': (32, 32)})
    with pytest.raises(ConfigError, match='test_dataloader.dataset.channels=1 differs from '
                                          'train_dataloader.dataset.channels=3'):
        load_config(VIDEOS, {'test_dataloader.dataset.channels': 1})


def test_none_without_a_dataset_value_asks_for_the_model_value():
    with pytest.raises(ConfigError, match=r'model.backbone.img_size=None takes the value from '
                                          r"the dataset's image_size.*set model.backbone"):
        load_config(MMNIST, {'model.backbone.img_size': None,
                             'train_dataloader': None, 'val_dataloader': None,
                             'test_dataloader': None})
