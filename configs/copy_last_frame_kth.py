# The "repeat the last observed frame" baseline on KTH action, 10 -> 20 (nothing to train).
_base_ = [
    '_base_/models/copy_last_frame.py', '_base_/datasets/kth.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
