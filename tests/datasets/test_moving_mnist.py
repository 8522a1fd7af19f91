"""Moving MNIST datasets: generated (IDX or sprites), the fixed test set, the original npz files.

One class per form (GeneratedMovingMNIST, MovingDigits, MovingMNISTTestSeq, MovingMNISTNpz) and
the MovingMNIST factory that picks one from ``source`` for older configs.
"""
import hashlib
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from predbench.datasets import (GeneratedMovingMNIST, MovingDigits, MovingMNIST,
                                MovingMNISTNpz, MovingMNISTTestSeq)
from predbench.datasets.mapped_array import MappedArray
from predbench.datasets.mnist_idx import write_idx_images
from predbench.registry import DATASETS
from predbench.utils.errors import ConfigError, DataError


@pytest.fixture
def labelled_digits(tmp_path):
    """An IDX file whose digit k is a square of value k+1, so pixels reveal which digit was used."""
    digits = np.zeros((10, 28, 28), np.uint8)
    for k in range(10):
        digits[k, 4:24, 4:24] = k + 1
    write_idx_images(str(tmp_path / 'train-images-idx3-ubyte.gz'), digits)
    return str(tmp_path)


def test_generated_items_are_uint8_clips_with_their_index(labelled_digits):
    ds = DATASETS.build(dict(type='GeneratedMovingMNIST', data_root=labelled_digits,
                             num_sequences=7))
    item = ds[3]
    assert len(ds) == 7
    assert item['inputs'].dtype == torch.uint8 and item['inputs'].shape == (20, 1, 64, 64)
    assert item['data_samples'] == {'index': 3}
    assert ds.metainfo['dataset_name'] == 'MovingMNIST' and ds.metainfo['seq_length'] == 20


def test_digit_range_keeps_validation_digits_apart(labelled_digits):
    train = GeneratedMovingMNIST(labelled_digits, digit_range=(0, 6), num_sequences=50)
    val = GeneratedMovingMNIST(labelled_digits, digit_range=(6, 10), num_sequences=50, seed=1)
    train_values = set(np.unique(np.stack([train[i]['inputs'] for i in range(50)])))
    val_values = set(np.unique(np.stack([val[i]['inputs'] for i in range(50)])))
    assert train_values - {0} <= set(range(1, 7)) and val_values - {0} <= set(range(7, 11))


def test_same_seed_same_sequences_other_seed_other_sequences(labelled_digits):
    a = GeneratedMovingMNIST(labelled_digits, seed=5, num_sequences=4)
    b = GeneratedMovingMNIST(labelled_digits, seed=5, num_sequences=4)
    c = GeneratedMovingMNIST(labelled_digits, seed=6, num_sequences=4)
    assert all(torch.equal(a[i]['inputs'], b[i]['inputs']) for i in (3, 0, 2))
    assert not any(torch.equal(a[i]['inputs'], c[i]['inputs']) for i in range(4))


def test_fresh_accepts_indices_past_the_epoch_and_draws_new_sequences(labelled_digits):
    fresh = GeneratedMovingMNIST(labelled_digits, num_sequences=4, fresh=True)
    fixed = GeneratedMovingMNIST(labelled_digits, num_sequences=4)
    assert fresh.fresh_draws is True and fixed.fresh_draws is False
    epoch0 = [fresh[i]['inputs'] for i in range(4)]
    epoch1 = [fresh[4 + i]['inputs'] for i in range(4)]
    assert not any(torch.equal(x, y) for x, y in zip(epoch0, epoch1))
    assert fresh[4 + 2]['data_samples']['index'] == 6
    assert torch.equal(fresh[6]['inputs'], fresh[6]['inputs'])
    with pytest.raises(IndexError):
        fixed[4]


def test_ungzipped_digits_file_is_found(labelled_digits, tmp_path):
    plain = tmp_path / 'plain'
    plain.mkdir()
    write_idx_images(str(plain / 'train-images-idx3-ubyte'), np.ones((3, 28, 28), np.uint8))
    ds = GeneratedMovingMNIST(str(plain), num_sequences=2)
    assert ds.data_file.endswith('train-images-idx3-ubyte')


def test_real_mnist_digits_make_moving_mnist(real_t10k):
    ds = GeneratedMovingMNIST(os.path.dirname(real_t10k), data_file=os.path.basename(real_t10k),
                              digit_range=(0, 8000), num_sequences=20)
    clip = ds[0]['inputs'].numpy()
    assert clip.max() == 255 and 0.02 < (clip > 0).mean() < 0.5  # two digits on black


