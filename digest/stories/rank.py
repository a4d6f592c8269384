"""Scoring stories: pure functions over plain data, no I/O.

A story's score is the product of its factors, so each one reads as "this
much more or less than a plain story":

    score = weight x recency x boost x sources

- weight: the feed's `weight` (default 1.0);
- recency: 1.0 when published now, halving every `[rank] half_life`; an
  undated story counts as at least one half-life old;
- boost: the product of the `[rank] boost` multipliers whose keyword
  appears (whole word, any case) in the story's title or text;
- sources: 1 + SOURCE_BONUS per other feed that covered the story, so a
  story three feeds carry counts double a single-source one.

Stories with a `[rank] mute` word in any source's title, author or text are
dropped. Then at most `max_per_feed` stories per feed and `top` in all are
kept. Ties are broken by newer first, then title, then link, so two builds
over the same data give the same order.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import Item, Story

SOURCE_BONUS = 0.5

SHOWN = "shown"
MUTED = "muted"
OVER_FEED_CAP = "over max_per_feed"
OVER_TOP = "over top"


@dataclass(frozen=True)
class RankSettings:
    half_life: timedelta = timedelta(hours=12)
    top: int = 20
    max_per_feed: int = 5
    weights: Mapping[str, float] = field(default_factory=dict)  # feed URL -> weight
    boost: Mapping[str, float] = field(default_factory=dict)  # keyword -> multiplier
    mute: tuple[str, ...] = ()
    # Feed URL -> its place in the config: equal stories of two feeds go in
    # the config's order, not in the order their parses happened to finish.
    feed_order: Mapping[str, int] = field(default_factory=dict)


# Slotted, as Story is: a build of 5,000 feeds ranks 80,000 candidate stories.
@dataclass(frozen=True, slots=True)
class Factors:
    weight: float
    recency: float
    age_hours: float
    boost: float
    boosted_by: tuple[str, ...]
    sources: int
    source_factor: float

    @property
    def score(self) -> float:
        return self.weight * self.recency * self.boost * self.source_factor


@dataclass(slots=True)
class Ranked:
    """One story with its factors and what ranking decided about it."""

    story: Story
    factors: Factors
    status: str = SHOWN
    reason: str = ""  # the mute word, for a muted story

    @property
    def shown(self) -> bool:
        return self.status == SHOWN


def recency(published: datetime, now: datetime, half_life: timedelta, dated: bool = True) -> float:
    """1.0 for a story published now, halving every half_life. An undated
    story is placed at when digest first saw it, which is "now" for every
    item of a feed read for the first time: it counts as at least one
    half-life old, so it is never fresher than what was published since."""
    age = max(0.0, (now - published).total_seconds())
    if not dated:
        age = max(age, half_life.total_seconds())
    return 0.5 ** (age / half_life.total_seconds())


def keyword_pattern(word: str) -> re.Pattern:
    """Whole words, any case; a keyword may be a phrase ("central bank")."""
    return re.compile(r"(?<!\w)" + re.escape(word.strip()) + r"(?!\w)", re.IGNORECASE)


def _mentions(item: Item, pattern: re.Pattern) -> bool:
    return any(pattern.search(text) for text in (item.title, item.text))


def factors(story: Story, now: datetime, settings: RankSettings) -> Factors:
    boosted_by = tuple(
        word for word in sorted(settings.boost) if _mentions(story.item, keyword_pattern(word))
    )
    boost = 1.0
    for word in boosted_by:
        boost *= settings.boost[word]
    sources = len({item.feed_url for item in story.items})
    return Factors(
        weight=settings.weights.get(story.item.feed_url, 1.0),
        recency=recency(story.published, now, settings.half_life, story.dated),
        age_hours=max(0.0, (now - story.published).total_seconds() / 3600),
        boost=boost,
        boosted_by=boosted_by,
        sources=sources,
        source_factor=1.0 + SOURCE_BONUS * (sources - 1),
    )


def muted_by(story: Story, words: Iterable[str]) -> str | None:
    """The first mute word found in any source's title, author or text.
    Both sides in NFC: "café" typed in the config matches a feed's
    decomposed "cafe\u0301" (and a bare "cafe" no longer matches it)."""
    texts = None
    for word in words:
        if not word.strip():
            continue
        if texts is None:
            texts = [unicodedata.normalize("NFC", text) for item in story.items
                     for text in (item.title, item.author, item.text) if text]
        pattern = keyword_pattern(unicodedata.normalize("NFC", word))
        if any(pattern.search(text) for text in texts):
            return word
    return None


def rank_all(stories: Iterable[Story], now: datetime, settings: RankSettings) -> list[Ranked]:
    """Every story, best first, each with its factors and status: shown,
    muted, over max_per_feed or over top. Sets story.score."""
    ranked = []
    for story in stories:
        story_factors = factors(story, now, settings)
        story.score = story_factors.score
        ranked.append(Ranked(story, story_factors))
    ranked.sort(key=lambda entry: _order(entry, settings.feed_order))
    per_feed: Counter[str] = Counter()
    shown = 0
    for entry in ranked:
        word = muted_by(entry.story, settings.mute)
        if word is not None:
            entry.status, entry.reason = MUTED, word
        elif per_feed[entry.story.item.feed_url] >= settings.max_per_feed:
            entry.status = OVER_FEED_CAP
        elif shown >= settings.top:
            entry.status = OVER_TOP
        else:
            per_feed[entry.story.item.feed_url] += 1
            shown += 1
    return ranked


def rank(stories: Iterable[Story], now: datetime, settings: RankSettings) -> list[Story]:
    """The stories the digest shows, best first."""
    return [entry.story for entry in rank_all(stories, now, settings) if entry.shown]


def _order(entry: Ranked, feed_order: Mapping[str, int]) -> tuple:
    """Best score first; among equals the newest; then the feeds in the
    config's order (the store numbers items as parse workers finish, which
    varies from run to run); within a feed, among undated equals, the order
    the feed gave them (the store numbers a feed's items as they come), not
    their titles' alphabetical order."""
    story = entry.story
    seen = story.item.id if story.item.id is not None else 1 << 62
    return (-entry.factors.score, -story.published.timestamp(), feed_order.get(story.item.feed_url, len(feed_order)),
            seen, story.title, story.link)


# ---------------------------------------------------------------- explain


def explain_rows(ranked: Iterable[Ranked]) -> list[dict]:
    """Plain data for `digest explain --json`: each story, its factors, and
    what ranking decided. `rank` is the place in the digest (None if not shown)."""
    rows, place = [], 0
    for entry in ranked:
        place += entry.shown
        f, story = entry.factors, entry.story
        rows.append({
            "rank": place if entry.shown else None,
            "status": entry.status,
            "muted_by": entry.reason or None,
            "score": round(f.score, 6),
            "weight": f.weight,
            "recency": round(f.recency, 6),
            "age_hours": round(f.age_hours, 2),
            "boost": f.boost,
            "boosted_by": list(f.boosted_by),
            "sources": f.sources,
            "source_factor": f.source_factor,
            "title": story.title,
            "feed": story.feed,
            "link": story.link,
            "also": [a.feed for a in story.also],
        })
    return rows


def explain_table(ranked: Iterable[Ranked], title_width: int = 48) -> str:
    """The ranked list as a text table: score = weight x recency x boost x
    sources, one column per factor, so a user can see what to tune."""
    header = ("#", "score", "weight", "recency", "age", "boost", "sources", "feed", "title")
    lines = [header]
    for row in explain_rows(ranked):
        place = str(row["rank"]) if row["rank"] else "-"
        boost = f"{row['boost']:g}" + (f" ({', '.join(row['boosted_by'])})" if row["boosted_by"] else "")
        title = _clip(row["title"], title_width)
        if row["status"] != SHOWN:
            title += f"  [{row['status']}" + (f": {row['muted_by']}]" if row["muted_by"] else "]")
        lines.append((
            place, f"{row['score']:.3f}", f"{row['weight']:g}", f"{row['recency']:.3f}",
            _age(row["age_hours"]), boost, f"{row['sources']} (x{row['source_factor']:g})",
            _clip(row["feed"], 20), title,
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1]
        for line in lines
    ) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _age(hours: float) -> str:
    """An age as a person reads it in a table: 40m, 5.5h, 3d, 2.1y."""
    if hours < 1:
        return f"{hours * 60:.0f}m"
    if hours < 48:
        return f"{hours:.1f}h"
    if hours < 24 * 365:
        return f"{hours / 24:.0f}d"
    return f"{hours / (24 * 365.25):.1f}y"
