"""Convert BAIR robot pushing (softmotion30_44k TFRecords, no TensorFlow needed) for BAIRPush.

SRC is the folder holding ``softmotion30_44k/`` (the extracted bair_robot_pushing_dataset_v0.tar)
or that folder itself; extracted frames ``[processed_data/]{train,test}/<group>/<video>/<t>.png``
(with ``actions.npy``/``.csv`` per video) are read too. DST receives ``{train,test}/<file>/``
with uint8 frames, actions and video spans. Every record's CRCs are checked; a damaged record is
named by file and record number, its file is left out, the others are converted, and the tool
exits 1 with the list. Reruns keep finished files whose source is unchanged.

    python tools/data/prepare_bair.py /data/bair data/bair
"""
import argparse
import os
import sys
from typing import List, Optional

from predbench.datasets.bair_convert import describe, prepare
from predbench.utils.errors import PredBenchError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='folder holding softmotion30_44k/ (or train/ and test/)')
    parser.add_argument('dst', help='output folder, e.g. data/bair')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='parallel conversion processes (default %(default)s)')
    parser.add_argument('--verify', action='store_true',
                        help='also check the arrays of the finished files and convert again '
                             'those that do not load')
    parser.add_argument('--skip-bad', action='store_true',
                        help='warn about damaged files and exit 0 instead of failing')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        prepare(args.src, args.dst, args.workers, args.skip_bad, args.verify)
    except PredBenchError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(describe(args.dst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
