# A suite that runs in a few minutes on CPU with no data download (Moving Digits): every model of
# predbench's recurrent family plus the two baselines, each trained for a few iterations of a tiny
# width on the demo's data and tested. tests/tools/test_suite_and_plugins.py runs part of it.
suite_name = 'tiny_cpu'
demo = 'configs/predrnn_v2_demo.py'
tiny = {
    'model.input_length': 3,
    'model.backbone.num_hidden': [4, 4],
    'model.backbone.filter_size': 3,
    'train_cfg.max_iters': 4,
    'train_cfg.val_interval': 1000,
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.logger.interval': 2,
    'train_dataloader.batch_size': 2,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'train_dataloader.dataset.seq_length': 6,
    'val_dataloader.dataset.seq_length': 6,
    'test_dataloader.dataset.seq_length': 6,
    'test_dataloader.dataset.num_sequences': 8,
    'test_dataloader.batch_size': 4,
    'test_evaluator.metric_names': ['mse', 'mae', 'psnr', 'ssim'],
}
scheduled = [dict(type='ScheduledSamplingHook', stop_iter=3)]


def _entry(name, backbone, hooks=scheduled):
    """A tiny entry whose backbone replaces the demo's (4 x 4 channels, 3x3 filters)."""
    options = dict(tiny)
    options['model.backbone'] = dict(_delete_=True, img_size=None, num_hidden=[4, 4],
                                     filter_size=3, **backbone)
    options['custom_hooks'] = hooks
    return dict(name=name, config=demo, checkpoint='train', cfg_options=options)


entries = [
    dict(name='predrnn_v2', config=demo, checkpoint='train', cfg_options=tiny),
    _entry('predrnn', dict(type='PredRNN', patch_size=4)),
    _entry('predrnnpp', dict(type='PredRNNpp', patch_size=4)),
    _entry('mim', dict(type='MIM', patch_size=4)),
    _entry('e3dlstm', dict(type='E3DLSTM', patch_size=8, window_length=2)),
    _entry('mau', dict(type='MAU', patch_size=2, sr_size=4, tau=2)),
    _entry('convlstm', dict(type='ConvLSTM', patch_size=4)),
    dict(name='copy_last_frame', config=demo, checkpoint='train',
         cfg_options={**tiny, 'model.backbone': dict(_delete_=True, type='CopyLastFrame'),
                      'custom_hooks': []}),
]
speed = dict(enabled=True, iters=1, warmup=1, amp=False, threads=1)
