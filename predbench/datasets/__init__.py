"""Datasets: Moving MNIST (generated, sprites, fixed test set, original npz), KTH action and
BAIR robot pushing.

Importing this package registers the datasets ``GeneratedMovingMNIST``, ``MovingDigits``,
``MovingMNISTTestSeq``, ``MovingMNISTNpz`` (and the ``MovingMNIST`` factory that picks one of them
by ``source``), ``KTHAction``, ``BAIRPush``, and the training sampler ``ResumableInfiniteSampler``.
"""
from .bair import BAIRPush
from .kth import KTHAction
from .moving_mnist import (GeneratedMovingMNIST, MovingDigits, MovingMNIST, MovingMNISTBase,
                           MovingMNISTNpz, MovingMNISTTestSeq)
from .samplers import ResumableInfiniteSampler

__all__ = ['BAIRPush', 'KTHAction', 'GeneratedMovingMNIST', 'MovingDigits', 'MovingMNIST',
           'MovingMNISTBase', 'MovingMNISTNpz', 'MovingMNISTTestSeq', 'ResumableInfiniteSampler']
