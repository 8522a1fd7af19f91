"""PNG grids, GIFs and the hooks that send them to the vis backends during validation and test."""
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.hooks import LoggerHook
from mmengine.runner import Runner
from PIL import Image

import predbench.engine.hooks.visualization as vis_hooks
from predbench.engine.hooks.visualization import (PredictionVisualizationHook,
                                                  TestProgressBarHook)
from predbench.utils.errors import ConfigError
from predbench.visualization import grid_size, save_sequence_gif, save_sequence_grid
from predbench.visualization.sequence import GAP, HEADER_HEIGHT, LABEL_WIDTH, SEPARATOR
from recording_vis_backend import recording_visualizer


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


def vis_runner(tmp_path, train_iter=None, name='hook'):
    visualizer, recorder = recording_visualizer(tmp_path / 'log', name)
    loop = None if train_iter is None else SimpleNamespace(iter=train_iter)
    return SimpleNamespace(work_dir=str(tmp_path / 'work'), _train_loop=loop,
                           visualizer=visualizer), recorder


def test_hook_sends_the_first_samples_of_every_validation_at_the_training_iteration(tmp_path):
    hook = PredictionVisualizationHook(num_samples=3)
    runner, recorder = vis_runner(tmp_path, train_iter=7)
    hook.before_run(runner)
    hook.before_val_epoch(runner)
    for batch_idx, batch in enumerate([[0, 1], [2, 3], [4]]):
        hook.after_val_iter(runner, batch_idx, None, outputs(batch))
    runner._train_loop.iter = 9
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, None, outputs([0, 1]))
    assert [(n, s) for n, _, s in recorder.images] == [
        ('val_seq_00000', 7), ('val_seq_00001', 7), ('val_seq_00002', 7),
        ('val_seq_00000', 9), ('val_seq_00001', 9)]
    assert recorder.images[0][1].shape[:2][::-1] == grid_size(2, 3, 3, 64, 64)
    assert sorted(os.listdir(tmp_path / 'log' / 'vis_data' / 'vis_image')) == [
        'val_seq_00000_7.png', 'val_seq_00000_9.png', 'val_seq_00001_7.png',
        'val_seq_00001_9.png', 'val_seq_00002_7.png']
    assert not (tmp_path / 'work').exists()  # no pictures outside MMEngine's vis_data


def test_hook_sends_validation_curves_only_when_per_frame_values_exist(tmp_path):
    hook = PredictionVisualizationHook()
    runner, recorder = vis_runner(tmp_path, train_iter=4, name='val_curves')
    hook.after_val_epoch(runner, {'demo_val/mse': 2.0})
    assert recorder.images == []
    hook.after_val_epoch(runner, {'demo_val/mse': 2.0, 'demo_val/mse_t01': 1.0,
                                  'demo_val/mse_t02': 3.0})
    assert [(n, s) for n, _, s in recorder.images] == [('val_per_frame_metrics', 4)]
    assert recorder.scalars == []  # validation scalars are the LoggerHook's


def test_hook_tests_at_the_checkpoint_iteration_and_writes_gifs_into_out_dir(tmp_path):
    hook = PredictionVisualizationHook(num_samples=2, out_dir=str(tmp_path / 'show'))
    runner, recorder = vis_runner(tmp_path, name='test_run')  # test only: no train loop
    hook.after_load_checkpoint(runner, {'meta': {'iter': 40}, 'state_dict': {}})
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, None, outputs([5, 6, 7]))
    hook.after_test_epoch(runner, {'demo/mse': 2.0, 'demo/ssim': 0.5, 'demo/mse_t01': 1.0,
                                   'demo/mse_t02': 3.0})
    assert [(n, s) for n, _, s in recorder.images] == [
        ('test_seq_00005', 40), ('test_seq_00006', 40), ('test_per_frame_metrics', 40)]
    assert recorder.scalars == [({'demo/mse': 2.0, 'demo/ssim': 0.5}, 40)]
    assert sorted(os.listdir(tmp_path / 'show')) == [
        'seq_00005.gif', 'seq_00005.png', 'seq_00006.gif', 'seq_00006.png']
    shown = np.asarray(Image.open(tmp_path / 'show' / 'seq_00005.png').convert('RGB'))
    assert np.array_equal(shown, recorder.image('test_seq_00005'))
    assert Image.open(tmp_path / 'show' / 'seq_00005.gif').n_frames == 5


