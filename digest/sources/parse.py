"""Feed bytes -> Items: feedparser, item identity, links, bylines, dates.

feedparser runs with its own sanitizer and relative-URI resolver off (they
are slow and its sanitizer keeps forms, SVG and tracking pixels). Each
entry's HTML is taken apart by extract.py (text blocks, the picture, its
caption and credit; sanitizing for the store); here are the entry's
identity, its canonical link, its byline and its date. Control characters
are stripped from every string, because the MJML compiler rejects them.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import FeedError
from ..models import UNTITLED, EntryMark, Item, KnownEntries
from ..text import clean_text, key_text, repair_text, strip_control
from . import xmlfeed
from .blocks import Candidate, Taken, clean_credit
from .boilerplate import complete_over_cut, is_excerpt, lead_blocks, story_blocks, text_words
from .bylines import Publisher, _channel_byline, byline, text_byline
from .dates import day_in_link, entry_stamp, feed_zone
from .extract import take_apart_html, take_apart_text
from .htmltext import _alternate_feed_link, html_to_text
from .known import EntrySieve
from .links import _is_web_url, canonical_url, resolved_url, uncounted_media, unwrapped_link
from .media import (
    _first,
    _local_picture_folder,
    _media_pictures,
    canonical_image_url,
    duration_seconds,
    is_audio_or_video,
)
from .papers import is_paper_abstract
from .pictures import choose_picture, feed_wide_pictures
from .sanitize import sanitize_html


@dataclass
class ParsedFeed:
    title: str
    link: str  # the channel's own web site (<link>, made absolute), or ""
    items: list[Item]
    warning: str | None = None  # feedparser's bozo message when items survived
    # What the store remembers of the entries for the next fetch (None: the
    # feed went through feedparser, and the next fetch reads every entry).
    known: KnownEntries | None = None
    unchanged: int = 0  # entries skipped unread: known, with the same bytes
    language: str = ""  # the language the channel declares (<language>, xml:lang), as written


# ---------------------------------------------------------------- feeds


_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def without_declarations(body: bytes) -> bytes:
    """The body without its <!DOCTYPE ...[...]> and <!ENTITY ...>
    declarations, in one pass forward: each search starts where the last
    one ended (the regexes this replaces rescanned the rest of the body at
    every "<!DOCTYPE" with no "]" or ">" after it: a 520 KB feed, 92 s).
    A declaration that never ends takes the rest of the body with it."""
    kept, at = [], 0
    while (found := _DECLARATION.search(body, at)) is not None:
        kept.append(body[at:found.start()])
        close = body.find(b">", found.end())
        if found.group(1).upper() == b"DOCTYPE":
            bracket = body.find(b"[", found.end(), close if close != -1 else len(body))
            if bracket != -1:
                end = body.find(b"]", bracket)
                close = body.find(b">", end) if end != -1 else -1
        if close == -1:
            return b"".join(kept)
        at = close + 1
    kept.append(body[at:])
    return b"".join(kept)


def _feedparser():
    """feedparser, taught three things it drops or mixes up.

    - media:description gets its own `media_description` key: stock
      feedparser files it under `summary` or `content`, whichever is free,
      so an image caption could take the place of the item's real
      description depending on element order. Inside a media:content, its
      description and credit are also kept on that picture, so an item with
      several pictures has each one's caption.
    - The text of an <enclosure> (a caption, on some news sites) is kept on
      the enclosure as `digest_caption`.
    """
    feedparser = _import_feedparser()
    from feedparser.namespaces import _base, mediarss

    if getattr(mediarss.Namespace, "_digest_patched", False):
        return feedparser
    original = {name: getattr(mediarss.Namespace, name) for name in ("_start_media_content", "_end_media_credit")}
    start_enclosure = _base.Namespace._start_enclosure

    def start_description(self, attrs_d):
        self.push_content("media_description", attrs_d, "text/plain", 1)

    def end_description(self):
        value = self.pop_content("media_description")
        _on_open_media_content(self, "digest_caption", value)

    def start_content(self, attrs_d):
        original["_start_media_content"](self, attrs_d)
        self._digest_in_media_content = True

    def end_content(self):
        self._digest_in_media_content = False

    def end_credit(self):
        original["_end_media_credit"](self)
        credits = self._get_context().get("media_credit") or [{}]
        _on_open_media_content(self, "digest_credit", credits[-1].get("content", ""))

    def start_enclosure_text(self, attrs_d):
        start_enclosure(self, attrs_d)
        self.push("enclosure", 1)

    def end_enclosure_text(self):
        value = self.pop("enclosure")
        links = self._get_context().get("links") or []
        if value and value.strip() and links:
            links[-1]["digest_caption"] = value.strip()

    mediarss.Namespace._start_media_description = start_description
    mediarss.Namespace._end_media_description = end_description
    mediarss.Namespace._start_media_content = start_content
    mediarss.Namespace._end_media_content = end_content
    mediarss.Namespace._end_media_credit = end_credit
    _base.Namespace._start_enclosure = start_enclosure_text
    _base.Namespace._end_enclosure = end_enclosure_text
    mediarss.Namespace._digest_patched = True
    _remember_base_uris()
    return feedparser


def _import_feedparser():
    """feedparser, with chardet imported when feedparser first guesses an
    encoding instead of with feedparser (30 ms of every build that parses
    a feed, and of every parse worker's start): feedparser asks chardet
    only for bytes whose declared encodings all fail, which the lxml path
    never reads, and its lazy_chardet_encoding is the one place it does."""
    import sys

    if "feedparser" in sys.modules:
        import feedparser

        return feedparser
    blocked = [name for name in ("cchardet", "chardet") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import feedparser
    finally:
        for name in blocked:
            del sys.modules[name]
    from feedparser import encodings

    if encodings.lazy_chardet_encoding is None:
        encodings.lazy_chardet_encoding = _chardet_encoding
    return feedparser


def _chardet_encoding(data: bytes) -> str:
    """feedparser's lazy_chardet_encoding, importing chardet when first
    called; "" (no guess, as feedparser without chardet) when neither
    cchardet nor chardet is installed."""
    try:
        try:
            import cchardet as chardet
        except ImportError:
            import chardet
    except ImportError:
        return ""
    return chardet.detect(data)["encoding"] or ""


def _on_open_media_content(parser, key: str, value: str) -> None:
    if value and getattr(parser, "_digest_in_media_content", False):
        pictures = parser._get_context().get("media_content") or []
        if pictures and key not in pictures[-1]:
            pictures[-1][key] = value


def _remember_base_uris() -> None:
    """feedparser recomputes the base URI (urljoin + urlparse) at every start
    tag, nearly always from the same two strings; a cache of its pure helper
    made parsing 200 feeds 0.28 s (25%) faster, with the same results."""
    from functools import lru_cache

    from feedparser import mixin, urls

    mixin.make_safe_absolute_uri = lru_cache(maxsize=256)(urls.make_safe_absolute_uri)


def parse_feed(body: bytes, url: str, content_type: str = "", *, fast: bool = True,
               known: KnownEntries | None = None) -> ParsedFeed:
    """Parse fetched bytes. Raises FeedError when they are not a feed.

    A well-formed feed is tokenized by lxml and replayed into feedparser's
    own handlers (xmlfeed.py: the same result, its parsing 1.1-2x faster);
    what that reader refuses, and everything with fast=False, goes through
    feedparser.parse. `known`: what the last parse of this feed left
    (ParsedFeed.known, kept by the store); an entry of a well-formed feed
    whose bytes are the same is skipped unread (known.py), and the items
    are those of the entries new or changed."""
    feedparser = _feedparser()
    if not body.strip():
        raise FeedError(url, "empty response")
    body, headers, recoded = parser_input(body, url, content_type)
    sieve = EntrySieve(known, lambda feed: _context_key(_feed_context(feed, url, body))) if fast else None
    parsed = (fast and xmlfeed.parse(body, headers, sieve)) or None
    if parsed is None:
        sieve = None
        parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        reason = "not a feed"
        alternate = _alternate_feed_link(body, url)
        if alternate:
            reason += f" (the page points to a feed at {alternate})"
        elif parsed.get("bozo"):
            reason += f" ({_bozo_message(parsed)})"
        raise FeedError(url, reason)
    if sieve is not None and len(sieve.ids) != len(parsed.entries):
        sieve = None  # entries outside the places known.py looks (a stray <item>): no pairing, read them all
        if known is not None:
            return parse_feed(body, url, content_type, fast=fast)
    feed = parsed.feed
    context = _feed_context(feed, url, body)
    read, skipped = _readable_entries(parsed.entries, context)
    marks = sieve.skipped if sieve else {}
    dates = [e.published for _, e in read] + [_from_epoch(m.published) for m in marks.values()]
    days_only = _dates_are_days(dates)
    feed_wide = feed_wide_pictures([parts.pictures for _, parts in read] + [_candidates(m) for m in marks.values()],
                                   context.images)
    if marks and (days_only != known.days_only or feed_wide != known.feed_wide):
        # A verdict over the whole feed changed: the entries skipped would read differently too.
        return parse_feed(body, url, content_type, fast=fast)
    if marks and _shares_a_title(read, marks.values()):
        # An entry read under the title of one skipped may be its copy (the
        # post republished at /slug-2/, a stub linking it): which one the
        # feed's story is, _unique_items decides among both.
        return parse_feed(body, url, content_type, fast=fast)
    entries = [parts for _, parts in read if not parts.is_empty()]
    if days_only:
        for entry in entries:
            entry.date_only = entry.published is not None
    items = _unique_items(entries, feed_wide)
    warning = _bozo_message(parsed) if parsed.get("bozo") else recoded
    if skipped:
        said = (f"{skipped} {'entry' if skipped == 1 else 'entries'} could not be read and "
                f"{'was' if skipped == 1 else 'were'} left out")
        warning = f"{warning}; {said}" if warning else said
    return ParsedFeed(
        title=context.title,
        link=_site_link(feed, url),
        items=items,
        warning=warning,
        known=_known_after(sieve, read, feed_wide, days_only) if sieve else None,
        unchanged=len(marks),
        language=strip_control(feed.get("language", "") or "").strip(),
    )


def _site_link(feed, url: str) -> str:
    """The channel's <link> as a web address (a relative one resolved as
    the entries' links are), or "": the site a feed read from a file or a
    feeds host belongs to."""
    if not (feed.get("link") or "").strip():
        return ""
    link = strip_control(_feed_base(feed, url))
    return link if _is_web_url(link) else ""


def _context_key(context: FeedContext) -> str:
    """What an entry's reading depends on besides its own bytes (known.py
    fingerprints the two together)."""
    import json

    return json.dumps([context.url, context.title, context.base, context.author, context.channel_author,
                       list(context.images), str(context.pictures or ""), str(context.zone or "")])


def _known_after(sieve: EntrySieve, read: list[tuple[int, EntryParts]], feed_wide: frozenset[str],
                 days_only: bool) -> KnownEntries:
    """The marks of the entries read (an unreadable one has none: it is
    tried again next time) and of those skipped, for the next fetch."""
    entries = dict(sieve.skipped)
    for index, parts in read:
        entry, printed = sieve.ids[index]
        entries[entry] = EntryMark(printed, parts.published.timestamp() if parts.published else None,
                                   tuple((c.url, c.origin != "media") for c in parts.pictures), title_mark(parts.title))
    return KnownEntries(entries=entries, feed_wide=feed_wide, days_only=days_only)


def title_mark(title: str) -> str:
    """A short hash of a title as _unique_items compares titles (key_text)."""
    return hashlib.blake2b(key_text(title).encode(), digest_size=8).hexdigest()


def _shares_a_title(read: list[tuple[int, EntryParts]], marks: Iterable[EntryMark]) -> bool:
    skipped = {mark.title for mark in marks}
    return any(title_mark(parts.title) in skipped for _, parts in read)


def _candidates(mark: EntryMark) -> list[Candidate]:
    return [Candidate(url=url, origin="content" if in_text else "media") for url, in_text in mark.pictures]


def _from_epoch(value: float | None) -> datetime | None:
    from datetime import UTC

    return None if value is None else datetime.fromtimestamp(value, UTC)


def _readable_entries(entries, context: FeedContext) -> tuple[list[tuple[int, EntryParts]], int]:
    """Each entry read on its own, with its place among the entries: one
    whose parts trip a bug of ours (a title holding "<![", a picture
    "Infinity" wide) is left out and counted, never the reason its whole
    feed fails."""
    read, skipped = [], 0
    for index, entry in enumerate(entries):
        try:
            read.append((index, entry_parts(entry, context)))
        except Exception:  # noqa: BLE001 - one entry's failure, whatever it is; the feed says how many
            skipped += 1
    return read, skipped


def _dates_are_days(dated: Iterable[datetime | None]) -> bool:
    """A feed whose every date (three or more) is at 00:00:00 UTC gives days,
    not times (a static site's front matter, "Thu, 26 Sep 2024 00:00:00
    +0000"): each of its entries is marked date_only, so no card says "00:00"."""
    dated = [d for d in dated if d is not None]
    return len(dated) >= 3 and all((d.hour, d.minute, d.second, d.microsecond) == (0, 0, 0, 0) for d in dated)


# An empty <item /> is no entry. PCMag's Dvorak feed nests one inside each
# item, before <feedburner:origLink>: the parsers closed the item there, lost
# its origLink and made an untitled story of the empties.
_EMPTY_ENTRY = re.compile(rb"<(?:item|entry)\s*/>")


def parser_input(body: bytes, url: str, content_type: str) -> tuple[bytes, dict[str, str], str | None]:
    """The bytes and response headers either parser is given, and a note
    when the bytes were recoded (for the feed's warning)."""
    # An internal DTD subset is how entity-expansion attacks arrive (one large
    # entity referenced thousands of times cost 1.75 GB in feedparser's loose
    # parser). Feeds have no use for one.
    if b"<!" in body:
        body = without_declarations(body)
    if b"<item/>" in body or b"<item />" in body or b"<entry/>" in body or b"<entry />" in body:
        body = _EMPTY_ENTRY.sub(b"", body)
    body, content_type, recoded = _undeclared_non_latin_as_utf8(body, content_type)
    # Relative links resolve against the feed's URL; a local file's path is
    # no base for web links (the feed's own <link> serves instead, below).
    headers = {"content-location": url} if _is_web_url(url) else {}
    if content_type:
        headers["content-type"] = content_type
    return body, headers, recoded


@dataclass(frozen=True)
class FeedContext:
    """What an entry needs to know of its feed."""

    url: str  # where the feed was read from
    title: str
    base: str  # web base for relative links: the feed's own <link>, else its URL
    author: str  # a byline the channel gives every item (a personal blog's author), or ""
    channel_author: str  # the channel's author string as written
    publisher: Publisher  # the feed's own names, which are no byline
    images: tuple[str, ...]  # the feed's own logo and cover art
    pictures: Path | None  # folder of a local feed, whose picture files it may name
    zone: timezone | None = None  # the zone the channel's own dates state, for entry dates written without one


def _feed_base(feed, url: str) -> str:
    """What the feed's relative links are relative to: its own <link>,
    made absolute by its self link or a URL-shaped id where it is itself
    relative; else the address it was read from (a web URL, or a local
    file whose entries then keep only absolute links)."""
    link = feed.get("link", "") or ""
    if _is_web_url(link):
        return link
    anchors = [l.get("href", "") for l in feed.get("links", []) if l.get("rel") in ("self", "alternate")]
    anchor = next((a for a in [*anchors, feed.get("id", "") or "", url] if _is_web_url(a)), "")
    if not anchor:
        return url
    return resolved_url(anchor, link) if link else anchor


def _feed_context(feed, url: str, body: bytes) -> FeedContext:
    link = feed.get("link", "")
    title = _plain(feed.get("title", ""))
    host = urlsplit(link if _is_web_url(link) else url).hostname or ""
    publisher = Publisher.of(title, host)
    images = tuple(filter(None, [(feed.get("image") or {}).get("href", ""), (feed.get("image") or {}).get("url", "")]))
    return FeedContext(
        url=url,
        title=title,
        base=_feed_base(feed, url),
        author=_channel_byline(feed, body, publisher),
        channel_author=clean_text(feed.get("author", "") or ""),
        publisher=publisher,
        images=images,
        pictures=_local_picture_folder(url),
        zone=feed_zone(feed),
    )


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([\w.:-]+)["']""", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def _undeclared_non_latin_as_utf8(body: bytes, content_type: str) -> tuple[bytes, str, str | None]:
    """Bytes feedparser would misread, handed to it as UTF-8; the third
    value says what was done, for the feed's warning.

    - Bytes invalid in the declared encoding (Content-Type charset, else the
      XML declaration): decoded with replacement in that encoding. One
      stray byte otherwise made feedparser re-guess the whole feed as
      windows-1252, turning every non-ASCII character into mojibake.
    - Declared UTF-8 (or nothing: XML's default) but not UTF-8: mostly
      valid UTF-8 with a few stray bytes is UTF-8 with replacement; else
      the encoding is detected, and a non-Latin guess acted on (Cyrillic,
      Greek, CJK...). A Latin guess is left to feedparser, whose last
      resort, windows-1252, is right for Western text.
    """
    declaration = _XML_DECLARATION.match(body[:512])
    declared = _CHARSET.search(content_type) or (declaration and _XML_ENCODING.search(declaration.group()))
    name = declared.group(1) if declared else None
    name = name.decode("ascii") if isinstance(name, bytes) else name
    codec = _codec(name)
    if codec is None and name:
        return body, content_type, None  # an encoding Python does not know: feedparser's business
    codec = codec or "utf-8"
    try:
        body.decode(codec)
        return body, content_type, None
    except UnicodeDecodeError:
        pass
    if codec != "utf-8" or _mostly_utf8(body):
        text = body.decode(codec, errors="replace")
        note = f"bytes that are not {name or 'UTF-8'} were replaced"
        return _as_utf8_document(text), "application/xml; charset=utf-8", note
    from charset_normalizer import from_bytes

    guess = from_bytes(body[:65536]).best()
    if guess is None:
        return body, content_type, None
    scripts = [a for a in guess.alphabets if a not in ("Basic Latin", "Control character", "General Punctuation")]
    if not scripts or any(a.startswith("Latin") for a in scripts):
        return body, content_type, None
    note = f"undeclared encoding: the bytes are not UTF-8; read as {guess.encoding}"
    return _as_utf8_document(body.decode(guess.encoding, errors="replace")), "application/xml; charset=utf-8", note


def _codec(name: str | None) -> str | None:
    """Python's name for an encoding; None for none or an unknown one. US-ASCII
    as declared by feeds means UTF-8 in practice."""
    import codecs

    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "utf-8" if codec in ("ascii", "utf-8") else codec


def _mostly_utf8(body: bytes) -> bool:
    """Valid UTF-8 but for a few stray bytes: at least two valid non-ASCII
    characters per invalid sequence. Latin-1 or cp1251 text has almost no
    valid UTF-8 sequences (a capital like Ä, 0xC4, is rarely followed by a
    byte of 0x80-0xBF), so even a short feed with a handful of accents and
    one stray byte is told apart."""
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - text.count("\ufffd")
    return valid >= 2 * invalid


def _as_utf8_document(text: str) -> bytes:
    """The text as UTF-8, its XML declaration saying so."""
    data = text.encode("utf-8")
    declaration = _XML_DECLARATION.match(data[:512])
    if declaration and _XML_ENCODING.search(declaration.group()):
        fixed = _XML_ENCODING.sub(b'encoding="utf-8"', declaration.group(), count=1)
        data = fixed + data[declaration.end():]
    return data


def _bozo_message(parsed) -> str:
    exc = parsed.get("bozo_exception")
    text = str(exc).strip().splitlines()[0] if exc and str(exc).strip() else ""
    return text or (type(exc).__name__ if exc else "malformed feed")


def _unique_items(parts: Iterable[EntryParts], feed_wide: frozenset[str]) -> list[Item]:
    """A feed listing the same entry twice shows it once: the same guid (or
    link), or the same title and text under two addresses (/slug/ and
    /slug-2/; not two episodes with one title and blurb, whose audio
    differs), or the same title and four fifths of the same words within two
    days (a post edited between the two), or a stub under the same title
    that links to the other ("This story is now unlocked: <link>"). The copy
    kept is the one with more text, then a picture. Two different posts a
    generator gave one guid (another title and other words) are both kept."""
    parts = list(parts)
    chosen: dict[str, Item] = {}
    aliases: dict[tuple, str] = {}
    titled: dict[tuple, list[tuple[str, frozenset[str], datetime | None]]] = {}
    links_by_title: dict[str, dict[str, str]] = {}  # title -> {link: key}: where a stub may point
    for entry in parts:
        if entry.link:
            links_by_title.setdefault(key_text(entry.title), {})[entry.link] = entry.key
    copies: dict[str, list[tuple]] = {}  # story key -> (age order, key) of each copy folded into it
    for index, entry in enumerate(parts):
        item = entry.item(feed_wide)
        kept = chosen.get(item.key)
        if kept is not None and _different_posts(kept, item):
            item = _apart(item, kept, chosen)
        key = _stub_of(entry, links_by_title) or item.key
        if len(item.text.split()) >= 20:
            key = aliases.setdefault((key_text(item.title), key_text(item.text), entry.enclosures), key)
            # The same post edited in between (a typo, a line added): the same title and
            # nearly the same words.
            words = _words(item.text)
            same_title = titled.setdefault((key_text(item.title), entry.enclosures), [])
            key = next((other for other, seen, when in same_title
                        if _nearly_same(words, seen) and _close(item.published, when)), key)
            same_title.append((key, words, item.published))
            copies.setdefault(key, []).append((_age_order(item.published, index), item.key))
        kept = chosen.get(key)
        if kept is None or (len(item.text), item.image is not None) > (len(kept.text), kept.image is not None):
            chosen[key] = item
    return [_as_oldest_copy(item, copies.get(key)) for key, item in chosen.items()]


def _age_order(published: datetime | None, index: int) -> tuple:
    """Oldest first: the earliest date; undated after the dated, the one
    listed last first (a feed lists its newest first)."""
    return (published is None, published.timestamp() if published else 0.0, -index)


def _as_oldest_copy(item: Item, copies: list[tuple] | None) -> Item:
    """The story of copies of one post (the post re-posted at /slug-2/
    under a new guid, listed first as the newest) keeps the key of the
    oldest copy: the one a reader was sent before, so the store knows the
    story and it is not mailed again."""
    if not copies or len(copies) < 2:
        return item
    oldest = min(copies)[1]
    return item if oldest == item.key else replace(item, key=oldest)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.casefold()))


