"""Hooks that show a person what the model predicts and how far a test run has got."""
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook, LoggerHook
from mmengine.utils import ProgressBar

from ...evaluation.report import group_metrics
from ...registry import HOOKS
from ...utils.errors import ConfigError
from ...visualization import VideoPredictionVisualizer, save_sequence_gif


def _train_loop_iteration(runner) -> Optional[int]:
    """Training iterations so far, or None when the run has no train loop built.

    ``runner.iter`` would build the train loop from its config in a validation- or test-only run.
    """
    loop = getattr(runner, '_train_loop', None)
    return None if loop is None or isinstance(loop, dict) else int(loop.iter)


def _sample_name(sample: dict, fallback: int) -> str:
    index = sample.get('index')
    return f'seq_{int(index) if index is not None else fallback:05d}'


def _summary_scalars(metrics: Dict[str, float]) -> Dict[str, float]:
    """The frame-averaged metrics (``demo/mse``), without the per-frame ``_tNN`` keys."""
    return {f'{prefix}/{name}' if prefix else name: float(value)
            for prefix, group in group_metrics(metrics).items()
            for name, value in group['mean'].items() if isinstance(value, (int, float))}


@HOOKS.register_module()
class PredictionVisualizationHook(Hook):
    """Send pictures of predicted clips and per-frame metric curves to ``runner.visualizer``.

    The visualizer (a :class:`VideoPredictionVisualizer`) hands them to every vis backend of
    the config: ``<work_dir>/<timestamp>/vis_data/vis_image/<name>_<step>.png`` with the
    default ``LocalVisBackend``, image events with TensorBoard, images of the run with W&B.

    * Validation: the grid (observed | truth | prediction | error) of each of the first
      ``num_samples`` clips rank 0 sees, named ``val_seq_<dataset index>``; after it the
      per-frame curves ``val_per_frame_metrics`` when the metric reports per-frame values.
      Step: the training iteration.
    * Test: the first ``num_samples`` clips as ``test_seq_<index>``, the per-frame curves
      ``test_per_frame_metrics`` and the frame-averaged metrics as scalars. Step: the training
      iteration of the run, or of the loaded checkpoint in a test-only run (0 if unknown).
      With ``out_dir`` (tools/test.py ``--show-dir``) the test grids are also written there
      as ``seq_<index>.png`` and, with ``save_gif``, ``seq_<index>.gif``.

    Only rank 0 draws.

    Args:
        num_samples: clips pictured per validation or test run.
        out_dir: folder of the test PNGs/GIFs (relative to the current directory); None: none.
        save_gif: also write a GIF per test clip into ``out_dir``.
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
        self._shown = 0
        self._checkpoint_iteration = 0

    def before_run(self, runner) -> None:
        if not isinstance(runner.visualizer, VideoPredictionVisualizer):
            raise ConfigError(
                f"PredictionVisualizationHook needs visualizer = dict(type="
                f"'VideoPredictionVisualizer', vis_backends=[...]) in the config, got "
                f"{type(runner.visualizer).__name__}")

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        self._checkpoint_iteration = int((meta or {}).get('iter', 0) or 0)

    def _step(self, runner) -> int:
        """The training iteration the pictures belong to."""
        iteration = _train_loop_iteration(runner)
        return self._checkpoint_iteration if iteration is None else iteration

    def before_val_epoch(self, runner) -> None:
        self._shown = 0

    def before_test_epoch(self, runner) -> None:
        self._shown = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence[dict]] = None) -> None:
        self._show(runner, outputs, 'val')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence[dict]] = None) -> None:
        self._show(runner, outputs, 'test', out_dir=self.out_dir)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if is_main_process() and metrics:
            self._send_curves(runner, metrics, 'val')

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if is_main_process() and metrics:
            self._send_curves(runner, metrics, 'test')
            # MMEngine's LoggerHook keeps test metrics out of the vis backends.
            runner.visualizer.add_scalars(_summary_scalars(metrics), step=self._step(runner))

    def _send_curves(self, runner, metrics: Dict[str, float], mode: str) -> None:
        series = {prefix: group['per_frame'] for prefix, group in group_metrics(metrics).items()}
        runner.visualizer.add_per_frame_metrics(f'{mode}_per_frame_metrics', series,
                                                step=self._step(runner))

    def _show(self, runner, outputs: Optional[Sequence[dict]], mode: str,
              out_dir: Optional[str] = None) -> None:
        if not is_main_process() or not outputs or self._shown >= self.num_samples:
            return
        step = self._step(runner)
        for sample in outputs[:self.num_samples - self._shown]:
            name = _sample_name(sample, self._shown)
            out_file = osp.join(out_dir, name + '.png') if out_dir else None
            runner.visualizer.add_datasample(f'{mode}_{name}', data_sample=sample, step=step,
                                             out_file=out_file)
            if out_dir and self.save_gif:
                save_sequence_gif(sample['gt'], sample['pred'], osp.join(out_dir, name + '.gif'),
                                  input=sample.get('input'), fps=self.fps,
                                  actions=sample.get('actions'))
            self._shown += 1


@HOOKS.register_module()
class TestProgressBarHook(Hook):
    """A console progress bar over the test batches (rank 0; MMEngine shows none by default).

    The bar redraws one line; that line is finished (a newline) whenever a log line comes
    next: after a batch the LoggerHook reports, and after the last batch, before the metrics.
    Its priority puts it before the LoggerHook in every stage.
    """
    priority = 'NORMAL'  # before LoggerHook ('BELOW_NORMAL') in after_test_iter/epoch

    def __init__(self, bar_width: int = 40) -> None:
        self.bar_width = int(bar_width)
        self._bar: Optional[ProgressBar] = None

    def before_test_epoch(self, runner) -> None:
        if is_main_process():
            self._bar = ProgressBar(len(runner.test_dataloader), bar_width=self.bar_width,
                                    file=sys.stdout)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is None:
            return
        self._bar.update()
        if self._bar.completed >= self._bar.task_num or self._logger_reports(runner, batch_idx):
            self._end_line()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None and self._bar.completed < self._bar.task_num:
            self._end_line()  # a loop that stopped early
        self._bar = None

    @staticmethod
    def _logger_reports(runner, batch_idx: int) -> bool:
        """Whether a LoggerHook writes a line after this test batch."""
        return any(hook.every_n_inner_iters(batch_idx, hook.interval)
                   for hook in getattr(runner, 'hooks', []) if isinstance(hook, LoggerHook))

    def _end_line(self) -> None:
        self._bar.file.write('\n')
        self._bar.file.flush()
