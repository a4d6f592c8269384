"""The lxml reader (digest/sources/xmlfeed.py) against feedparser itself: wherever it
takes a body, parse_feed gives the same ParsedFeed, Item by Item and field
by field, as with feedparser alone; it takes most well-formed feeds; and it
refuses, or reads within bounds, what is hostile. The entries direct.py maps
straight from the tree are the replay's dicts, key by key, and most of the
vendored RSS 2.0 and Atom 1.0 entries are mapped so."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import FEEDPARSER_TESTS, FEEDS, rss, rss_item
from test_fuzz_corpora import corpus_files

from digest.sources import parse as parse_module
from digest.sources import xmlfeed
from digest.errors import FeedError
from digest.sources.parse import MAX_TITLE_CHARS, parse_feed


def outcome(body: bytes, url: str, content_type: str, fast: bool):
    """parse_feed's ParsedFeed, or the FeedError it raised, as comparable data."""
    try:
        return parse_feed(body, url, content_type, fast=fast)
    except FeedError as error:
        return ("FeedError", str(error))


def differences(slow, fast) -> list[str]:
    """Where two parse_feed outcomes differ: the feed field, or the item index and field."""
    if isinstance(slow, tuple) or isinstance(fast, tuple):
        return [] if slow == fast else [f"outcome: {slow!r:.200} != {fast!r:.200}"]
    found = [f"feed {name}: {getattr(slow, name)!r:.200} != {getattr(fast, name)!r:.200}"
             for name in ("title", "link", "warning") if getattr(slow, name) != getattr(fast, name)]
    if len(slow.items) != len(fast.items):
        return [*found, f"items: {len(slow.items)} != {len(fast.items)}"]
    for index, (a, b) in enumerate(zip(slow.items, fast.items)):
        found += [f"item {index} {field.name}: {getattr(a, field.name)!r:.200} != {getattr(b, field.name)!r:.200}"
                  for field in dataclasses.fields(a) if getattr(a, field.name) != getattr(b, field.name)]
    return found


def taken(body: bytes, url: str, content_type: str) -> bool:
    """Whether the lxml reader accepts the bytes parse_feed hands it."""
    parse_module._feedparser()
    return xmlfeed.parse(*parse_module.parser_input(body, url, content_type)[:2]) is not None


def well_formed_feed(body: bytes) -> bool:
    """feedparser's own verdict: its strict parser read a feed it knows, with no complaint."""
    parsed = parse_module._feedparser().parse(body, sanitize_html=False, resolve_relative_uris=False,
                                              response_headers={"content-type": "application/xml"})
    return not parsed.get("bozo") and bool(parsed.get("version"))


def replayed_only(monkeypatch_context, body: bytes, headers: dict):
    """xmlfeed.parse with direct.py's mapping off: every entry replayed into feedparser's handlers."""
    with monkeypatch_context() as patch:
        patch.setattr(xmlfeed, "_mapped_directly", lambda *args: {})
        return xmlfeed.parse(body, headers)


def direct_differences(body: bytes, url: str, counts: dict) -> list[str]:
    """Where xmlfeed.parse's result (some entries mapped by direct.py) and the
    replay of every entry differ: the feed dict, or an entry's key. Counts
    the entries of RSS 2.0 / Atom 1.0 feeds and those mapped directly."""
    body, headers = parse_module.parser_input(body, url, "application/xml")[:2]
    fast = xmlfeed.parse(body, headers)
    if fast is None:
        return []
    slow = replayed_only(pytest.MonkeyPatch.context, body, headers)
    if fast.get("version") in ("rss20", "atom10"):
        counts["rss2_atom_entries"] += len(slow.entries)
        counts["rss2_atom_direct"] += fast["direct"]
    counts["direct"] += fast["direct"]
    found = [f"feed {key}" for key in sorted(set(fast.feed) | set(slow.feed))
             if dict.get(fast.feed, key) != dict.get(slow.feed, key)]
    if len(fast.entries) != len(slow.entries):
        return [*found, f"entries: {len(fast.entries)} != {len(slow.entries)}"]
    for index, (a, b) in enumerate(zip(fast.entries, slow.entries)):
        found += [f"entry {index} {key}: {dict.get(a, key)!r:.120} != {dict.get(b, key)!r:.120}"
                  for key in sorted(set(a) | set(b)) if dict.get(a, key) != dict.get(b, key)]
    return found


