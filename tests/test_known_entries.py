"""Known entries cost nearly nothing (sources/known.py): an entry whose raw
bytes are what the last parse saw is skipped unread; every edit of an
entry (title, text, picture, date) has it read in full; and what depends on
the whole feed is still right when most entries are skipped.

The edits are made here, on one entry of a vendored capture
(tests/data/feeds/, provenance in its README): the edited sibling is the
capture with that one entry changed as its publisher would change it.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import rss, rss_item, write_config
from loopback import Handler, respond

from digest.sources import parse
from digest.sources.parse import parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
GUARDIAN = FEEDS / "rss2" / "guardian-international.rss"  # RSS 2.0, media:content pictures with credits
GRUBER = FEEDS / "atom" / "daringfireball.atom"  # Atom 1.0, HTML content


def edited(body: bytes, tag: str, index: int, *changes: tuple[str, str]) -> bytes:
    """The capture with each (old, new) of `changes` made inside its index-th <tag> element only."""
    text = body.decode("utf-8")
    spans = [m.span() for m in re.finditer(rf"<{tag}>.*?</{tag}>", text, re.DOTALL)]
    start, end = spans[index]
    entry = text[start:end]
    for old, new in changes:
        assert old in entry, f"{old!r} not in entry {index}"
        entry = entry.replace(old, new)
    return (text[:start] + entry + text[end:]).encode("utf-8")


def read(body: bytes, known=None, url: str = "https://feeds.example/feed.xml"):
    return parse_feed(body, url, "application/xml", known=known)


# The third Guardian item, as the capture has it, and as its publisher would edit it.
GUARDIAN_EDITS = {
    "title": [("about Trump plan to release controversial memo</title>",
               "about Trump plan to release disputed memo</title>")],
    "text": [("bureau director, Christopher Wray,", "bureau director, Christopher A Wray,")],
    "picture": [("260e41228fa22c34e9244404e74e50c2540b617f/0_0_3000_1800/master/3000.jpg?w=460",
                 "260e41228fa22c34e9244404e74e50c2540b617f/0_0_3000_1800/master/3001.jpg?w=460")],
    "date": [("<pubDate>Wed, 31 Jan 2018 20:00:01 GMT</pubDate>", "<pubDate>Wed, 31 Jan 2018 21:30:00 GMT</pubDate>"),
             ("<dc:date>2018-01-31T20:00:01Z</dc:date>", "<dc:date>2018-01-31T21:30:00Z</dc:date>")],
}
EDITED_TITLE = "FBI has 'grave concerns' about Trump plan to release disputed memo"


def test_the_guardian_edits_name_the_third_item():
    """The edits above are in the third item and nowhere else (else the test tests nothing)."""
    body = GUARDIAN.read_text(encoding="utf-8")
    items = re.findall(r"<item>.*?</item>", body, re.DOTALL)
    for changes in GUARDIAN_EDITS.values():
        for old, _ in changes:
            assert old in items[2] and body.count(old) == 1, old


def test_an_unchanged_refetch_reads_no_entry():
    body = GUARDIAN.read_bytes()
    first = read(body)
    assert len(first.items) == 55 and first.unchanged == 0
    again = read(body, first.known)
    assert again.items == []
    assert again.unchanged == 55
    assert again.title == first.title == "The Guardian"  # the feed's own elements are still read


@pytest.mark.parametrize("kind", list(GUARDIAN_EDITS))
def test_each_edit_of_an_rss_entry_has_it_read_again(kind):
    body = GUARDIAN.read_bytes()
    first = read(body)
    before = next(i for i in first.items if "grave concerns" in i.title)
    after = read(edited(body, "item", 2, *GUARDIAN_EDITS[kind]), first.known)
    assert after.unchanged == 54
    (item,) = after.items
    assert item.key == before.key == "guid:https://www.theguardian.com/us-news/2018/jan/31/fbi-nunes-memo-release-donald-trump"
    if kind == "title":
        assert before.title == "FBI has 'grave concerns' about Trump plan to release controversial memo"
        assert item.title == EDITED_TITLE
    elif kind == "text":
        assert "Christopher A Wray" in item.text and "Christopher A Wray" not in before.text
    elif kind == "picture":
        assert "/master/3000.jpg?w=460" in before.image.url
        assert "/master/3001.jpg?w=460" in item.image.url
        assert item.image.credit == before.image.credit == "Alex Wong/Getty Images"  # "Photograph:" is no name
    else:
        assert before.published == datetime(2018, 1, 31, 20, 0, 1, tzinfo=UTC)
        assert item.published == datetime(2018, 1, 31, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize("kind, old, new", [
    ("title", "<title>The Talk Show: ‘I Do Like Throwing a Baby’</title>",
     "<title>The Talk Show: ‘I Do Like Catching a Baby’</title>"),
    ("text", "special guest John Moltz", "special guest Merlin Mann"),
    ("date", "<published>2017-06-27T00:54:17Z</published>", "<published>2017-06-27T03:00:00Z</published>"),
])
def test_each_edit_of_an_atom_entry_has_it_read_again(kind, old, new):
    body = GRUBER.read_bytes()
    first = read(body)
    entries = len(first.known.entries)
    assert read(body, first.known).items == []
    after = read(edited(body, "entry", 0, (old, new)), first.known)
    assert after.unchanged == entries - 1
    (item,) = after.items
    assert item.key == "guid:tag:daringfireball.net,2017:/linked//6.33853"
    if kind == "title":
        assert item.title == "The Talk Show: ‘I Do Like Catching a Baby’"
    elif kind == "text":
        assert "special guest Merlin Mann" in item.text
    else:
        assert item.published == datetime(2017, 6, 27, 3, 0, tzinfo=UTC)


def test_a_new_entry_is_read_and_the_known_ones_are_not():
    body = GUARDIAN.read_bytes()
    first = read(body)
    text = body.decode("utf-8")
    new = ("<item><title>A story added overnight</title><link>https://www.theguardian.com/world/overnight</link>"
           "<description>&lt;p&gt;What happened while you slept.&lt;/p&gt;</description>"
           "<pubDate>Thu, 01 Feb 2018 06:00:00 GMT</pubDate><guid>https://www.theguardian.com/world/overnight</guid>"
           "</item>")
    at = text.index("<item>")
    after = read((text[:at] + new + text[at:]).encode("utf-8"), first.known)
    assert [i.title for i in after.items] == ["A story added overnight"]
    assert after.unchanged == 55
    assert len(after.known.entries) == 56  # the next fetch knows the new one too


def test_a_changed_feed_context_reads_every_entry_again():
    """An entry's reading depends on its feed (its base, title, byline): the
    same bytes under another feed title are read again."""
    body = GUARDIAN.read_bytes()
    first = read(body)
    renamed = body.replace(b"<title>The Guardian</title>", b"<title>The Guardian World</title>", 1)
    assert renamed != body
    assert len(read(renamed, first.known).items) == 55


# ---------------------------------------------------------------- what depends on the whole feed


def _pictured(n: int, picture: str, date: str = "Thu, 02 Jan 2025 12:00:00 +0000") -> str:
    """An item whose text shows its own photo and `picture`."""
    own = f"https://img.example.org/photo-{n}.jpg"
    return rss_item(f"Story number {n} of the day", f"https://news.example.org/{n}", date=date,
                    body=f'<p>Report {n}.</p><img src="{own}" width="800" height="450">'
                         f'<img src="{picture}" width="600" height="400">')


def test_a_picture_every_item_repeats_stays_the_feeds_when_the_others_are_skipped():
    """The banner on every item is the feed's, not a story's: a new item
    that shows only the banner has no picture, though the items that make
    the banner repeated are skipped unread."""
    banner = "https://img.example.org/support-our-journalism.jpg"
    items = [_pictured(n, banner) for n in range(1, 6)]
    first = read(rss(*items).encode())
    assert banner in first.known.feed_wide
    assert all(i.image.url.startswith("https://img.example.org/photo-") for i in first.items)
    only_banner = rss_item("Story number 6 of the day", "https://news.example.org/6",
                           body=f'<p>Report 6.</p><img src="{banner}" width="600" height="400">')
    after = read(rss(only_banner, *items).encode(), first.known)
    assert after.unchanged == 5
    (item,) = after.items
    assert item.title == "Story number 6 of the day" and item.image is None


def test_a_verdict_that_changes_reads_every_entry_again():
    """Two items share a picture (not yet the feed's); a third and fourth
    showing it make it repeated: every item is read again, so none keeps it."""
    shared = "https://img.example.org/shared-graphic.jpg"
    first = read(rss(*[_pictured(n, shared) for n in (1, 2)]).encode())
    assert shared not in first.known.feed_wide
    after = read(rss(*[_pictured(n, shared) for n in (1, 2, 3, 4)]).encode(), first.known)
    assert after.unchanged == 0 and len(after.items) == 4
    assert shared in after.known.feed_wide


def test_days_only_dates_are_told_over_the_skipped_entries_too():
    midnight = [f"Thu, 0{d} Jan 2025 00:00:00 +0000" for d in (2, 3, 4)]
    items = [rss_item(f"Post of day {d}", f"https://blog.example.org/{d}", date=when)
             for d, when in zip((2, 3, 4), midnight)]
    first = read(rss(*items).encode())
    assert first.known.days_only and all(i.date_only for i in first.items)
    new = rss_item("Post of day 5", "https://blog.example.org/5", date="Sun, 05 Jan 2025 00:00:00 +0000")
    after = read(rss(new, *items).encode(), first.known)
    (item,) = after.items
    assert item.title == "Post of day 5" and item.date_only


# ---------------------------------------------------------------- repeats and the document around an entry

BRIDGE_TEXT = ("The council approved the harbour bridge budget on Tuesday after a long debate about tolls, "
               "the cycle lane and the cost of repairs to the old crossing, which engineers say cannot wait "
               "another winter.")


def test_a_post_republished_at_a_new_address_is_still_one_story():
    """The same title and text under a new guid and /slug-2/ (a publisher
    re-posting it) is a copy of the known post, as when every entry is read:
    the skipped original is read again to tell (hostile review, issue 26)."""
    original = rss_item("Council approves the harbour bridge budget", "https://news.example.org/bridge/",
                        body=f"<p>{BRIDGE_TEXT}</p>")
    others = [rss_item(f"Story number {n} of the day", f"https://news.example.org/{n}", body=f"<p>Report {n}.</p>")
              for n in (1, 2)]
    first = read(rss(original, *others).encode())
    copy = rss_item("Council approves the harbour bridge budget", "https://news.example.org/bridge-2/",
                    date="Thu, 02 Jan 2025 18:00:00 +0000", body=f"<p>{BRIDGE_TEXT}</p>")
    (original_key,) = [i.key for i in first.items if "bridge" in i.title]
    for body in (rss(original, copy, *others).encode(), rss(copy, original, *others).encode()):
        every = read(body)
        (kept,) = [(i.key, i.link) for i in every.items if "bridge" in i.title]
        assert kept[0] == original_key  # the story the reader was sent: the store knows it
        after = read(body, first.known)
        assert [(i.key, i.link) for i in after.items if "bridge" in i.title] == [kept]


def test_a_stub_linking_a_known_post_is_folded_into_it():
    """The sibling: a short "now unlocked" stub under the known post's title, linking it."""
    post = rss_item("Wild flavours all year round", "https://blog.example.org/wild-flavours",
                    body=f"<p>{BRIDGE_TEXT}</p>")
    first = read(rss(post).encode())
    stub = rss_item("Wild flavours all year round", "https://blog.example.org/p/unlocked-123",
                    date="Thu, 02 Jan 2025 18:00:00 +0000",
                    body='<p>This story is now unlocked: <a href="https://blog.example.org/wild-flavours">'
                         "Wild flavours all year round</a></p>")
    body = rss(stub, post).encode()
    every = read(body)
    assert [i.link for i in every.items] == ["https://blog.example.org/wild-flavours"]
    assert [(i.key, i.link) for i in read(body, first.known).items] == [(i.key, i.link) for i in every.items]


def test_marks_stored_without_titles_read_every_entry_once():
    """Marks an older digest stored (three parts, no title) are not trusted:
    the feed is read whole once, and its new marks carry titles."""
    from digest.store import _known_entries, _known_json

    body = GUARDIAN.read_bytes()
    first = read(body)
    stored = _known_json(first.known)
    assert _known_entries(stored) == first.known
    old = re.sub(r',"[0-9a-f]{16}"\]', "]", stored)
    assert old != stored and _known_entries(old) is None
    assert len(read(body, None).items) == 55


@pytest.mark.parametrize("old, new", [
    ('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example.org/blog/">',
     '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://b.example.org/news/">'),
    ('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example.org/blog/">',
     '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example.org/blog/" xml:lang="de">'),
])
def test_a_new_base_above_the_entries_reads_them_again(old, new):
    """xml:base (or xml:lang) on the feed is not in an entry's bytes, but
    its links and pictures are resolved against it."""
    atom = (old + "<title>Base</title><id>urn:base</id><updated>2025-01-02T12:00:00Z</updated>"
            '<link href="https://a.example.org/"/>'
            + "".join(f"<entry><id>urn:e{n}</id><title>Post {n}</title><updated>2025-01-02T12:00:00Z</updated>"
                      f'<link href="posts/{n}"/><content type="html">&lt;p&gt;Text {n}.&lt;/p&gt;'
                      f'&lt;img src="img/{n}.jpg" width="800" height="450"&gt;</content></entry>' for n in (1, 2))
            + "</feed>")
    first = read(atom.encode())
    assert [i.link for i in first.items] == ["https://a.example.org/blog/posts/1", "https://a.example.org/blog/posts/2"]
    moved = atom.replace(old, new).encode()
    after = read(moved, first.known)
    every = read(moved)
    assert after.unchanged == 0
    assert [(i.link, i.image.url) for i in after.items] == [(i.link, i.image.url) for i in every.items]


def test_a_new_base_on_an_rss_channel_reads_its_items_again():
    channel = '<channel xml:base="https://a.example.org/">'
    body = rss(rss_item("Post one", "posts/1", body='<p>Text.</p><img src="img/1.jpg" width="800" height="450">'))
    body = body.replace("<channel>", channel)
    first = read(body.encode())
    assert first.items[0].link == "https://a.example.org/posts/1"
    moved = body.replace(channel, '<channel xml:base="https://b.example.org/">').encode()
    (item,) = read(moved, first.known).items
    assert item.link == "https://b.example.org/posts/1"
    assert item.image.url == "https://b.example.org/posts/img/1.jpg"  # against the item's own link


# ---------------------------------------------------------------- fetch, store, fetch


def test_a_morning_fetch_reads_only_the_edited_entry_and_the_store_has_the_edit(server, invoke, tmp_path, monkeypatch):
    """Over HTTP and SQLite: the feed moves on (new ETag, whole document,
    one entry's title edited); the second fetch reads that entry alone and
    the store holds the new title."""
    body = GUARDIAN.read_bytes()
    versions = {"current": (body, '"v1"')}

    def route(handler: Handler) -> int:
        data, etag = versions["current"]
        if handler.headers.get("If-None-Match") == etag:
            return respond(handler, 304)
        return respond(handler, 200, data, {"ETag": etag})

    server.routes["/guardian.rss"] = route
    url = server.url("/guardian.rss")
    config = write_config(tmp_path, f'title = "T"\ntimezone = "UTC"\n[email]\nfrom = "b@example.org"\n'
                                    f'to = ["me@example.org"]\n[[feeds]]\nurl = "{url}"\n')
    read_entries = []
    real = parse.entry_parts
    monkeypatch.setattr(parse, "entry_parts", lambda entry, feed: read_entries.append(entry) or real(entry, feed))

    first = invoke("fetch", "--config", str(config), "--now", "2018-02-01T08:00:00Z")
    assert first.exit_code == 0, first.stderr
    assert len(read_entries) == 55
    versions["current"] = (edited(body, "item", 2, *GUARDIAN_EDITS["title"]), '"v2"')
    read_entries.clear()
    second = invoke("fetch", "--config", str(config), "--now", "2018-02-02T08:00:00Z")
    assert second.exit_code == 0, second.stderr
    assert [hit.status for hit in server.hits] == [200, 200]
    assert [e["title"] for e in read_entries] == [EDITED_TITLE]
    with sqlite3.connect(tmp_path / "state.db") as db:
        titles = [row[0] for row in db.execute("SELECT title FROM items WHERE feed_url = ?", (url,))]
    assert len(titles) == 55
    assert EDITED_TITLE in titles
    assert "FBI has 'grave concerns' about Trump plan to release controversial memo" not in titles
