"""Links as the digest keeps them: tracking and session ids out, whatever
makes the link work kept (issue 23, classes 5 and 15). Real HTTP on
127.0.0.1 and a real state file for the feed whose links change on every
fetch."""

from __future__ import annotations

import json
import secrets

import pytest
from conftest import feeds_config
from werkzeug import Response

from digest.sources.links import canonical_url


@pytest.mark.parametrize("raw, expected", [
    # session ids: out, wherever they are written
    ("https://shop.example/item.php?id=7&PHPSESSID=5f1c0e2a9b7d4c3e8a6f", "https://shop.example/item.php?id=7"),
    ("https://shop.example/page.jsp;jsessionid=A1B2C3D4E5F6A7B8?x=1", "https://shop.example/page.jsp?x=1"),
    ("https://news.example/a?sid=9b2f6c1d0e8a7b3c4d5e", "https://news.example/a"),
    ("https://news.example/a?sid=05/11/19", "https://news.example/a?sid=05/11/19"),  # a date, not a session
    ("https://forum.example/t?id=3&sessionid=a81f9c03d2e44b7a", "https://forum.example/t?id=3"),
    # working links that look like tracking: kept
    ("https://git.example/repo/-/blob/main/x.py?ref=v2.0", "https://git.example/repo/-/blob/main/x.py?ref=v2.0"),
    ("https://blog.example/p?ref=news.example.com", "https://blog.example/p"),
    ("https://blog.example/p?ref=rss", "https://blog.example/p"),
    ("https://cdn.example/v.mp4?at_hash=Zx9&exp=1700000000&utm_source=x",
     "https://cdn.example/v.mp4?at_hash=Zx9&exp=1700000000&utm_source=x"),  # signed: untouched
    ("https://site.example/a?at_medium=rss&at_campaign=x&id=2", "https://site.example/a?id=2"),
    ("https://site.example/contact?channel=feedback", "https://site.example/contact?channel=feedback"),
    ("https://site.example/a?source=atomic-habits", "https://site.example/a?source=atomic-habits"),
    ("https://site.example/a?source=atom&id=1", "https://site.example/a?id=1"),
    ("https://site.example/a?channel=rss_feed", "https://site.example/a"),
    # anchors: a live blog's update kept, the rest dropped as before
    ("https://live.example/war#update-1732", "https://live.example/war#update-1732"),
    ("https://www.theguardian.com/live/x?page=with:block-5f8a#block-5f8a1c", 
     "https://www.theguardian.com/live/x?page=with:block-5f8a#block-5f8a1c"),
    ("https://site.example/a#tk.rss_all", "https://site.example/a"),
    ("https://site.example/a#top", "https://site.example/a"),
    # the second review's siblings: more sessions and cache busters out ...
    ("https://h.example/(S(lit3py55t21z5v55vlm25s55))/a.aspx", "https://h.example/a.aspx"),
    ("https://h.example/a?ASP.NET_SessionId=abc123def456", "https://h.example/a"),
    ("https://h.example/a?sid=6f1c2a9e-7b3d-4c8e-9a0f-1b2c3d4e5f60", "https://h.example/a"),
    ("https://h.example/a?id=3&nocache=1733555555123", "https://h.example/a?id=3"),
    ("https://h.example/a?id=3&_=1733555555123", "https://h.example/a?id=3"),
    # ... and what is the address kept: a talk's session, a story id, a branch, an app's route
    ("https://conf.example/schedule?session_id=42", "https://conf.example/schedule?session_id=42"),
    ("https://news.example/article.php?sid=2024120712345678", "https://news.example/article.php?sid=2024120712345678"),
    ("https://git.example/r/contents/README.md?ref=main", "https://git.example/r/contents/README.md?ref=main"),
    ("https://git.example/r/releases?ref=v2", "https://git.example/r/releases?ref=v2"),
    ("https://blog.example/p?ref=hn", "https://blog.example/p"),
    ("https://mb.example/recording?mbid=0383dadf-2a4e", "https://mb.example/recording?mbid=0383dadf-2a4e"),
    ("https://shop.example/compare?cmp=3,4", "https://shop.example/compare?cmp=3,4"),
    ("https://app.example/news/#!/article/12", "https://app.example/news/#!/article/12"),
    ("https://app.example/news/#/article/12", "https://app.example/news/#/article/12"),
])
def test_a_link_keeps_what_makes_it_work_and_loses_what_tracks(raw, expected):
    assert canonical_url(raw) == expected


def test_a_feed_whose_links_carry_a_new_session_each_fetch_is_new_only_once(tmp_path, httpserver, invoke):
    """No guids, no dates, a session id in every link: the same three stories
    must not come back in every digest, nor the store grow on each fetch."""

    def feed(_request):
        session = secrets.token_hex(16)
        items = "".join(f"<item><title>Story {n} of the shop</title>"
                        f"<link>https://shop.example/news.php?id={n}&amp;PHPSESSID={session}</link>"
                        f"<description>Text of story {n}, which is long enough to be a lead.</description></item>"
                        for n in range(3))
        return Response(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Shop news</title>'
                        f"<link>https://shop.example/</link>{items}</channel></rss>",
                        content_type="application/rss+xml")

    httpserver.expect_request("/news.rss").respond_with_handler(feed)
    config = feeds_config(tmp_path, [httpserver.url_for("/news.rss")])
    first = invoke("--config", str(config), "build", "--format", "json", "--mark-sent")
    assert first.exit_code == 0, first.stderr
    links = sorted(item["link"] for item in json.loads(first.stdout)["items"])
    assert links == [f"https://shop.example/news.php?id={n}" for n in range(3)]
    second = invoke("--config", str(config), "build", "--format", "json", "--mark-sent")
    assert second.exit_code == 0 and second.stdout == "", second.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("select count(*) from items").fetchone()[0] == 3


def test_links_and_pictures_100_kb_long_do_not_bloat_the_mail(tmp_path, invoke):
    """Every card repeats its link (headline, button) and its picture's
    address: a feed's 100 KB addresses made a 500 KB HTML part of 5 stories."""
    long = "https://news.example.org/" + "a" * 100_000
    picture = "https://img.example.org/" + "b" * 100_000
    items = "".join(f"<item><title>Story {n} of a long day</title><link>{long}{n}</link><guid>g{n}</guid>"
                    f"<pubDate>Thu, 02 Jan 2025 1{n}:00:00 +0000</pubDate><description><![CDATA[<p>Text of "
                    f'story {n}, <a href="{long}">a link</a>.</p><img src="{picture}{n}.jpg">]]></description>'
                    f'<enclosure url="{picture}{n}.png" type="image/png"/></item>' for n in range(5))
    feed = tmp_path / "long.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Long</title>'
                    f"<link>https://news.example.org/</link>{items}</channel></rss>")
    config = feeds_config(tmp_path, [str(feed)])
    result = invoke("--config", str(config), "build", "--format", "email", "--no-mark-sent",
                    "--now", "2025-01-02T20:00:00Z")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout_bytes) < 40_000
    assert "aaaaaaaaaa" not in result.stdout and "bbbbbbbbbb" not in result.stdout
    assert all(f"Story {n} of a long day" in result.stdout for n in range(5))  # the stories stay, without links
    assert canonical_url("https://news.example.org/" + "a" * 5000) == ""
    assert canonical_url("https://news.example.org/" + "a" * 3000).endswith("a" * 3000)
