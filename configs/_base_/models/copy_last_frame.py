# "Nothing moves": every predicted frame is the last observed one. No weights to train.
model = dict(
    type='VideoPredictor',
    input_length=10,
    data_preprocessor=dict(type='VideoDataPreprocessor'),
    backbone=dict(type='CopyLastFrame'),
)
custom_hooks = []
