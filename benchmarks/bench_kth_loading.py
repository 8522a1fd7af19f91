"""KTH training split: loading time and memory of predbench against a float32 loader.

    python benchmarks/bench_kth_loading.py [--videos-per-action 8] [--frames 120] [--root DIR]

Without ``--root`` it writes synthetic KTH frame folders (persons 01-16, 160x120 PNGs, the layout
tools/data/prepare_kth.py produces) to a temporary folder. The baseline loads every training frame
the way the original release does, into one float32 array of 128x128 frames (the original even
uses float64); predbench's KTHAction builds its uint8 cache of native-size frames once, then maps
it. Each measurement runs in its own process: peak memory is the growth of its peak RSS.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import isolated, print_table, rss_mb  # noqa: E402

ACTIONS = ('boxing', 'handclapping', 'handwaving', 'walking', 'jogging', 'running')


def write_synthetic_kth(root: str, videos_per_action: int, frames: int) -> int:
    """Frame folders of persons 01..16 (training persons); returns the number of frames."""
    rng = np.random.default_rng(0)
    count = 0
    for action in ACTIONS:
        for v in range(videos_per_action):
            person = 1 + v % 16
            folder = osp.join(root, action, f'person{person:02d}_{action}_d{1 + v // 16}_uncomp')
            os.makedirs(folder, exist_ok=True)
            base = rng.integers(0, 200, (120, 160), dtype=np.uint8)
            for n in range(1, frames + 1):
                frame = np.roll(base, n, axis=1)
                cv2.imwrite(osp.join(folder, f'image_{n:04d}.png'), cv2.merge([frame] * 3))
                count += 1
    return count


def float32_loader(root: str, size: int = 128) -> dict:
    """All training frames as float32 [N, 128, 128, 1] in [0, 1], like the original's loader."""
    before = rss_mb()
    start = time.perf_counter()
    frames = []
    for action in ACTIONS:
        for video in sorted(os.listdir(osp.join(root, action))):
            if int(video[6:8]) > 16:
                continue
            folder = osp.join(root, action, video)
            for name in sorted(os.listdir(folder)):
                image = cv2.imread(osp.join(folder, name), cv2.IMREAD_UNCHANGED)[:, :, 2]
                frames.append(cv2.resize(np.float32(image), (size, size)) / 255)
    data = np.stack(frames)[..., None]
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, peak_mb=rss_mb() - before, frames=len(data),
                resident_mb=data.nbytes / 2**20)


def predbench_loader(root: str, cache_dir: str, iterate: bool) -> dict:
    """Build (or map) KTHAction's training split, optionally reading every window once."""
    from predbench.datasets import KTHAction
    before = rss_mb()
    start = time.perf_counter()
    dataset = KTHAction(data_root=root, split='train', seq_length=20, image_size=128,
                        cache_dir=cache_dir)
    build = time.perf_counter() - start
    if iterate:
        for i in range(len(dataset)):
            dataset[i]
    return dict(seconds=time.perf_counter() - start, build_seconds=build,
                peak_mb=rss_mb() - before, windows=len(dataset),
                resident_mb=dataset.cache_bytes / 2**20)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', help='a KTH frame folder (default: synthetic, temporary)')
    parser.add_argument('--videos-per-action', type=int, default=8)
    parser.add_argument('--frames', type=int, default=120)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root
        if root is None:
            root = osp.join(tmp, 'kth')
            total = write_synthetic_kth(root, args.videos_per_action, args.frames)
            print(f'synthetic KTH: {total} frames of 160x120 in {len(ACTIONS)} actions')
        cache = osp.join(tmp, 'cache')
        base = isolated(float32_loader, root=root)
        first = isolated(predbench_loader, root=root, cache_dir=cache, iterate=False)
        again = isolated(predbench_loader, root=root, cache_dir=cache, iterate=True)
    rows = [
        dict(loader='float32 array (original-style)', seconds=base['seconds'],
             peak_mb=base['peak_mb'], data_mb=base['resident_mb'], memory_ratio=1.0),
        dict(loader='predbench, first run (builds the uint8 cache)', seconds=first['seconds'],
             peak_mb=first['peak_mb'], data_mb=first['resident_mb'],
             memory_ratio=first['peak_mb'] / base['peak_mb']),
        dict(loader='predbench, cached (maps it, reads every window)', seconds=again['seconds'],
             peak_mb=again['peak_mb'], data_mb=again['resident_mb'],
             memory_ratio=again['peak_mb'] / base['peak_mb']),
    ]
    print_table(f'KTH training split ({base["frames"]} frames, {again["windows"]} windows of 20)',
                rows, ['loader', 'seconds', 'peak_mb', 'data_mb', 'memory_ratio'])
    print('data_mb: frames held by the loader (float32 128x128 vs uint8 at native 160x120)')
    return rows


if __name__ == '__main__':
    main()
