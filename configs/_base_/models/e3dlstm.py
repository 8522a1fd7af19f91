# E3D-LSTM (ICLR 2019) as OpenSTL builds and trains it (configs/mmnist/E3DLSTM.py): 4 x 128
# channels, patch 4, windows of 2 frames, kernels (2, 5, 5), loss MSE + L1, scheduled sampling
# (OpenSTL's PredRNN method: eta from 1 down by 2e-5 per iteration, 0 from iteration 50,000).
# The paper's equations instead of OpenSTL's: paper_attention / paper_memory / paper_output_gate
# (docs/models.md).
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='E3DLSTM',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        stride=1,
        layer_norm=False,
        window_length=2,
        l1_weight=1.0,
        paper_attention=False,
        paper_memory=False,
        paper_output_gate=False,
    ),
)
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50000, start_value=1.0, changing_rate=0.00002),
]
