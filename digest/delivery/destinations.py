"""Which destination a build delivers to: a command-line flag, else what the
config names ([smtp], [email] command, maildir or mbox), else stdout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..config import Config
from ..errors import ConfigError, UsageError
from .base import Destination
from .command import MailCommand
from .mailboxes import Maildir, Mbox
from .smtp import Smtp
from .streams import (
    OutputFile,
    Stdout,
)


@dataclass(frozen=True)
class Asked:
    """The destination flags of the command line; at most one is given."""

    output: Path | None = None
    pipe: str | None = None
    maildir: Path | None = None
    mbox: Path | None = None
    stdout: bool = False


_FLAGS = {"output": "-o/--output", "pipe": "--pipe", "maildir": "--maildir", "mbox": "--mbox", "stdout": "--stdout"}


def choose_destination(config: Config, fmt: str, asked: Asked, stdout: BinaryIO, *,
                       configured: bool = True) -> Destination:
    """A flag wins; else, for an email, what the config names ([smtp],
    [email] command, maildir or mbox); else stdout. `configured=False`
    ignores the config (a replay is looked at, not sent again)."""
    given = [name for name in _FLAGS if getattr(asked, name)]
    if len(given) > 1:
        raise UsageError(f"{_FLAGS[given[0]]} and {_FLAGS[given[1]]} exclude each other: the digest goes to one place")
    if given:
        destination = {
            "output": lambda: OutputFile(asked.output),
            "pipe": lambda: MailCommand(asked.pipe),
            "maildir": lambda: Maildir(asked.maildir),
            "mbox": lambda: Mbox(asked.mbox),
            "stdout": lambda: Stdout(stdout),
        }[given[0]]()
        if destination.needs_message and fmt != "email":
            raise UsageError(f"{_FLAGS[given[0]]} takes an email, not --format {fmt}")
        return destination
    if fmt == "email" and configured:
        return configured_destination(config) or Stdout(stdout)
    return Stdout(stdout)


def configured_destination(config: Config) -> Destination | None:
    """The one destination the config names, None when it names none."""
    email = config.email
    named = [(key, make) for key, value, make in (
        ("[smtp]", config.smtp, lambda: Smtp(config.smtp, config.path)),
        ("email.command", email.command, lambda: MailCommand(email.command)),
        ("email.maildir", email.maildir, lambda: Maildir(email.maildir)),
        ("email.mbox", email.mbox, lambda: Mbox(email.mbox)),
    ) if value]
    if len(named) > 1:
        raise ConfigError(f"{named[0][0]} and {named[1][0]} both say where the mail goes; keep one", path=config.path)
    return named[0][1]() if named else None


