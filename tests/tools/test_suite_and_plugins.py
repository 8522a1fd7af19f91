"""Benchmark suites (resume, leaderboard), the external model example, registry errors."""
import csv
import json
import os
import os.path as osp

import pytest

from tool_runner import REPO, load_tool, run_tool

EXAMPLE = osp.join(REPO, 'examples', 'my_model')


def test_tiny_suite_runs_then_skips_finished_entries(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    suite = load_tool('run_suite.py')
    work_dir = str(tmp_path / 'suite')
    only = ['--only', 'predrnn_v2', 'mau', 'copy_last_frame']  # the others: seconds each
    first = suite.main(['configs/suites/tiny_cpu.py', '--work-dir', work_dir, *only])
    assert first['skipped'] == []
    names = [r['name'] for r in first['results']]
    assert names == ['predrnn_v2', 'mau', 'copy_last_frame']
    with open(first['csv']) as f:
        rows = {row['name']: row for row in csv.DictReader(f)}
    for name, row in rows.items():
        assert float(row['demo/mse']) > 0 and float(row['infer_seq_per_s']) > 0
        assert (row['train_iter_per_s'] == '') == (name == 'copy_last_frame')
    assert float(rows['copy_last_frame']['params_M']) == 0
    assert float(rows['predrnn_v2']['GFLOPs']) > 0
    # the leaderboard's numbers are those of a plain tools/test.py run of the entry
    ckpt = first['results'][0]['checkpoint']
    assert osp.basename(ckpt) == 'iter_4.pth'
    second = suite.main(['configs/suites/tiny_cpu.py', '--work-dir', work_dir, *only])
    assert second['skipped'] == names
    assert [r['metrics'] for r in second['results']] == [r['metrics'] for r in first['results']]


@pytest.mark.parametrize('suite', ['tiny_cpu', 'predrnn_family', 'seed_models', 'bair'])
def test_every_suite_entry_builds_and_passes_the_run_checks(suite):
    """Each entry's config (with the suite's options) is valid and its model runs a clip."""
    import torch
    from predbench.analysis.suite import entry_config, load_suite
    from predbench.registry import MODELS
    from predbench.utils.config_checks import check_run_config
    suite_cfg = load_suite(osp.join(REPO, 'configs', 'suites', f'{suite}.py'))
    for entry in suite_cfg.entries:
        cfg = entry_config(suite_cfg, dict(entry, config=osp.join(REPO, entry['config'])),
                           '/nonexistent', 'none')
        check_run_config(cfg)
        if suite == 'tiny_cpu':
            model = MODELS.build(cfg.model)
            size = cfg.train_dataloader.dataset.image_size  # the demo's frames
            clip = torch.rand(1, 6, 1, size, size)
            assert model(clip, mode='tensor').shape == (1, 5, 1, size, size), entry['name']
    if suite == 'tiny_cpu':
        types = {e['cfg_options'].get('model.backbone', {}).get('type', 'PredRNNv2')
                 for e in suite_cfg.entries}
        assert {'PredRNN', 'PredRNNv2', 'PredRNNpp', 'MIM', 'E3DLSTM', 'MAU', 'ConvLSTM',
                'CopyLastFrame'} <= types


def test_suite_numbers_match_a_separate_test_run(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    suite = load_tool('run_suite.py')
    work_dir = str(tmp_path / 'suite')
    out = suite.main(['configs/suites/tiny_cpu.py', '--work-dir', work_dir,
                      '--only', 'predrnn_v2'])
    result = out['results'][0]
    from predbench.analysis.suite import load_suite
    suite_cfg = load_suite('configs/suites/tiny_cpu.py')
    options = dict(suite_cfg.entries[0]['cfg_options'])
    args = [f'{k}={json.dumps(v) if not isinstance(v, str) else v}' for k, v in options.items()]
    metrics = load_tool('test.py').main([
        'configs/predrnn_v2_demo.py', result['checkpoint'], '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *args])
    for key, value in result['metrics'].items():
        assert metrics[key] == pytest.approx(value, rel=1e-6)


def test_external_model_trains_and_appears_in_a_leaderboard(tmp_path):
    env = dict(PYTHONPATH=os.pathsep.join([EXAMPLE, REPO]))
    work_dir = str(tmp_path / 'convgru')
    run_tool(['tools/train.py', 'examples/my_model/configs/convgru_demo.py', '--work-dir',
              work_dir, '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
              'default_hooks.checkpoint.interval=2', 'model.backbone.hidden=[4,4]',
              'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
              'val_dataloader.dataset.num_sequences=4'], env_extra=env)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    suite_dir = str(tmp_path / 'suite')
    result = run_tool(['tools/run_suite.py',
                       'examples/my_model/configs/suite_with_convgru.py', '--work-dir',
                       suite_dir], env_extra=env)
    with open(osp.join(suite_dir, 'leaderboard.csv')) as f:
        rows = {row['name']: row for row in csv.DictReader(f)}
    assert rows['convgru']['model'] == 'ConvGRUPredictor'
    assert float(rows['convgru']['demo/mse']) > 0 and 'predrnn_v2' in rows
    assert 'ConvGRUPredictor' in result.stdout


def test_mistyped_model_name_lists_the_registered_ones():
    result = run_tool(['tools/train.py', 'configs/predrnn_v2_demo.py', '--cfg-options',
                       'model.backbone.type=PredRNv2'], check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: unknown model type 'PredRNv2': did you mean PredRNNv2")
    for name in ('ConvLSTM', 'CopyLastFrame', 'PredRNN', 'VideoPredictor'):
        assert name in line


def test_get_flops_and_speed_tools(tmp_path):
    flops = load_tool('analysis/get_flops.py').main(
        [osp.join(REPO, 'configs', 'predrnn_v2_mmnist.py'), '--out', str(tmp_path / 'f.json')])
    # OpenSTL reports 23.9M parameters and 116.6 GFLOPs (with the training-only adapter)
    assert flops['params'] == 23855104
    assert 115.0e9 < flops['flops'] < 116.6e9
    rows = load_tool('analysis/measure_speed.py').main(
        [osp.join(REPO, 'configs', 'predrnn_v2_demo.py'), '--device', 'cpu', '--amp', 'off',
         '--iters', '1', '--warmup', '1', '--batch-size', '1', '--threads', '1',
         '--cfg-options', 'model.backbone.num_hidden=[4,4]', '--out', str(tmp_path / 's.json')])
    assert rows[0]['train_iter_per_s'] > 0 and rows[0]['infer_seq_per_s'] > 0
    assert json.load(open(tmp_path / 's.json'))[0]['device'] == 'cpu'


def test_the_runner_named_by_runner_type_is_used(tmp_path):
    config = tmp_path / 'own_runner.py'
    config.write_text(f"""
_base_ = [{osp.join(REPO, 'configs', 'predrnn_v2_demo.py')!r}]
custom_imports = dict(imports=['predbench_test_hooks'], allow_failed_imports=False)
runner_type = 'RecordingRunner'
model = dict(input_length=3, backbone=dict(num_hidden=[4, 4], filter_size=3))
train_cfg = dict(max_iters=1, val_interval=1000)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(seq_length=6))
default_hooks = dict(checkpoint=dict(interval=1))
""")
    work_dir = tmp_path / 'w'
    run_tool(['tools/train.py', str(config), '--work-dir', str(work_dir)])
    assert (work_dir / 'recording_runner_was_used').read_text() == 'RecordingRunner'
    assert (work_dir / 'iter_1.pth').is_file()
