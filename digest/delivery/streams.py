"""stdout and -o FILE: the whole product written, or an OutputError."""

from __future__ import annotations

import errno
import os
import select
import stat
import time
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputError
from ..files import write_atomically
from .base import Destination, Outgoing, reason

# Seconds a reader (the mail command, whatever reads our stdout pipe) gets
# to take the whole digest; sendmail normally takes well under one.
DELIVERY_TIMEOUT = 300


class Stdout(Destination):
    name = "stdout"

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def describe(self) -> str:
        return "stdout (for `digest build | sendmail -t`)"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        write_output(outgoing.data, None, self.stream)
        return []


class OutputFile(Destination):
    def __init__(self, path: Path):
        self.path = self.proof = Path(path)
        self.name = f"the file {path}"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        write_atomically(self.path, outgoing.data)
        return []


class NotReceived(Exception):
    """The reader of a pipe left (or stalled) before it read every byte."""


def write_output(data: bytes, path: Path | None, stdout: BinaryIO) -> None:
    """Write the whole product, or raise OutputError. A file is written
    atomically (temp file + rename), so a reader never sees half a digest."""
    if path is None:
        try:
            send_all(stdout, data, time.monotonic() + DELIVERY_TIMEOUT)
        except (OSError, NotReceived) as exc:
            raise OutputError(f"could not write the digest to stdout: {reason(exc)}") from None
        return
    write_atomically(Path(path), data)


def send_all(stream: BinaryIO, data: bytes, deadline: float) -> None:
    """Every byte of data into the stream, or OSError / NotReceived.

    A raw stream (`python -u`, PYTHONUNBUFFERED) may take only part of a
    write without raising: 65,536 of 130,438 bytes into a pipe. Into a pipe,
    "written" is not "received" either: a reader that exits 0 after 100
    bytes leaves the rest in the pipe, so wait until the pipe is empty.
    """
    fd = _fileno(stream)
    if fd is not None and stat.S_ISFIFO(os.fstat(fd).st_mode):
        stream.flush()
        _write_pipe(fd, data, deadline)
        _wait_until_read(fd, len(data), deadline)
        return
    view = memoryview(data)
    while view:
        taken = stream.write(view)
        if not taken:
            raise OSError(errno.EIO, "the output took none of the data")
        view = view[taken:]
    stream.flush()
    if fd is not None and stat.S_ISREG(os.fstat(fd).st_mode):
        os.fsync(fd)  # a full disk may only say so now (NFS, quotas)


def _fileno(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _write_pipe(fd: int, data: bytes, deadline: float) -> None:
    """Into a pipe, never blocked past the deadline: wait until it has room,
    then write at most PIPE_BUF bytes, which a pipe with room takes whole."""
    view = memoryview(data)
    while view:
        _wait_for(fd, select.POLLOUT, deadline)
        try:
            view = view[os.write(fd, view[: select.PIPE_BUF]):]
        except BlockingIOError:  # someone made the pipe non-blocking; wait again
            continue


def _wait_until_read(fd: int, size: int, deadline: float) -> None:
    """Return once the pipe's reader has read everything we wrote."""
    while (unread := _unread(fd)):
        left = deadline - time.monotonic()
        if left <= 0:
            raise NotReceived(f"the reader took {size - unread:,} of {size:,} bytes "
                              f"in {DELIVERY_TIMEOUT}s and no more")
        # With no events asked, poll wakes only for POLLERR: the reader is gone.
        gone = _poll(fd, 0, min(left, 0.05))
        if gone and (unread := _unread(fd)):
            raise NotReceived(f"the reader exited after {size - unread:,} of {size:,} bytes")


def _unread(fd: int) -> int:
    """Bytes in the pipe nobody has read yet (Linux FIONREAD works on either
    end); 0 where the system cannot tell."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, count, True)
    except OSError:
        return 0
    return count[0]


def _wait_for(fd: int, events: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0 or not _poll(fd, events, left):
        raise NotReceived(f"the reader took nothing more for {DELIVERY_TIMEOUT}s")


def _poll(fd: int, events: int, seconds: float) -> bool:
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(max(seconds, 0.001) * 1000))


