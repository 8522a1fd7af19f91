# PredRNN-V2 on Moving MNIST (10 -> 10), the original release's predrnn_v2_mnist_train.sh.
_base_ = [
    '_base_/models/predrnn_v2.py', '_base_/datasets/mmnist.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
default_hooks = dict(checkpoint=dict(save_best='mmnist_val/mse', rule='less'))
