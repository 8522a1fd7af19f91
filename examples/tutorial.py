# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From a folder of clips to a compared model
#
# This tutorial walks through what you do with predbench on your own videos:
#
# 1. make a few videos (or point at your own folder),
# 2. prepare them (decode once, resize, split by video),
# 3. train a small PredRNN-V2 for a few minutes on a CPU,
# 4. test it: metrics per predicted frame, GIFs of the predictions,
# 5. predict the future of a new clip,
# 6. write a model of your own and compare it with PredRNN-V2 and a baseline on a leaderboard.
#
# It uses predbench's command-line tools as you would in a shell, and its Python API where that
# is shorter. Open it as a notebook (Jupyter with the jupytext extension opens this file
# directly; or `jupytext --to notebook examples/tutorial.py`), or run it as a script from the
# repository root:
#
# ```bash
# python examples/tutorial.py          # a few minutes on a CPU
# python examples/tutorial.py --tiny   # everything tiny: a smoke test in well under a minute
# ```
#
# Settings: `PREDBENCH_TUTORIAL_DIR` (where everything goes, default `work_dirs/tutorial`),
# `PREDBENCH_TUTORIAL_VIDEOS` (a folder of your own videos instead of generated ones),
# `PREDBENCH_TUTORIAL_TINY=1` (same as `--tiny`).

# %%
import os
import os.path as osp
import subprocess
import sys
import textwrap

import cv2
import numpy as np


def find_repo() -> str:
    """The predbench checkout this tutorial belongs to (where tools/ and configs/ are)."""
    start = osp.dirname(osp.abspath(__file__)) if '__file__' in globals() else os.getcwd()
    folder = start
    while not osp.isfile(osp.join(folder, 'tools', 'train.py')):
        if osp.dirname(folder) == folder:
            raise SystemExit(f'run this from inside a predbench checkout (looked up from {start})')
        folder = osp.dirname(folder)
    return folder


REPO = find_repo()
sys.path.insert(0, REPO)  # this checkout's predbench, also when it is not pip-installed
TINY = '--tiny' in sys.argv or os.environ.get('PREDBENCH_TUTORIAL_TINY') == '1'
WORK = osp.abspath(os.environ.get('PREDBENCH_TUTORIAL_DIR',
                                  osp.join(REPO, 'work_dirs', 'tutorial')))
MY_VIDEOS = os.environ.get('PREDBENCH_TUTORIAL_VIDEOS')
os.makedirs(WORK, exist_ok=True)

# Sizes: a few minutes of CPU training, or seconds with --tiny.
SIZE = 16 if TINY else 32  # frames are resized to SIZE x SIZE
SEQ_LENGTH = 6 if TINY else 10  # frames per clip: the first half observed, the rest predicted
INPUT_LENGTH = SEQ_LENGTH // 2
WIDTH = 4 if TINY else 32  # hidden channels of each PredRNN-V2 layer
ITERS = 4 if TINY else 300  # training iterations (a few minutes on a laptop CPU)
print(f'tutorial in {WORK} ({"tiny" if TINY else "full"} settings)')


def run(*args) -> str:
    """Run a predbench tool (``tools/...``) from the repository root, as in a shell."""
    command = [sys.executable, *map(str, args)]
    print('$ python ' + ' '.join(map(str, args)))
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=REPO))
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep='\n')
        raise SystemExit(f'{args[0]} failed (exit status {result.returncode})')
    return result.stdout


def tail(text: str, lines: int = 12) -> None:
    """Print the last lines of a tool's output."""
    print('\n'.join(text.rstrip().splitlines()[-lines:]))


