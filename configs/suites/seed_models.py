# The four seed models, trained with the original schedules and tested on the standard test sets.
# python tools/run_suite.py configs/suites/seed_models.py   (several GPU-days)
suite_name = 'seed_models'
entries = [
    dict(name='predrnn_mmnist', config='configs/predrnn_mmnist.py', checkpoint='train'),
    dict(name='predrnn_v2_mmnist', config='configs/predrnn_v2_mmnist.py', checkpoint='train'),
    dict(name='predrnn_kth', config='configs/predrnn_kth.py', checkpoint='train'),
    dict(name='predrnn_v2_kth', config='configs/predrnn_v2_kth.py', checkpoint='train'),
    dict(name='convlstm_mmnist', config='configs/convlstm_mmnist.py', checkpoint='train'),
    dict(name='copy_last_frame_mmnist', config='configs/copy_last_frame_mmnist.py',
         checkpoint='none'),
]
speed = dict(enabled=True, iters=10, warmup=3, amp=False)
