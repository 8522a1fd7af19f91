"""Decode a folder of your own videos once, for training (the VideoFolder dataset).

SRC holds ``.mp4``/``.avi``/``.mov``/``.gif`` files and/or folders of frame images (any size,
frame rate, grayscale or colour; sub-folders too). Every video is decoded and checked (frames
decoded = frames its container declares), fitted to ``--image-size`` and ``--channels``, and
stored as uint8 frames in DST (the frame-cache format). A damaged video is named and left out,
the others are converted, and the tool exits 1 with the list. A rerun keeps the videos whose
source and options are unchanged. The summary says how many clips each split gives.

    python tools/data/prepare_videos.py data/my_videos data/my_videos_64
    python tools/train.py configs/predrnn_v2_video_folder.py --data-root data/my_videos_64

Without DST the videos go to the cache that VideoFolder uses for ``--data-root SRC`` itself
(which also decodes on first use: this tool only does it ahead, in parallel, with a progress bar).
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from typing import Dict, List, Optional

from mmengine.utils import ProgressBar

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from predbench.datasets.conversion import DamagedItemsError  # noqa: E402
from predbench.datasets.frame_cache import CACHE_ENV  # noqa: E402
from predbench.datasets.video_folder_convert import (DecodeOptions, Manifest,  # noqa: E402
                                                     cache_folder, prepare_video_folder,
                                                     read_manifest)
from predbench.datasets.video_folder_layout import (SPLITS, default_stride,  # noqa: E402
                                                    split_videos, window_starts)
from predbench.datasets.video_io import quiet_ffmpeg  # noqa: E402
from predbench.utils.errors import PredBenchError  # noqa: E402

CONFIG = 'configs/predrnn_v2_video_folder.py'
# The dataset settings of CONFIG: only the options that differ from them are printed.
CONFIG_DATASET = dict(image_size=(64, 64), channels=3, keep_aspect=True, seq_length=20,
                      frame_step=1, stride=None, split_ratios=(0.8, 0.1, 0.1), split_seed=0)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='folder of your videos (files and/or folders of images)')
    parser.add_argument('dst', nargs='?', help='output folder (default: the cache VideoFolder '
                        f'uses for --data-root SRC, under ${CACHE_ENV} or ~/.cache/predbench)')
    parser.add_argument('--image-size', type=int, nargs=2, default=[64, 64], metavar=('H', 'W'),
                        help='frame size in pixels (default: 64 64)')
    parser.add_argument('--own-size', action='store_true',
                        help='keep the videos\' own size instead (they must share one size)')
    parser.add_argument('--channels', type=int, choices=(1, 3), default=3,
                        help='3: RGB (default), 1: grayscale')
    parser.add_argument('--stretch', action='store_true',
                        help='stretch frames to the size instead of keeping the aspect ratio '
                             '(scale to cover, then center crop)')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='parallel decoding processes (default %(default)s)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='warn about damaged videos and exit 0 instead of failing')
    clips = parser.add_argument_group('for the summary of clips per split (the dataset settings)')
    clips.add_argument('--seq-length', type=int, default=20, help='frames per clip (default 20)')
    clips.add_argument('--frame-step', type=int, default=1,
                       help='take every N-th frame (default 1)')
    clips.add_argument('--stride', type=int, default=None,
                       help='frames between clip starts (default: seq-length x frame-step)')
    clips.add_argument('--split-ratios', type=float, nargs=3, default=[0.8, 0.1, 0.1],
                       metavar=('TRAIN', 'VAL', 'TEST'),
                       help='fractions of the videos per split, used when SRC has no '
                            'train.txt/val.txt/test.txt (default 0.8 0.1 0.1)')
    clips.add_argument('--split-seed', type=int, default=0, help='seed of the ratio split')
    parser.add_argument('--cache-dir', help='cache folder when DST is not given')
    return parser.parse_args(argv)


class ConsoleProgress:
    """A progress bar over the videos to decode; a log line first ends the bar's line."""

    def __init__(self) -> None:
        self.bar: Optional[ProgressBar] = None

    def update(self, done: int, total: int) -> None:
        if done == 0:
            self.bar = ProgressBar(total, bar_width=40, file=sys.stdout)
            return
        self.bar.update()
        if done == total:
            self.end_line()
            self.bar = None

    def end_line(self) -> None:
        if self.bar is not None:
            self.bar.file.write('\n')
            self.bar.file.flush()

    def log(self, line: str) -> None:
        self.end_line()
        print(line, flush=True)


