"""One way to turn raw data items into dataset folders, safe against damage, kills and reruns.

An *item* is one unit of raw data that becomes one folder of the prepared dataset: a KTH video
becomes ``<action>/<video>/``, a BAIR TFRecord (or one record of it) a folder of clips, a user
video a folder in a frame cache. A dataset describes its items (:class:`ConversionItem`) and
gives a *converter*, a module-level function ``convert(item, folder) -> counts`` that writes the
item into an empty folder and raises :class:`DamagedFileError` (or any ``DataError``) when the
source is damaged. :func:`convert_items` then guarantees, for every dataset alike:

- **Atomic items.** Each item is written into a hidden ``.partial-<name>`` folder next to its
  target, checked, and renamed into place only when the converter returned; a killed or failed
  conversion never leaves a folder that looks complete (leftovers are removed on the next run).
- **A completion record.** The finished folder holds ``.predbench-conversion.json``: the
  source's path and fingerprint (e.g. name, size, mtime; a zip member's CRC), the converter's
  counts (e.g. frames) and the size of every file written. It is renamed into place with the
  folder, so a folder without it is unfinished or was made by another tool.
- **Reruns.** An item whose folder has a record with the same source fingerprint and the same
  files is kept; an item whose source was replaced, whose files changed since (a frame deleted,
  truncated or overwritten), or whose folder has no record is converted again and swapped in.
  ``verify=True`` also runs the dataset's ``check(folder, record)`` on kept items (e.g. decodes
  every frame) and reconverts those that fail.
- **Damage.** A damaged item is reported by name as it is met, the run continues with the other
  items, and at the end a ``DataError`` of one line lists every damaged item and what to do
  (``skip_bad=True`` turns this into one warning per item). An ``OSError`` (disk full, no
  permission) stops the run at once, as it would fail every item.

Converters and checks run in worker processes when ``workers > 1``, so they must be module-level
functions and items must pickle. Damaged files are described by :class:`DamagedFileError`
(path, reason, advice), which decoders such as :mod:`predbench.datasets.video_io` raise.

How datasets use it: ``kth_convert`` makes one item per AVI (or zip member) whose converter
writes PNGs from :func:`~predbench.datasets.video_io.iter_video_frames`. A BAIR preparation makes
one item per TFRecord file (or per record, with the record index in ``fingerprint`` and
``name``) whose converter writes the clips and actions and raises ``DamagedFileError`` for a bad
record. A folder of user videos makes one item per video with targets in a cache folder, whose
converter decodes, converts and resizes the frames into
:func:`~predbench.datasets.frame_cache.write_frames` (``frames.npy``), mapped by the dataset with
:func:`~predbench.datasets.frame_cache.open_frames`. See docs/datasets.md.
"""
import json
import math
import os
import os.path as osp
import shutil
import sys
import zipfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..utils.errors import DataError
from ..utils.fileio import atomic_write_bytes

RECORD_NAME = '.predbench-conversion.json'
RECORD_FORMAT = 1  # bump when the record's fields change meaning
PARTIAL_PREFIX = '.partial-'  # hidden, so readers ignore half-written folders
STALE_PREFIX = '.stale-'  # the previous version of a folder while the new one is swapped in
PROGRESS_LINES = 20  # at most this many progress lines per run, plus one per damaged item
MAX_LISTED = 10  # damaged items named in the final error line


class DamagedItemsError(DataError):
    """Items were damaged: the one-line message lists them; ``report`` says what else happened."""

    def __init__(self, message: str, report: 'ConversionReport'):
        super().__init__(message)
        self.report = report


class DamagedFileError(DataError):
    """A damaged source file: its ``path``, what is wrong (``reason``), what to do (``advice``)."""

    def __init__(self, path: str, reason: str, advice: str):
        self.path, self.reason, self.advice = path, reason, advice
        super().__init__(f'{path}: {reason}; {advice}')

    def __reduce__(self):  # custom arguments: pickle them explicitly (worker processes)
        return type(self), (self.path, self.reason, self.advice)


