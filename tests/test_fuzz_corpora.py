"""Every captured feed (feedparser's test suite and the real-world set) goes
through parse + sanitize without an unhandled exception or active content."""

from __future__ import annotations


import pytest

from conftest import SHARED_FEEDS
from digest.errors import FeedError
from digest.parse import parse_feed
from test_properties import active_content

CORPORA = [SHARED_FEEDS, SHARED_FEEDS.parent / "feedparser-tests"]
FILES = sorted(
    path for root in CORPORA if root.is_dir() for path in root.rglob("*")
    if path.is_file() and path.suffix != ".md" and "licenses" not in path.parts
)


@pytest.mark.skipif(not FILES, reason="../shared is not next to the checkout")
def test_every_captured_feed_parses_or_fails_cleanly():
    outcomes = {"items": 0, "feeds": 0, "rejected": 0}
    for path in FILES:
        try:
            feed = parse_feed(path.read_bytes(), f"https://example.org/{path.name}", "application/xml")
        except FeedError:
            outcomes["rejected"] += 1
            continue
        outcomes["feeds"] += 1
        for item in feed.items:
            outcomes["items"] += 1
            found = active_content(item.content_html)
            assert found == [], f"{path}: {found}"
            assert "\x00" not in item.title + item.text
    assert len(FILES) > 2000
    # Nearly everything there is a feed; a handful are deliberately not.
    assert outcomes["rejected"] < 0.02 * len(FILES), outcomes
    assert outcomes["items"] > 3000, outcomes
