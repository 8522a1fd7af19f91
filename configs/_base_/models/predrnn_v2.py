# PredRNN-V2 (TPAMI 2022): memory decoupling and reverse scheduled sampling.
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='PredRNNv2',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        stride=1,
        layer_norm=False,
        decouple_beta=0.1,
        fused_gates=True,
        # Faster on CPUs (measured in docs/performance.md); same results.
        channels_last=True,
    ),
)
custom_hooks = [
    dict(type='ReverseScheduledSamplingHook', step_1=25000, step_2=50000, exp_alpha=2500),
]
