"""MSE, MAE, PSNR, SSIM and LPIPS of predicted frames, per predicted frame and averaged, and FVD
of the whole set."""
import math
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ...registry import METRICS
from ...utils.errors import ConfigError, DataError
from ..conventions import get_convention
from ..frechet import GaussianMoments
from ..functional import frame_metrics, reduce_frame_metrics
from ..fvd_model import build_fvd_net, check_fvd_weights
from ..inputs import as_clips
from ..lpips_model import build_lpips, check_lpips_weights
from ..metric_table import (DEFAULT_METRIC_NAMES, FRAME, SET, check_metric_names,
                            names_at_level)
from ..prediction_dump import PredictionShard, write_prediction_npz


def frame_key(name: str, t: int, num_frames: int) -> str:
    """Key of metric ``name`` at predicted frame ``t`` (1-based): ``mse_t01`` .. ``mse_t20``."""
    width = max(2, len(str(num_frames)))
    return f'{name}_t{t:0{width}d}'


class RankMoments:
    """One rank's moments of a set-level metric's per-clip features, its last clips held back
    until :meth:`finish` knows which of them are the sampler's padding.

    MMEngine's ``DefaultSampler`` pads the last round with repeated clips (fewer than the world
    size, at most one per rank, each rank's last) and ``collect_results`` drops them from the
    per-clip records by position: rank r's k-th clip is clip ``k * world_size + r`` of the
    gathered list, which is cut to the dataset size. The sums must drop the same clips.
    """

    def __init__(self, held: int) -> None:
        self.held = held
        self.moments: Optional[GaussianMoments] = None
        self.recent: Deque[torch.Tensor] = deque()
        self.count = 0

    def add(self, features: torch.Tensor) -> None:
        """Add the clips' features [B, G, D]; the last ``held`` wait in :attr:`recent`."""
        self.recent.extend(features.detach().to('cpu', torch.float64))
        self.count += len(features)
        settled = len(self.recent) - self.held
        if settled > 0:
            part = GaussianMoments.of(torch.stack([self.recent.popleft()
                                                   for _ in range(settled)]))
            self.moments = GaussianMoments.total_of([self.moments, part])

    def finish(self, size: int, rank: int, world_size: int) -> Optional[GaussianMoments]:
        """The moments of this rank's clips that ``collect_results(size)`` keeps."""
        kept = max(0, min(self.count, math.ceil((size - rank) / world_size)))
        padded = self.count - kept
        if padded > len(self.recent):
            raise DataError(f'rank {rank} evaluated {self.count} clips of a set of {size} on '
                            f'{world_size} processes: more padding than MMEngine\'s '
                            f'DefaultSampler adds; set-level metrics need that sampler')
        last = list(self.recent)[:len(self.recent) - padded]
        part = GaussianMoments.of(torch.stack(last)) if last else None
        return GaussianMoments.total_of([self.moments, part])


