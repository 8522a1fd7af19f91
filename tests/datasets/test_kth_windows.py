"""KTH windows: per-video search equals the original release's global backwards loop."""
import numpy as np
import pytest

from predbench.datasets.kth_layout import JOG_RUN_STRIDE, window_starts, window_stride

SLOW, FAST = 1, 2  # the original's category flags


def original_global_loop(videos, seq_len):
    """The original loader's loop over all frames of all videos, verbatim in structure.

    ``videos``: list of (category, frame numbers). Returns window starts as global indices.
    """
    person_mark, numbers, category = [], [], []
    for mark, (cat, nums) in enumerate(videos, start=1):
        person_mark += [mark] * len(nums)
        numbers += list(nums)
        category += [cat] * len(nums)
    indices = []
    index = len(person_mark) - 1
    while index >= seq_len - 1:
        if person_mark[index] == person_mark[index - seq_len + 1]:
            end = numbers[index]
            start = numbers[index - seq_len + 1]
            if end - start == seq_len - 1:
                indices.append(index - seq_len + 1)
                if category[index] == SLOW:
                    index -= seq_len - 1
                elif category[index] == FAST:
                    index -= 2
        index -= 1
    return sorted(indices)


def per_video(videos, seq_len):
    starts, offset = [], 0
    for cat, nums in videos:
        stride = seq_len if cat == SLOW else JOG_RUN_STRIDE
        starts += [offset + s for s in window_starts(nums, seq_len, stride)]
        offset += len(nums)
    return starts


def test_slow_actions_take_disjoint_windows_backwards_from_the_end():
    # 45 frames, 20-frame windows: [25..44] and [5..24]; frames 0..4 are left over.
    assert window_starts(range(1, 46), 20, window_stride('boxing', 20)) == [5, 25]


def test_jogging_and_running_windows_overlap_with_stride_3():
    starts = window_starts(range(1, 41), 20, window_stride('running', 20))
    assert starts == list(range(20, -1, -3))[::-1] == [2, 5, 8, 11, 14, 17, 20]


def test_a_gap_in_frame_numbers_breaks_windows():
    numbers = [n for n in range(1, 34) if n != 10]  # 32 files, frame 10 missing
    # Files 9..28 hold frames 11..30 -> no window can include both 9 and 11.
    assert window_starts(numbers, 20, 20) == [12]
    assert window_starts(numbers, 20, 3) == [9, 12]


def test_a_video_shorter_than_the_window_has_none():
    assert window_starts(range(1, 13), 20, 20) == []


@pytest.mark.parametrize('seq_len', [3, 4, 10, 20, 30, 50])
def test_equals_the_original_global_loop_on_random_videos(seq_len):
    rng = np.random.default_rng(seq_len)
    for _ in range(20):
        videos = []
        for _ in range(rng.integers(1, 8)):
            length = int(rng.integers(0, 120))
            nums = np.arange(1, length + 1)
            keep = rng.random(length) > rng.choice([0.0, 0.02, 0.2])  # some videos have gaps
            videos.append((int(rng.choice([SLOW, FAST])), nums[keep].tolist()))
        assert per_video(videos, seq_len) == original_global_loop(videos, seq_len)
