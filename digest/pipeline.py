"""The build, stage by stage: refresh feeds, pick and rank stories, and
render the product (deliver.py takes it from there, and marks the stories
sent once it is delivered).

No click and no printing here: whatever the user should hear goes through a
Reporter the caller passes in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from .config import Config, EmailConfig, FeedConfig
from .deliver import Outgoing
from .errors import DigestError, FeedError
from .fetch import FetchRequest, FetchResult, fetch_batches
from .models import AuthorBlurb, Digest, FeedFailure, Item, Story
from .rank import Ranked
from .store import FeedState, Store


class Reporter(Protocol):
    def warn(self, message: str) -> None: ...

    def detail(self, message: str) -> None:
        """Something said before and unchanged since: only on request (-v)."""

    def progress(self, done: int, total: int) -> None: ...


class SilentReporter:
    def warn(self, message: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def progress(self, done: int, total: int) -> None:
        pass


@dataclass
class BuildRequest:
    """What the command line asks of one build."""

    now: datetime
    since: datetime | None = None  # None: since the last build, else the config window
    top: int | None = None
    offline: bool = False  # build from the store alone


# ---------------------------------------------------------------- refresh


@dataclass
class Refresh:
    """What one fetch of every feed did."""

    failures: list[FeedFailure] = field(default_factory=list)  # every feed that failed this run
    updated: int = 0  # feeds fetched and parsed
    unchanged: int = 0  # 304 Not Modified: nothing parsed, the store serves
    new_items: int = 0


def refresh_feeds(config: Config, store: Store, now: datetime, reporter: Reporter) -> list[FeedFailure]:
    """Fetch every feed, parse what changed, store it. Returns this run's
    failures; a failing feed is reported and skipped, never fatal."""
    return fetch_feeds(config, store, now, reporter).failures


def fetch_feeds(config: Config, store: Store, now: datetime, reporter: Reporter) -> Refresh:
    """Fetch every feed that is not retired, conditionally, and store what changed."""
    refresh = Refresh()
    feeds = {feed.url: feed for feed in config.feeds}
    states = store.feed_states()
    requests = []
    for url, feed in feeds.items():
        state = states.get(url)
        if state and state.retired:
            refresh.failures.append(_retired(store, feed, state, reporter))
        else:
            requests.append(_request_for(url, state))
    done = 0

    def store_all(results: list[tuple[FetchResult, object]]) -> None:
        # The feeds that came in together are stored with one commit (a
        # commit per feed cost more than storing its items); each feed's
        # own writes are still all or nothing (savepoints).
        nonlocal done
        with store.transaction():
            for result, parsed in results:
                failure = _store_result(store, feeds[result.url], states.get(result.url), result, now, reporter,
                                        refresh, parsed)
                if failure:
                    refresh.failures.append(failure)
        done += len(results)
        reporter.progress(done, len(requests))

    with _Parsing(len(requests)) as parsing:
        for results in fetch_batches(requests, config.fetch):
            store_all([(result, None) for result in results if not parsing.take(result)])
            store_all(parsing.finished())
        while parsing.pending:
            store_all(parsing.finished(wait=True))
    order = {url: index for index, url in enumerate(feeds)}
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

    def take(self, result: FetchResult) -> bool:
        """Whether the result's body went to a worker (else it is stored, and parsed, as it is)."""
        if not self._wanted or result.error or result.not_modified or result.gone:
            return False
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the fetch threads are running by now, and a
            # fork of a threaded process may inherit a lock held forever.
            # Workers are this process's children, so their CPU time is its.
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_import_parser)
        self._pending[self._pool.submit(parse_in_worker, result.body, result.final_url or result.url,
                                        result.content_type)] = result
        return True

    def finished(self, wait: bool = False) -> list[tuple[FetchResult, object]]:
        if not self._pending:
            return []
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_for

        done, _ = wait_for(list(self._pending), timeout=None if wait else 0, return_when=FIRST_COMPLETED)
        return [(self._pending.pop(future), self._parse_of(future)) for future in done]

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


