"""Convert a checkpoint of the original PredRNN release (thuml/predrnn-pytorch) for predbench.

    python tools/convert_thuml_ckpt.py SRC DST [--config CONFIG [--cfg-options k=v ...]]

SRC is a file saved by the original ``model.save`` ({'net_param': RNN.state_dict()}); DST is a
predbench checkpoint that ``init_model``, ``tools/test.py`` and ``load_from`` read. With
``--config`` (recommended) the weights are checked against that config's model before DST is
written, and a mismatch names the keys and the option to change; without it, SRC must hold a
complete plain PredRNN/PredRNN-V2 stack. On any error no DST file is left.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.apis.checkpoints import converter_main  # noqa: E402
from predbench.apis.cli import run_cli  # noqa: E402


def main(argv=None):
    return converter_main('thuml', argv)


if __name__ == '__main__':
    run_cli(main)
