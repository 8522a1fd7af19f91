# PredRNN-V2 on KTH action, tested 10 -> 40 (50-frame test windows); training as predrnn_v2_kth.py.
_base_ = ['./predrnn_v2_kth.py']
test_dataloader = dict(dataset=dict(seq_length=50))
