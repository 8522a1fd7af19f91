"""Action-conditioned PredRNN / PredRNN-V2 compute what the original release computes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from predbench.models import ActionCondPredRNN, ActionCondPredRNNv2, VideoPredictor
from predbench.models.patching import patchify, unpatchify
from predbench.utils.errors import ConfigError
from thuml_action_reference import RefActionRNN, full_size_mask, reference_test_predictions
from thuml_action_reference import tiled_input

INPUT, TOTAL, WIDTH, HIDDEN = 2, 6, 16, [8, 8]


def _pair(v2, res_on_conv, layer_norm=False, seed=0):
    torch.manual_seed(seed)
    ref = RefActionRNN(HIDDEN, WIDTH, 3, layer_norm, v2, TOTAL, res_on_conv)
    cls = ActionCondPredRNNv2 if v2 else ActionCondPredRNN
    ours = cls(HIDDEN, WIDTH, img_channel=3, patch_size=1, filter_size=3, layer_norm=layer_norm,
               conv_on_input=1, res_on_conv=res_on_conv, num_action_ch=4)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ref, ours


def _data(batch=2, seed=1):
    rng = np.random.default_rng(seed)
    frames = rng.random((batch, TOTAL, WIDTH, WIDTH, 3)).astype(np.float32)
    actions = rng.normal(size=(batch, TOTAL, 4)).astype(np.float32)
    return frames, actions


def _clip(frames):
    return torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous()


@pytest.mark.parametrize('v2', [False, True], ids=['predrnn', 'v2'])
@pytest.mark.parametrize('res_on_conv', [0, 1], ids=['res0', 'res1'])
@pytest.mark.parametrize('layer_norm,tol', [(False, 1e-5), (True, 1e-3)], ids=['', 'ln'])
def test_test_time_predictions_match_original(v2, res_on_conv, layer_norm, tol):
    ref, ours = _pair(v2, res_on_conv, layer_norm)
    frames, actions = _data()
    expected = reference_test_predictions(ref, frames, actions, INPUT)  # [B, 4, H, W, 3]
    model = VideoPredictor(backbone=ours, input_length=INPUT).eval()
    out = model(_clip(frames), mode='predict', actions=torch.from_numpy(actions))
    got = torch.stack([o['pred'] for o in out]).permute(0, 1, 3, 4, 2).numpy()
    assert got.shape == expected.shape == (2, TOTAL - INPUT, WIDTH, WIDTH, 3)
    np.testing.assert_allclose(got, expected, atol=tol, rtol=0)
    torch.testing.assert_close(out[1]['actions'], torch.from_numpy(actions[1]))


def test_the_last_action_is_never_read():
    _, ours = _pair(True, 1)
    model = VideoPredictor(backbone=ours, input_length=INPUT).eval()
    frames, actions = _data()
    changed = actions.copy()
    changed[:, -1] += 5.0
    a = model(_clip(frames), mode='tensor', actions=torch.from_numpy(actions))
    b = model(_clip(frames), mode='tensor', actions=torch.from_numpy(changed))
    dropped = model(_clip(frames), mode='tensor', actions=torch.from_numpy(actions[:, :-1]))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(a, dropped, rtol=0, atol=0)
    changed[:, 2] += 1.0  # the action of frame 2 drives the step to frame 3
    c = model(_clip(frames), mode='tensor', actions=torch.from_numpy(changed))
    torch.testing.assert_close(a[:, :2], c[:, :2], rtol=0, atol=0)
    assert (a[:, 2] - c[:, 2]).abs().max() > 1e-4


@pytest.mark.parametrize('v2', [False, True], ids=['predrnn', 'v2'])
def test_training_loss_and_gradients_match_original(v2):
    ref, ours = _pair(v2, 1)
    frames, actions = _data(batch=3, seed=2)
    flags = (np.random.default_rng(3).random((3, TOTAL - 2)) < 0.5).astype(np.float32)
    ref_loss = ref(torch.from_numpy(tiled_input(frames, actions)),
                   torch.from_numpy(full_size_mask(flags, WIDTH, WIDTH)))[1]
    ref_loss.backward()
    model = VideoPredictor(backbone=ours, input_length=INPUT)
    losses = model(_clip(frames), mode='loss', sampling_mask=torch.from_numpy(flags),
                   sampling_mode='reverse', actions=torch.from_numpy(actions))
    assert set(losses) == ({'loss_rec', 'loss_decouple'} if v2 else {'loss_rec'})
    total = sum(losses.values())
    total.backward()
    assert total.item() == pytest.approx(ref_loss.item(), abs=1e-6)
    ref_grads = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), ref_grads[name].grad.numpy(),
                                   atol=1e-5, rtol=1e-4, err_msg=name)


def test_reverse_input_step_matches_the_original_trainer():
    """The original trains on the batch, then on it flipped in time, action channels included."""
    ref, ours = _pair(True, 1)
    frames, actions = _data(batch=2, seed=4)
    flags = (np.random.default_rng(5).random((2, TOTAL - 2)) < 0.5).astype(np.float32)
    mask = torch.from_numpy(full_size_mask(flags, WIDTH, WIDTH))
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-3)
    ims = tiled_input(frames, actions)
    ref_costs = []
    for batch in (ims, np.flip(ims, axis=1).copy()):
        ref_opt.zero_grad()
        loss = ref(torch.from_numpy(batch), mask)[1]
        loss.backward()
        ref_opt.step()
        ref_costs.append(loss.item())

    model = VideoPredictor(backbone=ours, input_length=INPUT, reverse_input=True)
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    data = dict(inputs=_clip(frames), actions=torch.from_numpy(actions),
                sampling_mask=torch.from_numpy(flags), sampling_mode='reverse')
    log = model.train_step(data, wrapper)
    assert log['loss'].item() == pytest.approx(sum(ref_costs) / 2, abs=1e-6)
    ref_params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.detach().numpy(), ref_params[name].detach().numpy(),
                                   atol=1e-5, err_msg=name)


def _materialised_rollout(model, frames, actions, input_length):
    """The backbone's own modules run the straightforward way: the action tiled over the
    (patched) frame and every convolution applied at every step (what the equations say)."""
    truth = patchify(frames, model.patch_size)
    b, t = truth.shape[:2]
    zeros = truth.new_zeros(b, model.num_hidden[0], *model.state_size)
    h, c, memory = [zeros] * model.num_layers, [zeros] * model.num_layers, zeros
    x_gen, outs = None, []
    for step in range(t - 1):
        net = truth[:, step] if step < input_length else x_gen
        tiled = actions[:, step, :, None, None].expand(-1, -1, *truth.shape[-2:])
        if model.conv_on_input:
            e1 = model.conv_input1(net)
            e2 = model.conv_input2(e1)
            x, act = e2, model.action_conv_input2(model.action_conv_input1(tiled))
        else:
            x, act = torch.cat([net, tiled], 1), tiled
        for i, cell in enumerate(model.cell_list):
            h[i], c[i], memory, _, _ = cell(x if i == 0 else h[i - 1], h[i], c[i], memory,
                                            cell.conv_a(act))
        if model.conv_on_input:
            top = h[-1] + e2 if model.res_on_conv else h[-1]
            y = model.deconv_output1(top, output_size=e1.shape[-2:])
            y = y + e1 if model.res_on_conv else y
            x_gen = model.deconv_output2(y, output_size=net.shape[-2:])
        else:
            x_gen = model.conv_last(h[-1])
        outs.append(x_gen)
    return unpatchify(torch.stack(outs, 1), model.patch_size)


@pytest.mark.parametrize('kwargs', [
    dict(conv_on_input=0, res_on_conv=0),
    dict(conv_on_input=0, res_on_conv=1, layer_norm=True),
    dict(conv_on_input=1, res_on_conv=1, patch_size=2),
    dict(conv_on_input=0, res_on_conv=0, patch_size=2),
    dict(conv_on_input=1, res_on_conv=1, img_size=(14, 20)),
], ids=['coi0', 'coi0-ln', 'coi1-patch2', 'coi0-patch2', 'coi1-nonsquare'])
def test_settings_the_original_crashes_on_follow_the_equations(kwargs):
    """conv_on_input 0 and patch_size > 1 crash in the original; here they run as defined."""
    torch.manual_seed(0)
    options = dict(img_size=16, img_channel=3, filter_size=3, num_action_ch=4)
    options.update(kwargs)
    model = ActionCondPredRNNv2([6, 6], **options).eval()
    frames = torch.rand(2, 5, 3, *model.img_size)
    actions = torch.randn(2, 5, 4)
    with torch.no_grad():
        got, _ = model(frames, None, INPUT, with_aux=False, actions=actions)
        want = _materialised_rollout(model, frames, actions, INPUT)
    torch.testing.assert_close(got, want, atol=1e-5 if not model.layer_norm else 1e-4, rtol=0)
    assert got.shape == (2, 4, 3, *model.img_size)


def test_the_action_is_not_a_per_channel_bias_at_the_borders():
    """Zero padding in the action convolutions makes a constant action act differently at the
    frame's borders than inside it; the gates keep that (no per-channel shortcut)."""
    torch.manual_seed(0)
    model = ActionCondPredRNN([8], 64, filter_size=5)  # 64 -> 32 -> 16x16 states
    responses = model._action_responses(torch.zeros(1))
    action = torch.tensor([[1.0, -0.5, 0.3, 2.0]])
    gates = model.cell_list[0].action_gates(action, responses[0])[0]
    interior = gates[:, 4:13, 4:13]  # out of the padding's reach of all three convolutions
    assert torch.allclose(interior, interior[:, :1, :1].expand_as(interior), atol=1e-5)
    assert (gates[:, 0, 0] - gates[:, 8, 8]).abs().max() > 1e-3
    assert (gates[:, 3, 8] - gates[:, 8, 8]).abs().max() > 1e-3


