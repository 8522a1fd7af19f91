# PredRNN-V2 (TPAMI 2022): PredRNN's architecture plus memory decoupling, trained with reverse
# scheduled sampling instead of scheduled sampling.
_base_ = ['./predrnn.py']
model = dict(backbone=dict(type='PredRNNv2', decouple_beta=0.1))
custom_hooks = [
    dict(type='ReverseScheduledSamplingHook', step_1=25000, step_2=50000, exp_alpha=2500),
]
