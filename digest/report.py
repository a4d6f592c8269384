"""How the library speaks to whoever runs it: a Reporter the caller passes in
(the command line writes to stderr; a library user may log, collect or drop)."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def warn(self, message: str) -> None: ...

    def info(self, message: str) -> None:
        """A note the user asked for by running the command (not a warning)."""

    def detail(self, message: str) -> None:
        """Something said before and unchanged since: only on request (-v)."""

    def progress(self, done: int, total: int) -> None: ...


class SilentReporter:
    """Says nothing (benchmarks and tests that look at the result only)."""

    def warn(self, message: str) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def progress(self, done: int, total: int) -> None:
        pass