def test_hook_without_out_dir_still_sends_test_pictures_and_only_on_rank_0(tmp_path,
                                                                             monkeypatch):
    runner, recorder = vis_runner(tmp_path, name='no_out_dir')
    hook = PredictionVisualizationHook(num_samples=1)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, None, outputs([0, 1]))
    assert [(n, s) for n, _, s in recorder.images] == [('test_seq_00000', 0)]

    monkeypatch.setattr(vis_hooks, 'is_main_process', lambda: False)
    other = PredictionVisualizationHook(num_samples=2, out_dir=str(tmp_path / 'rank1'))
    other.before_test_epoch(runner)
    other.after_test_iter(runner, 0, None, outputs([1]))
    other.after_test_epoch(runner, {'demo/mse_t01': 1.0})
    assert len(recorder.images) == 1 and recorder.scalars == []
    assert not (tmp_path / 'rank1').exists()


def test_hook_asks_for_predbench_visualizer(tmp_path):
    from mmengine.visualization import Visualizer
    runner = SimpleNamespace(visualizer=Visualizer(name='plain_visualizer'))
    with pytest.raises(ConfigError, match="type='VideoPredictionVisualizer'"):
        PredictionVisualizationHook().before_run(runner)


def test_progress_bar_ends_its_line_before_each_logged_batch_and_after_the_last(capsys):
    hook = TestProgressBarHook()
    runner = SimpleNamespace(test_dataloader=list(range(5)), hooks=[LoggerHook(interval=2)])
    hook.before_test_epoch(runner)
    for i in range(5):
        hook.after_test_iter(runner, i)
        if (i + 1) % 2 == 0:
            print(f'log {i + 1}')  # what the LoggerHook writes after every 2nd batch
    hook.after_test_epoch(runner)
    print('metrics')
    lines = capsys.readouterr().out.split('\n')
    # A bar line (its last state after the \r redraws: "[>>>  ] 2/5, ..."), then the logger's.
    shown = [line.rsplit('\r', 1)[-1] for line in lines]
    assert [line.split('] ')[-1].split(',')[0] for line in shown] == [
        '2/5', 'log 2', '4/5', 'log 4', '5/5', 'metrics', '']
    assert all(line.startswith('[') for line in shown[0:5:2])


def test_progress_bar_stays_quiet_on_other_ranks(capsys, monkeypatch):
    monkeypatch.setattr(vis_hooks, 'is_main_process', lambda: False)
    hook = TestProgressBarHook()
    runner = SimpleNamespace(test_dataloader=[0, 1])
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0)
    hook.after_test_epoch(runner)
    assert capsys.readouterr().out == ''


def visualizer_cfg():
    return dict(type='VideoPredictionVisualizer', vis_backends=[dict(type='LocalVisBackend')])


def test_runner_test_reports_metrics_and_sends_pictures(tiny_runner_cfg, tmp_path, capsys):
    show = tmp_path / 'show'
    cfg = tiny_runner_cfg(
        custom_hooks=[dict(type='PredictionVisualizationHook', num_samples=2, out_dir=str(show)),
                      dict(type='TestProgressBarHook')],
        visualizer=visualizer_cfg(), experiment_name='runner_test')
    runner = Runner(**cfg)
    metrics = runner.test()
    assert {'tiny/mse', 'tiny/ssim', 'tiny/mse_t01', 'tiny/mse_t03'} <= set(metrics)
    assert metrics['tiny/ssim'] == pytest.approx(
        np.mean([metrics[f'tiny/ssim_t0{t}'] for t in (1, 2, 3)]))
    assert sorted(os.listdir(show)) == [
        'seq_00000.gif', 'seq_00000.png', 'seq_00001.gif', 'seq_00001.png']
    assert sorted(os.listdir(os.path.join(runner.log_dir, 'vis_data', 'vis_image'))) == [
        'test_per_frame_metrics_0.png', 'test_seq_00000_0.png', 'test_seq_00001_0.png']
    assert '3/3' in capsys.readouterr().out  # 5 clips in batches of 2


def test_runner_train_sends_validation_grids(tiny_runner_cfg, tmp_path):
    def cfg(name):
        return tiny_runner_cfg(
            custom_hooks=[dict(type='PredictionVisualizationHook', num_samples=1)],
            visualizer=visualizer_cfg(), experiment_name=name,
            work_dir=str(tmp_path / name))  # own log dir even within the same second

    trained = Runner(**cfg('runner_train'))
    trained.train()
    assert sorted(os.listdir(os.path.join(trained.log_dir, 'vis_data', 'vis_image'))) == [
        'val_per_frame_metrics_1.png', 'val_per_frame_metrics_2.png',  # per_frame=True
        'val_seq_00000_1.png', 'val_seq_00000_2.png']
    runner = Runner(**cfg('runner_val'))
    runner.val()  # validation only: the hook must not build the train loop to read its iteration
    assert sorted(os.listdir(os.path.join(runner.log_dir, 'vis_data', 'vis_image'))) == [
        'val_per_frame_metrics_0.png', 'val_seq_00000_0.png']
    assert isinstance(runner._train_loop, dict)
