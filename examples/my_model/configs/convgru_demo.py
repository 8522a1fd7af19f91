# An external model trained on the demo's Moving Digits, without touching predbench:
#   PYTHONPATH=examples/my_model python tools/train.py examples/my_model/configs/convgru_demo.py
_base_ = ['../../../configs/predrnn_v2_demo.py']
custom_imports = dict(imports=['my_model'], allow_failed_imports=False)
model = dict(backbone=dict(_delete_=True, type='ConvGRUPredictor', img_channel=1,
                           hidden=[32, 32], kernel=3, stride=4))
# The demo's schedule, data and scheduled sampling (fading out over its first 400 iterations).
