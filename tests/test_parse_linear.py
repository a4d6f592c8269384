"""Parsing one feed costs time in proportion to its bytes (issue 23, class
1): siblings of a vendored capture (tests/data/feeds/, provenance in its
README) with what made the parse path quadratic. Each took digest more than
10 s before (92 s for the first at 520 KB); each is parsed here in a child
process that is given 10 s, and must still give the capture's 55 items.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.sources.parse import without_declarations

GUARDIAN = Path(__file__).parent / "data" / "feeds" / "rss2" / "guardian-international.rss"
CHILD = """
import sys
from digest.sources.parse import parse_feed
parsed = parse_feed(sys.stdin.buffer.read(), "https://feeds.example/guardian.rss", "application/rss+xml")
print(len(parsed.items))
"""


def _guardian() -> bytes:
    return GUARDIAN.read_bytes()


def _unclosed_tags(count: int) -> str:
    return "&lt;a" * count  # "<a<a<a...": html.parser rescanned the rest at every "<a"


SIBLINGS = {
    # After the document: a DOCTYPE opening an internal subset that never
    # closes, 47,000 times (no "]" after any of them).
    "doctype without ]": lambda: _guardian() + b"<!DOCTYPE [" * 47_000,
    # Entity declarations that never end (no ">" after any of them).
    "entity without >": lambda: _guardian() + b"<!ENTITY " * 58_000,
    # The channel's title: 100,000 unclosed tags.
    "channel title": lambda: _guardian().replace(
        b"<title>The Guardian</title>", f"<title>{_unclosed_tags(50_000)}</title>".encode(), 1),
    # An item's author string: 100,000 unclosed tags.
    "author": lambda: _guardian().replace(
        b"<dc:creator>David Smith in Washington</dc:creator>",
        f"<dc:creator>{_unclosed_tags(50_000)}</dc:creator>".encode(), 1),
}


@pytest.mark.parametrize("name", list(SIBLINGS))
def test_a_hostile_sibling_of_a_capture_parses_in_time_with_its_items(name):
    body = SIBLINGS[name]()
    assert body != _guardian()
    done = subprocess.run([sys.executable, "-c", CHILD], input=body, capture_output=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr.decode()[-500:]
    assert done.stdout.decode().strip() == "55"


@pytest.mark.parametrize("body, kept", [
    (b"<?xml version='1.0'?><!DOCTYPE rss><rss/>", b"<?xml version='1.0'?><rss/>"),
    (b'<!DOCTYPE rss [<!ENTITY a "x&gt;y">]><rss>&a;</rss>', b"<rss>&a;</rss>"),
    (b'<!doctype rss [ <!ENTITY big "..."> ] ><rss/>', b"<rss/>"),
    (b'<rss><!ENTITY a "b"><item/></rss>', b"<rss><item/></rss>"),
    (b"<rss><item/></rss><!DOCTYPE [<!DOCTYPE [", b"<rss><item/></rss>"),  # never ends: the rest goes
    (b"<rss><item/></rss><!ENTITY <!ENTITY ", b"<rss><item/></rss>"),
    (b"<rss><![CDATA[a]]></rss>", b"<rss><![CDATA[a]]></rss>"),  # no declaration: untouched
])
def test_declarations_are_cut_and_nothing_else(body, kept):
    assert without_declarations(body) == kept