def parse_in_worker(body: bytes, url: str, content_type: str):
    """parse_feed in a worker process: its ParsedFeed, or the FeedError
    (url, message) as a pair, since FeedError itself does not pickle."""
    try:
        return _parse_or_fail(body, url, content_type)
    except FeedError as exc:
        return (exc.url, exc.message)


def _parse_or_fail(body: bytes, url: str, content_type: str):
    """parse_feed, with anything else it raises (a bug of ours that one
    feed's bytes found, or a MemoryError) as that feed's FeedError: one
    feed is reported and skipped, the rest of the build goes on."""
    from .parse import parse_feed

    try:
        return parse_feed(body, url, content_type)
    except FeedError:
        raise
    except Exception as exc:  # noqa: BLE001 - one feed's failure, whatever it is
        raise FeedError(url, f"could not be parsed ({type(exc).__name__} in digest's parser: "
                             "please report it with this feed)") from exc


def _request_for(url: str, state: FeedState | None) -> FetchRequest:
    if state is None:
        return FetchRequest(url)
    return FetchRequest(url, state.cache, location=state.current_url)


def _retired(store: Store, feed: FeedConfig, state: FeedState, reporter: Reporter) -> FeedFailure:
    name = _display_name(store, feed, state)
    error = f"retired on {state.retired:%Y-%m-%d} after {state.last_error}; not fetched any more"
    reporter.warn(f"feed {name} ({feed.url}) is {error} (remove it from the config)")
    return FeedFailure(feed=name, url=feed.url, error=error, runs=state.failures)


def _display_name(store: Store, feed: FeedConfig, state: FeedState | None = None) -> str:
    """The config's name, else the feed's title as stored (read from the
    store unless the caller has the feed's state at hand)."""
    state = state or store.feed_state(feed.url)
    return feed.name or (state.title if state else "") or _short_url(feed.url)


def _store_result(
    store: Store, feed: FeedConfig, state: FeedState | None, result: FetchResult, now: datetime,
    reporter: Reporter, refresh: Refresh, parsed: object = None
) -> FeedFailure | None:
    """Store one fetch. `state` is the feed's state before this run;
    `parsed`, its body's parse when a worker made it (a ParsedFeed, or a
    FeedError as (url, message)), else None."""
    name = _display_name(store, feed, state)
    if result.moved_to and store.record_moved(feed.url, result.moved_to):
        reporter.warn(f"feed {name} ({feed.url}) moved permanently to {result.moved_to}; "
                      "fetching it from there from now on (update the config to match)")
    if result.not_modified:
        store.record_not_modified(feed.url, now)
        refresh.unchanged += 1
        return None
    if result.gone:
        runs = store.retire(feed.url, result.error, now)
        reporter.warn(f"feed {name} ({feed.url}) is gone ({result.error}): retired, "
                      "it will not be fetched again (remove it from the config)")
        return FeedFailure(feed=name, url=feed.url, error=f"gone ({result.error}); retired", runs=runs)
    try:
        if result.error:
            raise FeedError(feed.url, result.error)
        if parsed is None:
            parsed = _parse_or_fail(result.body, result.final_url or feed.url, result.content_type)
        elif isinstance(parsed, tuple):
            raise FeedError(*parsed)
    except FeedError as exc:
        runs = store.record_failure(feed.url, exc.message, now)
        in_a_row = f" ({runs} runs in a row)" if runs > 1 else ""
        reporter.warn(f"feed {name} ({feed.url}) failed: {exc.message}{in_a_row}")
        return FeedFailure(feed=name, url=feed.url, error=exc.message, runs=runs)
    if parsed.warning:
        # cron mails stderr daily: a feed that stays malformed the same way
        # is said once, until the reason changes (and always with -v).
        said = f"feed {name} ({feed.url}) is malformed but readable: {parsed.warning}"
        if state is not None and state.last_warning == _warning_reason(parsed.warning):
            reporter.detail(f"{said} (unchanged since the last fetch)")
        else:
            reporter.warn(said)
    for item in parsed.items:
        item.feed_url = feed.url
    refresh.new_items += store.record_success(feed.url, parsed.title, result.cache, parsed.items, now,
                                              warning=_warning_reason(parsed.warning) if parsed.warning else None)
    refresh.updated += 1
    return None


