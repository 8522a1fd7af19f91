"""predbench's Visualizer: pictures of predicted clips and per-frame metric curves, sent to every
vis backend of the config (local PNGs, TensorBoard, Weights & Biases, MLflow, ...)."""
from typing import Any, Mapping, Optional

import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from ..registry import VISUALIZERS
from ..utils.errors import DataError
from .metric_curves import PerFrameSeries, per_frame_image
from .sequence import ArrayLike, save_image, sequence_grid


def _field(data_sample: Any, key: str):
    """``data_sample[key]`` of a dict (predictor output) or a data element; None if absent."""
    if isinstance(data_sample, Mapping):
        return data_sample.get(key)
    return getattr(data_sample, key, None)


@VISUALIZERS.register_module()
class VideoPredictionVisualizer(Visualizer):
    """Draws what a video predictor did and hands the picture to every vis backend.

    ``add_datasample`` draws one clip as a labelled grid: the observed frames, then rows truth,
    prediction and |error| over the predicted frames (see :func:`sequence_grid`), and, for
    clips with ``actions`` (robot data), a row with the action leading to each frame.
    ``add_per_frame_metrics`` draws each metric against the predicted frame index. Both call
    ``add_image(name, image, step)``: the ``LocalVisBackend`` writes
    ``<save_dir>/vis_image/<name>_<step>.png``, ``TensorboardVisBackend`` an image event, W&B
    and MLflow an image of the run. Only rank 0 draws.
    """

    @master_only
    def add_datasample(self, name: str, image: Optional[ArrayLike] = None,
                       data_sample: Any = None, draw_gt: bool = True, draw_pred: bool = True,
                       show: bool = False, wait_time: float = 0, out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw a clip's grid, send it to the backends and return it as uint8 RGB [H, W, 3].

        Args:
            name: the image's name in the backends (local file ``<name>_<step>.png``).
            image: the observed frames [T_in, C, H, W]; None: ``data_sample['input']``.
            data_sample: the predictor's output for one clip, a dict (or data element) with
                ``pred`` [T_out, C, H, W] and ``gt`` (``input`` and ``actions`` [T, A]
                optional).
            draw_gt: draw the truth and |error| rows (needs ``gt``).
            draw_pred: must be True; a grid without the prediction shows nothing predicted.
            show: also show the grid in a window.
            wait_time: seconds the window stays when ``show``.
            out_file: also write the grid to this PNG file.
            step: the training iteration the picture belongs to.
        """
        if not draw_pred:
            raise DataError('VideoPredictionVisualizer.add_datasample draws the prediction; '
                            'draw_pred=False leaves nothing to draw')
        pred = _field(data_sample, 'pred')
        if pred is None:
            raise DataError(f'add_datasample({name!r}): the data sample has no "pred" frames')
        observed = image if image is not None else _field(data_sample, 'input')
        gt = _field(data_sample, 'gt') if draw_gt else None
        grid = sequence_grid(observed, gt, pred, actions=_field(data_sample, 'actions'))
        if show:
            self.show(grid, win_name=name, wait_time=wait_time)
        if out_file is not None:
            save_image(grid, out_file)
        self.add_image(name, grid, step)
        return grid

    @master_only
    def add_per_frame_metrics(self, name: str, series: PerFrameSeries,
                              step: int = 0) -> Optional[np.ndarray]:
        """Draw the per-frame curves ``{prefix: {metric: [v_1, ...]}}`` and send them as an image.

        Returns the image, or None (nothing sent) when no metric has per-frame values.
        """
        image = per_frame_image(series)
        if image is not None:
            self.add_image(name, image, step)
        return image