def test_scheduled_sampling_masks_work_although_the_original_crashes():
    """Without reverse scheduled sampling the original indexes its mask out of range; predbench
    maps a scheduled-sampling mask onto the steps after the observed frames."""
    _, ours = _pair(False, 1)
    model = VideoPredictor(backbone=ours, input_length=INPUT)
    frames, actions = _data()
    clip, acts = _clip(frames), torch.from_numpy(actions)
    ones = model(clip, mode='tensor', sampling_mask=torch.ones(2, TOTAL - INPUT - 1),
                 sampling_mode='scheduled', actions=acts)
    teacher = model(clip, mode='tensor', sampling_mask=torch.ones(2, TOTAL - 2),
                    sampling_mode='reverse', actions=acts)
    torch.testing.assert_close(ones, teacher)


def test_missing_or_misshaped_actions_are_one_line_errors():
    _, ours = _pair(True, 1)
    model = VideoPredictor(backbone=ours, input_length=INPUT)
    frames, actions = _data()
    with pytest.raises(ConfigError, match='needs the actions') as info:
        model(_clip(frames), mode='tensor')
    assert '\n' not in str(info.value)
    with pytest.raises(ConfigError, match=r'actions must be \[B, T, A\] = \[2, 6, 4\]'):
        model(_clip(frames), mode='tensor', actions=torch.from_numpy(actions[:, :, :3]))
    with pytest.raises(ConfigError, match=r'got \[2, 4, 4\]'):
        model(_clip(frames), mode='tensor', actions=torch.from_numpy(actions[:, :4]))


