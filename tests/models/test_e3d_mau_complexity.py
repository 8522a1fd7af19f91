"""FLOPs of E3D-LSTM and MAU counted as OpenSTL counts its models (tools/analysis/get_flops.py).

OpenSTL counts with fvcore on (patched clip, mask of ones); MMEngine's analyzer is fvcore's. The
oracles are benchmarks/eager_{e3dlstm,mau}.py (OpenSTL's computation; counted on OpenSTL's own
models they give its published 298.9 G, 217.0 G, 17.8 G and 399.3 G).
"""
import logging

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.logging import MMLogger

from benchmarks.eager_e3dlstm import RefE3DLSTM
from benchmarks.eager_mau import RefMAU
from predbench.analysis import model_complexity
from predbench.models import E3DLSTM, MAU, VideoPredictor


def _openstl_count(ref, total, hp, wp, channels, input_length):
    clip = torch.ones(1, total, hp, wp, channels)
    mask = torch.ones(1, total - input_length - 1, hp, wp, channels)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(ref.eval(), (clip, mask))
            return analyzer.total(), analyzer.by_module()
    finally:
        logger.setLevel(level)


def test_e3dlstm_flops_are_openstls_without_convolving_the_zero_memory():
    torch.manual_seed(0)
    ref = RefE3DLSTM([8, 8], (16, 16), 1, 4, 1, False, 3, 7)
    openstl, by_module = _openstl_count(ref, 7, 4, 4, 16, 3)
    zero_memory = sum(v for k, v in by_module.items() if k.endswith('conv_gm.0.conv3d'))
    ours = model_complexity(VideoPredictor(E3DLSTM([8, 8], 16, patch_size=4), input_length=3),
                            (7, 1, 16, 16))
    assert zero_memory > 0
    # fvcore counts an einsum from numpy's einsum_path report, rounded to 4 significant digits
    assert ours['flops'] == pytest.approx(openstl - zero_memory, rel=1e-5)
    assert ours['params'] == sum(p.numel() for p in ref.parameters())


def test_mau_flops_and_parameters_are_openstls():
    torch.manual_seed(0)
    ref = RefMAU([8, 8], (16, 16), 1, 1, 3, 1, 4, 3, 'normal', 'recall', 3, 7)
    openstl, _ = _openstl_count(ref, 7, 16, 16, 1, 3)
    ours = model_complexity(VideoPredictor(MAU([8, 8], 16, filter_size=3, tau=3,
                                               model_mode='recall'), input_length=3),
                            (7, 1, 16, 16))
    assert ours['flops'] == openstl
    unused = sum(p.numel() for n, p in ref.named_parameters()
                 if n.startswith(('merge.', 'conv_last_sr.')))
    assert ours['params'] == sum(p.numel() for p in ref.parameters()) - unused
