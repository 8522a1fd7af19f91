"""PNG grids, GIFs and the hooks that write them during validation and test."""
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from PIL import Image

import predbench.engine.hooks.visualization as vis_hooks
from predbench.engine.hooks.visualization import (PredictionVisualizationHook,
                                                  TestProgressBarHook)
from predbench.visualization import grid_size, save_sequence_gif, save_sequence_grid
from predbench.visualization.sequence import GAP, HEADER_HEIGHT, LABEL_WIDTH, SEPARATOR


def clip(value: float, length: int, channels: int = 1, size=(16, 16)) -> np.ndarray:
    return np.full((length, channels, *size), value, np.float32)


def test_grid_has_truth_prediction_and_error_rows_with_observed_frames_apart(tmp_path):
    path = save_sequence_grid(clip(0.2, 2), clip(0.6, 3), clip(0.6, 3), str(tmp_path / 'g.png'))
    image = np.asarray(Image.open(path).convert('RGB'))
    # 16x16 frames are enlarged 4x; 2 observed + 3 predicted columns, 3 rows.
    assert image.shape[:2] == (HEADER_HEIGHT + 3 * (64 + GAP),
                               LABEL_WIDTH + 5 * (64 + GAP) + SEPARATOR)
    assert (image.shape[1], image.shape[0]) == grid_size(2, 3, 3, 64, 64)
    observed_x, predicted_x = LABEL_WIDTH + 10, LABEL_WIDTH + 2 * (64 + GAP) + SEPARATOR + 10
    truth_y, pred_y, error_y = (HEADER_HEIGHT + r * (64 + GAP) + 10 for r in range(3))
    assert tuple(image[truth_y, observed_x]) == (51, 51, 51)  # 0.2 * 255
    assert tuple(image[truth_y, predicted_x]) == (153, 153, 153)
    assert tuple(image[pred_y, predicted_x]) == (153, 153, 153)
    assert tuple(image[pred_y, observed_x]) == (255, 255, 255)  # nothing predicted there
    assert tuple(image[error_y, predicted_x]) == (0, 0, 3)  # inferno(0): no error


def test_grid_works_for_rgb_without_input_and_without_truth(tmp_path):
    rgb = save_sequence_grid(None, clip(0.5, 4, 3, (20, 30)), clip(0.9, 4, 3, (20, 30)),
                             str(tmp_path / 'rgb.png'))
    assert Image.open(rgb).size == grid_size(0, 4, 3, 60, 90)  # enlarged 3x (64 / 30, rounded up)
    only_pred = save_sequence_grid(clip(0.1, 2), None, torch.from_numpy(clip(1.5, 3)),
                                   str(tmp_path / 'pred.png'))
    image = Image.open(only_pred)
    assert image.size == grid_size(2, 3, 1, 64, 64)
    assert image.getpixel((LABEL_WIDTH + 2 * 66 + SEPARATOR + 5, HEADER_HEIGHT + 5)) == (
        255, 255, 255)  # 1.5 clipped to white


def test_gif_shows_truth_beside_prediction_after_the_observed_frames(tmp_path):
    path = save_sequence_gif(clip(0.6, 3), clip(0.4, 3), str(tmp_path / 's.gif'),
                             input=clip(0.2, 2), fps=5)
    gif = Image.open(path)
    assert gif.n_frames == 5
    assert gif.size == (2 * 64 + SEPARATOR, 2 * HEADER_HEIGHT + 64)
    assert gif.info['duration'] == 200
    gif.seek(3)
    frame = np.asarray(gif.convert('L'))
    assert frame[HEADER_HEIGHT + 20, 20] == 153 and frame[HEADER_HEIGHT + 20, 64 + 20] == 102
    single = save_sequence_gif(None, clip(0.3, 3, 3), str(tmp_path / 'p.gif'))
    assert Image.open(single).size == (64, 2 * HEADER_HEIGHT + 64)


def outputs(indices, length=3):
    return [dict(input=torch.full((2, 1, 16, 16), 0.1), gt=torch.full((length, 1, 16, 16), 0.5),
                 pred=torch.full((length, 1, 16, 16), 0.4), index=i) for i in indices]


