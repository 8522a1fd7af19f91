# OpenSTL's schedule (openstl/core/optim_scheduler.py, sched='onecycle'): Adam without weight
# decay, torch's OneCycleLR stepped every iteration with its defaults: the lr rises (cosine) from
# lr/25 to lr over the first 30% of the iterations, then falls to lr/25/1e4, while Adam's beta1
# cycles 0.95 -> 0.85 -> 0.95. Each config sets `lr` and `max_iters` and states the three
# schedulers (OneCycleLR for the lr, two CosineAnnealingMomentum for beta1).
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=125000, val_interval=5000)
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3, betas=(0.95, 0.999), weight_decay=0))
param_scheduler = []
# OpenSTL's batch is 16 (one GPU, or 2 x 8); off by default like OpenSTL.
auto_scale_lr = dict(enable=False, base_batch_size=16)
