"""An iteration-based training loop that resumes without replaying the data already seen."""
import logging

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


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """MMEngine's IterBasedTrainLoop; on resume it moves the sampler instead of loading batches.

    With :class:`~predbench.datasets.samplers.ResumableInfiniteSampler`, a resumed run sees
    exactly the batches the uninterrupted run would have seen, at no cost. Other samplers fall
    back to MMEngine's behaviour (pulling the skipped batches through the dataloader).
    """

    def run(self):
        """Launch training (same hooks and validation schedule as MMEngine's loop)."""
        if self._iter > 0:
            sampler = _sampler_of(self.dataloader)
            if sampler is not None:
                sampler.skip(self._iter * self.dataloader.batch_size)
                self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
                print_log(f'Resuming at iteration {self._iter}: the sampler skips '
                          f'{self._iter * self.dataloader.batch_size} samples per rank',
                          logger='current', level=logging.INFO)
                return self._run_from_current_position()
        return super().run()

    def _run_from_current_position(self):
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
