"""Tiny datasets in the real on-disk formats for the tool tests."""
import cv2
import numpy as np
import pytest

from predbench.datasets.mnist_idx import write_idx_images


@pytest.fixture(scope='session')
def mmnist_root(tmp_path_factory) -> str:
    """train-images-idx3-ubyte.gz with 100 blob digits and a mnist_test_seq.npy of 8 clips."""
    root = tmp_path_factory.mktemp('moving_mnist')
    rng = np.random.default_rng(0)
    digits = np.zeros((100, 28, 28), np.uint8)
    for i, d in enumerate(digits):
        cv2.circle(d, (int(rng.integers(8, 20)), int(rng.integers(8, 20))), 6, 255, -1)
    write_idx_images(str(root / 'train-images-idx3-ubyte.gz'), digits)
    test_seq = (rng.random((20, 8, 64, 64)) * 255).astype(np.uint8)
    np.save(root / 'mnist_test_seq.npy', test_seq)
    return str(root)


@pytest.fixture(scope='session')
def kth_root(tmp_path_factory) -> str:
    """Frame folders of persons 01 (train) and 17 (test), two actions, 52 frames each."""
    root = tmp_path_factory.mktemp('kth')
    rng = np.random.default_rng(1)
    for person in (1, 17):
        for action in ('boxing', 'running'):
            name = f'person{person:02d}_{action}_d1_uncomp'
            folder = root / action / name
            folder.mkdir(parents=True)
            for n in range(1, 53):
                frame = (rng.random((120, 160)) * 255).astype(np.uint8)
                cv2.imwrite(str(folder / f'image_{n:04d}.png'), cv2.merge([frame] * 3))
    return str(root)
