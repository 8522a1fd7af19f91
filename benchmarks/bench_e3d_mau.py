"""Training step and inference of predbench's E3D-LSTM and MAU against eager OpenSTL-style ones.

    python benchmarks/bench_e3d_mau.py [--model e3dlstm|mau|both] [--size cpu|gpu] [--compile]

The baselines (benchmarks/eager_e3dlstm.py, eager_mau.py) compute the same equations the way
OpenSTL does: numpy patching, full-size masks, 3D convolutions resized back, E3D-LSTM's memory
convolved although it is zero and its attention as einsum + softmax, MAU's attention weights in a
loop over tau, fp32. predbench runs from the same initial weights, clips and sampling flags.
Times: all variants in one process, timed in turns (median); memory: each variant in a process
of its own (GPU: peak allocated; CPU: bytes of the tensors autograd keeps for the backward pass
of one training step), reported per clip. A training step is forward + backward + Adam step.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from benchmarks.common import isolated, machine, print_table  # noqa: E402

SIZES = {
    'e3dlstm': {
        # 2 CPU cores, a few minutes for all variants
        'cpu': dict(num_hidden=[32] * 2, batch=2, img=64, patch=4, total=20, input_length=10,
                    warmup=1, repeat=3),
        # OpenSTL's Moving MNIST setting: 4 x 128 channels, patch 4, batch 16
        'gpu': dict(num_hidden=[128] * 4, batch=16, img=64, patch=4, total=20, input_length=10,
                    warmup=3, repeat=10),
    },
    'mau': {
        'cpu': dict(num_hidden=[32] * 4, batch=4, img=64, patch=1, total=20, input_length=10,
                    warmup=1, repeat=5),
        # OpenSTL's Moving MNIST setting: 4 x 64 channels, sr_size 4, tau 5, batch 16
        'gpu': dict(num_hidden=[64] * 4, batch=16, img=64, patch=1, total=20, input_length=10,
                    warmup=5, repeat=20),
    },
}
# Variants of predbench's model measured besides the eager baseline, per model.
VARIANTS = {'e3dlstm': ['fp32', 'unfused_attention', 'bf16'],
            'mau': ['fp32', 'channels_last', 'bf16']}


def _inputs(size: dict, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    frames = rng.random((size['batch'], size['total'], size['img'], size['img'], 1),
                        dtype=np.float32)
    flags = (rng.random((size['batch'], size['total'] - size['input_length'] - 1)) < 0.5)
    return frames, flags.astype(np.float32)


def _reference(model: str, size: dict):
    import torch
    torch.manual_seed(0)
    shape = (size['img'], size['img'])
    if model == 'e3dlstm':
        from benchmarks.eager_e3dlstm import RefE3DLSTM
        return RefE3DLSTM(size['num_hidden'], shape, 1, size['patch'], 1, False,
                          size['input_length'], size['total'])
    from benchmarks.eager_mau import RefMAU
    return RefMAU(size['num_hidden'], shape, 1, size['patch'], 5, 1, 4, 5, 'normal', 'normal',
                  size['input_length'], size['total'])


def _eager_module(model: str):
    if model == 'e3dlstm':
        import benchmarks.eager_e3dlstm as module
    else:
        import benchmarks.eager_mau as module
    return module


def build_eager(model: str, size: dict, device: str, mode: str):
    """(step closure, loss of the first batch) of the OpenSTL-style implementation."""
    import numpy as np
    import torch
    module = _eager_module(model)
    net = _reference(model, size).to(device)
    frames, flags = _inputs(size)
    p, hp = size['patch'], size['img'] // size['patch']
    channels = p * p

    def batch():
        ims = torch.FloatTensor(module.reshape_patch(frames, p)).to(device)
        mask = torch.FloatTensor(module.full_size_mask(flags, hp, hp, channels)).to(device)
        return ims, mask

    loss = None
    if mode == 'train':
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
        loss = float(_reference(model, size).to(device)(*batch())[1].detach())

        def step():
            optimizer.zero_grad()
            net(*batch())[1].backward()
            optimizer.step()
    else:
        zeros = np.zeros((size['batch'], size['total'] - size['input_length'] - 1, hp, hp,
                          channels), np.float32)

        def step():
            with torch.no_grad():
                ims = torch.FloatTensor(module.reshape_patch(frames, p)).to(device)
                net(ims, torch.from_numpy(zeros).to(device), return_loss=False)
    return step, loss


def _predbench_backbone(model: str, size: dict, variant: str):
    from predbench.models import E3DLSTM, MAU
    if model == 'e3dlstm':
        backbone = E3DLSTM(size['num_hidden'], size['img'], patch_size=size['patch'],
                           fused_attention=variant != 'unfused_attention')
    else:
        backbone = MAU(size['num_hidden'], size['img'], patch_size=size['patch'])
    state = {k: v for k, v in _reference(model, size).state_dict().items()
             if not k.startswith(('merge.', 'conv_last_sr.'))}
    backbone.load_state_dict(state)
    return backbone


def build_predbench(model: str, size: dict, device: str, mode: str, variant: str):
    """(step closure, loss of the first batch or None) of predbench's implementation."""
    import torch
    from benchmarks.common import predictor_step
    from predbench.models import VideoPredictor

    def make():
        net = VideoPredictor(backbone=_predbench_backbone(model, size, variant),
                             input_length=size['input_length']).to(device)
        if variant == 'channels_last':
            net = net.to(memory_format=torch.channels_last)
        if variant == 'compile':
            net.backbone = torch.compile(net.backbone)
        return net

    net = make()
    frames, flags = _inputs(size)
    clip = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous().to(device)
    mask = torch.from_numpy(flags).to(device)
    step = predictor_step(net, clip, mask, mode, variant, 'scheduled', size['input_length'])
    loss = None
    if mode == 'train' and variant in ('fp32', 'unfused_attention', 'channels_last'):
        losses = make()(clip, mode='loss', sampling_mask=mask, sampling_mode='scheduled')
        loss = float(sum(losses.values()).detach())
    return step, loss


