"""Convert an OpenSTL checkpoint (chengtan9907/OpenSTL) for predbench.

    python tools/convert_openstl_ckpt.py SRC DST --config CONFIG [--cfg-options k=v ...]

SRC is ``torch.save(model.state_dict())`` of an OpenSTL model, or one of its training
checkpoints ``{'state_dict': {'model.<key>': ...}}``; DST is a predbench checkpoint. The weights
are checked against CONFIG's model before DST is written: a mismatch is one line naming the keys
and, where known, the option to change. Parameters that OpenSTL's model holds but never uses are
dropped and named in a note. On any error no DST file is left.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.apis.checkpoints import converter_main  # noqa: E402
from predbench.apis.cli import run_cli  # noqa: E402


def main(argv=None):
    return converter_main('openstl', argv)


if __name__ == '__main__':
    run_cli(main)
