"""Well-formed feed bytes -> feedparser's own result, tokenized by lxml.

feedparser reads a well-formed feed with expat through xml.sax: every tag,
every attribute list and every run of text between two entity references
(an escaped HTML description is hundreds of them) is a Python call through
the SAX glue into feedparser's handlers, whose FeedParserDict lookups are
the rest of its cost. Here libxml2 (lxml, C) parses the whole document at
once, and its tree is replayed into the same feedparser handler class, with
digest's patches: one call per element and one per text node. What the
handlers build is therefore what feedparser.parse builds, and parse.py
reads it the same way.

It refuses (returns None, and feedparser reads the bytes as before)
whatever it cannot promise to read the same: a DOCTYPE or entity
declaration, bytes whose encoding feedparser would have to guess or
override (its bozo cases), anything libxml2 finds an error or a warning
in, an attribute whose prefix is ambiguous, a document that is no feed.
libxml2 runs with no network, no DTD loading, no entity expansion and its
default limits on depth and text size (huge_tree off).

Why not more (measured on the 2-core machine, CPU per item): lxml alone
parses the bench's realistic 2 MB feed at 0.01-0.02 ms an item and
fastfeedparser (Kagi's, Rust core over lxml) at 0.011-0.026, against
feedparser's 0.5-0.8. But fastfeedparser's entries have another shape (no
summary_detail type, dates as strings, no guidislink, no flattened
namespace keys, none of digest's media patches) and on the vendored
captures it disagrees with feedparser on 115 titles, 28 links and 351
dates of 3,349 entries; reading it would change what digest shows.

So the document's own elements are replayed (the feed dict is
feedparser's), and each RSS 2.0 item or Atom 1.0 entry made only of the
elements direct.py restates is mapped by it straight from the tree, in
the handler state the replay recorded where the entry starts; the others
are replayed as before, and the two lists merged in document order.
tests/test_fastparse.py holds the mapped dicts equal to the replayed ones
key by key. Measured (CPU, best of 5, 2-core machine under load): bytes ->
entry dicts 0.36 -> 0.16 ms an entry on newsgen's 200 feeds, 0.95 -> 0.57
on the vendored captures (where chardet, for two feeds, is a large share).
"""

from __future__ import annotations

import re
from xml.sax.xmlreader import AttributesNSImpl

_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"


class _Refused(Exception):
    """The document is one this reader does not promise to read as expat would."""


def parse(body: bytes, headers: dict[str, str], sieve=None):
    """feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False,
    response_headers=headers) for a well-formed feed, or None where that
    cannot be promised. feedparser must already carry digest's patches
    (parse._feedparser()).

    With a sieve (known.EntrySieve), the feed's own elements are read
    first, without its entries; the sieve says which entries to skip
    (known and unchanged), and those are left out of the result unread."""
    from feedparser.encodings import convert_to_utf8
    from feedparser.sanitizer import replace_doctype
    from feedparser.urls import make_safe_absolute_uri
    from feedparser.util import FeedParserDict

    result = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers={})
    result["headers"].update(headers)
    data = convert_to_utf8(result["headers"], body, result)
    if result.get("bozo") or not result.get("encoding"):
        return None  # feedparser overrides or guesses the encoding, and says so: its business
    if _DECLARATION.search(data):  # in UTF-8 now, whatever the bytes were in
        return None
    result["version"], data, _ = replace_doctype(data)
    parsed = _tree(data)
    if parsed is None:
        return None
    root, declared = parsed
    location = result["headers"].get("content-location", "")
    base = make_safe_absolute_uri("", location) or make_safe_absolute_uri(location) or ""
    language = result["headers"].get("content-language", None)
    from .known import entry_elements

    entries = entry_elements(root)
    starts: dict = {}
    handler = feed_only = _handler_of(root, declared, base, language, frozenset(entries), starts) if entries else None
    if entries and feed_only is None:
        return None
    skipped = frozenset(sieve(feed_only.feeddata, entries, starts)) if sieve is not None and entries else frozenset()
    mapped = _mapped_directly(entries, skipped, starts, root, declared, feed_only) if entries else {}
    read = [element for element in entries if element not in skipped]
    if handler is None or len(mapped) < len(read):
        handler = _handler_of(root, declared, base, language, skipped | mapped.keys())
        if handler is None:
            return None
    if mapped:
        merged = _in_document_order(read, mapped, handler.entries)
        if merged is None:  # entries outside the places known.py looks: the replay reads them all
            mapped = {}
            handler = _handler_of(root, declared, base, language, skipped)
            if handler is None:
                return None
        else:
            handler.entries = merged
    result["direct"] = len(mapped)
    result["feed"] = handler.feeddata
    result["entries"] = handler.entries
    result["version"] = result["version"] or handler.version
    result["namespaces"] = handler.namespaces_in_use
    if not result["version"]:
        return None  # not a feed feedparser knows: its own path words the error
    return result


