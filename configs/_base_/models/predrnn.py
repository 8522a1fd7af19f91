# PredRNN (NeurIPS 2017) with the original scripts' architecture and scheduled sampling.
model = dict(
    type='VideoPredictor',
    input_length=10,
    # The original trains each iteration on the clip and on its time reversal (two steps).
    reverse_input=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='PredRNN',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        stride=1,
        layer_norm=False,
        fused_gates=True,
        # Faster on CPUs (measured in docs/performance.md); same results.
        channels_last=True,
    ),
)
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50000, start_value=1.0, changing_rate=0.00002),
]
