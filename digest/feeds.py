"""The feed list: the starter config, editing [[feeds]] in place, OPML import
and export, and the health of each feed (`feeds list`).

Edits go through tomlkit so the user's comments and layout survive, are
validated as a whole config before anything is written, and are written
atomically (temp file + rename).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from .config import CONFIG_MAX_BYTES, Config, FeedConfig, config_from_dict, read_config_text
from .errors import ConfigError, UsageError
from .files import held_lock, write_atomically
from .sources.discovery import web_address_candidates
from .text import cut_line
from .urls import feed_identity, normalize_feed_location, redacted_url

STARTER = Path(__file__).with_name("starter.toml")


# ---------------------------------------------------------------- init


def write_starter_config(path: Path) -> Path:
    """Write the commented starter config; never over an existing file."""

    if path.exists():
        raise UsageError(f"{path} already exists; not overwriting it (edit it, or pick another DIR)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {path.parent}: {exc.strerror}") from None
    write_atomically(path, STARTER.read_bytes())
    return path


# ---------------------------------------------------------------- editing


class ConfigEditor:
    """Round-trip edits of the config's [[feeds]]."""

    def __init__(self, path: Path):
        import tomlkit

        self.path = path
        try:
            self.document = tomlkit.parse(read_config_text(path))
        except tomlkit.exceptions.ParseError as exc:
            raise ConfigError(f"invalid TOML: {exc}", path=path) from None
        self.config = self._validated()

    def _validated(self) -> Config:
        return config_from_dict(self.document.unwrap(), path=self.path)

    def find(self, url_or_name: str) -> FeedConfig | None:
        """A feed by URL (as written or normalized, scheme and host in any
        case) or by name (any case). A name two feeds share is a
        UsageError listing them: removing "the first" would be a guess."""
        try:
            wanted = normalize_feed_location(url_or_name, self.path.parent)
        except ConfigError:
            wanted = url_or_name
        identities = {feed_identity(url_or_name), feed_identity(wanted)}
        identities |= {feed_identity(url) for url in web_address_candidates(url_or_name)}  # as `feeds add` took it
        for feed in self.config.feeds:
            if feed_identity(feed.url) in identities:
                return feed
        wanted_name = _name_key(url_or_name)
        named = [f for f in self.config.feeds if f.name and _name_key(f.name) == wanted_name]
        if len(named) > 1:
            raise UsageError(f"{len(named)} feeds in {self.path} are named {url_or_name!r}: "
                             + "; ".join(f.url for f in named) + " (name one by its URL)")
        return named[0] if named else None

    def set_paused(self, url_or_name: str, paused: bool) -> FeedConfig:
        """Pause a feed (kept in the config, not fetched) or resume it."""
        feed = self.find(url_or_name)
        if feed is None:
            raise UsageError(f"no feed {url_or_name!r} in {self.path} (see `digest feeds list`)")
        if feed.paused == paused:
            raise UsageError(f"{feed.name or feed.url} is {'already paused' if paused else 'not paused'}")
        table = self.document["feeds"][self.config.feeds.index(feed)]
        if paused:
            table["paused"] = True
        elif "paused" in table:
            del table["paused"]
        self.config = self._validated()
        return feed

    def add(self, feed: FeedConfig) -> None:
        url = normalize_feed_location(feed.url, self.path.parent)
        existing = self.find(url)
        if existing:
            raise UsageError(f"{url} is already in {self.path}" + (f" (as {existing.name!r})" if existing.name else ""))
        self.append(feed)
        self.config = self._validated()

    def append(self, feed: FeedConfig) -> None:
        """Add a [[feeds]] table without validating the whole config again:
        the caller checks the URL and calls validate() once (an import of
        4,000 feeds validated after each took minutes)."""
        import tomlkit

        table = tomlkit.table()
        table["url"] = feed_identity(feed.url)
        name = config_label(feed.name or "", MAX_NAME_CHARS)
        if name:
            table["name"] = name
        if feed.weight != 1.0:
            table["weight"] = feed.weight
        tags = [tag for tag in (config_label(t, MAX_TAG_CHARS) for t in feed.tags[:MAX_TAGS]) if tag]
        if tags:
            table["tags"] = list(dict.fromkeys(tags))
        if "feeds" not in self.document:
            self.document.append("feeds", tomlkit.aot())
        self.document["feeds"].append(table)

    def validate(self) -> None:
        self.config = self._validated()

    def remove(self, url_or_name: str) -> FeedConfig:
        feed = self.find(url_or_name)
        if feed is None:
            raise UsageError(f"no feed {url_or_name!r} in {self.path} (see `digest feeds list`)")
        index = self.config.feeds.index(feed)
        del self.document["feeds"][index]
        self.config = self._validated()
        return feed

    def save(self) -> None:
        """Write the config in place; never one larger than digest reads."""
        import tomlkit

        data = tomlkit.dumps(self.document).encode("utf-8")
        if len(data) > CONFIG_MAX_BYTES:
            raise UsageError(f"{self.path}: not changed: it would grow to {len(data) / 2**20:.1f} MB, over the "
                             f"{CONFIG_MAX_BYTES // 2**20} MB a config may have ({len(self.config.feeds)} feeds)")
        write_atomically(self.path, data)


