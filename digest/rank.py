"""Scoring stories: pure functions over plain data, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from .models import Story


def recency(published: datetime, now: datetime, half_life: timedelta) -> float:
    """1.0 for a story published now, halving every half_life."""
    age = max(0.0, (now - published).total_seconds())
    return 0.5 ** (age / half_life.total_seconds())


def score(published: datetime, now: datetime, half_life: timedelta, weight: float) -> float:
    return weight * recency(published, now, half_life)


def rank(
    stories: Iterable[Story],
    weights: dict[str, float],
    now: datetime,
    half_life: timedelta,
    top: int,
    max_per_feed: int,
) -> list[Story]:
    """Score each story, order best first (ties: newer, then title, then
    link, so the order is stable), keep at most max_per_feed per feed and
    top in all."""
    scored = []
    for story in stories:
        story.score = score(story.published, now, half_life, weights.get(story.item.feed_url, 1.0))
        scored.append(story)
    scored.sort(key=lambda s: (-s.score, -s.published.timestamp(), s.title, s.link))
    per_feed: Counter[str] = Counter()
    chosen = []
    for story in scored:
        if per_feed[story.item.feed_url] >= max_per_feed:
            continue
        per_feed[story.item.feed_url] += 1
        chosen.append(story)
        if len(chosen) == top:
            break
    return chosen
