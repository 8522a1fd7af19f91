# MAU (NeurIPS 2021) as OpenSTL builds and trains it (configs/mmnist/MAU.py): 4 x 64 channels,
# patch 1, encoder down to 1/4 (sr_size 4), attention over the last 5 states, loss MSE.
model = dict(
    type='VideoPredictor',
    input_length=10,
    reverse_input=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='MAU',
        num_hidden=[64, 64, 64, 64],
        img_size=(64, 64),
        img_channel=1,
        patch_size=1,
        filter_size=5,
        stride=1,
        sr_size=4,
        tau=5,
        cell_mode='normal',
        model_mode='normal',
    ),
)
# OpenSTL's MAU method never stores the lowered eta (openstl/methods/mau.py keeps self.eta = 1),
# so it feeds the truth with probability 1 - 2e-5 for 50,000 iterations and never after; this
# hook reproduces that (eta 0.99998 while the 1-based iteration is below 50,001). The authors'
# release lowers eta by 2e-5 per iteration instead: start_value=1.0, changing_rate=0.00002,
# stop_iter=50000.
custom_hooks = [
    dict(type='ScheduledSamplingHook', stop_iter=50001, start_value=0.99998, changing_rate=0.0),
]