MAX_NAME_CHARS = 120  # a feed's name in the config: what the meta line and `feeds list` show
MAX_TAG_CHARS = 60
MAX_TAGS = 20


def _name_key(name: str) -> str:
    """A feed's name as `feeds remove` matches it: any case, and "Café"
    typed composed or decomposed (macOS file names and some keyboards
    give the second)."""
    import unicodedata

    return unicodedata.normalize("NFC", name).casefold()


def config_label(text: str, limit: int) -> str:
    """A name or tag fit for one TOML line: control characters out,
    whitespace collapsed, cut at a word under `limit` characters."""
    return cut_line("".join(" " if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text[: limit * 8]), limit)


# ---------------------------------------------------------------- OPML


@dataclass(frozen=True)
class ImportSummary:
    added: list[FeedConfig]
    duplicates: int
    skipped: int  # outlines with no usable feed URL


class _Prolog(Exception):
    """Raised by the prolog check when it has seen enough."""

    def __init__(self, entities: bool):
        self.entities = entities


def _declares_entities(data: bytes) -> bool:
    """Whether the document's DTD declares an entity: expat is stopped at
    the first element, so only the prolog is read."""
    import xml.parsers.expat

    def stop(*_args, entities: bool = False):
        raise _Prolog(entities)

    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = lambda *args: stop(entities=True)
    parser.StartElementHandler = stop
    try:
        parser.Parse(data, True)
    except _Prolog as seen:
        return seen.entities
    except xml.parsers.expat.ExpatError:
        return False  # not XML: ElementTree says so below
    return False


def read_opml(data: bytes, source: str) -> list[FeedConfig]:
    """Feeds of an OPML document; the folders they sit in become tags. An
    OPML that declares entities is refused: no reader list needs them, and
    a few hundred bytes of nested ones expand to megabytes."""
    if _declares_entities(data):
        raise UsageError(f"{source}: not imported: it declares XML entities (<!ENTITY>), which OPML has no use for")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UsageError(f"{source}: not an OPML file ({exc})") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise UsageError(f"{source}: not an OPML file (no <opml><body>)")
    return list(_outlines(body))


MAX_FOLDER_DEPTH = 8  # folders nested deeper keep the tags of the first eight


