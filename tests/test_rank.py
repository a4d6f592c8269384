"""Ranking as a pure function of plain stories and settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from digest.models import UNTAGGED_HEADING, Digest, Item, Story
from digest.stories.rank import MUTED, OVER_FEED_CAP, OVER_TOP, SHOWN, RankSettings, explain_rows, explain_table, rank, rank_all, recency

NOW = datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)


def story(title: str, feed: str = "a", hours_ago: float = 1.0, text: str = "", also_feeds=(),
          tags=()) -> Story:
    def make(feed_url: str) -> Item:
        return Item(feed_url=feed_url, key=title, title=title, link=f"https://{feed_url}/{title}", text=text,
                    published=NOW - timedelta(hours=hours_ago))

    return Story(item=make(feed), feed=feed.upper(), others=[make(f) for f in also_feeds], tags=list(tags))


def titles(stories) -> list[str]:
    return [s.title for s in stories]


def test_recency_halves_every_half_life():
    half_life = timedelta(hours=12)
    assert recency(NOW, NOW, half_life) == 1.0
    assert recency(NOW - half_life, NOW, half_life) == pytest.approx(0.5)
    assert recency(NOW - 2 * half_life, NOW, half_life) == pytest.approx(0.25)
    assert recency(NOW + half_life, NOW, half_life) == 1.0  # a clock ahead is not a bonus


def test_a_shorter_half_life_lets_a_heavy_old_story_fall_behind():
    stories = [story("old heavy", feed="heavy", hours_ago=12), story("new light", feed="light", hours_ago=0)]
    weights = {"heavy": 1.8, "light": 1.0}
    assert titles(rank(stories, NOW, RankSettings(half_life=timedelta(hours=24), weights=weights))) == [
        "old heavy", "new light"]
    assert titles(rank(stories, NOW, RankSettings(half_life=timedelta(hours=6), weights=weights))) == [
        "new light", "old heavy"]


def test_boost_keywords_multiply_as_whole_words_in_title_or_text():
    stories = [story("Budget vote tonight", hours_ago=1), story("Kursk front update", hours_ago=2),
               story("Weather", hours_ago=1.5, text="Snow near Kursk."), story("Kurskaya street fair", hours_ago=0)]
    ranked = rank_all(stories, NOW, RankSettings(boost={"kursk": 2.0}))
    boosts = {r.story.title: r.factors.boost for r in ranked}
    assert boosts == {"Budget vote tonight": 1.0, "Kursk front update": 2.0, "Weather": 2.0,
                      "Kurskaya street fair": 1.0}
    assert titles(r.story for r in ranked)[:2] == ["Weather", "Kursk front update"]


def test_mute_drops_a_story_when_any_source_mentions_the_word():
    stories = [story("Daily horoscope"), story("Stars align", also_feeds=["b"]), story("Budget")]
    stories[1].others[0].title = "Your horoscope for Thursday"
    ranked = rank_all(stories, NOW, RankSettings(mute=("Horoscope",)))
    assert {r.story.title: r.status for r in ranked} == {
        "Daily horoscope": MUTED, "Stars align": MUTED, "Budget": SHOWN}
    assert titles(rank(stories, NOW, RankSettings(mute=("horoscope",)))) == ["Budget"]


def test_more_sources_rank_a_story_higher():
    lone = story("Lone", hours_ago=1)
    shared = story("Shared", hours_ago=3, also_feeds=["b", "c"])
    ranked = rank_all([lone, shared], NOW, RankSettings())
    assert titles(r.story for r in ranked) == ["Shared", "Lone"]
    assert ranked[0].factors.sources == 3 and ranked[0].factors.source_factor == 2.0


def test_max_per_feed_and_top_cut_after_ordering():
    stories = [story(f"a{i}", feed="a", hours_ago=i) for i in range(4)] + [story("b0", feed="b", hours_ago=5)]
    ranked = rank_all(stories, NOW, RankSettings(max_per_feed=2, top=2))
    assert [(r.story.title, r.status) for r in ranked] == [
        ("a0", SHOWN), ("a1", SHOWN), ("a2", OVER_FEED_CAP), ("a3", OVER_FEED_CAP), ("b0", OVER_TOP)]
    assert titles(rank(stories, NOW, RankSettings(max_per_feed=2, top=3))) == ["a0", "a1", "b0"]


def test_ties_are_broken_by_time_then_title_whatever_the_input_order():
    stories = [story("b", hours_ago=1), story("a", hours_ago=1), story("c", hours_ago=0.5, feed="slow")]
    settings = RankSettings(weights={"slow": 0.5 ** (0.5 / 12)})  # "c" scores exactly like "a" and "b"
    first = titles(rank(stories, NOW, settings))
    assert first == titles(rank(list(reversed(stories)), NOW, settings))
    assert first[2] == "b" and first.index("a") < first.index("b")


def test_equal_stories_of_two_feeds_go_in_the_configs_order_whatever_their_ids():
    """Item ids follow which parse worker finished first, which varies from
    run to run; two stories equal in score and time go in the config's
    order of their feeds (hostile review, issue 26: 8 of 3,457 swapped)."""
    first, second = story("from the first feed", hours_ago=1, feed="first"), story("from the second", hours_ago=1,
                                                                                 feed="second")
    order = {"first": 0, "second": 1}
    for ids in ((1, 2), (2, 1)):
        first.item.id, second.item.id = ids
        ranked = rank([second, first], NOW, RankSettings(feed_order=order))
        assert titles(ranked) == ["from the first feed", "from the second"]


def test_scores_are_written_on_the_stories():
    stories = [story("x", hours_ago=12)]
    rank(stories, NOW, RankSettings(weights={"a": 2.0}))
    assert stories[0].score == pytest.approx(1.0)


def test_sections_group_by_the_first_tag_in_rank_order():
    stories = [story("u0"), story("n1", tags=["news"]), story("t1", tags=["tech", "news"]),
               story("n2", tags=["news"]), story("u1")]
    digest = Digest(title="T", generated_at=NOW, since=NOW, stories=stories, group_by="tag")
    # Untagged stories last, under a heading of their own: with none they read as the section above's.
    assert [(tag, titles(s)) for tag, s in digest.sections] == [
        ("news", ["n1", "n2"]), ("tech", ["t1"]), (UNTAGGED_HEADING, ["u0", "u1"])]
    assert titles(digest.stories) == ["u0", "n1", "t1", "n2", "u1"]
    assert Digest(title="T", generated_at=NOW, since=NOW, stories=stories).sections == [("", stories)]


def test_explain_shows_every_factor_and_the_decision():
    stories = [story("Kursk front", hours_ago=12, also_feeds=["b"]), story("Horoscope", hours_ago=0)]
    ranked = rank_all(stories, NOW, RankSettings(boost={"Kursk": 2.0}, mute=("horoscope",)))
    rows = explain_rows(ranked)
    assert rows[0] | {"recency": round(rows[0]["recency"], 3)} == rows[0] | {
        "rank": 1, "status": SHOWN, "weight": 1.0, "recency": 0.5, "age_hours": 12.0, "boost": 2.0,
        "boosted_by": ["Kursk"], "sources": 2, "source_factor": 1.5, "score": 1.5}
    assert rows[1]["rank"] is None and rows[1]["status"] == MUTED and rows[1]["muted_by"] == "horoscope"
    table = explain_table(ranked)
    assert table.splitlines()[0].split() == ["#", "score", "weight", "recency", "age", "boost", "sources",
                                             "feed", "title"]
    assert "2 (Kursk)" in table and "[muted: horoscope]" in table