def build(model: str, size: dict, device: str, mode: str, variant: str):
    if variant == 'eager':
        return build_eager(model, size, device, mode)
    return build_predbench(model, size, device, mode, variant)


def measure_memory(model: str, size: dict, device: str, mode: str, threads: int,
                   variant: str) -> dict:
    """Memory of one step per clip, in a process of its own (see the module docstring)."""
    import torch
    from benchmarks.common import time_steps
    torch.set_num_threads(threads)
    step, _ = build(model, size, device, mode, variant)
    if device.startswith('cuda'):
        return dict(mb_per_clip=time_steps(step, device, 1, 1)['peak_mb'] / size['batch'])
    if mode != 'train':
        return dict(mb_per_clip=float('nan'))
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return dict(mb_per_clip=sum(storages.values()) / 2**20 / size['batch'])


def measure_times(model: str, size: dict, device: str, mode: str, threads: int,
                  variants: list) -> dict:
    """Median seconds per step of every variant, timed in turns (robust to machine drift)."""
    import torch
    from benchmarks.common import interleaved_times
    torch.set_num_threads(threads)
    built = {v: build(model, size, device, mode, v) for v in variants}
    return interleaved_times(built, device, size['warmup'], size['repeat'], compiled=('compile', ))


def run_model(model: str, size: dict, device: str, threads: int, compile_: bool) -> list:
    variants = VARIANTS[model] + (['compile'] if compile_ else [])
    names = ['eager'] + variants
    rows = []
    for mode in ('train', 'infer'):
        times = isolated(measure_times, model=model, size=size, device=device, mode=mode,
                         threads=threads, variants=names)
        memory = {v: isolated(measure_memory, model=model, size=size, device=device, mode=mode,
                              threads=threads, variant=v)['mb_per_clip'] for v in names}
        base = times['eager']['seconds']
        for v in names:
            row = dict(model=model, mode=mode, seconds=times[v]['seconds'],
                       variant='eager (OpenSTL-style, fp32)' if v == 'eager'
                       else f'predbench {v}', speedup=base / times[v]['seconds'],
                       mb_per_clip=memory[v],
                       memory_ratio=memory[v] / memory['eager'] if memory['eager'] else
                       float('nan'))
            if times[v]['loss'] is not None:
                row['loss'] = times[v]['loss']
            row['ms'] = 1e3 * row['seconds']
            if mode == 'infer':
                row['seq_per_s'] = size['batch'] / row['seconds']
            rows.append(row)
    return rows


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', choices=['e3dlstm', 'mau', 'both'], default='both')
    parser.add_argument('--size', choices=['cpu', 'gpu'], default='cpu')
    parser.add_argument('--device', default=None)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--compile', action='store_true', help='also a torch.compile variant')
    parser.add_argument('--repeat', type=int, help='override the size')
    args = parser.parse_args(argv)
    import torch
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    threads = args.threads or torch.get_num_threads()
    models = ['e3dlstm', 'mau'] if args.model == 'both' else [args.model]
    rows = []
    for model in models:
        size = dict(SIZES[model][args.size])
        if args.repeat:
            size['repeat'] = args.repeat
        print(f'{model} {size["num_hidden"]}, batch {size["batch"]}, {size["img"]}x{size["img"]} '
              f'patch {size["patch"]}, {size["total"]} frames; on {machine()}')
        rows += run_model(model, size, device, threads, args.compile)
    memory = ('torch.cuda.max_memory_allocated' if device.startswith('cuda') else
              'tensors saved for the backward pass (CPU has no allocator statistics)')
    print_table('training step (forward + backward + Adam) and inference (10 -> 10)', rows,
                ['model', 'mode', 'variant', 'ms', 'speedup', 'mb_per_clip', 'memory_ratio',
                 'seq_per_s', 'loss'])
    print(f'mb_per_clip: {memory}, divided by the batch')
    for model in models:
        eager = next(r for r in rows if r['model'] == model and r['variant'].startswith('eager')
                     and 'loss' in r)
        for row in rows:
            if row['model'] == model and 'loss' in row and row is not eager:
                print(f'{model} {row["variant"]}: |loss - eager loss| = '
                      f'{abs(row["loss"] - eager["loss"]):.2e}')
    return rows


if __name__ == '__main__':
    main()
