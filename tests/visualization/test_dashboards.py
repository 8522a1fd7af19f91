"""A tiny training and test with --vis-backend tensorboard: what a dashboard user sees.

The demo config with the tiny overrides of configs/suites/tiny_cpu.py, validated every 2
iterations for 4 iterations, then tested from its last checkpoint; both runs are subprocesses
of the real tools (seconds on a CPU).
"""
import glob
import io
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from tool_runner import PLUGINS, REPO, run_tool

DEMO = osp.join(REPO, 'configs', 'predrnn_v2_demo.py')
TENSORBOARD_ERROR = ("error: --vis-backend tensorboard needs the tensorboard package: "
                     "pip install 'predbench[tensorboard]'")


def tiny_demo_options() -> list:
    """--cfg-options: the tiny suite's overrides, validation every 2 of 4 iterations."""
    tiny = dict(Config.fromfile(osp.join(REPO, 'configs', 'suites', 'tiny_cpu.py')).tiny)
    tiny.update({
        'train_cfg.val_interval': 2, 'default_hooks.logger.interval': 1,
        'val_dataloader.dataset.seq_length': 6, 'val_dataloader.dataset.num_sequences': 4,
        'val_dataloader.batch_size': 2, 'val_evaluator.per_frame': True,
        'test_dataloader.dataset.num_sequences': 6, 'test_dataloader.batch_size': 2})
    return [f'{key}={value!r}'.replace(' ', '') for key, value in tiny.items()]


def vis_data(work_dir: str) -> str:
    """The run's <work_dir>/<timestamp>/vis_data folder (one run per work dir here)."""
    folders = glob.glob(osp.join(work_dir, '*', 'vis_data'))
    assert len(folders) == 1, folders
    return folders[0]


def events(folder: str):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    files = glob.glob(osp.join(folder, 'events.out.tfevents.*'))
    assert len(files) == 1, files
    accumulator = EventAccumulator(files[0], size_guidance={'images': 0, 'scalars': 0})
    accumulator.Reload()
    return accumulator


def decoded(image_event) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)).convert('RGB'))


def local_image(folder: str, name: str) -> np.ndarray:
    return np.asarray(Image.open(osp.join(folder, 'vis_image', name)).convert('RGB'))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('dashboard') / 'train')
    run_tool(['tools/train.py', DEMO, '--work-dir', work_dir, '--vis-backend', 'tensorboard',
              '--cfg-options', *tiny_demo_options()])
    return work_dir


@pytest.fixture(scope='module')
def tested(trained):
    work_dir = osp.join(osp.dirname(trained), 'test')
    show = osp.join(osp.dirname(trained), 'show')
    result = run_tool(['tools/test.py', DEMO, osp.join(trained, 'iter_4.pth'), '--work-dir',
                       work_dir, '--vis-backend', 'tensorboard', '--show-dir', show,
                       '--num-show', '3', '--cfg-options', *tiny_demo_options()])
    return dict(work_dir=work_dir, show=show, stdout=result.stdout)


def test_validation_scalars_carry_the_training_iteration(trained):
    folder = vis_data(trained)
    with open(osp.join(folder, 'scalars.json')) as f:
        records = [json.loads(line) for line in f]
    val_steps = [r['step'] for r in records if 'demo_val/mse' in r]
    assert val_steps == [2, 4]
    assert [r['step'] for r in records if 'loss' in r] == [1, 2, 3, 4]
    tensorboard = events(folder)
    for tag in ('demo_val/mse', 'demo_val/ssim', 'demo_val/mse_t01'):
        assert [e.step for e in tensorboard.Scalars(tag)] == [2, 4]
    first = next(r for r in records if 'demo_val/mse' in r)
    assert tensorboard.Scalars('demo_val/mse')[0].value == pytest.approx(first['demo_val/mse'],
                                                                         rel=1e-6)


