"""VideoMetric(out_file=...) and tools/test.py --out: one computation, the configured convention,
streamed to disk batch by batch, in dataset order (2 processes: test_video_metric.py)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from predbench.apis import init_model
from predbench.evaluation import VideoMetric, frame_metrics
from predbench.evaluation.evaluator_config import set_out_files
from predbench.evaluation.prediction_dump import shard_path
from predbench.utils.errors import ConfigError
from tool_runner import REPO, load_tool

demo_clips = load_tool('analysis/metric_conventions.py').demo_clips
NAMES = ['mse', 'mae', 'psnr', 'ssim']
#: The keys, shapes (N clips, T frames, 1 x 32 x 32) and dtypes DumpPredictionsHook wrote.
OLD_FORMAT = {'index': ((7, ), np.int64), 'pred': ((7, 3, 1, 32, 32), np.float16),
              **{name: ((7, 3), np.float64) for name in NAMES}}


def outputs(pred, gt, indices):
    return [dict(pred=torch.from_numpy(pred[i]), gt=torch.from_numpy(gt[i]), index=int(i))
            for i in indices]


def check_format(dump):
    assert sorted(dump.files) == sorted(OLD_FORMAT)
    for key, (shape, dtype) in OLD_FORMAT.items():
        assert (dump[key].shape, dump[key].dtype) == (shape, dtype), key


def test_out_file_holds_the_thuml_numbers_the_metric_reports_in_dataset_order(tmp_path):
    pred, gt = demo_clips(num_sequences=7, length=3, size=32, seed=3)
    out = tmp_path / 'sub' / 'pred.npz'
    metric = VideoMetric(metric_names=NAMES, convention='thuml', prefix='m', out_file=str(out))
    batches = [[5, 2], [0, 6, 4], [3, 1]]
    for number, batch in enumerate(batches, start=1):
        metric.process({}, outputs(pred, gt, batch))
        # Written batch by batch: the shard grows, the records hold no predictions.
        shard = shard_path(str(out), 0)
        assert osp.getsize(shard) == sum(map(len, batches[:number])) * 3 * 32 * 32 * 2
        assert all(set(r) == {*NAMES, 'index', 'pred_at'} for r in metric.results)
    reported = metric.evaluate(7)
    dump = np.load(out)
    check_format(dump)
    assert dump['index'].tolist() == list(range(7))
    np.testing.assert_array_equal(dump['pred'], np.clip(pred, 0, 1).astype(np.float16))
    thuml = frame_metrics(pred, gt, NAMES, 'thuml')
    predbench = frame_metrics(pred, gt, NAMES, 'predbench')
    for name in NAMES:
        np.testing.assert_array_equal(dump[name], thuml[name].numpy())
        np.testing.assert_allclose(dump[name].mean(0), [reported[f'm/{name}_t0{t}']
                                                        for t in (1, 2, 3)], rtol=1e-12)
    assert not np.allclose(dump['ssim'], predbench['ssim'].numpy(), rtol=1e-3)  # not 'predbench'
    assert sorted(os.listdir(out.parent)) == ['pred.npz']  # shards removed


def test_a_second_evaluation_rewrites_the_file_from_scratch(tmp_path):
    pred, gt = demo_clips(num_sequences=4, length=2, size=32, seed=4)
    out = str(tmp_path / 'pred.npz')
    metric = VideoMetric(metric_names=['mse'], out_file=out)
    for clips in ([0, 1, 2, 3], [2, 3]):
        metric.process({}, outputs(pred, gt, clips))
        metric.evaluate(len(clips))
        dump = np.load(out)
        assert dump['index'].tolist() == clips
        np.testing.assert_array_equal(dump['pred'], np.clip(pred[clips], 0, 1).astype(np.float16))


# --- tools/test.py --out --------------------------------------------------------------------------

DEMO = osp.join(REPO, 'configs', 'predrnn_v2_demo.py')
TINY = ['model.backbone.num_hidden=[4,4]', 'model.backbone.filter_size=3',
        'model.input_length=3', 'test_dataloader.dataset.seq_length=6',
        'test_dataloader.dataset.num_sequences=5', 'test_dataloader.batch_size=2']


@pytest.fixture(scope='module')
def demo_checkpoint(tmp_path_factory):
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone.num_hidden = [4, 4]
    cfg.model.backbone.filter_size = 3
    cfg.model.input_length = 3
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('demo') / 'tiny.pth'
    torch.save({'state_dict': init_model(cfg).state_dict()}, path)
    return str(path)


def test_test_tool_out_stores_what_the_thuml_metric_reports(demo_checkpoint, tmp_path, capsys):
    out = tmp_path / 'predictions'  # the tool adds .npz, as numpy would
    metrics = load_tool('test.py').main(
        [DEMO, demo_checkpoint, '--work-dir', str(tmp_path / 'work'), '--out', str(out),
         '--cfg-options', *TINY, 'test_evaluator.convention=thuml'])
    assert f'predictions: {out}.npz' in capsys.readouterr().out
    dump = np.load(f'{out}.npz')
    assert sorted(dump.files) == sorted(['index', 'pred', *NAMES])
    assert dump['index'].tolist() == list(range(5))
    assert (dump['pred'].shape, dump['pred'].dtype) == ((5, 3, 1, 48, 48), np.float16)
    for name in NAMES:
        assert (dump[name].shape, dump[name].dtype) == ((5, 3), np.float64)
        np.testing.assert_allclose(dump[name].mean(0), [metrics[f'demo/{name}_t0{t}']
                                                        for t in (1, 2, 3)], rtol=1e-12)
        assert metrics[f'demo/{name}'] == pytest.approx(dump[name].mean(), rel=1e-12)


def test_out_names_one_file_per_video_metric_and_needs_one():
    cfg = Config(dict(test_evaluator=[dict(type='VideoMetric', prefix='thuml'),
                                      dict(type='VideoMetric', prefix='ours')]))
    assert set_out_files(cfg, 'x/pred.npz') == ['x/pred_thuml.npz', 'x/pred_ours.npz']
    assert [m.out_file for m in cfg.test_evaluator] == ['x/pred_thuml.npz', 'x/pred_ours.npz']
    cfg = Config(dict(test_evaluator=dict(metrics=dict(type='VideoMetric'))))
    assert set_out_files(cfg, 'pred') == ['pred.npz']
    assert cfg.test_evaluator.metrics.out_file == 'pred.npz'
    with pytest.raises(ConfigError) as err:
        set_out_files(Config(dict(test_evaluator=dict(type='OtherMetric'))), 'pred.npz')
    assert str(err.value) == '--out saves what a VideoMetric computes, and test_evaluator has none'


def test_the_dump_hook_is_gone():
    from predbench.registry import HOOKS
    assert HOOKS.get('DumpPredictionsHook') is None
