"""The offline demo behind ``make demo``: train a small PredRNN-V2, test it, compare baselines.

    python tools/demo.py [--work-dir work_dirs/predrnn_v2_demo] [--amp auto|on|off]
                         [--cfg-options k=v ...]

It trains ``configs/predrnn_v2_demo.py`` for about two minutes on CPU on the demo task (Moving
Digits, procedural digits, no download; the real MNIST digits when data/moving_mnist/ has them;
the config says how the task differs from the benchmark), tests it, prints its MSE and SSIM next
to two baselines ("repeat the last input frame", "predict a blank frame") and writes GIFs of
ground truth beside predictions. bf16 autocast is on where the CPU computes bf16 in hardware
(``--amp auto``). Re-running continues from the last checkpoint.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.engine.amp import apply_amp, cpu_computes_bf16  # noqa: E402
from predbench.engine.runner import build_runner  # noqa: E402
from predbench.evaluation import compute_metrics, save_metrics_report  # noqa: E402
from predbench.registry import DATASETS  # noqa: E402
from predbench.apis.cli import add_cfg_options_argument, run_cli  # noqa: E402
from predbench.utils.config import load_config  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402
from predbench.visualization import save_sequence_gif, save_sequence_grid  # noqa: E402

CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                  'predrnn_v2_demo.py')
REAL_DIGITS = osp.join('data', 'moving_mnist', 'train-images-idx3-ubyte.gz')
NUM_GIFS = 3


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=CONFIG, help='demo config')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'predrnn_v2_demo'))
    parser.add_argument('--amp', choices=('auto', 'on', 'off'), default='auto',
                        help='bf16 autocast; auto: on GPUs and on CPUs with AVX512-BF16 or AMX')
    add_cfg_options_argument(parser, 'model.input_length=10')
    return parser.parse_args(argv)


def use_real_digits_if_present(cfg) -> str:
    """Switch the demo's sprites to real MNIST training digits when they are on disk."""
    if not osp.isfile(REAL_DIGITS):
        return 'Moving Digits (procedural Hershey-font digits, no download)'
    ranges = {'train': (0, 50000), 'val': (50000, 55000), 'test': (55000, 60000)}
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        dataset.type = 'GeneratedMovingMNIST'
        dataset.data_file = osp.basename(REAL_DIGITS)
        dataset.data_root = osp.dirname(REAL_DIGITS)
        dataset.digit_range = ranges[split]
    return f'Moving MNIST from the real digits in {REAL_DIGITS}'


def use_amp(choice: str) -> bool:
    """Whether the demo trains under bf16 autocast (measured on a 2-core AVX512-BF16 CPU: 110 s
    for the whole demo against 142 s in fp32)."""
    if choice == 'auto':
        return torch.cuda.is_available() or cpu_computes_bf16()
    return choice == 'on'


def test_clips(cfg) -> torch.Tensor:
    """All test clips of the demo as floats in [0, 1], [N, T, C, H, W]."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    clips = torch.stack([dataset[i]['inputs'] for i in range(len(dataset))])
    return clips.float() / 255.0 if clips.dtype == torch.uint8 else clips


def baseline_metrics(clips: torch.Tensor, input_length: int) -> dict:
    """``{baseline: (MSE per frame, SSIM)}`` of "repeat the last input frame" and "predict a
    blank frame", means over the predicted frames."""
    gt = clips[:, input_length:]
    last = clips[:, input_length - 1:input_length].expand_as(gt)
    rows = {}
    for name, guess in (('repeat last frame', last), ('blank frame', torch.zeros_like(gt))):
        values = compute_metrics(guess, gt, metrics=('mse', 'ssim'))
        rows[name] = (float(values['mse'].mean()), float(values['ssim'].mean()))
    return rows


def main(argv=None) -> dict:
    """Train, test, compare and draw; returns the test metrics and the baselines' (MSE, SSIM)."""
    args = parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    data_kind = use_real_digits_if_present(cfg)
    cfg.work_dir = args.work_dir
    cfg.resume = True  # re-running the demo continues (or just reloads) the last checkpoint
    cfg.load_from = None
    amp = use_amp(args.amp)
    if amp:
        apply_amp(cfg)
    print(f'predbench demo: training a small PredRNN-V2 on {data_kind}; '
          f'{cfg.train_cfg.max_iters} iterations on {torch.get_num_threads()} CPU threads'
          f'{", bf16 autocast" if amp else ""}')
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    report = save_metrics_report(metrics, osp.join(cfg.work_dir, 'demo_test'))

    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    model.eval()
    clips = test_clips(cfg)
    input_length = model.input_length
    device = next(model.parameters()).device
    with torch.no_grad():
        pred = model.predict_frames(clips[:NUM_GIFS, :input_length].to(device),
                                    clips.shape[1] - input_length).cpu().clamp(0, 1)
    out_dir = osp.join(cfg.work_dir, 'demo_test')
    os.makedirs(out_dir, exist_ok=True)
    gifs = []
    for i in range(NUM_GIFS):
        gif = osp.join(out_dir, f'clip{i}_truth_vs_prediction.gif')
        save_sequence_gif(clips[i, input_length:], pred[i], gif, input=clips[i, :input_length])
        save_sequence_grid(clips[i, :input_length], clips[i, input_length:], pred[i],
                           osp.join(out_dir, f'clip{i}_grid.png'))
        gifs.append(gif)

    prefix = cfg.test_evaluator.prefix
    model_mse = metrics[f'{prefix}/mse']
    baselines = baseline_metrics(clips, input_length)
    rows = {'PredRNN-V2 (trained)': (model_mse, metrics[f'{prefix}/ssim']), **baselines}
    print(f'\nOn the {len(clips)} demo test clips, means over the predicted frames:')
    print(f'  {"":<22s} {"MSE per frame":>14s} {"SSIM":>7s}')
    for name, (mse, ssim) in rows.items():
        print(f'  {name:<22s} {mse:14.2f} {ssim:7.3f}')
    print('  (MSE: sum over the pixels, lower is better; SSIM: higher is better)')
    best_baseline = min(mse for mse, _ in baselines.values())
    verdict = 'beats' if model_mse < best_baseline else 'does NOT beat'
    print(f'The model {verdict} both baselines '
          f'({100 * (1 - model_mse / best_baseline):.0f}% below the better one).')
    print(f'\nAll test metrics: {report["json"]}\nPer-frame plot: {report["plot"]}')
    print(f'GIFs (ground truth | prediction): {gifs[0]} (+{len(gifs) - 1} more in {out_dir})')
    if model_mse >= best_baseline:
        sys.exit(1)
    return {'metrics': metrics, 'baselines': baselines, 'gifs': gifs}


if __name__ == '__main__':
    run_cli(main)
