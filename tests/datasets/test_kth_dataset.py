"""KTHAction: the original release's split, windows and float values, from a uint8 cache."""
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from torch.utils.data import DataLoader

import predbench.datasets.kth as kth_module
from predbench.datasets import KTHAction
from predbench.registry import DATASETS
from predbench.utils.errors import ConfigError, DataError

Image = pytest.importorskip('PIL.Image')

TRAIN = [f'{p:02d}' for p in range(1, 17)]
TEST = [f'{p:02d}' for p in range(17, 26)]


def original_loader(path, person_id, seq_len, width, listdir=os.listdir):
    """The original release's load_data (same loops, PIL reading, float32 resize / 255).

    Returns (data [N, width, width] as the original stores it, window starts, (video, file) ids).
    """
    category_1 = ['boxing', 'handclapping', 'handwaving', 'walking']
    frames_np, names, marks, cats, ids = [], [], [], [], []
    person_mark = 0
    for c_dir in category_1 + ['jogging', 'running']:
        flag = 1 if c_dir in category_1 else 2
        c_dir_path = osp.join(path, c_dir)
        for p_c_dir in listdir(c_dir_path):
            if p_c_dir[6:8] not in person_id:
                continue
            person_mark += 1
            dir_path = osp.join(c_dir_path, p_c_dir)
            for file in sorted(listdir(dir_path)):
                if not file.startswith('image'):
                    continue
                frames_np.append(np.array(Image.open(osp.join(dir_path, file)))[:, :, 0])
                names.append(file)
                marks.append(person_mark)
                cats.append(flag)
                ids.append((p_c_dir, file))
    indices = []
    index = len(marks) - 1
    while index >= seq_len - 1:
        if marks[index] == marks[index - seq_len + 1]:
            end = int(names[index][6:10])
            start = int(names[index - seq_len + 1][6:10])
            if end - start == seq_len - 1:
                indices.append(index - seq_len + 1)
                index -= seq_len - 1 if cats[index] == 1 else 2
        index -= 1
    data = np.zeros((len(frames_np), width, width, 1))  # float64, as the original
    for i, frame in enumerate(frames_np):
        data[i, :, :, 0] = cv2.resize(np.float32(frame), (width, width)) / 255
    return data[..., 0], indices, ids


def window_ids(ds):
    """(video folder, first frame file) of each window of a KTHAction."""
    files = [(v.name, f) for v in ds.videos for f in v.frame_files]
    return [files[s] for s in ds.window_starts]


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / 'cache')


@pytest.mark.parametrize('split,persons,seq_len', [('train', TRAIN, 20), ('test', TEST, 20),
                                                   ('test', TEST, 10), ('train', TRAIN, 30)])
def test_windows_equal_the_original_loader(kth_root, cache, split, persons, seq_len):
    ds = KTHAction(kth_root, split=split, seq_length=seq_len, cache_dir=cache)
    # The original walks os.listdir order; any order must give the same windows.
    shuffled = lambda p: list(np.random.default_rng(0).permutation(os.listdir(p)))  # noqa: E731
    _, indices, ids = original_loader(kth_root, persons, seq_len, 16, listdir=shuffled)
    assert sorted(window_ids(ds)) == sorted(ids[i] for i in indices)


def test_window_counts_follow_both_stride_rules(kth_root, cache):
    train = KTHAction(kth_root, split='train', seq_length=20, cache_dir=cache)
    test = KTHAction(kth_root, split='test', seq_length=20, cache_dir=cache)
    # train: boxing 45 frames -> 2, boxing with a gap -> 1, boxing 12 frames -> 0 (skipped),
    # jogging 40 -> 7 and 30 -> 4 (stride 3), handwaving 25 -> 1.
    assert len(train) == 15 and train.num_skipped_videos == 1
    # test: boxing 50 -> 2, jogging split by a 2-frame gap into 19 + 14 -> 0, running 23 -> 2.
    assert len(test) == 4 and test.num_skipped_videos == 1
    assert window_ids(test) == [
        ('person17_boxing_d1_uncomp', 'image_0011.png'),
        ('person17_boxing_d1_uncomp', 'image_0031.png'),
        ('person18_running_d4_uncomp', 'image_0001.png'),
        ('person18_running_d4_uncomp', 'image_0004.png')]


