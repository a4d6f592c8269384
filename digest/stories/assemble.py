"""The edition's stories made whole: the shown ones read in full, summarized
and given their leads; and the footer's list of feeds failing run after run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ..config import Config
from ..models import BuildRequest, Digest, FeedFailure, Story
from ..report import Reporter
from ..store import Store
from ..urls import redacted_url
from .rank import OVER_FEED_CAP, OVER_TOP, Ranked
from .select import select_stories


def footer_failures(config: Config, store: Store) -> list[FeedFailure]:
    """Feeds the digest footer names: failing `failing_after` runs in a row,
    or retired. A one-off failure is only on stderr; read from the store, so
    an --offline build shows the same health."""
    failing = []
    states = store.feed_states()
    for feed in config.feeds:
        if feed.paused:
            continue  # paused: not fetched, so not failing
        state = states.get(feed.url)
        if state is None or not state.last_error:
            continue
        if state.retired:
            error = f"{state.last_error}; retired on {state.retired:%Y-%m-%d}, no longer fetched"
        elif state.failures >= config.failing_after:
            error = f"{state.last_error} (failing for {state.failures} runs in a row)"
        else:
            continue
        failing.append(FeedFailure(feed=feed.name_from(state), url=redacted_url(feed.url),
                                   error=error, runs=state.failures))
    return failing


def assemble_digest(
    config: Config,
    store: Store,
    request: BuildRequest,
    failures: list[FeedFailure],
    reporter: Reporter,
    complete: Callable[[list[Story]], object] | None = None,
) -> Digest:
    """Select, cluster, rank, summarize and lead the stories of this digest.
    `complete` (the articles stage, which app.py passes in) fills the shown
    stories' cards from their pages before they are summarized."""
    from .language import story_language
    from .summarize import LeadWriter

    selection = select_stories(config, store, request)
    stories = [entry.story for entry in selection.ranked if entry.shown]
    store.read_details(story.item for story in stories)
    if complete is not None:
        complete(stories)
    summarize_stories(config, stories)
    declared = {url: state.language for url, state in store.feed_states().items()}
    for story in stories:  # what its page said, else what its feed declares, else what its script says
        story.language = story_language(story.language, declared.get(story.item.feed_url, ""),
                                        f"{story.title} {story.summary}")
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
        not_shown=not_shown_by_feed(selection.ranked),
    )


def not_shown_by_feed(ranked: list[Ranked]) -> dict[str, int]:
    """How many stories each feed had over `top` or `max_per_feed`, most first."""
    counts = Counter(entry.story.feed for entry in ranked if entry.status in (OVER_TOP, OVER_FEED_CAP))
    return dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0].casefold())))


def summarize_stories(config: Config, stories: list[Story]) -> None:
    """Summary and reading time from each story's best source. Only for the
    stories the digest shows: a day of 200 feeds has thousands of candidates
    and summarizing them all cost more than the rest of the build. No
    reading time for an excerpt or an episode (its duration stands instead)."""
    from .summarize import reading_minutes, summarize

    for story in stories:
        story.summary = summarize(story.item.lead_text or story.item.text, config.summary_words)
        story.reading_minutes = None if story.item.excerpt else reading_minutes(story.item.text)


