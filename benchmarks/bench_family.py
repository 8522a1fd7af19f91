"""Training step, inference and memory per clip of predbench's PredRNN++ and MIM against eager
re-statements of OpenSTL's models, on the same inputs in one run.

    python benchmarks/bench_family.py [--models predrnnpp mim] [--size cpu|gpu] [--device cpu|cuda]
        [--compile]

The baselines (benchmarks/eager_predrnnpp.py, benchmarks/eager_mim.py) compute what OpenSTL's
``PredRNNpp_Model`` / ``MIM_Model`` and its PredRNN method compute, the way they compute it: numpy
patching, full-size sampling masks built with Python loops, one convolution per state and gate
group, fp32 (MIM also runs its MIM-N modules at step 0 for nothing). predbench runs from the same
weights, clips and scheduled-sampling flags. Times: all variants in one process, timed in turns
(median); memory: each variant in a process of its own, reported per clip. A training step is
forward + backward + Adam step on one batch.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import isolated, machine, print_table  # noqa: E402

SIZES = {
    # 2 CPU cores, a few minutes for both models and all variants
    'cpu': dict(num_hidden=[32] * 4, batch=2, img=64, patch=4, total=20, input_length=10,
                filter_size=5, warmup=1, repeat=3),
    # OpenSTL's Moving MNIST setting: 4 x 128 channels, batch 16
    'gpu': dict(num_hidden=[128] * 4, batch=16, img=64, patch=4, total=20, input_length=10,
                filter_size=5, warmup=3, repeat=10),
}
MODELS = ('predrnnpp', 'mim')


def _inputs(size: dict, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    frames = rng.random((size['batch'], size['total'], size['img'], size['img'], 1),
                        dtype=np.float32)
    flags = (rng.random((size['batch'], size['total'] - size['input_length'] - 1)) < 0.5
             ).astype(np.float32)
    return frames, flags


def _reference(model: str, size: dict):
    import torch
    from benchmarks.eager_mim import RefMIM
    from benchmarks.eager_predrnnpp import RefPredRNNpp
    torch.manual_seed(0)
    cls = RefPredRNNpp if model == 'predrnnpp' else RefMIM
    return cls(size['num_hidden'], (size['img'], size['img']), 1, size['patch'],
               size['filter_size'], False, size['input_length'], size['total'])


def _reference_state(model: str, size: dict) -> dict:
    """The eager model's weights without the keys predbench does not create."""
    import re
    from predbench.models import MIM, PredRNNpp
    cls = PredRNNpp if model == 'predrnnpp' else MIM
    return {k: v for k, v in _reference(model, size).state_dict().items()
            if not any(re.match(p, k) for p in cls.reference_unused_keys)}


def build_eager(model: str, size: dict, device: str, mode: str):
    """(step closure, loss of the first batch) of the OpenSTL-style implementation."""
    import torch
    from benchmarks.eager_predrnn import full_size_mask, reshape_patch, test_time_mask
    net = _reference(model, size).to(device)
    frames, flags = _inputs(size)
    p, hp = size['patch'], size['img'] // size['patch']
    if mode == 'train':
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)

        def step():
            ims = torch.FloatTensor(reshape_patch(frames, p)).to(device)
            mask = torch.FloatTensor(full_size_mask(flags, hp, hp, p * p)).to(device)
            optimizer.zero_grad()
            _, loss = net(ims, mask)
            loss.backward()
            optimizer.step()
    else:
        mask = test_time_mask(size['batch'], size['total'], size['input_length'], hp, hp, p * p,
                              False)

        def step():
            with torch.no_grad():
                net(torch.FloatTensor(reshape_patch(frames, p)).to(device),
                    torch.FloatTensor(mask).to(device))
    loss = None
    if mode == 'train':
        fresh = _reference(model, size).to(device)
        ims = torch.FloatTensor(reshape_patch(frames, p)).to(device)
        mask = torch.FloatTensor(full_size_mask(flags, hp, hp, p * p)).to(device)
        loss = float(fresh(ims, mask)[1].detach())
    return step, loss


def _predbench_model(model: str, size: dict, device: str, variant: str):
    import torch
    from predbench.models import MIM, PredRNNpp, VideoPredictor
    options = dict(channels_last=variant == 'channels_last',
                   compile_mode={'compile': 'default', 'cudagraphs': 'reduce-overhead'}.get(
                       variant))
    cls = PredRNNpp if model == 'predrnnpp' else MIM
    backbone = cls(size['num_hidden'], size['img'], patch_size=size['patch'],
                   filter_size=size['filter_size'], **options)
    backbone.load_state_dict(_reference_state(model, size))
    net = VideoPredictor(backbone=backbone, input_length=size['input_length']).to(device)
    if options['channels_last']:
        net = net.to(memory_format=torch.channels_last)
    return net


