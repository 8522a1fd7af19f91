"""tools/train.py and tools/test.py on the seed configs, resume after SIGKILL, and 2-process DDP."""
import glob
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from tool_runner import REPO, run_tool, run_test_tool, tiny_options, run_train_tool

SEED_CONFIGS = ['predrnn_mmnist', 'predrnn_v2_mmnist', 'predrnn_kth', 'predrnn_v2_kth']
ALL_CONFIGS = SEED_CONFIGS + ['predrnn_kth_40', 'predrnn_v2_kth_40', 'predrnn_v2_kth_val',
                              'predrnn_v2_demo']


def _records(work_dir, rank=0):
    path = osp.join(work_dir, f'record_rank{rank}.jsonl')
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_every_config_builds_its_model(name):
    from predbench.apis import init_model
    model = init_model(osp.join(REPO, 'configs', f'{name}.py'))
    backbone = model.backbone
    assert backbone.num_hidden == ([32, 32] if name.endswith('demo') else [128] * 4)
    assert (backbone.filter_size, backbone.stride, backbone.patch_size) == (5, 1, 4)
    assert backbone.layer_norm is False
    assert backbone.img_size == ((128, 128) if 'kth' in name else (48, 48) if name.endswith('demo')
                                 else (64, 64))
    if 'v2' in name and not name.endswith('demo'):
        assert backbone.decouple_beta == (0.01 if 'kth' in name else 0.1)


@pytest.mark.parametrize('name', SEED_CONFIGS)
def test_seed_config_trains_two_iterations_and_tests(name, mmnist_root, kth_root, tmp_path):
    work_dir = str(tmp_path / name)
    opts = tiny_options(name, mmnist_root, kth_root, work_dir)
    config = osp.join(REPO, 'configs', f'{name}.py')
    run_train_tool([config, '--work-dir', work_dir, '--seed', '0', '--cfg-options', *opts])
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 2
    assert ckpt['meta']['sampling']['type'] == ('ReverseScheduledSamplingHook' if 'v2' in name
                                                else 'ScheduledSamplingHook')
    out = osp.join(work_dir, 'predictions.npz')
    show = osp.join(work_dir, 'show')
    metrics = run_test_tool([config, checkpoint, '--work-dir', work_dir, '--out', out,
                             '--show-dir', show, '--num-show', '2', '--cfg-options', *opts])
    prefix = 'kth' if 'kth' in name else 'mmnist'
    for metric in ('mse', 'mae', 'psnr', 'ssim'):
        assert f'{prefix}/{metric}' in metrics
        assert metrics[f'{prefix}/{metric}'] == metrics[f'{prefix}/{metric}']  # not NaN
    expected_frames = 20 if 'kth' in name else 10
    assert f'{prefix}/mse_t{expected_frames:02d}' in metrics
    assert osp.isfile(osp.join(work_dir, 'metrics.json'))
    assert osp.isfile(osp.join(work_dir, 'metrics_per_frame.png'))
    dump = np.load(out)
    clips = 8 if 'mmnist' in name else 1 + 8  # tiny data: 8 clips; KTH boxing 1 + running 8
    assert list(dump['index']) == list(range(clips))
    assert dump['pred'].shape == (clips, expected_frames, 1) + dump['pred'].shape[3:]
    assert dump['mse'].shape == (clips, expected_frames)
    # per-sequence values average to the reported per-frame metric
    assert dump['mse'].mean(0)[0] == pytest.approx(metrics[f'{prefix}/mse_t01'], rel=1e-5)
    assert sorted(os.listdir(show)) == ['seq_00000.gif', 'seq_00000.png', 'seq_00001.gif',
                                        'seq_00001.png']


