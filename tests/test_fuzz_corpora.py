"""Every captured feed goes through parse + sanitize without an unhandled
exception or active content: the whole of ../shared (the real-world
captures and feedparser's own test suite) when it is beside the checkout,
else the captures vendored in tests/data/feeds."""

from __future__ import annotations

from pathlib import Path

from conftest import FEEDPARSER_TESTS, FEEDS
from digest.errors import FeedError
from digest.sources.parse import parse_feed
from test_properties import active_content


def corpus_files(roots: list[Path]) -> list[Path]:
    return sorted(
        path for root in roots if root.is_dir() for path in root.rglob("*")
        if path.is_file() and path.suffix != ".md" and path.name not in ("SHA256SUMS", "LICENSE")
        and "licenses" not in path.parts
    )


def sweep(files: list[Path]) -> dict[str, int]:
    outcomes = {"items": 0, "feeds": 0, "rejected": 0}
    for path in files:
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
    return outcomes


def test_every_captured_feed_parses_or_fails_cleanly():
    # The vendored copies (test_vendored: byte for byte ../shared's), so a
    # bare clone sweeps the same 2,200 files as CI.
    files, least_files, least_items = corpus_files([FEEDS, FEEDPARSER_TESTS]), 2000, 3000
    outcomes = sweep(files)
    assert len(files) >= least_files, len(files)
    # Nearly everything there is a feed; a handful are deliberately not.
    assert outcomes["rejected"] < 0.02 * len(files), outcomes
    assert outcomes["items"] > least_items, outcomes
