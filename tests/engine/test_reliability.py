"""No finished work is lost: kills at the dangerous instants, concurrent runs, full disks,
divergence. Each test runs the real training tool on a tiny PredRNN-V2 (seconds per run)."""
import glob
import os
import os.path as osp
import signal

import torch

from predbench.engine.checkpoint_io import read_checkpoint
from tool_runner import REPO, run_tool, start_tool, wait_for_file

DEMO = osp.join(REPO, 'configs', 'predrnn_v2_demo.py')


def _config(tmp_path, name='tiny.py', hooks='', max_iters=4, interval=1, max_keep=1,
            val_interval=1000, extra=''):
    """A tiny PredRNN-V2 run: a checkpoint every ``interval`` iterations, ``max_keep`` kept."""
    text = f"""
_base_ = [{DEMO!r}]
custom_imports = dict(imports=['predbench_test_hooks'], allow_failed_imports=False)
model = dict(input_length=3, backbone=dict(num_hidden=[4, 4], filter_size=3))
custom_hooks = [dict(type='ReverseScheduledSamplingHook', step_1=2, step_2=5, exp_alpha=2),
                {hooks}]
train_cfg = dict(max_iters={max_iters}, val_interval={val_interval})
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(seq_length=6, num_sequences=8))
val_dataloader = dict(batch_size=2, dataset=dict(seq_length=6, num_sequences=2))
test_dataloader = dict(dataset=dict(seq_length=6, num_sequences=2))
default_hooks = dict(logger=dict(interval=1),
                     visualization=dict(num_samples=0),
                     checkpoint=dict(interval={interval}, max_keep_ckpts={max_keep}))
log_processor = dict(window_size=1)
randomness = dict(seed=3)
{extra}
"""
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _checkpoints(work_dir, pattern='iter_*.pth'):
    return sorted(osp.basename(p) for p in glob.glob(osp.join(work_dir, pattern)))


def _loadable(work_dir, name):
    checkpoint = read_checkpoint(osp.join(work_dir, name))
    return checkpoint['meta']['iter']


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait()


def _one_line_error(result, *fragments):
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1 and 'Traceback' not in result.stderr, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def test_kill_while_a_checkpoint_is_written_keeps_the_previous_one(tmp_path):
    """max_keep_ckpts=1: killed inside the write of iter_3.pth, iter_2.pth is still whole."""
    marker = str(tmp_path / 'writing')
    config = _config(tmp_path, hooks=f"dict(type='PauseWhileWritingHook', target='iter_3.pth', "
                                     f"marker={marker!r})")
    work_dir = str(tmp_path / 'w')
    run = start_tool(['tools/train.py', config, '--work-dir', work_dir])
    wait_for_file(marker, run)
    temporaries = glob.glob(osp.join(work_dir, '.iter_3.pth.*.tmp'))
    assert temporaries and _checkpoints(work_dir) == ['iter_2.pth']
    _kill(run)
    assert _loadable(work_dir, 'iter_2.pth') == 2
    resumed = run_tool(['tools/train.py', _config(tmp_path, name='plain.py'), '--work-dir',
                        work_dir, '--resume'])
    log = resumed.stdout + resumed.stderr
    assert 'resumed from' in log and 'iter_2.pth at iteration 2' in log
    assert "optimizer settings equal the config's (lr=0.003" in log
    assert _checkpoints(work_dir) == ['iter_4.pth'] and _loadable(work_dir, 'iter_4.pth') == 4
    assert not glob.glob(osp.join(work_dir, '.*.tmp'))


def test_kill_after_a_write_before_the_old_checkpoint_goes_keeps_both(tmp_path):
    marker = str(tmp_path / 'paused')
    config = _config(tmp_path, hooks=f"dict(type='PauseBeforeIterationHook', iteration=4, "
                                     f"marker={marker!r})")
    work_dir = str(tmp_path / 'w')
    run = start_tool(['tools/train.py', config, '--work-dir', work_dir])
    wait_for_file(marker, run)
    # iter_3.pth is durable; iter_2.pth goes only once iteration 4's loss is known finite.
    assert _checkpoints(work_dir) == ['iter_2.pth', 'iter_3.pth']
    _kill(run)
    assert [_loadable(work_dir, n) for n in ('iter_2.pth', 'iter_3.pth')] == [2, 3]


def test_kill_while_a_new_best_checkpoint_is_written_keeps_the_old_best(tmp_path):
    marker = str(tmp_path / 'writing_best')
    config = _config(tmp_path, max_iters=4, interval=100, val_interval=2,
                     hooks=f"dict(type='PauseWhileWritingHook', "
                           f"target='best_demo_val_mse_iter_4.pth', marker={marker!r})",
                     extra="default_hooks = dict(checkpoint=dict(save_best='demo_val/mse', "
                           "rule='greater'))")  # 'greater': every validation is a new best
    work_dir = str(tmp_path / 'w')
    run = start_tool(['tools/train.py', config, '--work-dir', work_dir])
    wait_for_file(marker, run)
    _kill(run)
    assert _checkpoints(work_dir, 'best_*.pth') == ['best_demo_val_mse_iter_2.pth']
    assert _loadable(work_dir, 'best_demo_val_mse_iter_2.pth') == 2


