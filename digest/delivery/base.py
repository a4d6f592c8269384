"""What leaves digest (Outgoing) and the interface every destination keeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path


@dataclass(frozen=True)
class Outgoing:
    """The product, ready to leave: its bytes, and for --format email the
    message they were made from (SMTP and the mailboxes need its parts)."""

    data: bytes
    message: EmailMessage | None = None

    @classmethod
    def email(cls, message: EmailMessage) -> Outgoing:
        return cls(message.as_bytes(), message)


class Destination:
    """Where the product goes. `deliver` takes all of it or raises
    OutputError, and returns warnings for the user (a refused recipient)."""

    name = ""
    needs_message = False  # takes an email only, not --format html/json/...
    proof: Path | None = None  # a file whose whole presence proves delivery (-o)
    # Told of a delivery still under way (a retry after a temporary
    # refusal), when the caller wants to hear it: a person at a terminal.
    notify: Callable[[str], None] | None = None

    def describe(self) -> str:
        return self.name

    def deliver(self, outgoing: Outgoing) -> list[str]:
        raise NotImplementedError

    def preflight(self) -> None:
        """Raise the DigestError delivery would raise for a cause that can
        be seen before building (a mailbox path that cannot be made), so a
        build does not fetch every feed in vain. Local and quick: no login."""

    def check(self) -> str | None:
        """`digest check`: a line saying the destination is usable, or a
        DigestError saying why not. Sends nothing."""
        return None


def reason(exc: BaseException) -> str:
    """What went wrong, in the words of the OS where it has them."""
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def folded(text: str, limit: int = 500) -> str:
    """A program's output folded into one line of at most `limit` characters."""
    return " ".join(text.split())[:limit]
