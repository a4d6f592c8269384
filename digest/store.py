"""The SQLite state file: feeds and their fetch state, items, the sent log.

One file, WAL, a schema version with migrations. Times are stored as UTC
epoch seconds so windows are plain numeric comparisons. The store is also
the lock between two builds: marking items sent happens in an immediate
transaction that first checks nobody else claimed them.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import StoreError
from .files import make_private_folders
from .models import CacheHeaders, EntryMark, Image, Item, KnownEntries
from .schema import MIGRATIONS, SCHEMA_VERSION
from .text import cut_line

BUSY_TIMEOUT = 30  # seconds a statement waits for another process's transaction


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL. Two processes opening a new file at once: the switch
    answers "locked" at once instead of waiting (SQLite does not call the
    busy handler for it), so wait here, as long as any statement would."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# The tables every digest state file has had since schema 1.
_OUR_TABLES = frozenset({"feeds", "builds", "items"})


def _refuse_if_not_ours(path: Path, connection: sqlite3.Connection) -> None:
    """StoreError for a database digest did not make (tables of its own and
    no schema version of ours, or without our tables) or made by a newer
    digest. Only reads: someone else's file must come out unchanged."""
    # One read transaction: another digest creating the file meanwhile must
    # be seen before or after its migration, not half way (version 0, tables).
    connection.execute("BEGIN")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        connection.execute("COMMIT")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: written by a newer digest (schema {version}, "
                         f"this one knows {SCHEMA_VERSION}); upgrade digest")
    if (version == 0 and tables) or (version > 0 and not _OUR_TABLES <= tables):
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{path}: an SQLite database that is not a digest state file (its tables: "
                         f"{shown or 'none'}); left unchanged: pass another --state")


# An item held by a build that is still delivering: a re-fetch with a new
# title must not free it (the build would then confirm nothing, and the
# story would go out again); the update waits for the next build.
# items.sent_title holds every title an item was sent under, one per line
# (a cleaned title has no newline). A title among them is no update: an A/B
# tested headline flipping between two wordings went out every day.


def _among(titles: str, title: str) -> str:
    """SQL: `title` is one of the lines of `titles`."""
    return f"coalesce(instr(char(10) || {titles} || char(10), char(10) || {title} || char(10)), 0) > 0"


def _with_title(titles: str, title: str) -> str:
    """SQL: the lines of `titles` with `title` added, unless there already
    (the oldest dropped past 4,000 characters)."""
    return f"""CASE WHEN {titles} IS NULL OR {titles} = '' THEN {title} WHEN {_among(titles, title)} THEN {titles}
                    ELSE substr({titles} || char(10) || {title}, -4000) END"""


_NEVER_SENT_TITLE = f"items.sent_title IS NOT NULL AND NOT {_among('items.sent_title', 'excluded.title')}"
_SENT_TITLES_WITH_THIS = _with_title("sent_title", "title")
_PENDING = "EXISTS (SELECT 1 FROM builds AS b WHERE b.id = items.sent_build AND b.state = 'pending')"


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """What went wrong with the state file, with the advice that fits."""
    said = str(exc)
    if "locked" in said:
        return StoreError(f"{path}: the state file stayed locked by another digest for {BUSY_TIMEOUT}s; "
                          "try again later")
    if isinstance(exc, sqlite3.OperationalError) and any(
            words in said for words in ("readonly", "read-only", "unable to open", "disk I/O", "full")):
        folder = path.parent
        if not os.access(folder, os.W_OK):
            return StoreError(f"{path}: cannot write there: the folder {folder} is read-only (SQLite keeps "
                              f"{path.name}-wal and {path.name}-shm beside the file); pass a --state in a "
                              "folder you can write")
        if path.exists() and not os.access(path, os.W_OK):
            return StoreError(f"{path}: the state file is read-only; make it writable, or pass another --state")
        return StoreError(f"{path}: cannot write the state file ({said})")
    return StoreError(f"{path}: not a usable digest state file ({said}); "
                      "move it aside to start fresh, or pass another --state")


# SQLite's integers are 64-bit: a larger build number or limit cannot be
# asked for ("Python int too large to convert to SQLite INTEGER").
_SQLITE_MAX_INT = 2**63 - 1

# A feed's clock a day or more ahead of ours (9999-12-31, a wrong zone) is
# not believed: the item is undated (it goes out now, ranked by when it was
# first seen, instead of never, and shows no time it does not have). Before
# 1971 is the zero of a clock that was unset.
_AHEAD = 86400
_CLOCK_ZERO = 365 * 86400


MAX_FEED_TITLE = 300  # characters of a feed's own title: it is the source on every card and in the footer


def _feed_title(title: str) -> str:
    """A feed's title as kept: one line, cut at a word past MAX_FEED_TITLE
    (a channel title of 3 MB made a 37 MB email)."""
    return cut_line(title[: MAX_FEED_TITLE * 8], MAX_FEED_TITLE)