def _warning_reason(warning: str) -> str:
    """A parser's warning without where in the file it stands, which moves
    whenever the feed gains an item: the same fault is the same warning."""
    import re

    return re.sub(r"^<unknown>:\d+:\d+:\s*", "", warning)


def footer_failures(config: Config, store: Store) -> list[FeedFailure]:
    """Feeds the digest footer names: failing `failing_after` runs in a row,
    or retired. A one-off failure is only on stderr; read from the store, so
    an --offline build shows the same health."""
    failing = []
    states = store.feed_states()
    for feed in config.feeds:
        state = states.get(feed.url)
        if state is None or not state.last_error:
            continue
        if state.retired:
            error = f"{state.last_error}; retired on {state.retired:%Y-%m-%d}, no longer fetched"
        elif state.failures >= config.failing_after:
            error = f"{state.last_error} (failing for {state.failures} runs in a row)"
        else:
            continue
        failing.append(FeedFailure(feed=_display_name(store, feed, state), url=feed.url, error=error,
                                   runs=state.failures))
    return failing


def _short_url(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or Path(parts.path).name or url


# ---------------------------------------------------------------- assemble


def make_digest(
    config: Config, store: Store, request: BuildRequest, reporter: Reporter,
    prepare: Callable[[], None] | None = None,
) -> tuple[Digest, list[FeedFailure]]:
    """Refresh the feeds (unless offline) and assemble the digest. Returns it
    with this run's failures, which were named through the reporter; the
    digest's footer names only the feeds failing run after run. `prepare`
    (the renderer's) runs beside the fetching."""
    failures = []
    if not request.offline:
        with _beside(_prepare_assembly, prepare):
            failures = refresh_feeds(config, store, request.now, reporter)
    digest = assemble_digest(config, store, request, footer_failures(config, store), reporter)
    digest.failures = failures
    return digest, failures


@contextmanager
def _beside(*work: Callable[[], None] | None) -> Iterator[None]:
    """Run the work in a thread while the body runs (it waits on the
    network: the interpreter is idle), and wait for it at the end. What a
    warm build did after its fetch (importing the later stages, compiling
    the templates) was a quarter of a second that now passes while the
    304s are on their way."""
    import threading

    thread = threading.Thread(target=_each, args=work, name="digest-prepare", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _each(*work: Callable[[], None] | None) -> None:
    """Each step in turn. Preparing is only ahead of time: whatever fails
    here fails again where the build does it, and is reported there (a
    thread's exception would be a traceback on stderr)."""
    for step in work:
        try:
            if step is not None:
                step()
        except Exception:  # noqa: BLE001 - see above
            pass


def _prepare_assembly() -> None:
    """Import the modules assembling a digest needs (the stages after the fetch)."""
    from . import cluster, rank, select, summarize  # noqa: F401


def assemble_digest(
    config: Config,
    store: Store,
    request: BuildRequest,
    failures: list[FeedFailure],
    reporter: Reporter,
) -> Digest:
    """Select, cluster, rank, summarize and lead the stories of this digest."""
    from .summarize import LeadWriter

    selection = select_stories(config, store, request)
    stories = [entry.story for entry in selection.ranked if entry.shown]
    store.read_details(story.item for story in stories)
    from .sources.picturesize import size_pictures
    size_pictures(store, stories, offline=request.offline, now=request.now)
    summarize_stories(config, stories)
    writer = LeadWriter(config.lead_template, warn=reporter.warn, templates=config.lead_templates,
                        config_path=config.path)
    for story in stories:
        story.lead = writer.lead(story)
    return Digest(
        title=config.title,
        generated_at=request.now,
        since=selection.since,
        stories=stories,
        errors=failures,
        group_by=config.rank.group_by,
        cards=config.email.cards,
    )


@dataclass
class Selection:
    """The window and every candidate story, ranked, with its factors."""

    since: datetime
    ranked: list[Ranked]  # best first; muted and capped ones included, with their status


def select_stories(config: Config, store: Store, request: BuildRequest) -> Selection:
    """The unsent items of the window, grouped into stories and ranked.
    Writes nothing but the grouping cache: `build` and `explain` both start here."""
    from .cluster import WINDOW as CLUSTER_WINDOW
    from .rank import rank_all
    from .select import window_start

    last_build = store.last_build_time()
    since = window_start(request.now, config.since, last_build, request.since)
    urls = [f.url for f in config.feeds]
    # Since the last build, also what arrived after it though dated before
    # it (a feed that was down at build time, a backdated post), back to the
    # config's window: otherwise it would never be sent.
    late = last_build if request.since is None and last_build is not None and since == last_build else None
    # Texts and pictures are read for the stories shown only
    # (assemble_digest), unless ranking looks for words in the texts:
    # thousands of candidates' were most of what a large build held.
    details = bool(config.rank.mute or config.rank.boost)
    items = store.unsent_items(urls, since, request.now, arrived_after=late,
                               oldest=late - config.since if late else None, details=details)
    # Items sent within the clustering window before `since` join the
    # grouping, so a story sent yesterday is not sent again from a feed that
    # covered it later; an update of the story still goes out.
    sent = store.sent_items(urls, since - CLUSTER_WINDOW, request.now, details=details)
    weights = {feed.url: feed.weight for feed in config.feeds}
    names = feed_names(config, store)
    tags = {feed.url: feed.tags for feed in config.feeds}
    sent_ids = {item.id for item in sent}
    stories = []
    for group in grouped(store, items + sent, weights):
        new = [item for item in group if item.id not in sent_ids]
        if new and (len(new) == len(group) or any(item.updated for item in new)):
            stories.append(_story(config, new, names, tags))
    return Selection(since, rank_all(stories, request.now, rank_settings(config, request)))


def grouped(store: Store, items: list[Item], weights: dict[str, float]) -> list[list[Item]]:
    """cluster() over the items, remembered in the store under a key of all
    it depends on, so a build over unchanged items (a warm run, a preview
    and then the build) does not group 4,000 titles again."""
    from .cluster import cluster

    key = _grouping_key(items, weights)
    by_id = {item.id: item for item in items}
    cached = store.cached_groups(key)
    if cached is not None and all(i in by_id for group in cached for i in group):
        return [[by_id[i] for i in group] for group in cached]
    groups = [c.items for c in cluster(items, weight=lambda url: weights.get(url, 1.0))]
    if all(item.id is not None for item in items):
        store.remember_groups(key, [[item.id for item in group] for group in groups])
    return groups


def _grouping_key(items: list[Item], weights: dict[str, float]) -> str:
    """What the grouping depends on: the code, each item's identity, title,
    link, time, feed and text length (best source first), the feed weights."""
    import hashlib

    from . import __version__
    from .cluster import ANCHORS, COMMON_SHARE, MAX_LISTED, MIN_SHARED, RARITY_FLOOR, SIMILAR, TITLE_CHARS, WINDOW

    digest = hashlib.sha256(f"{__version__}|{SIMILAR}|{MIN_SHARED}|{WINDOW}|{TITLE_CHARS}|{ANCHORS}|{MAX_LISTED}|"
                            f"{COMMON_SHARE}|{RARITY_FLOOR}".encode())
    for item in sorted(items, key=lambda i: i.id or 0):
        digest.update(f"\x1e{item.id}\x1f{item.feed_url}\x1f{item.title}\x1f{item.link}\x1f"
                      f"{item.when.timestamp()}\x1f{item.text_length}".encode())
    for url in sorted(weights):
        digest.update(f"\x1e{url}\x1f{weights[url]}".encode())
    return digest.hexdigest()


def rank_settings(config: Config, request: BuildRequest):
    from .rank import RankSettings

    return RankSettings(
        half_life=config.rank.half_life,
        top=request.top or config.top,
        max_per_feed=config.max_per_feed,
        weights={feed.url: feed.weight for feed in config.feeds},
        boost=dict(config.rank.boost),
        mute=config.rank.mute,
    )


def _story(config: Config, items: list[Item], names: dict[str, str], tags: dict[str, tuple[str, ...]]) -> Story:
    """A story from its items, best source first; "Also covered by" one
    link per other feed. Its summary comes later (summarize_stories), for
    the stories shown only."""
    from .models import AlsoCovered

    best, others = items[0], items[1:]
    also: dict[str, AlsoCovered] = {}
    for other in others:
        # The same article under the same address and title (one blog
        # subscribed as RSS and as Atom) is no other coverage of it; another
        # outlet's post linking the article is.
        if other.link and other.link == best.link and _same_words(other.title, best.title):
            continue
        if other.feed_url != best.feed_url and other.feed_url not in also:
            also[other.feed_url] = AlsoCovered(feed=names.get(other.feed_url, other.feed_url), link=other.link)
    return Story(
        item=best,
        feed=names.get(best.feed_url, best.feed_url),
        author_blurb=author_blurb(config, best),
        also=list(also.values()),
        tags=list(tags.get(best.feed_url, ())),
        others=others,
    )


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def summarize_stories(config: Config, stories: list[Story]) -> None:
    """Summary and reading time from each story's best source. Only for the
    stories the digest shows: a day of 200 feeds has thousands of candidates
    and summarizing them all cost more than the rest of the build."""
    from .summarize import reading_minutes, summarize

    for story in stories:
        story.summary = summarize(story.item.lead_text or story.item.text, config.summary_words)
        story.reading_minutes = reading_minutes(story.item.text)


def feed_names(config: Config, store: Store) -> dict[str, str]:
    """The config's name for each feed, else the feed's own title."""
    states = store.feed_states()
    return {feed.url: _display_name(store, feed, states.get(feed.url)) for feed in config.feeds}


def author_blurb(config: Config, item: Item) -> AuthorBlurb | None:
    info = config.authors.get(item.author)
    if info is None:
        return None
    return AuthorBlurb(name=item.author, role=info.role, bio=info.bio, avatar=info.avatar)


def zone_of(config: Config) -> tzinfo | None:
    if config.timezone is None:
        return None
    from zoneinfo import ZoneInfo

    return ZoneInfo(config.timezone)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- the product


def leave_out_unrenderable(renderer, digest: Digest, fmt: str, reporter: Reporter) -> None:
    """Take out of the digest (so they are not marked sent) the stories
    whose card does not compile, naming each: one story must never be the
    reason nothing is sent. Only the formats that compile MJML can fail."""
    if fmt not in ("email", "html"):
        return
    for story, error in renderer.unrenderable(digest):
        digest.stories.remove(story)
        reporter.warn(f"left out the story {story.title!r} ({story.feed}, {story.link or 'no link'}): "
                      f"its card does not compile ({error}); it is not marked sent")


def render_output(renderer, digest: Digest, fmt: str, email: EmailConfig) -> Outgoing:
    """The product in the asked format, ready to deliver."""
    if fmt == "email":
        return Outgoing.email(renderer.email(digest, email.from_, email.to, cc=email.cc, bcc=email.bcc,
                                             unsubscribe=email.unsubscribe))
    if fmt == "html":
        return Outgoing(renderer.html(digest).encode("utf-8"))
    if fmt == "mjml":
        return Outgoing(renderer.mjml(digest).encode("utf-8"))
    if fmt == "text":
        return Outgoing(renderer.text(digest).encode("utf-8"))
    if fmt == "json":
        return Outgoing(renderer.json(digest).encode("utf-8"))
    raise DigestError(f"unknown format {fmt!r}")
