# Action-conditioned PredRNN-V2 (bair_script/predrnn_v2_bair_train.sh): the action-conditioned
# stack with widths 128x4 plus PredRNN-V2's decoupling loss (decouple_beta 0.1).
_base_ = ['./action_cond_predrnn.py']
model = dict(backbone=dict(type='ActionCondPredRNNv2', num_hidden=[128, 128, 128, 128],
                           decouple_beta=0.1))