MAX_FEED_LANGUAGE = 35  # characters of a language tag (zh-Hant-TW and its kin are far shorter)
MAX_FEED_SITE = 4096  # characters of the channel's site address, as an item's link (sources/links.py)


def _bounded(value: str, cap: int) -> str:
    """A tag or an address as kept: whole, or "" when past its cap (cut,
    it would be another tag or a wrong address)."""
    value = (value or "").strip()
    return value if len(value) <= cap and value.isprintable() else ""


def _believable(published: datetime | None, seen: float) -> float | None:
    """The publication time to store (seconds), or None for no date."""
    if published is None:
        return None
    moment = _epoch(published)
    if moment < _CLOCK_ZERO:
        return None
    return None if moment > seen + _AHEAD else moment


def believable(published: datetime | None, now: datetime) -> datetime | None:
    """A date another source (an article page) gives, under the feed
    dates' sanity: before 1971 or more than a day ahead of now, none."""
    if published is None:
        return None
    moment = _epoch(published)
    return None if moment < _CLOCK_ZERO or moment > _epoch(now) + _AHEAD else published


class NoSuchBuild(StoreError):
    """A build number the state file does not have: a bad --replay."""

    exit_code = 2


class ClaimConflict(StoreError):
    """Another build marked some of these items sent first."""


@dataclass(frozen=True)
class FeedState:
    url: str
    title: str
    cache: CacheHeaders
    last_success: datetime | None
    failures: int  # in a row, reset by a success or a 304
    last_error: str | None
    current_url: str | None = None  # set by a permanent redirect; fetch from here
    retired: datetime | None = None  # set by a 410 Gone; never fetched again
    last_warning: str | None = None  # the last "malformed but readable" reason, said once until it changes
    language: str = ""  # the language the channel declares (BCP 47), or ""
    site: str = ""  # the channel's own <link>, its web site's address, or ""

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url


@dataclass(frozen=True)
class StoredPage:
    """An article page as the store remembers it (sources/articles.py reads
    and writes `page`, the JSON of what was read; None: the last try failed)."""

    url: str
    page: str | None
    cache: CacheHeaders
    checked: datetime
    error: str | None = None


