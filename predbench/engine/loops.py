"""An iteration-based training loop that resumes without replaying the data already seen."""
import logging
from typing import Any, Iterator

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator

from ..registry import LOOPS


def _sampler_of(dataloader):
    sampler = getattr(dataloader, 'sampler', None)
    if hasattr(sampler, 'skip'):
        return sampler
    batch_sampler = getattr(dataloader, 'batch_sampler', None)
    sampler = getattr(batch_sampler, 'sampler', None)
    return sampler if hasattr(sampler, 'skip') else None


class _SkippedBatches:
    """An iterator whose first ``count`` items are placeholders, then those of ``iterator``.

    MMEngine's loop resumes by calling ``next`` once per iteration already trained; after the
    sampler has jumped, those calls must not load (and discard) real batches.
    """

    def __init__(self, iterator: Iterator, count: int) -> None:
        self._iterator = iterator
        self._remaining = int(count)

    def __iter__(self) -> '_SkippedBatches':
        return self

    def __next__(self) -> Any:
        if self._remaining > 0:
            self._remaining -= 1
            return None
        return next(self._iterator)


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """MMEngine's IterBasedTrainLoop; on resume it moves the sampler instead of loading batches.

    With :class:`~predbench.datasets.samplers.ResumableInfiniteSampler`, a resumed run sees
    exactly the batches the uninterrupted run would have seen, at no cost. MMEngine's own ``run``
    does the rest (hooks, validation schedule), so nothing of it is copied here. Other samplers
    fall back to MMEngine's behaviour (pulling the skipped batches through the dataloader).
    """

    def run(self):
        """Launch training (MMEngine's loop, after the sampler has jumped on resume)."""
        sampler = _sampler_of(self.dataloader) if self._iter > 0 else None
        if sampler is not None:
            skipped = self._iter * self.dataloader.batch_size
            sampler.skip(skipped)
            self.dataloader_iterator = _SkippedBatches(
                _InfiniteDataloaderIterator(self.dataloader), self._iter)
            print_log(f'Resuming at iteration {self._iter}: the sampler skips {skipped} samples '
                      f'per rank without loading them', logger='current', level=logging.INFO)
        return super().run()
