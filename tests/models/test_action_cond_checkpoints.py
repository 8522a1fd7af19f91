"""Original-release checkpoints of the action-conditioned models load, convert and predict; a
mismatch names the option to change; predict() takes actions with one-line errors."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from predbench.apis import init_model, predict
from predbench.apis.checkpoints import convert_checkpoint
from predbench.models import ActionCondPredRNN, ActionCondPredRNNv2
from predbench.utils.errors import CheckpointError, ConfigError
from thuml_action_reference import RefActionRNN, reference_test_predictions

REPO = __import__('conftest').REPO_ROOT
CONVERTER = f'{REPO}/tools/convert_thuml_ckpt.py'
BAIR_V2 = f'{REPO}/configs/action_cond_predrnn_v2_bair.py'
BAIR_V1 = f'{REPO}/configs/action_cond_predrnn_bair.py'
TINY = {'model.backbone.num_hidden': [8, 8], 'model.backbone.img_size': (16, 16),
        'model.backbone.filter_size': 3}


def _options(**backbone):
    options = dict(TINY)
    options.update({f'model.backbone.{k}': v for k, v in backbone.items()})
    return options


def _config(v2=True, **backbone):
    backbone = dict(dict(num_hidden=[8, 8], img_size=16, filter_size=3), **backbone)
    backbone['type'] = 'ActionCondPredRNNv2' if v2 else 'ActionCondPredRNN'
    return Config(dict(default_scope='predbench',
                       model=dict(type='VideoPredictor', input_length=2, backbone=backbone)))


def _save_original(tmp_path, v2=True, res_on_conv=1, layer_norm=False, seed=0):
    torch.manual_seed(seed)
    ref = RefActionRNN([8, 8], 16, 3, layer_norm, v2, 6, res_on_conv)
    path = tmp_path / 'model.ckpt-80000'
    torch.save({'net_param': ref.state_dict()}, path)
    return ref, str(path)


def _data():
    rng = np.random.default_rng(0)
    frames = rng.random((2, 6, 16, 16, 3)).astype(np.float32)
    actions = rng.normal(size=(2, 6, 4)).astype(np.float32)
    return frames, actions


@pytest.mark.parametrize('v2,res_on_conv,layer_norm,tol', [
    (True, 1, False, 1e-5), (False, 1, False, 1e-5), (True, 0, True, 1e-3),
    (False, 0, False, 1e-5)])
def test_original_checkpoints_load_and_convert_and_predict_like_the_original(
        tmp_path, v2, res_on_conv, layer_norm, tol):
    ref, src = _save_original(tmp_path, v2, res_on_conv, layer_norm)
    frames, actions = _data()
    expected = reference_test_predictions(ref, frames, actions, 2)
    cfg = _config(v2, res_on_conv=res_on_conv, layer_norm=layer_norm)
    model = init_model(cfg, src)  # the raw {'net_param': ...} file
    got = predict(model, frames[:, :2].transpose(0, 1, 4, 2, 3), 4, actions=actions)
    np.testing.assert_allclose(got.permute(0, 1, 3, 4, 2).numpy(), expected, atol=tol, rtol=0)
    dst = str(tmp_path / 'converted.pth')
    cfg_path = tmp_path / 'cfg.py'
    cfg.dump(str(cfg_path))
    convert_checkpoint(src, dst, 'thuml', config=str(cfg_path))
    converted = init_model(cfg, dst)
    torch.testing.assert_close(
        predict(converted, frames[:, :2].transpose(0, 1, 4, 2, 3), 4, actions=actions), got)


def test_the_bair_config_loads_an_original_checkpoint_of_its_size(tmp_path):
    """init_model(config, ckpt, cfg_options=...) with the shipped config, shrunk."""
    _, src = _save_original(tmp_path, v2=True)
    model = init_model(BAIR_V2, src, cfg_options=TINY, device='cpu')
    assert isinstance(model.backbone, ActionCondPredRNNv2) and not model.training
    ref, _ = _save_original(tmp_path, v2=True)
    for name, value in ref.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[name], value)


@pytest.mark.parametrize('saved,options,message', [
    (dict(v2=False), _options(),
     r'ActionCondPredRNN \(v1: it has no adapter.weight\).*action_cond_predrnn_bair.py'),
    (dict(v2=True), _options(conv_on_input=0),
     r'conv_on_input=1 \(it has the encoder conv_input1.weight\).*model.backbone.conv_on_input=1'),
    (dict(v2=True), _options(layer_norm=True),
     r'layer_norm=False.*model.backbone.layer_norm=False'),
    (dict(v2=True), _options(num_hidden=[16, 16]), r'widths \[8, 8\]'),
    (dict(v2=True), _options(filter_size=5), r'model.backbone.filter_size=3'),
    (dict(v2=True), _options(num_action_ch=7), r'model.backbone.num_action_ch=4'),
    (dict(v2=True, layer_norm=True), _options(layer_norm=True, img_size=(32, 32)),
     r'LayerNorm was trained on 4x4 states.*model.backbone.img_size=\(16, 16\)'),
])
def test_mismatches_name_the_option_to_change(tmp_path, saved, options, message):
    _, src = _save_original(tmp_path, **saved)
    with pytest.raises(CheckpointError, match=message) as info:
        init_model(BAIR_V2, src, cfg_options=options)
    assert '\n' not in str(info.value)


def test_a_v2_checkpoint_in_the_v1_config_names_the_v2_type(tmp_path):
    _, src = _save_original(tmp_path, v2=True)
    with pytest.raises(CheckpointError, match=r'ActionCondPredRNNv2 \(it has adapter.weight\)'
                                              r'.*model.backbone.type=ActionCondPredRNNv2'):
        init_model(BAIR_V1, src, cfg_options=TINY)
    v2 = init_model(BAIR_V1, src, cfg_options=dict(TINY, **{
        'model.backbone.type': 'ActionCondPredRNNv2'}))
    assert isinstance(v2.backbone, ActionCondPredRNNv2)


def test_plain_and_action_checkpoints_point_to_each_others_configs(tmp_path):
    _, action_src = _save_original(tmp_path, v2=True)
    plain = Config(dict(default_scope='predbench', model=dict(
        type='VideoPredictor', input_length=2, backbone=dict(
            type='PredRNNv2', num_hidden=[8, 8], img_size=16, img_channel=3, patch_size=1,
            filter_size=3))))
    with pytest.raises(CheckpointError, match=r'action-conditioned model.*action_cond_predrnn_v2'):
        init_model(plain, action_src)
    plain_model = init_model(plain)
    path = tmp_path / 'plain.ckpt'
    torch.save({'net_param': plain_model.backbone.state_dict()}, path)
    with pytest.raises(CheckpointError, match=r'plain PredRNNv2 without actions'):
        init_model(_config(True), str(path))


def test_predbench_checkpoints_of_conv_on_input_0_round_trip_in_the_original_layout(tmp_path):
    """conv_on_input 0 (which the original cannot run) saves and loads under the same names."""
    torch.manual_seed(0)
    model = init_model(_config(False, conv_on_input=0, res_on_conv=0))
    path = tmp_path / 'coi0.ckpt'
    torch.save({'net_param': model.backbone.state_dict()}, path)
    loaded = init_model(_config(False, conv_on_input=0, res_on_conv=0), str(path))
    frames, actions = _data()
    clip = frames[:, :2].transpose(0, 1, 4, 2, 3)
    torch.testing.assert_close(predict(loaded, clip, 4, actions=actions),
                               predict(model, clip, 4, actions=actions))
    with pytest.raises(CheckpointError, match=r'conv_on_input=0 \(it has the top-level '
                                              r'conv_last.weight.*conv_on_input=0'):
        init_model(_config(False), str(path))


def test_the_originals_unrunnable_conv_on_input_0_layout_is_explained(tmp_path):
    torch.manual_seed(0)
    model = ActionCondPredRNN([8, 8], 16, filter_size=3, conv_on_input=0)
    state = model.state_dict()
    # The original declares conv_a on N channels and conv_last on frame + action channels.
    for i in range(2):
        state[f'cell_list.{i}.conv_a.0.weight'] = torch.zeros(32, 8, 3, 3)
    state['conv_last.weight'] = torch.zeros(7, 8, 1, 1)
    path = tmp_path / 'orig_coi0.ckpt'
    torch.save({'net_param': state}, path)
    with pytest.raises(CheckpointError, match=r'cannot run.*holds no trained weights'):
        init_model(_config(False, conv_on_input=0), str(path))


def test_converter_cli_prints_the_kind_and_checks_against_the_config(tmp_path):
    _, src = _save_original(tmp_path, v2=True)
    cfg_path = tmp_path / 'cfg.py'
    _config(True).dump(str(cfg_path))
    dst = str(tmp_path / 'converted.pth')
    ok = subprocess.run([sys.executable, CONVERTER, src, dst, '--config', str(cfg_path)],
                        capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    assert 'action-conditioned PredRNN-V2 (conv_on_input=1)' in ok.stdout
    assert 'the weights fit' in ok.stdout
    bare = subprocess.run([sys.executable, CONVERTER, src, dst + '.2'], capture_output=True,
                          text=True, cwd=REPO)
    assert bare.returncode == 1 and 'pass --config CFG' in bare.stderr
    assert 'Traceback' not in bare.stderr


def test_predict_needs_well_shaped_actions(tmp_path):
    _, src = _save_original(tmp_path)
    model = init_model(_config(True), src)
    frames, actions = _data()
    clip = frames[:, :2].transpose(0, 1, 4, 2, 3)
    with pytest.raises(ConfigError, match=r'conditioned on actions: pass actions=\[B, 6, 4\]'):
        predict(model, clip, 4)
    with pytest.raises(ConfigError, match=r'\[2, 6, 4\].*got \[2, 3, 4\]'):
        predict(model, clip, 4, actions=actions[:, :3])
    with pytest.raises(ConfigError, match=r'add a batch dimension'):
        predict(model, clip[:1], 4, actions=actions[0])
    bad = actions.copy()
    bad[0, 1, 2] = np.nan
    with pytest.raises(ConfigError, match='NaN'):
        predict(model, clip, 4, actions=bad)
    # The last row is never read: leaving it out gives the same prediction.
    torch.testing.assert_close(predict(model, clip, 4, actions=actions[:, :5]),
                               predict(model, clip, 4, actions=actions))
    # A longer clip is cut to its last observed frames, and its actions with it.
    longer = np.concatenate([frames[:, :1], frames[:, :2]], axis=1).transpose(0, 1, 4, 2, 3)
    padded = np.concatenate([actions[:, :1] * 0 + 9, actions], axis=1)
    torch.testing.assert_close(predict(model, longer, 4, actions=padded),
                               predict(model, clip, 4, actions=actions))
    plain = init_model(Config(dict(default_scope='predbench', model=dict(
        type='VideoPredictor', input_length=2, backbone=dict(
            type='PredRNN', num_hidden=[4], img_size=16, img_channel=3, patch_size=4,
            filter_size=3)))))
    with pytest.raises(ConfigError, match='takes no actions'):
        predict(plain, clip, 4, actions=actions)
