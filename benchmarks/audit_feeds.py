"""The reader audit's own reading of a feed file: what each entry really
carries (links, guid, origLink, raw author strings, media, the <img>,
<figure> and <figcaption> of its HTML, its text), independent of digest.

benchmarks/audit.py runs this file as a child process (`read_feeds`), so
that its feedparser, taught here to keep media:description apart, is never
the one digest runs with in the audit's own process: the audit must
measure digest as it is.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\]\s*)?>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE | re.DOTALL)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Channel-level elements that name a person or desk, read from the bytes
# before the first item: feedparser folds several of them into feed.author.
_CHANNEL_AUTHORS = {
    "managingEditor": re.compile(r"<managingEditor>\s*(.*?)\s*</managingEditor>", re.S | re.I),
    "webMaster": re.compile(r"<webMaster>\s*(.*?)\s*</webMaster>", re.S | re.I),
    "dc:publisher": re.compile(r"<dc:publisher>\s*(.*?)\s*</dc:publisher>", re.S | re.I),
    "dc:creator": re.compile(r"<dc:creator>\s*(.*?)\s*</dc:creator>", re.S | re.I),
    "itunes:author": re.compile(r"<itunes:author>\s*(.*?)\s*</itunes:author>", re.S | re.I),
    "author": re.compile(r"<author>\s*(?:<name>)?\s*(.*?)\s*(?:</name>.*?)?</author>", re.S | re.I),
}
_FIRST_ITEM = re.compile(r"<(?:item|entry)[\s>]", re.I)


def fold(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _feedparser():
    """feedparser with media:description under its own key (stock
    feedparser files it as the summary or the content, whichever is free).

    digest/sources/parse.py patches feedparser the same way today; this is a copy on
    purpose, not an import: the audit's reading of the feeds is the yardstick
    for digest's, and must stay put while issue 12 rewrites digest's."""
    import feedparser
    from feedparser.namespaces import mediarss

    def start(self, attrs_d):
        self.push_content("media_description", attrs_d, "text/plain", 1)

    def end(self):
        self.pop_content("media_description")

    mediarss.Namespace._start_media_description = start
    mediarss.Namespace._end_media_description = end
    return feedparser


def _readable_bytes(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    if b"<!" in body:
        body = _ENTITY_DECL.sub(b"", _DOCTYPE.sub(b"", body))
    if not _XML_ENCODING.match(body[:512]):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            guess = from_bytes(body[:65536]).best()
            if guess is not None:
                body = body.decode(guess.encoding, errors="replace").encode("utf-8")
    return body


class _HtmlFacts(HTMLParser):
    """Images (with whether they sit in a <figure> or a link), figcaption
    texts, and the text outside captions, of one HTML fragment."""

    _BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "figure", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[dict] = []
        self.captions: list[str] = []
        self.text: list[str] = []
        self._caption: list[str] | None = None
        self._figure = 0
        self._links: list[str] = []  # hrefs of the open <a> elements
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        found = {name: value or "" for name, value in attrs}
        if tag == "img" and found.get("src"):
            self.images.append({
                "src": found["src"], "width": found.get("width", ""), "height": found.get("height", ""),
                "alt": found.get("alt", ""), "class": found.get("class", ""),
                "in_figure": bool(self._figure), "link": self._links[-1] if self._links else "",
            })
        elif tag == "figure":
            self._figure += 1
        elif tag == "a":
            self._links.append(found.get("href", ""))
        elif tag == "figcaption":
            self._caption = []
        elif tag in ("script", "style"):
            self._skip += 1
        if tag in self._BLOCKS:
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag == "figure":
            self._figure = max(0, self._figure - 1)
        elif tag == "a" and self._links:
            self._links.pop()
        elif tag == "figcaption" and self._caption is not None:
            caption = fold("".join(self._caption))
            if caption:
                self.captions.append(caption)
            self._caption = None
        elif tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag in self._BLOCKS:
            self.text.append("\n")

    def handle_data(self, data):
        if self._skip:
            return
        if self._caption is not None:
            self._caption.append(data)
        else:
            self.text.append(data)


def html_facts(markup: str) -> dict:
    parser = _HtmlFacts()
    try:
        parser.feed(markup or "")
        parser.close()
    except Exception:  # a broken fragment: what was read so far stands
        pass
    paragraphs = [fold(p) for p in "".join(parser.text).split("\n")]
    return {"images": parser.images, "captions": parser.captions, "text": "\n".join(p for p in paragraphs if p)}


def plain(value: str) -> str:
    if "<" in (value or "") or "&" in (value or ""):
        return fold(html_facts(value)["text"].replace("\n", " "))
    return fold(value)


def _media(entry) -> list[dict]:
    found = []
    for source in ("media_content", "media_thumbnail"):
        for m in entry.get(source, []) or []:
            found.append({"source": source, "url": m.get("url", ""), "width": m.get("width", ""),
                          "height": m.get("height", ""), "medium": m.get("medium", ""), "type": m.get("type", "")})
    for e in entry.get("enclosures", []) or []:
        found.append({"source": "enclosure", "url": e.get("href", ""), "width": "", "height": "",
                      "medium": "", "type": e.get("type", "")})
    return found


def _entry(entry) -> dict:
    values = []
    for detail in list(entry.get("content", []) or []) + [entry.get("summary_detail")]:
        if detail and detail.get("value"):
            values.append(detail["value"] if detail.get("type") != "text/plain" else html.escape(detail["value"]))
    facts = [html_facts(v) for v in values]
    caption = fold(entry.get("media_description", ""))
    texts = [f["text"] for f in facts]
    return {
        "title": plain(entry.get("title", "")),
        "link": fold(entry.get("link", "")) if not any(
            link.get("rel") == "enclosure" and link.get("href") == entry.get("link") for link in entry.get("links", []) or []
        ) else "",
        # The entry's own web links (an enclosure's media URL is no link to the story).
        "links": [fold(link.get("href", "")) for link in entry.get("links", []) or []
                  if link.get("href") and link.get("rel", "alternate") == "alternate"],
        "enclosures": sorted(fold(e.get("href", "")) for e in entry.get("enclosures", []) or [] if e.get("href")),
        "guid": fold(entry.get("id", "")),
        "guid_is_link": bool(entry.get("guidislink")),
        "origlink": fold(entry.get("feedburner_origlink", "")),
        "authors": _authors(entry),
        "media": _media(entry),
        "media_description": caption,
        "credit": fold(entry.get("credit", "")),
        "images": [img for f in facts for img in f["images"]],
        "captions": list(dict.fromkeys(c for f in facts for c in f["captions"])),
        "text": max(texts, key=len, default=""),
        "html": max(values, key=len, default=""),
        # Issue 22: what a card's length and date are read from.
        "itunes_duration": fold(str(entry.get("itunes_duration", "") or "")),
        "media_durations": [fold(str(m.get("duration"))) for m in entry.get("media_content", []) or [] if m.get("duration")],
        "media_types": sorted({fold(m.get("type", "") or m.get("medium", "") or "")
                               for m in [*(entry.get("enclosures", []) or []), *(entry.get("media_content", []) or [])]} - {""}),
        "youtube": bool(entry.get("yt_videoid")),
        "date_raw": fold(dict.get(entry, "published") or dict.get(entry, "updated") or ""),
    }


def _authors(entry) -> list[str]:
    """The entry's author strings as the feed wrote them. feedparser's
    `authors` names are parsed out of the raw `author` string and can be cut
    at the wrong place ("ple (José Núñez" of "jose@diario.example (José
    Núñez)"), so a name counts only as a whole-word part of that string,
    or when that string is one of the names (Atom's <author><name>s)."""
    raw = fold(entry.get("author", ""))
    names = [fold(a.get("name", "")) for a in entry.get("authors", []) or []]
    if not raw or raw in names:  # Atom's <name>s: feedparser copied them as they are
        return list(dict.fromkeys(n for n in names if n)) or ([raw] if raw else [])
    kept = [n for n in names if n and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", raw)]
    return list(dict.fromkeys([raw, *kept]))


def _channel_authors(text: str) -> dict[str, str]:
    head = text[: _FIRST_ITEM.search(text).start()] if _FIRST_ITEM.search(text) else text
    found = {}
    for name, pattern in _CHANNEL_AUTHORS.items():
        match = pattern.search(head)
        if match:
            value = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", match.group(1), flags=re.S)
            value = plain(value)
            if value:
                found[name] = value
    return found


def read_feed(path: str) -> dict:
    """Everything the detectors compare digest's stories with, as plain data
    (it crosses a process boundary)."""
    body = _readable_bytes(Path(path).read_bytes())
    parsed = _feedparser().parse(body, sanitize_html=False, resolve_relative_uris=False)
    encoding = parsed.get("encoding") or "utf-8"
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    feed = parsed.feed
    return {
        "path": path,
        "version": parsed.get("version", ""),
        "title": plain(feed.get("title", "")),
        "link": fold(feed.get("link", "")),
        "author": plain(feed.get("author", "")),
        "channel_authors": _channel_authors(text),
        "entries": [_entry(e) for e in parsed.entries],
    }


def read_feeds(paths: list[Path]) -> list[dict]:
    """read_feed of every file, in a child process of its own."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, __file__, *map(str, paths)], capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"reading the feeds failed: {done.stderr.decode(errors='replace').strip()[-500:]}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    import sys

    sys.stdout.write(json.dumps([read_feed(path) for path in sys.argv[1:]], ensure_ascii=False))
