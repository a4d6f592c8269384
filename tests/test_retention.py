"""The store keeps what later builds need and prunes the rest (issue 23,
class 14): a real state file, the CLI, a local feed whose entries stay in
it for months."""

from __future__ import annotations

import json
import sqlite3

from conftest import feeds_config, rss, rss_item

BODY = "<p>" + "A long paragraph of the story, as long feeds carry their whole text. " * 300 + "</p>"


def write_feed(path, names, day):
    path.write_text(rss(*(rss_item(f"{name} story", f"https://news.example.org/{name}", body=BODY,
                                   date=f"{day}, 12:00:00 +0000") for name in names)))


def texts(state):
    with sqlite3.connect(state) as db:
        return {key: len(html) for key, html in db.execute("select link, content_html from items")}


def test_texts_and_copies_older_than_keep_are_pruned_and_old_entries_stay_known(tmp_path, invoke):
    feed, state = tmp_path / "feed.xml", tmp_path / "state.db"
    old = [f"old{n}" for n in range(150)]
    write_feed(feed, old, "Thu, 02 Jan 2025")
    config = feeds_config(tmp_path, [str(feed)], extra='keep = "30d"\ntop = 150\nmax_per_feed = 150')
    first = invoke("--config", str(config), "build", "--format", "json", "--mark-sent", "--now", "2025-01-02T20:00:00Z")
    assert first.exit_code == 0, first.stderr
    size_before = state.stat().st_size
    assert len(json.loads(first.stdout)["items"]) == 150

    # Two months on, the old entries are still in the feed beside a new one.
    write_feed(feed, [*old, "new"], "Mon, 03 Mar 2025")
    later = invoke("--config", str(config), "-v", "build", "--format", "json", "--mark-sent",
                   "--now", "2025-03-03T20:00:00Z", "--since", "100d")
    assert later.exit_code == 0, later.stderr
    assert [item["title"] for item in json.loads(later.stdout)["items"]] == ["new story"]  # the old ones stay known
    assert "Pruned the store: the texts of 150 items and 1 sent digests older than 30 days" in later.stderr
    kept = texts(state)
    assert all(kept[f"https://news.example.org/{name}"] == 0 for name in old)
    assert kept["https://news.example.org/new"] > 10_000  # this build's own
    assert state.stat().st_size < size_before / 2  # compacted

    history = invoke("--config", str(config), "history")
    assert history.exit_code == 0
    rows = [line.split()[0] for line in history.stdout.splitlines()[1:]]
    assert sorted(rows) == ["1", "2"], history.stdout  # both builds still listed
    replay = invoke("--config", str(config), "build", "--replay", "1")
    assert replay.exit_code == 1
    assert replay.stderr.strip() == ("Error: build 1's copy is not kept: it is older than the config's `keep` "
                                     "(90 days unless set), or from before digest kept copies of what it sent")
    assert invoke("--config", str(config), "build", "--replay", "2", "--format", "text").exit_code == 0


def test_keep_shorter_than_a_week_is_one_clear_config_error(tmp_path, invoke):
    config = feeds_config(tmp_path, ["https://news.example.org/feed"], extra='keep = "3d"')
    result = invoke("--config", str(config), "build")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {config}: keep: must be at least 7 days (a weekly digest reads a week "
                                     "back), not '3d'")


def test_a_story_never_sent_keeps_its_text_for_a_since_that_reaches_back(tmp_path, invoke):
    """keep = 7d: story A is fetched on day 0 and not sent; by day 10 it has
    left the feed and B is sent (and the store pruned). `--since 14d`, which
    digest itself suggests for older items, must still show A whole."""
    feed, state = tmp_path / "feed.xml", tmp_path / "state.db"
    config = feeds_config(tmp_path, [str(feed)], extra='keep = "7d"\n[articles]\nenabled = false')
    write_feed(feed, ["A"], "Wed, 01 Jan 2025")
    assert invoke("--config", str(config), "fetch", "--now", "2025-01-01T13:00:00Z").exit_code == 0
    write_feed(feed, ["B"], "Sat, 11 Jan 2025")
    sent = invoke("--config", str(config), "build", "--format", "json", "--mark-sent", "--now", "2025-01-11T13:00:00Z")
    assert [item["title"] for item in json.loads(sent.stdout)["items"]] == ["B story"]
    back = invoke("--config", str(config), "build", "--format", "json", "--no-mark-sent", "--since", "14d",
                  "--now", "2025-01-11T14:00:00Z")
    (a,) = json.loads(back.stdout)["items"]
    assert a["title"] == "A story" and a["summary"].startswith("A long paragraph of the story")
    assert texts(state)["https://news.example.org/A"] > 10_000