def test_a_second_training_in_the_same_work_dir_is_refused_until_the_first_ends(tmp_path):
    marker = str(tmp_path / 'iteration')
    work_dir = str(tmp_path / 'w')
    first = start_tool(['tools/train.py', _config(
        tmp_path, 'slow.py', max_iters=1000,
        hooks=f"dict(type='SlowIterationsHook', seconds=0.5, marker={marker!r})"),
        '--work-dir', work_dir])
    wait_for_file(marker, first)
    second = run_tool(['tools/train.py', _config(tmp_path), '--work-dir', work_dir], check=False)
    line = _one_line_error(second, f'work dir {work_dir} is in use by another training run',
                           f'pid {first.pid}', '--work-dir')
    assert 'Traceback' not in line
    _kill(first)  # a killed run leaves no stale lock
    third = run_tool(['tools/train.py', _config(tmp_path), '--work-dir', work_dir])
    assert third.returncode == 0 and 'iter_4.pth' in _checkpoints(work_dir)


def test_disk_full_during_a_checkpoint_is_one_line_and_keeps_the_last_one(tmp_path):
    config = _config(tmp_path, hooks="dict(type='DiskFullHook', target='iter_3.pth')")
    work_dir = str(tmp_path / 'w')
    result = run_tool(['tools/train.py', config, '--work-dir', work_dir], check=False)
    _one_line_error(result, 'iter_3.pth', 'No space left on device', 'ENOSPC',
                    'iter_2.pth', '--resume')
    assert _checkpoints(work_dir) == ['iter_2.pth'] and _loadable(work_dir, 'iter_2.pth') == 2
    assert not glob.glob(osp.join(work_dir, '.*.tmp'))


def test_divergence_names_a_checkpoint_whose_next_loss_was_finite(tmp_path):
    """Weights scaled by 1e30 after iteration 3 are finite (so iter_3.pth is saved) but the
    loss of iteration 4 is not: the run names iter_2.pth, still on disk with max_keep_ckpts=1,
    and a resume with a lower learning rate continues from it."""
    config = _config(tmp_path, max_iters=6,
                     hooks="dict(type='ScaleWeightsHook', iteration=3, factor=1e30)")
    work_dir = str(tmp_path / 'w')
    result = run_tool(['tools/train.py', config, '--work-dir', work_dir], check=False)
    line = _one_line_error(result, 'non-finite loss at iteration 4', 'iter_2.pth',
                           'weights after iteration 2', f'--resume {work_dir}/iter_2.pth')
    assert 'iter_3.pth' not in line
    checkpoint = read_checkpoint(osp.join(work_dir, 'iter_2.pth'))
    assert all(torch.isfinite(v).all() for v in checkpoint['state_dict'].values())
    resumed = run_tool(['tools/train.py', _config(tmp_path, 'plain.py', max_iters=6),
                        '--work-dir', work_dir, '--resume',
                        '--cfg-options', 'optim_wrapper.optimizer.lr=0.0001'])
    log = resumed.stdout + resumed.stderr
    assert 'iter_2.pth at iteration 2' in log and 'from the config: lr 0.003 -> 0.0001' in log
    assert _loadable(work_dir, 'iter_6.pth') == 6


def test_a_huge_learning_rate_names_no_useless_checkpoint(tmp_path):
    """lr=1e30: iteration 1 makes the weights huge but finite; no checkpoint before it exists."""
    config = _config(tmp_path)
    work_dir = str(tmp_path / 'w')
    result = run_tool(['tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
                       'optim_wrapper.optimizer.lr=1e30'], check=False)
    line = _one_line_error(result, 'non-finite')
    assert 'no checkpoint from before the divergence is left' in line or \
        'the weights are not finite' in line
    assert 'iter_1.pth' not in line.split('non-finite', 1)[1].replace(work_dir, '')


def test_resume_refuses_a_checkpoint_that_would_run_code(tmp_path):
    """A .pth whose pickle calls os.system: refused before anything runs, in one line."""
    proof = tmp_path / 'code_ran'

    class Exploit:
        def __reduce__(self):
            return os.system, (f'touch {proof}',)

    evil = tmp_path / 'evil.pth'
    torch.save({'meta': {'iter': 1}, 'state_dict': {}, 'payload': Exploit()}, evil)
    for args in (['tools/train.py', _config(tmp_path), '--work-dir', str(tmp_path / 'w'),
                  '--resume', str(evil)],
                 ['tools/test.py', _config(tmp_path), str(evil), '--work-dir',
                  str(tmp_path / 't')]):
        line = _one_line_error(run_tool(args, check=False), 'cannot be loaded safely',
                               'posix.system')
        assert not proof.exists()
        assert 'weights_only=False' not in line and '--resume' not in line
