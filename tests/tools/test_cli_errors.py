"""Errors a user meets on the command line are one clear line, not a stack trace."""
import glob
import os.path as osp

import torch

from tool_runner import REPO, run_tool


def _one_line_error(result, *fragments):
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def test_missing_config():
    result = run_tool(['tools/train.py', 'configs/predrnn_v3_kth.py'], check=False)
    _one_line_error(result, 'configs/predrnn_v3_kth.py does not exist', 'predrnn_v2_kth.py')


def test_missing_kth_data_says_how_to_prepare_it(tmp_path):
    result = run_tool(['tools/train.py', 'configs/predrnn_v2_kth.py', '--work-dir',
                       str(tmp_path / 'w'), '--cfg-options',
                       f'train_dataloader.dataset.data_root={tmp_path}/no_kth'], check=False)
    _one_line_error(result, f'{tmp_path}/no_kth', 'tools/data/prepare_kth.py')


def test_missing_moving_mnist_data_says_how_to_prepare_it(tmp_path):
    result = run_tool(['tools/train.py', 'configs/predrnn_v2_mmnist.py', '--work-dir',
                       str(tmp_path / 'w'), '--cfg-options',
                       f'train_dataloader.dataset.data_root={tmp_path}/none'], check=False)
    _one_line_error(result, 'train-images-idx3-ubyte.gz not found', 'prepare_mmnist.py')


def test_unknown_cfg_option():
    result = run_tool(['tools/train.py', 'configs/predrnn_v2_mmnist.py', '--cfg-options',
                      'model.backbone.layer_nrom=True'], check=False)
    _one_line_error(result, "unknown --cfg-options key 'model.backbone.layer_nrom'",
                    'did you mean layer_norm')


def test_checkpoint_of_another_architecture(tmp_path):
    from predbench.apis import init_model
    model = init_model(osp.join(REPO, 'configs', 'predrnn_mmnist.py'))  # PredRNN (v1)
    ckpt = tmp_path / 'v1.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    result = run_tool(['tools/test.py', 'configs/predrnn_v2_mmnist.py', str(ckpt),
                       '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                       "test_evaluator.metric_names=['mse']"], check=False)
    _one_line_error(result, 'PredRNN (v1) model', 'model.backbone.type=PredRNN')


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    config = tmp_path / 'nan.py'
    config.write_text(f"""
_base_ = [{osp.join(REPO, 'configs', 'predrnn_v2_demo.py')!r}]
custom_imports = dict(imports=['predbench_test_hooks'], allow_failed_imports=False)
model = dict(input_length=3, backbone=dict(num_hidden=[4, 4], filter_size=3))
custom_hooks = [dict(type='PoisonWeightsHook', iteration=3)]
train_cfg = dict(max_iters=8, val_interval=1000)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(seq_length=6))
default_hooks = dict(checkpoint=dict(_delete_=True, type='SafeCheckpointHook', by_epoch=False,
                                     interval=2))
""")
    work_dir = tmp_path / 'w'
    result = run_tool(['tools/train.py', str(config), '--work-dir', str(work_dir)], check=False)
    line = _one_line_error(result, 'non-finite loss at iteration 4', 'iter_2.pth')
    assert 'last good checkpoint' in line
    assert sorted(osp.basename(p) for p in glob.glob(str(work_dir / '*.pth'))) == ['iter_2.pth']
