"""An infinite training sampler whose position is a pure function of the iteration.

MMEngine's IterBasedTrainLoop resumes by pulling (and loading) every batch already trained on;
this sampler instead jumps straight to the resumed position (:meth:`skip`), and yields the same
indices an uninterrupted run would have yielded, on every rank.
"""
from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from ..registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ResumableInfiniteSampler(Sampler):
    """Endless shuffled epochs, split across ranks, resumable without replaying data.

    The global stream is epoch 0's permutation, then epoch 1's, ...; rank r takes stream elements
    r, r + world_size, ... Datasets that generate clips on the fly (``fresh_draws = True``)
    receive ``epoch * len(dataset) + i`` so that every epoch draws new clips.

    Args:
        dataset: the training dataset.
        shuffle: permute each epoch (seeded by ``seed + epoch``).
        seed: defaults to a seed shared by all ranks (the run's ``randomness.seed`` when set).
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, self.world_size = get_dist_info()
        self.size = len(dataset)
        self.fresh = bool(getattr(dataset, 'fresh_draws', False))
        self.start = 0

    def skip(self, num_samples: int) -> None:
        """Start the next iteration after ``num_samples`` samples of this rank."""
        self.start = int(num_samples)

    def _permutation(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.size)
        return np.random.default_rng([self.seed, epoch]).permutation(self.size)

    def __iter__(self) -> Iterator[int]:
        k = self.start
        epoch, perm = -1, None
        while True:
            stream_pos = k * self.world_size + self.rank
            this_epoch, pos = divmod(stream_pos, self.size)
            if this_epoch != epoch:
                epoch, perm = this_epoch, self._permutation(this_epoch)
            index = int(perm[pos])
            yield epoch * self.size + index if self.fresh else index
            k += 1

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Epochs are implicit in the stream position; kept for MMEngine's interface."""
