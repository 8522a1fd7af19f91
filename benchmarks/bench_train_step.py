"""Training step and inference of predbench's PredRNN-V2 against a straightforward eager one.

    python benchmarks/bench_train_step.py [--size cpu|gpu] [--device cpu|cuda] [--compile]

The baseline (benchmarks/eager_predrnn.py) computes the same equations the way the original
release does: numpy patching, full-size masks built with Python loops, three convolutions per
cell, the adapter per layer and step, fp32. predbench runs from the same initial weights, clips
and sampling flags. Times: all variants in one process, timed in turns (median), so that drift of
the machine's speed hits them alike; memory: each variant in a process of its own. A training
step is forward + backward + Adam step on one batch (no reverse_input pass).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import isolated, machine, print_table  # noqa: E402

SIZES = {
    # 2 CPU cores, a few minutes for all variants
    'cpu': dict(num_hidden=[64] * 4, batch=4, img=64, patch=4, total=20, input_length=10,
                filter_size=5, warmup=1, repeat=5),
    # the original Moving MNIST setting: 4 x 128 channels, batch 8
    'gpu': dict(num_hidden=[128] * 4, batch=8, img=64, patch=4, total=20, input_length=10,
                filter_size=5, warmup=5, repeat=20),
}


def _inputs(size: dict, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    frames = rng.random((size['batch'], size['total'], size['img'], size['img'], 1),
                        dtype=np.float32)
    flags = (rng.random((size['batch'], size['total'] - 2)) < 0.5).astype(np.float32)
    return frames, flags


def _reference(size: dict):
    import torch
    from benchmarks.eager_predrnn import RefRNN
    torch.manual_seed(0)
    return RefRNN(size['num_hidden'], (size['img'], size['img']), 1, size['patch'],
                  size['filter_size'], False, True, size['input_length'], size['total'],
                  reverse_scheduled_sampling=True, decouple_beta=0.1)


def build_eager(size: dict, device: str, mode: str):
    """(step closure, loss of the first batch) of the original-style implementation."""
    import torch
    from benchmarks.eager_predrnn import full_size_mask, reshape_patch, test_time_mask
    model = _reference(size).to(device)
    frames, flags = _inputs(size)
    p, hp = size['patch'], size['img'] // size['patch']
    channels = p * p
    if mode == 'train':
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            ims = torch.FloatTensor(reshape_patch(frames, p)).to(device)
            mask = torch.FloatTensor(full_size_mask(flags, hp, hp, channels)).to(device)
            optimizer.zero_grad()
            _, loss = model(ims, mask)
            loss.backward()
            optimizer.step()
    else:
        mask = test_time_mask(size['batch'], size['total'], size['input_length'], hp, hp,
                              channels, True)

        def step():
            with torch.no_grad():
                ims = torch.FloatTensor(reshape_patch(frames, p)).to(device)
                model(ims, torch.FloatTensor(mask).to(device))
    loss = None
    if mode == 'train':
        fresh = _reference(size).to(device)
        ims = torch.FloatTensor(reshape_patch(frames, p)).to(device)
        mask = torch.FloatTensor(full_size_mask(flags, hp, hp, channels)).to(device)
        loss = float(fresh(ims, mask)[1].detach())
    return step, loss


def build_predbench(size: dict, device: str, mode: str, variant: str):
    """(step closure, loss of the first batch or None) of predbench's implementation."""
    import torch
    from benchmarks.common import predictor_step
    from predbench.models import PredRNNv2, VideoPredictor
    options = dict(fused_gates=variant != 'unfused', channels_last=variant == 'channels_last',
                   compile_mode={'compile': 'default', 'cudagraphs': 'reduce-overhead'}.get(
                       variant))
    backbone = PredRNNv2(size['num_hidden'], size['img'], patch_size=size['patch'],
                         filter_size=size['filter_size'], decouple_beta=0.1, **options)
    backbone.load_state_dict(_reference(size).state_dict())
    model = VideoPredictor(backbone=backbone, input_length=size['input_length']).to(device)
    if options['channels_last']:
        model = model.to(memory_format=torch.channels_last)
    frames, flags = _inputs(size)
    clip = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous().to(device)
    mask = torch.from_numpy(flags).to(device)
    step = predictor_step(model, clip, mask, mode, variant, 'reverse', size['input_length'])
    loss = None
    if mode == 'train' and variant in ('fp32', 'unfused', 'channels_last'):
        fresh = PredRNNv2(size['num_hidden'], size['img'], patch_size=size['patch'],
                          filter_size=size['filter_size'], decouple_beta=0.1, **options)
        fresh.load_state_dict(_reference(size).state_dict())
        fresh = VideoPredictor(backbone=fresh, input_length=size['input_length']).to(device)
        losses = fresh(clip, mode='loss', sampling_mask=mask, sampling_mode='reverse')
        loss = float(sum(losses.values()).detach())
    return step, loss


def build(size: dict, device: str, mode: str, variant: str):
    if variant == 'eager':
        return build_eager(size, device, mode)
    return build_predbench(size, device, mode, variant)


