"""The validation and test log line with the summary metrics, then the per-frame table.

A ``VideoMetric`` returns 2-8 summary keys and, with ``per_frame``, a key per metric and predicted
frame (40-160 of them for KTH). MMEngine logs them all on one line; this processor keeps that line
to the summary keys and logs the per-frame values as the table that follows it. Only the text
changes: the returned tag (what ``scalars.json`` and the visualizer backends receive) and the
metrics ``runner.val()``/``runner.test()`` return keep every key.
"""
import re
from typing import Tuple

from mmengine.runner import LogProcessor

from ..evaluation.report import is_per_frame_key, per_frame_table
from ..registry import LOG_PROCESSORS

# One ``name: value`` item of MMEngine's line, with the two spaces that separate it.
_ITEM = re.compile(r'  (?P<name>[^\s:]+): \S+')


@LOG_PROCESSORS.register_module()
class PerFrameTableLogProcessor(LogProcessor):
    """MMEngine's LogProcessor whose validation/test line leaves out the ``<name>_tNN`` keys and
    is followed by the per-frame table (``predbench.evaluation.per_frame_table``)."""

    def get_log_after_epoch(self, runner, batch_idx: int, mode: str,
                            with_non_scalar: bool = False) -> Tuple[dict, str]:
        tag, log_str = super().get_log_after_epoch(runner, batch_idx, mode, with_non_scalar)
        if not any(is_per_frame_key(key) for key in tag):
            return tag, log_str
        line = _ITEM.sub(lambda item: '' if is_per_frame_key(item['name']) else item[0],
                         log_str)
        return tag, f'{line}\n{per_frame_table(tag)}'
