# MIM on Moving MNIST (10 -> 10), OpenSTL's configs/mmnist/MIM.py: batch 16, peak lr 5e-4,
# one-cycle schedule over 200 epochs (125,000 iterations), scheduled sampling.
_base_ = [
    '_base_/models/mim.py', '_base_/datasets/mmnist.py', '_base_/schedules/openstl_onecycle.py',
    '_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=5e-4, total_steps=125000, pct_start=0.3,
         anneal_strategy='cos', div_factor=25, final_div_factor=1e4, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, begin=0, end=37499, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, begin=37499, end=124999, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(save_best='mmnist_val/mse', rule='less'))
