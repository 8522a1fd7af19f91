# PredRNN-V2 on KTH with a held-out validation split (persons 15 and 16, as PredBench), so the
# best checkpoint is chosen on validation, never on the test persons 17-25. Training then uses
# persons 01-14 only: numbers are not directly comparable with the original protocol.
_base_ = ['./predrnn_v2_kth.py']
val_persons = (15, 16)
train_dataloader = dict(dataset=dict(val_persons=val_persons))
val_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='KTHAction', data_root={{_base_.data_root}}, split='val', seq_length=30,
                 image_size=128, val_persons=val_persons))
val_cfg = dict(_delete_=True, type='ValLoop')
val_evaluator = dict(_delete_=True, type='VideoMetric', metric_names=['mse', 'mae', 'psnr', 'ssim'],
                     prefix='kth_val', per_frame=False)
default_hooks = dict(checkpoint=dict(save_best='kth_val/mse', rule='less'))