def _handler_of(root, declared: dict, base: str, language, skipped: frozenset, starts: dict | None = None):
    """feedparser's handler after the document's events, the `skipped`
    elements left out (with `starts`, the handler's state where each
    would have started is kept there); None when the replay refused or
    failed."""
    handler = _handler_class()(base, language, "utf-8")
    handler.resolve_relative_uris = False
    handler.sanitize_html = False
    try:
        _replay(handler, root, {}, declared, skipped, starts)
    except Exception:  # noqa: BLE001 - _Refused, or what feedparser's handlers raise: feedparser itself will say
        return None
    return handler


def _tree(data: bytes):
    """The document's root element and the namespaces each element declares,
    or None when libxml2 had anything to say. lxml tells an element's
    declarations only while parsing (its nsmap is every namespace in scope,
    built anew at each call), so a document with "xmlns" past the root's
    start tag is parsed event by event; else the root declares them all."""
    from io import BytesIO

    from lxml import etree

    options = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                   dtd_validation=False, collect_ids=False)
    declared: dict = {}
    try:
        if _declares_below_root(data):
            events = etree.iterparse(BytesIO(data), events=("start-ns", "start"), **options)
            pending: list[tuple[str, str]] = []
            for event, value in events:
                if event == "start-ns":
                    pending.append(value)
                elif pending:
                    declared[value], pending = pending, []
            root, errors = events.root, events.error_log
        else:
            parser = etree.XMLParser(**options)
            root, errors = etree.fromstring(data, parser), parser.error_log
            declared[root] = list(root.nsmap.items())
    except etree.XMLSyntaxError:
        return None
    if len(errors) or root.getroottree().docinfo.doctype:
        return None
    return root, declared


def _declares_below_root(data: bytes) -> bool:
    """Whether an element under the root may declare a namespace: "xmlns"
    anywhere past the root's start tag (in escaped text too, which only
    costs reading the document event by event)."""
    start = _ROOT_START.search(data)
    end = data.find(b">", start.end()) if start else 0
    return data.find(b"xmlns", end) != -1


_ROOT_START = re.compile(rb"<[^?!]")


_HANDLER = None


def _handler_class():
    """feedparser's strict handler, its content parameters in a dict whose
    lookups are plain (the keys it keeps there have no aliases)."""
    global _HANDLER
    if _HANDLER is not None:
        return _HANDLER
    from feedparser.api import StrictFeedParser
    from feedparser.util import FeedParserDict

    class Params(FeedParserDict):
        # type, language, base, base64, src, mode, value: none is in
        # FeedParserDict's keymap, so dict's own lookups give the same.
        get = dict.get
        __getitem__ = dict.__getitem__
        __contains__ = dict.__contains__

        def __deepcopy__(self, memo):
            return Params(self)  # its values are strings, numbers and None

    class Handler(StrictFeedParser):
        def __init__(self, baseuri, baselang, encoding):
            super().__init__(baseuri, baselang, encoding)
            self.contentparams = Params()

        def push_content(self, tag, attrs_d, default_content_type, expecting_text):
            super().push_content(tag, attrs_d, default_content_type, expecting_text)
            self.contentparams = Params(self.contentparams)

    _HANDLER = Handler
    return Handler


