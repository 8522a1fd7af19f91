"""Turn the raw KTH action release into the frame folders predbench and the original PredRNN read.

SRC holds the AVIs ``personXX_<action>_dY_uncomp.avi`` (directly or in sub-folders) or the six
action archives ``boxing.zip`` ... ``running.zip`` (SRC may also be one .avi or .zip file); DST
receives ``<action>/personXX_<action>_dY_uncomp/image_NNNN.png`` (1-based). Every video is checked
(frames decoded = frames its container declares); a damaged one is named and left out, the others
are converted, and the tool exits 1 with the list. Reruns skip finished videos whose source and
frames are unchanged and redo the others; nothing else in DST is touched.

    python tools/data/prepare_kth.py RAW_KTH_DIR data/kth
"""
import argparse
import os
import sys
from typing import List, Optional

from predbench.datasets.kth_convert import prepare
from predbench.datasets.video_io import quiet_ffmpeg
from predbench.utils.errors import PredBenchError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='folder with the KTH AVIs (or sub-folders) or the action '
                                    'zips; or one .avi or .zip file')
    parser.add_argument('dst', help='output folder, e.g. data/kth')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='parallel decoding processes (default %(default)s)')
    parser.add_argument('--verify', action='store_true',
                        help='also decode every frame of the finished videos and convert again '
                             'those with a damaged frame')
    parser.add_argument('--skip-bad', action='store_true',
                        help='warn about damaged videos and unexpected names and exit 0 '
                             'instead of failing')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    quiet_ffmpeg()  # damaged videos are named by predbench; FFmpeg's lines would only add noise
    try:
        prepare(args.src, args.dst, args.workers, args.skip_bad, args.verify)
    except PredBenchError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
