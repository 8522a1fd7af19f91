# The PredRNN family on Moving MNIST (10 -> 10), each model with its reference's settings, plus the
# ConvLSTM and "repeat the last frame" baselines: the comparison table of a video prediction paper.
#   python tools/run_suite.py configs/suites/predrnn_family.py      (GPU-days; resumable)
suite_name = 'predrnn_family'
trained = ['predrnn', 'predrnn_v2', 'predrnnpp', 'mim', 'e3dlstm', 'mau', 'convlstm']
entries = [dict(name=f'{name}_mmnist', config=f'configs/{name}_mmnist.py', checkpoint='train')
           for name in trained]
entries.append(dict(name='copy_last_frame_mmnist', config='configs/copy_last_frame_mmnist.py',
                    checkpoint='none'))
speed = dict(enabled=True, iters=10, warmup=3, amp=False)