def _different_posts(a: Item, b: Item) -> bool:
    """Two entries under one key that are two posts: other titles and not
    four fifths of the same words (Scripting News gave "Good morning
    Internet guzzlers!" and a Dropbox post, five minutes apart, one guid)."""
    return key_text(a.title) != key_text(b.title) and not _nearly_same(_words(a.text), _words(b.text))


def _apart(item: Item, kept: Item, chosen: dict[str, Item]) -> Item:
    """Of two posts that share a key, the earlier keeps it (so a post seen
    before its twin was published keeps its identity); the later one's key
    gets its own title and text's hash. Returns the item to file now."""
    later, earlier = (kept, item) if _earlier(item, kept) else (item, kept)
    digest = hashlib.sha256(f"{later.title}\n{later.text}".encode()).hexdigest()[:16]
    moved = replace(later, key=f"{later.key}#{digest}")
    if later is kept:
        chosen[kept.key] = item
        chosen[moved.key] = moved
        return item
    return moved


def _earlier(a: Item, b: Item) -> bool:
    return a.published is not None and b.published is not None and a.published < b.published


_HREF = re.compile(r"""\shref\s*=\s*["']([^"']+)["']""", re.I)


def _stub_of(entry: EntryParts, links_by_title: dict[str, dict[str, str]]) -> str:
    """The key of another entry of the same title whose link this entry's
    text points to: a stub of it (Medium's "This story is now unlocked and
    available to all of our readers: <Wild Flavors All Year Round>")."""
    if entry.title == UNTITLED or "href" not in entry.content_html:
        return ""
    links = links_by_title.get(key_text(entry.title), {})
    if not any(link != entry.link for link in links):
        return ""  # no other entry of this title: its links need no reading (most entries)
    for href in _HREF.findall(entry.content_html[:MAX_STUB_HTML]):
        link = canonical_url(html.unescape(href), entry.link)
        other = links.get(link)
        if other and link != entry.link and other != entry.key:
            return other
    return ""


