"""Feed bytes -> Items: feedparser, item identity, links, bylines, dates.

feedparser runs with its own sanitizer and relative-URI resolver off (they
are slow and its sanitizer keeps forms, SVG and tracking pixels). Each
entry's HTML is taken apart by extract.py (text blocks, the picture, its
caption and credit; sanitizing for the store); here are the entry's
identity, its canonical link, its byline and its date. Control characters
are stripped from every string, because the MJML compiler rejects them.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from . import xmlfeed
from .errors import FeedError
from .extract import (
    IMAGE_EXTENSIONS,
    Candidate,
    Taken,
    choose_picture,
    clean_credit,
    feed_wide_pictures,
    lead_blocks,
    pixels,
    sanitize_html,
    story_blocks,
    take_apart_html,
    take_apart_text,
)
from .models import Item
from .text import clean_text, key_text, strip_control


@dataclass
class ParsedFeed:
    title: str
    link: str
    items: list[Item]
    warning: str | None = None  # feedparser's bozo message when items survived


# ---------------------------------------------------------------- feeds


_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\]\s*)?>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE | re.DOTALL)


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
    import feedparser
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


def parse_feed(body: bytes, url: str, content_type: str = "", *, fast: bool = True) -> ParsedFeed:
    """Parse fetched bytes. Raises FeedError when they are not a feed.

    A well-formed feed is tokenized by lxml and replayed into feedparser's
    own handlers (xmlfeed.py: the same result, its parsing 1.1-2x faster);
    what that reader refuses, and everything with fast=False, goes through
    feedparser.parse."""
    feedparser = _feedparser()
    if not body.strip():
        raise FeedError(url, "empty response")
    body, headers, recoded = parser_input(body, url, content_type)
    parsed = (fast and xmlfeed.parse(body, headers)) or feedparser.parse(
        body,
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers=headers,
    )
    if not parsed.get("version") and not parsed.entries:
        reason = "not a feed"
        alternate = _alternate_feed_link(body, url)
        if alternate:
            reason += f" (the page points to a feed at {alternate})"
        elif parsed.get("bozo"):
            reason += f" ({_bozo_message(parsed)})"
        raise FeedError(url, reason)
    feed = parsed.feed
    context = _feed_context(feed, url, body)
    entries = [entry_parts(entry, context) for entry in parsed.entries]
    feed_wide = feed_wide_pictures([parts.pictures for parts in entries], context.images)
    items = _unique_items(entries, feed_wide)
    warning = _bozo_message(parsed) if parsed.get("bozo") else recoded
    return ParsedFeed(
        title=context.title,
        link=feed.get("link", ""),
        items=items,
        warning=warning,
    )


def parser_input(body: bytes, url: str, content_type: str) -> tuple[bytes, dict[str, str], str | None]:
    """The bytes and response headers either parser is given, and a note
    when the bytes were recoded (for the feed's warning)."""
    # An internal DTD subset is how entity-expansion attacks arrive (one large
    # entity referenced thousands of times cost 1.75 GB in feedparser's loose
    # parser). Feeds have no use for one.
    if b"<!" in body:
        body = _ENTITY_DECL.sub(b"", _DOCTYPE.sub(b"", body))
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
    differs). The copy kept is the one with more text, then a picture."""
    chosen: dict[str, Item] = {}
    aliases: dict[tuple, str] = {}
    for entry in parts:
        item = entry.item(feed_wide)
        key = item.key
        if len(item.text.split()) >= 20:
            key = aliases.setdefault((key_text(item.title), key_text(item.text), entry.enclosures), key)
        kept = chosen.get(key)
        if kept is None or (len(item.text), item.image is not None) > (len(kept.text), kept.image is not None):
            chosen[key] = item
    return list(chosen.values())


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

    def item(self, feed_wide: frozenset[str] = frozenset()) -> Item:
        return Item(
            feed_url=self.feed_url, key=self.key, title=self.title, link=self.link, author=self.author,
            published=self.published, content_html=self.content_html, text=self.text,
            lead_text=self.lead_text, tags=self.tags,
            image=choose_picture(self.pictures, feed_wide, self.caption, self.credit, self.text_credit),
        )


def entry_parts(entry, feed: FeedContext) -> EntryParts:
    guid = clean_text(entry.get("id", ""))
    base = feed.base if _is_web_url(feed.base) or not _is_web_url(guid) else guid
    link = canonical_url(_entry_link(entry, guid), base)
    if not _is_web_url(link):
        link = ""  # javascript:, data:, file: and the like never become a link in the mail
    title = repair_text(_title_line(clean_text(html_to_text(entry.get("title", "")[:_TITLE_MARKUP_CHARS]))))
    author = _entry_byline(entry, feed)
    sources = _text_sources(entry)
    taken = [story_blocks(_take_apart(value, kind), title, author) for value, kind, _ in sources]
    body = max((t for t, (_, _, role) in zip(taken, sources) if role != "subtitle"), key=lambda t: len(t.text),
               default=Taken())
    lead = _lead_source(taken, body, [role for _, _, role in sources])
    text = body.text
    raw_html = next((value for value, kind, _ in sources if kind == "html" and value), "")
    media_text = repair_text(clean_text(entry.get("media_description", "")))
    pictures = _media_pictures(entry, base, feed.pictures) + [
        resolved for source in taken for candidate in source.pictures
        if (resolved := _resolved(candidate, link or base, feed.pictures))]
    return EntryParts(
        feed_url=feed.url,
        key=item_key(guid, link, title, text),
        title=title or _title_from_text(text),
        link=link,
        author=author,
        published=_entry_time(entry),
        content_html=sanitize_html(strip_control(raw_html) if raw_html else _plain_to_html(text), link or base),
        text=text,
        lead_text="\n\n".join(block.text for block in lead_blocks(lead.blocks, title)),
        tags=[clean_text(tag.get("term", "")) for tag in entry.get("tags", []) if tag.get("term")],
        pictures=pictures,
        # media:description is the picture's caption, unless it is the entry's only text (YouTube).
        caption=media_text if not sources or sources[0][0] != repair_text(strip_control(entry.get("media_description", "")))
        else "",
        credit=clean_credit(entry.get("credit", "") or _first(entry.get("media_credit"), "content")),
        text_credit=next((t.credit for t in taken if t.credit), ""),
        enclosures=tuple(e.get("href", "") for e in entry.get("enclosures", [])),
    )


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
    return repair_text(clean_text(html_to_text(value))) if value else ""


# Hosts that only redirect to the article (and count the click on the way).
_REDIRECTORS = re.compile(r"(?:^|\.)(?:feedproxy\.google\.com|feedsportal\.com|feeds\.feedburner\.com|"
                          r"feeds\.[\w-]+\.(?:com|net|org)|rss\.[\w-]+\.(?:com|net|org))$", re.I)


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
    if link and (_REDIRECTORS.search(host) or "/~r/" in link) and _is_web_url(guid) \
            and not _REDIRECTORS.search(urlsplit(guid).hostname or ""):
        return guid
    if not link and _is_web_url(guid) and entry.get("guidislink", True) is not False:
        return guid
    return link


def _entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: FeedParserDict's own lookup remaps these keys with a warning.
        value = dict.get(entry, key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (OverflowError, ValueError, OSError):
                continue
    return None


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


def _title_from_text(text: str, words: int = 12) -> str:
    """Untitled items (Scripting News, microblogs) get their first words."""
    first = text.split()[:words]
    if not first:
        return "(untitled)"
    return " ".join(first) + ("…" if len(text.split()) > words else "")


# ---------------------------------------------------------------- bylines

# Mailboxes of a newsroom or a site, not of a person (RFC 2142 and kin).
# (noreply@ is not one: Blogger and WordPress.com relay every author's
# name through it.)
_ROLE_MAILBOX = re.compile(
    r"^(?:info|editor|editors|editorial|news|newsroom|newsdesk|redaktion|redaccion|redazione|redactie|"
    r"webmaster|web|admin|administrator|contact|press|desk|feed|feeds|rss|online|office|mail|team|"
    r"hello|support|community|digital|internet)$", re.I)
# Words that make a name a desk's, not a person's.
_DESK_WORDS = frozenset("""redaktion redaction rédaction redacción redazione redactie staff editors editor
    editorial newsroom desk team agence agency agencia agenzia webmaster admin administrator""".split())
_ORG_WORDS = frozenset("""for the of and podcast podcasts show radio media news inc inc. llc ltd ltd. network
    studios studio productions records press magazine blog channel official""".split())
# A title that is "<host name> Podcast" names the host, not the publisher.
_SHOW_WORDS = frozenset("podcast podcasts show radio hour live tv daily weekly talk cast pod".split())
_TITLE_PARTS = re.compile(r"\s+[|:–—·-]\s+|\s*[|»›]\s*")
_PLATFORM_TITLE = re.compile(r"^(?:stories|posts|articles) by (.+?) on \w+$|^(.+?) on (?:medium|substack|tumblr)$", re.I)
_EMAIL_NAME = re.compile(r"^\s*(?:mailto:)?([^\s@()<>]+@[^\s@()<>]+)\s*\((.*)\)\s*$")
_NAME_EMAIL = re.compile(r"^\s*(.*?)\s*[<(]\s*(?:mailto:)?([^\s@<>()]+@[^\s@<>()]+)\s*[>)]\s*$")
_BARE_EMAIL = re.compile(r"^\s*(?:mailto:)?([^\s@()<>]+@[^\s@()<>]+)\s*$")


@dataclass(frozen=True)
class Publisher:
    """The feed's own names: a byline that is one of them is no byline
    ("DC Rainmaker · DC Rainmaker")."""

    keys: frozenset[str]  # the title and each part of it, the title's initials
    site: frozenset[str]  # the site's name ("dw.com", "derstandard")
    title_words: tuple[str, ...]

    @classmethod
    def of(cls, title: str, host: str) -> Publisher:
        parts = [title, *_TITLE_PARTS.split(title)]
        platform = _PLATFORM_TITLE.match(title.strip())
        if platform:
            parts.append(platform.group(1) or platform.group(2))
        labels = [label for label in host.lower().split(".") if label not in ("www", "feeds", "rss", "m", "blog")]
        words = tuple(w.casefold() for w in re.findall(r"[\w'’]+", title))
        initials = "".join(w[0] for w in words if w not in ("the", "of", "and", "a")) if len(words) >= 3 else ""
        keys = {key_text(part) for part in parts} | {initials}
        site = {key_text(".".join(labels)), *(labels[:-1] or labels)}
        return cls(keys=frozenset(k for k in keys if len(k) >= 2), site=frozenset(k for k in site if len(k) >= 2),
                   title_words=words)

    def names(self, name: str, site: bool = True) -> bool:
        """Whether name is the feed's own (its title, a part of it, its
        initials; with site, also the site's name: a personal site is
        named after the person whose blog or show it is)."""
        key = key_text(name)
        if not key:
            return False
        if key in self.keys or (site and key in self.site):
            return True
        words = tuple(w.casefold() for w in re.findall(r"[\w'’]+", name))
        if words and self.title_words[:len(words)] == words:
            rest = self.title_words[len(words):]
            return not any(word in _SHOW_WORDS for word in rest)
        return False


def byline(raw: str, publisher: Publisher | None = None, site: bool = True) -> str:
    """The name a reader should see for an author string: "email (Name)"
    and "Name <email>" give the Name (read from the raw string: feedparser's
    own split cuts non-ASCII names at the wrong offset), "mailto:" and bare
    addresses give nothing, "Last, First" turns round, and a newsroom's
    mailbox, a desk or the publisher's own name is no byline."""
    text = repair_text(clean_text(html_to_text(raw or "")))
    if not text:
        return ""
    mailbox = ""
    for pattern, name_group, mail_group in ((_EMAIL_NAME, 2, 1), (_NAME_EMAIL, 1, 2)):
        found = pattern.match(text)
        if found:
            text, mailbox = found.group(name_group).strip(), found.group(mail_group)
            break
    else:
        if _BARE_EMAIL.match(text):
            return ""
    if mailbox and _ROLE_MAILBOX.match(mailbox.split("@")[0]):
        return ""
    names = [_turned_round(part) for part in _byline_parts(text)]
    kept = [name for name in names if name and not (publisher and publisher.names(name, site))]
    return ", ".join(dict.fromkeys(kept))


