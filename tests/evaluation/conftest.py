"""Fixtures of the evaluation tests: realistic clips and a tiny PredRNN-V2 config."""
import numpy as np
import pytest
import torch

from tool_runner import load_tool

TINY_CONFIG = """
default_scope = 'predbench'
model = dict(
    type='VideoPredictor', input_length=2,
    backbone=dict(type='PredRNNv2', num_hidden=[4, 4], img_size=(16, 16), img_channel=1,
                  patch_size=4, filter_size=3))
"""


@pytest.fixture(scope='session')
def digit_clips():
    """(pred, gt) float32 [6, 3, 1, 32, 32]: moving digits and a blurred, noisy guess."""
    demo_clips = load_tool('analysis/metric_conventions.py').demo_clips
    return demo_clips(num_sequences=6, length=3, size=32, channels=1, seed=1)


@pytest.fixture(scope='session')
def rgb_clips():
    """(pred, gt) float32 [4, 2, 3, 40, 48] in colour (non-square frames)."""
    demo_clips = load_tool('analysis/metric_conventions.py').demo_clips
    pred, gt = demo_clips(num_sequences=4, length=2, size=48, channels=3, seed=2)
    return pred[..., 4:44, :], gt[..., 4:44, :]


@pytest.fixture(scope='session')
def random_lpips():
    """LPIPS on a random AlexNet trunk (no download), seeded so every test sees the same net."""

    from predbench.evaluation import build_lpips
    torch.manual_seed(0)
    return build_lpips(pretrained_backbone=False)


@pytest.fixture()
def tiny_config(tmp_path):
    path = tmp_path / 'tiny_predrnn_v2.py'
    path.write_text(TINY_CONFIG)
    return str(path)


@pytest.fixture(scope='session')
def rng_clips():
    """make(seed, shape): random (pred, gt) whose predictions leave [0, 1] a little."""

    def make(seed: int, shape, spread: float = 0.2):
        rng = np.random.default_rng(seed)
        gt = rng.random(shape).astype(np.float32)
        pred = (gt + rng.normal(0, spread, shape)).astype(np.float32)
        return pred, gt

    return make


class TinyClips:
    """A dataset of uint8 clips [T, 1, 16, 16] with their index, like predbench's datasets."""

    def __init__(self, num_clips: int = 5, length: int = 5, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.clips = (torch.rand(num_clips, length, 1, 16, 16, generator=generator) * 255
                      ).to(torch.uint8)
        self.metainfo = {}

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, index):
        return {'inputs': self.clips[index], 'data_samples': {'index': index}}


@pytest.fixture()
def tiny_runner_cfg(tmp_path):
    """A Runner config around the tiny model and TinyClips (no data files, CPU only)."""

    def make(**overrides):
        loader = dict(dataset=TinyClips(), batch_size=2, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='default_collate'))
        cfg = dict(
            model=dict(type='VideoPredictor', input_length=2,
                       backbone=dict(type='PredRNNv2', num_hidden=[4, 4], img_size=(16, 16),
                                     img_channel=1, patch_size=4, filter_size=3)),
            work_dir=str(tmp_path / 'work'), default_scope='predbench',
            train_dataloader=dict(loader, sampler=dict(type='DefaultSampler', shuffle=True)),
            train_cfg=dict(by_epoch=False, max_iters=2, val_interval=1),
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
            val_dataloader=loader, val_cfg=dict(),
            val_evaluator=dict(type='VideoMetric', metric_names=['mse', 'ssim'], prefix='tiny'),
            test_dataloader=loader, test_cfg=dict(),
            test_evaluator=dict(type='VideoMetric', metric_names=['mse', 'ssim'], prefix='tiny'),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1000)),
            log_level='WARNING')
        cfg.update(overrides)
        return cfg

    return make


@pytest.fixture()
def empty_hub(tmp_path, monkeypatch):
    """torch.hub's folder pointed at an empty one: no metric network's weights are on disk."""
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(hub))
    return hub