MAX_STUB_HTML = 20_000  # of a stub's HTML, where its link is: a stub is short


def _nearly_same(a: frozenset[str], b: frozenset[str]) -> bool:
    """Four fifths of the words of both texts in common."""
    return bool(a and b) and len(a & b) >= 0.8 * len(a | b)


def _close(a: datetime | None, b: datetime | None) -> bool:
    """Within two days (a weekly post under one title, its template the same, is not a repeat)."""
    return a is None or b is None or abs((a - b).total_seconds()) <= 2 * 86400


@dataclass
class EntryParts:
    """An entry read, before its picture is chosen (that needs the whole
    feed: a picture most items repeat is the feed's, not the story's)."""

    feed_url: str
    key: str
    title: str
    link: str
    author: str
    published: datetime | None
    content_html: str
    text: str
    lead_text: str
    tags: list[str]
    pictures: list[Candidate]
    caption: str  # the entry's media:description, when it has other text
    credit: str  # the entry's media:credit
    text_credit: str  # a picture credit its text carried
    enclosures: tuple[str, ...] = ()  # its media files (two episodes may share a title and blurb)
    date_only: bool = False
    excerpt: bool = False
    duration_seconds: int | None = None

    def is_empty(self) -> bool:
        """No title, no link, no text, no picture, no media file: no story
        (an <item></item> a generator left, a stray element read as an entry)."""
        return self.title == UNTITLED and not (self.link or self.text or self.pictures or any(self.enclosures))

    def item(self, feed_wide: frozenset[str] = frozenset()) -> Item:
        return Item(
            feed_url=self.feed_url, key=self.key, title=self.title, link=self.link, author=self.author,
            published=self.published, content_html=self.content_html, text=self.text,
            lead_text=self.lead_text, tags=self.tags, date_only=self.date_only, excerpt=self.excerpt,
            duration_seconds=self.duration_seconds,
            image=choose_picture(self.pictures, feed_wide, self.caption, self.credit, self.text_credit, self.title),
        )


