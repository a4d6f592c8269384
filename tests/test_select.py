"""Selection: the window, item identity, what counts as sent, and updates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from digest.models import CacheHeaders
from digest.models import Item
from digest.sources.links import canonical_url
from digest.sources.parse import item_key, parse_feed
from digest.stories.select import window_start
from digest.store import Store

from conftest import rss, rss_item

NOW = datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)
DAY = timedelta(hours=24)
FEED = "https://a.example/feed"


def test_since_flag_wins_over_the_last_build_and_the_config():
    flag = NOW - timedelta(days=3)
    assert window_start(NOW, DAY, last_build=NOW - timedelta(hours=6), since=flag) == flag


def test_default_window_is_since_the_last_build_that_marked_items_sent():
    assert window_start(NOW, DAY, last_build=NOW - timedelta(hours=6)) == NOW - timedelta(hours=6)


def test_first_run_never_reaches_past_the_config_window():
    assert window_start(NOW, DAY) == NOW - DAY
    # A last build "in the future" (clock moved back) is ignored, not trusted.
    assert window_start(NOW, DAY, last_build=NOW + timedelta(hours=1)) == NOW - DAY


def test_identity_is_guid_then_canonical_link_then_a_content_hash():
    assert item_key("urn:1", "https://a/x", "T", "text") == "guid:urn:1"
    assert item_key("", "https://a/x", "T", "text") == "link:https://a/x"
    hashed = item_key("", "", "T", "text")
    assert hashed.startswith("hash:") and hashed == item_key("", "", "T", "text")
    assert hashed != item_key("", "", "T", "other text")


def test_canonical_urls_drop_tracking_and_keep_the_rest_in_order():
    raw = ("HTTPS://News.Example.ORG/a/b?id=7&utm_source=x&page=2&fbclid=1&gclid=2&mc_cid=3&mc_eid=4"
           "&ref=hn&igshid=5&q=z#comments")
    assert canonical_url(raw) == "https://news.example.org/a/b?id=7&page=2&q=z"
    assert canonical_url("/story?utm_medium=rss", "https://news.example.org/feed") == "https://news.example.org/story"


def test_duplicate_entries_inside_one_feed_collapse():
    body = rss(rss_item("First", "https://a.example/1", guid="g1"),
               rss_item("First again", "https://a.example/1", guid="g1"),
               rss_item("Second", "https://a.example/2", guid="g2")).encode()
    assert [i.title for i in parse_feed(body, FEED).items] == ["First", "Second"]


def item(title: str, text: str = "Body.", key: str = "guid:1") -> Item:
    return Item(feed_url=FEED, key=key, title=title, link="https://a.example/1", text=text,
                published=NOW - timedelta(hours=1))


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "state.db") as store:
        yield store


def send_everything(store: Store, when: datetime = NOW) -> list[Item]:
    items = store.unsent_items([FEED], when - DAY, when)
    if items:
        store.mark_sent(items, when, when - DAY, "subject")
    return items


def test_a_guid_that_reappears_with_new_text_is_not_sent_again(store):
    store.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens")], NOW)
    assert len(send_everything(store)) == 1
    store.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens", text="Corrected body.")], NOW)
    assert store.unsent_items([FEED], NOW - DAY, NOW) == []


def test_a_guid_that_reappears_with_a_new_title_is_sent_again_marked_updated(store):
    store.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens")], NOW)
    [sent] = send_everything(store)
    assert sent.updated is False
    store.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens; first train full")], NOW)
    [again] = store.unsent_items([FEED], NOW - DAY, NOW)
    assert again.updated is True and again.title == "Rail line reopens; first train full"
    # Once sent, the update is ordinary sent history again.
    send_everything(store)
    store.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens; first train full")], NOW)
    assert store.unsent_items([FEED], NOW - DAY, NOW) == []


@pytest.mark.parametrize("digest", [None, "weekly"])
def test_a_headline_flipping_between_two_wordings_is_no_update(store, digest):
    """An A/B-tested headline: the two wordings alternate from fetch to
    fetch. Each was sent once; a title never sent before is still one. The
    top-level digest and a [digests.NAME] one alike."""
    a, b = "Rail line reopens", "Trains run again to Kharkiv"
    writer, store = store, store.for_digest(digest)
    store.record_success(FEED, "A", CacheHeaders(), [item(a)], NOW)
    assert [i.title for i in send_everything(store)] == [a]
    store.record_success(FEED, "A", CacheHeaders(), [item(b)], NOW)
    [update] = send_everything(store)
    assert (update.title, update.updated) == (b, True)
    for title in (a, b, a, b):  # the flipping goes on: nothing to send
        writer.record_success(FEED, "A", CacheHeaders(), [item(title)], NOW)
        assert store.unsent_items([FEED], NOW - DAY, NOW) == []
    writer.record_success(FEED, "A", CacheHeaders(), [item("Rail line reopens; first train full")], NOW)
    [real] = store.unsent_items([FEED], NOW - DAY, NOW)
    assert real.updated is True
    # A delivery that failed leaves the titles sent before as they were.
    build = store.claim([real], NOW, NOW - DAY, "subject")
    store.release(build)
    writer.record_success(FEED, "A", CacheHeaders(), [item(b)], NOW)
    assert store.unsent_items([FEED], NOW - DAY, NOW) == []


def test_a_title_change_before_the_first_send_is_not_an_update(store):
    store.record_success(FEED, "A", CacheHeaders(), [item("Draft title")], NOW)
    store.record_success(FEED, "A", CacheHeaders(), [item("Final title")], NOW)
    [only] = store.unsent_items([FEED], NOW - DAY, NOW)
    assert only.title == "Final title" and only.updated is False


def test_undated_items_count_from_when_they_were_first_fetched(store):
    undated = Item(feed_url=FEED, key="guid:u", title="Undated", link="https://a.example/u", published=None)
    store.record_success(FEED, "A", CacheHeaders(), [undated], NOW - timedelta(days=5))
    assert store.unsent_items([FEED], NOW - DAY, NOW) == []  # first seen five days ago: old news
    assert [i.title for i in store.unsent_items([FEED], NOW - timedelta(days=6), NOW)] == ["Undated"]


def rail_feed(tmp_path):
    """A config over one feed file, and a function that republishes its one
    story (guid rail-1) under a new title."""
    from conftest import feeds_config

    feed = tmp_path / "feed.xml"
    config = feeds_config(tmp_path, [feed])

    def publish(title: str) -> None:
        feed.write_text(rss(rss_item(title, "https://a.example/rail", guid="rail-1")), encoding="utf-8")

    return config, publish


def test_an_updated_story_says_so_in_the_json(invoke, tmp_path):
    import json

    config, publish = rail_feed(tmp_path)
    publish("Rail line reopens")
    assert invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z").exit_code == 0
    publish("Rail line reopens; first train full")
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T21:00:00Z", "--since", "1d",
                    "--format", "json")
    [story] = json.loads(result.stdout)["items"]
    assert story["title"] == "Rail line reopens; first train full" and story["updated"] is True


def test_an_updated_story_is_labelled_in_both_parts(invoke, tmp_path):
    from conftest import email_parts, parse_email

    config, publish = rail_feed(tmp_path)
    publish("Rail line reopens")
    first = email_parts(parse_email(invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z").stdout_bytes))
    assert "Updated" not in first["text/plain"] and "Updated" not in first["text/html"]
    publish("Rail line reopens; first train full")
    again = invoke("build", "--config", str(config), "--now", "2025-01-02T21:00:00Z", "--since", "1d")
    parts = email_parts(parse_email(again.stdout_bytes))
    assert "1. Updated: Rail line reopens; first train full [1]" in parts["text/plain"]
    assert "<strong class=\"updated\" style=\"color:#9a6700\">Updated</strong> · " in parts["text/html"]  # dark mode keeps it amber (.updated)


# ------------------------------------------------------------ one link, several stories


def _announcements(day: int, titles: list[str]) -> str:
    """A small site's feed: every entry has its own guid and title, and all
    of them link to the home page."""
    return rss(*(rss_item(title, "https://small.example/", guid=f"post-{title}",
                          date=f"Thu, 0{day} Jan 2025 1{n}:00:00 +0000") for n, title in enumerate(titles)))


def test_entries_of_one_feed_sharing_a_link_are_separate_stories_and_all_get_sent(invoke, tmp_path):
    import json

    from conftest import feeds_config

    feed = tmp_path / "feed.xml"
    config = feeds_config(tmp_path, [feed])
    first = ["Version 2.0 released", "Conference dates announced", "New maintainers join"]
    feed.write_text(_announcements(2, first))
    day1 = invoke("--config", str(config), "build", "--now", "2025-01-02T20:00:00Z", "--format", "json",
                  "--mark-sent")
    assert sorted(item["title"] for item in json.loads(day1.stdout)["items"]) == sorted(first)
    feed.write_text(_announcements(3, ["Version 2.1 released", "Call for papers"]))
    day2 = invoke("--config", str(config), "build", "--now", "2025-01-03T20:00:00Z", "--format", "json",
                  "--mark-sent")
    assert day2.exit_code == 0, day2.stderr
    assert sorted(item["title"] for item in json.loads(day2.stdout)["items"]) == ["Call for papers",
                                                                                  "Version 2.1 released"]


def test_one_link_is_one_story_across_feeds_and_for_one_title_in_a_feed(tmp_path):
    """The siblings that stay one story: a syndicated article (one link, two
    feeds, the titles differ) and one entry listed again under a new guid;
    in the grouping and against what was sent."""
    from digest.stories.cluster import cluster

    other = "https://b.example/feed"

    def entry(feed: str, key: str, title: str) -> Item:
        return Item(feed_url=feed, key=key, title=title, link="https://news.example/story", published=NOW)

    sent = entry(FEED, "guid:1", "Bridge reopens")
    syndicated = entry(other, "guid:x", "Kyiv: the Dnipro bridge reopens today")
    relisted = entry(FEED, "guid:2", "Bridge reopens")
    shared = entry(FEED, "guid:3", "Budget approved")
    assert [len(story.items) for story in cluster([sent, syndicated])] == [2]
    assert [len(story.items) for story in cluster([sent, relisted])] == [2]
    assert [len(story.items) for story in cluster([sent, shared])] == [1, 1]
    with Store.open(tmp_path / "s.db") as store:
        store.record_success(FEED, "F", CacheHeaders(), [sent], NOW)
        store.mark_sent(store.unsent_items([FEED], NOW - DAY, NOW), NOW, NOW - DAY, "s")
        store.record_success(FEED, "F", CacheHeaders(), [sent, relisted, shared], NOW)
        store.record_success(other, "B", CacheHeaders(), [syndicated], NOW)
        left = store.unsent_items([FEED, other], NOW - DAY, NOW)
    assert [(i.feed_url, i.title) for i in left] == [(FEED, "Budget approved")]
