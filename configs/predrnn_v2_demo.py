# The offline demo (make demo): a small PredRNN-V2 trained for about two minutes on CPU.
#
# The demo task is sized for minutes, not the benchmark. It is Moving Digits (procedural
# Hershey-font digits, no download; the real MNIST digits when data/moving_mnist/ has them) with
# ONE digit on a 48x48 canvas (so the 28x28 digit is large in the frame), 5 observed -> 5
# predicted frames, a learning rate of 3e-3 (the original trains PredRNN-V2 at 1e-4), and
# scheduled sampling over its first 40% of iterations instead of reverse scheduled sampling
# over 50,000.
# The benchmark (configs/predrnn_v2_mmnist.py) is two digits on 64x64, 10 -> 10 frames, a
# 4x128 network and 80,000 iterations: the demo's numbers do not compare with it.
_base_ = [
    '_base_/models/predrnn_v2.py', '_base_/schedules/iter_80k.py', '_base_/default_runtime.py'
]
total_length = 10
model = dict(
    input_length=5,
    reverse_input=False,  # one optimizer step per iteration: the demo has minutes, not days
    backbone=dict(num_hidden=[32, 32], img_size=None))  # None: the dataset's image_size
max_iters = 1000
# Teacher forcing of the predicted frames fades out over the first 40% of the iterations (the
# test-time regime after that); measured to show digits sooner than reverse scheduled sampling.
custom_hooks = [dict(type='ScheduledSamplingHook', stop_iter=int(0.4 * max_iters),
                     start_value=1.0, changing_rate=1 / (0.4 * max_iters))]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
optim_wrapper = dict(optimizer=dict(lr=3e-3))
randomness = dict(seed=0)

sprites = dict(type='MovingDigits', data_root='data/moving_mnist/', seq_length=total_length,
               num_digits=1, image_size=48)
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
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters // 4, save_best='demo_val/mse', rule='less'))
log_processor = dict(window_size=50)