def entry_parts(entry, feed: FeedContext) -> EntryParts:
    entry = _stored_fields(entry)
    guid = clean_text(entry.get("id", ""))
    base = feed.base if _is_web_url(feed.base) or not _is_web_url(guid) else guid
    written = unwrapped_link(_entry_link(entry, guid)) or _episode_file(entry)
    link = canonical_url(written, base, keep_fragment=_anchor_names_the_post(written, guid))
    if not _is_web_url(link):
        link = ""  # javascript:, data:, file: and the like never become a link in the mail
    title = repair_text(_title_line(clean_text(html_to_text(entry.get("title", "")[:_TITLE_MARKUP_CHARS]))))
    author = _entry_byline(entry, feed)
    sources = _text_sources(entry)
    raw = [_take_apart(value, kind) for value, kind, _ in sources]
    title = _title_not_glued(title, raw)
    taken = [story_blocks(source, title, author) for source in raw]
    body_at = max((i for i, (_, _, role) in enumerate(sources) if role != "subtitle"), key=lambda i: len(taken[i].text),
                  default=None)
    body = Taken() if body_at is None else taken[body_at]
    lead = complete_over_cut(_lead_source(taken, body, [role for _, _, role in sources]), taken)
    if body.byline:
        author = text_byline(author, body.byline, feed.publisher)
    text = body.text
    raw_body = Taken() if body_at is None else raw[body_at]
    raw_html = next((value for value, kind, _ in sources if kind == "html" and value), "")
    media_text = repair_text(clean_text(entry.get("media_description", "")))
    stamp = entry_stamp(entry, feed.zone) or day_in_link(link)
    media = is_audio_or_video(entry)
    pictures = _media_pictures(entry, base, feed.pictures) + [
        resolved for source in taken for candidate in source.pictures
        if (resolved := _resolved(candidate, link or base, feed.pictures))]
    shown_title = title or _title_from_text(text)
    words = text_words(text)
    return EntryParts(
        feed_url=feed.url,
        key=item_key(guid, link, title, text),
        title=shown_title,
        link=link,
        author=author,
        published=stamp.moment if stamp else None,
        date_only=bool(stamp and stamp.date_only),
        content_html=sanitize_html(strip_control(raw_html) if raw_html else _plain_to_html(text), link or base),
        text=text,
        lead_text="\n\n".join(block.text for block in lead_blocks(lead.blocks, shown_title)),
        tags=[clean_text(tag.get("term", "")) for tag in entry.get("tags", []) if tag.get("term")],
        pictures=pictures,
        # media:description is the picture's caption, unless it is the entry's only text (YouTube).
        caption=media_text if not sources or sources[0][0] != repair_text(strip_control(entry.get("media_description", "")))
        else "",
        credit=clean_credit(entry.get("credit", "") or _first(entry.get("media_credit"), "content")),
        text_credit=next((t.credit for t in taken if t.credit), ""),
        enclosures=tuple(e.get("href", "") for e in entry.get("enclosures", [])),
        excerpt=media or is_paper_abstract(entry, raw_body, words) or is_excerpt(raw_body, words, bool(link)),
        duration_seconds=duration_seconds(entry) if media else None,
    )


