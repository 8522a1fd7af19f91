# Action-conditioned PredRNN on BAIR robot pushing: the original release's
# bair_script/predrnn_bair_train.sh (lr 1e-4, batch 16, 80k iterations, 2 -> 10 frames).
_base_ = [
    '_base_/models/action_cond_predrnn.py', '_base_/datasets/bair.py',
    '_base_/schedules/iter_80k.py', '_base_/default_runtime.py'
]
auto_scale_lr = dict(base_batch_size=16)
