# ConvLSTM (Shi et al., NeurIPS 2015) baseline: the same patching, widths and sampling as PredRNN.
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='ConvLSTM',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        peephole=False,
    ),
)
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50000, start_value=1.0, changing_rate=0.00002),
]