def _tiny_run_config(tmp_path, name='tiny_v2.py', extra=''):
    text = f"""
_base_ = [{osp.join(REPO, 'configs', 'predrnn_v2_demo.py')!r}]
custom_imports = dict(imports=['predbench_test_hooks'], allow_failed_imports=False)
model = dict(input_length=3, backbone=dict(num_hidden=[4, 4], filter_size=3))
custom_hooks = [
    dict(type='ReverseScheduledSamplingHook', step_1=2, step_2=5, exp_alpha=2),
    dict(type='RecordSamplingHook'),
]
train_cfg = dict(max_iters=6, val_interval=1000)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(seq_length=6, num_sequences=7))
val_dataloader = dict(dataset=dict(seq_length=6, num_sequences=4))
test_dataloader = dict(dataset=dict(seq_length=6, num_sequences=4))
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(_delete_=True, type='SafeCheckpointHook', by_epoch=False,
                                     interval=2, max_keep_ckpts=3))
log_processor = dict(window_size=1)
randomness = dict(seed=7)
{extra}
"""
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_resume_after_sigkill_continues_exactly(tmp_path):
    config = _tiny_run_config(tmp_path)
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', config, '--work-dir', full])
    reference = {r['iteration']: r for r in _records(full)}
    assert sorted(reference) == [1, 2, 3, 4, 5, 6]

    killed_config = _tiny_run_config(
        tmp_path, 'tiny_v2_killed.py',
        extra="custom_hooks.append(dict(type='KillAtIterationHook', iteration=5))")
    crashed = str(tmp_path / 'crashed')
    result = run_tool(['tools/train.py', killed_config, '--work-dir', crashed], check=False)
    assert result.returncode == -9  # SIGKILL after iteration 5, before any cleanup
    assert osp.isfile(osp.join(crashed, 'iter_4.pth'))
    assert not glob.glob(osp.join(crashed, '.*.tmp'))  # no half-written checkpoint
    first_life = _records(crashed)
    assert [r['iteration'] for r in first_life] == [1, 2, 3, 4, 5]

    resumed = run_tool(['tools/train.py', config, '--work-dir', crashed, '--resume'])
    assert 'resumed' in (resumed.stdout + resumed.stderr).lower()
    second_life = _records(crashed)[len(first_life):]
    assert [r['iteration'] for r in second_life] == [5, 6]
    for record in first_life[:4] + second_life:
        want = reference[record['iteration']]
        # same data order, same sampling draws, same losses as the uninterrupted run
        assert record['indices'] == want['indices']
        assert record['mask'] == want['mask']
        for key, value in want['losses'].items():
            assert record['losses'][key] == pytest.approx(value, rel=1e-5, abs=1e-7)


def test_two_process_cpu_ddp_matches_one_process_and_advances_on_every_rank(tmp_path):
    """tools/dist_train.sh with 2 CPU processes of batch 1 = 1 process of batch 2."""
    config = _tiny_run_config(tmp_path, extra='train_dataloader.update(batch_size=1)')
    work_dir = str(tmp_path / 'ddp')
    run_tool(['-c', 'import sys, subprocess; sys.exit(subprocess.call(sys.argv[1:]))', 'bash',
              osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work_dir],
             env_extra=dict(PORT='29531', PYTHON=sys.executable))
    ranks = [_records(work_dir, 0), _records(work_dir, 1)]
    for records in ranks:
        assert [r['iteration'] for r in records] == [1, 2, 3, 4, 5, 6]
        for r in records:
            assert r['mode'] == 'reverse' and all(v == v for v in r['losses'].values())
        # iteration >= step_2 (5): encoder always sees the truth, decoder never does
        for r in records[4:]:
            assert all(row == [1.0, 1.0, 0.0, 0.0] for row in r['mask'])
    for it in range(6):  # the two ranks train on different clips
        assert not set(ranks[0][it]['indices']) & set(ranks[1][it]['indices'])
    assert osp.isfile(osp.join(work_dir, 'iter_6.pth'))
    assert not glob.glob(osp.join(work_dir, 'record_rank2*'))

    single_config = _tiny_run_config(tmp_path, 'tiny_single.py',
                                     extra='train_dataloader.update(batch_size=2)')
    single_dir = str(tmp_path / 'single')
    run_tool(['tools/train.py', single_config, '--work-dir', single_dir])
    single = _records(single_dir)
    for it in range(6):  # same clips and sampling masks, split across the ranks
        assert single[it]['indices'] == [ranks[0][it]['indices'][0], ranks[1][it]['indices'][0]]
        assert single[it]['mask'] == [ranks[0][it]['mask'][0], ranks[1][it]['mask'][0]]
    ddp_weights = torch.load(osp.join(work_dir, 'iter_6.pth'), weights_only=True)['state_dict']
    one_weights = torch.load(osp.join(single_dir, 'iter_6.pth'), weights_only=True)['state_dict']
    for key, value in one_weights.items():
        torch.testing.assert_close(ddp_weights[key], value, atol=2e-5, rtol=1e-4)
