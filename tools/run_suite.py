"""Run a suite: train and test a list of configs, measure them, write a leaderboard.

    python tools/run_suite.py configs/suites/seed_models.py [--work-dir DIR] [--only A B]
        [--force] [--launcher pytorch]
    tools/dist_train.sh is for one config; for a distributed suite launch this script with
    python -m torch.distributed.run --nproc_per_node=8 tools/run_suite.py SUITE \
        --launcher pytorch

Re-running a suite skips the entries that finished (their result.json exists) and resumes a
half-trained entry from its last checkpoint. The leaderboard (Markdown and CSV) lists each
entry's test metrics, parameters, FLOPs, training and inference throughput and peak memory.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.analysis.suite import run_suite  # noqa: E402
from predbench.apis.cli import run_cli  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402
from predbench.apis.cli import add_launcher_arguments  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('suite', help='suite file, e.g. configs/suites/seed_models.py')
    parser.add_argument('--work-dir', help='default: work_dirs/suites/<suite name>')
    parser.add_argument('--only', nargs='+', help='run only these entries')
    parser.add_argument('--force', action='store_true', help='redo finished entries')
    add_launcher_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    out = run_suite(args.suite, args.work_dir, args.launcher, args.only, args.force)
    if out.get('markdown'):
        with open(out['markdown']) as f:
            print(f.read())
        if out['skipped']:
            print(f'skipped (already finished): {", ".join(out["skipped"])}')
        print(f'leaderboard: {out["markdown"]} and {out["csv"]}')
    return out


if __name__ == '__main__':
    run_cli(main)
