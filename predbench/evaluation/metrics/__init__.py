from .video_metric import VideoMetric, frame_key

__all__ = ['VideoMetric', 'frame_key']
