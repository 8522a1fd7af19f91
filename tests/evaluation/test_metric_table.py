"""One table of metrics, one backend choice: adding a metric is adding a row."""
import importlib
import inspect

import numpy as np
import pytest
import torch
from mmengine.config import Config

from predbench.evaluation import (DEFAULT_METRIC_NAMES, METRIC_NAMES, METRIC_TABLE, MetricRow,
                                  VideoMetric, compute_metrics, evaluators_using_lpips,
                                  frame_metrics, metric_backend, ssim)
from predbench.evaluation.metric_table import SET
from predbench.utils.errors import ConfigError

functional = importlib.import_module('predbench.evaluation.functional')
backend_module = importlib.import_module('predbench.evaluation.backend')


def test_every_list_of_metric_names_is_the_table():
    assert METRIC_NAMES == tuple(METRIC_TABLE) == ('mse', 'mae', 'psnr', 'ssim', 'lpips', 'fvd')
    # FVD needs a network file and minutes of CPU: computed only when named.
    assert DEFAULT_METRIC_NAMES == ('mse', 'mae', 'psnr', 'ssim', 'lpips')
    assert (inspect.signature(VideoMetric).parameters['metric_names'].default
            == DEFAULT_METRIC_NAMES)
    cfg = Config(dict(test_evaluator=dict(type='VideoMetric', prefix='x',
                                          lpips_pretrained_backbone=True)))
    # A VideoMetric without metric_names computes the default rows, LPIPS included.
    assert evaluators_using_lpips(cfg) == {'test_evaluator': ['mse', 'mae', 'psnr', 'ssim']}


# --- the backend: chosen in one place -----------------------------------------------------------

def test_default_backend_is_numba_for_cpu_frames_holding_an_ssim_window(monkeypatch):
    assert metric_backend('cpu', (64, 64), 7) == 'numba'
    assert metric_backend('cpu', (6, 64), 7) == 'torch'
    assert metric_backend('cuda', (64, 64), 7) == 'torch'
    monkeypatch.setattr(backend_module.ssim_kernel, 'available', lambda: False)
    assert metric_backend('cpu', (64, 64), 7) == 'torch'


@pytest.mark.parametrize('device,frame,requested,message', [
    ('cpu', (8, 8), 'gpu', "metric backend must be 'numba', 'torch' or None, got 'gpu'"),
    ('cuda', (8, 8), 'numba', "the 'numba' metric backend runs on CPU tensors, got cuda: use "
                              "backend='torch' (or None)"),
    ('cpu', (5, 9), 'numba', "the 'numba' metric backend needs frames of at least 7x7 pixels, "
                             "got 5x9: use backend='torch' (or None)"),
])
def test_a_backend_that_cannot_run_is_a_one_line_config_error(device, frame, requested,
                                                              message):
    with pytest.raises(ConfigError) as err:
        metric_backend(device, frame, 7, requested)
    assert str(err.value) == message


def test_frame_metrics_and_ssim_ask_the_one_backend_function(monkeypatch):
    asked = []
    original = backend_module.metric_backend

    def spy(device, frame_size, win_size, requested=None):
        asked.append((frame_size, requested))
        return original(device, frame_size, win_size, requested)

    for module in (functional, importlib.import_module('predbench.evaluation.ssim')):
        monkeypatch.setattr(module, 'metric_backend', spy)
    x = torch.rand(1, 2, 1, 16, 12)
    frame_metrics(x, x, ('mse', ), backend='torch')
    ssim(x[0], x[0], 1.0)
    assert asked == [((16, 12), 'torch'), ((16, 12), None)]
    with pytest.raises(ConfigError, match='metric backend must be'):
        ssim(x[0], x[0], 1.0, backend='gpu')


# --- a new row ------------------------------------------------------------------------------------

def _max_error(block, conv):
    """Largest absolute error per image of the clipped prediction (torch only)."""
    return (block.clipped - block.gt).abs().flatten(1).amax(dim=1).double()


def test_a_frame_metric_is_a_row_and_runs_under_either_backend(monkeypatch, rng_clips):
    monkeypatch.setitem(METRIC_TABLE, 'max_error', MetricRow(torch=_max_error))
    pred, gt = rng_clips(4, (3, 2, 1, 16, 16))
    expected = np.abs(np.clip(pred, 0, 1) - gt).max(axis=(2, 3, 4)).mean(0)
    for backend in ('numba', 'torch'):
        values = frame_metrics(pred, gt, ('ssim', 'max_error'), backend=backend)
        np.testing.assert_allclose(values['max_error'].mean(0).numpy(), expected, rtol=1e-6)
    result = VideoMetric(metric_names=['max_error'], prefix='p')
    result.process({}, [dict(pred=torch.from_numpy(p), gt=torch.from_numpy(g), index=i)
                        for i, (p, g) in enumerate(zip(pred, gt))])
    reported = result.evaluate(3)
    assert list(reported) == ['p/max_error', 'p/max_error_t01', 'p/max_error_t02']
    assert reported['p/max_error_t02'] == pytest.approx(expected[1], rel=1e-6)


def _clip_gap(net, pred, gt, observed, conv):
    """Per clip, one group of one feature: the mean of clipped prediction minus truth."""
    return (pred.clamp(0, 1).double() - gt.double()).flatten(1).mean(dim=1)[:, None, None]


def test_a_set_level_metric_is_one_value_beside_the_per_frame_ones(monkeypatch, rng_clips):
    # Its features' moments are summed over batches; it reduces them to one number.
    monkeypatch.setitem(METRIC_TABLE, 'gap',
                        MetricRow(level=SET, clip_features=_clip_gap,
                                  reduce=lambda moments: abs(float(moments.mean()[0, 0]))))
    pred, gt = rng_clips(5, (5, 2, 1, 16, 16))
    expected = abs((np.clip(pred, 0, 1).astype(np.float64) - gt).mean())
    metric = VideoMetric(metric_names=['mse', 'gap'], prefix='p')
    for batch in ([4, 1], [0, 3], [2]):  # any order, batches of any size
        metric.process({}, [dict(pred=torch.from_numpy(pred[i]), gt=torch.from_numpy(gt[i]),
                                 index=i) for i in batch])
    reported = metric.evaluate(5)
    assert list(reported) == ['p/mse', 'p/gap', 'p/mse_t01', 'p/mse_t02']
    assert reported['p/gap'] == pytest.approx(expected, rel=1e-12)
    functional_value = compute_metrics(pred, gt, ('mse', 'gap'), chunk_size=2)
    assert float(functional_value['gap']) == pytest.approx(expected, rel=1e-12)
    assert reported['p/mse_t01'] == pytest.approx(functional_value['mse'][0], rel=1e-12)
