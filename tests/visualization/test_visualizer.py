"""VideoPredictionVisualizer draws grids and metric curves and hands them to every vis backend."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from predbench.registry import VISUALIZERS
from predbench.utils.errors import DataError
from predbench.visualization import VideoPredictionVisualizer, grid_size, sequence_grid
from predbench.visualization.metric_curves import per_frame_figure, per_frame_metric_names
from recording_vis_backend import recording_visualizer
from tool_runner import REPO


def clip(value: float, length: int, size=(16, 16)) -> torch.Tensor:
    return torch.full((length, 1, *size), value)


def sample(index=5):
    return dict(input=clip(0.2, 2), gt=clip(0.6, 3), pred=clip(0.4, 3), index=index)


def test_add_datasample_sends_the_labelled_grid_to_every_backend(tmp_path):
    visualizer, recorder = recording_visualizer(tmp_path, 'grid')
    grid = visualizer.add_datasample('val_seq_00005', data_sample=sample(), step=7)
    # observed | truth, prediction, |error| rows: the grid of predbench.visualization.sequence
    assert np.array_equal(grid, sequence_grid(clip(0.2, 2), clip(0.6, 3), clip(0.4, 3)))
    assert (grid.shape[1], grid.shape[0]) == grid_size(2, 3, 3, 64, 64)
    assert [(n, s) for n, _, s in recorder.images] == [('val_seq_00005', 7)]
    assert np.array_equal(recorder.image('val_seq_00005'), grid)
    local = tmp_path / 'vis_data' / 'vis_image' / 'val_seq_00005_7.png'
    assert np.array_equal(np.asarray(Image.open(local).convert('RGB')), grid)


def test_add_datasample_takes_observed_frames_from_image_and_can_skip_the_truth(tmp_path):
    visualizer, recorder = recording_visualizer(tmp_path, 'no_truth')
    out_file = tmp_path / 'show' / 'seq.png'
    grid = visualizer.add_datasample('pred_only', image=clip(0.9, 4).numpy(),
                                     data_sample=dict(pred=clip(0.4, 3)), draw_gt=False,
                                     out_file=str(out_file))
    assert (grid.shape[1], grid.shape[0]) == grid_size(4, 3, 1, 64, 64)  # one row
    assert np.array_equal(np.asarray(Image.open(out_file).convert('RGB')), grid)
    with pytest.raises(DataError, match='no "pred" frames'):
        visualizer.add_datasample('broken', data_sample=dict(gt=clip(0.6, 3)))
    with pytest.raises(DataError, match='draw_pred=False'):
        visualizer.add_datasample('nothing', data_sample=sample(), draw_pred=False)


def test_per_frame_metrics_reach_the_backends_as_a_figure(tmp_path):
    visualizer, recorder = recording_visualizer(tmp_path, 'curves')
    series = {'demo': {'ssim': [0.9, 0.8, 0.7], 'mse': [10.0, 20.0, 30.0]}}
    image = visualizer.add_per_frame_metrics('test_per_frame_metrics', series, step=4)
    assert image.dtype == np.uint8 and image.shape == (300, 640, 3)  # 2 panels, 3.2 x 3 in
    assert image.std() > 10  # something is drawn
    assert [(n, s) for n, _, s in recorder.images] == [('test_per_frame_metrics', 4)]
    assert osp.isfile(tmp_path / 'vis_data' / 'vis_image' / 'test_per_frame_metrics_4.png')
    assert per_frame_metric_names({'a': {'lpips': [1]}, 'b': {'ssim': [1], 'fvd': [1],
                                                               'mse': [1]}}) == [
        'mse', 'ssim', 'lpips', 'fvd']
    assert [ax.get_title() for ax in per_frame_figure(series).axes] == ['MSE', 'SSIM']
    assert visualizer.add_per_frame_metrics('none', {'demo': {}}, step=4) is None
    assert len(recorder.images) == 1


def test_only_rank_0_draws(tmp_path, monkeypatch):
    import mmengine.dist.utils as dist_utils
    visualizer, recorder = recording_visualizer(tmp_path, 'rank1')
    monkeypatch.setattr(dist_utils, 'get_rank', lambda group=None: 1)
    assert visualizer.add_datasample('val_seq_00005', data_sample=sample(), step=1) is None
    assert visualizer.add_per_frame_metrics('c', {'demo': {'mse': [1.0]}}) is None
    assert recorder.images == [] and not (tmp_path / 'vis_data' / 'vis_image').exists()


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(REPO, 'configs', '*.py'))),
                         ids=osp.basename)
def test_every_config_logs_at_the_iteration_and_uses_predbench_visualizer(path, tmp_path):
    cfg = Config.fromfile(path)
    assert cfg.default_hooks.logger.log_metric_by_epoch is False
    assert cfg.default_hooks.visualization.type == 'PredictionVisualizationHook'
    assert cfg.visualizer.type == 'VideoPredictionVisualizer'
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend']
    visualizer = VISUALIZERS.build(dict(cfg.visualizer, name=f'build_{osp.basename(path)}',
                                        save_dir=str(tmp_path)))
    assert isinstance(visualizer, VideoPredictionVisualizer)
