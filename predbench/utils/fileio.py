"""Writing files so that a crash never leaves a half-written one where a reader would find it."""
import contextlib
import os
import os.path as osp
import tempfile
from typing import Iterator


def make_readable(path: str) -> None:
    """Give a temporary file (created 0600) the permissions of a normally created file."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _fsync_folder(folder: str) -> None:
    try:  # make the rename itself durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


@contextlib.contextmanager
def atomic_output(path: str, suffix: str = '.tmp') -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it is synced and renamed to ``path``.

    Readers see the old file or the whole new one, never a partial one. On an exception the
    temporary file is removed; after a SIGKILL it stays as ``.<name>.<random><suffix>``.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        make_readable(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    _fsync_folder(folder)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp:
        with open(tmp, 'wb') as f:
            f.write(data)
