"""Which stored items are candidates for this digest: the window.

The rest of selection lives where the data is: the store returns only items
never sent (nor sent under the same canonical link by another feed, unless
re-sent as updated), cluster.py folds the same story from several feeds
into one, and rank.py drops muted stories.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def window_start(
    now: datetime,
    default_window: timedelta,
    last_build: datetime | None = None,
    since: datetime | None = None,
) -> datetime:
    """--since wins; else the last build that marked items sent; else the
    config's window, so a first run never mails a feed's whole archive.

    Undated items are placed at the time digest first fetched them (the
    store compares coalesce(published, first_seen)), so an old undated item
    seen for the first time today counts as today's news exactly once.
    """
    if since is not None:
        return since
    if last_build is not None and last_build < now:
        return last_build
    return now - default_window