def test_backbones_without_actions_ignore_them():
    torch.manual_seed(0)
    model = VideoPredictor(dict(type='PredRNN', num_hidden=[4], img_size=8, img_channel=3,
                                patch_size=2, filter_size=3), input_length=2).eval()
    clip = torch.rand(2, 5, 3, 8, 8)
    plain = model(clip, mode='tensor')
    with_actions = model(clip, mode='tensor', actions=torch.randn(2, 5, 4))
    torch.testing.assert_close(plain, with_actions, rtol=0, atol=0)
    assert not model.takes_actions


@pytest.mark.parametrize('kwargs,message', [
    (dict(conv_on_input=2), 'conv_on_input=2 must be 0 or 1'),
    (dict(num_action_ch=0), 'num_action_ch=0'),
    (dict(stride=2), 'stride=2'),
    (dict(num_hidden=[8, 4]), 'same width'),
])
def test_bad_options_are_config_errors(kwargs, message):
    options = dict(num_hidden=[8, 8], img_size=16)
    options.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        ActionCondPredRNN(**options)


def test_decoupling_loss_is_predrnn_v2s():
    """The same function as PredRNN-V2's, applied to the action stack's increments."""
    _, ours = _pair(True, 1)
    frames, actions = _data()
    _, increments = ours._rollout(_clip(frames), torch.from_numpy(actions), None, INPUT, True)
    by_hand = []
    for dc, dm in increments:
        a = F.normalize(ours.adapter(dc).flatten(2), dim=2)
        m = F.normalize(ours.adapter(dm).flatten(2), dim=2)
        by_hand.append(torch.cosine_similarity(a, m, dim=2).abs().mean())
    torch.testing.assert_close(ours.decoupling_loss(increments), torch.stack(by_hand).mean())