def _byline_parts(text: str) -> list[str]:
    """"Last, First" pairs ("Scappaticci, Elena"; "Boudisseau, Julien,
    Jouin-Claude, Allyson") joined; other lists split at "|" and "/"."""
    pieces = [p.strip() for p in re.split(r"\s*[|/]\s*", text) if p.strip()]
    parts = []
    for piece in pieces:
        commas = [c.strip() for c in piece.split(",")]
        if len(commas) >= 2 and len(commas) % 2 == 0 and all(c and " " not in c for c in commas):
            parts.extend(f"{commas[i]}, {commas[i + 1]}" for i in range(0, len(commas), 2))
        else:
            parts.append(piece)
    return parts


def _turned_round(name: str) -> str:
    last, comma, first = name.partition(", ")
    if comma and " " not in last and " " not in first and "," not in first:
        name = f"{first} {last}"
    return " ".join(w for w in name.split() if w.casefold() not in _DESK_WORDS)


def _entry_byline(entry, feed: FeedContext) -> str:
    names = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
    raws = names if len(names) > 1 else [entry.get("author", "") or "".join(names)]
    raws = [raw for raw in raws if raw]
    if not raws:
        return feed.author
    if len(raws) == 1 and clean_text(raws[0]) == feed.channel_author:
        return feed.author  # the channel's author on every item: the channel's rules
    found = [byline(raw, feed.publisher) for raw in raws]
    return ", ".join(dict.fromkeys(name for names in found for name in names.split(", ") if name))


