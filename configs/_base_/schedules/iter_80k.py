# The original release's schedule: 80,000 iterations of Adam at a constant learning rate
# (no weight decay, no clipping, no scheduler); test and snapshot every 5,000 iterations.
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=80000, val_interval=5000)
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=0))
param_scheduler = []
# For users who change the total batch (GPUs x batch_size); off by default like the original.
auto_scale_lr = dict(enable=False, base_batch_size=8)