def test_validation_pictures_land_in_vis_image_and_in_tensorboard(trained):
    folder = vis_data(trained)
    assert sorted(os.listdir(osp.join(folder, 'vis_image'))) == [
        'val_per_frame_metrics_2.png', 'val_per_frame_metrics_4.png',
        'val_seq_00000_2.png', 'val_seq_00000_4.png', 'val_seq_00001_2.png',
        'val_seq_00001_4.png']  # default_runtime: num_samples=2
    tensorboard = events(folder)
    assert set(tensorboard.Tags()['images']) == {'val_seq_00000', 'val_seq_00001',
                                                 'val_per_frame_metrics'}
    grids = tensorboard.Images('val_seq_00000')
    assert [e.step for e in grids] == [2, 4]
    # the very grid the local backend wrote: observed | truth, prediction, |error|
    assert np.array_equal(decoded(grids[1]), local_image(folder, 'val_seq_00000_4.png'))
    assert [e.step for e in tensorboard.Images('val_per_frame_metrics')] == [2, 4]


def test_test_run_sends_pictures_curves_and_scalars_at_the_checkpoint_iteration(tested):
    folder = vis_data(tested['work_dir'])
    assert sorted(os.listdir(osp.join(folder, 'vis_image'))) == [
        'test_per_frame_metrics_4.png', 'test_seq_00000_4.png', 'test_seq_00001_4.png',
        'test_seq_00002_4.png']
    tensorboard = events(folder)
    curves = tensorboard.Images('test_per_frame_metrics')
    assert [e.step for e in curves] == [4]
    assert np.array_equal(decoded(curves[0]), local_image(folder, 'test_per_frame_metrics_4.png'))
    assert decoded(curves[0]).shape == (300, 4 * 320, 3)  # MSE, MAE, PSNR, SSIM panels
    with open(osp.join(tested['work_dir'], 'metrics.json')) as f:
        reported = json.load(f)['metrics']
    assert [(e.step, e.value) for e in tensorboard.Scalars('demo/ssim')] == [
        (4, pytest.approx(reported['demo/ssim'], rel=1e-6))]
    assert 'demo/ssim_t01' not in tensorboard.Tags()['scalars']  # the curves show those
    # --show-dir still gets the grids and the GIFs
    assert sorted(os.listdir(tested['show'])) == [
        f'seq_{i:05d}.{ext}' for i in range(3) for ext in ('gif', 'png')]
    assert np.array_equal(np.asarray(Image.open(osp.join(tested['show'], 'seq_00001.png'))
                                     .convert('RGB')),
                          local_image(folder, 'test_seq_00001_4.png'))


def test_test_progress_bar_never_shares_a_line_with_the_log(tested):
    lines = tested['stdout'].splitlines()
    bar_lines = [line for line in lines if 'ETA:' in line]
    assert bar_lines and bar_lines[-1].rsplit('\r', 1)[-1].split(', ')[0].endswith('] 3/3')
    for line in bar_lines:
        assert 'mmengine' not in line and 'Iter(test)' not in line, line
    logged = [line for line in lines if 'Iter(test)' in line]
    assert len(logged) == 4  # logger interval 1: 3 batches, then the metrics line
    assert all(line.startswith(line.lstrip()) for line in logged)


def test_missing_dashboard_package_is_a_one_line_error(tmp_path):
    shadow = tmp_path / 'shadow' / 'tensorboard'
    shadow.mkdir(parents=True)
    (shadow / '__init__.py').write_text("raise ImportError('simulated: not installed')\n")
    path = os.pathsep.join([str(tmp_path / 'shadow'), PLUGINS, REPO])
    result = run_tool(['tools/train.py', DEMO, '--work-dir', str(tmp_path / 'w'),
                       '--vis-backend', 'tensorboard'], env_extra={'PYTHONPATH': path},
                      check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [TENSORBOARD_ERROR]
    assert not (tmp_path / 'w').exists()  # stopped before anything started