_CHANNEL_BYLINE = re.compile(rb"<(itunes:author|dc:creator|author)\b", re.I)


def _channel_byline(feed, body: bytes, publisher: Publisher) -> str:
    """The byline a channel gives all its items: the person who writes a
    blog or hosts a show. Not a publisher, a company or a webmaster (RSS's
    managingEditor and webMaster are the site's contacts, never a byline:
    feedparser files them as the feed's author when nothing else is)."""
    raw = clean_text(feed.get("author", "") or "")
    if not raw or not _is_person_like(re.sub(r"\s*[(<].*?@.*?[)>]\s*|\S+@\S+", "", raw)):
        return ""
    head = body[:body.find(b"<item")] if b"<item" in body else body[:body.find(b"<entry")] if b"<entry" in body \
        else body[:65536]
    if not _CHANNEL_BYLINE.search(head):
        return ""
    return byline(raw, publisher, site=False)


def _is_person_like(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in name) or re.search(r"[&|/+]", name):
        return False
    if any(w.casefold().strip(".,") in _ORG_WORDS for w in words):
        return False
    return not any(len(w) >= 2 and w.isupper() and w.isalpha() for w in words)  # BBC, NPR: acronyms are brands


# ---------------------------------------------------------------- pictures


def _media_pictures(entry, base: str, pictures: Path | None) -> list[Candidate]:
    """The pictures the entry names outside its text: media:content images
    (with each one's own caption and credit), thumbnails, image enclosures,
    the episode's art, and a publisher's own image block."""
    found: list[Candidate] = []

    def add(url: str, origin: str, attrs: dict, caption: str = "", credit: str = "") -> None:
        resolved = canonical_image_url(url or "", base, pictures)
        if resolved:
            found.append(Candidate(url=resolved, origin=origin, width=pixels(attrs.get("width")),
                                   height=pixels(attrs.get("height")), caption=repair_text(clean_text(caption)),
                                   credit=clean_credit(credit), order=len(found)))

    for media in entry.get("media_content", []):
        if _looks_like_image(media):
            add(media.get("url"), "media", media, media.get("digest_caption", ""), media.get("digest_credit", ""))
    for enclosure in entry.get("enclosures", []):
        if _looks_like_image(enclosure):
            add(enclosure.get("href") or enclosure.get("url"), "media", enclosure, enclosure.get("digest_caption", ""))
    episode = (entry.get("image") or {}).get("href", "")
    if episode:
        add(episode, "media", {})
    block = _publisher_image_block(entry)
    if block:
        add(*block)
    for thumbnail in entry.get("media_thumbnail", []):
        add(thumbnail.get("url"), "thumbnail", thumbnail)
    return found


