# A suite mixing predbench's models and the external one (tiny sizes, CPU, no download):
#   PYTHONPATH=examples/my_model python tools/run_suite.py \
#       examples/my_model/configs/suite_with_convgru.py
suite_name = 'with_convgru'
tiny = {
    'model.input_length': 3,
    'train_cfg.max_iters': 4,
    'train_cfg.val_interval': 1000,
    'default_hooks.checkpoint.interval': 2,
    'train_dataloader.batch_size': 2,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'train_dataloader.dataset.seq_length': 6,
    'val_dataloader.dataset.seq_length': 6,
    'test_dataloader.dataset.seq_length': 6,
    'test_dataloader.dataset.num_sequences': 8,
    'test_evaluator.metric_names': ['mse', 'mae', 'psnr', 'ssim'],
}
entries = [
    dict(name='convgru', config='examples/my_model/configs/convgru_demo.py', checkpoint='train',
         cfg_options={**tiny, 'model.backbone.hidden': [4, 4]}),
    dict(name='predrnn_v2', config='configs/predrnn_v2_demo.py', checkpoint='train',
         cfg_options={**tiny, 'model.backbone.num_hidden': [4, 4],
                      'model.backbone.filter_size': 3}),
]
speed = dict(enabled=True, iters=1, warmup=1, threads=1)
