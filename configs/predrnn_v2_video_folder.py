# PredRNN-V2 on your own videos (10 -> 10 frames at 64x64 RGB by default):
#   python tools/train.py configs/predrnn_v2_video_folder.py --data-root DIR
#   python tools/test.py configs/predrnn_v2_video_folder.py CHECKPOINT --data-root DIR
# The original release's model and training recipe; the frame size and channels come from the
# dataset (image_size, channels in _base_/datasets/video_folder.py): state them there only.
_base_ = [
    '_base_/models/predrnn_v2.py', '_base_/datasets/video_folder.py',
    '_base_/schedules/iter_80k.py', '_base_/default_runtime.py'
]
model = dict(backbone=dict(img_size=None, img_channel=None))  # None: from the dataset
default_hooks = dict(checkpoint=dict(save_best='videos_val/mse', rule='less'))
