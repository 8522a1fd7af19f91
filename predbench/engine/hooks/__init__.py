from .finite_loss import FiniteLossHook
from .sampling import ReverseScheduledSamplingHook, ScheduledSamplingHook

__all__ = ['FiniteLossHook', 'ScheduledSamplingHook', 'ReverseScheduledSamplingHook']
