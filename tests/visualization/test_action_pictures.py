"""Pictures of robot clips show the action leading to each frame; other pictures are unchanged."""
import numpy as np
import pytest
import torch
from PIL import Image

from predbench.apis import init_model, predict
from predbench.utils.errors import ConfigError, DataError
from predbench.visualization import gif_frames, grid_size, sequence_grid
from predbench.visualization.actions import ARROW_COLOR, action_panel, incoming_action_panels
from predbench.visualization.sequence import GAP, HEADER_HEIGHT, LABEL_WIDTH, SEPARATOR
from recording_vis_backend import recording_visualizer
from tool_runner import load_tool

ACTIONS = np.array([[1, 0, 0.5, 1], [0, 1, -0.5, -1], [-1, 0, 0, 1], [0, -1, 0, 0],
                    [0.5, 0.5, 0, 0]], np.float32)


def _clip(seed, length, size=16):
    return torch.from_numpy(np.random.default_rng(seed).random((length, 3, size, size),
                                                               dtype=np.float32))


def test_the_arrow_points_where_the_gripper_is_told_to_move():
    scales = np.array([1.0, 0.5, 1.0])
    right = action_panel(np.array([1, 0, 0, 0]), scales, 64, 64)
    up = action_panel(np.array([0, 1, 0, 0]), scales, 64, 64)
    ys, xs = np.nonzero(np.all(right == ARROW_COLOR, axis=2))
    assert xs.mean() > 32 + 8 and abs(ys.mean() - np.median(ys)) < 3
    ys, xs = np.nonzero(np.all(up == ARROW_COLOR, axis=2))
    assert ys.mean() < 29 - 5 and abs(xs.mean() - 32) < 3  # above the centre (bars below)
    blank = action_panel(None, scales, 64, 64)
    assert len(np.unique(blank.reshape(-1, 3), axis=0)) == 1


def test_frame_t_gets_the_action_of_frame_t_minus_1():
    panels = incoming_action_panels(ACTIONS, 5, 64, 64)
    assert len(np.unique(panels[0].reshape(-1, 3), axis=0)) == 1  # nothing leads to frame 0
    for t in range(1, 5):
        np.testing.assert_array_equal(panels[t], action_panel(ACTIONS[t - 1],
                                                              np.array([1.0, 0.5, 1.0]), 64, 64))
    with pytest.raises(DataError, match='at least 5'):
        incoming_action_panels(ACTIONS[:3], 6, 64, 64)


def test_grid_gains_an_action_row_and_keeps_the_rest_unchanged():
    inp, gt, pred = _clip(0, 2), _clip(1, 3), _clip(2, 3)
    plain = sequence_grid(inp, gt, pred)
    with_actions = sequence_grid(inp, gt, pred, actions=ACTIONS)
    assert (plain.shape[1], plain.shape[0]) == grid_size(2, 3, 3, 64, 64)
    assert (with_actions.shape[1], with_actions.shape[0]) == grid_size(2, 3, 4, 64, 64)
    np.testing.assert_array_equal(with_actions[:plain.shape[0]], plain)
    row_y = HEADER_HEIGHT + 3 * (64 + GAP)
    third = LABEL_WIDTH + 2 * (64 + GAP) + SEPARATOR  # the first predicted frame, t = 2
    np.testing.assert_array_equal(with_actions[row_y:row_y + 64, third:third + 64],
                                  incoming_action_panels(ACTIONS, 5, 64, 64)[2])


def test_gif_gains_an_action_panel_and_keeps_the_rest_unchanged():
    inp, gt, pred = _clip(0, 2), _clip(1, 3), _clip(2, 3)
    plain = gif_frames(gt, pred, inp)
    with_actions = gif_frames(gt, pred, inp, actions=ACTIONS)
    assert len(plain) == len(with_actions) == 5
    assert with_actions[0].size[0] == plain[0].size[0] + 64 + SEPARATOR
    for a, b in zip(plain, with_actions):
        np.testing.assert_array_equal(np.asarray(b)[:, :a.size[0]], np.asarray(a))
    panel = np.asarray(with_actions[3])[HEADER_HEIGHT:HEADER_HEIGHT + 64,
                                        2 * (64 + SEPARATOR):2 * (64 + SEPARATOR) + 64]
    np.testing.assert_array_equal(panel, incoming_action_panels(ACTIONS, 5, 64, 64)[3])


def test_visualizer_draws_the_actions_of_a_sample(tmp_path):
    visualizer, recorder = recording_visualizer(tmp_path, 'actions')
    sample = dict(input=_clip(0, 2), gt=_clip(1, 3), pred=_clip(2, 3), index=3,
                  actions=torch.from_numpy(ACTIONS))
    grid = visualizer.add_datasample('test_seq_00003', data_sample=sample)
    np.testing.assert_array_equal(grid, sequence_grid(sample['input'], sample['gt'],
                                                      sample['pred'], actions=ACTIONS))
    assert (grid.shape[1], grid.shape[0]) == grid_size(2, 3, 4, 64, 64)


TINY_ACTION_CONFIG = """
default_scope = 'predbench'
model = dict(type='VideoPredictor', input_length=2, backbone=dict(
    type='ActionCondPredRNNv2', num_hidden=[4, 4], img_size=(16, 16), filter_size=3))
"""


def test_predict_tool_reads_an_actions_file(tmp_path):
    config = tmp_path / 'tiny_action.py'
    config.write_text(TINY_ACTION_CONFIG)
    torch.manual_seed(0)
    model = init_model(str(config))
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    folder = tmp_path / 'clip'
    folder.mkdir()
    frames = (np.random.default_rng(0).random((2, 16, 16, 3)) * 255).astype(np.uint8)
    for t, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f'{t}.png')
    rows = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    csv = tmp_path / 'actions.csv'
    csv.write_text('dx,dy,dz,grip\n' + '\n'.join(','.join(repr(float(v)) for v in r)
                                                  for r in rows))
    tool = load_tool('predict.py')
    out = tmp_path / 'out'
    tool.main([str(config), str(ckpt), str(folder), '--pred-length', '3', '--out', str(out),
               '--actions', str(csv)])
    pred = np.load(out / 'clip_pred.npy')
    observed = frames.transpose(0, 3, 1, 2).astype(np.float32) / 255
    expected = predict(init_model(str(config), str(ckpt)), observed[None], 3,
                       actions=rows[None, :5])[0].clamp(0, 1).numpy()
    np.testing.assert_allclose(pred, expected, atol=1e-6)
    assert Image.open(out / 'clip_pred.png').size == grid_size(2, 3, 2, 64, 64)  # + actions
    np.save(tmp_path / 'short.npy', rows[:3])
    with pytest.raises(DataError, match='has 3 rows.*need 4'):
        tool.main([str(config), str(ckpt), str(folder), '--pred-length', '3', '--out',
                   str(out), '--actions', str(tmp_path / 'short.npy')])
    with pytest.raises(ConfigError, match='conditioned on actions'):
        tool.main([str(config), str(ckpt), str(folder), '--pred-length', '3', '--out',
                   str(out)])
