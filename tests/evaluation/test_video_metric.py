"""VideoMetric: keys, values, dataset order, the LPIPS start-up check, and 1 vs 2 processes
(FVD's moments included)."""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from predbench.evaluation import VideoMetric, compute_metrics
from predbench.evaluation import check_lpips_weights, evaluators_using_lpips
from predbench.evaluation.fvd_model import I3D_CHECKPOINT
from predbench.evaluation.lpips_model import ALEXNET_CHECKPOINT
from predbench.registry import METRICS
from predbench.utils.errors import ConfigError
from fake_i3d import save_fake_i3d
from tool_runner import load_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
demo_clips = load_tool('analysis/metric_conventions.py').demo_clips


def model_outputs(pred, gt, indices):
    """What VideoPredictor.predict returns for the clips ``indices``."""
    return [dict(pred=torch.from_numpy(pred[i]), gt=torch.from_numpy(gt[i]),
                 input=torch.from_numpy(gt[i][:1]), index=int(i)) for i in indices]


def run_metric(metric, pred, gt, batches):
    for batch in batches:
        metric.process({}, model_outputs(pred, gt, batch))
    return metric.evaluate(sum(len(b) for b in batches))


def test_reports_mean_and_per_frame_keys_with_prefix(digit_clips):
    pred, gt = digit_clips
    metric = METRICS.build(dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                                prefix='mmnist'))
    result = run_metric(metric, pred, gt, [[0, 1, 2, 3], [4, 5]])
    names = ['mse', 'mae', 'psnr', 'ssim']
    expected_keys = [f'mmnist/{n}' for n in names] + [
        f'mmnist/{n}_t{t:02d}' for n in names for t in (1, 2, 3)]
    assert list(result) == expected_keys
    reference = compute_metrics(pred, gt, names)
    for name in names:
        np.testing.assert_allclose([result[f'mmnist/{name}_t{t:02d}'] for t in (1, 2, 3)],
                                   reference[name], rtol=1e-9)
        assert result[f'mmnist/{name}'] == pytest.approx(reference[name].mean(), rel=1e-9)
        assert isinstance(result[f'mmnist/{name}'], float)


def test_per_frame_false_reports_only_means(digit_clips):
    pred, gt = digit_clips
    result = run_metric(VideoMetric(metric_names=['mse'], per_frame=False, prefix='kth'), pred, gt,
                        [[0, 1, 2, 3, 4, 5]])
    assert list(result) == ['kth/mse']


def test_lpips_plumbing_matches_the_functional_computation(digit_clips):
    pred, gt = digit_clips
    metric = VideoMetric(metric_names=['lpips'], lpips_pretrained_backbone=False, prefix='m')
    result = run_metric(metric, pred, gt, [[0, 1, 2], [3, 4, 5]])
    reference = compute_metrics(pred, gt, ['lpips'], lpips_net=metric._lpips_net)
    np.testing.assert_allclose([result[f'm/lpips_t0{t}'] for t in (1, 2, 3)],
                               reference['lpips'], rtol=1e-6)


def test_thuml_batches_follow_dataset_order_whatever_the_processing_order(digit_clips,
                                                                         random_lpips):
    pred, gt = digit_clips
    metric = VideoMetric(metric_names=['psnr', 'lpips'], convention='thuml', thuml_batch_size=4,
                         lpips_pretrained_backbone=False, prefix='m')
    metric._lpips_net = random_lpips
    result = run_metric(metric, pred, gt, [[5, 2], [0, 4], [3, 1]])
    reference = compute_metrics(pred, gt, ['psnr', 'lpips'], 'thuml', thuml_batch_size=4,
                                lpips_net=random_lpips)
    # LPIPS of 2-clip batches and of all 6 clips at once: AlexNet's float32 convolutions may sum
    # in another order for another batch size (~1e-8); a wrong batch order would move it ~1e-2.
    for name, rtol in (('psnr', 1e-9), ('lpips', 1e-6)):
        np.testing.assert_allclose([result[f'm/{name}_t0{t}'] for t in (1, 2, 3)],
                                   reference[name], rtol=rtol)


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match='convention'):
        VideoMetric(convention='pytorch', metric_names=['mse'])
    with pytest.raises(ConfigError, match='thuml_batch_size'):
        VideoMetric(metric_names=['mse'], thuml_batch_size=8)


