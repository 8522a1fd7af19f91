"""The shared bouncing-digits generator: inside the canvas, bouncing, max-combined, seeded."""
import numpy as np

from predbench.datasets.digit_sprites import render_digit_sprite, render_digit_sprites
from predbench.datasets.moving_digits import generate_sequence, random_trajectory, sequence_rng

FULL_SQUARE = np.full((1, 28, 28), 255, np.uint8)


def test_trajectories_stay_inside_the_free_range_and_bounce():
    bounced = 0
    for i in range(300):
        ys, xs = random_trajectory(sequence_rng(0, i), 40, free_range=36)
        assert ys.min() >= 0 and xs.min() >= 0 and ys.max() <= 36 and xs.max() <= 36
        steps = np.diff(xs.astype(float))
        # A bounce reverses the direction of motion along that axis.
        bounced += int(np.any(steps[:-1] * steps[1:] < 0))
    assert bounced > 100


def test_a_digit_is_never_cut_by_the_canvas_border():
    for i in range(50):
        frames = generate_sequence(FULL_SQUARE, sequence_rng(1, i), seq_length=30, num_digits=1)
        # Every frame shows the whole 28x28 square: nothing fell outside the 64x64 canvas.
        assert (frames == 255).sum(axis=(1, 2)).tolist() == [28 * 28] * 30


def test_digits_move_at_constant_speed_of_a_tenth_of_the_free_range():
    ys, xs = random_trajectory(sequence_rng(2, 0), 5, free_range=36)
    speeds = np.hypot(np.diff(ys), np.diff(xs))
    assert np.all(np.abs(speeds - 3.6) <= 1.5)  # 3.6 px per frame, truncated to integers


def test_two_digits_combine_by_pixelwise_maximum():
    digits = np.stack([np.full((28, 28), 100, np.uint8), np.full((28, 28), 200, np.uint8)])
    frames = generate_sequence(digits, sequence_rng(3, 0), seq_length=20, num_digits=2)
    assert frames.dtype == np.uint8 and frames.shape == (20, 64, 64)
    assert set(np.unique(frames)) <= {0, 100, 200}


def test_sequences_are_a_pure_function_of_seed_and_index():
    digits = render_digit_sprites((0, 20))
    a = generate_sequence(digits, sequence_rng(7, 11))
    generate_sequence(digits, sequence_rng(7, 3))  # other draws in between change nothing
    np.testing.assert_array_equal(a, generate_sequence(digits, sequence_rng(7, 11)))
    assert not np.array_equal(a, generate_sequence(digits, sequence_rng(8, 11)))
    assert not np.array_equal(a, generate_sequence(digits, sequence_rng(7, 12)))


def test_sprites_are_fixed_mnist_like_digits():
    sprite = render_digit_sprite(13)
    assert sprite.shape == (28, 28) and sprite.dtype == np.uint8
    np.testing.assert_array_equal(sprite, render_digit_sprite(13))
    assert sprite.max() >= 200 and sprite[0].max() == 0 and sprite[:, 0].max() == 0
    bank = render_digit_sprites((10, 30))
    np.testing.assert_array_equal(bank[3], sprite)
    assert len({b.tobytes() for b in bank}) == 20  # no two sprites alike