def show(path: str) -> None:
    """Show a picture or GIF in a notebook; print its path in a script."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
        if get_ipython() is not None:
            display(Image(filename=path))
            return
    except ImportError:
        pass
    print(f'picture: {path}')


# %% [markdown]
# ## 1. A folder of videos
#
# predbench reads a folder of `.mp4`, `.avi`, `.mov` and `.gif` files and/or folders of frame
# images (one folder = one video), at any size and frame rate, in colour or grayscale. Here we
# make some: coloured balls bouncing over a gradient, 80x64 pixels, as MP4 files and one GIF. To
# use your own, set `PREDBENCH_TUTORIAL_VIDEOS=/path/to/your/videos` before starting.

# %%
def bouncing_balls(num_frames: int, seed: int, height: int = 64, width: int = 80) -> list:
    """Frames (BGR uint8) of two balls bouncing over a gradient background."""
    rng = np.random.default_rng(seed)
    background = np.zeros((height, width, 3), np.uint8)
    background[..., 0] = np.linspace(40, 120, width, dtype=np.uint8)[None, :]
    background[..., 1] = np.linspace(30, 90, height, dtype=np.uint8)[:, None]
    balls = [dict(pos=rng.uniform([10, 10], [width - 10, height - 10]),
                  vel=rng.uniform(-3, 3, 2) + np.sign(rng.uniform(-1, 1, 2)),
                  radius=int(rng.integers(5, 9)),
                  colour=tuple(int(c) for c in rng.integers(120, 256, 3)))
             for _ in range(2)]
    frames = []
    for _ in range(num_frames):
        frame = background.copy()
        for ball in balls:
            for axis, limit in ((0, width), (1, height)):  # bounce off the borders
                if not ball['radius'] <= ball['pos'][axis] + ball['vel'][axis] <= \
                        limit - ball['radius']:
                    ball['vel'][axis] *= -1
            ball['pos'] += ball['vel']
            center = tuple(int(round(v)) for v in ball['pos'])
            cv2.circle(frame, center, ball['radius'], ball['colour'], -1, cv2.LINE_AA)
        frames.append(frame)
    return frames


def write_clip(path: str, frames: list, fps: int = 10) -> str:
    """Write frames as an MP4 (mp4v), an AVI (MJPG) if this OpenCV cannot, or a GIF."""
    if path.endswith('.gif'):
        from PIL import Image
        images = [Image.fromarray(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // fps)
        return path
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        path = osp.splitext(path)[0] + '.avi'
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


if MY_VIDEOS:
    VIDEOS = MY_VIDEOS
else:
    VIDEOS = osp.join(WORK, 'videos')
    os.makedirs(VIDEOS, exist_ok=True)
    num_videos, num_frames = (4, 2 * SEQ_LENGTH) if TINY else (24, 60)
    for i in range(num_videos):
        name = f'balls_{i:02d}.gif' if i == 0 else f'balls_{i:02d}.mp4'
        write_clip(osp.join(VIDEOS, name), bouncing_balls(num_frames, seed=i))
print(sorted(os.listdir(VIDEOS)))

# %% [markdown]
# ## 2. Prepare them
#
# `tools/data/prepare_videos.py SRC DST` decodes every video once, checks it (a damaged file is
# named, the others are converted, the tool exits 1 with the list), resizes the frames (scaled to
# cover the size, then center-cropped) and stores them as uint8 arrays that training maps from
# disk. It then says how many clips each split gives: the videos are split by video (80/10/10 %
# with a fixed seed, or your `train.txt`/`val.txt`/`test.txt` lists), so no video has clips on
# both sides. Training on `SRC` directly also works: the dataset then decodes on first use into
# a cache.

# %%
PREPARED = osp.join(WORK, f'videos_{SIZE}')
tail(run('tools/data/prepare_videos.py', VIDEOS, PREPARED, '--image-size', SIZE, SIZE,
         '--seq-length', SEQ_LENGTH), lines=9)

# %% [markdown]
# ## 3. Train a small PredRNN-V2
#
# `configs/predrnn_v2_video_folder.py` is PredRNN-V2 on a folder of videos. A config of your own
# inherits it and states only what differs: here a smaller model, shorter clips and a schedule
# of minutes (the reverse scheduled sampling of the paper, compressed to `ITERS` iterations).
# The model takes its frame size and channels from the dataset (`image_size`, `channels`), so
# they are stated once.

# %%
CONFIG = osp.join(WORK, 'predrnn_v2_my_videos.py')
config_text = f'''\
_base_ = [{osp.join(REPO, 'configs', 'predrnn_v2_video_folder.py')!r}]
data_root = {PREPARED!r}
image_size = ({SIZE}, {SIZE})  # the model takes it (and channels) from the dataset
seq_length = {SEQ_LENGTH}
clips = dict(data_root=data_root, image_size=image_size, seq_length=seq_length)
train_dataloader = dict(batch_size={2 if TINY else 8}, num_workers={0 if TINY else 2},
                        persistent_workers={not TINY}, dataset=clips)
val_dataloader = dict(batch_size=8, num_workers=0, dataset=clips)
test_dataloader = dict(batch_size=8, num_workers=0, dataset=clips)
model = dict(input_length={INPUT_LENGTH}, reverse_input=False,
             backbone=dict(num_hidden=[{WIDTH}, {WIDTH}], filter_size=3))
custom_hooks = [dict(type='ReverseScheduledSamplingHook', step_1={ITERS // 5},
                     step_2={3 * ITERS // 5}, exp_alpha={max(ITERS // 20, 1)})]
train_cfg = dict(max_iters={ITERS}, val_interval={max(ITERS // 3, 2)})
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(logger=dict(interval={max(ITERS // 10, 1)}),
                     checkpoint=dict(interval={max(ITERS // 3, 2)}))
randomness = dict(seed=0)
'''
with open(CONFIG, 'w') as f:
    f.write(config_text)
print(config_text)

# %%
TRAIN_DIR = osp.join(WORK, 'predrnn_v2')
tail(run('tools/train.py', CONFIG, '--work-dir', TRAIN_DIR))
with open(osp.join(TRAIN_DIR, 'last_checkpoint')) as f:
    CHECKPOINT = f.read().strip()
print('checkpoint:', CHECKPOINT)

# %% [markdown]
# ## 4. Test it
#
# `tools/test.py` reports MSE, MAE, PSNR and SSIM for each predicted frame (errors grow with the
# horizon), writes `metrics.json` and a plot of the per-frame curves, and with `--show-dir` a
# GIF per clip: the observed frames, then the truth beside the prediction. After a few minutes
# of training the balls are blurred blobs that follow the motion for the first frames and fade
# after; longer training sharpens them.

# %%
SHOW_DIR = osp.join(WORK, 'test_pictures')
tail(run('tools/test.py', CONFIG, CHECKPOINT, '--work-dir', TRAIN_DIR, '--show-dir', SHOW_DIR,
         '--num-show', 2), lines=SEQ_LENGTH - INPUT_LENGTH + 6)
show(osp.join(TRAIN_DIR, 'metrics_per_frame.png'))  # errors grow with the horizon
gifs = sorted(f for f in os.listdir(SHOW_DIR) if f.endswith('.gif'))
show(osp.join(SHOW_DIR, gifs[0]))

# %% [markdown]
# ## 5. Predict the future of a new clip
#
# `tools/predict.py` takes any video file, GIF or folder of images, fits its first frames to
# the model (as the dataset did), and writes the prediction as a GIF, a PNG strip and an array.

# %%
new_clip = write_clip(osp.join(WORK, 'new_clip.mp4'), bouncing_balls(SEQ_LENGTH, seed=1000))
PREDICT_DIR = osp.join(WORK, 'prediction')
tail(run('tools/predict.py', CONFIG, CHECKPOINT, new_clip, '--pred-length',
         SEQ_LENGTH - INPUT_LENGTH, '--out', PREDICT_DIR), lines=4)
show(osp.join(PREDICT_DIR, 'new_clip_pred.gif'))

# %% [markdown]
# ## 6. A model of your own, compared
#
# A backbone is a plain `nn.Module` registered in predbench's `MODELS`. predbench's
# `VideoPredictor` calls it as `backbone(frames, true_flags, input_length, with_aux)` with clips
# `[B, T, C, H, W]` in [0, 1] and expects the predictions of frames 1..T-1 (and a dict of extra
# losses); `input_at_step` picks, at each step, the true frame or the model's own last
# prediction, as the sampling curriculum says. Everything else (data, losses, curricula,
# checkpoints, metrics) comes from predbench. See docs/adding_a_model.md for a model in a package
# of its own (examples/my_model).
#
# This one predicts each frame as the last one plus a correction from a small CNN. It takes
# `img_channel` from the dataset like PredRNN-V2.

# %%
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from predbench.models.recurrence import input_at_step  # noqa: E402
from predbench.registry import MODELS  # noqa: E402


@MODELS.register_module(force=True)  # force: the cell can be run again
class TinyConvPredictor(nn.Module):
    """Next frame = this frame + a small CNN's correction, one step at a time (no memory)."""

    def __init__(self, img_channel: int = 1, hidden: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(img_channel, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, img_channel, 3, padding=1))

    def forward(self, frames, true_flags=None, input_length=None, with_aux=True):
        predictions, previous = [], None
        for t in range(frames.shape[1] - 1):
            x = input_at_step(t, frames, previous, true_flags, input_length)
            previous = x + self.net(x)
            predictions.append(previous)
        return torch.stack(predictions, dim=1), {}


