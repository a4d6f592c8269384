"""An RSS 2.0 <item> or Atom 1.0 <entry> of the usual elements ->
feedparser's entry dict, read straight from the lxml tree (xmlfeed.py
decides which entries come here, and records the handler state each
starts in).

Replaying an entry into feedparser's handlers (xmlfeed._replay) costs a
Python call through the SAX glue, a base/lang stack push, a namespace
lookup and a method dispatch per element: most of a millisecond per
entry. An entry made only of the elements below, in the shapes below, is
mapped here by restating what those handlers do for exactly these
elements: the same keys, the same values, in a FeedParserDict (whose key
aliases then answer every reader alike). Anything else (an element with
a handler not restated here, an attribute in a namespace, xml:base below
the entry, a child where a leaf is read, Atom xhtml or base64 content, a
namespace feedparser does not know) refuses the entry (None), and the
replay reads it: feedparser stays the reference, and
tests/test_fastparse.py holds the two equal dict by dict on every
vendored capture and on feedparser's own test data.

Restated from feedparser/mixin.py (6.0): pop()'s text (stripped; URIs of
link, id, href, comments... resolved against the base, as digest leaves
on; a plain-text construct that looks like HTML typed text/html outside
Atom; the UTF-8-read-as-Latin-1 repair; cp1252 code points mapped), its
property-depth rule (a nested element's value does not replace an outer
one's), the title-depth rule, push_content's detail dicts, the
description/summary/content dance (hasContent), guid as link, links and
enclosures, media:content/thumbnail/group/credit/description/title with
digest's own patches (parse._feedparser), unknown leaf elements filed
under their prefixed name. Dates go through feedparser's own _parse_date;
authors and tags through feedparser's own helpers, called on the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_XML = "{http://www.w3.org/XML/1998/namespace}"
_HTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})
_CAN_BE_RELATIVE = frozenset({"comments", "docs", "href", "icon", "id", "link", "logo", "url", "wfw_comment",
                              "wfw_commentrss"})


@dataclass(frozen=True)
class EntryStart:
    """feedparser's handler state where an entry starts (xmlfeed records it
    while replaying the rest of the document)."""

    baseuri: str
    lang: str | None
    version: str
    has_content: int
    incontent: int = 0


class _Refused(Exception):
    """The entry holds something this mapping does not restate."""


def entry_of(element, start: EntryStart, prefixes: dict | None = None):
    """The FeedParserDict feedparser makes of an RSS <item> or Atom <entry>,
    or None when the entry holds anything this module does not restate.
    `prefixes`: namespace URI -> the first prefix the document binds it
    to, for the namespaces feedparser does not know (it files their
    elements under that prefix); None when a declaration below the root
    could change it (their elements then refuse the entry)."""
    if not start.version or start.has_content or start.incontent:
        return None
    _init()
    try:
        return _Entry(start, element, prefixes).read(element)
    except _Refused:
        return None


def _init() -> None:
    global _NAMES
    if _NAMES is not None:
        return
    from feedparser.api import StrictFeedParser
    from feedparser.datetimes import _parse_date
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin
    from feedparser.urls import _urljoin
    from feedparser.util import FeedParserDict

    # digest's patches (parse._feedparser) are on feedparser's namespace
    # classes, so the strict parser has them; xmlfeed's subclass adds none.
    handler = StrictFeedParser
    _HELPERS.update(cp1252=_cp1252, looks_like_html=_FeedParserMixin.looks_like_html, urljoin=_urljoin,
                    parse_date=_parse_date, dict=FeedParserDict, amp_name=re.compile("&([A-Za-z0-9_]+);"),
                    map_type=_FeedParserMixin.map_content_type)
    _HANDLED.update(name[len("_start_"):] for name in dir(handler) if name.startswith("_start_"))
    _HANDLED.update(name[len("_end_"):] for name in dir(handler) if name.startswith("_end_"))
    _KEYMAP.update(FeedParserDict.keymap)
    _NAMES = dict(handler('', None, "utf-8")._matchnamespaces)


_NAMES: dict | None = None  # namespace URI (lowercased) -> feedparser's prefix for it
_HELPERS: dict = {}
_HANDLED: set[str] = set()  # element names feedparser has a _start_ or _end_ method for
_KEYMAP: dict = {}  # FeedParserDict's aliases ("url" is filed as "href")


def known_prefix(uri: str) -> str | None:
    """The prefix feedparser files a namespace's elements under, or None for
    one it does not know (it then takes the document's own prefix)."""
    _init()
    lowered = uri.lower()
    if "backend.userland.com/rss" in lowered:
        lowered = "http://backend.userland.com/rss"
    return _NAMES.get(lowered)


def standard_prefixes() -> frozenset:
    """The prefixes feedparser files the namespaces it knows under."""
    global _STANDARD_PREFIXES
    if _STANDARD_PREFIXES is None:
        _init()
        _STANDARD_PREFIXES = frozenset(prefix for prefix in _NAMES.values() if prefix)
    return _STANDARD_PREFIXES


_STANDARD_PREFIXES: frozenset | None = None


def feedparser_name(tag: str) -> str:
    """The name feedparser's dispatch gives an element ("media_content",
    "title", "feedburner_origlink"); "" for a namespace it does not know."""
    name = _TAG_NAMES.get(tag)
    if name is None:
        name = _TAG_NAMES[tag] = _name_of(tag)
    return name


def _unknown_namespace_name(tag: str, prefixes: dict | None) -> str:
    """The name of an element in a namespace feedparser does not know: the
    first prefix the document binds its URI to, and its local name, both
    lowercased (strict.py's startElementNS, given no qname as the replay
    gives none, looks the prefix up in namespaces_in_use)."""
    uri, _, local = tag[1:].partition("}")
    prefix = (prefixes or {}).get(uri)
    if not prefix or prefix != prefix.lower() or prefix in standard_prefixes():
        raise _Refused(f"namespace {uri}")
    return f"{prefix}_{local.lower()}"


_TAG_NAMES: dict[str, str] = {}


def _name_of(tag: str) -> str:
    if tag[0] != "{":
        return tag.lower()
    uri, _, local = tag[1:].partition("}")
    prefix = known_prefix(uri)
    if prefix is None:
        return ""  # the document's own prefix: _unknown_namespace_name
    return f"{prefix}_{local.lower()}" if prefix else local.lower()


class _Entry:
    """One entry being mapped: the entry dict and the handler flags its
    elements consult."""

    def __init__(self, start: EntryStart, element, prefixes: dict | None):
        base, lang = start.baseuri, start.lang
        if element.attrib:
            base, lang = _entry_attributes(element, base, lang)
        self.entry_base = _safe_base(base)
        self.base = _safe_base(self.entry_base)  # each child's start tag recomputes it
        self.lang = lang.replace("_", "-") if lang else lang
        self.atom = start.version.startswith("atom")
        self.prefixes = prefixes
        self.has_content = start.has_content
        self.guidislink = 0
        self.title_depth = -1
        self.in_media_content = False
        self.depths: dict[str, int] = {}
        self.entry = _HELPERS["dict"]()

    def read(self, element):
        self.children(element, 1)
        return self.entry

    def children(self, element, depth: int) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                raise _Refused("a comment or processing instruction")
            name = feedparser_name(tag) or _unknown_namespace_name(tag, self.prefixes)
            reader = _READERS.get(name)
            attributes = _attributes(child) if child.attrib else {}
            if reader is None and name in _HANDLED:
                raise _Refused(name)
            if attributes and _SCOPED.intersection(attributes):
                self.scoped(name, child, attributes, depth, reader)
            elif reader is not None:
                reader(self, child, attributes, depth)
            else:
                self.unknown(name, child, attributes, depth)

    def scoped(self, name: str, child, attributes: dict, depth: int, reader) -> None:
        """A child with its own xml:base or xml:lang: unknown_starttag's base
        and language while it is read, the entry's again after it."""
        from feedparser import mixin

        base, lang = self.base, self.lang
        chosen = attributes.get("xml:base", attributes.get("base")) or base
        self.base = (mixin.make_safe_absolute_uri(base, chosen) or base) if base else mixin._urljoin(base, chosen)
        given = attributes.get("xml:lang", attributes.get("lang"))
        given = None if given == "" else lang if given is None else given
        self.lang = given.replace("_", "-") if given else given
        try:
            if reader is not None:
                reader(self, child, attributes, depth)
            else:
                self.unknown(name, child, attributes, depth)
        finally:
            self.base, self.lang = base, lang

    # -- pop() for a leaf

    def text(self, raw: str, element: str, content_type: str | None = None) -> tuple[str, str | None]:
        """pop()'s output for a leaf, and the content type it settled on."""
        output = raw.strip()
        if element in _CAN_BE_RELATIVE and output and (element != "id" or self.guidislink):
            output = _HELPERS["urljoin"](self.base or "", output)
        if not self.atom and content_type == "text/plain" and _HELPERS["looks_like_html"](output):
            content_type = "text/html"
        return _repaired(output), content_type

    def store(self, element: str, value: str, depth: int, detail_type: str | None = None) -> None:
        """pop()'s storing of an entry's value: not over one from a shallower
        element; and a text construct's _detail, always."""
        if element == "description":
            element = "summary"
        old = self.depths.get(element)
        if old is None or depth <= old:
            self.depths[element] = depth
            _set(self.entry, _key(element), value)
        if detail_type is not None:
            _set(self.entry, _key(element + "_detail"), self.detail(detail_type, value))

    def detail(self, content_type: str, value: str, **more):
        return _HELPERS["dict"](type=content_type, language=self.lang, base=self.base, **more, value=value)

    def _get_context(self):  # feedparser's helpers (_add_tag, _save_author...) call these two
        return self.entry

    def _sync_author_detail(self, key: str = "author") -> None:
        from feedparser.mixin import _FeedParserMixin

        _FeedParserMixin._sync_author_detail(self, key)

    def unknown(self, name: str, child, attributes: dict, depth: int) -> None:
        """An element feedparser has no handler for: a leaf's text under its
        name, or its attributes (and no text) when it has some."""
        if len(child):
            raise _Refused(f"{name} with children")
        if attributes:
            _set(self.entry, _key(name), attributes)
            return
        value, _ = self.text(child.text or "", name)
        self.store(name, value, depth)



def _leaf(child) -> str:
    if len(child):
        raise _Refused(f"{child.tag} with children")
    return child.text or ""


def _no_attributes(attributes: dict, name: str) -> None:
    if attributes:
        raise _Refused(f"{name} with attributes")


def _content_type(attributes: dict, default: str) -> str:
    """push_content's type; refuses what feedparser would base64-decode or read as xhtml."""
    kind = _HELPERS["map_type"](attributes.get("type", default))
    if attributes.get("mode", "") == "base64" or not kind.startswith("text/") or "mode" in attributes:
        raise _Refused(f"content of type {kind}")
    return kind


def _title(entry: _Entry, child, attributes: dict, depth: int, media: bool = False) -> None:
    raw = _leaf(child)
    _no_more(attributes, {"type"})
    value, kind = entry.text(raw, "title", _content_type(attributes, "text/plain"))
    if not -1 < entry.title_depth <= depth:
        entry.store("title", value, depth, kind)
    if value and not media:
        entry.title_depth = depth


def _media_title(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _title(entry, child, attributes, depth, media=True)


def _link(entry: _Entry, child, attributes: dict, depth: int) -> None:
    from feedparser.mixin import _FeedParserMixin

    raw = _leaf(child)
    _no_more(attributes, {"rel", "type", "href", "title", "length", "hreflang"})
    attributes.setdefault("rel", "alternate")
    attributes.setdefault("type", "application/atom+xml" if attributes["rel"] == "self" else "text/html")
    attributes = _FeedParserMixin._enforce_href(attributes)
    if "href" in attributes:
        attributes["href"] = _HELPERS["urljoin"](entry.base or "", attributes["href"])
    _setdefault(entry.entry, "links", []).append(_HELPERS["dict"](attributes))
    if "href" in attributes:
        if attributes["rel"] == "alternate" and _HELPERS["map_type"](attributes["type"]) in _HTML_TYPES:
            entry.entry["link"] = attributes["href"]
        return
    value, _ = entry.text(raw, "link")
    value = _HELPERS["amp_name"].sub(r"&\g<1>", value.replace("&amp;", "&"))
    entry.entry["link"] = value
    if value:
        entry.entry["links"][-1]["href"] = value


def _as_content(entry: _Entry, child, attributes: dict, depth: int, default: str) -> None:
    """_start_content/_end_content (Atom <content>, and a second summary or
    description), or content:encoded's (default text/html)."""
    raw = _leaf(child)
    _no_more(attributes, {"type", "src"})
    entry.has_content = 1
    stated = _content_type(attributes, default)
    value, kind = entry.text(raw, "content", stated)
    more = {"src": attributes["src"]} if attributes.get("src") else {}
    _setdefault(entry.entry, "content", []).append(entry.detail(kind, value, **more))
    if stated in {"text/plain"} | _HTML_TYPES:
        _setdefault(entry.entry, "summary", value)


def _content(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _as_content(entry, child, attributes, depth, "text/plain")


def _content_encoded(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _no_more(attributes, {"type"})
    _as_content(entry, child, attributes, depth, "text/html")


def _summary_element(key: str, default_type: str):
    """<description> (RSS) and <summary> (Atom): the entry's summary, or
    its content where it has a summary already and no content (feedparser
    files a second summary so)."""
    def read(entry: _Entry, child, attributes: dict, depth: int) -> None:
        if "summary" in entry.entry and not entry.has_content:
            return _as_content(entry, child, attributes, depth, "text/plain")
        raw = _leaf(child)
        _no_more(attributes, {"type"})
        value, kind = entry.text(raw, key, _content_type(attributes, default_type))
        entry.store(key, value, depth, kind)

    return read


_description = _summary_element("description", "text/html")
_summary = _summary_element("summary", "text/plain")


def _text_construct(key: str):
    """push_content(key, attrs, "text/plain", 1) and pop_content: subtitle, rights."""

    def read(entry: _Entry, child, attributes: dict, depth: int) -> None:
        raw = _leaf(child)
        _no_more(attributes, {"type"})
        value, kind = entry.text(raw, key, _content_type(attributes, "text/plain"))
        entry.store(key, value, depth, kind)

    return read


def _dated(key: str):
    def read(entry: _Entry, child, attributes: dict, depth: int) -> None:
        raw = _leaf(child)
        _no_attributes(attributes, key)
        value, _ = entry.text(raw, key)
        entry.store(key, value, depth)
        entry.entry[f"{key}_parsed"] = _HELPERS["parse_date"](value)

    return read


def _guid(entry: _Entry, child, attributes: dict, depth: int) -> None:
    raw = _leaf(child)
    _no_more(attributes, {"ispermalink"})
    entry.guidislink = attributes.get("ispermalink", "true") == "true"
    value, _ = entry.text(raw, "id")
    entry.store("id", value, depth)
    _setdefault(entry.entry, "guidislink", entry.guidislink and "link" not in entry.entry)
    if entry.guidislink:
        _setdefault(entry.entry, "link", value)


def _author(entry: _Entry, child, attributes: dict, depth: int) -> None:
    """RSS's <author>, dc:creator, itunes:author (a leaf) or Atom's
    <author> (name, email, uri)."""
    from feedparser.mixin import _FeedParserMixin

    _no_attributes(attributes, "author")
    _setdefault(entry.entry, "authors", []).append(_HELPERS["dict"]())
    pieces = [child.text or ""]
    for part in child:
        if not isinstance(part.tag, str) or feedparser_name(part.tag) not in ("name", "email", "uri") \
                or part.attrib or len(part):
            raise _Refused("an author's unusual part")
        key = feedparser_name(part.tag)
        if key == "uri":  # push('href', 1): pop() resolves and files it, then the author's href
            value, _ = entry.text(part.text or "", "href")
            entry.store("href", value, depth + 1)
            _FeedParserMixin._save_author(entry, "href", value)
        else:  # push(key, 0): pop() only strips
            _FeedParserMixin._save_author(entry, key, (part.text or "").strip())
        pieces.append(part.tail or "")
    value, _ = entry.text("".join(pieces), "author")
    entry.store("author", value, depth)
    _FeedParserMixin._sync_author_detail(entry)


def _category(entry: _Entry, child, attributes: dict, depth: int) -> None:
    from feedparser.mixin import _FeedParserMixin

    raw = _leaf(child)
    _no_more(attributes, {"term", "scheme", "domain", "label"})
    _FeedParserMixin._add_tag(entry, attributes.get("term"), attributes.get("scheme", attributes.get("domain")),
                              attributes.get("label"))
    value, _ = entry.text(raw, "category")
    if not value:
        return
    tags = entry.entry["tags"]
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        _FeedParserMixin._add_tag(entry, value, None, None)


def _itunes_keywords(entry: _Entry, child, attributes: dict, depth: int) -> None:
    from feedparser.mixin import _FeedParserMixin

    raw = _leaf(child)
    _no_attributes(attributes, "itunes:keywords")
    value, _ = entry.text(raw, "itunes_keywords")
    for term in value.split(","):
        if term.strip():
            _FeedParserMixin._add_tag(entry, term.strip(), "http://www.itunes.com/", None)


def _itunes_explicit(entry: _Entry, child, attributes: dict, depth: int) -> None:
    raw = _leaf(child)
    _no_attributes(attributes, "itunes:explicit")
    value = _unstripped(entry, raw)  # pop('itunes_explicit', 0): not stripped
    entry.store("itunes_explicit", value, depth)
    entry.entry["itunes_explicit"] = (None, False, True)[(value == "yes" and 2) or value == "clean" or 0]


def _unstripped(entry: _Entry, raw: str) -> str:
    return _repaired(raw)


def _repaired(output: str) -> str:
    """pop()'s last steps: UTF-8 read as Latin-1 read again, cp1252's code
    points mapped; ASCII text is the same after both."""
    if output.isascii():
        return output
    try:
        output = output.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    # str.translate looks up every character in Python; only C1 code points change
    return output.translate(_HELPERS["cp1252"]) if _C1.search(output) else output


_C1 = re.compile("[\x80-\x9f]")


_set = dict.__setitem__
_setdefault = dict.setdefault  # on keys FeedParserDict maps to themselves


def _key(name: str) -> str:
    """The key FeedParserDict's __setitem__ files a name under ("url" is "href")."""
    key = _KEYMAP.get(name, name)
    return key[0] if isinstance(key, list) else key


def _enclosure(entry: _Entry, child, attributes: dict, depth: int) -> None:
    from feedparser.mixin import _FeedParserMixin

    raw = _leaf(child)
    attributes = _FeedParserMixin._enforce_href(attributes)
    attributes["rel"] = "enclosure"
    _setdefault(entry.entry, "links", []).append(_HELPERS["dict"](attributes))
    value, _ = entry.text(raw, "enclosure")
    entry.store("enclosure", value, depth)
    if value and value.strip():
        entry.entry["links"][-1]["digest_caption"] = value.strip()  # digest's patch (parse._feedparser)


def _media_content(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _setdefault(entry.entry, "media_content", []).append(attributes)
    entry.in_media_content = True  # digest's patch: a caption or credit inside is this picture's
    entry.children(child, depth + 1)
    entry.in_media_content = False


def _media_group(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _no_attributes(attributes, "media:group")
    entry.children(child, depth + 1)


def _media_thumbnail(entry: _Entry, child, attributes: dict, depth: int) -> None:
    raw = _leaf(child)
    thumbnails = _setdefault(entry.entry, "media_thumbnail", [])
    thumbnails.append(attributes)
    value, _ = entry.text(raw, "url")
    entry.store("url", value, depth)  # FeedParserDict files it as "href", as pop() does
    if value.strip() and "url" not in thumbnails[-1]:
        thumbnails[-1]["url"] = value


def _media_description(entry: _Entry, child, attributes: dict, depth: int) -> None:
    """digest's patch: media:description is media_description, and inside a
    media:content also that picture's digest_caption."""
    raw = _leaf(child)
    _no_more(attributes, {"type"})
    value, kind = entry.text(raw, "media_description", _content_type(attributes, "text/plain"))
    entry.store("media_description", value, depth, kind)
    _on_open_media_content(entry, "digest_caption", value)


def _media_credit(entry: _Entry, child, attributes: dict, depth: int) -> None:
    raw = _leaf(child)
    credits = _setdefault(entry.entry, "media_credit", [])
    credits.append(attributes)
    value, _ = entry.text(raw, "credit")
    entry.store("credit", value, depth)
    if value.strip():
        credits[-1]["content"] = value
    _on_open_media_content(entry, "digest_credit", (entry.entry.get("media_credit") or [{}])[-1].get("content", ""))


def _on_open_media_content(entry: _Entry, key: str, value: str) -> None:
    if value and entry.in_media_content:
        pictures = entry.entry.get("media_content") or []
        if pictures and key not in pictures[-1]:
            pictures[-1][key] = value


def _itunes_image(entry: _Entry, child, attributes: dict, depth: int) -> None:
    _leaf(child)
    if attributes.get("href"):
        entry.entry["image"] = _HELPERS["dict"]({"href": attributes.get("href")})
    elif attributes.get("url"):
        entry.entry["image"] = _HELPERS["dict"]({"href": attributes.get("url")})


def _no_more(attributes: dict, allowed: set) -> None:
    for name in attributes:
        if name not in allowed and name not in _SCOPED:
            raise _Refused(f"attribute {name}")


# Attributes unknown_starttag reads for every element: its base and language.
_SCOPED = frozenset({"xml:base", "base", "xml:lang", "lang"})


def _attributes(child) -> dict:
    """The element's attributes as feedparser's handlers get them: names
    lowercased, rel and type values too, xml:base and xml:lang under those
    names; one in another namespace refuses the entry."""
    found = {}
    for name, value in child.attrib.items():
        if name[0] == "{":
            if not name.startswith(_XML):
                raise _Refused(f"attribute {name}")
            name = "xml:" + name[len(_XML):]
        name = name.lower()
        found[name] = value.lower() if name in ("rel", "type") else value
    return found


def _entry_attributes(element, base: str, lang):
    """unknown_starttag's base and language for an entry with xml:base or
    xml:lang (no other attribute is taken)."""
    from feedparser import mixin

    attributes = dict(element.attrib)
    given_base = attributes.pop(f"{_XML}base", None)
    given_lang = attributes.pop(f"{_XML}lang", None)
    if attributes:
        raise _Refused("entry attributes")
    chosen = given_base or base
    if base:
        base = mixin.make_safe_absolute_uri(base, chosen) or base
    else:
        base = mixin._urljoin(base, chosen)
    if given_lang == "":
        given_lang = None
    elif given_lang is None:
        given_lang = lang
    return base, given_lang


def _safe_base(baseuri: str) -> str:
    """unknown_starttag's base for an element with no xml:base."""
    from feedparser import mixin

    if baseuri:
        return mixin.make_safe_absolute_uri(baseuri, baseuri) or baseuri
    return mixin._urljoin(baseuri, baseuri)


_READERS = {
    "title": _title,
    "dc_title": _title,
    "media_title": _media_title,
    "link": _link,
    "description": _description,
    "summary": _summary,
    "itunes_summary": _summary,
    "content": _content,
    "content_encoded": _content_encoded,
    "subtitle": _text_construct("subtitle"),
    "itunes_subtitle": _text_construct("subtitle"),
    "rights": _text_construct("rights"),
    "pubdate": _dated("published"),
    "published": _dated("published"),
    "issued": _dated("published"),
    "dcterms_issued": _dated("published"),
    "updated": _dated("updated"),
    "modified": _dated("updated"),
    "dc_date": _dated("updated"),
    "dcterms_modified": _dated("updated"),
    "dcterms_created": _dated("created"),
    "guid": _guid,
    "id": _guid,
    "author": _author,
    "dc_creator": _author,
    "dc_author": _author,
    "itunes_author": _author,
    "category": _category,
    "itunes_keywords": _itunes_keywords,
    "itunes_explicit": _itunes_explicit,
    "itunes_image": _itunes_image,
    "enclosure": _enclosure,
    "media_content": _media_content,
    "media_group": _media_group,
    "media_thumbnail": _media_thumbnail,
    "media_description": _media_description,
    "media_credit": _media_credit,
}