def _publisher_image_block(entry) -> tuple[str, str, dict, str, str] | None:
    """A publisher namespace's own picture block (<ns:image><ns:url/>
    <ns:source/><ns:description/></ns:image>, which feedparser flattens to
    ns_url, ns_source...): the picture with its caption and credit."""
    for key, value in entry.items():
        if not key.endswith("_url") or key.startswith(("media_", "feedburner_")) or not isinstance(value, str):
            continue
        prefix = key[:-len("_url")]
        if not urlsplit(value).path.lower().endswith(IMAGE_EXTENSIONS):
            continue
        caption = html_to_text(entry.get(f"{prefix}_description", "") or "")
        credit = entry.get(f"{prefix}_source", "") or entry.get(f"{prefix}_credit", "")
        return value, "media", {}, caption, credit
    return None


def _looks_like_image(media: dict) -> bool:
    kind = (media.get("type") or "").lower()
    if kind:
        return kind.startswith("image/")
    if media.get("medium"):
        return media["medium"] == "image"
    path = urlsplit(media.get("url") or media.get("href") or "").path.lower()
    return path.endswith(IMAGE_EXTENSIONS) or "/img/" in path or "/image" in path


# An absolute http(s) URL that urljoin gives back as it is: a host (not
# IPv6, which urlparse checks), no whitespace, no ';' params, no empty '?'
# or '#' (urlunparse drops those).
_PLAIN_ABSOLUTE = re.compile(r"https?://[^/\s?#;\[\]]+(?:/[^\s?#;]*)?(?:\?[^\s#]+)?(?:#\S+)?")


