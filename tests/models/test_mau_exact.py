"""predbench's MAU computes what OpenSTL's MAU (and the authors' release) computes.

The oracle is benchmarks/eager_mau.py, a plain re-statement of OpenSTL's model and test /
training steps (checked against OpenSTL's own code: outputs within 7e-8, identical losses).
"""
import re

import numpy as np
import pytest
import torch

from benchmarks.eager_mau import RefMAU, reference_test_predictions, reference_training_loss
from predbench.models import MAU, VideoPredictor
from predbench.utils.errors import ConfigError

CASES = [
    # num_hidden, channels, img_size, patch, filter, sr_size, tau, cell_mode, model_mode
    pytest.param([8, 8], 1, (16, 16), 1, 3, 4, 3, 'normal', 'normal', id='gray-openstl'),
    pytest.param([8, 8, 8], 3, (16, 24), 1, 3, 2, 2, 'residual', 'recall',
                 id='rgb-nonsquare-3layers-recall'),
    pytest.param([6, 6], 1, (32, 16), 1, 5, 8, 5, 'normal', 'recall', id='sr8-tau5'),
    pytest.param([8, 8], 3, (8, 12), 1, 3, 1, 4, 'residual', 'normal', id='sr1'),
    pytest.param([8, 8], 1, (16, 16), 2, 3, 2, 3, 'normal', 'recall', id='patch2'),
    pytest.param([8, 8], 3, (16, 32), 4, 3, 2, 2, 'residual', 'normal', id='rgb-patch4'),
]


def _pair(num_hidden, channels, img_size, patch, filter_size, sr_size, tau, cell_mode,
          model_mode, input_length=3, total=7, seed=0):
    torch.manual_seed(seed)
    ref = RefMAU(num_hidden, img_size, channels, patch, filter_size, 1, sr_size, tau, cell_mode,
                 model_mode, input_length, total)
    with torch.no_grad():  # LayerNorm affine parameters away from their initial 1 and 0
        for name, param in ref.named_parameters():
            if re.search(r'conv_[ts](_next)?\.1\.', name):
                param.add_(0.1 * torch.randn_like(param))
    ours = MAU(num_hidden, img_size, img_channel=channels, patch_size=patch,
               filter_size=filter_size, sr_size=sr_size, tau=tau, cell_mode=cell_mode,
               model_mode=model_mode)
    state = {k: v for k, v in ref.state_dict().items()
             if not any(re.match(p, k) for p in MAU.reference_unused_keys)}
    ours.load_state_dict(state, strict=True)
    return ref, ours


@pytest.mark.parametrize(
    'num_hidden,channels,img_size,patch,filter_size,sr_size,tau,cell_mode,model_mode', CASES)
def test_test_time_predictions_match_openstl(num_hidden, channels, img_size, patch, filter_size,
                                             sr_size, tau, cell_mode, model_mode):
    """At patch size 1 this is OpenSTL's test step; above it, the same model on patched frames
    (OpenSTL's test step skips patching there and fails)."""
    ref, ours = _pair(num_hidden, channels, img_size, patch, filter_size, sr_size, tau,
                      cell_mode, model_mode)
    frames = np.random.default_rng(1).random((2, 7, *img_size, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)
    model = VideoPredictor(backbone=ours, input_length=3).eval()
    out = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='predict')
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('patch,model_mode', [(1, 'normal'), (1, 'recall'), (2, 'recall')])
def test_training_loss_and_gradients_match_openstl(patch, model_mode):
    """OpenSTL's training step: scheduled sampling flags over the T - input - 1 decoder steps,
    the loss is the MSE (predbench: ``loss_rec``)."""
    ref, ours = _pair([8, 8], 1, (16, 16), patch, 3, 2, 3, 'residual', model_mode)
    rng = np.random.default_rng(2)
    frames = rng.random((3, 7, 16, 16, 1)).astype(np.float32)
    flags = (rng.random((3, 7 - 3 - 1)) < 0.5).astype(np.float32)
    ref_loss = reference_training_loss(ref, frames, patch, flags)
    ref_loss.backward()

    model = VideoPredictor(backbone=ours, input_length=3)
    losses = model(torch.from_numpy(frames).permute(0, 1, 4, 2, 3), mode='loss',
                   sampling_mask=torch.from_numpy(flags), sampling_mode='scheduled')
    assert set(losses) == {'loss_rec'}
    losses['loss_rec'].backward()
    assert losses['loss_rec'].item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_grads = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_grads[name].grad.numpy(),
                                   atol=1e-5, rtol=1e-4, err_msg=name)
    assert ref_grads['merge.weight'].grad is None  # unused in the reference too


def test_state_dict_keys_are_openstls_without_the_unused_ones():
    ref, ours = _pair([8, 8], 1, (16, 16), 1, 3, 4, 3, 'normal', 'recall')
    unused = [k for k in ref.state_dict()
              if any(re.match(p, k) for p in MAU.reference_unused_keys)]
    assert unused == ['merge.weight', 'merge.bias', 'conv_last_sr.weight', 'conv_last_sr.bias']
    assert list(ours.state_dict()) == [k for k in ref.state_dict() if k not in unused]
    assert 'encoders.0.encoder_t_conv-1.weight' in ours.state_dict()
    assert 'decoders.1.c_decoder1.weight' in ours.state_dict()


def test_every_parameter_gets_a_gradient():
    """No unused parameters: DistributedDataParallel would stop on them."""
    _, ours = _pair([4, 4], 1, (16, 16), 1, 3, 4, 2, 'normal', 'recall')
    pred, _ = ours(torch.rand(2, 5, 1, 16, 16), None, 2)
    pred.sum().backward()
    assert all(p.grad is not None for p in ours.parameters())


@pytest.mark.parametrize('kwargs,option', [
    (dict(num_hidden=[8, 4]), 'num_hidden'),
    (dict(layer_norm=False), 'layer_norm'),
    (dict(stride=2), 'stride'),
    (dict(filter_size=4), 'filter_size'),
    (dict(sr_size=3), 'sr_size'),
    (dict(sr_size=32), 'sr_size'),
    (dict(tau=0), 'tau'),
    (dict(cell_mode='fancy'), 'cell_mode'),
    (dict(model_mode='fancy'), 'model_mode'),
    (dict(patch_size=3), 'patch_size'),
])
def test_invalid_settings_are_refused_in_one_line(kwargs, option):
    args = dict(num_hidden=[8, 8], img_size=16, patch_size=1, sr_size=4)
    args.update(kwargs)
    with pytest.raises(ConfigError, match=option) as info:
        MAU(**args)
    assert '\n' not in str(info.value)
