"""Procedural 28x28 digit sprites drawn with OpenCV's Hershey fonts: MNIST-like, no download.

Sprite ``k`` shows the digit ``k % 10`` and its style (font, size, stroke, slant, shift) is a pure
function of ``k``, so the sprite bank behaves like a fixed digits file: a ``digit_range`` picks
disjoint training and validation sprites, and every machine renders the same pixels.
"""
from typing import Tuple

import cv2
import numpy as np

SPRITE_SIZE = 28
SPRITE_BANK_SIZE = 10000  # default number of sprites when no digit_range is given
# Rendering at 4x then shrinking gives anti-aliased, MNIST-like soft strokes.
SUPERSAMPLE = 4
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)
# MNIST centres each digit in a 20x20 box of the 28x28 image; vary the glyph height around that.
GLYPH_HEIGHT_RANGE = (17.0, 22.0)
STROKE_RANGE = (1.4, 2.8)  # stroke width in output pixels
SLANT_RANGE = (-0.35, 0.35)  # horizontal shear per row, like handwriting's lean
SHIFT_RANGE = 1.5  # pixels of random offset from the centre
# Keeps the sprite stream independent of any other use of (seed, index) random streams.
SPRITE_STREAM = 0x5BD1E995


def render_digit_sprite(index: int) -> np.ndarray:
    """The uint8 [28, 28] sprite number ``index`` (digit ``index % 10``), white on black."""
    rng = np.random.default_rng([SPRITE_STREAM, index])
    text = str(index % 10)
    font = FONTS[int(rng.integers(len(FONTS)))]
    glyph_height = rng.uniform(*GLYPH_HEIGHT_RANGE) * SUPERSAMPLE
    stroke = max(1, int(round(rng.uniform(*STROKE_RANGE) * SUPERSAMPLE)))
    slant = rng.uniform(*SLANT_RANGE)
    shift = rng.uniform(-SHIFT_RANGE, SHIFT_RANGE, size=2) * SUPERSAMPLE

    (_, base_height), _ = cv2.getTextSize(text, font, 1.0, stroke)
    scale = glyph_height / max(base_height, 1)
    (width, height), _ = cv2.getTextSize(text, font, scale, stroke)
    big = SPRITE_SIZE * SUPERSAMPLE
    canvas = np.zeros((big, big), np.uint8)
    origin = (int(round((big - width) / 2)), int(round((big + height) / 2)))
    cv2.putText(canvas, text, origin, font, scale, 255, stroke, cv2.LINE_AA)

    # Shear about the centre, then shift; a positive slant leans the top to the right.
    centre = big / 2.0
    affine = np.float32([[1.0, -slant, slant * centre + shift[0]], [0.0, 1.0, shift[1]]])
    canvas = cv2.warpAffine(canvas, affine, (big, big), flags=cv2.INTER_LINEAR)
    return cv2.resize(canvas, (SPRITE_SIZE, SPRITE_SIZE), interpolation=cv2.INTER_AREA)


def render_digit_sprites(digit_range: Tuple[int, int]) -> np.ndarray:
    """Sprites ``start .. stop-1`` as uint8 [N, 28, 28], a drop-in for MNIST's digit images."""
    start, stop = digit_range
    return np.stack([render_digit_sprite(k) for k in range(start, stop)])
