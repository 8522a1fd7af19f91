# Your own videos: a folder of .mp4/.avi/.mov/.gif files and/or folders of frame images (any
# size, frame rate, grayscale or colour). Point at it with --data-root DIR (tools/train.py,
# tools/test.py) or --cfg-options data_root=DIR; DIR may also be a folder prepared by
#   python tools/data/prepare_videos.py SRC DST
# The videos are split by video: train.txt/val.txt/test.txt in DIR (relative paths) if present,
# else 80/10/10 % with a fixed seed. Frames are decoded once into a uint8 cache (see
# docs/datasets.md, "Your own videos"). The model takes image_size and channels from here.
data_root = 'data/videos/'
image_size = (64, 64)  # (H, W): scaled to cover it and center-cropped (keep_aspect)
channels = 3  # 3 RGB, 1 grayscale
seq_length = 20  # frames per clip: model.input_length observed, the rest predicted
videos = dict(type='VideoFolder', data_root=data_root, seq_length=seq_length,
              image_size=image_size, channels=channels, keep_aspect=True, frame_step=1,
              split_ratios=(0.8, 0.1, 0.1), split_seed=0)

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(videos, split='train'))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(videos, split='val'))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(videos, split='test'))

val_cfg = dict(type='ValLoop')
val_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                     prefix='videos_val', per_frame=False)
# Add 'lpips' once its weights are in place (docs/metrics.md).
test_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                      prefix='videos')
