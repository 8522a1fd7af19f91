# KTH action with the original release's protocol: persons 01-16 train, 17-25 test, grayscale
# 128x128; training on 20-frame windows (10 -> 10), testing on 30-frame windows (10 -> 20).
# No validation split: the original trains on all of 01-16 and predbench never selects on the
# test set (see configs/predrnn_v2_kth_val.py for a held-out validation split).
# Prepare: python tools/data/prepare_kth.py RAW_KTH_DIR data/kth
data_root = 'data/kth/'
train_length = 20
test_length = 30

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='KTHAction', data_root=data_root, split='train', seq_length=train_length,
                 image_size=128))
test_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='KTHAction', data_root=data_root, split='test', seq_length=test_length,
                 image_size=128))
test_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim', 'lpips'],
                      prefix='kth')
val_dataloader = None
val_evaluator = None
val_cfg = None