def _outlines(body: ET.Element) -> Iterable[FeedConfig]:
    """Every outline with a feed URL, in document order; the folders above it
    become its tags. A walk with its own stack: an OPML nested thousands
    deep is read like a flat one."""
    stack: list[tuple[Iterator[ET.Element], tuple[str, ...]]] = [(iter(body.findall("outline")), ())]
    while stack:
        outline = next(stack[-1][0], None)
        if outline is None:
            stack.pop()
            continue
        folders = stack[-1][1]
        url = (outline.get("xmlUrl") or "").strip()
        label = (outline.get("title") or outline.get("text") or "").strip()
        if not url:
            deeper = folders + ((label,) if label and len(folders) < MAX_FOLDER_DEPTH else ())
            stack.append((iter(outline.findall("outline")), deeper))
            continue
        categories = [c.strip().strip("/") for c in (outline.get("category") or "").split(",")]
        tags = tuple(dict.fromkeys(t for t in (*folders, *categories) if t))
        yield FeedConfig(url=url, name=label or None, weight=_weight(outline.get("weight")), tags=tags)


def _weight(value: str | None) -> float:
    try:
        weight = float(value) if value else 1.0
    except ValueError:
        return 1.0
    return weight if weight > 0 else 1.0


def import_feeds(editor: ConfigEditor, feeds: Iterable[FeedConfig]) -> ImportSummary:
    """Append every new feed, then validate the config once. Duplicates are
    found in a set of the normalized URLs, not by a search per feed."""
    added, duplicates, skipped = [], 0, 0
    known = {feed.url for feed in editor.config.feeds}  # normalized by the config already
    for feed in feeds:
        try:
            if urlsplit(feed.url).scheme.lower() not in ("http", "https"):
                # file:// too: a list from someone else names web feeds, never files on this machine
                raise ConfigError("not a web feed URL")
            url = normalize_feed_location(feed.url, editor.path.parent)
        except (ConfigError, ValueError):  # an outline the config would refuse (no host, "http://[::1"...)
            skipped += 1
            continue
        if url in known:
            duplicates += 1
            continue
        known.add(url)
        editor.append(feed)
        added.append(feed)
    if added:
        editor.validate()
    return ImportSummary(added=added, duplicates=duplicates, skipped=skipped)


def write_opml(config: Config, titles: dict[str, str], now: datetime | None = None) -> str:
    """OPML 2.0 with one folder per first tag; all tags also go into
    `category` so a round trip keeps every one."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = config.title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in config.feeds:
        parent = body
        if feed.tags:
            tag = feed.tags[0]
            if tag not in folders:
                folders[tag] = ET.SubElement(body, "outline", text=_xml_text(tag), title=_xml_text(tag))
            parent = folders[tag]
        name = _xml_text(feed.name or titles.get(feed.url) or feed.url)
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        if len(feed.tags) > 1:
            attrs["category"] = ",".join(f"/{_xml_text(t)}" for t in feed.tags[1:])
        if feed.weight != 1.0:
            attrs["weight"] = f"{feed.weight:g}"
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: a control character in a name (a tab stays a
    space) would make the export an OPML no reader, digest included, opens."""
    return "".join(" " if c in "\t\n\r" else c for c in text if c in "\t\n\r" or ord(c) >= 32)


# ---------------------------------------------------------------- listing


def feed_rows(config: Config, store) -> list[dict]:
    """One plain dict per feed: config fields plus health from the store.

    `url` is where the feed is fetched from now: after a permanent redirect,
    the new address (`moved_from` keeps the config's).
    """
    states = store.feed_states()
    newest = store.newest_items()
    rows = []
    for feed in config.feeds:
        state = states.get(feed.url)
        url = state.fetch_url if state else feed.url
        rows.append({
            "name": feed.name or (state.title if state else "") or None,
            "url": redacted_url(url),
            "moved_from": redacted_url(feed.url) if url != feed.url else None,
            "tags": list(feed.tags),
            "weight": feed.weight,
            "status": _status(state, feed.paused),
            "last_success": _iso(state.last_success) if state else None,
            "newest": _iso(newest.get(feed.url)),
            "failures": state.failures if state else 0,
            "last_error": state.last_error if state else None,
            "retired": _iso(state.retired) if state else None,
        })
    return rows


def _status(state, paused: bool = False) -> str:
    if paused:
        return "paused"
    if state is None or (state.last_success is None and not state.failures and not state.retired):
        return "new"
    if state.retired:
        return "retired"
    if state.failures:
        return "failing"
    return "moved" if state.current_url else "ok"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