def test_sprites_need_no_file_and_are_deterministic():
    ds = DATASETS.build(dict(type='MovingDigits', digit_range=(0, 40), num_sequences=3,
                             data_root='/nonexistent'))
    again = MovingDigits(digit_range=(0, 40), num_sequences=3)
    assert ds[1]['inputs'].dtype == torch.uint8
    assert torch.equal(ds[1]['inputs'], again[1]['inputs'])
    assert ds[1]['inputs'].max() > 200


def test_missing_digits_file_names_the_prepare_command(tmp_path):
    with pytest.raises(DataError, match=r'train-images-idx3-ubyte.gz not found: prepare it with '
                                        r'python tools/data/prepare_mmnist.py --out '):
        GeneratedMovingMNIST(str(tmp_path))


def test_digit_range_outside_the_file_is_a_config_error(labelled_digits):
    with pytest.raises(ConfigError, match=r'digit_range=\(5, 50\) must satisfy 0 <= start < stop '
                                          r'within \[0, 10\]'):
        GeneratedMovingMNIST(labelled_digits, digit_range=(5, 50))


# --- the fixed test set: mnist_test_seq.npy layout (T, N, H, W) uint8 -----------------------

def test_test_seq_yields_the_stored_frames_time_first(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, (20, 6, 64, 64), dtype=np.uint8)
    np.save(tmp_path / 'mnist_test_seq.npy', data)
    ds = MovingMNISTTestSeq(str(tmp_path), split='test')
    assert len(ds) == 6 and isinstance(ds._sequences.array, np.memmap)
    item = ds[4]['inputs']
    assert item.dtype == torch.uint8 and item.shape == (20, 1, 64, 64)
    np.testing.assert_array_equal(item[:, 0].numpy(), data[:, 4])
    blob = pickle.dumps(ds)  # DataLoader workers get the file name, not the frames
    assert len(blob) < data.nbytes / 10
    assert torch.equal(pickle.loads(blob)[4]['inputs'], item)


def test_test_seq_with_wrong_layout_is_refused(tmp_path):
    np.save(tmp_path / 'mnist_test_seq.npy', np.zeros((6, 20, 64, 64), np.float32))
    with pytest.raises(DataError, match=r'mnist_test_seq.npy: got float32 \(6, 20, 64, 64\), '
                                        r'expected uint8 \(T, N, H, W\) time first'):
        MovingMNISTTestSeq(str(tmp_path))


def test_missing_test_seq_names_the_prepare_command(tmp_path):
    with pytest.raises(DataError, match=r'mnist_test_seq.npy not found: prepare it with python '
                                        r'tools/data/prepare_mmnist.py'):
        MovingMNISTTestSeq(str(tmp_path))


# --- the original release's npz files ------------------------------------------------------

def original_npz(path, num, seed, compressed=False, in_len=10, out_len=10):
    """An npz in the original layout: clips (2, N, 2), dims [[1, 64, 64]], input_raw_data floats."""
    frames = np.random.default_rng(seed).random((num * (in_len + out_len), 1, 64, 64),
                                                dtype=np.float32)
    starts = np.arange(num) * (in_len + out_len)
    clips = np.stack([np.stack([starts, np.full(num, in_len)], 1),
                      np.stack([starts + in_len, np.full(num, out_len)], 1)]).astype(np.int32)
    save = np.savez_compressed if compressed else np.savez
    save(path, clips=clips, dims=np.array([[1, 64, 64]], np.int32), input_raw_data=frames)
    return frames


@pytest.mark.parametrize('compressed', [False, True])
def test_npz_sequence_is_input_then_output_part_with_exact_values(tmp_path, compressed):
    frames = original_npz(tmp_path / 'moving-mnist-valid.npz', 3, 0, compressed)
    ds = DATASETS.build(dict(type='MovingMNISTNpz', data_root=str(tmp_path),
                             data_file='moving-mnist-valid.npz', split='val'))
    item = ds[2]['inputs']
    assert len(ds) == 3 and item.dtype == torch.float32 and item.shape == (20, 1, 64, 64)
    np.testing.assert_array_equal(item.numpy(), frames[40:60])
    assert torch.equal(pickle.loads(pickle.dumps(ds))[2]['inputs'], item)
    # Uncompressed members are memory-mapped, not loaded.
    assert isinstance(ds._npz._frames[0], MappedArray) == (not compressed)


