"""Datasets: Moving MNIST (generated, sprites, fixed test set, original npz) and KTH action.

Importing this package registers ``MovingMNIST``, ``KTHAction`` and the training sampler
``ResumableInfiniteSampler`` in predbench's registries.
"""
from .kth import KTHAction
from .moving_mnist import MovingMNIST
from .samplers import ResumableInfiniteSampler

__all__ = ['KTHAction', 'MovingMNIST', 'ResumableInfiniteSampler']