def measure_memory(size: dict, device: str, mode: str, threads: int, variant: str) -> dict:
    """Memory of one step, in a process of its own.

    GPU: peak of torch.cuda.max_memory_allocated. CPU (no allocator statistics): the bytes of
    the distinct tensors autograd keeps for the backward pass of one training step, which is what
    grows with the clip and the batch; inference keeps none, so it reports the GPU number only.
    """
    import torch
    from benchmarks.common import time_steps
    torch.set_num_threads(threads)
    step, _ = build(size, device, mode, variant)
    if device.startswith('cuda'):
        return time_steps(step, device, warmup=1, repeat=1)
    if mode != 'train':
        return dict(peak_mb=float('nan'))
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return dict(peak_mb=sum(storages.values()) / 2**20)


def measure_times(size: dict, device: str, mode: str, threads: int, variants: list) -> dict:
    """Median seconds per step of every variant, timed in turns (robust to machine drift)."""
    import torch
    from benchmarks.common import interleaved_times
    torch.set_num_threads(threads)
    built = {v: build(size, device, mode, v) for v in variants}
    return interleaved_times(built, device, size['warmup'], size['repeat'])


def measure_convolution_share(size: dict, device: str, threads: int, variant: str) -> dict:
    """Seconds of one profiled training step: all operations, and the convolutions alone.

    The convolutions (forward and backward) do the multiply-adds of the equations; no
    implementation of them in fp32 skips those. So ``eager total / predbench convolutions`` bounds
    the fp32 speed-up any rewrite of everything around the convolutions can reach.
    """
    import torch
    torch.set_num_threads(threads)
    step, _ = build(size, device, 'train', variant)
    step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) / 1e6
    conv = sum(e.self_cpu_time_total for e in events if 'convolution' in e.key) / 1e6
    return dict(total=total, conv=conv)


def print_convolution_bound(size: dict, device: str, threads: int) -> None:
    eager = isolated(measure_convolution_share, size=size, device=device, threads=threads,
                     variant='eager')
    ours = isolated(measure_convolution_share, size=size, device=device, threads=threads,
                    variant='channels_last')
    print(f'\nconvolutions (forward + backward) in one profiled training step: eager '
          f'{eager["conv"]:.2f} s of {eager["total"]:.2f} s ({eager["conv"] / eager["total"]:.0%}),'
          f' predbench channels-last {ours["conv"]:.2f} s of {ours["total"]:.2f} s; '
          f'if everything but its convolutions took no time, predbench fp32 would be at most '
          f'{eager["total"] / ours["conv"]:.2f}x faster than eager')


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--size', choices=sorted(SIZES), default='cpu')
    parser.add_argument('--device', default=None)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--compile', action='store_true', help='also torch.compile variants')
    parser.add_argument('--num-hidden', type=int, nargs='+', help='override the size')
    parser.add_argument('--batch', type=int, help='override the size')
    parser.add_argument('--repeat', type=int, help='override the size')
    args = parser.parse_args(argv)
    import torch
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    threads = args.threads or torch.get_num_threads()
    size = dict(SIZES[args.size])
    for key in ('num_hidden', 'batch', 'repeat'):
        if getattr(args, key):
            size[key] = getattr(args, key)
    variants = ['fp32', 'unfused', 'channels_last', 'bf16']
    if args.compile:
        variants += ['compile'] + (['cudagraphs'] if device.startswith('cuda') else [])
    print(f'PredRNN-V2 {size["num_hidden"]}, batch {size["batch"]}, {size["img"]}x{size["img"]} '
          f'patch {size["patch"]}, {size["total"]} frames; on {machine()}')
    rows = []
    for mode in ('train', 'infer'):
        names = ['eager'] + variants
        times = isolated(measure_times, size=size, device=device, mode=mode, threads=threads,
                         variants=names)
        memory = {v: isolated(measure_memory, size=size, device=device, mode=mode,
                              threads=threads, variant=v)['peak_mb'] for v in names}
        base_s, base_mb = times['eager']['seconds'], memory['eager']
        for v in names:
            row = dict(mode=mode, variant='eager (original-style, fp32)' if v == 'eager'
                       else f'predbench {v}', seconds=times[v]['seconds'], peak_mb=memory[v],
                       speedup=base_s / times[v]['seconds'],
                       memory_ratio=memory[v] / base_mb if base_mb else float('nan'))
            if times[v]['loss'] is not None:
                row['loss'] = times[v]['loss']
            rows.append(row)
    for row in rows:
        row['ms'] = 1e3 * row['seconds']
        if row['mode'] == 'infer':
            row['seq_per_s'] = size['batch'] / row['seconds']
    memory = 'peak_mb: ' + ('torch.cuda.max_memory_allocated' if device.startswith('cuda') else
                            'tensors saved for the backward pass (CPU has no allocator '
                            'statistics)')
    print_table('training step (forward + backward + Adam) and inference (10 -> 10)', rows,
                ['mode', 'variant', 'ms', 'speedup', 'peak_mb', 'memory_ratio', 'seq_per_s',
                 'loss'])
    print(memory)
    if not device.startswith('cuda'):
        print_convolution_bound(size, device, threads)
    eager_loss = rows[0]['loss']
    for row in rows:
        if 'loss' in row and row is not rows[0]:
            print(f'{row["variant"]}: |loss - eager loss| = {abs(row["loss"] - eager_loss):.2e}')
    return rows


if __name__ == '__main__':
    main()
