# ConvLSTM baseline on KTH action: trained 10 -> 10, tested 10 -> 20.
_base_ = [
    '_base_/models/convlstm.py', '_base_/datasets/kth.py', '_base_/schedules/iter_80k.py',
    '_base_/default_runtime.py'
]
model = dict(backbone=dict(img_size=(128, 128)))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
auto_scale_lr = dict(base_batch_size=4)