def _stored_fields(entry) -> dict:
    """The entry's fields as a plain dict, with the one derived field read
    here (`enclosures`, which feedparser builds from the links at every
    read) computed once. feedparser's FeedParserDict runs Python code for
    each .get (its aliases: "guid" for "id", "description" for
    "summary"...), some forty a reading and a tenth of its cost; every key
    read here is a stored one, not an alias."""
    fields = dict(entry)
    fields["enclosures"] = entry.get("enclosures", [])
    return fields


def _text_sources(entry) -> list[tuple[str, str, str]]:
    """The entry's texts as (value, "html" or "text", role): its content,
    its summary, its subtitle, and media:description when it has nothing
    else (a YouTube entry). feedparser's summary_detail can belong to a
    nested element, so the summary is read from `summary` itself."""
    sources = []
    for detail in entry.get("content", []):
        if detail.get("value"):
            sources.append((detail["value"], _kind(detail), "content"))
    summary = entry.get("summary") or ""
    if summary and all(summary != value for value, _, _ in sources):
        detail = entry.get("summary_detail") or {}
        sources.append((summary, _kind(detail) if detail.get("value") == summary else _guess_kind(summary), "summary"))
    subtitle = entry.get("subtitle") or ""
    if subtitle and key_text(subtitle) != key_text(entry.get("title", "")):
        sources.append((subtitle, "text", "subtitle"))
    if not sources and entry.get("media_description"):
        sources.append((entry["media_description"], "text", "content"))
    return [(repair_text(strip_control(value)), kind, role) for value, kind, role in sources]