def build_predbench(model: str, size: dict, device: str, mode: str, variant: str):
    """(step closure, loss of the first batch or None) of predbench's implementation."""
    import torch
    from benchmarks.common import predictor_step
    net = _predbench_model(model, size, device, variant)
    frames, flags = _inputs(size)
    clip = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous().to(device)
    mask = torch.from_numpy(flags).to(device)
    step = predictor_step(net, clip, mask, mode, variant, 'scheduled', size['input_length'])
    loss = None
    if mode == 'train' and variant in ('fp32', 'channels_last'):
        fresh = _predbench_model(model, size, device, variant)
        losses = fresh(clip, mode='loss', sampling_mask=mask, sampling_mode='scheduled')
        loss = float(losses['loss_rec'].detach())
    return step, loss


def build(model: str, size: dict, device: str, mode: str, variant: str):
    if variant == 'eager':
        return build_eager(model, size, device, mode)
    return build_predbench(model, size, device, mode, variant)


def measure_memory(model: str, size: dict, device: str, mode: str, threads: int,
                   variant: str) -> dict:
    """MB of one step, in a process of its own.

    GPU: peak of torch.cuda.max_memory_allocated. CPU: the bytes of the distinct tensors autograd
    keeps for the backward pass of one training step (what grows with the clip and the batch);
    inference keeps none, so it reports the GPU number only.
    """
    import torch
    from benchmarks.common import time_steps
    torch.set_num_threads(threads)
    step, _ = build(model, size, device, mode, variant)
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


def measure_times(model: str, size: dict, device: str, mode: str, threads: int,
                  variants: list) -> dict:
    """Median seconds per step of every variant, timed in turns (robust to machine drift)."""
    import torch
    from benchmarks.common import interleaved_times
    torch.set_num_threads(threads)
    built = {v: build(model, size, device, mode, v) for v in variants}
    return interleaved_times(built, device, size['warmup'], size['repeat'])


def run_model(model: str, size: dict, device: str, threads: int, variants: list) -> list:
    """The rows of one model: every variant in training and inference."""
    rows = []
    names = ['eager'] + variants
    for mode in ('train', 'infer'):
        times = isolated(measure_times, model=model, size=size, device=device, mode=mode,
                         threads=threads, variants=names)
        memory = {v: isolated(measure_memory, model=model, size=size, device=device, mode=mode,
                              threads=threads, variant=v)['peak_mb'] for v in names}
        base_s = times['eager']['seconds']
        for v in names:
            row = dict(model=model, mode=mode,
                       variant='eager (OpenSTL-style, fp32)' if v == 'eager' else f'predbench {v}',
                       ms=1e3 * times[v]['seconds'], speedup=base_s / times[v]['seconds'],
                       mb_per_clip=memory[v] / size['batch'])
            if mode == 'infer':
                row['seq_per_s'] = size['batch'] / times[v]['seconds']
            if times[v]['loss'] is not None:
                row['loss'] = times[v]['loss']
            rows.append(row)
    return rows


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
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
    variants = ['fp32', 'channels_last', 'bf16']
    if args.compile:
        variants += ['compile'] + (['cudagraphs'] if device.startswith('cuda') else [])
    torch.set_num_threads(threads)  # (for the header: each measurement sets it in its process)
    print(f'{size["num_hidden"]}, batch {size["batch"]}, {size["img"]}x{size["img"]} patch '
          f'{size["patch"]}, {size["total"]} frames; on {machine()}')
    rows = []
    for model in args.models:
        rows += run_model(model, size, device, threads, variants)
    print_table('training step (forward + backward + Adam) and inference (10 -> 10)', rows,
                ['model', 'mode', 'variant', 'ms', 'speedup', 'mb_per_clip', 'seq_per_s', 'loss'])
    print('mb_per_clip: ' + ('torch.cuda.max_memory_allocated / batch' if device.startswith('cuda')
                             else 'tensors saved for the backward pass / batch (CPU has no '
                                  'allocator statistics)'))
    for model in args.models:
        eager = next(r for r in rows if r['model'] == model and 'loss' in r)
        for row in rows:
            if row['model'] == model and 'loss' in row and row is not eager:
                print(f'{model} {row["variant"]}: |loss - eager loss| = '
                      f'{abs(row["loss"] - eager["loss"]):.2e}')
    return rows


if __name__ == '__main__':
    main()