def clip_summary(manifest: Manifest, list_root: str, args: argparse.Namespace) -> List[str]:
    """Lines of a table: videos, clips and too-short videos per split, and how it was split."""
    stride = args.stride or default_stride(args.seq_length, args.frame_step)
    by_name = {v['name']: v for v in manifest.videos}
    lists, how = split_videos(list_root, sorted(by_name), args.split_ratios, args.split_seed,
                              dropped=manifest.damaged)
    lines = [f'clips of {args.seq_length} frames (frame_step {args.frame_step}, stride {stride}), '
             f'split by video ({how}):',
             f'{"split":<6}{"videos":>8}{"clips":>8}{"too short":>11}']
    for split in SPLITS:
        counts = [len(window_starts(by_name[n]['frames'], args.seq_length, stride,
                                    args.frame_step)) for n in lists[split]]
        lines.append(f'{split:<6}{len(counts):>8}{sum(counts):>8}'
                     f'{sum(1 for c in counts if c == 0):>11}')
    rates = sorted({v['fps'] for v in manifest.videos if v['fps']})
    if len(rates) > 1:
        lines.append(f'note: frame rates differ ({rates[0]:g} to {rates[-1]:g} fps); frame_step '
                     f'counts frames, so clips of different videos span different times')
    return lines


def dataset_options(args: argparse.Namespace, options: DecodeOptions) -> Dict[str, object]:
    """The dataset settings of this preparation that differ from the config's."""
    wanted = dict(image_size=options.image_size, channels=options.channels,
                  keep_aspect=options.keep_aspect, seq_length=args.seq_length,
                  frame_step=args.frame_step, stride=args.stride,
                  split_ratios=tuple(args.split_ratios), split_seed=args.split_seed)
    changed: Dict[str, object] = {k: v for k, v in wanted.items() if v != CONFIG_DATASET[k]}
    if args.cache_dir and not args.dst:
        changed['cache_dir'] = args.cache_dir
    return changed


def train_command(data_root: str, changed: Dict[str, object]) -> str:
    """The command that trains on the prepared videos with these settings."""
    command = f'python tools/train.py {CONFIG} --data-root {shlex.quote(data_root)}'
    if changed:
        items = [f'{loader}_dataloader.dataset.{key}={value!r}'.replace(' ', '')
                 for key, value in changed.items() for loader in SPLITS]
        command += ' --cfg-options ' + ' '.join(shlex.quote(i) for i in items)
    return command


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    quiet_ffmpeg()  # damaged videos are named by predbench; FFmpeg's lines would only add noise
    console = ConsoleProgress()
    failure: Optional[DamagedItemsError] = None
    try:
        options = DecodeOptions.create(None if args.own_size else tuple(args.image_size),
                                       args.channels, not args.stretch)
        dst = args.dst or cache_folder(args.src, options, args.cache_dir)
        print(f'decoding the videos of {args.src} into {dst} as {options.describe()}')
        try:
            manifest = prepare_video_folder(args.src, dst, options, workers=args.workers,
                                            skip_bad=args.skip_bad, log=console.log,
                                            progress=console.update)
        except DamagedItemsError as e:
            failure, manifest = e, read_manifest(dst)
        for line in clip_summary(manifest, dst if args.dst else args.src, args):
            print(line)
        if failure is None:
            data_root = args.dst or args.src
            print(f'train with:\n  {train_command(data_root, dataset_options(args, options))}')
    except PredBenchError as e:
        console.end_line()
        print(f'error: {e}', file=sys.stderr)
        return 1
    if failure is not None:
        print(f'error: {failure}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
