"""Refreshing the feeds: fetch every feed that is not retired
(conditionally), parse what changed (in worker processes when there are
many), and store it; a feed that fails is reported and skipped.

No click and no printing here: whatever the user should hear goes through a
Reporter the caller passes in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from ..config import Config, FeedConfig
from ..errors import FeedError
from ..models import UNTITLED, CacheHeaders, FeedFailure, KnownEntries
from ..report import Reporter
from ..store import FeedState, Store
from ..urls import redacted_url
from .fetch import FetchRequest, FetchResult, fetch_batches


@dataclass
class Refresh:
    """What one fetch of every feed did."""

    failures: list[FeedFailure] = field(default_factory=list)  # every feed that failed this run
    updated: int = 0  # feeds fetched and parsed
    unchanged: int = 0  # 304 Not Modified: nothing parsed, the store serves
    new_items: int = 0
    unchanged_entries: int = 0  # entries of feeds that answered 200 skipped unread: known, the same bytes
    # A build or `digest fetch` counts a feed's failures in a row; a look
    # (explain, preview) reports them and counts nothing: tuning a config
    # must not make a feed "failing for 48 runs" in the digest's footer.
    counting: bool = True


def refresh_feeds(config: Config, store: Store, now: datetime, reporter: Reporter,
                  counting: bool = True) -> list[FeedFailure]:
    """Fetch every feed, parse what changed, store it. Returns this run's
    failures; a failing feed is reported and skipped, never fatal."""
    return fetch_feeds(config, store, now, reporter, counting).failures


def fetch_feeds(config: Config, store: Store, now: datetime, reporter: Reporter, counting: bool = True) -> Refresh:
    """Fetch every feed that is not retired or paused, conditionally, and
    store what changed; `counting=False` (a look) records no failure."""
    refresh = Refresh(counting=counting)
    feeds = {feed.url: feed for feed in config.feeds}
    states = store.feed_states()
    requests = []
    for url, feed in feeds.items():
        state = states.get(url)
        if feed.paused:
            continue  # `feeds pause`: not fetched, not failing
        if state and state.retired:
            refresh.failures.append(_retired(store, feed, state, reporter))
        else:
            requests.append(_request_for(url, state))
    done = 0

    def store_all(results: list[tuple[FetchResult, object, KnownEntries | None]]) -> None:
        # The feeds that came in together are stored with one commit (a
        # commit per feed cost more than storing its items); each feed's
        # own writes are still all or nothing (savepoints).
        nonlocal done
        with store.transaction():
            for result, parsed, known in results:
                failure = _store_result(store, feeds[result.url], states.get(result.url), result, now, reporter,
                                        refresh, parsed, known)
                if failure:
                    refresh.failures.append(failure)
        done += len(results)
        reporter.progress(done, len(requests))

    reporter.progress(0, len(requests))  # the fetch starts: a bar may show if it takes more than a moment
    with _Parsing(len(requests)) as parsing:
        for results in fetch_batches(requests, config.fetch):
            here = []
            for result in results:
                known = store.known_entries(result.url) if result.body and not result.error else None
                if not parsing.take(result, known):
                    here.append((result, None, known))
            store_all(here)
            store_all(parsing.finished())
            while parsing.full:
                # The workers are behind the network (a cold build of
                # thousands of feeds): wait for them here rather than hold
                # every body fetched meanwhile (fetch_batches fetches
                # only so far ahead of what is taken from it).
                store_all(parsing.finished(wait=True))
        while parsing.pending:
            store_all(parsing.finished(wait=True))
    order = {redacted_url(url): index for index, url in enumerate(feeds)}
    refresh.failures.sort(key=lambda f: order[f.url])
    return refresh


# With this many feeds to fetch, bodies are parsed in worker processes,
# one per core, while the network is waited on: parsing is nearly all of a
# cold build's CPU, and the one process used one core of two.
PARALLEL_FROM = 8


class _Parsing:
    """Feed bodies parsed beside the fetching, in a pool of worker processes
    started when the first body arrives, so a build of 304s starts none.
    Below PARALLEL_FROM feeds, or on one core, bodies are parsed here when
    stored.

    `take` takes a fetch result with a body to parse to a worker; `finished`
    hands back the results taken whose parse is done, each with its
    ParsedFeed or its FeedError as (url, message)."""

    def __init__(self, feeds: int):
        self._workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self._wanted = feeds >= PARALLEL_FROM and self._workers > 1
        self._pool = None
        self._pending: dict = {}  # future -> the fetch result it parses

    def __enter__(self) -> _Parsing:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def full(self) -> bool:
        """Enough bodies wait for the workers to keep each busy: take no more now."""
        return len(self._pending) >= 3 * self._workers

    def take(self, result: FetchResult, known: KnownEntries | None) -> bool:
        """Whether the result's body went to a worker (else it is stored, and
        parsed, as it is). `known`: what the store knows of the feed's
        entries. A feed with known entries is parsed here: its unchanged
        entries are skipped unread, so it costs a few ms (a morning build,
        every feed moved on by a few items, then starts no worker at all)."""
        if not self._wanted or result.error or result.not_modified or result.gone or (known and known.entries):
            return False
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the fetch threads are running by now, and a
            # fork of a threaded process may inherit a lock held forever.
            # Workers are this process's children, so their CPU time is its.
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_import_parser)
        from concurrent.futures.process import BrokenProcessPool

        try:
            future = self._pool.submit(parse_in_worker, result.body, result.final_url or result.url,
                                       result.content_type, known, PARSE_DEADLINE)
        except BrokenProcessPool:
            # A worker died after the last body was taken and before this one
            # (the parses it broke come back through finished()): this body,
            # and the rest, are parsed here.
            self._wanted = False
            return False
        self._pending[future] = result
        return True

    def finished(self, wait: bool = False) -> list[tuple[FetchResult, object, None]]:
        if not self._pending:
            return []
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_for

        done, _ = wait_for(list(self._pending), timeout=None if wait else 0, return_when=FIRST_COMPLETED)
        return [(self._pending.pop(future), self._parse_of(future), None) for future in done]

    def _parse_of(self, future) -> object:
        """The worker's parse, or None (parse it here) when the worker failed:
        a worker that died (killed for memory, say) breaks the pool and every
        body still in it, and none of those feeds may be lost for that."""
        if future.exception() is None:
            return future.result()
        self._wanted = False  # the rest are parsed here
        return None


def _import_parser() -> None:
    from . import parse

    parse._feedparser()


def parse_in_worker(body: bytes, url: str, content_type: str, known: KnownEntries | None = None,
                    deadline: float | None = None):
    """parse_feed in a worker process: its ParsedFeed, or the FeedError
    (url, message) as a pair, since FeedError itself does not pickle."""
    try:
        return _parse_or_fail(body, url, content_type, known, deadline)
    except FeedError as exc:
        return (exc.url, exc.message)


# Seconds one feed's parse may take (a 10 MB feed, the fetch cap, parses in
# about 15 s on the 2-core machine); past it the feed fails alone and the
# worker, or the build's own process, goes on to the next.
PARSE_DEADLINE = 60.0


def _parse_or_fail(body: bytes, url: str, content_type: str, known: KnownEntries | None = None,
                   deadline: float | None = None):
    """parse_feed within a deadline, with anything else it raises (a bug of
    ours that one feed's bytes found, or a MemoryError) as that feed's
    FeedError: one feed is reported and skipped, the rest of the build goes on."""
    from .deadline import Expired, within
    from .parse import _feedparser, parse_feed

    _feedparser()  # imported and patched before the clock starts: the parse is what is timed
    seconds = PARSE_DEADLINE if deadline is None else deadline
    try:
        with within(seconds):
            return parse_feed(body, url, content_type, known=known)
    except FeedError:
        raise
    except Expired:
        raise FeedError(url, f"took longer than {seconds:g} s to parse; left out of this build") from None
    except Exception as exc:  # noqa: BLE001 - one feed's failure, whatever it is
        raise FeedError(url, f"could not be parsed ({type(exc).__name__} in digest's parser: "
                             "please report it with this feed)") from exc


def _request_for(url: str, state: FeedState | None) -> FetchRequest:
    if state is None:
        return FetchRequest(url)
    return FetchRequest(url, state.cache, location=state.current_url)


def _retired(store: Store, feed: FeedConfig, state: FeedState, reporter: Reporter) -> FeedFailure:
    name = feed.name_from(state)
    error = f"retired on {state.retired:%Y-%m-%d} after {state.last_error}; not fetched any more"
    reporter.warn(f"feed {name} ({redacted_url(feed.url)}) is {error} (remove it from the config)")
    return FeedFailure(feed=name, url=redacted_url(feed.url), error=error, runs=state.failures)


def _store_result(
    store: Store, feed: FeedConfig, state: FeedState | None, result: FetchResult, now: datetime,
    reporter: Reporter, refresh: Refresh, parsed: object = None, known: KnownEntries | None = None
) -> FeedFailure | None:
    """Store one fetch. `state` is the feed's state before this run;
    `parsed`, its body's parse when a worker made it (a ParsedFeed, or a
    FeedError as (url, message)), else None; `known`, what the store knew
    of its entries (for a parse here)."""
    name = feed.name_from(state)
    if result.moved_to and store.record_moved(feed.url, result.moved_to):
        reporter.warn(f"feed {name} ({redacted_url(feed.url)}) moved permanently to {result.moved_to}; "
                      "fetching it from there from now on (update the config to match)")
    if result.not_modified:
        store.record_not_modified(feed.url, now)
        refresh.unchanged += 1
        return None
    if result.gone:
        runs = store.retire(feed.url, result.error, now)
        reporter.warn(f"feed {name} ({redacted_url(feed.url)}) is gone ({result.error}): retired, "
                      "it will not be fetched again (remove it from the config)")
        return FeedFailure(feed=name, url=redacted_url(feed.url), error=f"gone ({result.error}); retired", runs=runs)
    try:
        if result.error:
            raise FeedError(feed.url, result.error)
        if parsed is None:
            parsed = _parse_or_fail(result.body, result.final_url or feed.url, result.content_type, known)
        elif isinstance(parsed, tuple):
            raise FeedError(*parsed)
    except FeedError as exc:
        if not refresh.counting:
            reporter.warn(f"feed {name} ({redacted_url(feed.url)}) failed: {exc.message}")
            return FeedFailure(feed=name, url=redacted_url(feed.url), error=exc.message, runs=state.failures if state else 0)
        runs = store.record_failure(feed.url, exc.message, now)
        in_a_row = f" ({runs} runs in a row)" if runs > 1 else ""
        reporter.warn(f"feed {name} ({redacted_url(feed.url)}) failed: {exc.message}{in_a_row}")
        return FeedFailure(feed=name, url=redacted_url(feed.url), error=exc.message, runs=runs)
    if parsed.warning:
        # cron mails stderr daily: a feed that stays malformed the same way
        # is said once, until the reason changes (and always with -v).
        said = f"feed {name} ({redacted_url(feed.url)}) is malformed but readable: {parsed.warning}"
        if state is not None and state.last_warning == _warning_reason(parsed.warning):
            reporter.detail(f"{said} (unchanged since the last fetch)")
        else:
            reporter.warn(said)
    items, cache = parsed.items, result.cache
    if parsed.warning:
        # A document read in part (a body cut mid-way looks whole over
        # HTTP/1.0) is never vouched for: its validators are not kept, so the
        # next fetch reads it anew instead of hearing 304 for ever, and an
        # entry left with neither title nor link is no story.
        cache = CacheHeaders()
        items = [item for item in items if item.title != UNTITLED]
    for item in items:
        item.feed_url = feed.url
    refresh.new_items += store.record_success(feed.url, parsed.title, cache, items, now,
                                              warning=_warning_reason(parsed.warning) if parsed.warning else None,
                                              known=None if parsed.warning else parsed.known,
                                              language=parsed.language, site=parsed.link)
    refresh.unchanged_entries += parsed.unchanged
    refresh.updated += 1
    return None


def _warning_reason(warning: str) -> str:
    """A parser's warning without where in the file it stands, which moves
    whenever the feed gains an item: the same fault is the same warning."""
    import re

    return re.sub(r"^<unknown>:\d+:\d+:\s*", "", warning)