# ---------------------------------------------------------------- the use cases (digest feeds ...)


EDIT_LOCK_WAIT = 60.0  # seconds an edit of the config waits for another one


@contextmanager
def editing(config_path: Path) -> Iterator[ConfigEditor]:
    """The config read for an edit, with every other edit of it (another
    `feeds add` running at the same time) held off until this one is saved:
    eight adds at once used to keep one to three of the eight feeds. The
    lock is a file beside the config (the config itself is replaced whole
    on save, so a lock on it would be on the old file)."""
    lock_path = Path(config_path).with_name(f".{Path(config_path).name}.lock")
    with held_lock(lock_path, EDIT_LOCK_WAIT,
                   lambda exc: UsageError(f"cannot lock {config_path} for editing: {exc.strerror} ({lock_path})"),
                   lambda: UsageError(f"{config_path} is being edited by another digest command; try again")):
        yield ConfigEditor(config_path)


@dataclass(frozen=True)
class Added:
    feed: FeedConfig  # as written into the config
    title: str | None  # the feed's own title, when it was fetched
    path: Path  # the config file


def add_feed(config_path: Path, location: str, *, name: str | None = None, weight: float = 1.0,
             tags: tuple[str, ...] = (), check: bool = True, reporter=None) -> Added:
    """`feeds add`: the feed at a URL, a path, or `example.org/feed` (https,
    then http), or the one the website there points to, added to the config
    in place. `check=False` adds it as given without fetching it."""
    from .sources.discovery import Unreachable, checked_feed, unchecked_feed, web_address_candidates

    editor = ConfigEditor(config_path)
    # `example.org/feed` with no such file here is a web address: https, then http.
    candidates = web_address_candidates(location) or [
        location if "://" in location else str(Path(location).expanduser().resolve())]
    for candidate in candidates:
        if editor.find(candidate):
            raise UsageError(f"{candidate} is already in {editor.path}")
    title = None
    if not check:
        feed_url = unchecked_feed(candidates[0])
    else:
        for number, candidate in enumerate(candidates, 1):
            try:
                found = checked_feed(candidate, editor.config.fetch)
                break
            except Unreachable:
                if number == len(candidates):
                    raise
        feed_url, title = found.url, found.title
        if found.how != "feed" and reporter is not None:
            how = "advertised by the page" if found.how == "link" else "found at a usual path"
            reporter.info(f"Using the feed {found.url} ({how}).")
    feed_url = feed_identity(feed_url)
    with editing(config_path) as editor:  # read again: another edit may have landed meanwhile
        if editor.find(feed_url):
            raise UsageError(f"{feed_url} is already in {editor.path}")
        editor.add(FeedConfig(url=feed_url, name=name or title or None, weight=weight, tags=tuple(tags)))
        editor.save()
        return Added(feed=editor.config.feeds[-1], title=title, path=editor.path)


def remove_feed(config_path: Path, url_or_name: str) -> FeedConfig:
    """`feeds remove`: by URL or by a name no other feed has."""
    with editing(config_path) as editor:
        removed = editor.remove(url_or_name)
        editor.save()
    return removed


def pause_feed(config_path: Path, url_or_name: str, paused: bool = True) -> FeedConfig:
    """`feeds pause` (kept in the config, not fetched) and `feeds resume`."""
    with editing(config_path) as editor:
        feed = editor.set_paused(url_or_name, paused)
        editor.save()
    return feed


OPML_MAX_BYTES = 16 * 1024 * 1024  # about 100,000 outlines


def import_opml(config_path: Path, data: bytes, source: str) -> ImportSummary:
    """`feeds import`: the feeds of an OPML document; folders become tags."""
    if len(data) > OPML_MAX_BYTES:
        raise UsageError(f"{source}: larger than {OPML_MAX_BYTES // (1024 * 1024)} MB: not an OPML file")
    with editing(config_path) as editor:
        summary = import_feeds(editor, read_opml(data, source))
        if summary.added:
            editor.save()
    return summary
