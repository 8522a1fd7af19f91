# OpenSTL's schedule: Adam (no weight decay, no clipping) under torch's OneCycleLR stepped every
# iteration: lr rises from peak/25 to the peak over the first 30% (cosine), then falls to
# peak/25/1e4; torch's cycle_momentum also moves Adam's beta1 0.95 -> 0.85 -> 0.95 in step.
# Here: 200 epochs of Moving MNIST (10,000 clips / batch 16 = 625 iterations) = 125,000
# iterations, validated every epoch. A config that changes the peak lr or the length must state
# the whole param_scheduler (eta_max = the peak lr; the beta1 phases end at 0.3 * max_iters - 1
# and max_iters - 1); tests/engine/test_openstl_curricula.py checks it against torch.
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=125000, val_interval=625)
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.95, 0.999), weight_decay=0))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=1e-3, total_steps=125000, pct_start=0.3,
         anneal_strategy='cos', div_factor=25, final_div_factor=1e4, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, begin=0, end=37499, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, begin=37499, end=124999, by_epoch=False),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
