"""tools/analysis/metric_conventions.py: the conventions table on the dataset's own digit clips."""
import numpy as np
import pytest

from predbench.datasets.digit_sprites import render_digit_sprites
from predbench.datasets.moving_digits import generate_sequence, sequence_rng
from tool_runner import load_tool

tool = load_tool('analysis/metric_conventions.py')


@pytest.mark.parametrize('channels', [1, 3])
def test_demo_clips_are_the_datasets_moving_digits(channels):
    pred, gt = tool.demo_clips(num_sequences=3, length=4, size=40, channels=channels, seed=5)
    assert pred.shape == gt.shape == (3, 4, channels, 40, 40)
    sprites = render_digit_sprites(tool.SPRITES)
    for n in range(3):
        frames = generate_sequence(sprites, sequence_rng(5, n), seq_length=4, canvas=40)
        # Where the generator drew a digit, in every channel (each a colour scale of it).
        np.testing.assert_array_equal(gt[n] > 0, np.repeat(frames[:, None] > 0, channels, 1))
    np.testing.assert_array_equal(np.round(gt * 255), gt * np.float32(255))  # uint8-valued
    assert pred.min() < 0 and pred.max() > 1  # raw predictions over-shoot, as real ones do


def test_the_table_shows_how_far_the_conventions_land_apart(capsys):
    table = tool.main(['--num-sequences', '4'])
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:3] == ['| convention | MSE | MAE | PSNR | SSIM |', '|---|---|---|---|---|']
    assert [line.split(' | ')[0] for line in printed[3:]] == ['| predbench', '| thuml',
                                                               '| openstl']
    ours, thuml, openstl = table['predbench'], table['thuml'], table['openstl']
    assert thuml['mse'] == ours['mse'] and thuml['mae'] == ours['mae']  # both clip first
    assert openstl['mse'] > ours['mse'] and openstl['mae'] > ours['mae']  # before clipping
    assert openstl['psnr'] == ours['psnr']
    assert ours['ssim'] < thuml['ssim'] < openstl['ssim']  # uint8 images, then data range 2
