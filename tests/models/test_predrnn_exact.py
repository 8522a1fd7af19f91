"""predbench's PredRNN / PredRNN-V2 compute what the original release computes."""
import numpy as np
import pytest
import torch

from predbench.models import PredRNN, PredRNNv2, VideoPredictor
from thuml_reference import RefRNN, reference_test_predictions, reshape_patch

CASES = [
    # v2, layer_norm, channels, img_size, patch, tolerance
    pytest.param(False, False, 1, (16, 16), 4, 1e-5, id='predrnn-gray'),
    pytest.param(True, False, 1, (16, 16), 4, 1e-5, id='v2-gray'),
    pytest.param(False, True, 1, (16, 16), 4, 1e-3, id='predrnn-gray-ln'),
    pytest.param(True, True, 3, (16, 16), 2, 1e-3, id='v2-rgb-ln'),
    pytest.param(True, False, 3, (12, 16), 2, 1e-5, id='v2-rgb-nonsquare'),
]


def _pair(v2, layer_norm, channels, img_size, patch, input_length=3, total=7, seed=0):
    torch.manual_seed(seed)
    num_hidden = [8, 8, 8]
    ref = RefRNN(num_hidden, img_size, channels, patch, 3, layer_norm, v2, input_length, total,
                 reverse_scheduled_sampling=v2, decouple_beta=0.1)
    backbone_cls = PredRNNv2 if v2 else PredRNN
    kwargs = dict(decouple_beta=0.1) if v2 else {}
    ours = backbone_cls(num_hidden, img_size, img_channel=channels, patch_size=patch,
                        filter_size=3, layer_norm=layer_norm, **kwargs)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


@pytest.mark.parametrize('v2,layer_norm,channels,img_size,patch,tol', CASES)
@pytest.mark.parametrize('fused,channels_last', [(True, False), (False, False), (True, True)])
def test_test_time_predictions_match_original(v2, layer_norm, channels, img_size, patch, tol,
                                              fused, channels_last):
    ref, ours = _pair(v2, layer_norm, channels, img_size, patch)
    ours.fused_gates = fused
    if channels_last:
        ours.channels_last = True
        ours.to(memory_format=torch.channels_last)
    rng = np.random.default_rng(1)
    frames = rng.random((2, 7, *img_size, channels)).astype(np.float32)
    expected = reference_test_predictions(ref, frames, patch)  # [B, 4, H, W, C]

    model = VideoPredictor(backbone=ours, input_length=3).eval()
    clip = torch.from_numpy(frames).permute(0, 1, 4, 2, 3)
    out = model(clip, mode='predict')
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=tol, rtol=0)
    # The ground truth handed to the metrics is the clip's future.
    np.testing.assert_array_equal(out[0]['gt'].permute(0, 2, 3, 1).numpy(), frames[0, 3:])


@pytest.mark.parametrize('mode,channels_last', [('reverse', False), ('scheduled', False),
                                                ('reverse', True)])
def test_training_loss_and_gradients_match_original(mode, channels_last):
    v2 = mode == 'reverse'
    ref, ours = _pair(v2, False, 1, (16, 16), 4)
    if channels_last:
        ours.channels_last = True
        ours.to(memory_format=torch.channels_last)
    input_length, total = 3, 7
    rng = np.random.default_rng(2)
    frames = rng.random((3, total, 16, 16, 1)).astype(np.float32)
    steps = total - 2 if v2 else total - input_length - 1
    flags = (rng.random((3, steps)) < 0.5).astype(np.float32)
    full_mask = np.broadcast_to(flags[:, :, None, None, None], (3, steps, 4, 4, 16)).copy()

    ref_loss = ref(torch.from_numpy(reshape_patch(frames, 4)), torch.from_numpy(full_mask))[1]
    ref_loss.backward()

    model = VideoPredictor(backbone=ours, input_length=input_length)
    clip = torch.from_numpy(frames).permute(0, 1, 4, 2, 3)
    losses = model(clip, mode='loss', sampling_mask=torch.from_numpy(flags), sampling_mode=mode)
    total_loss = sum(losses.values())
    total_loss.backward()
    assert set(losses) == ({'loss_rec', 'loss_decouple'} if v2 else {'loss_rec'})
    assert total_loss.item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_grads = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_grads[name].grad.numpy(),
                                   atol=1e-5, rtol=1e-4, err_msg=name)


def test_sampling_mask_changes_the_inputs():
    """A mask of ones feeds the truth at every step, which differs from autoregression."""
    _, ours = _pair(True, False, 1, (16, 16), 4)
    model = VideoPredictor(backbone=ours, input_length=3)
    clip = torch.rand(2, 7, 1, 16, 16)
    teacher = model(clip, mode='tensor', sampling_mask=torch.ones(2, 5), sampling_mode='reverse')
    free = model(clip, mode='tensor')
    first_free_step = 3  # prediction made from the model's own frame 3
    torch.testing.assert_close(teacher[:, :first_free_step], free[:, :first_free_step])
    assert not torch.allclose(teacher[:, first_free_step:], free[:, first_free_step:])


def test_prediction_length_may_exceed_training_length():
    _, ours = _pair(True, False, 1, (16, 16), 4)
    model = VideoPredictor(backbone=ours, input_length=3).eval()
    observed = torch.rand(1, 3, 1, 16, 16)
    long = model.predict_frames(observed, 12)
    short = model.predict_frames(observed, 4)
    assert long.shape == (1, 12, 1, 16, 16)
    torch.testing.assert_close(long[:, :4], short)