def sweep(files: list[Path]) -> dict:
    counts = {"files": 0, "taken": 0, "well_formed": 0, "well_formed_taken": 0, "direct": 0,
              "rss2_atom_entries": 0, "rss2_atom_direct": 0}
    failures = []
    for path in files:
        body = path.read_bytes()
        url = f"https://example.org/{path.name}"
        counts["files"] += 1
        accepted = bool(body.strip()) and taken(body, url, "application/xml")
        if well_formed_feed(body):
            counts["well_formed"] += 1
            counts["well_formed_taken"] += accepted
        if not accepted:
            continue
        counts["taken"] += 1
        failures += [f"{path}: direct: {line}" for line in direct_differences(body, url, counts)]
        found = differences(outcome(body, url, "application/xml", fast=False),
                            outcome(body, url, "application/xml", fast=True))
        failures += [f"{path}: {line}" for line in found]
    assert not failures, "\n".join(failures[:40])
    return counts


def test_vendored_captures_read_the_same_and_mostly_taken():
    counts = sweep(corpus_files([FEEDS]))
    print(counts)
    assert counts["files"] >= 95, counts
    # Taken: every feed feedparser's strict parser reads without complaint
    # but for a handful (a DOCTYPE, a charset feedparser overrides).
    assert counts["well_formed_taken"] >= 0.9 * counts["well_formed"] >= 0.6 * counts["files"], counts
    # Mapped straight from the tree (direct.py): most RSS 2.0 and Atom 1.0
    # entries; the rest (unknown namespaces, xml:base inside, xhtml) replayed.
    assert counts["rss2_atom_direct"] >= 0.8 * counts["rss2_atom_entries"] >= 0.8 * 2000, counts


def test_feedparser_test_suite_reads_the_same_and_mostly_taken():
    counts = sweep(corpus_files([FEEDPARSER_TESTS]))
    print(counts)
    assert counts["files"] >= 2000, counts
    assert counts["well_formed_taken"] >= 0.9 * counts["well_formed"] >= 0.5 * counts["files"], counts
    assert counts["direct"] >= 400, counts  # feedparser's own cases exercise the mapping too


GOOD = rss(rss_item("Bridge plan approved", "https://example.org/a", body="<p>The council voted.</p>"),
           rss_item("Rates held", "https://example.org/b", extra='<media:content url="https://example.org/b.jpg" '
                    'medium="image"><media:description>The bank</media:description></media:content>'))

REFUSED = {
    "bare ampersand": GOOD.replace("Bridge plan", "Bridge & plan"),
    "undefined entity": GOOD.replace("Bridge plan", "Bridge&nbsp;plan"),
    "truncated": GOOD[: len(GOOD) // 2],
    "blank line before the declaration": "\n" + GOOD,
    "undeclared prefix": GOOD.replace("<title>Rates held", "<foo:bar>x</foo:bar><title>Rates held"),
    "not a feed": '<?xml version="1.0"?><html><body><p>hello</p></body></html>',
}


# The reader refuses any declaration itself; parse_feed has already cut
# them out before either parser sees the bytes (what is left is read alike).
DECLARED = {
    "internal DTD": GOOD.replace("<rss ", '<!DOCTYPE rss [<!ENTITY x "y">]><rss ', 1),
    "external DTD": GOOD.replace("<rss ", '<!DOCTYPE rss SYSTEM "http://example.org/rss.dtd"><rss ', 1),
    "entity used": GOOD.replace("<rss ", '<!DOCTYPE rss [<!ENTITY x "y">]><rss ', 1).replace("Rates held", "&x;"),
}


@pytest.mark.parametrize("case", sorted(DECLARED))
def test_declarations_are_refused_by_the_reader(case):
    body = DECLARED[case].encode()
    assert xmlfeed.parse(body, {"content-type": "application/rss+xml"}) is None
    assert differences(outcome(body, "https://example.org/feed", "application/rss+xml", fast=False),
                       outcome(body, "https://example.org/feed", "application/rss+xml", fast=True)) == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_bodies_go_to_feedparser_with_the_same_result(case):
    body = REFUSED[case].encode()
    assert xmlfeed.parse(body, {"content-type": "application/rss+xml"}) is None
    assert not taken(body, "https://example.org/feed", "application/rss+xml")
    assert differences(outcome(body, "https://example.org/feed", "application/rss+xml", fast=False),
                       outcome(body, "https://example.org/feed", "application/rss+xml", fast=True)) == []


@pytest.mark.parametrize("content_type, declaration, refused", [
    ("application/rss+xml", "utf-8", False),
    ("", "utf-8", False),
    ("application/rss+xml; charset=utf-8", "utf-8", False),
    ("text/html; charset=utf-8", "utf-8", True),  # not an XML media type: feedparser's bozo
    ("application/rss+xml; charset=iso-8859-1", "utf-8", False),  # the header wins, as RFC 3023 says
    ("text/xml", "utf-8", True),  # text/xml without charset is US-ASCII: these bytes are not
])
def test_encodings_feedparser_decides_otherwise_are_refused(content_type, declaration, refused):
    body = GOOD.replace('encoding="UTF-8"', f'encoding="{declaration}"').replace("Rates held", "Zinsen gehalten: Ü").encode()
    assert (xmlfeed.parse(body, {"content-type": content_type} if content_type else {}) is None) is refused
    assert differences(outcome(body, "https://example.org/feed", content_type, fast=False),
                       outcome(body, "https://example.org/feed", content_type, fast=True)) == []


def test_good_feed_is_taken_and_equal():
    body = GOOD.encode()
    assert taken(body, "https://example.org/feed", "application/rss+xml")
    fast = parse_feed(body, "https://example.org/feed", "application/rss+xml")
    assert [item.title for item in fast.items] == ["Bridge plan approved", "Rates held"]
    assert fast.items[1].image is not None and fast.items[1].image.caption == "The bank"
    assert differences(parse_feed(body, "https://example.org/feed", "application/rss+xml", fast=False), fast) == []


def laughs(levels: int = 9) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>t</title>'
            f"<item><title>&lol{levels};</title><link>https://example.org/a</link></item></channel></rss>").encode()