def test_several_npz_files_are_concatenated_each_with_its_own_frames(tmp_path):
    first = original_npz(tmp_path / 'a.npz', 2, 1)
    second = original_npz(tmp_path / 'b.npz', 3, 2)
    ds = MovingMNISTNpz(str(tmp_path), data_file=['a.npz', 'b.npz'])
    assert len(ds) == 5
    np.testing.assert_array_equal(ds[1]['inputs'].numpy(), first[20:40])
    np.testing.assert_array_equal(ds[2]['inputs'].numpy(), second[0:20])
    np.testing.assert_array_equal(ds[4]['inputs'].numpy(), second[40:60])


def test_npz_missing_keys_are_named(tmp_path):
    np.savez(tmp_path / 'x.npz', clips=np.zeros((2, 1, 2), np.int32))
    with pytest.raises(DataError, match=r"x.npz: missing key\(s\) \['dims', 'input_raw_data'\]"):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz')


def test_npz_wrong_clips_shape_is_refused(tmp_path):
    np.savez(tmp_path / 'x.npz', clips=np.zeros((3, 2), np.int32),
             dims=np.array([[1, 64, 64]]), input_raw_data=np.zeros((20, 1, 64, 64), np.float32))
    with pytest.raises(DataError, match=r'x.npz: clips has shape \(3, 2\), expected \(2, N, 2\)'):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz')


def test_npz_dims_must_match_the_frames(tmp_path):
    original_npz(tmp_path / 'x.npz', 1, 0)
    with np.load(tmp_path / 'x.npz') as npz:
        arrays = dict(npz)
    arrays['dims'] = np.array([[1, 32, 32]])
    np.savez(tmp_path / 'x.npz', **arrays)
    with pytest.raises(DataError, match=r'dims \[\[1, 32, 32\]\] does not match input_raw_data'):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz')


def test_npz_clips_pointing_past_the_frames_are_refused(tmp_path):
    np.savez(tmp_path / 'x.npz', clips=np.array([[[0, 10]], [[10, 10]]]),
             dims=np.array([[1, 64, 64]]), input_raw_data=np.zeros((15, 1, 64, 64), np.float32))
    with pytest.raises(DataError, match=r'clips point outside input_raw_data \(15 frames\)'):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz')


def test_npz_that_is_not_a_zip_is_refused(tmp_path):
    (tmp_path / 'x.npz').write_bytes(b'not a zip')
    with pytest.raises(DataError, match=r'x.npz: not a readable npz file'):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz')
    assert not zipfile.is_zipfile(tmp_path / 'x.npz')


def test_npz_seq_length_must_match_the_clips(tmp_path):
    original_npz(tmp_path / 'x.npz', 1, 0)
    with pytest.raises(ConfigError, match=r'seq_length=30 but the sequences .* have 20 frames'):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz', seq_length=30)


def test_unknown_source_is_a_config_error():
    with pytest.raises(ConfigError, match=r"dataset.source='mnist' is not one of"):
        MovingMNIST(source='mnist')


# --- the same sequences as before the split into classes --------------------------------------

def digest(ds, indices):
    """sha256 (16 hex digits) of the bytes of the given items, in order."""
    h = hashlib.sha256()
    for i in indices:
        h.update(ds[i]['inputs'].numpy().tobytes())
    return h.hexdigest()[:16]


@pytest.fixture
def random_digits(tmp_path):
    digits = np.random.default_rng(7).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    write_idx_images(str(tmp_path / 'train-images-idx3-ubyte.gz'), digits)
    return str(tmp_path)


def test_generated_sequences_are_bit_identical_to_the_single_class_version(random_digits):
    # Digests recorded with the MovingMNIST class that held all four sources.
    assert digest(GeneratedMovingMNIST(random_digits, digit_range=(5, 25), num_sequences=8,
                                       seed=3, seq_length=12), [0, 5, 7]) == 'b2e1c0372afb95dd'
    assert digest(GeneratedMovingMNIST(random_digits, num_sequences=4, seed=0, fresh=True,
                                       num_digits=3), [0, 9]) == 'cea3fc9f46a584d6'
    assert digest(MovingDigits(digit_range=(0, 40), num_sequences=5, seed=11),
                  [0, 4]) == '9e246c52d15bb932'


# --- MovingMNIST(source=...) picks the class --------------------------------------------------

