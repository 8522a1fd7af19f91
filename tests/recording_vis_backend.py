"""A vis backend that keeps what it receives, to check what reaches a dashboard."""
from mmengine.visualization.vis_backend import BaseVisBackend


class RecordingVisBackend(BaseVisBackend):
    """Keeps ``(name, image, step)`` of each image and ``(scalars, step)`` of each scalar dict."""

    def __init__(self, save_dir=None):
        super().__init__(save_dir)
        self.images, self.scalars = [], []

    @property
    def experiment(self):
        return self

    def _init_env(self):
        pass

    def add_image(self, name, image, step=0, **kwargs):
        self.images.append((name, image.copy(), step))

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        self.scalars.append((dict(scalar_dict), step))

    def image(self, name):
        """The one image recorded under ``name``."""
        found = [image for n, image, _ in self.images if n == name]
        assert len(found) == 1, [n for n, _, _ in self.images]
        return found[0]


def recording_visualizer(tmp_path, name='recording'):
    """A VideoPredictionVisualizer (LocalVisBackend under tmp_path, a recorder), the recorder."""
    from predbench.visualization import VideoPredictionVisualizer
    recorder = RecordingVisBackend()
    visualizer = VideoPredictionVisualizer(
        name=name, save_dir=str(tmp_path),
        vis_backends=[dict(type='LocalVisBackend'), recorder])
    return visualizer, recorder
