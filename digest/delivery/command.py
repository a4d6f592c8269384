"""A mail command (`--pipe`, `[email] command`): the digest on its stdin, delivered once it exits 0."""

from __future__ import annotations

import tempfile
import time

from ..errors import ConfigError, OutputError
from .base import Destination, Outgoing, folded, reason
from .streams import (
    DELIVERY_TIMEOUT,
    NotReceived,
    send_all,
)


class MailCommand(Destination):
    def __init__(self, command: str):
        self.command = command
        self.name = f"the mail command {command!r}"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        pipe_to_command(self.command, outgoing.data)
        return []

    def check(self) -> str:
        import shlex
        import shutil

        program = shlex.split(self.command)[0]
        found = shutil.which(program)
        if not found:
            raise ConfigError(f"cannot run the mail command {self.command!r}: {program} not found")
        return f"mail command: {found} is there"


def pipe_to_command(command: str, data: bytes) -> None:
    """Run the mail command (no shell), feed it the message on stdin, and
    raise OutputError unless it read all of it and exited 0; with what it
    said on stderr. A command that exits 0 but left part of the message
    unread (a broken pipe) did not get the mail."""
    import subprocess

    from ..values import command_words

    words = command_words(command)  # checked where the command came from: a flag or the config
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    # stderr into a file, not a pipe: a command that says a lot before it
    # reads its stdin would otherwise block, with us waiting on its stdin.
    with tempfile.TemporaryFile() as said:
        try:
            child = subprocess.Popen(words, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=said, bufsize=0)
        except FileNotFoundError:
            raise OutputError(f"cannot run the mail command {command!r}: {words[0]} not found") from None
        except PermissionError:
            raise OutputError(f"cannot run the mail command {command!r}: {words[0]} is not executable") from None
        refused = None
        try:
            send_all(child.stdin, data, deadline)
        except (OSError, NotReceived) as exc:
            refused = reason(exc)
        finally:
            child.stdin.close()
        try:
            code = child.wait(timeout=max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise OutputError(f"the mail command {command!r} did not finish in {DELIVERY_TIMEOUT}s") from None
        said.seek(0)
        text = folded(said.read(4096).decode("utf-8", "replace")) or "nothing on stderr"
    if code != 0:
        raise OutputError(f"the mail command {command!r} exited {code}: {text}")
    if refused:
        raise OutputError(f"the mail command {command!r} exited 0 without reading the whole message ({refused})")


