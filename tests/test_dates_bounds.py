"""Dates no clock could have written: an item is never stored where no
window reaches it (issue 23, class 14). A real state file, the CLI."""

from __future__ import annotations

import json

from conftest import feeds_config, rss, rss_item


def test_items_dated_9999_1970_or_days_ahead_go_out_dated_when_first_seen(tmp_path, invoke):
    dates = {"Ninety-nine": "Fri, 31 Dec 9999 23:59:59 +0000", "Epoch": "Thu, 01 Jan 1970 00:00:00 +0000",
             "Ahead": "Mon, 06 Jan 2025 12:00:00 +0000", "Today": "Thu, 02 Jan 2025 12:00:00 +0000",
             "Within a day": "Fri, 03 Jan 2025 08:00:00 +0000", "Before year one": "-0001-01-01T00:00:00Z"}
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(*(rss_item(f"{name} story", f"https://news.example.org/{n}", date=date,
                                   body=f"The {name} story, told in a sentence or two.")
                          for n, (name, date) in enumerate(dates.items()))))
    config = feeds_config(tmp_path, [str(feed)])
    result = invoke("--config", str(config), "build", "--format", "json", "--mark-sent",
                    "--now", "2025-01-02T20:00:00Z")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    published = {item["title"]: item["published"] for item in items}
    dated = {item["title"]: item["dated"] for item in items}
    # no time it does not have: a date past tomorrow is no date (it showed the build's own time as its date)
    assert not dated["Ninety-nine story"] and not dated["Ahead story"] and dated["Today story"]
    assert [item["title"] for item in items][0] == "Today story"  # and it does not lead as the freshest
    # every one goes out, none waits for 9999; the one dated later today goes out once its time has come
    assert set(published) == {f"{name} story" for name in dates} - {"Within a day story"}
    assert published["Ninety-nine story"].startswith("2025-01-02T20:00")  # when it was first seen
    assert published["Ahead story"].startswith("2025-01-02T20:00")
    assert published["Today story"].startswith("2025-01-02T12:00")
    assert not published["Epoch story"].startswith("1970")
    assert not published["Before year one story"].startswith("2000")  # feedparser's reading of the year -1
    again = invoke("--config", str(config), "build", "--format", "json", "--mark-sent",
                   "--now", "2025-01-03T20:00:00Z")
    assert again.exit_code == 0, again.stderr
    (later,) = json.loads(again.stdout)["items"]  # the others were sent once, not again
    assert (later["title"], later["published"][:16]) == ("Within a day story", "2025-01-03T08:00")  # believed
