"""tools/predict.py and tools/analysis/visualize_decoupling.py on a tiny random model."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from predbench.apis import init_model, predict
from predbench.utils.errors import ConfigError, DataError
from predbench.visualization import grid_size
from tool_runner import load_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture()
def tiny_checkpoint(tiny_config, tmp_path):
    torch.manual_seed(0)
    model = init_model(tiny_config)
    path = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return str(path)


def write_gif(path, frames: int, size=(30, 40)):
    rng = np.random.default_rng(0)
    images = [Image.fromarray((rng.random((*size, 3)) * 255).astype(np.uint8))
              for _ in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0)
    return images


def test_predict_tool_writes_gif_png_and_npy_of_the_prediction(tiny_config, tiny_checkpoint,
                                                               tmp_path):
    gif = tmp_path / 'clip.gif'
    write_gif(gif, frames=4)
    out = tmp_path / 'out'
    result = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'predict.py'), tiny_config,
         tiny_checkpoint, str(gif), '--pred-length', '3', '--out', str(out)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.returncode == 0, result.stderr
    assert str(out / 'clip_pred.gif') in result.stdout
    pred = np.load(out / 'clip_pred.npy')
    assert pred.shape == (3, 1, 16, 16) and pred.dtype == np.float32
    assert 0 <= pred.min() and pred.max() <= 1
    # Same numbers as the API on the same resized, grayscale first two frames.
    from predbench.datasets.user_clips import fit_to_model, read_clip
    decoded = read_clip(str(gif))  # GIF frames are palette-quantised: compare what it holds
    assert decoded.shape == (4, 30, 40, 3)
    observed = fit_to_model(decoded[:2], 16, 16, 1)
    model = init_model(tiny_config, tiny_checkpoint)
    expected = predict(model, observed[None], 3)[0].clamp(0, 1).numpy()
    np.testing.assert_allclose(pred, expected, atol=1e-6)
    assert Image.open(out / 'clip_pred.gif').n_frames == 5  # 2 observed + 3 predicted
    assert Image.open(out / 'clip_pred.png').size == grid_size(2, 3, 1, 64, 64)


def test_predict_tool_reads_image_folders_and_rejects_short_clips(tiny_config, tiny_checkpoint,
                                                                  tmp_path):
    tool = load_tool('predict.py')
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i, image in enumerate(write_gif(tmp_path / 'x.gif', frames=3, size=(20, 20))):
        image.save(folder / f'frame_{i + 8}.png')  # frame_8, frame_9, frame_10: natural order
    tool.main([tiny_config, tiny_checkpoint, str(folder), '--pred-length', '2',
               '--out', str(tmp_path / 'o')])
    assert np.load(tmp_path / 'o' / 'frames_pred.npy').shape == (2, 1, 16, 16)

    write_gif(tmp_path / 'short.gif', frames=1)
    with pytest.raises(DataError, match='model.input_length=2'):
        tool.main([tiny_config, tiny_checkpoint, str(tmp_path / 'short.gif'),
                   '--out', str(tmp_path / 'o')])


def test_decoupling_tool_plots_a_tsne_panel_per_layer(tiny_config, tiny_checkpoint, tmp_path,
                                                      capsys):
    tool = load_tool('analysis/visualize_decoupling.py')
    tool.main([tiny_config, tiny_checkpoint, '--random-input', '--num-sequences', '2',
               '--out', str(tmp_path / 'dec')])
    out = capsys.readouterr().out
    assert 'layer 0:' in out and 'layer 1:' in out
    # 2 sequences x 3 steps x 4 channels points per memory and layer.
    assert '24 points per memory' in out
    image = Image.open(tmp_path / 'dec' / 'decoupling_tsne.png')
    assert image.size[0] > 1.5 * image.size[1]  # two panels side by side


def test_decoupling_tool_refuses_a_model_without_decoupled_memories(tmp_path, tiny_config):
    config = tmp_path / 'v1.py'
    config.write_text(open(tiny_config).read().replace("'PredRNNv2'", "'PredRNN'"))
    model = init_model(str(config))
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'v1.pth')
    tool = load_tool('analysis/visualize_decoupling.py')
    with pytest.raises(ConfigError, match='PredRNN-V2'):
        tool.main([str(config), str(tmp_path / 'v1.pth'), '--random-input',
                   '--out', str(tmp_path / 'x')])


def test_decoupling_features_follow_the_original_topk_construction():
    from predbench.visualization.decoupling import decoupling_features
    delta_c = torch.tensor([[[[0.0, 3.0], [1.0, 2.0]]]])  # one channel, 2x2
    delta_m = torch.tensor([[[[5.0, 0.0], [4.0, 1.0]]]])
    features, labels = decoupling_features(delta_c, delta_m, topk=1)
    # delta_c: its top value 3 (at 1), then delta_c at delta_m's top position (0): 0.
    np.testing.assert_allclose(features[0], [1.0, 0.0])
    # delta_m: delta_m at delta_c's top position (1): 0, then its top value 5.
    np.testing.assert_allclose(features[1], [0.0, 1.0])
    assert labels.tolist() == [0, 1]
