from .action_cell import ActionConditionedSTLSTMCell
from .action_cond_predrnn import ActionCondPredRNN, ActionCondPredRNNv2
from .baselines import ConvLSTM, CopyLastFrame
from .cells import SpatioTemporalLSTMCell
from .data_preprocessor import VideoDataPreprocessor
from .e3dlstm import E3DLSTM, Eidetic3DLSTMCell
from .mau import MAU, MAUCell
from .mim import MIM, MIMN, MIMBlock
from .patching import patchify, unpatchify
from .predictor import VideoPredictor, true_flags_from_mask
from .predrnn import PredRNN, PredRNNv2
from .predrnnpp import CausalLSTMCell, GradientHighwayUnit, PredRNNpp

__all__ = [
    'SpatioTemporalLSTMCell', 'PredRNN', 'PredRNNv2', 'VideoPredictor', 'VideoDataPreprocessor',
    'patchify', 'unpatchify', 'true_flags_from_mask', 'ConvLSTM', 'CopyLastFrame',
    'ActionConditionedSTLSTMCell', 'ActionCondPredRNN', 'ActionCondPredRNNv2',
    'E3DLSTM', 'Eidetic3DLSTMCell', 'MAU', 'MAUCell',
    'CausalLSTMCell', 'GradientHighwayUnit', 'PredRNNpp', 'MIM', 'MIMBlock', 'MIMN'
]
