"""Known entries cost nearly nothing: each raw entry of a well-formed feed
is identified and fingerprinted from the lxml tree, before any per-entry
work (feedparser's handlers, extract.py), and one the store already holds
with the same fingerprint is skipped unread.

The morning build is the case: overnight a feed moved on (a new ETag, the
whole document again) but 17 of its 20 entries are the bytes they were
yesterday. Reading them costs ~1 ms each and changes nothing.

- An entry's id: its guid (Atom: id), else its link, else a hash of its
  bytes. Only to pair it with what the store remembers; the Item's own key
  (parse.item_key) is made as before from the entry read.
- Its fingerprint: a hash of its serialized element with the feed context
  it is read in (the feed's address, title, base, channel byline, logo:
  parse.py's FeedContext) and READER, so a change of either reads every
  entry again. Any edit of the entry (title, text, picture, date, an
  attribute) changes its bytes, so its fingerprint: it is read in full.
- What depends on the whole feed (the pictures most items repeat, whether
  its dates are days only) is decided over the entries read and the marks
  of those skipped; when a verdict differs from the last one, parse.py
  reads every entry again (the skipped ones' items would change too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..models import EntryMark, KnownEntries

# Bump when what digest makes of an entry changes (a fix in extract.py, a
# new Item field): every stored entry is then read again once.
READER = "digest entry reader 2"

_ATOM = "{http://www.w3.org/2005/Atom}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"


def entry_elements(root) -> list:
    """The entry elements of an RSS 0.9x/2.0, RSS 1.0 or Atom 1.0 tree
    (items of the channel, items of the RDF root, entries of the feed);
    [] for any other shape, whose entries are then all read."""
    tag = root.tag
    if tag == "rss":
        channel = root.find("channel")
        return [] if channel is None else [child for child in channel if child.tag == "item"]
    if tag == f"{_ATOM}feed":
        return [child for child in root if child.tag == f"{_ATOM}entry"]
    if tag == _RDF:
        return [child for child in root if child.tag == f"{_RSS1}item"]
    return []


def entry_id(element, raw: bytes) -> str:
    """guid (Atom: id), else link, else a hash of the entry's bytes."""
    atom = element.tag.startswith(_ATOM)
    guid = element.find(f"{_ATOM}id" if atom else "guid" if element.tag == "item" else f"{_RSS1}guid")
    if guid is not None and (guid.text or "").strip():
        return "guid:" + guid.text.strip()
    if atom:
        for link in element.iterfind(f"{_ATOM}link"):
            if link.get("rel", "alternate") == "alternate" and (link.get("href") or "").strip():
                return "link:" + link.get("href").strip()
    else:
        link = element.find("link" if element.tag == "item" else f"{_RSS1}link")
        if link is not None and (link.text or "").strip():
            return "link:" + link.text.strip()
    return "hash:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def _context_digest(context: str) -> bytes:
    """The feed context as the key of its entries' fingerprints (made once a feed, not once an entry)."""
    return hashlib.blake2b(context.encode(), digest_size=32).digest()


def _keyed(key: bytes, raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16, key=key).hexdigest()


def _started_in(starts: dict | None, element) -> bytes:
    start = starts.get(element) if starts else None
    return b"" if start is None else f"\0{start!r}".encode()


@dataclass
class EntrySieve:
    """Chooses, once the feed's own elements are read, which entries to
    skip; remembers every entry's id and fingerprint in document order."""

    known: KnownEntries | None
    context_key: object  # callable: the feed's FeedParserDict -> its context's key
    ids: list[tuple[str, str]] = field(default_factory=list)  # (id, fingerprint) of the entries read, in order
    skipped: dict[str, EntryMark] = field(default_factory=dict)  # id -> the stored mark of an entry skipped

    def __call__(self, feed, elements: list, starts: dict | None = None) -> set:
        """The elements to skip (known, unchanged). `starts`: element ->
        the reading state it starts in (xml:base and xml:lang of the
        channel or feed above it, or of the HTTP headers): an entry's
        bytes do not hold them, and a new base changes its links."""
        from lxml import etree

        key = _context_digest(READER + "\n" + self.context_key(feed))
        raws = [etree.tostring(element, with_tail=False) + _started_in(starts, element) for element in elements]
        ids = [entry_id(element, raw) for element, raw in zip(elements, raws)]
        seen: dict[str, int] = {}
        for entry in ids:
            seen[entry] = seen.get(entry, 0) + 1
        known = self.known.entries if self.known else {}
        skip = set()
        for element, raw, entry in zip(elements, raws, ids):
            mark = known.get(entry)
            printed = _keyed(key, raw)
            # An id listed twice is read every time: which copy wins is
            # decided among all of them (parse._unique_items).
            if mark is not None and mark.fingerprint == printed and seen[entry] == 1:
                skip.add(element)
                self.skipped[entry] = mark
            else:
                self.ids.append((entry, printed))
        return skip
