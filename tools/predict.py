"""Predict the future of your own clip with a trained model.

    python tools/predict.py CONFIG CHECKPOINT INPUT --pred-length 10 --out DIR
        [--actions FILE] [--device cuda:0] [--cfg-options key=value ...]

INPUT is a video file, a GIF or a folder of images (sorted by name). Its first
``model.input_length`` frames are resized to the model's frame size (and made grayscale for a
one-channel model). Writes, in DIR, ``<name>_pred.gif`` (observed then predicted frames),
``<name>_pred.png`` (the same as one strip) and ``<name>_pred.npy`` (the predicted frames,
float32 [N, C, H, W] clipped to [0, 1]).

An action-conditioned model (e.g. configs/action_cond_predrnn_v2_bair.py) needs ``--actions
FILE``: a ``.npy`` [T, A] or ``.csv`` file with one row per frame of the clip, starting at its
first frame and going on over the predicted frames (the action of frame t drives the step to
frame t + 1), so at least ``input_length + pred_length - 1`` rows; later rows are not used. The
pictures then show the action leading to each frame.
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from predbench.apis import init_model, predict  # noqa: E402
from predbench.apis.cli import add_cfg_options_argument, run_cli  # noqa: E402
from predbench.datasets.user_clips import fit_to_model, read_actions, read_clip  # noqa: E402
from predbench.utils.errors import DataError  # noqa: E402
from predbench.visualization import save_sequence_gif, save_sequence_grid  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Predict the future frames of a clip')
    parser.add_argument('config', help='the model\'s config file')
    parser.add_argument('checkpoint', help='trained weights (.pth)')
    parser.add_argument('input', help='a video file, a GIF, or a folder of images')
    parser.add_argument('--pred-length', type=int, default=10,
                        help='frames to predict (default: 10)')
    parser.add_argument('--out', required=True, help='folder for the GIF, PNG and .npy')
    parser.add_argument('--actions', help='.npy or .csv file of actions, one row per frame '
                        '(for action-conditioned models)')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu',
                        help='device (default: cuda:0 when available, else cpu)')
    add_cfg_options_argument(parser, 'model.input_length=10')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, args.cfg_options, device=args.device)
    need = model.input_length
    height, width = model.backbone.img_size
    clip = read_clip(args.input, num_frames=need)
    if len(clip) < need:
        raise DataError(f'{args.input} has {len(clip)} frames; the model observes '
                        f'model.input_length={need} frames')
    # Fitted as the model's test data was (VideoFolder's keep_aspect), else stretched.
    keep_aspect = (model.cfg.get('test_dataloader') or {}).get('dataset', {}).get('keep_aspect')
    observed = fit_to_model(clip, height, width, model.backbone.img_channel, bool(keep_aspect))
    actions = None
    if args.actions is not None:
        actions = read_actions(args.actions)
        rows = need + args.pred_length
        if len(actions) < rows - 1:
            raise DataError(f'{args.actions} has {len(actions)} rows; {need} observed and '
                            f'{args.pred_length} predicted frames need {rows - 1} (one per '
                            f'frame from the clip\'s first; the last frame\'s is not read)')
        actions = actions[:rows]
    batch_actions = None if actions is None else actions[None]
    pred = predict(model, observed[None], args.pred_length, actions=batch_actions)
    pred = pred[0].clamp(0, 1).cpu().numpy()

    os.makedirs(args.out, exist_ok=True)
    stem = osp.splitext(osp.basename(osp.normpath(args.input)))[0] + '_pred'
    paths = [
        save_sequence_gif(None, pred, osp.join(args.out, stem + '.gif'), input=observed,
                          actions=actions),
        save_sequence_grid(observed, None, pred, osp.join(args.out, stem + '.png'),
                           actions=actions),
        osp.join(args.out, stem + '.npy'),
    ]
    np.save(paths[2], pred.astype(np.float32))
    print(f'observed {need} frames of {args.input}, predicted {args.pred_length}; wrote:')
    for path in paths:
        print(f'  {path}')


if __name__ == '__main__':
    run_cli(main)
