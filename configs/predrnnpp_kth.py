# PredRNN++ on KTH action, OpenSTL's configs/kth/PredRNNpp.py: 128x128 frames, patch 2, batch
# 16, peak lr 1e-3, trained and tested 10 -> 20 like OpenSTL (30-frame training windows), one-cycle
# schedule over OpenSTL's 100 epochs of 5,200 clips (32,500 iterations), scheduled sampling.
_base_ = [
    '_base_/models/predrnnpp.py', '_base_/datasets/kth.py',
    '_base_/schedules/openstl_onecycle.py', '_base_/default_runtime.py'
]
model = dict(backbone=dict(img_size=(128, 128), patch_size=2))
train_dataloader = dict(batch_size=16, dataset=dict(seq_length=30))
train_cfg = dict(max_iters=32500, val_interval=32500)
param_scheduler = [
    dict(type='OneCycleLR', eta_max=1e-3, total_steps=32500, pct_start=0.3,
         anneal_strategy='cos', div_factor=25, final_div_factor=1e4, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, begin=0, end=9749, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, begin=9749, end=32499, by_epoch=False),
]
