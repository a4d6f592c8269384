"""Plain text out of small HTML (titles, captions), and the feeds a web page advertises."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import (
    urljoin,
)

from ..text import clean_text

# ---------------------------------------------------------------- HTML

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "table", "tr", "figure", "figcaption", "hr", "dl", "dt", "dd",
}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "figcaption"):
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "figcaption"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """HTML -> plain text with paragraphs kept as blank-line-separated blocks.

    Figure captions are left out: they describe the picture, not the story.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return clean_text(markup)
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except (AssertionError, ValueError):  # html.parser on "<![" and other marked sections it cannot read
        return clean_text(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    blocks = "".join(extractor.parts).split("\n\n")
    return "\n\n".join(filter(None, (clean_text(block) for block in blocks)))


def _alternate_feed_link(body: bytes, url: str) -> str | None:
    """The feed a web page points to with <link rel="alternate" type=...>."""
    found = find_feed_links(body[:262144].decode("utf-8", "replace"), url)
    return found[0] if found else None


class _AlternateLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "link":
            return
        found = {k.lower(): (v or "") for k, v in attrs}
        rels = found.get("rel", "").lower().split()
        kind = found.get("type", "").lower()
        if "alternate" in rels and kind in _FEED_TYPES and found.get("href"):
            self.links.append(found["href"])


_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")


def find_feed_links(page: str, url: str) -> list[str]:
    """Feed URLs a web page advertises, absolute, in page order."""
    parser = _AlternateLinks()
    try:
        parser.feed(page)
    except Exception:  # a broken page simply advertises nothing
        return []
    return [urljoin(url, href) for href in parser.links]