class Store:
    """Everything digest remembers between runs."""

    def __init__(self, path: Path, connection: sqlite3.Connection, digest: str = ""):
        self.path = path
        self._db = connection
        # The digest whose sent log and history this store reads and writes
        # ("": the top-level one; see for_digest).
        self.digest = digest

    def for_digest(self, name: str | None) -> Store:
        """This state file as digest `name` ([digests.NAME]) sees it: its
        own sent log and history, the same feeds and items (one connection:
        closing it closes this one)."""
        if not name:
            return self if not self.digest else Store(self.path, self._db)
        if not all(c.isalnum() or c in "-_" for c in name):
            raise StoreError(f"not a digest name: {name!r}")
        return Store(self.path, self._db, name)

    def _sent(self, alias: str) -> str:
        """SQL: the item `alias` is in this digest's sent log (held by a
        build still delivering, or sent under the title it has now; a new
        title sends it again, as for the top-level digest)."""
        if not self.digest:
            # Held or sent by a build, or carrying a title it was sent under
            # (a failed delivery of an update frees it, not what went before).
            return f"({alias}.sent_build IS NOT NULL OR {_among(alias + '.sent_title', alias + '.title')})"
        # The name is letters, digits, - and _ (for_digest): safe as a literal.
        return (f"EXISTS (SELECT 1 FROM digest_sent AS ds WHERE ds.digest = '{self.digest}' "
                f"AND ds.item_id = {alias}.id AND (ds.pending IS NOT NULL OR {_among('ds.sent_title', alias + '.title')}))")

    @classmethod
    def open(cls, path: Path) -> Store:
        path = Path(path)
        try:
            make_private_folders(path.parent)  # the state holds feed tokens and every digest sent
            _make_private_file(path)
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            connection.row_factory = sqlite3.Row
            _refuse_if_not_ours(path, connection)  # before anything is written, WAL included
            _use_wal(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(path, connection)
            store._migrate()
        except sqlite3.Error as exc:
            raise store_error(path, exc) from None
        except OSError as exc:
            raise StoreError(f"{path}: cannot open state file ({exc.strerror})") from None
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        self.close()
        # A file can fail long after it opened: a damaged page deep in it
        # ("database disk image is malformed"), a read-only file at the
        # first write. Said as one line that names the file.
        if isinstance(exc, sqlite3.Error):
            raise store_error(self.path, exc) from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, begun IMMEDIATE: every transaction here
        writes, and SQLite does not wait (busy timeout) for a deferred one
        that reads first and then needs the write lock; it fails at once."""
        if self._db.in_transaction:
            # Nested in a caller's transaction (a batch of feeds stored with
            # one commit): a savepoint, so a failure still undoes this step alone.
            with self._savepoint():
                yield self._db
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT step")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO step")
            self._db.execute("RELEASE step")
            raise
        self._db.execute("RELEASE step")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return  # no write lock for an up-to-date file: readers need not wait for a writer
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            # In order, over the numbers there are (branches merged may leave a gap).
            for step in sorted(number for number in MIGRATIONS if number > version):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {step}")

    # ------------------------------------------------------------ feeds

    def feed_state(self, url: str) -> FeedState | None:
        row = self._db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return None if row is None else _feed_state(row)

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's state in one query (one query per feed added up at
        thousands of feeds)."""
        return {row["url"]: _feed_state(row) for row in self._db.execute("SELECT * FROM feeds")}

    def feed_titles(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self._db.execute("SELECT url, title FROM feeds")}

    def known_entries(self, url: str) -> KnownEntries | None:
        """What the last parse of the feed left of its raw entries (see
        sources/known.py); None when nothing is known."""
        row = self._db.execute("SELECT marks FROM feed_entries WHERE feed_url = ?", (url,)).fetchone()
        return None if row is None else _known_entries(row[0])

    def record_success(
        self, url: str, title: str, cache: CacheHeaders, items: Iterable[Item], now: datetime,
        warning: str | None = None, known: KnownEntries | None = None, language: str = "", site: str = "",
    ) -> int:
        """Store a successful fetch and its items in one transaction.

        Returns how many items were new. An item already stored keeps its
        first_seen time and its sent mark; its text is refreshed. `known`:
        what the parse left of the feed's raw entries for the next fetch
        (None forgets it: the next fetch reads every entry). `language` and
        `site`: what the channel says of itself; like the title, one the
        channel no longer gives keeps what it said before.
        """
        stamp = _epoch(now)
        new = 0
        title = _feed_title(title)
        language, site = _bounded(language, MAX_FEED_LANGUAGE), _bounded(site, MAX_FEED_SITE)
        with self.transaction() as db:
            if known is None:
                db.execute("DELETE FROM feed_entries WHERE feed_url = ?", (url,))
            else:
                db.execute("INSERT OR REPLACE INTO feed_entries (feed_url, marks) VALUES (?, ?)",
                           (url, _known_json(known)))
            db.execute(
                """INSERT INTO feeds (url, title, etag, last_modified, last_attempt, last_success, failures, last_error,
                                      last_warning, language, site)
                   VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET
                     title = CASE WHEN excluded.title != '' THEN excluded.title ELSE feeds.title END,
                     language = CASE WHEN excluded.language != '' THEN excluded.language ELSE feeds.language END,
                     site = CASE WHEN excluded.site != '' THEN excluded.site ELSE feeds.site END,
                     etag = excluded.etag, last_modified = excluded.last_modified,
                     last_attempt = excluded.last_attempt, last_success = excluded.last_success,
                     failures = 0, last_error = NULL, last_warning = excluded.last_warning""",
                (url, title, cache.etag, cache.last_modified, stamp, stamp, warning, language, site),
            )
            for item in items:
                cursor = db.execute(
                    f"""INSERT INTO items (feed_url, key, title, link, author, published, first_seen,
                                          content_html, text, image, tags, lead_text, excerpt,
                                          duration_seconds, date_only)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(feed_url, key) DO UPDATE SET
                         title = excluded.title, link = excluded.link, author = excluded.author,
                         published = coalesce(excluded.published, items.published),
                         content_html = excluded.content_html, text = excluded.text,
                         lead_text = excluded.lead_text, excerpt = excluded.excerpt,
                         duration_seconds = excluded.duration_seconds,
                         date_only = CASE WHEN excluded.published IS NULL THEN items.date_only
                                          ELSE excluded.date_only END,
                         image = excluded.image, tags = excluded.tags,
                         sent_build = CASE WHEN {_NEVER_SENT_TITLE} AND NOT {_PENDING} THEN NULL
                                           ELSE items.sent_build END,
                         updated = CASE WHEN {_NEVER_SENT_TITLE} AND NOT {_PENDING} THEN 1
                                        ELSE items.updated END
                       RETURNING first_seen""",
                    (
                        url, item.key, item.title, item.link, item.author, _believable(item.published, stamp), stamp,
                        item.content_html, item.text, _image_json(item.image), json.dumps(item.tags),
                        item.lead_text, int(item.excerpt), item.duration_seconds, int(item.date_only),
                    ),
                )
                if cursor.fetchone()[0] == stamp:
                    new += 1
        return new

    def record_not_modified(self, url: str, now: datetime) -> None:
        stamp = _epoch(now)
        update = ("UPDATE feeds SET last_attempt = ?, last_success = ?, failures = 0, last_error = NULL WHERE url = ?",
                  (stamp, stamp, url))
        if self._db.in_transaction:
            # One statement is all or nothing by itself: no savepoint around
            # it (a warm build stores 200 of these in one commit; the
            # savepoints were two thirds of its statements).
            self._db.execute(*update)
            return
        with self.transaction() as db:
            db.execute(*update)

    def record_failure(self, url: str, error: str, now: datetime) -> int:
        """Returns the number of failures in a row, this one included."""
        with self.transaction() as db:
            row = db.execute(
                """INSERT INTO feeds (url, last_attempt, failures, last_error) VALUES (?, ?, 1, ?)
                   ON CONFLICT(url) DO UPDATE SET last_attempt = excluded.last_attempt,
                     failures = feeds.failures + 1, last_error = excluded.last_error
                   RETURNING failures""",
                (url, _epoch(now), error),
            ).fetchone()
        return row[0]

    def record_moved(self, url: str, new_url: str) -> bool:
        """Remember a feed's new home. True when it is news (not known yet)."""
        with self.transaction() as db:
            row = db.execute("SELECT current_url FROM feeds WHERE url = ?", (url,)).fetchone()
            if row is not None and row[0] == new_url:
                return False
            db.execute(
                """INSERT INTO feeds (url, current_url) VALUES (?, ?)
                   ON CONFLICT(url) DO UPDATE SET current_url = excluded.current_url""",
                (url, new_url),
            )
        return True

    def reset_feed(self, url: str) -> None:
        """Forget a feed's health, move and retirement, and what its entries
        were (its items stay; its next fetch reads every entry)."""
        with self.transaction() as db:
            db.execute("DELETE FROM feed_entries WHERE feed_url = ?", (url,))
            db.execute(
                """UPDATE feeds SET current_url = NULL, retired = NULL, failures = 0, last_error = NULL,
                   etag = NULL, last_modified = NULL WHERE url = ?""",
                (url,),
            )

    def retire(self, url: str, error: str, now: datetime) -> int:
        """A 410 Gone: the feed is not fetched again (its row keeps the date).
        Returns the number of failures in a row, this one included."""
        stamp = _epoch(now)
        with self.transaction() as db:
            row = db.execute(
                """INSERT INTO feeds (url, last_attempt, failures, last_error, retired) VALUES (?, ?, 1, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET last_attempt = excluded.last_attempt,
                     failures = feeds.failures + 1, last_error = excluded.last_error,
                     retired = excluded.retired
                   RETURNING failures""",
                (url, stamp, error, stamp),
            ).fetchone()
        return row[0]

    # ------------------------------------------------------------ items

    def unsent_items(
        self,
        feed_urls: Iterable[str],
        since: datetime,
        now: datetime,
        arrived_after: datetime | None = None,
        oldest: datetime | None = None,
        details: bool = True,
    ) -> list[Item]:
        """Items of these feeds dated inside [since, now] that were never sent,
        nor was the same story under its canonical link: an item of another
        feed with that link, or of the same feed with that link and title
        (cluster.same_link). With arrived_after, also those first seen after
        it that are dated back to `oldest`. Without details, the text,
        lead_text and image are left unread (see read_details)."""
        late = None
        if arrived_after is not None and oldest is not None:
            late = ("i.first_seen > ? AND coalesce(i.published, i.first_seen) BETWEEN ? AND ?",
                    (_epoch(arrived_after), _epoch(oldest), _epoch(now)))
        updated = "i.updated = 1" if not self.digest else self._retitled("i")
        items = self._items_where(
            f"""NOT {self._sent("i")}
               AND ({updated} OR NOT (i.link != '' AND EXISTS (
                   SELECT 1 FROM items AS s
                   -- s.link != '' (implied by s.link = i.link) lets SQLite use
                   -- the partial index items_link; without it every row
                   -- scanned the whole table (4,000 items: 9.5 s).
                   WHERE s.link = i.link AND s.link != '' AND {self._sent("s")}
                     AND (s.feed_url != i.feed_url OR s.title = i.title))))""",
            feed_urls, since, now, late, details,
        )
        if self.digest:
            # items.updated is the top-level digest's: this one's are those it sent under another title.
            retitled = self._retitled_ids([item.id for item in items])
            for item in items:
                item.updated = item.id in retitled
        return items

    def _retitled(self, alias: str) -> str:
        """SQL: this (named) digest sent the item `alias` under another title."""
        return (f"EXISTS (SELECT 1 FROM digest_sent AS du WHERE du.digest = '{self.digest}' "
                f"AND du.item_id = {alias}.id AND du.sent_title != '' AND NOT {_among('du.sent_title', alias + '.title')})")

    def _retitled_ids(self, ids: list[int]) -> set[int]:
        found = set()
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            found.update(row[0] for row in self._db.execute(
                f"SELECT i.id FROM items AS i WHERE i.id IN ({','.join('?' * len(chunk))}) AND {self._retitled('i')}",
                chunk))
        return found

    def newest_items(self) -> dict[str, datetime]:
        """Each feed's newest item date (its own, else when first seen)."""
        rows = self._db.execute("SELECT feed_url, max(coalesce(published, first_seen)) FROM items GROUP BY feed_url")
        return {url: _from_epoch(newest) for url, newest in rows}

    def unsent_before(self, feed_urls: Iterable[str], before: datetime) -> list[datetime]:
        """The dates of the items of these feeds, never sent, dated before
        `before`, newest first: what a window left out."""
        urls = list(feed_urls)
        if not urls:
            return []
        rows = self._db.execute(
            f"""SELECT coalesce(published, first_seen) AS at FROM items AS i
                WHERE feed_url IN ({",".join("?" * len(urls))}) AND NOT {self._sent("i")} AND at < ?
                ORDER BY at DESC""",
            (*urls, _epoch(before)),
        )
        return [_from_epoch(at) for (at,) in rows]

    def sent_items(self, feed_urls: Iterable[str], since: datetime, now: datetime, details: bool = True) -> list[Item]:
        """Items of these feeds that earlier builds sent, dated inside
        [since, now]: clustering needs them, so a story sent yesterday is not
        sent again today because another feed covered it later."""
        return self._items_where(self._sent("i"), feed_urls, since, now, details=details)

    def read_details(self, items: Iterable[Item]) -> None:
        """Fill in the text, lead_text and image the store left unread."""
        unread = {item.id: item for item in items if item.unread_text_length is not None}
        ids = list(unread)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            rows = self._db.execute(
                f"SELECT id, text, lead_text, image FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            for row in rows:
                item = unread[row["id"]]
                item.text, item.lead_text, item.image = row["text"], row["lead_text"], _image(row["image"])
                item.unread_text_length = None

    def _items_where(
        self,
        condition: str,
        feed_urls: Iterable[str],
        since: datetime,
        now: datetime,
        also: tuple[str, tuple] | None = None,
        details: bool = True,
    ) -> list[Item]:
        """Items of these feeds dated inside [since, now], or matching `also`
        (SQL and its parameters), that meet the condition (SQL over alias
        i), newest first; without text, lead_text and image unless `details`."""
        urls = list(feed_urls)
        if not urls:
            return []
        marks = ",".join("?" * len(urls))
        also_sql, also_args = (f" OR ({also[0]})", also[1]) if also else ("", ())
        rows = self._db.execute(
            f"""SELECT {_ITEM_COLUMNS if details else _ITEM_COLUMNS_WITHOUT_DETAILS} FROM items AS i
                WHERE i.feed_url IN ({marks})
                  AND (coalesce(i.published, i.first_seen) BETWEEN ? AND ?{also_sql})
                  AND {condition}
                ORDER BY coalesce(i.published, i.first_seen) DESC, i.id""",
            (*urls, _epoch(since), _epoch(now), *also_args),
        )
        # Row by row: holding every row and every Item at once doubles the peak.
        # Each feed's URL once, not once an item (sqlite3 makes a str per row);
        # so each byline and each time (a cold build's items share one
        # first_seen): one object each instead of one an item (100 bytes of
        # the 820 an item held, at 100,000 candidates).
        urls_of = {url: url for url in urls}
        same: dict = {}
        items = [_row_to_item(row, details) for row in rows]
        for item in items:
            item.feed_url = urls_of.get(item.feed_url, item.feed_url)
            item.author = same.setdefault(item.author, item.author)
            item.first_seen = same.setdefault(item.first_seen, item.first_seen)
            if item.published is not None:
                item.published = same.setdefault(item.published, item.published)
        return items

    def last_build_time(self) -> datetime | None:
        row = self._db.execute("SELECT max(at) FROM builds WHERE state = 'sent' AND name = ?",
                               (self.digest,)).fetchone()
        return _from_epoch(row[0])

    def mark_sent(
        self, items: Iterable[Item], now: datetime, since: datetime, subject: str, snapshot: str | None = None
    ) -> int:
        """Claim and confirm in one go (nothing to deliver in between)."""
        build = self.claim(items, now, since, subject, snapshot)
        self.confirm(build)
        return build

    def claim(
        self,
        items: Iterable[Item],
        now: datetime,
        since: datetime,
        subject: str,
        snapshot: str | None = None,
        output: str | None = None,
        output_sha256: str | None = None,
    ) -> int:
        """Record a pending build holding these items, before delivering it.
        Raises ClaimConflict when another build holds any of them (nothing is
        changed then)."""
        ids = [item.id for item in items if item.id is not None]
        with self.transaction() as db:
            marks = ",".join("?" * len(ids))
            taken = db.execute(
                f"SELECT count(*) FROM items AS i WHERE id IN ({marks}) AND {self._sent('i')}", ids
            ).fetchone()[0] if ids else 0
            if taken:
                raise ClaimConflict(f"{taken} of these items were sent by another build meanwhile")
            build = db.execute(
                """INSERT INTO builds (at, since, item_count, subject, digest, state, output, output_sha256, name)
                   VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)""",
                (_epoch(now), _epoch(since), len(ids), subject, snapshot, output, output_sha256, self.digest),
            ).lastrowid
            if self.digest:
                db.executemany("""INSERT INTO digest_sent (digest, item_id, pending) VALUES (?, ?, ?)
                                  ON CONFLICT (digest, item_id) DO UPDATE SET pending = excluded.pending""",
                               [(self.digest, i, build) for i in ids])
            else:
                db.executemany("UPDATE items SET sent_build = ? WHERE id = ?", [(build, i) for i in ids])
        return build

    def confirm(self, build: int) -> None:
        """The pending build was delivered: its items are sent."""
        with self.transaction() as db:
            db.execute("UPDATE builds SET state = 'sent' WHERE id = ?", (build,))
            db.execute(f"UPDATE items SET sent_title = {_SENT_TITLES_WITH_THIS}, updated = 0 WHERE sent_build = ?",
                       (build,))
            db.execute(f"""UPDATE digest_sent SET build = pending, pending = NULL, sent_title = {_with_title(
                'sent_title', '(SELECT title FROM items WHERE items.id = item_id)')} WHERE pending = ?""", (build,))

    def release(self, build: int) -> None:
        """The pending build was not delivered: its items are free again."""
        with self.transaction() as db:
            db.execute("UPDATE items SET sent_build = NULL WHERE sent_build = ?", (build,))
            # A first claim goes; an item sent before keeps the titles it was sent under.
            db.execute("DELETE FROM digest_sent WHERE pending = ? AND sent_title = ''", (build,))
            db.execute("UPDATE digest_sent SET pending = NULL WHERE pending = ?", (build,))
            db.execute("DELETE FROM builds WHERE id = ? AND state = 'pending'", (build,))

    def pending_builds(self) -> list[PendingBuild]:
        rows = self._db.execute(
            "SELECT id, output, output_sha256 FROM builds WHERE state = 'pending' ORDER BY id"
        ).fetchall()
        return [PendingBuild(id=r["id"], output=r["output"], output_sha256=r["output_sha256"]) for r in rows]

    # ------------------------------------------------------------ derived data

    def cached_groups(self, key: str) -> list[list[int]] | None:
        row = self._db.execute("SELECT groups FROM cluster_cache WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def remember_groups(self, key: str, groups: list[list[int]]) -> None:
        """Keep only the latest grouping: the next build either has the same
        items (and the same key) or needs a new one anyway."""
        with self.transaction() as db:
            db.execute("DELETE FROM cluster_cache")
            db.execute("INSERT INTO cluster_cache (key, groups) VALUES (?, ?)", (key, json.dumps(groups)))

    def picture_sizes(self, urls: Iterable[str], checked_since: datetime) -> dict[str, tuple[int, int] | None]:
        """The remembered sizes of these pictures: (width, height), or None
        for one whose bytes gave no size when read after checked_since, or
        (0, 0) for one that was no picture then (gone, a page)."""
        found: dict[str, tuple[int, int] | None] = {}
        urls = list(urls)
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            rows = self._db.execute(
                f"SELECT url, width, height, checked FROM picture_sizes WHERE url IN ({','.join('?' * len(chunk))})",
                chunk)
            for url, width, height, checked in rows:
                if width and height:
                    found[url] = (width, height)
                elif checked >= _epoch(checked_since):
                    found[url] = (0, 0) if width == 0 and height == 0 else None  # (0, 0): no picture at all
        return found

    def remember_picture_sizes(self, sizes: dict[str, tuple[int, int] | None], now: datetime) -> None:
        if not sizes:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO picture_sizes (url, width, height, checked) VALUES (?, ?, ?, ?)",
                [(url, *(size or (None, None)), _epoch(now)) for url, size in sizes.items()])

    def article_pages(self, urls: Iterable[str]) -> dict[str, StoredPage]:
        """What the store remembers of these article pages."""
        found: dict[str, StoredPage] = {}
        urls = list(urls)
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            rows = self._db.execute(
                "SELECT url, page, etag, last_modified, checked, error FROM article_pages "
                f"WHERE url IN ({','.join('?' * len(chunk))})", chunk)
            for url, page, etag, last_modified, checked, error in rows:
                found[url] = StoredPage(url, page, CacheHeaders(etag, last_modified), _from_epoch(checked), error)
        return found

    def remember_article_pages(self, pages: Iterable[StoredPage]) -> None:
        rows = [(p.url, p.page, p.cache.etag, p.cache.last_modified, _epoch(p.checked), p.error) for p in pages]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO article_pages (url, page, etag, last_modified, checked, error) "
                           "VALUES (?, ?, ?, ?, ?, ?)", rows)

    def installation_id(self) -> str:
        """A random id of this state file, made the first time it is asked
        for and the same ever after."""
        import uuid

        row = self._db.execute("SELECT value FROM facts WHERE key = 'installation'").fetchone()
        if row is None:
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO facts (key, value) VALUES ('installation', ?)",
                           (str(uuid.uuid4()),))
            row = self._db.execute("SELECT value FROM facts WHERE key = 'installation'").fetchone()
        return row[0]

    # ------------------------------------------------------------ the build lock

    def try_lock(self, pid: int, host: str, now: datetime, stale_after: timedelta) -> LockHolder | None:
        """Take the build lock; None when it is ours now, else who holds it.
        A holder on this host whose process is gone, or any holder older
        than stale_after, has lost it."""
        with self.transaction() as db:
            row = db.execute("SELECT pid, host, since FROM build_lock WHERE id = 1").fetchone()
            if row is not None:
                holder = LockHolder(pid=row["pid"], host=row["host"], since=_from_epoch(row["since"]))
                if holder.alive(now, stale_after) and (holder.pid, holder.host) != (pid, host):
                    return holder
            db.execute(
                "INSERT OR REPLACE INTO build_lock (id, pid, host, since) VALUES (1, ?, ?, ?)",
                (pid, host, _epoch(now)),
            )
        return None

    def unlock(self, pid: int, host: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM build_lock WHERE id = 1 AND pid = ? AND host = ?", (pid, host))


    def builds(self, limit: int | None = None) -> list[BuildRecord]:
        """Past builds that marked items sent, newest first."""
        rows = self._db.execute(
            "SELECT id, at, since, item_count, subject FROM builds WHERE state = 'sent' AND name = ? "
            "ORDER BY id DESC LIMIT ?",
            (self.digest, -1 if limit is None else min(limit, _SQLITE_MAX_INT)),
        ).fetchall()
        return [
            BuildRecord(id=r["id"], at=_from_epoch(r["at"]), since=_from_epoch(r["since"]),
                        item_count=r["item_count"], subject=r["subject"])
            for r in rows
        ]

    def prune(self, now: datetime, keep: timedelta, copies: bool = True) -> Pruned:
        """Empty what no later build needs from before `now - keep`: the
        texts of items sent and first seen then (their identity, title,
        link and sent marks stay, so a re-fetched old entry is still known;
        an item never sent keeps its text four times as long, for a
        `--since` that reaches back), the copies of digests sent then
        (their history row stays), picture sizes read then. Compacts the
        file when a quarter of it is free pages. `copies=False` keeps the
        copies (the web edition is made from them)."""
        cut = _epoch(now - keep)
        with self.transaction() as db:
            items = db.execute(
                """UPDATE items SET content_html = '', text = '', lead_text = ''
                   WHERE (content_html != '' OR text != '' OR lead_text != '')
                     AND (first_seen < ? OR (first_seen < ? AND (sent_title IS NOT NULL OR EXISTS (
                          SELECT 1 FROM digest_sent AS d WHERE d.item_id = items.id AND d.sent_title != ''))))""",
                (_epoch(now - 4 * keep), cut)).rowcount
            builds = db.execute("UPDATE builds SET digest = NULL WHERE at < ? AND state = 'sent' AND digest IS NOT NULL",
                                (cut,)).rowcount if copies else 0
            db.execute("DELETE FROM picture_sizes WHERE checked < ?", (cut,))
        compacted = False
        if items or builds:
            free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            if free > max(256, pages // 4):
                self._db.execute("VACUUM")
                compacted = True
        return Pruned(items=items, builds=builds, compacted=compacted)

    def build_snapshot(self, build_id: int) -> str:
        row = None
        if build_id <= _SQLITE_MAX_INT:
            row = self._db.execute("SELECT digest FROM builds WHERE id = ? AND name = ?",
                                   (build_id, self.digest)).fetchone()
        if row is None:
            of = f" of digest {self.digest!r}" if self.digest else ""
            seen = f"digest history --digest {self.digest}" if self.digest else "digest history"
            raise NoSuchBuild(f"--replay: no build {build_id}{of} in {self.path} (see `{seen}`)")
        if row["digest"] is None:
            raise StoreError(f"build {build_id}'s copy is not kept: it is older than the config's `keep` "
                             "(90 days unless set), or from before digest kept copies of what it sent")
        return row["digest"]


@dataclass(frozen=True)
class Pruned:
    items: int  # items whose texts were emptied
    builds: int  # sent digests whose copy was dropped
    compacted: bool  # the file was VACUUMed


@dataclass(frozen=True)
class PendingBuild:
    id: int
    output: str | None  # the file it was writing, if any
    output_sha256: str | None


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    since: datetime

    def alive(self, now: datetime, stale_after: timedelta) -> bool:
        if now - self.since > stale_after:
            return False
        name, _, boot = self.host.partition("#")
        if self.host != this_host():
            # The same machine since rebooted: every process of then is gone
            # (and its pid may belong to another one now). Another machine
            # sharing the file cannot be looked at: trust it until stale.
            return name != socket.gethostname()
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    @property
    def hostname(self) -> str:
        return self.host.partition("#")[0]



def _make_private_file(path: Path) -> None:
    """A new state file is its owner's alone (600; SQLite gives its -wal
    and -shm files the same mode). An existing file keeps the mode its
    owner chose."""
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError:  # there already, or not to be made here: SQLite says which, naming the file
        return
    os.close(handle)


def this_host() -> str:
    """This machine, and this boot of it (Linux), for the build lock."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}#{boot}" if boot else socket.gethostname()


@dataclass(frozen=True)
class BuildRecord:
    id: int
    at: datetime
    since: datetime
    item_count: int
    subject: str


def _feed_state(row: sqlite3.Row) -> FeedState:
    return FeedState(
        url=row["url"],
        title=row["title"],
        cache=CacheHeaders(etag=row["etag"], last_modified=row["last_modified"]),
        last_success=_from_epoch(row["last_success"]),
        failures=row["failures"],
        last_error=row["last_error"],
        current_url=row["current_url"],
        retired=_from_epoch(row["retired"]),
        last_warning=row["last_warning"],
        language=row["language"],
        site=row["site"],
    )


# Items as the build reads them back. content_html is left out: nothing after
# the store reads it (summaries, ranking and the email use the plain text),
# and at thousands of candidates it was half of what a build held in memory.
_ITEM_COLUMNS = """id, feed_url, key, title, link, author, published, first_seen, '' AS content_html,
    text, lead_text, image, tags, updated, excerpt, duration_seconds, date_only"""
# The same without text, lead_text and image, which a build reads for the
# stories it shows only (Store.read_details): at 100,000 candidates they were
# 160 MB of the build.
_ITEM_COLUMNS_WITHOUT_DETAILS = _ITEM_COLUMNS.replace("text, lead_text, image,", "length(text) AS text_length,")
_IDS_PER_QUERY = 500  # under SQLite's limit on a statement's parameters (999 before 3.32)


def _row_to_item(row: sqlite3.Row, details: bool = True) -> Item:
    return Item(
        feed_url=row["feed_url"],
        key=row["key"],
        title=row["title"],
        link=row["link"],
        author=row["author"],
        published=_from_epoch(row["published"]),
        content_html=row["content_html"],  # '' when read back (see _ITEM_COLUMNS)
        text=row["text"] if details else "",
        lead_text=row["lead_text"] if details else "",
        image=_image(row["image"]) if details else None,
        tags=_tags(row["tags"]),
        id=row["id"],
        first_seen=_from_epoch(row["first_seen"]),
        updated=bool(row["updated"]),
        excerpt=bool(row["excerpt"]),
        duration_seconds=row["duration_seconds"],
        date_only=bool(row["date_only"]),
        unread_text_length=None if details else row["text_length"],
    )


def _known_json(known: KnownEntries) -> str:
    return json.dumps({"feed_wide": sorted(known.feed_wide), "days_only": known.days_only,
                       "entries": {entry: [m.fingerprint, m.published, [list(p) for p in m.pictures], m.title]
                                   for entry, m in known.entries.items()}}, separators=(",", ":"))


def _known_entries(stored: str) -> KnownEntries | None:
    """The stored marks; None when they cannot be read (then every entry is)."""
    try:
        data = json.loads(stored)
        return KnownEntries(
            # Marks stored before titles were marked have three parts: not
            # unpacked, so the feed's entries are all read once again.
            entries={entry: EntryMark(printed, published, tuple((url, bool(in_text)) for url, in_text in pictures), title)
                     for entry, (printed, published, pictures, title) in data["entries"].items()},
            feed_wide=frozenset(data["feed_wide"]), days_only=bool(data["days_only"]))
    except (ValueError, KeyError, TypeError):
        return None


def _tags(stored: str) -> list[str]:
    # Most items have none: '[]' needs no JSON decoder (4,000 decodes were a
    # tenth of a warm build's reading of the store).
    return [] if stored == "[]" else json.loads(stored)


def _image(stored: str | None) -> Image | None:
    return Image(**json.loads(stored)) if stored else None


def _image_json(image: Image | None) -> str | None:
    if image is None:
        return None
    return json.dumps(image.__dict__)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=timezone.utc)
