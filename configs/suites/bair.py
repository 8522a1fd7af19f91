# BAIR robot pushing: the original release's action-conditioned models, trained with its BAIR
# scripts and tested on the release's test split (2 -> 10 frames), plus the "repeat the last
# frame" floor. python tools/run_suite.py configs/suites/bair.py   (GPU-days)
suite_name = 'bair'
entries = [
    dict(name='action_cond_predrnn_bair', config='configs/action_cond_predrnn_bair.py',
         checkpoint='train'),
    dict(name='action_cond_predrnn_v2_bair', config='configs/action_cond_predrnn_v2_bair.py',
         checkpoint='train'),
    dict(name='copy_last_frame_bair', config='configs/copy_last_frame_bair.py',
         checkpoint='none'),
]
speed = dict(enabled=True, iters=10, warmup=3, amp=False)