def file_fingerprint(path: str) -> Dict[str, Any]:
    """Identity of a source file: its name, size and modification time (not its folder)."""
    stat = os.stat(path)
    return dict(name=osp.basename(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def zip_member_fingerprint(info: zipfile.ZipInfo) -> Dict[str, Any]:
    """Identity of an archive member: name, size and CRC (unchanged members of a new zip match)."""
    return dict(name=info.filename, size=info.file_size, crc=info.CRC)


@dataclass(frozen=True)
class ConversionItem:
    """One unit of raw data and the folder it becomes.

    Args:
        name: how the item is reported, e.g. ``raw/boxing.zip:person01_boxing_d1_uncomp.avi``.
        target: the folder it becomes.
        fingerprint: identity of its source; a different one means "convert again".
        source: path of the source file, stored in the record (repair hints name it).
        data: anything else the converter needs (must pickle).
    """
    name: str
    target: str
    fingerprint: Mapping[str, Any]
    source: str = ''
    data: Any = None


@dataclass
class ConversionRecord:
    """What ``.predbench-conversion.json`` holds about a finished folder."""
    source: str
    fingerprint: Dict[str, Any]
    counts: Dict[str, int]
    outputs: Dict[str, int]  # every file written (relative path) -> size in bytes
    format: int = RECORD_FORMAT


Converter = Callable[[ConversionItem, str], Mapping[str, int]]
Checker = Callable[[str, ConversionRecord], None]


def read_record(folder: str) -> Optional[ConversionRecord]:
    """The completion record of ``folder``, or None if it has none (or an unreadable one)."""
    try:
        with open(osp.join(folder, RECORD_NAME)) as f:
            data = json.load(f)
        if data.get('format') != RECORD_FORMAT:
            return None
        return ConversionRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def _listing(folder: str) -> Dict[str, int]:
    """Every file under ``folder`` but the record, as relative path -> size."""
    sizes = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = osp.join(root, name)
            rel = osp.relpath(path, folder)
            if rel != RECORD_NAME:
                sizes[rel] = os.stat(path).st_size
    return sizes


def _as_stored(fingerprint: Mapping[str, Any]) -> Dict[str, Any]:
    """The fingerprint as the record stores it (JSON turns tuples into lists)."""
    return json.loads(json.dumps(dict(fingerprint)))


def pending_reason(item: ConversionItem) -> Optional[str]:
    """Why ``item`` must be converted (``'new'``, ``'source changed'``, ...), None if it is done."""
    if not osp.lexists(item.target):
        return 'new'
    if not osp.isdir(item.target):
        raise DataError(f'{item.target} is a file where the folder converted from {item.name} '
                        f'belongs: move it away and run again')
    record = read_record(item.target)
    if record is None:
        return 'no completion record'
    if record.fingerprint != _as_stored(item.fingerprint):
        return 'source changed'
    current = _listing(item.target)
    if current != record.outputs:
        changed = sorted(set(current.items()) ^ set(record.outputs.items()))
        return f'files changed since conversion ({changed[0][0]})'
    return None


def _remove(path: str) -> None:
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path)
    elif osp.lexists(path):
        os.remove(path)


def convert_item(item: ConversionItem, convert: Converter) -> Dict[str, int]:
    """Convert one item into a hidden partial folder, record it, and swap it into place."""
    parent, base = osp.split(osp.abspath(item.target))
    os.makedirs(parent, exist_ok=True)
    partial = osp.join(parent, PARTIAL_PREFIX + base)
    stale = osp.join(parent, STALE_PREFIX + base)
    _remove(partial)  # left by a killed run
    _remove(stale)
    os.makedirs(partial)
    try:
        counts = {k: int(v) for k, v in dict(convert(item, partial)).items()}
        outputs = _listing(partial)
        if not outputs:
            raise DamagedFileError(item.name, 'nothing could be converted from it',
                                   'check that it is the right file')
        record = ConversionRecord(item.source, _as_stored(item.fingerprint), counts, outputs)
        atomic_write_bytes(json.dumps(asdict(record), indent=1).encode(),
                           osp.join(partial, RECORD_NAME))
        if osp.lexists(item.target):
            os.rename(item.target, stale)
        os.rename(partial, item.target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(stale, ignore_errors=True)
    return counts


@dataclass
class _Outcome:
    name: str
    status: str  # 'kept', 'converted' or 'damaged'
    reason: Optional[str] = None  # why it was (re)converted
    counts: Dict[str, int] = field(default_factory=dict)
    damage: Optional[str] = None  # what is wrong with a damaged item
    message: Optional[str] = None  # the full one-line message of a damaged item


def _run_job(job: Tuple[ConversionItem, Converter, Optional[Checker], Optional[str]]
             ) -> _Outcome:
    """Check (when asked) and convert one item; damage comes back as text, OSError propagates."""
    item, convert, check, reason = job
    try:
        if reason is None:  # kept unless the full check fails
            try:
                check(item.target, read_record(item.target))
                return _Outcome(item.name, 'kept')
            except DataError as e:
                reason = f'failed verification ({e})'
        return _Outcome(item.name, 'converted', reason, convert_item(item, convert))
    except DataError as e:
        damage = e.reason if isinstance(e, DamagedFileError) else str(e)
        return _Outcome(item.name, 'damaged', reason, damage=damage, message=str(e))


@dataclass
class ConversionReport:
    """What :func:`convert_items` did: item names by outcome, and the converters' counts summed."""
    noun: str
    converted: List[str] = field(default_factory=list)
    reconverted: Dict[str, str] = field(default_factory=dict)  # name -> why it was redone
    kept: List[str] = field(default_factory=list)
    damaged: Dict[str, str] = field(default_factory=dict)  # name -> what is wrong
    counts: Dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: how many items were converted, kept and damaged, with the counts."""
        counts = ''.join(f', {v} {k}' for k, v in self.counts.items())
        why: Dict[str, int] = {}
        for reason in self.reconverted.values():
            kind = reason.split(' (')[0]
            why[kind] = why.get(kind, 0) + 1
        redone = (f' ({len(self.reconverted)} of them again: '
                  + ', '.join(f'{n} {kind}' for kind, n in why.items()) + ')'
                  if self.reconverted else '')
        return (f'{_count(len(self.converted), self.noun)} converted{redone}{counts}; '
                f'{len(self.kept)} already converted; {len(self.damaged)} damaged')

    def damage_line(self, advice: str) -> str:
        """One line naming every damaged item (the first ``MAX_LISTED``) and ``advice``."""
        listed = [f'{name} ({what})' for name, what in list(self.damaged.items())[:MAX_LISTED]]
        more = len(self.damaged) - len(listed)
        tail = f', and {more} more (each printed above)' if more else ''
        done = len(self.converted) + len(self.kept)
        return (f'{len(self.damaged)} damaged {self.noun}(s) not converted ({done} other '
                f'{self.noun}(s) complete): {", ".join(listed)}{tail}; {advice}')


def _count(number: int, noun: str) -> str:
    return f'{number} {noun}' + ('' if number == 1 else 's')


def _progress_step(total: int) -> int:
    return max(1, math.ceil(total / PROGRESS_LINES))


def _warn(message: str) -> None:
    print(f'warning: {message}', file=sys.stderr)


def convert_items(items: Sequence[ConversionItem], convert: Converter, *,
                  check: Optional[Checker] = None, verify: bool = False, workers: int = 1,
                  skip_bad: bool = False, noun: str = 'item',
                  damage_advice: str = 'replace them and run again (finished items are kept)',
                  log: Callable[[str], None] = print,
                  progress: Optional[Callable[[int, int], None]] = None) -> ConversionReport:
    """Convert the items that are not done (see the module docstring); what happened.

    Raises a one-line :class:`DamagedItemsError` (a ``DataError`` carrying the report) listing
    the damaged items (with ``damage_advice``) unless ``skip_bad``, in which case each is a
    warning. ``verify`` needs ``check``. ``progress(done, total)``, when given, is called with 0
    before the first item to convert and after each (e.g. to draw a progress bar) instead of
    logging ``[k/n] done`` lines.
    """
    if verify and check is None:
        raise ValueError('verify=True needs a check function')
    report = ConversionReport(noun)
    pool: Optional[ProcessPoolExecutor] = None
    futures: List[Future] = []
    try:
        jobs = []
        for item in items:
            reason = pending_reason(item)
            if reason is None and not verify:
                report.kept.append(item.name)
            else:
                jobs.append((item, convert, check, reason))
        step = _progress_step(len(jobs))
        if jobs:
            action = 'check or convert' if verify else 'convert'
            log(f'{len(jobs)} of {_count(len(items), noun)} to {action}')
            if progress is not None:
                progress(0, len(jobs))
        if workers > 1 and len(jobs) > 1:
            pool = ProcessPoolExecutor(workers)
        if pool is None:
            outcomes = map(_run_job, jobs)
        else:
            futures = [pool.submit(_run_job, job) for job in jobs]
            outcomes = (f.result() for f in futures)
        for done, outcome in enumerate(outcomes, 1):
            _tally(report, outcome, skip_bad, log)
            if progress is not None:
                progress(done, len(jobs))
            elif done % step == 0 or done == len(jobs):
                log(f'[{done}/{len(jobs)}] done')
    except OSError as e:
        where = e.filename or 'the output folder'
        raise DataError(f'stopped at {where}: {e.strerror or e}; fix it (free disk space, '
                        f'permissions) and run again (finished {noun}s are kept)') from e
    finally:
        if pool is not None:
            for f in futures:
                f.cancel()
            pool.shutdown()
    log(report.summary())
    if report.damaged and not skip_bad:
        raise DamagedItemsError(report.damage_line(damage_advice), report)
    return report


def _tally(report: ConversionReport, outcome: _Outcome, skip_bad: bool,
           log: Callable[[str], None]) -> None:
    if outcome.status == 'kept':
        report.kept.append(outcome.name)
        return
    if outcome.status == 'damaged':
        report.damaged[outcome.name] = outcome.damage
        if skip_bad:
            _warn(f'skipped damaged {report.noun}: {outcome.message}')
        else:
            log(f'damaged: {outcome.message}')
        return
    report.converted.append(outcome.name)
    if outcome.reason not in (None, 'new'):
        report.reconverted[outcome.name] = outcome.reason
        if outcome.reason != 'no completion record':  # e.g. every folder of an older version
            log(f'converted again: {outcome.name}: {outcome.reason}')
    for key, value in outcome.counts.items():
        report.counts[key] = report.counts.get(key, 0) + value
