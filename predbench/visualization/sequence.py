"""Pictures of one predicted sequence: a labelled grid (truth, prediction, error) and a GIF.

Frames are [T, C, H, W] (C = 1 or 3) or [T, H, W], floats in [0, 1] (clipped here) or uint8,
numpy or torch. Small frames are enlarged by an integer factor (nearest neighbour) so that a
16x16 clip stays readable; ``scale`` overrides the automatic factor.

Clips of robot data pass ``actions`` [T, A] (one row per frame, observed then predicted): the
grid gains a row and the GIF a panel that shows, under or beside each frame, the action that
leads to it (see :mod:`.actions`). Without ``actions`` the pictures are unchanged.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..utils.errors import DataError
from .actions import incoming_action_panels

ArrayLike = Union[np.ndarray, torch.Tensor]

LABEL_WIDTH = 56  # left margin holding the row names
HEADER_HEIGHT = 14  # top margin holding 'observed' / 'predicted'
GAP = 2  # white pixels after each frame
SEPARATOR = 6  # grey bar between observed and predicted columns
MIN_FRAME_SIDE = 64  # frames are enlarged until their longer side reaches this
BACKGROUND = (255, 255, 255)
SEPARATOR_COLOR = (150, 150, 150)
TEXT_COLOR = (0, 0, 0)
ERROR_COLORMAP = 'inferno'
ACTION_ROW = 'a(t-1)'  # the row of actions: under frame t, the action that leads to it


def to_rgb_frames(frames: ArrayLike, name: str = 'frames') -> np.ndarray:
    """Frames as uint8 RGB [T, H, W, 3] (grayscale repeated; floats clipped to [0, 1])."""
    x = frames.detach().cpu().numpy() if torch.is_tensor(frames) else np.asarray(frames)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise DataError(f'{name} must be [T, C, H, W] with C = 1 or 3, or [T, H, W]; got '
                        f'shape {list(x.shape)}')
    if x.dtype != np.uint8:
        x = np.round(np.clip(x.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    x = x.transpose(0, 2, 3, 1)
    return np.repeat(x, 3, axis=3) if x.shape[3] == 1 else x


def _error_frames(gt: ArrayLike, pred: ArrayLike) -> np.ndarray:
    """|pred - gt| averaged over channels, coloured with a perceptual colormap: [T, H, W, 3]."""
    from matplotlib import colormaps

    g = to_rgb_frames(gt, 'gt').astype(np.float64) / 255
    p = to_rgb_frames(pred, 'pred').astype(np.float64) / 255
    error = np.abs(p - g).mean(axis=3)
    return (colormaps[ERROR_COLORMAP](error)[..., :3] * 255).astype(np.uint8)


def auto_scale(height: int, width: int) -> int:
    """Integer enlargement that brings the longer side to at least MIN_FRAME_SIDE pixels."""
    return max(1, -(-MIN_FRAME_SIDE // max(height, width)))


def _enlarge(frame: np.ndarray, scale: int) -> np.ndarray:
    return frame.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else frame


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def sequence_grid(input: Optional[ArrayLike], gt: Optional[ArrayLike], pred: ArrayLike,
                  scale: Optional[int] = None, actions: Optional[ArrayLike] = None) -> np.ndarray:
    """The labelled grid as uint8 RGB [H, W, 3]: rows truth, prediction, |error|; columns time.

    The observed frames (``input``) sit left of a grey bar, in the truth row; with ``gt=None``
    there is one row (observed frames, then the prediction). ``actions`` [T, A] adds a last
    row: under frame t the action of frame t - 1, which drives the step to frame t.
    """
    pred_rgb = to_rgb_frames(pred, 'pred')
    obs_rgb = to_rgb_frames(input, 'input') if input is not None else pred_rgb[:0]
    height, width = pred_rgb.shape[1:3]
    if obs_rgb.shape[1:3] != (height, width):
        raise DataError(f'input frames are {obs_rgb.shape[1:3]}, predictions {(height, width)}')
    if gt is not None:
        gt_rgb = to_rgb_frames(gt, 'gt')
        if gt_rgb.shape != pred_rgb.shape:
            raise DataError(f'gt and pred must have one shape, got {list(gt_rgb.shape)} and '
                            f'{list(pred_rgb.shape)}')
        rows = [('truth', list(obs_rgb) + list(gt_rgb)),
                ('pred', [None] * len(obs_rgb) + list(pred_rgb)),
                ('|error|', [None] * len(obs_rgb) + list(_error_frames(gt, pred)))]
    else:
        rows = [('pred', list(obs_rgb) + list(pred_rgb))]
    scale = scale or auto_scale(height, width)
    if actions is not None:
        panels = incoming_action_panels(actions, len(obs_rgb) + len(pred_rgb), height * scale,
                                        width * scale)
        rows.append((ACTION_ROW, panels))
    canvas = _grid_canvas(rows, len(obs_rgb), height * scale, width * scale, scale)
    return np.asarray(canvas)


def save_image(image: np.ndarray, path: str) -> str:
    """Write a uint8 RGB [H, W, 3] image (PNG by the file's extension); returns ``path``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(image).save(path)
    return path


def save_sequence_grid(input: Optional[ArrayLike], gt: Optional[ArrayLike], pred: ArrayLike,
                       path: str, scale: Optional[int] = None,
                       actions: Optional[ArrayLike] = None) -> str:
    """Write :func:`sequence_grid` as a PNG; returns ``path``."""
    return save_image(sequence_grid(input, gt, pred, scale, actions), path)


def grid_size(n_obs: int, n_pred: int, n_rows: int, cell_h: int, cell_w: int) -> tuple:
    """(width, height) in pixels of a grid of enlarged frames of cell_h x cell_w."""
    width = LABEL_WIDTH + (n_obs + n_pred) * (cell_w + GAP) + (SEPARATOR if n_obs else 0)
    height = HEADER_HEIGHT + n_rows * (cell_h + GAP)
    return width, height


def _grid_canvas(rows: List[tuple], n_obs: int, cell_h: int, cell_w: int,
                 scale: int) -> Image.Image:
    n_cols = len(rows[0][1])
    size = grid_size(n_obs, n_cols - n_obs, len(rows), cell_h, cell_w)
    canvas = Image.new('RGB', size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = _font()

    def column_x(j: int) -> int:
        return LABEL_WIDTH + j * (cell_w + GAP) + (SEPARATOR if n_obs and j >= n_obs else 0)

    if n_obs:
        sep_x = column_x(n_obs) - SEPARATOR
        draw.rectangle([sep_x, 0, sep_x + SEPARATOR - GAP - 1, size[1] - 1], fill=SEPARATOR_COLOR)
        draw.text((column_x(0), 1), 'observed', fill=TEXT_COLOR, font=font)
    draw.text((column_x(n_obs), 1), 'predicted', fill=TEXT_COLOR, font=font)
    for i, (label, frames) in enumerate(rows):
        y = HEADER_HEIGHT + i * (cell_h + GAP)
        draw.text((2, y + cell_h // 2 - 6), label, fill=TEXT_COLOR, font=font)
        for j, frame in enumerate(frames):
            if frame is not None:
                # Action panels are drawn at the enlarged size already.
                enlarged = frame if frame.shape[:2] == (cell_h, cell_w) else _enlarge(frame, scale)
                canvas.paste(Image.fromarray(enlarged), (column_x(j), y))
    return canvas


def gif_frames(gt: Optional[ArrayLike], pred: ArrayLike, input: Optional[ArrayLike] = None,
               scale: Optional[int] = None,
               actions: Optional[ArrayLike] = None) -> List[Image.Image]:
    """The GIF's images: truth beside prediction (observed frames first, in both panels).

    ``actions`` [T, A] adds a last panel, ``action in``: the action that leads to the frame shown
    (the action of the previous frame; blank for the first).
    """
    pred_rgb = to_rgb_frames(pred, 'pred')
    height, width = pred_rgb.shape[1:3]
    obs_rgb = to_rgb_frames(input, 'input') if input is not None else pred_rgb[:0]
    gt_rgb = to_rgb_frames(gt, 'gt') if gt is not None else None
    if gt_rgb is not None and gt_rgb.shape != pred_rgb.shape:
        raise DataError(f'gt and pred must have one shape, got {list(gt_rgb.shape)} and '
                        f'{list(pred_rgb.shape)}')
    scale = scale or auto_scale(height, width)
    cell_h, cell_w = height * scale, width * scale
    panels = 1 if gt_rgb is None else 2
    titles = ['prediction'] if gt_rgb is None else ['truth', 'prediction']
    n_obs, n_pred = len(obs_rgb), len(pred_rgb)
    action_panels = None
    if actions is not None:
        action_panels = incoming_action_panels(actions, n_obs + n_pred, cell_h, cell_w)
        titles = titles + ['action in']
    columns = len(titles)
    size = (columns * cell_w + (columns - 1) * SEPARATOR, HEADER_HEIGHT * 2 + cell_h)
    font = _font()
    images = []
    for t in range(n_obs + n_pred):
        observed = t < n_obs
        shown = [obs_rgb[t]] * panels if observed else (
            [pred_rgb[t - n_obs]] if gt_rgb is None else [gt_rgb[t - n_obs], pred_rgb[t - n_obs]])
        shown = [_enlarge(frame, scale) for frame in shown]
        if action_panels is not None:
            shown.append(action_panels[t])
        image = Image.new('RGB', size, BACKGROUND)
        draw = ImageDraw.Draw(image)
        for k, (title, frame) in enumerate(zip(titles, shown)):
            x = k * (cell_w + SEPARATOR)
            draw.text((x + 2, 1), title, fill=TEXT_COLOR, font=font)
            image.paste(Image.fromarray(frame), (x, HEADER_HEIGHT))
        status = f'observed {t + 1}/{n_obs}' if observed else f'predicted {t - n_obs + 1}/{n_pred}'
        draw.text((2, HEADER_HEIGHT + cell_h + 1), status, fill=TEXT_COLOR, font=font)
        images.append(image)
    return images


def save_sequence_gif(gt: Optional[ArrayLike], pred: ArrayLike, path: str,
                      input: Optional[ArrayLike] = None, fps: float = 4.0,
                      scale: Optional[int] = None, actions: Optional[ArrayLike] = None) -> str:
    """Write a looping GIF of the truth beside the prediction (only the prediction if gt is None).

    With ``input``, the observed frames play first in both panels; with ``actions`` [T, A] a
    panel shows the action leading to each frame. Returns ``path``.
    """
    images = gif_frames(gt, pred, input, scale, actions)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], loop=0,
                   duration=max(20, int(round(1000 / fps))), optimize=False)
    return path


def save_frames_strip(frames: Sequence[ArrayLike], path: str, scale: Optional[int] = None) -> str:
    """Write frames [T, C, H, W] side by side in one PNG row (no labels)."""
    rgb = to_rgb_frames(frames if not isinstance(frames, (list, tuple)) else np.stack(frames))
    scale = scale or auto_scale(*rgb.shape[1:3])
    tiles = [np.pad(_enlarge(f, scale), ((0, 0), (0, GAP), (0, 0)), constant_values=255)
             for f in rgb]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(np.concatenate(tiles, axis=1)).save(path)
    return path