# --- LPIPS weights: checked at start-up -------------------------------------------------------

def test_missing_alexnet_weights_fail_at_construction_with_one_clear_line(empty_hub):
    with pytest.raises(ConfigError) as err:
        VideoMetric(metric_names=['mse', 'ssim', 'lpips'])
    message = str(err.value)
    assert '\n' not in message
    assert ALEXNET_CHECKPOINT in message
    assert str(empty_hub / 'checkpoints') in message
    assert 'test_evaluator.metric_names="[\'mse\',\'ssim\']"' in message
    VideoMetric(metric_names=['mse', 'ssim'])  # no LPIPS, no weights needed


def test_present_alexnet_weights_pass_the_check(empty_hub):
    (empty_hub / 'checkpoints').mkdir(parents=True)
    (empty_hub / 'checkpoints' / ALEXNET_CHECKPOINT).write_bytes(b'stub')
    assert check_lpips_weights() == str(empty_hub / 'checkpoints' / ALEXNET_CHECKPOINT)
    VideoMetric(metric_names=['lpips'])


def test_a_run_asking_for_lpips_stops_before_training(empty_hub, tiny_runner_cfg):
    cfg = tiny_runner_cfg(val_evaluator=dict(type='VideoMetric', prefix='tiny'))
    runner = Runner(**cfg)
    with pytest.raises(ConfigError, match=ALEXNET_CHECKPOINT):
        runner.train()
    assert runner.iter == 0


LPIPS_CONFIG = """
default_scope = 'predbench'
val_evaluator = dict(type='VideoMetric', metric_names=['mse', 'lpips'], prefix='a')
test_evaluator = [dict(type='VideoMetric', prefix='b'),
                  dict(type='VideoMetric', metric_names=['ssim'], prefix='c')]
"""


