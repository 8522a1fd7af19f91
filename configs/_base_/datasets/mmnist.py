# Moving MNIST, the standard protocol: 10 -> 10 frames of 64x64.
# train: two digits bouncing, drawn afresh every epoch from MNIST training digits 0-49,999;
# val:   a fixed set drawn from the held-out training digits 50,000-59,999 (never the test set);
# test:  the standard mnist_test_seq.npy (10,000 sequences).
# Prepare: python tools/data/prepare_mmnist.py --out data/moving_mnist
data_root = 'data/moving_mnist/'
total_length = 20

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='GeneratedMovingMNIST', data_root=data_root,
                 data_file='train-images-idx3-ubyte.gz', split='train', seq_length=total_length,
                 num_sequences=10000, digit_range=(0, 50000), seed=0, fresh=True))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='GeneratedMovingMNIST', data_root=data_root,
                 data_file='train-images-idx3-ubyte.gz', split='val', seq_length=total_length,
                 num_sequences=2000, digit_range=(50000, 60000), seed=1, fresh=False))
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='MovingMNISTTestSeq', data_root=data_root, data_file='mnist_test_seq.npy',
                 split='test', seq_length=total_length))

val_cfg = dict(type='ValLoop')
val_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                     prefix='mmnist_val', per_frame=False)
test_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim', 'lpips'],
                      prefix='mmnist')
