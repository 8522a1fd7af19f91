# PredRNN++ (ICML 2018), architecture and curriculum of OpenSTL's configs/mmnist/PredRNNpp.py:
# 4 x 128 Causal LSTM layers, 5x5 kernels, patch 4, no LayerNorm, scheduled sampling, one
# optimizer step per clip (no reverse_input).
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='PredRNNpp',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        stride=1,
        layer_norm=False,
        # True: the gates of the paper instead of OpenSTL's (docs/models.md).
        paper_equations=False,
        channels_last=False,
    ),
)
# OpenSTL's scheduled sampling (reverse_scheduled_sampling = 0): eta falls from 1 by 2e-5 per
# iteration and is 0 from iteration 50,000 on.
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50000, start_value=1.0, changing_rate=0.00002),
]
