"""Turn the raw KTH action release into the frame folders predbench and the original PredRNN read.

SRC holds the AVIs ``personXX_<action>_dY_uncomp.avi`` (directly or in sub-folders) or the six
action archives ``boxing.zip`` ... ``running.zip``; DST receives
``<action>/personXX_<action>_dY_uncomp/image_NNNN.png`` (1-based). Reruns skip finished videos;
nothing else in DST is touched.

    python tools/data/prepare_kth.py RAW_KTH_DIR data/kth
"""
import argparse
import os
import sys
from typing import List, Optional

from predbench.datasets.kth_convert import prepare
from predbench.utils.errors import PredBenchError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='folder with the KTH AVIs (or sub-folders) or the action zips')
    parser.add_argument('dst', help='output folder, e.g. data/kth')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='parallel decoding processes (default %(default)s)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='warn about and skip unreadable videos and unexpected names '
                             'instead of failing')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        prepare(args.src, args.dst, args.workers, args.skip_bad)
    except PredBenchError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
