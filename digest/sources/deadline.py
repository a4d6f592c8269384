"""A deadline for CPU-bound work in this thread: parsing one feed.

Whatever one feed's bytes make the parser do (a pathological document, a
bug of ours that loops), the build goes on without that feed. SIGALRM
raises Expired in the thread that set it; the regex engine and the
Python-level parsers check for signals as they run, and libxml2 and
Lexbor are linear in what they are given (every string is capped before
it reaches them). Only the main thread receives signals: elsewhere (a
library caller's thread) the work runs without a deadline.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Expired(BaseException):
    """The deadline passed. A BaseException, so that no `except Exception`
    on the way (one entry's failure is caught and counted) can swallow it."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Raise Expired inside the block once `seconds` have passed."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise Expired

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
