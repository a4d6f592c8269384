"""Error types of the pipeline.

The core raises these; only the CLI turns them into a one-line message and an
exit code, so each class carries the code it stands for.
"""

from __future__ import annotations


class DigestError(Exception):
    """Something the user should read as one line; exit code 1."""

    exit_code = 1


class ConfigError(DigestError):
    """A bad config file, key or value; exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, path: object = None, key: str | None = None):
        self.path = path
        self.key = key
        where = ": ".join(str(part) for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(DigestError):
    """A bad command-line value; exit code 2."""

    exit_code = 2


class TemplateError(DigestError):
    """A template that cannot be loaded or rendered; exit code 2."""

    exit_code = 2


class StoreError(DigestError):
    """The SQLite state file cannot be used."""


class OutputError(DigestError):
    """The digest could not be written in full; nothing was marked sent."""


class FeedError(DigestError):
    """One feed failed (HTTP error, timeout, too large, not a feed).

    Never fatal for a build: the feed is reported and skipped.
    """

    def __init__(self, url: str, message: str):
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class DeliveryError(OutputError):
    """The mail server (or mailbox) did not take the digest; nothing was
    marked sent."""