def test_factory_builds_the_class_of_each_source_with_the_same_items(random_digits, tmp_path):
    np.save(tmp_path / 'mnist_test_seq.npy', np.zeros((20, 2, 64, 64), np.uint8))
    original_npz(tmp_path / 'x.npz', 2, 0)
    built = {
        'generated': DATASETS.build(dict(type='MovingMNIST', data_root=random_digits, seed=3,
                                         source='generated', num_sequences=4)),
        'sprites': DATASETS.build(dict(type='MovingMNIST', source='sprites', num_sequences=2,
                                       digit_range=(0, 20))),
        'test_seq': DATASETS.build(dict(type='MovingMNIST', source='test_seq',
                                        data_root=str(tmp_path), data_file='mnist_test_seq.npy',
                                        split='test')),
        'npz': DATASETS.build(dict(type='MovingMNIST', source='npz', data_root=str(tmp_path),
                                   data_file='x.npz')),
    }
    classes = {'generated': GeneratedMovingMNIST, 'sprites': MovingDigits,
               'test_seq': MovingMNISTTestSeq, 'npz': MovingMNISTNpz}
    for source, ds in built.items():
        assert type(ds) is classes[source] and ds.metainfo['source'] == source
        assert ds.metainfo['dataset_type'] == classes[source].__name__
    direct = GeneratedMovingMNIST(random_digits, seed=3, num_sequences=4)
    assert torch.equal(built['generated'][2]['inputs'], direct[2]['inputs'])
    assert built['generated'].fresh_draws is False and built['test_seq'].fresh_draws is False


def test_factory_refuses_an_option_the_source_does_not_take(tmp_path):
    np.save(tmp_path / 'mnist_test_seq.npy', np.zeros((20, 2, 64, 64), np.uint8))
    with pytest.raises(ConfigError, match=r"^dataset.num_sequences does not apply to "
                                          r"source='test_seq' \(MovingMNISTTestSeq takes "
                                          r"data_root, data_file, split, seq_length, layout\); "
                                          r"remove it$"):
        MovingMNIST(str(tmp_path), source='test_seq', num_sequences=3)


def test_only_the_generated_classes_draw_fresh_sequences(random_digits, tmp_path):
    original_npz(tmp_path / 'x.npz', 2, 0)
    assert MovingMNISTNpz(str(tmp_path), data_file='x.npz').fresh_draws is False
    with pytest.raises(TypeError):
        MovingMNISTNpz(str(tmp_path), data_file='x.npz', fresh=True)


# --- the layout of mnist_test_seq.npy ---------------------------------------------------------

def test_batch_first_test_seq_is_an_error_that_names_the_layout_option(tmp_path):
    np.save(tmp_path / 'mnist_test_seq.npy', np.zeros((30, 20, 64, 64), np.uint8))
    with pytest.raises(DataError) as info:
        MovingMNISTTestSeq(str(tmp_path))
    message = str(info.value)
    assert '\n' not in message and message.startswith(str(tmp_path / 'mnist_test_seq.npy'))
    assert ('shape (30, 20, 64, 64) does not tell which axis is time; expected time first '
            '(T, N, H, W) like mnist_test_seq.npy (20, 10000, 64, 64); it looks sequences first: '
            'set dataset.layout="NTHW" if it holds 30 sequences of 20 frames') in message


def test_declared_sequences_first_layout_reads_the_same_clips(tmp_path):
    time_first = np.random.default_rng(1).integers(0, 256, (20, 30, 64, 64), dtype=np.uint8)
    np.save(tmp_path / 'tnhw.npy', time_first)
    np.save(tmp_path / 'nthw.npy', np.ascontiguousarray(time_first.transpose(1, 0, 2, 3)))
    standard = MovingMNISTTestSeq(str(tmp_path), data_file='tnhw.npy')
    declared = MovingMNIST(str(tmp_path), source='test_seq', data_file='nthw.npy',
                           layout='NTHW', seq_length=10)
    assert standard.layout == 'TNHW' and declared.metainfo['layout'] == 'NTHW'
    assert len(standard) == len(declared) == 30
    for i in (0, 17, 29):
        np.testing.assert_array_equal(declared[i]['inputs'][:, 0].numpy(), time_first[:10, i])
        assert torch.equal(declared[i]['inputs'], standard[i]['inputs'][:10])


def test_test_seq_without_the_standard_20_frames_must_declare_its_layout(tmp_path):
    np.save(tmp_path / 'mine.npy', np.zeros((10, 50, 64, 64), np.uint8))
    with pytest.raises(DataError, match=r'shape \(10, 50, 64, 64\) does not tell which axis is '
                                        r'time; .* set dataset.layout="TNHW" \(time first\) or '
                                        r'"NTHW" \(sequences first\)$'):
        MovingMNISTTestSeq(str(tmp_path), data_file='mine.npy')
    assert len(MovingMNISTTestSeq(str(tmp_path), data_file='mine.npy', layout='TNHW',
                                  seq_length=10)) == 50
    with pytest.raises(ConfigError, match=r"dataset.layout='THWN' is not one of"):
        MovingMNISTTestSeq(str(tmp_path), data_file='mine.npy', layout='THWN')