def test_values_equal_the_original_float32_resize_bit_for_bit(kth_root, cache):
    ds = DATASETS.build(dict(type='KTHAction', data_root=kth_root, split='test', cache_dir=cache))
    data, indices, ids = original_loader(kth_root, TEST, 20, 128)
    by_id = {ids[i]: i for i in indices}
    for i, key in enumerate(window_ids(ds)):
        item = ds[i]
        clip = item['inputs']
        assert clip.dtype == torch.float32 and clip.shape == (20, 1, 128, 128)
        assert item['data_samples'] == {'index': i}
        start = by_id[key]
        np.testing.assert_array_equal(clip[:, 0].numpy(), data[start:start + 20].astype(np.float32))
    assert 0.0 <= clip.min() and clip.max() <= 1.0


def test_non_square_size_is_float32_bilinear_resize_of_the_red_channel(kth_root, cache):
    ds = KTHAction(kth_root, split='test', image_size=(64, 80), cache_dir=cache)
    video, first = window_ids(ds)[1]
    folder = osp.join(kth_root, 'boxing', video)
    number = int(first[6:10])
    bgr = cv2.imread(osp.join(folder, f'image_{number + 5:04d}.png'))
    expected = cv2.resize(np.float32(bgr[:, :, 2]), (80, 64)) / np.float32(255)
    np.testing.assert_array_equal(ds[1]['inputs'][5, 0].numpy(), expected)


def test_val_persons_are_held_out_of_train(kth_root, cache):
    train = KTHAction(kth_root, split='train', val_persons=[15, 16], cache_dir=cache)
    val = KTHAction(kth_root, split='val', val_persons=['15', '16'], cache_dir=cache)
    assert {v.person for v in train.videos} == {1, 2, 3}
    assert {v.person for v in val.videos} == {15} and len(val) == 4
    assert train.metainfo['persons'] == list(range(1, 15))
    assert val.metainfo['split'] == 'val' and val.metainfo['num_windows'] == 4


def test_cache_is_uint8_native_size_outside_the_data_and_under_a_third_of_float32(kth_root, cache):
    ds = KTHAction(kth_root, split='train', cache_dir=cache)
    frames = ds.metainfo['num_frames']
    assert ds.cache_file.startswith(cache) and not ds.cache_file.startswith(kth_root)
    assert not any(f.endswith(('.npy', '.part')) for _, _, fs in os.walk(kth_root) for f in fs)
    assert ds.cache_bytes == frames * 120 * 160  # uint8 at the native 160x120
    float32_loader = frames * 128 * 128 * 4  # float32 frames at 128x128
    original_loader_bytes = frames * 128 * 128 * 8  # the original's float64 array
    assert ds.cache_bytes < float32_loader / 3 and ds.cache_bytes < original_loader_bytes / 6


def test_cache_is_reused_and_rebuilt_when_a_frame_changes(tmp_path, make_kth_tree, monkeypatch):
    root = make_kth_tree({'person01_walking_d1_uncomp': range(1, 26)})
    folder = osp.join(root, 'walking', 'person01_walking_d1_uncomp')
    cache = str(tmp_path / 'cache')
    messages = []
    monkeypatch.setattr(kth_module, '_log', messages.append)
    first = KTHAction(root, cache_dir=cache)
    built = os.stat(first.cache_file).st_mtime_ns
    again = KTHAction(root, cache_dir=cache)
    assert again.cache_file == first.cache_file and os.stat(first.cache_file).st_mtime_ns == built
    assert sum('decoding' in m for m in messages) == 1
    assert any('1 videos' in m and '1 windows' in m for m in messages)

    frame = np.full((120, 160, 3), 77, np.uint8)
    cv2.imwrite(osp.join(folder, 'image_0025.png'), frame)
    changed = KTHAction(root, cache_dir=cache)
    assert changed.cache_file != first.cache_file
    np.testing.assert_array_equal(changed[0]['inputs'][-1, 0].numpy(),
                                  cv2.resize(np.float32(frame[:, :, 2]), (128, 128)) / 255)


def test_cache_dir_defaults_to_predbench_cache_env(kth_root, tmp_path, monkeypatch):
    monkeypatch.setenv('PREDBENCH_CACHE', str(tmp_path / 'pc'))
    ds = KTHAction(kth_root, split='test')
    assert osp.dirname(ds.cache_file) == str(tmp_path / 'pc' / 'kth')


def test_grayscale_frame_folders_load_as_they_are(make_kth_tree, cache):
    root = make_kth_tree({})
    folder = osp.join(root, 'walking', 'person02_walking_d2_uncomp')
    os.makedirs(folder)
    gray = np.arange(120 * 160).reshape(120, 160).astype(np.uint8)
    for n in range(1, 21):
        cv2.imwrite(osp.join(folder, f'image_{n:04d}.png'), gray)
    ds = KTHAction(root, cache_dir=cache)
    np.testing.assert_array_equal(ds[0]['inputs'][0, 0].numpy(),
                                  cv2.resize(np.float32(gray), (128, 128)) / np.float32(255))


