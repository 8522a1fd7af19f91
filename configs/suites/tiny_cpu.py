# A suite that runs in about a minute on CPU with no data download (Moving Digits): the tests
# run it end to end. Each entry trains a few iterations of a tiny model, then tests it.
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
entries = [
    dict(name='predrnn_v2', config=demo, checkpoint='train', cfg_options=tiny),
    dict(name='predrnn', config=demo, checkpoint='train',
         cfg_options={**tiny, 'model.backbone': dict(_delete_=True, type='PredRNN',
                                                      num_hidden=[4, 4], img_size=(64, 64),
                                                      patch_size=4, filter_size=3),
                      'custom_hooks': [dict(type='ScheduledSamplingHook', stop_iter=3)]}),
    dict(name='convlstm', config=demo, checkpoint='train',
         cfg_options={**tiny, 'model.backbone': dict(_delete_=True, type='ConvLSTM', num_hidden=[4, 4],
                                                      img_size=(64, 64), patch_size=4,
                                                      filter_size=3),
                      'custom_hooks': [dict(type='ScheduledSamplingHook', stop_iter=3)]}),
    dict(name='copy_last_frame', config=demo, checkpoint='train',
         cfg_options={**tiny, 'model.backbone': dict(_delete_=True, type='CopyLastFrame'), 'custom_hooks': []}),
]
speed = dict(enabled=True, iters=1, warmup=1, amp=False, threads=1)
