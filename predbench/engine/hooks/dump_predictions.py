"""Save every test clip's prediction and per-frame metrics (``tools/test.py --out FILE``)."""
import io
import os.path as osp
from typing import Sequence

import numpy as np
import torch
from mmengine.dist import collect_results, get_world_size, is_main_process
from mmengine.hooks import Hook

from ...registry import HOOKS
from ..checkpoint_io import atomic_write_bytes

PER_SEQUENCE_METRICS = ('mse', 'mae', 'psnr', 'ssim')


@HOOKS.register_module()
class DumpPredictionsHook(Hook):
    """Collect predictions (float16, clipped to [0, 1]) and per-sequence metrics into an .npz.

    Keys: ``index`` [N] (dataset index), ``pred`` [N, T_out, C, H, W] float16, and
    ``<metric>`` [N, T_out] float64 for each of ``metrics`` under the ``'predbench'``
    convention. Results from all ranks are gathered in dataset order, padding dropped.
    """

    priority = 'LOW'

    def __init__(self, out_file: str, metrics: Sequence[str] = PER_SEQUENCE_METRICS,
                 save_predictions: bool = True) -> None:
        if not out_file.endswith('.npz'):
            out_file += '.npz'
        self.out_file = out_file
        self.metrics = tuple(metrics)
        self.save_predictions = save_predictions
        self._records = []

    def before_test(self, runner) -> None:
        self._records = []

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        from ...evaluation.functional import frame_metrics
        pred = torch.stack([o['pred'] for o in outputs])
        gt = torch.stack([o['gt'] for o in outputs])
        values = frame_metrics(pred, gt, self.metrics)
        clipped = pred.clamp(0, 1).to(torch.float16).cpu().numpy()
        for b, out in enumerate(outputs):
            record = {name: values[name][b].cpu().numpy() for name in self.metrics}
            record['index'] = -1 if out.get('index') is None else int(out['index'])
            if self.save_predictions:
                record['pred'] = clipped[b]
            self._records.append(record)

    def after_test_epoch(self, runner, metrics=None) -> None:
        size = len(runner.test_dataloader.dataset)
        records = self._records
        if get_world_size() > 1:
            records = collect_results(records, size)
        if not is_main_process():
            return
        records = sorted(records, key=lambda r: r['index'])
        arrays = {'index': np.array([r['index'] for r in records], dtype=np.int64)}
        for name in self.metrics:
            arrays[name] = np.stack([r[name] for r in records])
        if self.save_predictions and records:
            arrays['pred'] = np.stack([r['pred'] for r in records])
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(buffer.getvalue(), osp.abspath(self.out_file))
        runner.logger.info(f'saved {len(records)} predictions and per-frame metrics to '
                           f'{self.out_file}')
        self._records = []