def _kind(detail) -> str:
    kind = detail.get("type") or ""
    value = detail.get("value", "")
    if kind == "text/plain":
        # "Plain text" full of markup (an entity the loose parser could not
        # read leaves the HTML of the rest as text): it is HTML.
        return "html" if _MARKUP.search(value) else "text"
    return "html" if kind else _guess_kind(value)


_MARKUP = re.compile(r"</(?:p|div|a|b|i|em|strong|span|li|ul|audio)>|<br\s*/?>", re.I)


def _guess_kind(value: str) -> str:
    return "html" if re.search(r"<[a-zA-Z/!]", value) or "&" in value else "text"


def _take_apart(value: str, kind: str) -> Taken:
    return take_apart_html(value) if kind == "html" else take_apart_text(value)


def _lead_source(taken: list[Taken], body: Taken, roles: list[str]) -> Taken:
    """Where the lead comes from: the publisher's own summary when it is a
    standfirst written apart from the text (not the text's opening, i.e.
    an excerpt); else the text itself; a subtitle only when the text has no
    paragraph to begin with (show notes that are all lists and links)."""
    body_words = key_text(body.text[:4000])

    def standfirst(source: Taken) -> bool:
        opening = key_text(source.text)[:60]
        return source is not body and bool(source.blocks) and len(opening) >= 12 and opening not in body_words

    for source, role in zip(taken, roles):
        if role == "summary" and standfirst(source):
            return source
    if not any(block.kind in ("p", "quote") for block in body.blocks):
        for source, role in zip(taken, roles):
            if role == "subtitle" and standfirst(source):
                return source
    return body