def test_hook_saves_the_first_samples_of_every_validation(tmp_path):
    hook = PredictionVisualizationHook(num_samples=3)
    runner = SimpleNamespace(work_dir=str(tmp_path), _train_loop=SimpleNamespace(iter=7))
    hook.before_val_epoch(runner)
    for batch_idx, batch in enumerate([[0, 1], [2, 3], [4]]):
        hook.after_val_iter(runner, batch_idx, None, outputs(batch))
    folder = tmp_path / 'vis' / 'val_iter_7'
    assert sorted(os.listdir(folder)) == ['seq_00000.png', 'seq_00001.png', 'seq_00002.png']
    assert Image.open(folder / 'seq_00000.png').size == grid_size(2, 3, 3, 64, 64)
    runner._train_loop.iter = 9
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, None, outputs([0, 1]))
    assert len(os.listdir(tmp_path / 'vis' / 'val_iter_9')) == 2


def test_hook_writes_test_pictures_only_with_an_out_dir_and_only_on_rank_0(tmp_path, monkeypatch):
    runner = SimpleNamespace(work_dir=str(tmp_path / 'work'), _train_loop=None)
    silent = PredictionVisualizationHook(num_samples=2)
    silent.before_test_epoch(runner)
    silent.after_test_iter(runner, 0, None, outputs([0, 1]))
    assert not (tmp_path / 'work').exists()

    hook = PredictionVisualizationHook(num_samples=2, out_dir=str(tmp_path / 'show'))
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, None, outputs([5, 6, 7]))
    assert sorted(os.listdir(tmp_path / 'show')) == [
        'seq_00005.gif', 'seq_00005.png', 'seq_00006.gif', 'seq_00006.png']
    assert Image.open(tmp_path / 'show' / 'seq_00005.gif').n_frames == 5

    monkeypatch.setattr(vis_hooks, 'is_main_process', lambda: False)
    other = PredictionVisualizationHook(num_samples=2, out_dir=str(tmp_path / 'rank1'))
    other.before_test_epoch(runner)
    other.after_test_iter(runner, 0, None, outputs([1]))
    assert not (tmp_path / 'rank1').exists()


def test_progress_bar_counts_test_batches(capsys):
    hook = TestProgressBarHook()
    runner = SimpleNamespace(test_dataloader=[0, 1, 2])
    hook.before_test_epoch(runner)
    for i in range(3):
        hook.after_test_iter(runner, i)
    hook.after_test_epoch(runner)
    out = capsys.readouterr().out
    assert '3/3' in out and out.endswith('\n')


def test_runner_test_reports_metrics_and_writes_pictures(tiny_runner_cfg, tmp_path, capsys):
    show = tmp_path / 'show'
    cfg = tiny_runner_cfg(custom_hooks=[
        dict(type='PredictionVisualizationHook', num_samples=2, out_dir=str(show)),
        dict(type='TestProgressBarHook')])
    metrics = Runner(**cfg).test()
    assert {'tiny/mse', 'tiny/ssim', 'tiny/mse_t01', 'tiny/mse_t03'} <= set(metrics)
    assert metrics['tiny/ssim'] == pytest.approx(
        np.mean([metrics[f'tiny/ssim_t0{t}'] for t in (1, 2, 3)]))
    assert sorted(os.listdir(show)) == [
        'seq_00000.gif', 'seq_00000.png', 'seq_00001.gif', 'seq_00001.png']
    assert '3/3' in capsys.readouterr().out  # 5 clips in batches of 2


def test_runner_train_saves_validation_grids(tiny_runner_cfg, tmp_path):
    cfg = tiny_runner_cfg(custom_hooks=[dict(type='PredictionVisualizationHook', num_samples=1)])
    Runner(**cfg).train()
    vis = tmp_path / 'work' / 'vis'
    assert sorted(os.listdir(vis)) == ['val_iter_1', 'val_iter_2']
    assert os.listdir(vis / 'val_iter_2') == ['seq_00000.png']
    runner = Runner(**cfg)
    runner.val()  # validation only: the hook must not build the train loop to read its iteration
    assert os.path.isfile(vis / 'val_iter_0' / 'seq_00000.png')
    assert isinstance(runner._train_loop, dict)
