"""The SQLite state file, used for real in tmp_path."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from digest.errors import StoreError
from digest.models import CacheHeaders
from digest.models import Image, Item
from digest.store import ClaimConflict, Store

NOW = datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)


def item(key: str, link: str = "", hours_ago: float | None = 1, feed: str = "https://a.example/feed") -> Item:
    return Item(
        feed_url=feed, key=key, title=f"Title {key}", link=link or f"https://a.example/{key}",
        published=NOW - timedelta(hours=hours_ago) if hours_ago is not None else None,
        text="Body.", image=Image(url="https://a.example/i.jpg", caption="Cap", width=10, height=5),
        tags=["x"],
    )


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "sub" / "state.db") as store:
        yield store


def test_items_round_trip_and_the_window_applies(store):
    store.record_success("https://a.example/feed", "Feed A", CacheHeaders(etag='"v1"'),
                         [item("new"), item("old", hours_ago=48), item("undated", hours_ago=None)], NOW)
    found = store.unsent_items(["https://a.example/feed"], NOW - timedelta(hours=24), NOW)
    assert [i.key for i in found] == ["undated", "new"]
    undated, new = found
    assert undated.published is None and undated.first_seen == NOW
    assert new.image == Image(url="https://a.example/i.jpg", caption="Cap", width=10, height=5)
    assert new.tags == ["x"]
    assert store.feed_state("https://a.example/feed").cache.etag == '"v1"'
    assert store.feed_titles() == {"https://a.example/feed": "Feed A"}


def test_items_read_without_their_details_know_their_text_length_and_read_them_later(store):
    """A build reads thousands of candidates without text, lead_text and
    image, and reads them for the stories it shows: the length (which picks a story's
    best source) is the text's length in characters, CJK and emoji too."""
    texts = {"latin": "Plain words.", "cjk": "台积电将在明年扩大生产。", "emoji": "Rocket 🚀 launch 👩‍🚀 crew.", "empty": ""}
    items = [replace(item(key), text=text, lead_text=text[:5]) for key, text in texts.items()]
    store.record_success("https://a.example/feed", "Feed A", CacheHeaders(), items, NOW)
    window = (["https://a.example/feed"], NOW - timedelta(hours=24), NOW)
    full = {i.key: i for i in store.unsent_items(*window)}
    light = {i.key: i for i in store.unsent_items(*window, details=False)}
    for key, text in texts.items():
        assert light[key].text == light[key].lead_text == "" and light[key].image is None
        assert light[key].text_length == full[key].text_length == len(text)
        assert replace(light[key], unread_text_length=None, text=text, lead_text=text[:5], image=full[key].image) \
            == full[key]
    store.read_details([light["cjk"], light["emoji"], full["latin"]])
    assert (light["cjk"].text, light["cjk"].lead_text) == (texts["cjk"], texts["cjk"][:5])
    assert light["emoji"] == full["emoji"] and light["cjk"] == full["cjk"]
    assert light["cjk"].image == Image(url="https://a.example/i.jpg", caption="Cap", width=10, height=5)
    assert light["latin"].text == "" and light["latin"].text_length == len(texts["latin"])  # not asked for
    assert light["latin"].image is None


def test_read_details_reads_more_items_than_one_query_may_name(store):
    items = [replace(item(f"k{n}"), text="x" * n) for n in range(1200)]
    store.record_success("https://a.example/feed", "Feed A", CacheHeaders(), items, NOW)
    light = store.unsent_items(["https://a.example/feed"], NOW - timedelta(hours=24), NOW, details=False)
    store.read_details(light)
    assert sorted(len(i.text) for i in light) == list(range(1200))
    assert all(i.unread_text_length is None for i in light)


def test_refetch_keeps_first_seen_and_counts_only_new(store):
    feed = "https://a.example/feed"
    assert store.record_success(feed, "A", CacheHeaders(), [item("u", hours_ago=None)], NOW) == 1
    later = NOW + timedelta(hours=5)
    assert store.record_success(feed, "A", CacheHeaders(), [item("u", hours_ago=None), item("v")], later) == 1
    first = store.unsent_items([feed], NOW - timedelta(days=1), later)
    assert {i.key: i.first_seen for i in first}["u"] == NOW


def test_mark_sent_hides_the_items_and_their_links_from_other_feeds(store):
    store.record_success("https://a.example/feed", "A", CacheHeaders(), [item("one", link="https://x.example/story")], NOW)
    store.record_success("https://b.example/feed", "B", CacheHeaders(),
                         [item("two", link="https://x.example/story", feed="https://b.example/feed")], NOW)
    feeds = ["https://a.example/feed", "https://b.example/feed"]
    since = NOW - timedelta(days=1)
    first = [i for i in store.unsent_items(feeds, since, NOW) if i.key == "one"]
    store.mark_sent(first, NOW, since, "Subject")
    assert store.unsent_items(feeds, since, NOW) == []
    assert store.last_build_time() == NOW


def test_a_second_claim_of_the_same_items_is_refused(store, tmp_path):
    store.record_success("https://a.example/feed", "A", CacheHeaders(), [item("one")], NOW)
    items = store.unsent_items(["https://a.example/feed"], NOW - timedelta(days=1), NOW)
    with Store.open(store.path) as other:
        other.mark_sent(items, NOW, NOW - timedelta(days=1), "first")
    with pytest.raises(ClaimConflict):
        store.mark_sent(items, NOW, NOW - timedelta(days=1), "second")


