# The "repeat the last observed frame" baseline on BAIR robot pushing, 2 -> 10 (nothing to
# train; it ignores the actions the dataset yields).
_base_ = [
    '_base_/models/copy_last_frame.py', '_base_/datasets/bair.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
model = dict(input_length=2)
