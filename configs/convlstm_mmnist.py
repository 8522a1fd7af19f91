# ConvLSTM baseline on Moving MNIST (10 -> 10), trained like PredRNN.
_base_ = [
    '_base_/models/convlstm.py', '_base_/datasets/mmnist.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=3e-4))
default_hooks = dict(checkpoint=dict(save_best='mmnist_val/mse', rule='less'))
