"""Datasets: Moving MNIST (generated, sprites, test set, original npz), KTH action, BAIR robot
pushing, your own videos.

Importing this package registers the datasets ``GeneratedMovingMNIST``, ``MovingDigits``,
``MovingMNISTTestSeq``, ``MovingMNISTNpz`` (and the ``MovingMNIST`` factory that picks one of them
by ``source``), ``KTHAction``, ``BAIRPush``, ``VideoFolder`` (a folder of your own videos), and the
training sampler ``ResumableInfiniteSampler``.
"""
from .bair import BAIRPush
from .kth import KTHAction
from .moving_mnist import (GeneratedMovingMNIST, MovingDigits, MovingMNIST, MovingMNISTBase,
                           MovingMNISTNpz, MovingMNISTTestSeq)
from .samplers import ResumableInfiniteSampler
from .video_folder import VideoFolder

__all__ = ['BAIRPush', 'KTHAction', 'GeneratedMovingMNIST', 'MovingDigits', 'MovingMNIST',
           'MovingMNISTBase', 'MovingMNISTNpz', 'MovingMNISTTestSeq', 'ResumableInfiniteSampler',
           'VideoFolder']
