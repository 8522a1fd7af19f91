# MIM (CVPR 2019) with OpenSTL's architecture and curriculum (its configs/mmnist/MIM.py):
# an ST-LSTM layer and 3 MIM blocks of 128 channels, 5x5 kernels, patch 4, no LayerNorm,
# scheduled sampling, one optimizer step per clip (no reverse_input).
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='MIM',
        num_hidden=[128, 128, 128, 128],
        img_size=(64, 64),
        img_channel=1,
        patch_size=4,
        filter_size=5,
        stride=1,
        layer_norm=False,
        # True: the MIM block of the paper instead of OpenSTL's (docs/models.md).
        paper_equations=False,
        # OpenSTL cuts the gradient through the MIM-S memory between steps; False: full BPTT.
        detach_mims_state=True,
        fused_gates=True,
        channels_last=False,
    ),
)
# OpenSTL's scheduled sampling (reverse_scheduled_sampling = 0): eta falls from 1 by 2e-5 per
# iteration and is 0 from iteration 50,000 on.
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50000, start_value=1.0, changing_rate=0.00002),
]
