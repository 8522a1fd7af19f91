"""The benchmark scripts measure what they claim: same inputs, same numbers, a sane profile."""
import numpy as np
import pytest
import torch

from benchmarks import bench_eval, bench_family, bench_train_step

TINY = dict(num_hidden=[8, 8], batch=2, img=16, patch=4, total=6, input_length=3, filter_size=3,
            warmup=0, repeat=1)


def test_eval_benchmark_gives_the_original_loops_numbers():
    pred, gt = bench_eval.synthetic_predictions(40)  # two full test batches and a partial one
    loop = bench_eval.finish_loop([bench_eval.original_loop(pred[:32], gt[:32]),
                                   bench_eval.original_loop(pred[32:], gt[32:])])
    ours = bench_eval.finish_predbench([bench_eval.predbench_values(pred[:32], gt[:32], 'cpu'),
                                        bench_eval.predbench_values(pred[32:], gt[32:], 'cpu')])
    np.testing.assert_allclose(ours['mse'], loop['mse'], rtol=1e-6)
    np.testing.assert_allclose(ours['psnr'], loop['psnr'], atol=1e-5)
    np.testing.assert_allclose(ours['ssim'], loop['ssim'], atol=1e-6)


@pytest.mark.parametrize('size', ['mmnist', 'kth'])
def test_eval_benchmark_prints_the_ratios_of_both_backends(capsys, size):
    rows = bench_eval.main(['--size', size, '--num-sequences', '8', '--turns', '2',
                            '--device', 'cpu'])
    assert rows[0]['speedup'] == 1.0
    assert [r['implementation'].split(',')[1].strip() for r in rows[1:]] == [
        'compiled kernel (cpu)', 'torch operations (cpu)']
    for row in rows[1:]:
        assert row['speedup'] > 0
        assert row['max |ssim diff|'] < 1e-6 and row['max |psnr diff|'] < 1e-5
    assert 'largest per-frame difference' in capsys.readouterr().out


@pytest.mark.parametrize('variant', ['fp32', 'unfused', 'channels_last'])
def test_train_step_variants_start_from_the_eager_loss(variant):
    _, eager_loss = bench_train_step.build(TINY, 'cpu', 'train', 'eager')
    _, loss = bench_train_step.build(TINY, 'cpu', 'train', variant)
    assert loss == pytest.approx(eager_loss, abs=1e-6)


def test_convolution_share_is_part_of_the_profiled_step():
    threads = torch.get_num_threads()
    try:  # (it runs in a process of its own in the script: it sets the thread count)
        share = bench_train_step.measure_convolution_share(TINY, 'cpu', 1, 'channels_last')
    finally:
        torch.set_num_threads(threads)
    assert 0 < share['conv'] < share['total']


@pytest.mark.parametrize('model', ['predrnnpp', 'mim'])
@pytest.mark.parametrize('variant', ['fp32', 'channels_last'])
def test_family_benchmark_variants_start_from_the_eager_loss(model, variant):
    size = dict(TINY, num_hidden=[8, 8])
    _, eager_loss = bench_family.build(model, size, 'cpu', 'train', 'eager')
    _, loss = bench_family.build(model, size, 'cpu', 'train', variant)
    assert loss == pytest.approx(eager_loss, abs=1e-6)


def test_family_benchmark_reports_memory_per_clip():
    threads = torch.get_num_threads()
    try:  # (it runs in a process of its own in the script: it sets the thread count)
        eager = bench_family.measure_memory('mim', TINY, 'cpu', 'train', 1, 'eager')
        ours = bench_family.measure_memory('mim', TINY, 'cpu', 'train', 1, 'fp32')
    finally:
        torch.set_num_threads(threads)
    assert eager['peak_mb'] > 0 and ours['peak_mb'] > 0


@pytest.mark.parametrize('mode', ['train', 'infer'])
def test_timed_turns_give_every_variant_a_time_and_the_training_losses(mode):
    size = dict(TINY, warmup=1, repeat=2)
    times = bench_train_step.measure_times(size, 'cpu', mode, 1, ['eager', 'fp32', 'bf16'])
    assert list(times) == ['eager', 'fp32', 'bf16']
    assert all(t['seconds'] > 0 for t in times.values())
    if mode == 'train':  # fp32 starts from the eager loss; bf16 reports none
        assert times['fp32']['loss'] == pytest.approx(times['eager']['loss'], rel=1e-4)
        assert times['bf16']['loss'] is None
    else:
        assert all(t['loss'] is None for t in times.values())
