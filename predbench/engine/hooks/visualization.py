"""Hooks that show a person what the model predicts and how far a test run has got."""
import os.path as osp
import sys
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from ...registry import HOOKS
from ...utils.errors import ConfigError
from ...visualization import save_sequence_gif, save_sequence_grid


def _train_iteration(runner) -> int:
    """Training iterations so far, without building a train loop in a validation-only run."""
    loop = getattr(runner, '_train_loop', None)  # runner.iter would build it from its config
    return 0 if loop is None or isinstance(loop, dict) else int(loop.iter)


def _sample_name(sample: dict, fallback: int) -> str:
    index = sample.get('index')
    return f'seq_{int(index) if index is not None else fallback:05d}'


@HOOKS.register_module()
class PredictionVisualizationHook(Hook):
    """Save pictures of predicted sequences (rank 0 only).

    Validation: a PNG grid (truth, prediction, error) of each of the first ``num_samples``
    clips rank 0 sees, under ``<work_dir>/vis/val_iter_<N>/`` (N: training iterations so far).
    Test, only when ``out_dir`` is set (tools/test.py sets it from ``--show-dir``): grids and,
    with ``save_gif``, GIFs of the first ``num_samples`` test clips, into ``out_dir``.
    Files are named ``seq_<dataset index>.png|.gif``.

    Args:
        num_samples: clips pictured per validation or test run.
        out_dir: folder of the test pictures (a relative path is relative to the current
            directory); None: no test pictures.
        save_gif: also write a GIF per test clip.
        fps: frames per second of the GIFs.
    """
    priority = 'LOW'

    def __init__(self, num_samples: int = 4, out_dir: Optional[str] = None,
                 save_gif: bool = True, fps: float = 4.0) -> None:
        if num_samples < 0:
            raise ConfigError(f'PredictionVisualizationHook.num_samples must be >= 0, '
                              f'got {num_samples}')
        self.num_samples = int(num_samples)
        self.out_dir = out_dir
        self.save_gif = bool(save_gif)
        self.fps = float(fps)
        self._saved = 0

    def before_val_epoch(self, runner) -> None:
        self._saved = 0

    def before_test_epoch(self, runner) -> None:
        self._saved = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence[dict]] = None) -> None:
        folder = osp.join(runner.work_dir, 'vis', f'val_iter_{_train_iteration(runner)}')
        self._save(outputs, folder, gif=False)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence[dict]] = None) -> None:
        if self.out_dir is not None:
            self._save(outputs, self.out_dir, gif=self.save_gif)

    def _save(self, outputs: Optional[Sequence[dict]], folder: str, gif: bool) -> None:
        if not is_main_process() or not outputs or self._saved >= self.num_samples:
            return
        for sample in outputs[:self.num_samples - self._saved]:
            name = _sample_name(sample, self._saved)
            save_sequence_grid(sample.get('input'), sample['gt'], sample['pred'],
                               osp.join(folder, name + '.png'))
            if gif:
                save_sequence_gif(sample['gt'], sample['pred'], osp.join(folder, name + '.gif'),
                                  input=sample.get('input'), fps=self.fps)
            self._saved += 1


@HOOKS.register_module()
class TestProgressBarHook(Hook):
    """A console progress bar over the test batches (rank 0; MMEngine shows none by default)."""
    priority = 'VERY_LOW'

    def __init__(self, bar_width: int = 40) -> None:
        self.bar_width = int(bar_width)
        self._bar: Optional[ProgressBar] = None

    def before_test_epoch(self, runner) -> None:
        if is_main_process():
            self._bar = ProgressBar(len(runner.test_dataloader), bar_width=self.bar_width,
                                    file=sys.stdout)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None:
            sys.stdout.write('\n')  # the bar ends without a newline; keep the log readable
            sys.stdout.flush()
            self._bar = None
