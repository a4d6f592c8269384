"""Which stored items are candidates for this digest: the window, the sent
log, duplicates, and muted words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from .models import Item


def window_start(
    now: datetime,
    default_window: timedelta,
    last_build: datetime | None = None,
    since: datetime | None = None,
) -> datetime:
    """--since wins; else the last build that marked items sent; else the
    config's window (so a first run never mails a feed's whole archive)."""
    if since is not None:
        return since
    if last_build is not None and last_build < now:
        return last_build
    return now - default_window


def without_duplicates(items: Iterable[Item]) -> list[Item]:
    """Keep the first item per identity: guid within a feed, then canonical link
    across feeds. Callers pass items best-first."""
    seen_keys: set[tuple[str, str]] = set()
    seen_links: set[str] = set()
    kept = []
    for item in items:
        if (item.feed_url, item.key) in seen_keys or (item.link and item.link in seen_links):
            continue
        seen_keys.add((item.feed_url, item.key))
        if item.link:
            seen_links.add(item.link)
        kept.append(item)
    return kept


def mute_pattern(words: Iterable[str]) -> re.Pattern | None:
    words = [w.strip() for w in words if w.strip()]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def is_muted(item: Item, pattern: re.Pattern | None) -> bool:
    """Muted words match the title, the author or the text, as whole words."""
    if pattern is None:
        return False
    return any(pattern.search(field) for field in (item.title, item.author, item.text))
