from .inference import init_model, load_weights, predict

__all__ = ['init_model', 'predict', 'load_weights']
