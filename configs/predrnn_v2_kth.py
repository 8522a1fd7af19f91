# PredRNN-V2 on KTH action: trained 10 -> 10, tested 10 -> 20; the original release's
# kth_script/predrnn_v2_kth_train.sh (decouple_beta 0.01, reverse sampling 5k/50k, alpha 2k).
_base_ = [
    '_base_/models/predrnn_v2.py', '_base_/datasets/kth.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
model = dict(backbone=dict(img_size=(128, 128), decouple_beta=0.01))
custom_hooks = [
    dict(type='ReverseScheduledSamplingHook', step_1=5000, step_2=50000, exp_alpha=2000),
]
auto_scale_lr = dict(base_batch_size=4)
