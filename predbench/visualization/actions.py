"""Pictures of robot actions, drawn beside the frames they lead to (BAIR robot pushing).

An action is a vector per frame (BAIR: 4 numbers); the action of frame t drives the step from
frame t to frame t + 1. Each panel shows one action as

* an arrow from the centre for its first two components, the planar motion of the gripper
  (component 0 to the right, component 1 upwards, in the robot's frame, not the camera's), its
  length relative to the longest planar motion of the clip, so arrows compare within a clip;
* one bar per further component (BAIR: the vertical motion and the gripper command) along the
  bottom, from the centre line to the right when positive and to the left when negative, each
  relative to that component's largest magnitude in the clip.
"""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..utils.errors import DataError

PANEL_BACKGROUND = (245, 245, 245)
GUIDE_COLOR = (200, 200, 200)
ARROW_COLOR = (214, 39, 40)
BAR_COLORS = ((31, 119, 180), (44, 160, 44), (148, 103, 189), (140, 86, 75))
PLANAR = 2  # components drawn as the arrow
MARGIN = 0.12  # of the panel side, kept free around the arrow and the bars
BAR_HEIGHT = 0.06  # of the panel side, per bar
ARROW_HEAD = 0.3  # of the arrow's length, at most a quarter of the panel side


def as_action_array(actions: Union[np.ndarray, torch.Tensor, Sequence], name: str = 'actions'
                    ) -> np.ndarray:
    """Actions as float64 [T, A] (numpy or torch); a one-line error for anything else."""
    x = actions.detach().cpu().numpy() if torch.is_tensor(actions) else np.asarray(actions)
    if x.ndim != 2 or x.shape[1] < 1 or not np.issubdtype(x.dtype, np.number):
        raise DataError(f'{name} must be numbers [T, A] (one row per frame), got '
                        f'{x.dtype} {list(x.shape)}')
    return x.astype(np.float64)


def _scales(actions: np.ndarray) -> np.ndarray:
    """The clip's largest planar length, then each further component's largest magnitude."""
    planar = np.linalg.norm(actions[:, :PLANAR], axis=1).max(initial=0.0)
    rest = np.abs(actions[:, PLANAR:]).max(axis=0, initial=0.0)
    return np.concatenate([[planar], rest])


def action_panel(action: Optional[np.ndarray], scales: np.ndarray, height: int,
                 width: int) -> np.ndarray:
    """One action as a uint8 RGB [height, width, 3] panel; a blank panel for None."""
    image = Image.new('RGB', (width, height), PANEL_BACKGROUND)
    if action is None:
        return np.asarray(image)
    draw = ImageDraw.Draw(image)
    extra = len(action) - PLANAR
    bars_h = max(0, extra) * max(2, round(BAR_HEIGHT * height))
    side = min(width, height - bars_h)
    cx, cy = width / 2, (height - bars_h) / 2
    radius = side * (0.5 - MARGIN)
    draw.line([(cx - radius, cy), (cx + radius, cy)], fill=GUIDE_COLOR)
    draw.line([(cx, cy - radius), (cx, cy + radius)], fill=GUIDE_COLOR)
    planar = np.zeros(PLANAR)
    planar[:min(PLANAR, len(action))] = action[:PLANAR]
    length = np.linalg.norm(planar)
    if scales[0] > 0 and length > 0:
        dx, dy = planar / scales[0] * radius
        tip = (cx + dx, cy - dy)  # component 1 points up
        draw.line([(cx, cy), tip], fill=ARROW_COLOR, width=max(1, round(side / 32)))
        head = min(ARROW_HEAD * np.hypot(dx, dy), side / 4)
        ux, uy = dx / np.hypot(dx, dy), -dy / np.hypot(dx, dy)
        left = (tip[0] - head * (ux - 0.5 * uy), tip[1] - head * (uy + 0.5 * ux))
        right = (tip[0] - head * (ux + 0.5 * uy), tip[1] - head * (uy - 0.5 * ux))
        draw.polygon([tip, left, right], fill=ARROW_COLOR)
    else:
        draw.ellipse([cx - 1, cy - 1, cx + 1, cy + 1], fill=ARROW_COLOR)
    bar_h = bars_h // max(1, extra)
    for k in range(max(0, extra)):
        top = height - bars_h + k * bar_h
        draw.line([(width / 2, top), (width / 2, top + bar_h - 1)], fill=GUIDE_COLOR)
        scale = scales[1 + k]
        if scale > 0 and action[PLANAR + k] != 0:
            end = width / 2 + action[PLANAR + k] / scale * width * (0.5 - MARGIN)
            draw.rectangle([min(width / 2, end), top + 1, max(width / 2, end), top + bar_h - 2],
                           fill=BAR_COLORS[k % len(BAR_COLORS)])
    return np.asarray(image)


def incoming_action_panels(actions: Union[np.ndarray, torch.Tensor], num_frames: int,
                           height: int, width: int) -> list:
    """Panels for frames 0..num_frames-1: frame t gets the action of frame t - 1 (the move that
    leads to it); frame 0 a blank panel. ``actions`` is [T, A] with T >= num_frames - 1."""
    x = as_action_array(actions)
    if len(x) < num_frames - 1:
        raise DataError(f'actions has {len(x)} rows; {num_frames} frames need at least '
                        f'{num_frames - 1} (one per frame, the last may be left out)')
    used = x[:num_frames - 1]
    scales = _scales(used) if len(used) else np.zeros(x.shape[1] - PLANAR + 1)
    return [action_panel(None if t == 0 else used[t - 1], scales, height, width)
            for t in range(num_frames)]
