"""Every bad input a user can give the tools is one `error: ...` line that says what to do.

The tools run in this process through ``run_cli`` (as ``python tools/x.py`` does), so each case
costs milliseconds; tests/tools/test_cli_errors.py checks the same path in subprocesses.
"""
import contextlib
import io
import os
import os.path as osp

import pytest
import torch

from predbench.apis import init_model
from predbench.apis.cli import run_cli
from predbench.utils.errors import CheckpointError, ConfigError
from thuml_reference import RefRNN
from tool_runner import REPO, load_tool

DEMO = osp.join(REPO, 'configs', 'predrnn_v2_demo.py')


def cli_error(tool: str, argv: list) -> str:
    """Run ``tools/<tool>`` with ``argv`` through run_cli; its one error line (exit status 1)."""
    module = load_tool(tool)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: module.main(argv))
    text = stderr.getvalue()
    assert exit_info.value.code == 1, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('error: '), text
    return lines[0]


@pytest.mark.parametrize('option,fragments', [
    ('train_cfg.max_iters=abc', ["train_cfg.max_iters='abc'", 'integer >= 1']),
    ('train_cfg.max_iters=-5', ['train_cfg.max_iters=-5', 'integer >= 1']),
    ('model.backbone.num_hidden=8', ['model.backbone.num_hidden=8', 'expects a list of int']),
    ('train_dataloader.batch_size=0', ['train_dataloader.batch_size=0', 'integer >= 1']),
    ('optim_wrapper.optimizer.lr=-1', ['optim_wrapper.optimizer.lr=-1', '> 0']),
    ('model.backbone.patch_size=5', ['48x48', 'patch_size=5']),
])
def test_impossible_config_values(tmp_path, option, fragments):
    line = cli_error('train.py', [DEMO, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                                  option])
    for fragment in fragments:
        assert fragment in line, line


def test_a_value_the_shell_split_at_a_space_is_joined_back():
    from predbench.utils.config import join_split_options
    assert join_split_options(['model.backbone.num_hidden=[4,', '4]', 'a=1']) == \
        ['model.backbone.num_hidden=[4, 4]', 'a=1']
    train = load_tool('train.py')
    args = train.parse_args([DEMO, '--cfg-options', 'model.backbone.num_hidden=[4,', '4]'])
    assert args.cfg_options == {'model.backbone.num_hidden': [4, 4]}


def test_stray_cfg_option_words(tmp_path):
    line = cli_error('train.py', [DEMO, '--cfg-options', 'train_cfg.max_iters=2', 'oops'])
    assert "'oops' is not key=value" in line


@pytest.mark.parametrize('name,text,fragment', [
    ('bad.yaml', 'model: [unclosed\n  - x: 1\n', 'cannot read config'),
    ('list.yaml', '- 1\n- 2\n', 'bad.yaml' if False else 'list.yaml'),
    ('cfg.toml', 'a = 1\n', 'unknown file type .toml'),
    ('syntax.py', 'model = dict(\n', 'cannot read config'),
])
def test_unreadable_configs(tmp_path, name, text, fragment):
    path = tmp_path / name
    path.write_text(text)
    line = cli_error('train.py', [str(path), '--work-dir', str(tmp_path / 'w')])
    assert str(path) in line and fragment in line


def test_a_yaml_config_works_like_the_python_one(tmp_path):
    from mmengine.config import Config
    from predbench.utils.config import load_config
    Config.fromfile(DEMO).dump(str(tmp_path / 'demo.yaml'))
    assert load_config(str(tmp_path / 'demo.yaml')).model == load_config(DEMO).model


def test_work_dir_that_is_a_file(tmp_path):
    path = tmp_path / 'afile'
    path.write_text('x')
    line = cli_error('train.py', [DEMO, '--work-dir', str(path)])
    assert f'work dir {path} is a file' in line and '--work-dir' in line


def test_read_only_work_dir(tmp_path, monkeypatch):
    from predbench.engine.work_dir import check_work_dir
    folder = tmp_path / 'ro'
    folder.mkdir()
    if os.geteuid() != 0:  # a real read-only folder (root may write anywhere)
        folder.chmod(0o555)
    else:
        monkeypatch.setattr(os, 'access', lambda path, mode: False)
    with pytest.raises(ConfigError, match=f'work dir {folder} is not writable.*--work-dir'):
        check_work_dir(str(folder))
    folder.chmod(0o755)


# -- checkpoints --------------------------------------------------------------------------------
def _original(tmp_path, drop=(), name='model.ckpt-1000'):
    torch.manual_seed(0)
    ref = RefRNN([4, 4], (16, 16), 1, 4, 3, False, True, 3, 6, reverse_scheduled_sampling=True)
    net_param = {k: v for k, v in ref.state_dict().items() if not any(d in k for d in drop)}
    path = tmp_path / name
    torch.save({'net_param': net_param}, path)
    return str(path)


def _tiny_config(tmp_path):
    path = tmp_path / 'tiny.py'
    path.write_text(f"_base_ = [{DEMO!r}]\nmodel = dict(input_length=3, backbone=dict("
                    f"num_hidden=[4, 4], filter_size=3))\n")
    return str(path)


