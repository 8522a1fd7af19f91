# The offline demo (make demo): a small PredRNN-V2 trained for a few minutes on CPU on Moving
# Digits, procedural Hershey-font digits bouncing in 64x64 frames (no download). When the real
# MNIST digits are in data/moving_mnist/, tools/demo.py uses them instead.
_base_ = [
    '_base_/models/predrnn_v2.py', '_base_/schedules/iter_80k.py', '_base_/default_runtime.py'
]
total_length = 20
model = dict(
    reverse_input=False,  # one optimizer step per iteration: the demo has minutes, not days
    backbone=dict(num_hidden=[32, 32]))
# Reverse scheduled sampling compressed from 25k/50k iterations to the demo's 300.
custom_hooks = [dict(type='ReverseScheduledSamplingHook', step_1=60, step_2=180, exp_alpha=15)]
train_cfg = dict(max_iters=300, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
randomness = dict(seed=0)

sprites = dict(type='MovingDigits', data_root='data/moving_mnist/', seq_length=total_length)
train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(sprites, split='train', num_sequences=10000, digit_range=(0, 8000), seed=0,
                 fresh=True))
val_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(sprites, split='val', num_sequences=64, digit_range=(8000, 9000), seed=1))
test_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(sprites, split='test', num_sequences=128, digit_range=(9000, 10000), seed=2))
val_cfg = dict(type='ValLoop')
val_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                     prefix='demo_val', per_frame=False)
test_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                      prefix='demo')
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, save_best='demo_val/mse', rule='less'))
log_processor = dict(window_size=20)
