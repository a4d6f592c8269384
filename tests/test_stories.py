"""A day of real feeds end to end: the Guardian capture of 31 Jan 2018 plus
two feeds written for that day (tests/data/day/README.md).

What is selected, grouped, ranked and summarized is the library's work, so
these drive digest.open(...).build()/explain(); the command line's own
part (the explain table) is checked through the runner."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import digest
from conftest import DATA, FEEDS, write_config
from digest.delivery.streams import OutputFile
from digest.stories.rank import explain_rows

DAY_NOW = "2018-02-01T07:00:00Z"
GUARDIAN = FEEDS / "rss2" / "guardian-international.rss"


@pytest.fixture
def day_config(tmp_path):
    return write_config(tmp_path, f"""
        title = "Morning Brief"
        top = 8
        max_per_feed = 4
        timezone = "UTC"

        [email]
        to = ["me@example.org"]

        [lead]
        template = "{{{{ item.author ~ ' for ' if item.author }}}}{{{{ item.feed }}}}: {{{{ item.summary }}}}"

        [lead.templates]
        tech = "{{{{ item.summary }}}} ({{{{ item.feed }}}}{{{{ ', %d min' % item.reading_minutes if item.reading_minutes }}}})"

        [rank]
        half_life = "12h"

        [[feeds]]
        url = "{GUARDIAN}"
        name = "The Guardian"
        weight = 1.5
        tags = ["news"]

        [[feeds]]
        url = "{DATA / 'day' / 'capitol-wire.xml'}"
        tags = ["news"]

        [[feeds]]
        url = "{DATA / 'day' / 'tech-brief.atom'}"
        weight = 0.8
        tags = ["tech"]
    """)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def build_json(config, state, now=DAY_NOW, *, send: bool = False, **options) -> dict:
    """What `build --format json` prints, from the library; `send` also
    delivers it (to a file) and marks it sent."""
    with digest.open(config, state=state) as d:
        edition = d.build(now=_time(now), **options)
        if send:
            d.send(edition, OutputFile(state.with_suffix(".eml")))
        return edition.json


def test_the_multi_source_story_comes_first_with_its_other_sources(day_config, tmp_path):
    items = build_json(day_config, tmp_path / "s.db")["items"]
    first = items[0]
    assert first["title"] == "Train carrying dozens of GOP lawmakers hits truck in Virginia"
    assert first["feed"] == "The Guardian"  # the heaviest source tells the story
    assert [a["feed"] for a in first["also"]] == ["Capitol Wire", "Tech Brief"]
    assert first["also"][0]["link"] == "https://capitolwire.example.org/2018/01/31/gop-train-crash"


def explain_json(config, state, **options) -> list[dict]:
    """The rows of `explain --json`, from the library."""
    with digest.open(config, state=state) as d:
        return explain_rows(d.explain(now=_time(DAY_NOW), **options).ranked)


def test_each_event_appears_once(day_config, tmp_path):
    # explain lists every candidate story, also those cut by max_per_feed.
    items = explain_json(day_config, tmp_path / "s.db")
    titles = [item["title"] for item in items]
    for other_words in ("Train carrying Republican lawmakers to retreat hits garbage truck in Virginia",
                        "Train carrying GOP lawmakers collides with truck",
                        "CDC director Brenda Fitzgerald resigns over tobacco stock conflicts",
                        "FBI voices 'grave concerns' over Trump plan to release Nunes memo",
                        "Facebook bans cryptocurrency ads"):  # same canonical link as the Guardian's
        assert other_words not in titles
    assert titles.count("Microsoft reports $6.3bn quarterly loss on US tax charge") == 1
    facebook = next(item for item in items if item["title"].startswith("Facebook bans"))
    assert facebook["also"] == ["Tech Brief"] and facebook["sources"] == 2


def test_leads_follow_the_templates_and_carry_no_boilerplate(day_config, tmp_path):
    items = build_json(day_config, tmp_path / "s.db")["items"]
    by_feed = {item["feed"]: item for item in reversed(items)}
    assert by_feed["The Guardian"]["lead"].startswith("Associated Press for The Guardian: ")
    # A link blog's two-sentence blurbs are no article: no reading time.
    assert by_feed["Tech Brief"]["lead"].endswith("(Tech Brief)")
    assert by_feed["Tech Brief"]["reading_minutes"] is None
    for item in items:
        assert item["lead"] and item["summary"] and item["updated"] is False
        assert len(item["summary"].split()) <= 45
        for noise in ("appeared first on", "Continue reading", "Read more", "Share this", "By Dana", "Photograph:"):
            assert noise not in item["lead"]


def test_a_sent_story_is_not_sent_again_from_its_other_sources(day_config, tmp_path):
    state = tmp_path / "day.db"
    sent = build_json(day_config, state, send=True)["items"]
    assert any("Train carrying" in item["title"] for item in sent)
    later = build_json(day_config, state, "2018-02-01T09:00:00Z", since="3d")["items"]
    assert later and not any("Train carrying" in item["title"] for item in later)


def test_explain_lists_the_same_order_as_build_and_marks_nothing(invoke, day_config, tmp_path):
    state = tmp_path / "explain.db"
    rows = explain_json(day_config, state)
    shown = [row["title"] for row in rows if row["status"] == "shown"]
    built = [item["title"] for item in build_json(day_config, state, send=True)["items"]]
    assert shown == built  # explain's run marked nothing, so build saw the same stories
    assert rows[0]["sources"] == 3 and rows[0]["source_factor"] == 2.0
    table = invoke("explain", "--config", str(day_config), "--now", DAY_NOW, "--offline", "--since", "3d",
                   state=state)
    assert table.stdout.splitlines()[0].split()[:2] == ["#", "score"]
    # build --mark-sent did mark them (explain had not): none of them is a candidate now.
    assert table.exit_code == 0 and len(table.stdout.splitlines()) > 10  # the unsent stories are still there
    assert not any(title[:40] in table.stdout for title in built)


def test_a_story_sent_yesterday_is_not_sent_again_from_a_later_source(day_config, tmp_path):
    from conftest import rss, rss_item

    late = tmp_path / "late.xml"
    late.write_text(rss(
        rss_item("GOP lawmakers' train hits truck in Virginia, one dead", "https://late.example/train",
                 date="Thu, 01 Feb 2018 08:00:00 +0000"),
        rss_item("Snow closes schools across Virginia", "https://late.example/snow",
                 date="Thu, 01 Feb 2018 08:30:00 +0000"),
        title="Late Edition"), encoding="utf-8")
    day_config.write_text(day_config.read_text() + f'\n[[feeds]]\nurl = "{late}"\n', encoding="utf-8")
    state = tmp_path / "late.db"
    first = build_json(day_config, state, send=True)
    assert "Train carrying dozens of GOP lawmakers hits truck in Virginia" in [i["title"] for i in first["items"]]
    later = build_json(day_config, state, "2018-02-01T10:00:00Z")
    assert [item["title"] for item in later["items"]] == ["Snow closes schools across Virginia"]


def test_only_the_stories_shown_are_summarized(day_config, monkeypatch, tmp_path):
    # A day of hundreds of feeds has thousands of candidates; summarizing
    # them all cost more than the rest of the build (benchmarks/bench.py).
    import digest.stories.summarize

    summarized = []
    real = digest.stories.summarize.summarize
    monkeypatch.setattr(digest.stories.summarize, "summarize", lambda text, *a, **k: summarized.append(text) or real(text, *a, **k))
    explained = explain_json(day_config, tmp_path / "s.db")
    assert not summarized  # explain ranks every story and summarizes none
    items = build_json(day_config, tmp_path / "s.db", offline=True)["items"]
    assert 0 < len(items) < len(explained) and len(summarized) == len(items)
    assert all(item["summary"] for item in items)
    # This day's items are teasers ("Continue reading…", a link blog's blurbs): no reading time.
    assert all(item["reading_minutes"] is None for item in items)
