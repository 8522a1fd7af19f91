"""Every clip's prediction and per-sequence metric values in one .npz, written as they come.

``VideoMetric(out_file=...)`` (``tools/test.py --out``) uses this. Each rank appends its clips'
predictions (float16, clipped to [0, 1]) to a shard file beside ``out_file`` as the batches come,
and notes in each clip's small result record where the prediction lies (rank, position). Those
records travel to rank 0 with the metric's other results (MMEngine's ``collect_results``, which
drops the sampler's padding); rank 0 then writes the .npz member by member in dataset order,
copying each prediction from its shard. No process ever holds all predictions in memory.

The .npz holds ``index`` [N] int64 (dataset index; -1 where the dataset gives none),
``pred`` [N, T, C, H, W] float16 and, per metric, ``<name>`` [N, T] float64: the per-sequence
values the metric averaged, under its convention. Shards must lie on a file system every rank
sees (as ``collect_results``' ``collect_dir`` must).
"""
import os
import os.path as osp
import zipfile
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np
import torch

from ..utils.errors import DataError

PRED_DTYPE = np.float16


def npz_path(out_file: str) -> str:
    """``out_file`` with the ``.npz`` suffix numpy would give it."""
    return out_file if out_file.endswith('.npz') else out_file + '.npz'


def shard_path(out_file: str, rank: int) -> str:
    """Where rank ``rank`` streams its predictions before rank 0 assembles ``out_file``."""
    folder, name = osp.split(osp.abspath(out_file))
    return osp.join(folder, f'.{name}.rank{rank}.part')


class PredictionShard:
    """One rank's predictions, appended to its shard file batch by batch."""

    def __init__(self, out_file: str, rank: int) -> None:
        self.path = shard_path(out_file, rank)
        self.rank = rank
        self._file = None
        self._count = 0

    def append(self, pred: torch.Tensor) -> List[Tuple[int, int, Tuple[int, ...]]]:
        """Write clips [B, T, C, H, W] (clipped, float16); their (rank, position, shape) each."""
        clips = pred.detach().clamp(0, 1).to(torch.float16).cpu().numpy()
        if self._file is None:  # the first batch of an evaluation: start the shard afresh
            os.makedirs(osp.dirname(self.path), exist_ok=True)
            self._file = open(self.path, 'wb')
            self._count = 0
        self._file.write(np.ascontiguousarray(clips).tobytes())
        first, self._count = self._count, self._count + len(clips)
        return [(self.rank, first + b, tuple(clips.shape[1:])) for b in range(len(clips))]

    def close(self) -> None:
        """Flush the shard to disk (before the ranks' results are gathered)."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


def _shard_arrays(out_file: str, places: Sequence[Tuple[int, int, Tuple[int, ...]]]
                  ) -> Dict[int, np.ndarray]:
    """Each rank's shard as a read-only memory map [clips, T, C, H, W]."""
    shapes = {tuple(p[2]) for p in places}
    if len(shapes) != 1:
        raise DataError(f'out_file needs predictions of one shape, got {sorted(shapes)}')
    shape = shapes.pop()
    clip_bytes = int(np.prod(shape)) * np.dtype(PRED_DTYPE).itemsize
    maps = {}
    for rank in sorted({p[0] for p in places}):
        path = shard_path(out_file, rank)
        if not osp.isfile(path):
            raise DataError(f'the predictions of rank {rank} ({path}) are missing: out_file '
                            f'must lie on a file system every rank shares')
        count = osp.getsize(path) // clip_bytes
        maps[rank] = np.memmap(path, dtype=PRED_DTYPE, mode='r', shape=(count, *shape))
    return maps


def _write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with archive.open(f'{name}.npy', 'w', force_zip64=True) as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)


def _write_streamed_member(archive: zipfile.ZipFile, name: str, shape: Tuple[int, ...],
                           dtype: np.dtype, parts: Iterable[np.ndarray]) -> None:
    """An .npy member of ``shape`` written part by part (parts in C order, concatenated)."""
    header = {'descr': np.lib.format.dtype_to_descr(np.dtype(dtype)),
              'fortran_order': False, 'shape': tuple(shape)}
    with archive.open(f'{name}.npy', 'w', force_zip64=True) as f:
        np.lib.format.write_array_header_1_0(f, header)
        for part in parts:
            f.write(np.ascontiguousarray(part, dtype=dtype).tobytes())


def write_prediction_npz(out_file: str, records: Sequence[dict], metric_names: Sequence[str],
                         world_size: int) -> str:
    """Write the .npz of ``records`` (one per clip, in the order given) and remove the shards.

    Each record holds ``index``, the per-frame values of ``metric_names`` and ``pred_at``
    (rank, position, shape) from :meth:`PredictionShard.append`. Written to a temporary file
    and renamed, so an interrupted run never leaves a partial .npz under the final name.
    """
    path = npz_path(out_file)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    places = [r['pred_at'] for r in records]
    maps = _shard_arrays(out_file, places)
    index = [-1 if r.get('index') is None else int(r['index']) for r in records]
    partial = path + '.part'
    with zipfile.ZipFile(partial, 'w', zipfile.ZIP_STORED, allowZip64=True) as archive:
        _write_member(archive, 'index', np.array(index, dtype=np.int64))
        for name in metric_names:
            _write_member(archive, name, np.stack([np.asarray(r[name], np.float64)
                                                   for r in records]))
        _write_streamed_member(archive, 'pred', (len(records), *places[0][2]), PRED_DTYPE,
                               (maps[rank][position] for rank, position, _ in places))
    maps.clear()
    os.replace(partial, path)
    remove_shards(out_file, world_size)
    return path


def remove_shards(out_file: str, world_size: int) -> None:
    """Delete the shard files of every rank."""
    for rank in range(world_size):
        try:
            os.remove(shard_path(out_file, rank))
        except FileNotFoundError:
            pass