def _resolved(candidate: Candidate, base: str, pictures: Path | None) -> Candidate | None:
    url = canonical_image_url(candidate.url, base, pictures)
    if not url:
        return None
    larger = canonical_image_url(candidate.larger, base, pictures) if candidate.larger else ""
    return replace(candidate, url=url, larger=larger)


def item_key(guid: str, link: str, title: str, text: str) -> str:
    """Identity inside a feed: guid, else canonical link, else a content hash."""
    guid = clean_text(guid)
    if guid:
        return f"guid:{guid}"
    if link:
        return f"link:{link}"
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:32]
    return f"hash:{digest}"


def _plain(value: str) -> str:
    """A title's text: its markup cut before the HTML parser sees it (a
    5 MB channel title of unclosed tags was quadratic in html.parser)."""
    return repair_text(clean_text(html_to_text(value[:_TITLE_MARKUP_CHARS]))) if value else ""


# Hosts that only redirect to the article (and count the click on the way).
_REDIRECTORS = re.compile(r"(?:^|\.)(?:feedproxy\.google\.com|feedsportal\.com|feeds\.feedburner\.com|"
                          r"feedpress\.me|feedpress\.it|feedblitz\.com|pheedo\.com|"
                          r"feeds\.[\w-]+\.(?:com|net|org)|rss\.[\w-]+\.(?:com|net|org))$", re.I)
