# Action-conditioned PredRNN as the original release's bair_script/predrnn_bair_train.sh builds it:
# 64x64x3 frames, 2 observed of 12, patch 1, frames and actions encoded by two stride-2
# convolutions (conv_on_input 1) with skip connections to the decoder (res_on_conv 1), widths
# 64x4, reverse scheduled sampling 25k/50k (alpha 2500), and the reversed clip as a second step.
model = dict(
    type='VideoPredictor',
    input_length=2,
    reverse_input=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(
        type='ActionCondPredRNN',
        num_hidden=[64, 64, 64, 64],
        img_size=(64, 64),
        img_channel=3,
        patch_size=1,
        filter_size=5,
        stride=1,
        layer_norm=False,
        conv_on_input=1,
        res_on_conv=1,
        num_action_ch=4,
    ),
)
custom_hooks = [
    dict(type='ReverseScheduledSamplingHook', step_1=25000, step_2=50000, exp_alpha=2500),
]