# %% [markdown]
# A *suite* trains and tests several models on the same data and writes a leaderboard: test
# metrics, parameters, FLOPs, speed and memory. Entries name a config, overrides, and a
# checkpoint (`'train'` to train it first); PredRNN-V2 reuses the checkpoint trained above.
# `tools/run_suite.py` runs suite files from the shell; here we call the same function in this
# process, where `TinyConvPredictor` is registered. Speed is measured in this process too
# (`isolated=False`): a separate process would have to run this whole script again to know the
# model; the memory columns then count only what each measurement added to this process.

# %%
from predbench.analysis.suite import run_suite  # noqa: E402
from predbench.utils.setup_env import register_all_modules  # noqa: E402

SUITE = osp.join(WORK, 'suite.py')
suite_text = f'''\
suite_name = 'my_videos'
config = {CONFIG!r}
cfg_options = dict(log_level='WARNING')  # the leaderboard, not every run's log
entries = [
    dict(name='predrnn_v2', config=config, checkpoint={CHECKPOINT!r}),
    dict(name='tiny_conv', config=config, checkpoint='train',
         cfg_options={{'model.backbone': dict(_delete_=True, type='TinyConvPredictor',
                                               hidden={4 if TINY else 16})}}),
    dict(name='copy_last_frame', config=config, checkpoint='train',
         cfg_options={{'model.backbone': dict(_delete_=True, type='CopyLastFrame'),
                      'custom_hooks': []}}),
]
speed = dict(iters={1 if TINY else 5}, warmup=1, isolated=False)
'''
with open(SUITE, 'w') as f:
    f.write(suite_text)
