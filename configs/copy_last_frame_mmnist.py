# The "repeat the last observed frame" baseline on the Moving MNIST test set (nothing to train).
_base_ = [
    '_base_/models/copy_last_frame.py', '_base_/datasets/mmnist.py',
    '_base_/schedules/iter_80k.py', '_base_/default_runtime.py'
]
