"""A folder of your own videos (90x70 RGB: AVI, MP4, GIF, PNG frames) -> train, test, predict
with configs/predrnn_v2_video_folder.py and --data-root, the model's frame shape taken from the
dataset."""
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from predbench.datasets import VideoFolder
from tool_runner import load_tool, run_test_tool, run_train_tool
from video_samples import write_video_folder

CONFIG = osp.join(REPO_ROOT, 'configs', 'predrnn_v2_video_folder.py')
LOADERS = ('train', 'val', 'test')


def tiny(cache: str) -> list:
    """A 2-iteration run of a 4-wide PredRNN-V2 on 6-frame 16x16 clips (3 observed)."""
    options = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
               'model.input_length=3', 'model.backbone.num_hidden=[4,4]',
               'model.backbone.filter_size=3', 'train_dataloader.persistent_workers=False']
    for loader in LOADERS:
        options += [f'{loader}_dataloader.batch_size=2', f'{loader}_dataloader.num_workers=0',
                    f'{loader}_dataloader.dataset.image_size=16',
                    f'{loader}_dataloader.dataset.seq_length=6',
                    f'{loader}_dataloader.dataset.cache_dir={cache}']
    return options


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('my_videos')
    write_video_folder(str(root))
    return str(root)


def test_train_test_and_predict_on_a_folder_of_videos(videos, tmp_path):
    cache, work = str(tmp_path / 'cache'), str(tmp_path / 'work')
    run_train_tool([CONFIG, '--data-root', videos, '--work-dir', work,
                    '--cfg-options', *tiny(cache)])
    checkpoint = osp.join(work, 'iter_2.pth')
    weights = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
    # 3 channels x a 4x4 patch: the RGB frame shape reached the model from the dataset.
    assert weights['backbone.conv_last.weight'].shape == (48, 4, 1, 1)

    out = str(tmp_path / 'pred.npz')
    metrics = run_test_tool([CONFIG, checkpoint, '--data-root', videos, '--work-dir', work,
                             '--out', out, '--cfg-options', *tiny(cache)])
    assert 0 < metrics['videos/mse'] and 0 < metrics['videos/ssim'] <= 1
    test_set = VideoFolder(videos, split='test', image_size=16, seq_length=6, cache_dir=cache)
    pred = np.load(out)['pred']
    assert pred.shape == (len(test_set), 3, 3, 16, 16)  # every test window, 3 frames predicted

    predict = load_tool('predict.py')
    predict.main([CONFIG, checkpoint, osp.join(videos, 'walk.avi'), '--pred-length', '4',
                  '--out', str(tmp_path / 'p'), '--cfg-options', *tiny(cache)])
    assert np.load(tmp_path / 'p' / 'walk_pred.npy').shape == (4, 3, 16, 16)
