# E3D-LSTM on KTH action with OpenSTL's configs/kth/E3DLSTM.py: 128x128 frames, patch 8, stride 2
# (gates computed at half resolution, resized back), global batch 16 (OpenSTL: 2 GPUs x 8), Adam
# with OneCycle to lr 5e-4 over 100 epochs (32,500 iterations). Like OpenSTL it trains on 10 -> 20
# windows (30 frames) and tests 10 -> 20.
_base_ = [
    '_base_/models/e3dlstm.py', '_base_/datasets/kth.py', '_base_/schedules/openstl_onecycle.py',
    '_base_/default_runtime.py'
]
model = dict(backbone=dict(img_size=(128, 128), patch_size=8, stride=2))
train_dataloader = dict(batch_size=16, dataset=dict(seq_length=30))
lr = 5e-4
max_iters = 32500
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=lr))
peak_iter = int(0.3 * max_iters) - 1  # where torch's OneCycleLR ends its rising phase
param_scheduler = [
    dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, end=max_iters, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, T_max=peak_iter, end=peak_iter + 1,
         by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, T_max=max_iters - 1 - peak_iter,
         begin=peak_iter, end=max_iters, by_epoch=False),
]