def option_from(message: str) -> dict:
    """Parse the --cfg-options of an error message as tools/*.py do (MMEngine's DictAction)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(shlex.split(message[message.index('--cfg-options'):])).cfg_options


def test_the_config_aware_check_gives_the_exact_option_that_turns_lpips_off(empty_hub,
                                                                            tmp_path):
    config = tmp_path / 'with_lpips.py'
    config.write_text(LPIPS_CONFIG)
    cfg = Config.fromfile(str(config))
    assert evaluators_using_lpips(cfg) == {'val_evaluator': ['mse'],
                                           'test_evaluator.0': ['mse', 'mae', 'psnr', 'ssim']}
    for keys in (('val_evaluator', ), ('test_evaluator', )):
        with pytest.raises(ConfigError) as err:
            check_lpips_weights(cfg, keys)
        options = option_from(str(err.value))
        assert [k.split('.')[0] for k in options] == list(keys)
        cfg.merge_from_dict(options)
    assert evaluators_using_lpips(cfg) == {}
    assert check_lpips_weights(cfg) is None  # nothing asks for LPIPS any more
    assert METRICS.build(cfg.val_evaluator).metrics == ('mse', )
    assert METRICS.build(cfg.test_evaluator[0]).metrics == ('mse', 'mae', 'psnr', 'ssim')


# --- distributed: 2 processes give the numbers (and out_file) of 1 ----------------------------

WORKER = r'''
import json, math, os, sys
import torch
import torch.distributed as dist
rank, store, out, i3d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
# A file store: no TCP server thread in rank 0 to abort its exit ("terminate called ...").
dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=2)
from predbench.evaluation import VideoMetric
from tool_runner import load_tool
demo_clips = load_tool('analysis/metric_conventions.py').demo_clips
pred, gt = demo_clips(num_sequences=7, length=3, size=32, seed=3)
# MMEngine's DefaultSampler: pad to a multiple of the world size, then deal round-robin.
total = math.ceil(len(pred) / 2) * 2
shard = (list(range(len(pred))) * 2)[:total][rank::2]
results = {}
for name, kwargs in [('predbench', dict(metric_names=['mse', 'mae', 'psnr', 'ssim', 'lpips'])),
                     ('thuml', dict(metric_names=['psnr', 'ssim', 'lpips'], convention='thuml',
                                    thuml_batch_size=3, out_file=out[:-5] + '_thuml.npz')),
                     ('fvd', dict(metric_names=['mse', 'fvd'], fvd_model=i3d))]:
    torch.manual_seed(0)  # the same random LPIPS trunk as the single process
    metric = VideoMetric(lpips_pretrained_backbone=False, prefix=name, **kwargs)
    for start in range(0, len(shard), 2):
        metric.process({}, [dict(pred=torch.from_numpy(pred[i]), gt=torch.from_numpy(gt[i]),
                                 input=torch.from_numpy(gt[i][:1]), index=i)
                            for i in shard[start:start + 2]])
    results.update(metric.evaluate(len(pred)))
if rank == 0:
    with open(out, 'w') as f:
        json.dump(results, f)
dist.barrier()  # leave together: gloo aborts a process whose peer went away mid-call
dist.destroy_process_group()
# Skip the interpreter's teardown: once, in a loaded full-suite run, a worker died with
# "terminate called without an active exception" and no Python error (a C++ thread destroyed
# while joinable). A failure before this point still fails the test (exit status, no json).
sys.stdout.flush()
os._exit(0)
'''


def test_two_processes_give_the_numbers_and_the_out_file_of_one(tmp_path):
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    # FVD's moments are summed per rank and over ranks, without the padded clip.
    i3d = save_fake_i3d(tmp_path / I3D_CHECKPOINT)
    out = tmp_path / 'metrics.json'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO_ROOT, osp.join(REPO_ROOT, 'tests')]),
               OMP_NUM_THREADS='1')
    store = osp.join(tempfile.mkdtemp(), 'store')  # outside tmp_path, whose listing is checked
    procs = [subprocess.Popen([sys.executable, str(script), str(rank), store, str(out), i3d],
                              env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for rank in range(2)]
    logs = [p.communicate(timeout=300)[0].decode() for p in procs]  # slow when CPUs are shared
    assert all(p.returncode == 0 for p in procs), '\n'.join(logs)
    distributed = json.loads(out.read_text())

    pred, gt = demo_clips(num_sequences=7, length=3, size=32, seed=3)
    single = {}
    for name, kwargs in [('predbench', dict(metric_names=['mse', 'mae', 'psnr', 'ssim', 'lpips'])),
                         ('thuml', dict(metric_names=['psnr', 'ssim', 'lpips'], convention='thuml',
                                        thuml_batch_size=3,
                                        out_file=str(tmp_path / 'single_thuml.npz'))),
                         ('fvd', dict(metric_names=['mse', 'fvd'], fvd_model=i3d))]:
        torch.manual_seed(0)
        metric = VideoMetric(lpips_pretrained_backbone=False, prefix=name, **kwargs)
        single.update(run_metric(metric, pred, gt, [[0, 1], [2, 3], [4, 5], [6]]))
    assert distributed.keys() == single.keys()
    for key, value in single.items():
        assert distributed[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    # Counting the padded clip 0 twice would move FVD by far more than that.
    padded = compute_metrics(*(np.concatenate([x, x[:1]]) for x in (pred, gt)), ('fvd', ),
                             observed=np.concatenate([gt[:, :1], gt[:1, :1]]), fvd_model=i3d)
    assert abs(float(padded['fvd']) / single['fvd/fvd'] - 1) > 1e-3
    # out_file: the ranks' shards assembled in dataset order, the padded clip 0 dropped.
    ddp_dump, single_dump = np.load(tmp_path / 'metrics_thuml.npz'), np.load(
        tmp_path / 'single_thuml.npz')
    assert sorted(ddp_dump.files) == ['index', 'lpips', 'pred', 'psnr', 'ssim']
    assert ddp_dump['index'].tolist() == list(range(7))
    np.testing.assert_array_equal(ddp_dump['pred'], single_dump['pred'])
    for name in ('psnr', 'ssim', 'lpips'):
        assert ddp_dump[name].shape == (7, 3)
        np.testing.assert_allclose(ddp_dump[name], single_dump[name], rtol=1e-6, err_msg=name)
    assert sorted(os.listdir(tmp_path)) == [I3D_CHECKPOINT, 'metrics.json', 'metrics_thuml.npz',
                                            'single_thuml.npz', 'worker.py']