# --- errors a user can fix -------------------------------------------------------------------

def test_missing_folder_names_the_prepare_command(tmp_path):
    root = str(tmp_path / 'kth')
    with pytest.raises(DataError, match=rf'^{root} not found: prepare it with python '
                                        rf'tools/data/prepare_kth.py RAW_KTH_DIR {root}$'):
        KTHAction(root)


def test_missing_action_folder_is_named(tmp_path):
    os.makedirs(tmp_path / 'kth' / 'boxing')
    with pytest.raises(DataError, match=r'kth/handclapping not found \(one folder per action'):
        KTHAction(str(tmp_path / 'kth'))


def test_folder_not_following_the_kth_pattern_is_named(make_kth_tree, cache):
    root = make_kth_tree({})
    os.makedirs(osp.join(root, 'boxing', 'person1_boxing_d1'))
    with pytest.raises(DataError, match=r'boxing/person1_boxing_d1: not a KTH video folder name '
                                        r'\(personXX_boxing_dY_uncomp\)'):
        KTHAction(root, cache_dir=cache)


def test_frame_file_not_following_the_pattern_is_named(make_kth_tree, cache):
    root = make_kth_tree({'person01_boxing_d1_uncomp': range(1, 4)})
    open(osp.join(root, 'boxing', 'person01_boxing_d1_uncomp', 'image_12.png'), 'w').close()
    with pytest.raises(DataError, match=r'image_12.png: frame files must be named image_NNNN.png'):
        KTHAction(root, cache_dir=cache)


def test_split_without_any_window_is_an_error(kth_root, cache):
    with pytest.raises(DataError, match=r"split 'test', persons 17..25\) has no window of 60 "
                                        r'consecutive frames in its 3 videos'):
        KTHAction(kth_root, split='test', seq_length=60, cache_dir=cache)


def test_split_without_any_video_is_an_error(kth_root, cache):
    with pytest.raises(DataError, match=r'has no video folder: prepare it with'):
        KTHAction(kth_root, split='test', test_persons=[25], cache_dir=cache)


def test_val_split_needs_val_persons(kth_root, cache):
    with pytest.raises(ConfigError, match=r"split='val' needs dataset.val_persons"):
        KTHAction(kth_root, split='val', cache_dir=cache)


def test_too_short_windows_are_a_config_error(kth_root, cache):
    with pytest.raises(ConfigError, match=r'dataset.seq_length must be >= 3, got 2'):
        KTHAction(kth_root, seq_length=2, cache_dir=cache)


def test_pickled_dataset_maps_the_cache_again_instead_of_copying_it(kth_root, cache):
    ds = KTHAction(kth_root, split='test', cache_dir=cache)
    blob = pickle.dumps(ds)  # what 'spawn'/'forkserver' DataLoader workers receive
    assert len(blob) < ds.cache_bytes / 10
    assert torch.equal(pickle.loads(blob)[3]['inputs'], ds[3]['inputs'])


def test_a_damaged_cache_file_is_rebuilt(kth_root, cache):
    ds = KTHAction(kth_root, split='test', cache_dir=cache)
    expected = ds[0]['inputs']
    with open(ds.cache_file, 'wb') as f:
        f.write(b'garbage')
    assert torch.equal(KTHAction(kth_root, split='test', cache_dir=cache)[0]['inputs'], expected)


def test_batches_collate_to_b_t_c_h_w(kth_root, cache):
    ds = KTHAction(kth_root, split='test', seq_length=10, image_size=64, cache_dir=cache)
    batch = next(iter(DataLoader(ds, batch_size=3, collate_fn=default_collate)))
    assert batch['inputs'].shape == (3, 10, 1, 64, 64)
    assert batch['data_samples']['index'].tolist() == [0, 1, 2]


def test_corrupt_frame_of_a_folder_made_elsewhere_names_it_and_the_prepare_command(
        make_kth_tree, cache):
    root = make_kth_tree({'person03_walking_d1_uncomp': range(1, 21)})
    folder = osp.join(root, 'walking', 'person03_walking_d1_uncomp')
    with open(osp.join(folder, 'image_0004.png'), 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(DataError) as info:
        KTHAction(root, cache_dir=cache)
    assert str(info.value) == (f'{folder}/image_0004.png: cannot be decoded as an image; rebuild '
                               f'its folder {folder} with: python tools/data/prepare_kth.py '
                               f'RAW_KTH_DIR {root} --verify')