def test_billion_laughs_and_external_entities_are_refused():
    external = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0">'
                "<channel><title>&xxe;</title><item><title>a &xxe;</title><link>https://example.org/a</link>"
                "</item></channel></rss>").encode()
    for body in (laughs(), external):
        assert xmlfeed.parse(body, {}) is None  # the declaration alone is enough
        assert not taken(body, "https://example.org/feed", "application/rss+xml")
        feed = parse_feed(body, "https://example.org/feed", "application/rss+xml")
        assert all("lollol" not in item.title and "root:" not in item.title for item in feed.items)
    # The reader looks for declarations after decoding: UTF-16 hides none.
    assert xmlfeed.parse(laughs().decode().encode("utf-16"), {}) is None
    assert xmlfeed.parse(GOOD.replace('encoding="UTF-8"', 'encoding="utf-16"').encode("utf-16"), {}) is not None


class CountingCharacters:
    """How many text events the reader replays (expat sends one per run of
    text between entity references: thousands for an escaped title)."""

    def __init__(self, monkeypatch):
        self.calls = 0
        handler = xmlfeed._handler_class()
        original = handler.characters

        def characters(parser, text):
            self.calls += 1
            return original(parser, text)

        monkeypatch.setattr(handler, "characters", characters)


def test_megabyte_title_is_one_text_event_and_cut(monkeypatch):
    title = "Council &amp; mayor &lt;b&gt;agree&lt;/b&gt; " * 25_000  # ~1 MB of escaped markup
    body = rss(rss_item(title, "https://example.org/a")).encode()
    counter = CountingCharacters(monkeypatch)
    fast = parse_feed(body, "https://example.org/feed", "application/rss+xml")
    assert counter.calls < 40  # one per text node of the whole document, not one per entity
    assert len(fast.items) == 1 and len(fast.items[0].title) <= MAX_TITLE_CHARS + 1
    assert differences(parse_feed(body, "https://example.org/feed", "application/rss+xml", fast=False), fast) == []


def test_five_thousand_items_cost_a_bounded_number_of_events(monkeypatch):
    items = [rss_item(f"Story {n} about the bridge", f"https://example.org/{n}", body=f"<p>Text {n} &amp; more.</p>")
             for n in range(5000)]
    body = rss(*items).encode()
    counter = CountingCharacters(monkeypatch)
    fast = parse_feed(body, "https://example.org/feed", "application/rss+xml")
    assert len(fast.items) == 5000
    # Each item: its title, link, date, description and the whitespace-free
    # gaps between them; a constant per item, whatever its text holds.
    assert counter.calls <= 5 * 5000 + 10, counter.calls
    slow = parse_feed(body, "https://example.org/feed", "application/rss+xml", fast=False)
    assert differences(slow, fast) == []