def _replay(handler, element, parent_nsmap: dict, declared: dict, skipped: frozenset = frozenset(),
            starts: dict | None = None) -> None:
    """The SAX events expat would send for element and its subtree (as
    xml.sax's expatreader builds them, namespace prefixes on), but none
    for the elements in `skipped` (their tails are still sent)."""
    declarations = declared.get(element)
    nsmap = parent_nsmap
    if declarations:
        nsmap = {**parent_nsmap, **dict(declarations)}
        for prefix, uri in declarations:
            handler.startPrefixMapping(prefix or None, uri)
    name = _name(element.tag)
    if element.attrib:
        attributes, qnames = {}, {}
        for key, value in element.attrib.items():
            pair = _name(key)
            attributes[pair] = value
            qnames[pair] = f"{_prefix(pair[0], nsmap)}:{pair[1]}" if pair[0] else key
        handler.startElementNS(name, None, AttributesNSImpl(attributes, qnames))
    else:
        handler.startElementNS(name, None, _NO_ATTRIBUTES)
    if element.text:
        handler.characters(element.text)
    for child in element:
        if isinstance(child.tag, str):
            if child not in skipped:
                _replay(handler, child, nsmap, declared, skipped, starts)
            elif starts is not None:
                starts[child] = _start_of(handler)
        if child.tail:  # a comment's or processing instruction's tail too
            handler.characters(child.tail)
    handler.endElementNS(name, None)


def _start_of(handler):
    from .direct import EntryStart

    return EntryStart(handler.baseuri, handler.lang, handler.version, handler.hasContent, handler.incontent)


_ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"


def _mapped_directly(entries: list, skipped: frozenset, starts: dict, root, declared: dict, feed_only) -> dict:
    """The entries direct.py maps (element -> feedparser's entry dict): an
    RSS 2.0 item or Atom 1.0 entry of the elements it knows, in a document
    where no prefix feedparser files keys under is bound to another of
    the namespaces it knows (its prefix map is one for the whole document,
    so such a binding anywhere renames the keys after it)."""
    from . import direct

    if root.tag != "rss" and root.tag != _ATOM_FEED:
        return {}
    standard = direct.standard_prefixes()
    for declarations in declared.values():
        for prefix, uri in declarations:
            if prefix in standard and direct.known_prefix(uri) not in (None, prefix):
                return {}
    prefixes = _unknown_prefixes(feed_only) if all(element is root for element in declared) else None
    mapped = {}
    for element in entries:
        if element not in skipped:
            entry = direct.entry_of(element, starts[element], prefixes)
            if entry is not None:
                mapped[element] = entry
    return mapped


def _unknown_prefixes(handler) -> dict:
    """Namespace URI -> the first prefix bound to it, in feedparser's
    namespaces_in_use (where the names of a namespace it does not know
    come from, when no qname is given)."""
    found: dict = {}
    for prefix, uri in handler.namespaces_in_use.items():
        if prefix and uri not in found:
            found[uri] = prefix
    return found


def _in_document_order(read: list, mapped: dict, replayed: list):
    """The entries in document order, the mapped ones among those the
    replay made; None when the replay made other than one per entry left
    to it (a stray <item> elsewhere)."""
    if len(replayed) != len(read) - len(mapped):
        return None
    rest = iter(replayed)
    return [mapped[element] if element in mapped else next(rest) for element in read]


_NO_ATTRIBUTES = AttributesNSImpl({}, {})  # read, never written, by the handlers


def _name(tag: str) -> tuple[str | None, str]:
    if tag[0] != "{":
        return None, tag
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def _prefix(namespace: str, nsmap: dict) -> str:
    """The prefix an attribute's namespace was written with; expat reports
    that, lxml only the namespace."""
    if namespace == _XML_NAMESPACE:
        return "xml"
    prefixes = [prefix for prefix, uri in nsmap.items() if prefix and uri == namespace]
    if len(prefixes) != 1:
        raise _Refused(f"attribute namespace {namespace} has {len(prefixes)} prefixes")
    return prefixes[0]
