"""The Moving MNIST generator (Srivastava et al. 2015, as OpenSTL and PredBench draw it).

Each digit starts at a uniform position with a uniform direction and moves at a constant speed,
bouncing off the canvas borders; digits are combined by pixel-wise maximum. Sequence ``i`` is a
pure function of ``(seed, i)``, so any worker, rank or resumed run draws the same sequence ``i``.
"""
from typing import Tuple

import numpy as np

DEFAULT_CANVAS = 64
# Distance travelled per frame as a fraction of the free range (canvas - digit): 0.1 * 36 px.
STEP_LENGTH = 0.1


def sequence_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of sequence ``index``: independent of every other index and of order."""
    return np.random.default_rng([seed, index])


def random_trajectory(rng: np.random.Generator, seq_length: int, free_range: int,
                      step_length: float = STEP_LENGTH) -> Tuple[np.ndarray, np.ndarray]:
    """Top-left (y, x) pixel positions of one bouncing digit, each in [0, free_range]."""
    y, x = rng.random(), rng.random()
    theta = rng.random() * 2 * np.pi
    v_y, v_x = np.sin(theta), np.cos(theta)
    ys = np.empty(seq_length)
    xs = np.empty(seq_length)
    for t in range(seq_length):
        # The step comes before the first frame, as in the reference generator.
        y += v_y * step_length
        x += v_x * step_length
        # Reflect at the borders: clamp the position and reverse that velocity component.
        if x <= 0.0:
            x, v_x = 0.0, -v_x
        if x >= 1.0:
            x, v_x = 1.0, -v_x
        if y <= 0.0:
            y, v_y = 0.0, -v_y
        if y >= 1.0:
            y, v_y = 1.0, -v_y
        ys[t], xs[t] = y, x
    return (free_range * ys).astype(np.int64), (free_range * xs).astype(np.int64)


def generate_sequence(digits: np.ndarray, rng: np.random.Generator, seq_length: int = 20,
                      num_digits: int = 2, canvas: int = DEFAULT_CANVAS,
                      step_length: float = STEP_LENGTH) -> np.ndarray:
    """One uint8 [T, canvas, canvas] sequence of ``num_digits`` digits drawn from ``digits``."""
    digit_h, digit_w = digits.shape[1:]
    if digit_h > canvas or digit_w > canvas:
        raise ValueError(f'digits of {digit_h}x{digit_w} do not fit a {canvas}x{canvas} canvas')
    frames = np.zeros((seq_length, canvas, canvas), np.uint8)
    for _ in range(num_digits):
        tops, lefts = random_trajectory(rng, seq_length, canvas - max(digit_h, digit_w),
                                        step_length)
        digit = digits[rng.integers(len(digits))]
        for t in range(seq_length):
            window = frames[t, tops[t]:tops[t] + digit_h, lefts[t]:lefts[t] + digit_w]
            np.maximum(window, digit, out=window)
    return frames
