# E3D-LSTM on Moving MNIST (10 -> 10) with OpenSTL's configs/mmnist/E3DLSTM.py: batch 16, Adam with
# OneCycle to lr 1e-4 over 200 epochs of 10,000 clips (125,000 iterations).
_base_ = [
    '_base_/models/e3dlstm.py', '_base_/datasets/mmnist.py', '_base_/schedules/openstl_onecycle.py',
    '_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=16)
lr = 1e-4
max_iters = 125000  # the schedule base's length (200 epochs)
optim_wrapper = dict(optimizer=dict(lr=lr))
peak_iter = int(0.3 * max_iters) - 1  # where torch's OneCycleLR ends its rising phase
param_scheduler = [
    dict(type='OneCycleLR', eta_max=lr, total_steps=max_iters, end=max_iters, by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, T_max=peak_iter, end=peak_iter + 1,
         by_epoch=False),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, T_max=max_iters - 1 - peak_iter,
         begin=peak_iter, end=max_iters, by_epoch=False),
]
default_hooks = dict(checkpoint=dict(save_best='mmnist_val/mse', rule='less'))