register_all_modules()
leaderboard = run_suite(SUITE, work_dir=osp.join(WORK, 'suite'))
print(open(leaderboard['markdown']).read())

# %% [markdown]
# `copy_last_frame` repeats the last observed frame: a model that does not beat it on MSE has not
# learnt the motion. After minutes of training the predictions are still blurry, which SSIM
# punishes more than MSE, so the baseline can keep the best SSIM for a while (in one full run
# here: MSE 49 for PredRNN-V2, 58 for the tiny CNN, 88 for the baseline; SSIM 0.59, 0.61,
# 0.70). From here: train longer (`train_cfg.max_iters`), use larger frames
# (`image_size` in the dataset settings), your own videos (`--data-root DIR` on `tools/train.py`
# and `tools/test.py`), or the paper's settings (`configs/predrnn_v2_video_folder.py` as is).
# docs/datasets.md ("Your own videos") lists the dataset's options: split lists, frame step,
# window stride, grayscale, damaged files.

# %%
print(textwrap.dedent(f'''
    done: everything is in {WORK}
      prepared frames     {PREPARED}
      config              {CONFIG}
      checkpoint          {CHECKPOINT}
      test pictures       {SHOW_DIR}
      prediction          {PREDICT_DIR}
      leaderboard         {leaderboard["markdown"]}'''))
