"""PerFrameTableLogProcessor: summary metrics on the log line, the per-frame values as a table."""
import glob
import json
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from predbench.evaluation.report import is_per_frame_key
from tool_runner import REPO


def test_the_default_runtime_uses_the_table_log_processor():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.log_processor == dict(type='PerFrameTableLogProcessor', by_epoch=False,
                                     window_size=100)


def _lines_after(lines, marker):
    """The lines from the first line holding ``marker`` on, of each occurrence."""
    return [lines[i:] for i, line in enumerate(lines) if marker in line]


def test_val_and_test_lines_hold_the_means_and_a_table_follows(tiny_runner_cfg, tmp_path):
    runner = Runner(**tiny_runner_cfg(
        log_level='INFO', log_processor=dict(type='PerFrameTableLogProcessor', by_epoch=False),
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])))
    runner.train()  # 2 iterations, validation after each
    metrics = runner.test()
    # runner.test() still returns every per-frame key (reports and leaderboards read them).
    assert sorted(k for k in metrics if is_per_frame_key(k)) == [
        f'tiny/{n}_t0{t}' for n in ('mse', 'ssim') for t in (1, 2, 3)]
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read().splitlines()
    for mode, count in (('val', 2), ('test', 1)):
        found = _lines_after(log, f'Iter({mode})')
        assert len(found) == count
        for line, title, header, *rows in (f[:7] for f in found):
            assert 'tiny/mse: ' in line and 'tiny/ssim: ' in line and '_t0' not in line
            assert title == 'tiny per predicted frame:'
            assert header.split() == ['frame', 'mse', 'ssim']
            assert [r.split()[0] for r in rows] == ['1', '2', '3', 'mean']
    test_rows = _lines_after(log, 'Iter(test)')[0][3:7]
    for t, row in enumerate(test_rows[:3], start=1):
        assert row.split()[1:] == [f'{metrics[f"tiny/{n}_t0{t}"]:.4f}' for n in ('mse', 'ssim')]
    assert test_rows[3].split()[1] == f'{metrics["tiny/mse"]:.4f}'
    # The scalars the backends receive keep the per-frame keys.
    scalars = [json.loads(line) for line in open(
        glob.glob(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))[0])]
    validations = [s for s in scalars if 'tiny/mse' in s]
    assert len(validations) == 2 and all('tiny/mse_t03' in s for s in validations)
