# BAIR robot pushing (softmotion30_44k) with the original release's protocol: its train/test
# split, 64x64 RGB frames with 4-number actions, 12-frame windows at every start offset of every
# video (2 observed -> 10 predicted), batch 16. No validation split: the original has none and
# predbench never selects on the test set.
# Prepare: python tools/data/prepare_bair.py BAIR_DIR data/bair
data_root = 'data/bair/'
total_length = 12

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='BAIRPush', data_root=data_root, split='train', seq_length=total_length))
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    # All test windows; the original's loop evaluates the first 16 * (ceil(N / 16) - 1) of them
    # (docs/datasets.md): add max_windows=... to reproduce its printed numbers exactly.
    dataset=dict(type='BAIRPush', data_root=data_root, split='test', seq_length=total_length))
test_evaluator = dict(type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim', 'lpips'],
                      prefix='bair')
val_dataloader = None
val_evaluator = None
val_cfg = None