@METRICS.register_module()
class VideoMetric(BaseMetric):
    """Per-frame and mean metrics of a video predictor's ``predict`` outputs.

    Keys: ``<prefix>/<name>`` (mean over predicted frames) and, with ``per_frame``,
    ``<prefix>/<name>_tNN`` for predicted frame NN (1-based, at least two digits); a set-level
    metric (``metric_table.py``, FVD) has its one key ``<prefix>/<name>``.
    Predictions are clipped to [0, 1] first (except OpenSTL's MSE/MAE, see docs/metrics.md).

    Args:
        metric_names: names among ``mse, mae, psnr, ssim, lpips, fvd``; default: all but
            ``fvd`` (not ``metrics``: MMEngine would take a dict with a ``metrics`` key for an
            Evaluator's config).
        convention: ``'predbench'`` (default), ``'thuml'`` (what the original release prints)
            or ``'openstl'`` (what OpenSTL prints); see docs/metrics.md.
        thuml_batch_size: the original's test batch size; with ``'thuml'``, PSNR and LPIPS
            are averaged per batch of this many consecutive clips (dataset order), then over
            batches, so a partial last batch weighs as much as a full one. None: one batch.
        per_frame: also report the per-frame keys.
        lpips_pretrained_backbone: False uses a random AlexNet (tests; no weights needed).
        fvd_model: FVD's I3D TorchScript file (default: ``i3d_torchscript.pt`` in
            ``torch.hub.get_dir()/checkpoints``; docs/metrics.md says where to get it), or with
            ``fvd_arch`` a state dict. FVD compares observed + true with observed + predicted
            clips: the ``predict`` outputs must carry ``input``.
        fvd_arch: for a state-dict ``fvd_model``: the config of its network, an ``nn.Module``
            registered in ``MODELS`` called as the I3D file is (``fvd_model.py``).
        out_file: also save every clip's prediction (float16, clipped) and per-sequence values
            of the per-frame metrics, as computed here, to this .npz, streamed to disk batch by
            batch (``prediction_dump.py``; ``tools/test.py --out`` sets it).
        collect_device, prefix, collect_dir: as in MMEngine's ``BaseMetric``.
    """
    default_prefix: Optional[str] = 'video'

    def __init__(self, metric_names: Sequence[str] = DEFAULT_METRIC_NAMES,
                 convention: str = 'predbench', thuml_batch_size: Optional[int] = None,
                 per_frame: bool = True, lpips_pretrained_backbone: bool = True,
                 fvd_model: Optional[str] = None, fvd_arch: Optional[dict] = None,
                 out_file: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.metrics = check_metric_names(metric_names)
        self.frame_level = names_at_level(self.metrics, FRAME)
        self.set_level = names_at_level(self.metrics, SET)
        self.out_file = out_file
        self._shard: Optional[PredictionShard] = None
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
        self.fvd_model, self.fvd_arch = fvd_model, fvd_arch
        check_fvd_weights(metric_names=self.metrics, fvd_model=fvd_model, fvd_arch=fvd_arch)
        self._lpips_net: Optional[torch.nn.Module] = None
        self._fvd_net: Optional[torch.nn.Module] = None
        self._rank_moments: Dict[str, RankMoments] = {}
        # The set-level moments of the last evaluation, summed over ranks.
        self._set_moments: Dict[str, Optional[GaussianMoments]] = {}

    def _network_on(self, attr: str, build: Callable[[torch.device], torch.nn.Module],
                    device: torch.device) -> torch.nn.Module:
        """The network kept in ``attr`` on ``device``: built once (on first use), moved if
        needed."""
        net = getattr(self, attr)
        if net is None:
            net = build(device)
            setattr(self, attr, net)
        elif next(iter(net.parameters()), torch.empty(0, device=device)).device != device:
            net.to(device)
        return net

    def _lpips_on(self, device: torch.device) -> Optional[torch.nn.Module]:
        """The LPIPS network on ``device`` (None when LPIPS is not computed)."""
        if 'lpips' not in self.metrics:
            return None
        return self._network_on(
            '_lpips_net', lambda d: build_lpips(self.lpips_pretrained_backbone, device=d), device)

    def _fvd_on(self, device: torch.device) -> Optional[torch.nn.Module]:
        """FVD's I3D network on ``device`` (None when FVD is not computed)."""
        if 'fvd' not in self.metrics:
            return None
        return self._network_on(
            '_fvd_net', lambda d: build_fvd_net(self.fvd_model, device=d, arch=self.fvd_arch),
            device)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store one small record per clip: its dataset index and per-frame values; add the
        set-level features to this rank's moments (and, with ``out_file``, write the
        predictions to this rank's shard)."""
        if not data_samples:
            raise DataError('VideoMetric got an empty batch: the model returned no clips')
        try:
            pred = torch.stack([torch.as_tensor(s['pred']) for s in data_samples])
            gt = torch.stack([torch.as_tensor(s['gt']) for s in data_samples]).to(pred.device)
        except (KeyError, TypeError) as err:
            raise DataError(f'VideoMetric expects the model\'s predict outputs (dicts with '
                            f'pred and gt [T, C, H, W]), got {type(data_samples[0]).__name__}'
                            ) from err
        observed = self._observed(data_samples, pred.device) if self.set_level else None
        values = frame_metrics(pred, gt, self.metrics, self.convention,
                               self._lpips_on(pred.device), observed=observed,
                               fvd_net=self._fvd_on(pred.device))
        for name in self.set_level:
            if name not in self._rank_moments:
                self._rank_moments[name] = RankMoments(held=get_world_size())
            self._rank_moments[name].add(values.pop(name))
        values = {name: value.cpu().numpy() for name, value in values.items()}
        places = self._dump(pred) if self.out_file else None
        for b, sample in enumerate(data_samples):
            # One record per clip (not per batch), so that collect_results' interleaving of
            # ranks and its truncation to the dataset size drop exactly the padded clips.
            record = {name: value[b] for name, value in values.items()}
            record['index'] = sample.get('index')
            if places:
                record['pred_at'] = places[b]
            self.results.append(record)

    def _observed(self, data_samples: Sequence[dict], device: torch.device
                  ) -> Optional[torch.Tensor]:
        """The observed frames of the batch [B, T_in, C, H, W] (FVD's clips begin with them),
        None when the outputs do not carry them."""
        if not all(isinstance(s, dict) and s.get('input') is not None for s in data_samples):
            if 'fvd' in self.metrics:
                raise DataError('FVD compares whole clips (observed + predicted frames): the '
                                'model\'s predict outputs need input [T_in, C, H, W] beside '
                                'pred and gt, as VideoPredictor.predict gives')
            return None
        return torch.stack([torch.as_tensor(s['input']) for s in data_samples]).to(device)

    def _dump(self, pred: torch.Tensor) -> list:
        """Append the batch's predictions to this rank's shard: (rank, position, shape) each."""
        if self._shard is None:
            self._shard = PredictionShard(self.out_file, get_rank())
        return self._shard.append(as_clips(pred, 'pred'))

    def evaluate(self, size: int) -> dict:
        """MMEngine's gathering and reduction, with this rank's shard complete on disk and the
        set-level moments summed over ranks (without the sampler's padding) first."""
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        rank, world_size = get_rank(), get_world_size()
        for name in self.set_level:
            part = self._rank_moments.pop(name, RankMoments(world_size))
            # Every rank takes part; the sum runs in rank order, the same on every rank.
            parts = all_gather_object(part.finish(size, rank, world_size))
            self._set_moments[name] = GaussianMoments.total_of(parts)
        return super().evaluate(size)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the gathered records to per-frame and mean metrics (main process only)."""
        if all(r.get('index') is not None for r in results):
            results = sorted(results, key=lambda r: int(r['index']))
        stacked = {name: np.stack([r[name] for r in results]) for name in self.frame_level}
        for name in self.set_level:
            if self._set_moments.get(name) is None:
                raise DataError(f'{name} needs at least 2 clips, got none')
            stacked[name] = self._set_moments.pop(name)
        reduced = reduce_frame_metrics(stacked, self.convention, self.thuml_batch_size)
        # The mean over predicted frames (a set-level metric's one value stays as it is).
        out = {name: float(np.mean(reduced[name])) for name in self.metrics}
        if self.per_frame:
            for name in self.frame_level:
                steps = len(reduced[name])
                for t, value in enumerate(reduced[name], start=1):
                    out[frame_key(name, t, steps)] = float(value)
        if self.out_file:
            path = write_prediction_npz(self.out_file, results, self.frame_level,
                                        get_world_size())
            print_log(f'saved {len(results)} predictions and per-sequence metrics to {path}',
                      logger='current')
        return out
