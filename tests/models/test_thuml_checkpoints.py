"""Converting the original release's checkpoints, and clear errors when they do not fit."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from predbench.apis import init_model, predict
from predbench.apis.checkpoints import convert_checkpoint
from predbench.utils.errors import CheckpointError
from thuml_reference import RefRNN, reference_test_predictions

REPO = __import__('conftest').REPO_ROOT
CONVERTER = f'{REPO}/tools/convert_thuml_ckpt.py'


def _config(v2=True, layer_norm=False, num_hidden=(8, 8), channels=1, patch=4, filter_size=3,
            img=(16, 16)):
    backbone = dict(type='PredRNNv2' if v2 else 'PredRNN', num_hidden=list(num_hidden),
                    img_size=img, img_channel=channels, patch_size=patch,
                    filter_size=filter_size, layer_norm=layer_norm)
    return Config(dict(default_scope='predbench',
                       model=dict(type='VideoPredictor', input_length=3, backbone=backbone)))


def _save_original(tmp_path, v2=True, layer_norm=False, channels=1, patch=4, seed=0):
    torch.manual_seed(seed)
    ref = RefRNN([8, 8], (16, 16), channels, patch, 3, layer_norm, v2, 3, 7,
                 reverse_scheduled_sampling=v2)
    path = tmp_path / 'model.ckpt-5000'
    torch.save({'net_param': ref.state_dict()}, path)
    return ref, str(path)


def _convert_here(src, dst):
    """The converter in this process (fast); the CLI itself is tested separately."""
    convert_checkpoint(src, dst, 'thuml')


def _convert(src, dst, *extra):
    return subprocess.run([sys.executable, CONVERTER, src, dst, *extra], capture_output=True,
                          text=True, cwd=REPO)


@pytest.mark.parametrize('v2,layer_norm,channels,patch,tol', [
    (True, False, 1, 4, 1e-5), (False, False, 1, 4, 1e-5), (True, True, 3, 2, 1e-3),
    (False, True, 3, 2, 1e-3)])
def test_converted_checkpoint_predicts_like_the_original(tmp_path, v2, layer_norm, channels,
                                                         patch, tol):
    ref, src = _save_original(tmp_path, v2, layer_norm, channels, patch)
    dst = str(tmp_path / 'converted.pth')
    _convert_here(src, dst)
    model = init_model(_config(v2, layer_norm, channels=channels, patch=patch), dst)
    frames = np.random.default_rng(0).random((2, 7, 16, 16, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)
    got = predict(model, frames[:, :3].transpose(0, 1, 4, 2, 3), pred_length=4)
    np.testing.assert_allclose(got.permute(0, 1, 3, 4, 2).numpy(), expected, atol=tol)
    # A raw checkpoint of the original release also loads directly.
    direct = init_model(_config(v2, layer_norm, channels=channels, patch=patch), src)
    torch.testing.assert_close(predict(direct, frames[:, :3].transpose(0, 1, 4, 2, 3), 4), got)


@pytest.mark.parametrize('cfg_kwargs,message', [
    (dict(v2=False), r'PredRNN-V2 model \(it has adapter.weight\).*model.backbone.type=PredRNNv2'),
    (dict(layer_norm=True), r'layer_norm off.*model.backbone.layer_norm=False'),
    (dict(num_hidden=(16, 16)), r'widths \[8, 8\].*model.backbone.num_hidden=\[8, 8\]'),
    (dict(num_hidden=(8, 8, 8)), r'2 layers'),
    (dict(filter_size=5), r'3x3 kernels.*model.backbone.filter_size=3'),
    (dict(channels=3), r'16 input channels.*img_channel'),
])
def test_mismatches_name_the_option_to_change(tmp_path, cfg_kwargs, message):
    _, src = _save_original(tmp_path, v2=True)
    dst = str(tmp_path / 'converted.pth')
    _convert_here(src, dst)
    with pytest.raises(CheckpointError, match=message):
        init_model(_config(**cfg_kwargs), dst)


def test_v1_checkpoint_into_v2_config(tmp_path):
    _, src = _save_original(tmp_path, v2=False)
    with pytest.raises(CheckpointError, match=r'PredRNN \(v1\).*model.backbone.type=PredRNN'):
        init_model(_config(v2=True), src)


def test_converter_checks_against_a_config_and_reports_in_one_line(tmp_path):
    _, src = _save_original(tmp_path, v2=True)
    cfg_path = tmp_path / 'cfg.py'
    _config().dump(str(cfg_path))
    dst = str(tmp_path / 'converted.pth')
    ok = _convert(src, dst, '--config', str(cfg_path))
    assert ok.returncode == 0 and 'the weights fit' in ok.stdout and 'wrote' in ok.stdout
    bad = _convert(src, dst, '--config', str(cfg_path), '--cfg-options',
                   'model.backbone.layer_norm=True')
    assert bad.returncode == 1
    assert bad.stderr.startswith('error: ') and 'layer_norm' in bad.stderr
    assert 'Traceback' not in bad.stderr


def test_converter_refuses_files_that_are_not_original_checkpoints(tmp_path):
    src = tmp_path / 'x.pth'
    torch.save({'state_dict': {}}, src)
    with pytest.raises(CheckpointError, match='not a checkpoint of the original PredRNN release'):
        convert_checkpoint(str(src), str(tmp_path / 'y.pth'), 'thuml')
    with pytest.raises(CheckpointError, match='does not exist'):
        convert_checkpoint(str(tmp_path / 'nope'), str(tmp_path / 'y.pth'), 'thuml')
    assert not (tmp_path / 'y.pth').exists()