# The entry's own "Permalink" link, which some feeds end every item with
# while its <link> goes through a click counter.
_PERMALINK = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>\s*(?:permalink|perma-link|¶|∞)\s*</a>""", re.I)
# A WordPress shortlink: the site's root with ?p=<post id>.
_SHORTLINK = re.compile(r"^/?$")


def _episode_file(entry) -> str:
    """An episode's own audio or video file, for an entry with no link
    (Wondery's items name only their file): the card is never a dead end."""
    for enclosure in entry.get("enclosures", []):
        kind = (enclosure.get("type") or "").lower()
        href = enclosure.get("href") or ""
        if kind.startswith(("audio/", "video/")) and _is_web_url(href):
            return uncounted_media(href)
    return ""


def _entry_link(entry, guid: str) -> str:
    """The article's address: the feed's alternate link, unless that is a
    redirector's (FeedBurner, feedsportal) and the entry names the real one
    (feedburner:origLink, or a permalink guid)."""
    link = next((l["href"] for l in entry.get("links", [])
                 if l.get("rel", "alternate") == "alternate" and l.get("href")), "") or entry.get("link", "") or ""
    original = clean_text(entry.get("feedburner_origlink", ""))
    if _is_web_url(original):
        return original
    host = urlsplit(link).hostname or ""
    redirected = bool(link) and (bool(_REDIRECTORS.search(host)) or "/~r/" in link)
    if redirected and _is_web_url(guid) and not _REDIRECTORS.search(urlsplit(guid).hostname or ""):
        return guid
    if not link and _is_web_url(guid) and entry.get("guidislink", True) is not False:
        return guid
    if redirected or _is_shortlink(link):
        named = _article_named_in(entry, link)
        if named:
            return named
    return link


_ANCHOR = re.compile(r"[A-Za-z][\w-]{0,63}")


def _anchor_names_the_post(link: str, guid: str) -> bool:
    """The link's #anchor is the post's place on a page of several, not a
    mark: the guid is the link, anchor and all (Scripting News gives each
    post of a day "…/2017/06/20.html#a100647"; without it every post of the
    day lands at the top of one page). A tracking anchor ("#xtor=RSS-1",
    "#tk.rss_all") is not word-shaped and goes."""
    fragment = urlsplit(link).fragment
    return bool(fragment) and clean_text(guid) == link and bool(_ANCHOR.fullmatch(fragment))


def _is_shortlink(link: str) -> bool:
    parts = urlsplit(link)
    return bool(_SHORTLINK.match(parts.path) and re.fullmatch(r"p=\d+", parts.query or ""))


def _article_named_in(entry, link: str) -> str:
    """The article's own address where the entry names it beside a
    redirector's or a shortlink: <comments> pointing at the article's
    comment section ("…/slug/#comments"), or a trailing "Permalink" link
    in its text. "" when it names none."""
    link_host = (urlsplit(link).hostname or "").removeprefix("www.")
    comments = clean_text(entry.get("comments", "") or "")
    parts = urlsplit(comments)
    if _is_web_url(comments) and parts.fragment and parts.path not in ("", "/") \
            and not _REDIRECTORS.search(parts.hostname or "") \
            and (not _is_shortlink(link) or (parts.hostname or "").removeprefix("www.") == link_host):
        return parts._replace(fragment="").geturl()
    texts = [detail.get("value", "") for detail in entry.get("content", [])] + [entry.get("summary", "") or ""]
    for text in texts:
        found = _PERMALINK.findall(text or "")
        if found and _is_web_url(html.unescape(found[-1])) \
                and not _REDIRECTORS.search(urlsplit(html.unescape(found[-1])).hostname or ""):
            return html.unescape(found[-1])
    return ""


def _plain_to_html(text: str) -> str:
    if not text:
        return ""
    paragraphs = (html.escape(p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip())
    return "".join(f"<p>{p}</p>" for p in paragraphs)


# A title is a line: past this many characters it is cut at a word (with
# an ellipsis). Headlines stay under 200; Reddit's limit is 300. A 5 MB
# title otherwise went into the store, every template and the grouping.
MAX_TITLE_CHARS = 300
_TITLE_MARKUP_CHARS = 20 * MAX_TITLE_CHARS  # of the title's HTML, before its tags are taken out


def _title_line(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    head = title[: MAX_TITLE_CHARS + 1]
    head = head.rsplit(" ", 1)[0] if " " in head else head[:MAX_TITLE_CHARS]
    return head.rstrip(" ,;:—–-") + "…"


_SPACES = re.compile(r"\s+")


def _title_not_glued(title: str, sources: list[Taken]) -> str:
    """A platform's made-up title that glues the post's first paragraphs
    together and cuts them ("United States, 1973: The SierraA three-bedroom
    ranch house with...", Tumblr): its first paragraph when that is a
    headline's length, else the title as it is."""
    if not title.endswith(("...", "…")):
        return title
    head = _SPACES.sub("", title.rstrip(".…"))
    blocks = next((source.blocks for source in sources if source.blocks), [])
    if len(head) < 12 or len(blocks) < 2:
        return title
    first = blocks[0].text.strip()
    compact_first = _SPACES.sub("", first)
    glued = compact_first + _SPACES.sub("", blocks[1].text)
    if len(compact_first) < len(head) and glued.startswith(head) and 3 <= len(first.split()) and len(first) <= 120:
        return first
    return title


def _title_from_text(text: str, words: int = 12) -> str:
    """Untitled items (Scripting News, microblogs) get their first sentence
    when it is that short (the lead goes on after it), else their first words."""
    first = text.split()[:words]
    if not first:
        return UNTITLED
    sentence = _FIRST_SENTENCE.match(" ".join(text.split()))
    if sentence and 3 <= len(sentence.group(1).split()) <= words and len(text.split()) - len(sentence.group(1).split()) >= 3:
        return sentence.group(1)
    return " ".join(first) + ("…" if len(text.split()) > words else "")


_FIRST_SENTENCE = re.compile(r"(.+?[.!?。！？])(?:\s|$)")


def _entry_byline(entry, feed: FeedContext) -> str:
    names = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
    raws = names if len(names) > 1 else [entry.get("author", "") or "".join(names)]
    raws = [raw for raw in raws if raw]
    if not raws:
        return feed.author
    if len(raws) == 1 and clean_text(raws[0]) == feed.channel_author and (feed.author or "@" not in raws[0]):
        return feed.author  # the channel's author on every item: the channel's rules
    # (Except an "address (Name)" the channel had only as its managingEditor:
    # as the item's own <author> it names who wrote it, NSHipster's Mattt Thompson.)
    found = [byline(raw, feed.publisher) for raw in raws]
    if len(found) == 1:
        return found[0]  # one string: its names as read ("Christen, M., Christen, B." are two people)
    return ", ".join(dict.fromkeys(name for names in found for name in names.split(", ") if name))


