"""Which stored items are candidates for this digest: the window, the
unsent items in it, grouped into stories (cluster.py) and ranked (rank.py).

The store returns only items never sent (nor sent under the same canonical
link by another feed, unless re-sent as updated); grouping is remembered in
the store, so a warm build does not group the same titles again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..config import Config
from ..models import AuthorBlurb, BuildRequest, Item, Story
from ..store import Store
from .rank import Ranked


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

    last_build = store.last_build_time()
    since = window_start(request.now, config.window(request.now), last_build, request.since)
    # A paused feed's stories wait with it (`feeds pause`: not fetched, not mailed).
    urls = [f.url for f in config.feeds if not f.paused]
    # Since the last build, also what arrived after it though dated before
    # it (a feed that was down at build time, a backdated post), back to the
    # config's window: otherwise it would never be sent.
    late = last_build if request.since is None and last_build is not None and since == last_build else None
    # Texts and pictures are read for the stories shown only
    # (assemble_digest), unless ranking looks for words in the texts:
    # thousands of candidates' were most of what a large build held.
    details = bool(config.rank.mute or config.rank.boost or config.match)
    items = store.unsent_items(urls, since, request.now, arrived_after=late,
                               oldest=late - config.window(request.now) if late else None, details=details)
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
    if config.match:
        stories = matching(stories, config.match)
    return Selection(since, rank_all(stories, request.now, rank_settings(config, request)))


def matching(stories: list[Story], words: tuple[str, ...]) -> list[Story]:
    """The stories a keyword digest takes ([digests.NAME] match): those
    with one of the words (whole words, any case) in a source's title,
    author or text; the others wait, unsent, for a story that matches."""
    from .rank import muted_by as first_mention

    return [story for story in stories if first_mention(story, words)]


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

    from .. import __version__
    from .cluster import (
        ANCHORS,
        COMMON_SHARE,
        MAX_LISTED,
        MIN_SHARED,
        RARITY_FLOOR,
        SIMILAR,
        TITLE_CHARS,
        WINDOW,
    )

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
        feed_order={feed.url: place for place, feed in enumerate(config.feeds)},
    )


def _story(config: Config, items: list[Item], names: dict[str, str], tags: dict[str, tuple[str, ...]]) -> Story:
    """A story from its items, best source first; "Also covered by" one
    link per other feed. Its summary comes later (summarize_stories), for
    the stories shown only."""
    from ..models import AlsoCovered

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


def feed_names(config: Config, store: Store) -> dict[str, str]:
    """The config's name for each feed, else the feed's own title."""
    states = store.feed_states()
    return {feed.url: feed.name_from(states.get(feed.url)) for feed in config.feeds}


def author_blurb(config: Config, item: Item) -> AuthorBlurb | None:
    info = config.authors.get(item.author)
    if info is None:
        return None
    return AuthorBlurb(name=item.author, role=info.role, bio=info.bio, avatar=info.avatar)


