"""OpenSTL state dicts load with init_model and tools/convert_openstl_ckpt.py, in both layouts
(``torch.save(model.state_dict())`` and OpenSTL's ``{'state_dict': {'model.<key>': ...}}``), and
predict what OpenSTL's test step predicts (the re-statements in benchmarks/ are the oracles)."""
import os.path as osp

import numpy as np
import pytest
import torch

from benchmarks import eager_e3dlstm, eager_mau
from predbench.apis import init_model, predict
from predbench.apis.checkpoints import convert_checkpoint
from predbench.utils.errors import CheckpointError
from openstl_reference import RefMIM, RefPredRNNpp, reference_test_predictions
from tool_runner import REPO

INPUT, TOTAL, SIZE = 3, 7, (16, 16)


def _perturbed(ref):
    """Random weights everywhere (OpenSTL starts some at zero, LayerNorm at identity)."""
    with torch.no_grad():
        for param in ref.parameters():
            param.add_(0.1 * torch.randn_like(param))
    return ref


def _predrnnpp():
    return RefPredRNNpp([4, 4], SIZE, 1, 4, 3, False, INPUT, TOTAL), reference_test_predictions, {
        'model.backbone.patch_size': 4}


def _mim():
    return RefMIM([4, 4, 4], SIZE, 1, 4, 3, False, INPUT, TOTAL), reference_test_predictions, {
        'model.backbone.num_hidden': [4, 4, 4], 'model.backbone.patch_size': 4}


def _e3dlstm():
    ref = eager_e3dlstm.RefE3DLSTM([4, 4], SIZE, 1, 4, 1, False, INPUT, TOTAL)
    return ref, eager_e3dlstm.reference_test_predictions, {'model.backbone.patch_size': 4,
                                                           'model.backbone.filter_size': 5}


def _mau():
    ref = eager_mau.RefMAU([4, 4], SIZE, 1, 1, 3, 1, 2, 2, 'normal', 'normal', INPUT, TOTAL)
    return ref, eager_mau.reference_test_predictions, {
        'model.backbone.patch_size': 1, 'model.backbone.sr_size': 2, 'model.backbone.tau': 2}


MODELS = {'predrnnpp': _predrnnpp, 'mim': _mim, 'e3dlstm': _e3dlstm, 'mau': _mau}


def _options(extra):
    options = {'model.input_length': INPUT, 'model.backbone.num_hidden': [4, 4],
               'model.backbone.filter_size': 3, 'model.backbone.img_size': SIZE,
               'test_dataloader.dataset.seq_length': TOTAL}
    options.update(extra)
    return options


@pytest.mark.parametrize('name', list(MODELS))
@pytest.mark.parametrize('layout', ['state_dict', 'lightning'])
def test_an_openstl_checkpoint_predicts_like_openstl(tmp_path, name, layout):
    torch.manual_seed(0)
    ref, oracle, extra = MODELS[name]()
    ref = _perturbed(ref).eval()
    state = ref.state_dict()
    path = tmp_path / f'{name}.pth'
    torch.save(state if layout == 'state_dict' else
               {'state_dict': {f'model.{k}': v for k, v in state.items()}, 'epoch': 3}, path)
    config = osp.join(REPO, 'configs', f'{name}_mmnist.py')
    options = _options(extra)
    frames = np.random.default_rng(1).random((2, TOTAL, *SIZE, 1)).astype(np.float32)
    if name == 'mim':
        ref.reset_memory()  # a fresh OpenSTL model: its MIM-S memories start at zero
    expected = oracle(ref, frames, extra['model.backbone.patch_size'])
    observed = torch.from_numpy(frames[:, :INPUT]).permute(0, 1, 4, 2, 3)

    direct = init_model(config, str(path), cfg_options=options)
    got = predict(direct, observed, TOTAL - INPUT).permute(0, 1, 3, 4, 2).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    again = predict(direct, observed, TOTAL - INPUT).permute(0, 1, 3, 4, 2).numpy()
    np.testing.assert_array_equal(again, got)  # no state survives between calls (MIM)

    converted = tmp_path / f'{name}_predbench.pth'
    result = convert_checkpoint(str(path), str(converted), 'openstl', config, options)
    unused = getattr(type(direct.backbone), 'reference_unused_keys', ())
    assert bool(result.notes) == any(
        __import__('re').search(p, k) for p in unused for k in state)
    model = init_model(config, str(converted), cfg_options=options)
    torch.testing.assert_close(predict(model, observed, TOTAL - INPUT), predict(direct, observed,
                                                                               TOTAL - INPUT))


def test_a_mismatched_option_is_named_and_nothing_is_written(tmp_path):
    torch.manual_seed(0)
    ref, _, extra = _predrnnpp()
    path = tmp_path / 'predrnnpp.pth'
    torch.save(ref.state_dict(), path)
    dst = tmp_path / 'out.pth'
    options = _options(dict(extra, **{'model.backbone.num_hidden': [8, 8]}))
    with pytest.raises(CheckpointError) as info:
        convert_checkpoint(str(path), str(dst), 'openstl',
                           osp.join(REPO, 'configs', 'predrnnpp_mmnist.py'), options)
    assert str(path) in str(info.value) and 'shape' in str(info.value)
    assert '\n' not in str(info.value) and not dst.exists()


def test_the_openstl_converter_needs_a_config_and_refuses_original_release_files(tmp_path):
    from tool_runner import run_tool
    src = tmp_path / 'x.pth'
    torch.save({'net_param': {'conv_last.weight': torch.ones(1)}}, src)
    result = run_tool(['tools/convert_openstl_ckpt.py', str(src), str(tmp_path / 'y.pth')],
                      check=False)
    assert result.returncode == 2 and '--config' in result.stderr
    with pytest.raises(CheckpointError, match='convert it with tools/convert_thuml_ckpt.py'):
        convert_checkpoint(str(src), str(tmp_path / 'y.pth'), 'openstl',
                           osp.join(REPO, 'configs', 'predrnnpp_mmnist.py'))
