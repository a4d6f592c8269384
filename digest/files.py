"""Reading a local file without trusting what it is.

A path in the config may name a named pipe nobody writes to, a terminal or
/dev/zero: reading one the plain way hangs the build or fills memory. Here
every read stops at a size cap, and anything that can block (whatever is
not a regular file) is read only as it becomes readable, until a deadline.
"""

from __future__ import annotations

import os
import select
import stat
import time
from pathlib import Path

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