def test_failures_count_up_and_reset_on_success(store):
    feed = "https://a.example/feed"
    assert store.record_failure(feed, "HTTP 500", NOW) == 1
    assert store.record_failure(feed, "timed out", NOW) == 2
    state = store.feed_state(feed)
    assert (state.failures, state.last_error) == (2, "timed out")
    store.record_success(feed, "A", CacheHeaders(), [], NOW)
    assert store.feed_state(feed).failures == 0


def test_what_a_channel_says_of_itself_is_kept_and_capped(store):
    """Its language and site address, for builds from the store (--offline,
    a 304): kept like the title (one the channel stops giving stays), and
    one too long to be a tag or an address is none."""
    feed = "https://feeds.example/world.rss"
    store.record_success(feed, "World", CacheHeaders(), [], NOW, language="fr", site="https://www.example.fr/")
    state = store.feed_state(feed)
    assert (state.language, state.site) == ("fr", "https://www.example.fr/")
    store.record_not_modified(feed, NOW)
    store.record_success(feed, "World", CacheHeaders(), [], NOW)  # a channel that no longer says
    assert (store.feed_states()[feed].language, store.feed_states()[feed].site) == ("fr", "https://www.example.fr/")
    store.record_success(feed, "World", CacheHeaders(), [], NOW, language="x-" + "a" * 40,
                         site="https://www.example.fr/" + "a" * 5000)
    assert (store.feed_state(feed).language, store.feed_state(feed).site) == ("fr", "https://www.example.fr/")
    store.record_success(feed, "World", CacheHeaders(), [], NOW, language="de-CH", site="https://other.example/")
    assert (store.feed_state(feed).language, store.feed_state(feed).site) == ("de-CH", "https://other.example/")


def test_a_state_file_of_before_learns_its_channels_at_the_next_fetch(tmp_path):
    """Schema 13 had no channel language or site: the migration adds them
    empty and forgets the validators, so the next fetch of each feed reads
    its channel instead of hearing 304 until the feed changes."""
    from conftest import state_at_schema

    path = tmp_path / "old.db"
    db = state_at_schema(path, 13)
    db.execute("INSERT INTO feeds (url, title, etag, last_modified) VALUES ('https://a.example/feed', 'A', "
               "'\"v1\"', 'Thu, 02 Jan 2025 10:00:00 GMT')")
    db.commit()
    db.close()
    with Store.open(path) as store:
        state = store.feed_state("https://a.example/feed")
        assert (state.title, state.language, state.site) == ("A", "", "")
        assert state.cache == CacheHeaders()


def test_a_newer_schema_is_refused_with_one_line(tmp_path):
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="written by a newer digest"):
        Store.open(path)


def test_a_corrupt_file_is_named_and_kept(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=f"{path}: not a usable digest state file") as caught:
        Store.open(path)
    assert "move it aside" in str(caught.value)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_feeds_stored_in_one_transaction_stay_all_or_nothing_each(store):
    # The fetch stores the feeds that arrive together with one commit; a
    # feed whose writes fail must still leave the others (and nothing of its own).
    with store.transaction():
        store.record_success("https://a.example/feed", "A", CacheHeaders(etag='"a"'), [item("one")], NOW)
        with pytest.raises(sqlite3.IntegrityError):
            with store.transaction() as db:
                db.execute("INSERT INTO feeds (url, title) VALUES ('https://b.example/feed', 'B')")
                db.execute("INSERT INTO feeds (url, title) VALUES ('https://b.example/feed', 'B again')")
        assert store.record_failure("https://c.example/feed", "HTTP 500", NOW) == 1
    states = store.feed_states()
    assert sorted(states) == ["https://a.example/feed", "https://c.example/feed"]
    assert states["https://a.example/feed"] == store.feed_state("https://a.example/feed")
    assert [i.key for i in store.unsent_items(["https://a.example/feed"], NOW - timedelta(days=1), NOW)] == ["one"]


def test_processes_opening_a_new_state_file_at_once_all_succeed(tmp_path):
    """Switching a new file to WAL answers "locked" at once to all but one
    opener (SQLite skips the busy handler there); the store waits instead."""
    import subprocess
    import sys

    import time

    # Each opener imports first, then waits for the same instant to open.
    code = ("import sys, time; from pathlib import Path; from digest.store import Store; "
            "time.sleep(max(0, float(sys.argv[2]) - time.time())); Store.open(Path(sys.argv[1])).close()")
    for round_ in range(8):
        path = tmp_path / f"race-{round_}.db"
        start = str(time.time() + 0.6)
        openers = [subprocess.Popen([sys.executable, "-c", code, str(path), start], stderr=subprocess.PIPE)
                   for _ in range(3)]
        results = [(p.wait(timeout=60), p.stderr.read().decode()) for p in openers]
        assert results == [(0, "")] * 3


@pytest.mark.parametrize("setup, message", [
    ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine')",
     "not a digest state file (its tables: notes)"),
    ("CREATE TABLE notes (id INTEGER PRIMARY KEY); PRAGMA user_version = 3",
     "not a digest state file (its tables: notes)"),
    ("PRAGMA user_version = 999", "written by a newer digest (schema 999"),
], ids=["another app's tables", "a version but not our tables", "a newer digest's"])
def test_a_database_that_is_not_ours_is_refused_before_anything_is_written(tmp_path, setup, message):
    """Someone else's SQLite file given as the state file came out with our
    tables added and switched to WAL (even when it was then refused)."""
    import hashlib

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.executescript(setup)
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, no -shm
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_an_empty_database_file_becomes_a_state_file(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # an SQLite file with nothing in it yet
    with Store.open(path) as store:
        assert store.feed_states() == {}
