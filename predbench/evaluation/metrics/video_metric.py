"""MSE, MAE, PSNR, SSIM and LPIPS of predicted frames, per predicted frame and averaged."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from ...registry import METRICS
from ...utils.errors import ConfigError, DataError
from ..conventions import METRIC_NAMES, check_metric_names, get_convention
from ..functional import frame_metrics, reduce_frame_metrics
from ..lpips_model import build_lpips, check_lpips_weights


def frame_key(name: str, t: int, num_frames: int) -> str:
    """Key of metric ``name`` at predicted frame ``t`` (1-based): ``mse_t01`` .. ``mse_t20``."""
    width = max(2, len(str(num_frames)))
    return f'{name}_t{t:0{width}d}'


@METRICS.register_module()
class VideoMetric(BaseMetric):
    """Per-frame and mean metrics of a video predictor's ``predict`` outputs.

    Keys: ``<prefix>/<name>`` (mean over predicted frames) and, with ``per_frame``,
    ``<prefix>/<name>_tNN`` for predicted frame NN (1-based, at least two digits).
    Predictions are clipped to [0, 1] first (except OpenSTL's MSE/MAE, see docs/metrics.md).

    Args:
        metric_names: names among ``mse, mae, psnr, ssim, lpips`` (not ``metrics``: MMEngine
            would take a dict with a ``metrics`` key for an Evaluator's config).
        convention: ``'predbench'`` (default), ``'thuml'`` (what the original release prints)
            or ``'openstl'`` (what OpenSTL prints); see docs/metrics.md.
        thuml_batch_size: the original's test batch size; with ``'thuml'``, PSNR and LPIPS
            are averaged per batch of this many consecutive clips (dataset order), then over
            batches, so a partial last batch weighs as much as a full one. None: one batch.
        per_frame: also report the per-frame keys.
        lpips_pretrained_backbone: False uses a random AlexNet (tests; no weights needed).
        collect_device, prefix, collect_dir: as in MMEngine's ``BaseMetric``.
    """
    default_prefix: Optional[str] = 'video'

    def __init__(self, metric_names: Sequence[str] = METRIC_NAMES, convention: str = 'predbench',
                 thuml_batch_size: Optional[int] = None, per_frame: bool = True,
                 lpips_pretrained_backbone: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None, collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.metrics = check_metric_names(metric_names)
        self.convention = get_convention(convention)
        if thuml_batch_size is not None and (convention != 'thuml' or thuml_batch_size < 1):
            raise ConfigError(f'thuml_batch_size={thuml_batch_size}: it must be >= 1 and only '
                              f'applies to convention=\'thuml\' (got {convention!r})')
        self.thuml_batch_size = thuml_batch_size
        self.per_frame = bool(per_frame)
        self.lpips_pretrained_backbone = bool(lpips_pretrained_backbone)
        # Evaluators are built when the loops are, before the first training iteration: a
        # missing LPIPS checkpoint stops the run here rather than at the first validation.
        if 'lpips' in self.metrics and self.lpips_pretrained_backbone:
            check_lpips_weights(metric_names=self.metrics)
        self._lpips_net: Optional[torch.nn.Module] = None

    def _lpips_on(self, device: torch.device) -> Optional[torch.nn.Module]:
        """The LPIPS network on ``device``, built once (on first use) and moved if needed."""
        if 'lpips' not in self.metrics:
            return None
        if self._lpips_net is None:
            self._lpips_net = build_lpips(self.lpips_pretrained_backbone, device=device)
        elif next(self._lpips_net.parameters()).device != device:
            self._lpips_net.to(device)
        return self._lpips_net

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store one small record per clip: its dataset index and per-frame values."""
        try:
            pred = torch.stack([torch.as_tensor(s['pred']) for s in data_samples])
            gt = torch.stack([torch.as_tensor(s['gt']) for s in data_samples]).to(pred.device)
        except (KeyError, TypeError) as err:
            raise DataError(f'VideoMetric expects the model\'s predict outputs (dicts with '
                            f'pred and gt [T, C, H, W]), got {type(data_samples[0]).__name__}'
                            ) from err
        values = frame_metrics(pred, gt, self.metrics, self.convention,
                               self._lpips_on(pred.device))
        values = {name: value.cpu().numpy() for name, value in values.items()}
        for b, sample in enumerate(data_samples):
            # One record per clip (not per batch), so that collect_results' interleaving of
            # ranks and its truncation to the dataset size drop exactly the padded clips.
            record = {name: value[b] for name, value in values.items()}
            record['index'] = sample.get('index')
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the gathered records to per-frame and mean metrics (main process only)."""
        if all(r.get('index') is not None for r in results):
            results = sorted(results, key=lambda r: int(r['index']))
        stacked = {name: np.stack([r[name] for r in results]) for name in self.metrics}
        per_frame = reduce_frame_metrics(stacked, self.convention, self.thuml_batch_size)
        out = {name: float(per_frame[name].mean()) for name in self.metrics}
        if self.per_frame:
            for name in self.metrics:
                steps = len(per_frame[name])
                for t, value in enumerate(per_frame[name], start=1):
                    out[frame_key(name, t, steps)] = float(value)
        return out
