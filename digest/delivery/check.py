"""`digest check`: what a build would do with this config, and what stops it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from ..config import Config
from ..errors import ConfigError, DigestError
from ..values import is_local_only
from .base import Outgoing
from .destinations import configured_destination
from .streams import (
    Stdout,
)


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)  # what digest would do
    problems: list[DigestError] = field(default_factory=list)  # one line each
    warnings: list[str] = field(default_factory=list)  # what works here but not for everyone


def check_setup(config: Config, test_message: Callable[[str], EmailMessage] | None = None) -> CheckReport:
    """What a build would do with this config, and what stops it: feeds,
    recipients, the destination (an SMTP server is logged in to, sending
    nothing unless there is a `test_message`: a function that writes it for
    the name of the destination it goes through)."""

    report = CheckReport()
    email = config.email
    report.lines.append(f"feeds: {len(config.feeds)}")
    if not config.feeds:
        report.problems.append(ConfigError("no [[feeds]] to read (add one with `digest feeds add URL`)",
                                           path=config.path))
    copies = "".join(f"; {name} {', '.join(listed)}" for name, listed in (("cc", email.cc), ("bcc", email.bcc))
                     if listed)
    report.lines.append(f"mail: from {email.from_} to {', '.join(email.to) or 'nobody'}{copies}")
    if is_local_only(email.from_):
        report.warnings.append(f"the From address {email.from_!r} is one only this machine knows: most mail "
                               "providers (Gmail, Fastmail...) refuse or rewrite mail from it; set `from` in the "
                               "[email] table to an address of yours")
    if not email.recipients:
        report.problems.append(ConfigError("no recipient: set `to` in the [email] table", path=config.path))
    try:
        destination = configured_destination(config) or Stdout(None)
        report.lines.append(f"delivery: {destination.describe()}")
        line = destination.check()
        if line:
            report.lines.append(line)
        if test_message is not None and email.recipients:
            if isinstance(destination, Stdout):
                raise ConfigError("--send-test: nothing to send through; the digest goes to stdout (set [smtp], "
                                  "or command, maildir or mbox in [email])", path=config.path)
            notes = destination.deliver(Outgoing.email(test_message(destination.name)))
            report.lines.append(f"test message: delivered to {destination.name} for {', '.join(email.recipients)}")
            report.lines += [f"test message: {note}" for note in notes]
    except DigestError as exc:
        report.problems.append(exc)
    return report


