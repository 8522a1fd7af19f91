"""IDX digit files: parsed with numpy, checked, and written back identically."""
import gzip
import struct

import numpy as np
import pytest

from predbench.datasets.mnist_idx import IDX_IMAGES_MAGIC, read_idx_images, write_idx_images
from predbench.utils.errors import DataError


def test_round_trip_gzipped_and_plain(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(3, 28, 28)
    for name in ('d-idx3-ubyte.gz', 'd-idx3-ubyte'):
        write_idx_images(str(tmp_path / name), images)
        np.testing.assert_array_equal(read_idx_images(str(tmp_path / name)), images)
    with gzip.open(tmp_path / 'd-idx3-ubyte.gz') as f:
        assert struct.unpack('>iiii', f.read(16)) == (IDX_IMAGES_MAGIC, 3, 28, 28)


def test_labels_file_is_refused_by_its_magic(tmp_path):
    path = tmp_path / 'train-labels-idx1-ubyte'
    path.write_bytes(struct.pack('>ii', 2049, 2) + b'\x01\x02' + b'\x00' * 8)
    with pytest.raises(DataError, match=r'labels-idx1-ubyte: IDX magic is 2049, expected 2051'):
        read_idx_images(str(path))


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / 'cut-idx3-ubyte'
    path.write_bytes(struct.pack('>iiii', IDX_IMAGES_MAGIC, 10, 28, 28) + bytes(28 * 28))
    with pytest.raises(DataError, match=r'header says 10 images of 28x28 .* holds 800 bytes'):
        read_idx_images(str(path))


def test_missing_file_names_the_prepare_command(tmp_path):
    with pytest.raises(DataError, match=r'not found: download it with python '
                                        r'tools/data/prepare_mmnist.py'):
        read_idx_images(str(tmp_path / 'nope.gz'))


def test_real_mnist_test_digits_parse(real_t10k):
    digits = read_idx_images(real_t10k)
    assert digits.shape == (10000, 28, 28) and digits.dtype == np.uint8
    # MNIST's 20x20 digit box is centred: the 28x28 border rows are empty.
    assert digits[:, 0].max() == 0 and digits.max() == 255