def resolved_url(base: str, url: str) -> str:
    """urljoin(base, url), without its two urlparse calls for the URLs most
    feeds hold (absolute already): a tenth of reading an entry went there."""
    if _PLAIN_ABSOLUTE.fullmatch(url):
        return url
    return urljoin(base, url)


def canonical_image_url(url: str, base: str, pictures: Path | None = None) -> str:
    """An absolute http(s) URL for the picture, or "" for none. A feed read
    from a local file may also name a picture file beside it by a relative
    path (inside the feed's folder): that becomes a file:// URL, which the
    email carries inside itself."""
    url = clean_text(html.unescape(url or ""))
    local = _local_picture(url, pictures) if pictures else None
    if local:
        return local
    url = resolved_url(base, url) if base else url
    return url if _is_web_url(url) else ""


def _local_picture_folder(feed_url: str) -> Path | None:
    """The folder of a feed read from a local file, where its pictures may be."""
    if urlsplit(feed_url).scheme.lower() != "file":
        return None
    from .fetch import file_path

    return file_path(feed_url).resolve().parent


def _local_picture(reference: str, folder: Path) -> str | None:
    """file:// URL of a picture file a relative reference names inside
    folder; None for anything else (a site path like /img/x.jpg, a URL, a
    file outside the folder or that is not there)."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or parts.query or not parts.path or parts.path.startswith("/"):
        return None
    from urllib.parse import unquote

    path = (folder / unquote(parts.path)).resolve()
    if not path.is_relative_to(folder) or path.suffix.lower() not in IMAGE_EXTENSIONS or not path.is_file():
        return None
    return path.as_uri()


def _first(values, key: str) -> str:
    return (values or [{}])[0].get(key, "") if values else ""


# ---------------------------------------------------------------- text repair

# Double-encoded UTF-8 ("Ã©" for "é", "â€™" for "’"): what a CMS that
# decoded UTF-8 as Latin-1 once and encoded it again serves.
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€[\u0080-\u00bf™œž˜šŸ¢£¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿“”˜]|Ã[ -ÿ]")


def repair_text(text: str) -> str:
    """Text with double-encoded UTF-8 repaired (ftfy, which undoes exactly
    that and leaves correct text alone); text without its marks is returned
    untouched, so the cost is one regex search."""
    if not text or not _MOJIBAKE.search(text):
        return text
    import ftfy

    return ftfy.fix_encoding(text)


# ---------------------------------------------------------------- URLs

# Parameters that only say where a click came from (ad and mail campaign
# tags, feed readers' source marks); the article is the same without them.
_TRACKING_EXACT = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
     "ref", "ref_src", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
     "rb_clickid", "s_cid", "vero_conv", "vero_id", "wickedid", "twclid", "ttclid",
     "_ga", "_gl", "spm", "cmpid", "ncid", "ocid", "sr_share", "gbraid", "wbraid", "srsltid",
     "xtor", "maca", "ito", "cmp", "feedtype", "feedname", "emc", "smid", "smtyp", "soc_src", "soc_trk",
     "rss", "rssid", "rss_id", "fromrss", "from_rss", "sh", "mbid", "dmcid", "ns_source", "ref_"}
)
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "hsa_", "at_", "ns_", "itm_", "_hs", "oly_", "vero_")
# Generic names that are tracking when their value says "rss" or "feed":
# ?source=rss..., ?from=rss, ?partner=rss, ?ref=feed (?source=7 stays).
_TRACKING_WHEN_FEED = frozenset({"source", "src", "from", "partner", "via", "origin", "channel", "medium", "cid"})
_FEED_VALUE = re.compile(r"^(?:rss|atom|feed|feeds|feedburner|newsfeed)", re.I)


def is_tracking_param(name: str, value: str = "") -> bool:
    lowered = name.lower()
    if lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES):
        return True
    return lowered in _TRACKING_WHEN_FEED and bool(_FEED_VALUE.match(value))


def canonical_url(url: str, base: str = "") -> str:
    """Resolve against base, lowercase scheme and host, drop the fragment and
    tracking parameters; everything else keeps its order."""
    url = clean_text(url)
    if not url:
        return ""
    if base:
        url = resolved_url(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    if (scheme, netloc[-3:]) == ("http", ":80") or (scheme, netloc[-4:]) == ("https", ":443"):
        netloc = netloc.rsplit(":", 1)[0]
    query = parts.query
    if query:
        # Filter the pieces as written, so what stays keeps its own encoding
        # (?sid=05/11/19 stays, not ?sid=05%2F11%2F19).
        pieces = [piece for piece in query.split("&") if piece]
        kept = [piece for piece in pieces if not is_tracking_param(*_query_pair(piece))]
        if len(kept) != len(pieces):
            query = "&".join(kept)
    return urlunsplit((scheme, netloc, parts.path or ("/" if netloc else ""), query, ""))


def _query_pair(piece: str) -> tuple[str, str]:
    name, _, value = piece.partition("=")
    return unquote_plus(name), unquote_plus(value)


def _is_web_url(url: str) -> bool:
    return urlsplit(url or "").scheme.lower() in ("http", "https")


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
    extractor.feed(markup)
    extractor.close()
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
