"""Reading a local file without trusting what it is.

A path in the config may name a named pipe nobody writes to, a terminal or
/dev/zero: reading one the plain way hangs the build or fills memory. Here
every read stops at a size cap, and anything that can block (whatever is
not a regular file) is read only as it becomes readable, until a deadline.

Writing one: atomically (temp file, fsync, rename), never over anything
but a regular file. And file:// URLs as the paths they name.
"""

from __future__ import annotations

import os
import select
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .errors import OutputError, UsageError

CHUNK = 65536


class TooLarge(Exception):
    """More than the cap."""


class TimedOut(Exception):
    """Not read in full before the deadline."""


def read_capped(path: Path | str, max_bytes: int, timeout: float) -> bytes:
    """The whole file, or TooLarge past max_bytes, TimedOut past timeout
    seconds, OSError when it cannot be read (missing, a folder...)."""
    deadline = time.monotonic() + timeout
    # O_NONBLOCK: opening a named pipe would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        parts, size = [], 0
        while True:
            if not regular:
                _wait_readable(fd, deadline)
            try:
                chunk = os.read(fd, CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge()
            parts.append(chunk)
            if time.monotonic() > deadline:  # a regular file on a stalled network mount
                raise TimedOut()
    finally:
        os.close(fd)


def _wait_readable(fd: int, deadline: float) -> None:
    # A pipe with no writer yet reads as EOF at once; poll waits for one.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while (left := deadline - time.monotonic()) > 0:
        # poll takes milliseconds as a C int: a day at a time (a timeout may be 100 years).
        if poller.poll(min(left, 86_400) * 1000):
            return
    raise TimedOut()


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a reader sees the old
    file or the whole new one. An existing file keeps its permissions.

    A symlink is written through (dotfiles managers link the config in),
    and anything but a regular file is refused, never replaced: as root,
    `-o /dev/sda` would otherwise swap a device node for a digest.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = regular_file_mode(path, target)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644 & ~umask() if mode is None else mode)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def regular_file_mode(path: Path, target: Path, doing: str = "replacing") -> int | None:
    """The permissions of the file at target, None when there is none yet;
    UsageError when something other than a regular file is there."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        through = f" (a link to {target})" if target != Path(os.path.abspath(path)) else ""
        raise UsageError(f"{path}{through} is {file_kind(info.st_mode)}, not a regular file; not {doing} it")
    return info.st_mode & 0o777


def file_kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def missing_folders(folder: Path) -> list[Path]:
    """The folders from the nearest existing ancestor down to `folder` that
    do not exist yet, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def make_private_folders(folder: Path) -> None:
    """`folder` and every folder missing on the way to it, each for its
    owner alone (700): mkdir(parents=True) would give those on the way the
    umask's mode. For mail folders and the state's folder (feed tokens,
    every digest sent)."""
    for made in missing_folders(folder):
        made.mkdir(mode=0o700, exist_ok=True)


def fsync_folder(folder: Path) -> None:
    """A new name in a folder is on disk only once the folder is synced."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def file_path(url: str) -> Path:
    """file:// URL -> local path."""
    parts = urlsplit(url)
    return Path(url2pathname(unquote(parts.path)))


def is_local_file_url(url: str) -> bool:
    """file:///path or file://localhost/path; file://otherhost/path names
    a file on another machine, which a plain read would take from this one."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "file" and parts.netloc.lower() in ("", "localhost")




@contextmanager
def held_lock(lock_path: Path, wait: float, cannot_open: Callable[[OSError], Exception],
              busy: Callable[[], Exception]) -> Iterator[None]:
    """An flock on `lock_path` (made 600 if missing) for the block, waiting
    up to `wait` seconds for another process that holds it. `cannot_open`
    makes the error for a lock file that cannot be opened, `busy` the one
    for a lock still held after the wait."""
    import fcntl

    try:
        handle = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise cannot_open(exc) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy() from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)  # unlocks
