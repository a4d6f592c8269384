"""Digester: the use cases of digest (build, send, replay, explain, fetch,
check, history, the feed list), over the stages in sources/, stories/,
output/ and delivery/. The command line is a shell over this module: it
maps its options to these arguments and its errors to exit codes.

    import digest
    with digest.open("digest.toml") as d:
        edition = d.build()          # fetches, selects, ranks, renders; marks nothing
        d.send(edition)              # delivers as the config says, then marks it sent

No click and no printing: what the user should hear goes through a
Reporter (by default, the `digest` logger).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config, EmailConfig, load_config
from .errors import ConfigError, DigestError, OutputError, UsageError
from .locations import default_config_path, state_location
from .models import BuildRequest, Digest, FeedFailure, Story
from .report import Reporter
from .store import BuildRecord, Store
from .values import parse_since

if TYPE_CHECKING:
    from .delivery.base import Destination, Outgoing
    from .delivery.check import CheckReport
    from .output.web import Published
    from .output.render import Renderer
    from .sources.refresh import Refresh
    from .stories.select import Selection

FORMATS = ("email", "html", "text", "json", "mjml", "epub")

# A library says nothing unless its application sets up logging (without a
# handler, logging's last resort would print the warnings on stderr).
logging.getLogger("digest").addHandler(logging.NullHandler())

# Two Digesters of one process that send at once: the store's build lock
# knows processes, not threads, so they queue here first.
_SENDING_HERE = threading.Lock()


class LogReporter:
    """The library's default Reporter: warnings and notes to the `digest`
    logger (silent unless the application configures logging)."""

    def __init__(self, logger: logging.Logger | None = None):
        self._log = logger or logging.getLogger("digest")

    def warn(self, message: str) -> None:
        self._log.warning(message)

    def info(self, message: str) -> None:
        self._log.info(message)

    def detail(self, message: str) -> None:
        self._log.debug(message)

    def progress(self, done: int, total: int) -> None:
        pass


def open_digester(config: str | Path | Config | None = None, *, state: str | Path | None = None,
                  reporter: Reporter | None = None, template_dir: str | Path | None = None) -> Digester:
    """`digest.open`: the Digester of a config, found as the command line
    finds it (the path given, else $DIGEST_CONFIG, ./digest.toml, then the
    platform config dir), with its state (`state`, else $DIGEST_STATE, the
    config's `state`, then the platform data dir). A Config object is used
    as it is. Raises ConfigError for a config that cannot be used."""
    if not isinstance(config, (Config, str, Path, type(None))):
        raise UsageError(f"digest.open: config is a path or a Config, not {config!r}")
    if not isinstance(state, (str, Path, type(None))):
        raise UsageError(f"digest.open: state is a path, not {state!r}")
    if not isinstance(config, Config):
        config = load_config(Path(config) if config is not None else default_config_path())
    path, notice = state_location(config, state)
    digester = Digester(config, path, reporter=reporter,
                        template_dir=Path(template_dir) if template_dir is not None else None)
    if notice:
        digester.reporter.warn(notice)
    return digester


@dataclass
class Edition:
    """One built digest: its stories, and the product in every format,
    rendered when first asked for."""

    digest: Digest
    failures: list[FeedFailure]  # this run's failed feeds (the footer names only those failing run after run)
    _renderer: Renderer = field(repr=False)
    _config: Config = field(repr=False)  # the digest's config ([digests.NAME] over the top level)
    _state: Path = field(repr=False)  # the state file its stories are rows of
    _subject_ready: bool = field(default=False, repr=False)
    _outputs: dict = field(default_factory=dict, repr=False)  # format -> Outgoing, rendered once
    _sent: bool = field(default=False, repr=False)  # marked sent by send(): a second send is refused

    @property
    def stories(self) -> list[Story]:
        """The stories, best first."""
        return self.digest.stories

    @property
    def name(self) -> str:
        """The digest it is of: a [digests.NAME] table's name, "" for the top-level one."""
        return self.digest.name

    @property
    def _email(self) -> EmailConfig:
        return self._config.email

    @property
    def subject(self) -> str:
        if not self._subject_ready:
            self.digest.subject = self._renderer.subject(self.digest, self._email.subject)
            self._subject_ready = True
        return self.digest.subject

    @property
    def message(self) -> EmailMessage:
        """The email, as `--format email` prints it."""
        return self.output("email").message

    @property
    def html(self) -> str:
        return self.output("html").data.decode("utf-8")

    @property
    def text(self) -> str:
        return self.output("text").data.decode("utf-8")

    @property
    def mjml(self) -> str:
        return self.output("mjml").data.decode("utf-8")

    @property
    def json(self) -> dict:
        """The object `--format json` prints."""
        return json.loads(self.output("json").data)

    def output(self, fmt: str = "email") -> Outgoing:
        """The product in one format, ready to deliver; rendered once, so
        the message looked at is the message sent (one Message-ID)."""
        _check_format(fmt)
        if fmt not in self._outputs:
            self._outputs[fmt] = render_output(self._renderer, self._ready(), fmt, self._config)
        return self._outputs[fmt]

    def snapshot(self) -> str:
        """The edition as history keeps it, for `--replay`."""
        from .output.snapshot import snapshot_of

        return snapshot_of(self._ready())

    def _ready(self) -> Digest:
        self.subject  # noqa: B018 - rendered once, before any part that shows it
        return self.digest


class Digester:
    """A config and its state: what the command line does, as methods.
    Use it as a context manager (or call close()) to close the store."""

    def __init__(self, config: Config, state: Path, *, reporter: Reporter | None = None,
                 template_dir: Path | None = None):
        self.config = config
        self.state_path = Path(state)
        self.reporter = reporter or LogReporter()
        self.template_dir = template_dir  # looked up before the config's template_dir and the built-ins
        self._store: Store | None = None
        self._sending = False
        self._closed = False

    def __enter__(self) -> Digester:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        self._closed = True
        store, self._store = self._store, None
        if store is not None:
            store.__exit__(kind, exc, traceback)  # closes it; an SQLite error becomes a StoreError naming the file

    def close(self) -> None:
        self._closed = True
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> Store:
        """The state file, opened (and made) when first needed."""
        self._check_open()
        if self._store is None:
            self._store = Store.open(self.state_path)
        return self._store

    # ------------------------------------------------------------ building

    def build(self, *, now: datetime | None = None, since: datetime | timedelta | str | None = None,
              top: int | None = None, offline: bool = False, format: str = "email",
              looking: bool = False, digest: str | None = None) -> Edition:
        """Fetch (unless offline), select, group, rank and summarize the
        stories, ready to render. Marks nothing. `since`: a time, a
        duration back from now, or text as --since takes it; None: since
        the last digest sent, else the config's window. `format` is the one
        that will be delivered: for email and html, a story whose card does
        not compile is left out (and named), never the reason nothing is sent.
        `looking` (a preview): a feed that fails is said, not counted.
        `digest`: the digest of [digests.NAME] (its feeds, its keys, its
        own sent log); None, the top-level one."""
        _check_format(format)
        config = self.digest_config(digest)
        request = self._request(now, since, top, offline)
        renderer = self._renderer(config)
        made, failures = make_digest(config, self.store.for_digest(config.name), request, self.reporter,
                                     prepare=renderer.prepare, counting=not looking)
        made.name = config.name
        if config.web is not None and config.web.base_url and not looking:
            # A look (preview, a build typed at a terminal) is never sent, so
            # it gets no page: a "View in browser" link would lead nowhere.
            from .output.web import edition_url

            made.web_url = edition_url(config.web.base_url, made,
                                       [record.at for record in self.store.for_digest(config.name).builds(20)])
        leave_out_unrenderable(renderer, made, format, self.reporter)
        if not made.stories and failures and len(failures) == len(config.feeds):
            raise DigestError("every feed failed; nothing to build")
        edition = Edition(made, failures, renderer, config, self.state_path)
        if made.stories:
            edition.subject  # noqa: B018 - a subject template's error surfaces here, before any delivery
        return edition

    def digest_config(self, digest: str | None = None) -> Config:
        """The config of digest `digest` ([digests.NAME] over the top-level
        keys); None: the top-level one. UsageError for a name the config
        does not have."""
        _check(digest, (str, type(None)), "digest")
        return self.config.digest(digest)

    def replay(self, build_id: int, *, format: str = "email", digest: str | None = None) -> Edition:
        """The stories past build `build_id` of the digest (see history())
        sent, as they were sent, rendered with the templates of today."""
        from .output.snapshot import replayed_digest

        _check_format(format)
        config = self.digest_config(digest)
        if not isinstance(build_id, int) or isinstance(build_id, bool) or build_id < 1:
            raise UsageError(f"replay: a build number from history(), not {build_id!r}")
        renderer = self._renderer(config)
        made = replayed_digest(self.store.for_digest(config.name), build_id)
        made.name = config.name
        leave_out_unrenderable(renderer, made, format, self.reporter)
        # Its stories were sent: delivering it again marks nothing (send(..., mark=False)).
        return Edition(made, [], renderer, config, self.state_path, _subject_ready=True, _sent=True)

    def explain(self, *, now: datetime | None = None, since: datetime | timedelta | str | None = None,
                top: int | None = None, offline: bool = False, digest: str | None = None) -> Selection:
        """Every candidate story of a build, ranked with its factors (muted
        and capped ones included). Marks nothing."""
        from .sources.refresh import refresh_feeds
        from .stories.select import select_stories

        config = self.digest_config(digest)
        request = self._request(now, since, top, offline)
        if not offline:
            refresh_feeds(config, self.store, request.now, self.reporter, counting=False)
        return select_stories(config, self.store.for_digest(config.name), request)

    def fetch(self, *, now: datetime | None = None) -> Refresh:
        """Fetch every feed and store what changed; build nothing."""
        from .sources.refresh import fetch_feeds

        self.require_feeds()
        return fetch_feeds(self.config, self.store, now or utc_now(), self.reporter)

    # ------------------------------------------------------------ sending

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Hold the build lock around a build and its send, so a second
        build at the same time waits (at most the config's lock_wait) or
        raises BuildLocked without fetching; builds that died between
        claiming and confirming are settled first."""
        from .delivery.protocol import BuildLocked, build_lock, settle_unfinished

        if self._sending:
            yield
            return
        if not _SENDING_HERE.acquire(timeout=self.config.lock_wait.total_seconds()):
            raise BuildLocked("another Digester of this process is sending; nothing written")
        try:
            with build_lock(self.store, self.config.lock_wait):
                for note in settle_unfinished(self.store):
                    self.reporter.warn(note)
                self._sending = True
                try:
                    yield
                finally:
                    self._sending = False
        finally:
            _SENDING_HERE.release()

    def send(self, edition: Edition, destination: Destination | None = None, *, format: str = "email",
             mark: bool = True, allow_empty: bool = False, digest: str | None = None) -> list[str]:
        """Deliver the edition (to `destination`, a digest.delivery
        Destination, else as the config says: [smtp], or command, maildir or
        mbox in [email]) and, once it was delivered in full, mark its
        stories sent. An edition without stories is not sent unless
        `allow_empty`. The edition remembers its digest (`digest`, when
        given, must be that one): its [email], its sent log. With [web],
        an edition marked sent also becomes a page of the web edition.
        Returns the destination's warnings."""
        from .delivery import protocol
        from .delivery.base import Destination
        from .delivery.destinations import configured_destination

        _check_format(format)
        if destination is not None and not isinstance(destination, Destination):
            raise UsageError(f"send: destination is a digest.delivery Destination, not {destination!r} "
                             "(recipients are the config's [email] to, cc and bcc)")
        if not isinstance(edition, Edition):
            raise UsageError(f"send: an Edition of build() or replay(), not {edition!r}")
        if digest is not None and self.digest_config(digest).name != edition.name:
            raise UsageError(f"send: this edition is of digest {edition.name or '(the top-level one)'!r}, "
                             f"not {digest!r}")
        config = self.digest_config(edition.name)
        if Path(edition._state).resolve() != self.state_path.resolve():
            raise UsageError(f"send: this edition was built from {edition._state}, not from {self.state_path}: "
                             "its stories are not rows of this state file")
        if edition._sent and mark:
            raise UsageError("send: this edition was sent already; its stories are marked sent (build() makes the "
                             "next one; send(edition, mark=False) delivers it again without marking)")
        if not edition.stories and not allow_empty:
            raise UsageError("send: the edition has no story; nothing sent (allow_empty=True sends it anyway)")
        if format == "email":
            self.require_recipients(config)
        destination = destination or configured_destination(config)
        if destination is None:
            raise UsageError(f"{config.path}: the config says no way to send the digest "
                             "(set [smtp], or command, maildir or mbox in [email])")
        if destination.needs_message and format != "email":
            raise UsageError(f"send: {destination.name} takes an email, not format {format!r}")
        if config.web is not None and mark:
            self._check_web_folder(config)
        if not mark and not edition._sent and edition.digest.web_url:
            # Delivered without being marked sent, it becomes no page of the
            # web edition: a "View in browser" link would lead nowhere.
            edition.digest.web_url = ""
            edition._outputs.clear()
        outgoing = edition.output(format)
        if not (mark and edition.stories):
            return destination.deliver(outgoing)
        with self.sending():
            notes = protocol.send(self.store.for_digest(edition.name), edition.digest, edition.snapshot(), outgoing,
                                  destination)
            self._prune(edition.digest.generated_at)
        edition._sent = True
        if config.web is not None:
            notes = notes + self._publish_edition(config, edition)
        return notes

    def _prune(self, now: datetime) -> None:
        """What later builds no longer need, older than the config's `keep`
        (item texts, copies of sent digests, picture sizes), out of the
        store; the rest (identity, sent marks, history) stays."""
        # The web edition's pages are made again from those copies (`publish`):
        # with [web], the copies of sent digests stay. (A [digests.NAME] has
        # the top level's [web]: it is no key a digest sets.)
        pruned = self.store.prune(now, self.config.keep, copies=self.config.web is None)
        if pruned.items or pruned.builds:
            self.reporter.detail(f"Pruned the store: the texts of {pruned.items} items and {pruned.builds} sent "
                                 f"digests older than {_duration(self.config.keep)}"
                                 + (" (and compacted it)" if pruned.compacted else "") + ".")

    # ------------------------------------------------------------ the web edition

    def publish(self, *, digest: str | None = None) -> Published:
        """Write the web edition ([web] dir) again from the history: a page
        per edition sent, each digest's Atom feed, the index. `digest`:
        that digest's pages and feed only (the index lists them all)."""
        config = self.digest_config(digest)
        if config.web is None:
            raise UsageError(f"{self.config.path}: no [web] table: set [web] dir (and base_url) to publish "
                             "the web edition")
        return self._write_web(config, [config.name] if digest else self._digest_names(), rewrite=True)

    def _publish_edition(self, config: Config, edition: Edition) -> list[str]:
        """After a send: the edition's page, its digest's feed, the index.
        The mail went out: a web edition that cannot be written is a
        warning, never the reason the build fails."""
        try:
            self._write_web(config, [edition.name], rewrite=False)
        except (DigestError, OSError) as exc:
            return [f"the web edition under {config.web.dir} was not written: {exc}"]
        return []

    def _write_web(self, config: Config, names: list[str], rewrite: bool) -> Published:
        from .output.web import write_archive

        self._check_web_folder(config)
        self.store  # noqa: B018 - opened first: the state file's folder holds the lock file
        every = self._digest_names()
        # The history is read under the lock too: a `publish` racing a
        # build's own write used to rewrite the index and feeds from a
        # snapshot taken before the build was recorded, and the new edition
        # vanished from them. Whoever writes last now read the latest history.
        with self._web_lock():
            return write_archive(config.web, {name: self._editions_of(name) for name in every},
                                 {name: self.config.digest(name).title for name in every},
                                 lambda name: self._renderer(self.config.digest(name)), names, rewrite,
                                 seed=self._web_seed())

    def _check_web_folder(self, config: Config) -> None:
        """ConfigError when [web] dir holds the state file: serving the site
        would publish the database (feed addresses with their tokens, history)."""
        folder, state = config.web.dir.resolve(), self.state_path.resolve()
        if folder in state.parents:
            raise ConfigError(f"is {config.web.dir}, the folder of the state file {self.state_path}: serving the "
                              "web edition would publish it; give the web edition a folder of its own",
                              path=config.path, key="web.dir")

    @contextmanager
    def _web_lock(self) -> Iterator[None]:
        """Every write of the web edition, one at a time: an flock on a file
        beside the state file (never inside the published folder)."""
        from .files import held_lock

        lock_path = self.state_path.with_name(f".{self.state_path.name}.web-lock")
        with held_lock(lock_path, max(self.config.lock_wait.total_seconds(), 60.0),
                       lambda exc: OutputError(f"cannot lock the web edition: {exc.strerror} ({lock_path})"),
                       lambda: OutputError("the web edition is being written by another digest command; "
                                           "try again (digest publish)")):
            yield

    def _web_seed(self) -> str:
        """This installation's part of the Atom ids made without base_url
        (a random id stored once in the state), so two people's archives
        never share an id, and publishing again keeps them."""
        return self.store.installation_id()

    def _digest_names(self) -> list[str]:
        return ["", *self.config.digests]

    def _editions_of(self, name: str, limit: int | None = None) -> list[Digest]:
        """The editions digest `name` sent, newest first, as history keeps them."""
        import json

        from .output.snapshot import digest_from_dict

        store = self.store.for_digest(name)
        editions = []
        for record in store.builds(limit):
            try:
                made = digest_from_dict(json.loads(store.build_snapshot(record.id)))
            except (DigestError, ValueError, KeyError):
                continue  # made before history kept copies: nothing to show
            made.name = name
            made.subject = made.subject or record.subject
            editions.append(made)
        return editions

    # ------------------------------------------------------------ looking

    def window_text(self, since: datetime, now: datetime, since_given: bool = False,
                    digest: str | None = None) -> str:
        """The window a build or explain looked in, and why it starts there."""
        config = self.digest_config(digest)
        last = self.store.for_digest(config.name).last_build_time()
        why = ("--since" if since_given else "the last digest" if last is not None and since == last
               else f"the config's `since`, {_since_text(config)}")
        return f"stories dated from {local_time_text(since, self.config)} ({why}) to {local_time_text(now, self.config)}"

    def why_empty(self, edition: Edition, since_given: bool = False) -> str:
        """Why an edition has no story, with numbers: the window it looked
        in, and on a first digest how many older items that left out and
        the --since that reaches them."""
        window_start = edition.digest.since
        config = self.digest_config(edition.name)
        last = self.store.for_digest(edition.name).last_build_time()
        if since_given:
            return f"Nothing new since {local_time_text(window_start, self.config)}"
        if last is not None:
            return f"Nothing new since the last digest ({local_time_text(last, self.config)})"
        looked = (f"Nothing new in the last {_duration(config.since)} (a first digest looks back the config's "
                  f"`since`, {_since_text(config)})" if isinstance(config.since, timedelta) else
                  f"Nothing new since {_since_text(config)} (the config's `since`)")
        older = self.store.for_digest(edition.name).unsent_before([feed.url for feed in config.feeds], window_start)
        if not older:
            return f"{looked}, and the feeds have no older items either"
        now = edition.digest.generated_at
        # Reach back to the oldest of them if that is within a month; an
        # archive of years is not what a first digest should mail.
        reach = older[-1] if now - older[-1] <= timedelta(days=31) else older[0]
        days = max(1, math.ceil((now - reach).total_seconds() / 86400))
        reached = sum(1 for moment in older if moment >= now - timedelta(days=days))
        taken = "them" if reached == len(older) > 1 else "it" if reached == len(older) else f"{reached} of them"
        waits = "1 older item waits" if len(older) == 1 else f"{len(older)} older items wait"
        return (f"{looked}; {waits}, the newest from {local_time_text(older[0], self.config)}: "
                f"`digest build --since {days}d` takes {taken} in")

    def history(self, limit: int = 20, *, digest: str | None = None) -> list[BuildRecord]:
        """The past builds of the digest that marked items sent, newest first."""
        _check(limit, int, "history: limit", at_least=1)
        return self.store.for_digest(self.digest_config(digest).name).builds(limit)

    def check(self, *, now: datetime | None = None, send_test: bool = False) -> CheckReport:
        """What a build would do with this config and what stops it; with
        [smtp], logs in (sending nothing unless send_test)."""
        from .delivery.check import check_setup
        from .output.mail import Addressing, check_email

        email = self.config.email
        when = now or utc_now()

        def test_message(through: str) -> EmailMessage:
            who = Addressing(self.config.title, email.from_, email.to, email.cc, email.bcc, email.unsubscribe)
            return check_email(who, when, through)

        return check_setup(self.config, test_message if send_test else None)

    def feeds(self) -> list[dict]:
        """One plain dict per feed: config fields plus health from the store."""
        from .feeds import feed_rows

        return feed_rows(self.config, self.store)

    def add_feed(self, location: str, *, name: str | None = None, weight: float = 1.0,
                 tags: tuple[str, ...] = (), check: bool = True):
        """Add a feed (or the feed a website points to) to the config file,
        keeping its comments; it starts afresh in the store."""
        from .feeds import add_feed

        self._check_open()
        _check(location, str, "add_feed: location")
        _check(name, (str, type(None)), "add_feed: name")
        _check(weight, (int, float), "add_feed: weight")
        if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
            raise UsageError(f"add_feed: tags is a list of words, not {tags!r}")
        _check(check, bool, "add_feed: check")
        added = add_feed(self._config_file(), location, name=name, weight=weight, tags=tags, check=check,
                         reporter=self.reporter)
        self.config = load_config(added.path)
        self.store.reset_feed(added.feed.url)
        return added

    def remove_feed(self, url_or_name: str):
        from .feeds import remove_feed

        self._check_open()
        _check(url_or_name, str, "remove_feed: url_or_name")
        removed = remove_feed(self._config_file(), url_or_name)
        self.config = load_config(self._config_file())
        return removed

    def pause_feed(self, url_or_name: str, paused: bool = True):
        """Stop fetching a feed (paused=False: take it up again)."""
        from .feeds import pause_feed

        self._check_open()
        _check(url_or_name, str, "pause_feed: url_or_name")
        _check(paused, bool, "pause_feed: paused")
        feed = pause_feed(self._config_file(), url_or_name, paused)
        self.config = load_config(self._config_file())
        return feed

    def import_opml(self, data: bytes, source: str = "OPML"):
        from .feeds import import_opml

        self._check_open()
        _check(data, (bytes, bytearray), "import_opml: data")
        summary = import_opml(self._config_file(), data, source)
        self.config = load_config(self._config_file())
        return summary

    def export_opml(self) -> str:
        from .feeds import write_opml

        return write_opml(self.config, self.store.feed_titles())

    # ------------------------------------------------------------ helpers

    def _check_open(self) -> None:
        if self._closed:
            raise UsageError(f"this Digester of {self.config.path} is closed; open another with digest.open()")

    def _config_file(self) -> Path:
        if self.config.path is None:
            raise UsageError("this Digester's config is not a file: the feed list is edited in its TOML file")
        return self.config.path

    def require_recipients(self, config: Config | None = None) -> None:
        """UsageError when an email would go to nobody."""
        if not (config or self.config).email.recipients:
            raise UsageError("no recipient: set `to` in the [email] table of the config, or pass --to")

    def require_feeds(self, offline: bool = False) -> None:
        """UsageError when there is no feed to fetch (offline, the store serves)."""
        if not self.config.feeds and not offline:
            raise UsageError(f"{self.config.path}: no [[feeds]] to read (add one with `digest feeds add URL`)")

    def _request(self, now, since, top, offline) -> BuildRequest:
        """The arguments of build()/explain(), checked: one UsageError line
        naming the argument, never a TypeError from deep inside."""
        from .values import parse_instant

        try:
            now = parse_instant(now) if isinstance(now, str) else now or utc_now()
            if isinstance(since, str):
                since = parse_since(since, now)
        except ValueError as exc:
            raise UsageError(f"{'since' if isinstance(now, datetime) else 'now'}: {exc}") from None
        for name, moment in (("now", now), ("since", since)):
            if moment is not None and (not isinstance(moment, (datetime, timedelta)) or name == "now"
                                       and not isinstance(moment, datetime)):
                raise UsageError(f"{name}: a datetime (or text as --{name} takes it), not {moment!r}")
            if isinstance(moment, datetime) and moment.utcoffset() is None:
                raise UsageError(f"{name}: {moment} has no time zone (e.g. datetime.now(timezone.utc))")
        if isinstance(since, timedelta):
            since = now - since
        if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
            raise UsageError(f"top: at least 1 story, not {top!r}")
        _check(offline, bool, "offline")
        return BuildRequest(now=now, since=since, top=top, offline=offline)

    def _renderer(self, config: Config | None = None) -> Renderer:
        from .output.render import Renderer

        config = config or self.config
        return Renderer([self.template_dir, config.template_dir], zone=zone_of(config), lang=config.language)


def make_digest(
    config: Config, store: Store, request: BuildRequest, reporter: Reporter,
    prepare: Callable[[], None] | None = None, counting: bool = True,
) -> tuple[Digest, list[FeedFailure]]:
    """Refresh the feeds (unless offline) and assemble the digest. Returns it
    with this run's failures, which were named through the reporter; the
    digest's footer names only the feeds failing run after run. `prepare`
    (the renderer's) runs beside the fetching."""
    from .sources.picturesize import size_pictures
    from .sources.refresh import refresh_feeds
    from .stories.assemble import assemble_digest, footer_failures

    failures = []
    if not request.offline:
        from .sources.fetch import ready

        ready()
        with _beside(_prepare_assembly, prepare):
            failures = refresh_feeds(config, store, request.now, reporter, counting)
    def complete(stories: list[Story]) -> None:
        from .sources.articles import read_articles

        read_articles(config, store, stories, request.now, reporter, offline=request.offline)

    digest = assemble_digest(config, store, request, footer_failures(config, store), reporter, complete)
    # The shown pictures' sizes (read from the first bytes of each file,
    # remembered in the store), so every <img> has a width and a height.
    size_pictures(store, digest.stories, offline=request.offline, now=request.now)
    digest.failures = failures
    return digest, failures


@contextmanager
def _beside(*work: Callable[[], None] | None) -> Iterator[None]:
    """Run the work in a thread while the body runs (it waits on the
    network: the interpreter is idle), and wait for it at the end. What a
    warm build did after its fetch (importing the later stages, compiling
    the templates) was a quarter of a second that now passes while the
    304s are on their way."""
    import threading

    thread = threading.Thread(target=_each, args=work, name="digest-prepare", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _each(*work: Callable[[], None] | None) -> None:
    """Each step in turn. Preparing is only ahead of time: whatever fails
    here fails again where the build does it, and is reported there (a
    thread's exception would be a traceback on stderr)."""
    for step in work:
        try:
            if step is not None:
                step()
        except Exception:  # noqa: BLE001 - see above
            pass


def _prepare_assembly() -> None:
    """Import the modules assembling a digest needs (the stages after the fetch)."""
    from .stories import assemble, cluster, rank, select, summarize  # noqa: F401


def zone_of(config: Config) -> tzinfo | None:
    if config.timezone is None:
        return None
    from zoneinfo import ZoneInfo

    return ZoneInfo(config.timezone)


def _check(value, kinds, what: str, at_least: int | None = None) -> None:
    """One UsageError line for a library argument of the wrong kind (a
    TypeError from deep inside, or a silently wrong edit, otherwise)."""
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise UsageError(f"{what}: not {value!r}")
    if not isinstance(value, kinds) or (at_least is not None and value < at_least):
        expected = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        bound = f" of at least {at_least}" if at_least is not None else ""
        raise UsageError(f"{what}: a {expected}{bound}, not {value!r}")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"format: one of {', '.join(FORMATS)}, not {fmt!r}")


def local_time_text(moment: datetime, config: Config) -> str:
    """A moment as a person reads it, in the config's time zone."""
    zone = zone_of(config)
    local = moment.astimezone(zone) if zone else moment.astimezone(timezone.utc)
    return f"{local:%a %-d %b %Y %H:%M} {local.tzname() or 'UTC'}"


def _since_text(config: Config) -> str:
    if isinstance(config.since, timedelta):
        return _duration(config.since)
    return local_time_text(config.since, config)


def _duration(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= 2 * size:  # "24 hours", not "1 day"
            count = seconds // size
            return f"{count} {unit if count != 1 else unit[:-1]}"
    return f"{seconds} seconds"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def leave_out_unrenderable(renderer, digest: Digest, fmt: str, reporter: Reporter) -> None:
    """Take out of the digest (so they are not marked sent) the stories
    whose card does not compile, naming each: one story must never be the
    reason nothing is sent. Only the formats that compile MJML can fail."""
    if fmt not in ("email", "html"):
        return
    for story, error in renderer.unrenderable(digest):
        digest.stories.remove(story)
        reporter.warn(f"left out the story {story.title!r} ({story.feed}, {story.link or 'no link'}): "
                      f"its card does not compile ({error}); it is not marked sent")


def render_output(renderer, digest: Digest, fmt: str, config: Config) -> Outgoing:
    """The product in the asked format, ready to deliver."""
    from .delivery.base import Outgoing

    email = config.email
    if fmt == "epub":
        from .output.epub import epub_of
        from .sources.picturefiles import picture_files

        return Outgoing(epub_of(renderer, digest, picture_files(digest.stories, config.fetch)))
    if fmt == "email":
        return Outgoing.email(renderer.email(digest, email.from_, email.to, cc=email.cc, bcc=email.bcc,
                                             unsubscribe=email.unsubscribe))
    if fmt == "html":
        return Outgoing(renderer.html(digest).encode("utf-8"))
    if fmt == "mjml":
        return Outgoing(renderer.mjml(digest).encode("utf-8"))
    if fmt == "text":
        return Outgoing(renderer.text(digest).encode("utf-8"))
    if fmt == "json":
        return Outgoing(renderer.json(digest).encode("utf-8"))
    raise DigestError(f"unknown format {fmt!r}")