def test_an_original_checkpoint_missing_a_key_is_refused_everywhere(tmp_path):
    src = _original(tmp_path, drop=('cell_list.1.conv_h.',))
    config = _tiny_config(tmp_path)
    dst = tmp_path / 'converted.pth'
    for argv in ([src, str(dst)], [src, str(dst), '--config', config]):
        line = cli_error('convert_thuml_ckpt.py', argv)
        assert src in line and 'cell_list.1.conv_h.0.weight' in line
        assert not dst.exists()
    line = cli_error('test.py', [config, src, '--work-dir', str(tmp_path / 'w')])
    assert 'missing from the checkpoint: backbone.cell_list.1.conv_h.0.weight' in line
    with pytest.raises(CheckpointError, match='cell_list.1.conv_h.0.weight'):
        init_model(config, src)


def test_a_checkpoint_with_an_unexpected_key_is_refused(tmp_path):
    src = tmp_path / 'extra.pth'
    model = init_model(_tiny_config(tmp_path))
    torch.save({'state_dict': {**model.state_dict(), 'backbone.extra.weight': torch.ones(1)}},
               src)
    with pytest.raises(CheckpointError, match='not in the model: backbone.extra.weight'):
        init_model(_tiny_config(tmp_path), str(src))


@pytest.mark.parametrize('content,fragment', [
    ({'net_param': torch.ones(3)}, "[\'net_param\'] is a Tensor, not a state dict"),
    ([1, 2, 3], 'holds a list, not a state dict'),
    ({'state_dict': {'a': 'text'}}, 'entries a are not tensors'),
])
def test_checkpoints_that_hold_no_state_dict(tmp_path, content, fragment):
    path = tmp_path / 'odd.pth'
    torch.save(content, path)
    line = cli_error('test.py', [_tiny_config(tmp_path), str(path), '--work-dir',
                                 str(tmp_path / 'w')])
    assert str(path) in line and fragment in line


def test_damaged_checkpoint_files(tmp_path):
    good = _original(tmp_path)
    data = open(good, 'rb').read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(os.urandom(4096))
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    folder = tmp_path / 'run'
    folder.mkdir()
    (folder / 'iter_10.pth').write_bytes(data)
    config = _tiny_config(tmp_path)
    cases = {truncated: 'is incomplete or damaged', garbage: 'is not a PyTorch checkpoint',
             empty: 'is empty', folder: f'is a folder, not a file: give a checkpoint file in '
                                        f'it, e.g. {folder}/iter_10.pth',
             tmp_path / 'nope.pth': 'does not exist'}
    for path, fragment in cases.items():
        for tool, argv in (('test.py', [config, str(path), '--work-dir', str(tmp_path / 'w')]),
                           ('convert_thuml_ckpt.py', [str(path), str(tmp_path / 'out.pth')]),
                           ('train.py', [config, '--work-dir', str(tmp_path / 'w2'),
                                         '--resume', str(path)])):
            line = cli_error(tool, argv)
            assert fragment in line, (tool, line)
            # never advice to unpickle fully, to resume, or to run the converter on it
            for advice in ('weights_only=False', 'resume from it', 'convert_thuml_ckpt'):
                assert advice not in line, (tool, line)
    assert not (tmp_path / 'out.pth').exists()


def test_resume_from_weights_that_are_no_training_checkpoint(tmp_path):
    src = _original(tmp_path)
    line = cli_error('train.py', [_tiny_config(tmp_path), '--work-dir', str(tmp_path / 'w'),
                                  '--resume', src])
    assert 'not a training checkpoint' in line and f'load_from={src}' in line


def test_switching_a_backbone_type_that_leaves_a_foreign_argument(tmp_path):
    line = cli_error('train.py', [osp.join(REPO, 'configs', 'predrnn_v2_mmnist.py'),
                                  '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                                  'model.backbone.type=PredRNN'])
    assert "PredRNN takes no argument 'decouple_beta'" in line and '_delete_=True' in line


# -- metric networks whose weights are missing ---------------------------------------------------
@pytest.mark.parametrize('tool,key,metric,fragments', [
    ('test.py', 'test_evaluator', 'fvd',
     ['i3d_torchscript.pt', 'https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1',
      '--cfg-options test_evaluator.fvd_model=PATH',
      'test_evaluator.metric_names="[\'mse\']"']),
    ('train.py', 'val_evaluator', 'fvd', ['i3d_torchscript.pt', 'val_evaluator.fvd_model=PATH']),
    ('test.py', 'test_evaluator', 'lpips',
     ['alexnet-owt-7be5be79.pth', 'test_evaluator.metric_names="[\'mse\']"']),
])
def test_a_missing_metric_network_file_stops_the_tool_before_the_runner(tmp_path, monkeypatch,
                                                                       tool, key, metric,
                                                                       fragments):
    hub = tmp_path / 'hub'  # an empty torch hub: no I3D, no AlexNet
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(hub))
    built = []  # the tools import build_runner when loaded (by cli_error), so patch its source
    monkeypatch.setattr('predbench.engine.runner.build_runner', built.append)
    config = tmp_path / 'with_metric.py'
    config.write_text(f"_base_ = [{_tiny_config(tmp_path)!r}]\n{key} = dict(type='VideoMetric', "
                      f"metric_names=['mse', {metric!r}], prefix='tiny')\n")
    argv = [str(config), '--work-dir', str(tmp_path / 'w')]
    if tool == 'test.py':
        argv.insert(1, _original(tmp_path))
    line = cli_error(tool, argv)
    for fragment in fragments + [str(hub / 'checkpoints')]:
        assert fragment in line, line
    assert built == []
