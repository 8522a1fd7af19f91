"""benchmarks/bench_e3d_mau.py measures what it claims: same inputs, same numbers."""
import pytest
import torch

from benchmarks import bench_e3d_mau

TINY = {
    'e3dlstm': dict(num_hidden=[4, 4], batch=2, img=16, patch=4, total=6, input_length=3,
                    warmup=0, repeat=1),
    'mau': dict(num_hidden=[4, 4], batch=2, img=16, patch=1, total=6, input_length=3,
                warmup=0, repeat=1),
}
CASES = [(model, variant) for model, variants in bench_e3d_mau.VARIANTS.items()
         for variant in variants if variant != 'bf16']


@pytest.mark.parametrize('model,variant', CASES)
def test_predbench_variants_start_from_the_eager_loss(model, variant):
    _, eager_loss = bench_e3d_mau.build(model, TINY[model], 'cpu', 'train', 'eager')
    _, loss = bench_e3d_mau.build(model, TINY[model], 'cpu', 'train', variant)
    assert loss == pytest.approx(eager_loss, abs=1e-6)


@pytest.mark.parametrize('model', ['e3dlstm', 'mau'])
def test_every_variant_trains_and_predicts(model):
    for mode in ('train', 'infer'):
        for variant in ['eager'] + bench_e3d_mau.VARIANTS[model]:
            step, _ = bench_e3d_mau.build(model, TINY[model], 'cpu', mode, variant)
            step()


def test_memory_per_clip_counts_the_saved_tensors_of_a_training_step():
    threads = torch.get_num_threads()
    try:  # (it runs in a process of its own in the script: it sets the thread count)
        eager = bench_e3d_mau.measure_memory('e3dlstm', TINY['e3dlstm'], 'cpu', 'train', 1,
                                             'eager')
        ours = bench_e3d_mau.measure_memory('e3dlstm', TINY['e3dlstm'], 'cpu', 'train', 1,
                                            'fp32')
    finally:
        torch.set_num_threads(threads)
    # predbench keeps no attention matrices (fused attention) and no zero-memory convolution
    assert 0 < ours['mb_per_clip'] < eager['mb_per_clip']
