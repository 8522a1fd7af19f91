"""Who may write in a work dir: checked before a run writes anything, owned by one training.

Two trainings in one work dir would overwrite each other's checkpoints and both exit 0. A
training run therefore holds an exclusive OS lock (a POSIX record lock, ``lockf``) on
``<work_dir>/.predbench.lock`` for as long as it runs; the operating system releases it when the
process ends, however it ends (a killed run never leaves a stale lock). POSIX locks belong to the
process, so DataLoader workers forked from it do not keep the lock alive after it. The lock file
also records who holds it, for the message a second run prints.
"""
import datetime
import errno
import json
import os
import os.path as osp
import socket
import sys
from typing import Optional

from ..utils.errors import ConfigError, WorkDirInUseError

LOCK_FILE = '.predbench.lock'

try:
    import fcntl
except ImportError:  # not POSIX: no locking (documented in docs/reliability.md)
    fcntl = None


def check_work_dir(work_dir: str) -> str:
    """Create ``work_dir`` if needed; one line if it is a file or cannot be written."""
    path = osp.abspath(work_dir)
    if osp.exists(path) and not osp.isdir(path):
        raise ConfigError(f'work dir {work_dir} is a file, not a folder: choose another with '
                          f'--work-dir DIR')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise ConfigError(f'cannot create work dir {work_dir} ({err.strerror}): choose a '
                          f'writable folder with --work-dir DIR') from err
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f'work dir {work_dir} is not writable: choose a writable folder with '
                          f'--work-dir DIR')
    return path


class WorkDirLock:
    """An exclusive, non-blocking lock on a work dir, held until :meth:`release` or exit."""

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_FILE)
        self._fd: Optional[int] = None

    def acquire(self) -> 'WorkDirLock':
        if fcntl is None or self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ConfigError(f'cannot write in work dir {self.work_dir} ({err.strerror}): choose '
                              f'a writable folder with --work-dir DIR') from err
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = _read_holder(fd)
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise WorkDirInUseError(
                f'work dir {self.work_dir} is in use by another training run{holder}: wait for '
                f'it to finish, or train into another folder with --work-dir DIR') from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(dict(
            pid=os.getpid(), host=socket.gethostname(), argv=sys.argv,
            started=datetime.datetime.now().isoformat(timespec='seconds'))).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_holder(fd: int) -> str:
    """' (pid N on HOST, started T)' from the lock file, or '' if unreadable."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or '{}')
        return f' (pid {info["pid"]} on {info["host"]}, started {info["started"]})'
    except (OSError, ValueError, KeyError):
        return ''
