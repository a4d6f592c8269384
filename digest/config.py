"""The config file: TOML loading, validation, defaults, and where files live.

Precedence is defaults < file < environment < command-line flags. Every
problem is a ConfigError naming the file, the key and what is wrong.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import USER_AGENT
from .errors import ConfigError, UsageError
from .urls import _is_web, _short_url, feed_identity, is_loopback, normalize_feed_location, publisher_name
from .values import MAX_DURATION, MAX_TIMEOUT, command_words, mail_address, one_line, parse_duration, parse_instant

# The card's meta line right above the lead already names the feed and the
# author, so the default lead is the story's own words, not a repeat of them.
DEFAULT_LEAD = "{{ item.summary }}"


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    weight: float = 1.0
    tags: tuple[str, ...] = ()
    paused: bool = False  # `feeds pause`: kept, not fetched
    articles: bool = True  # False: never read this feed's article pages ([articles])

    def display_name(self, stored_title: str = "", site: str = "") -> str:
        """The config's name, else the publisher's name in the feed's own
        title (as the store has it; `site`, the channel's own <link>, helps
        find it), else the host or file name of its URL."""
        return self.name or publisher_name(stored_title, self.url, site) or _short_url(self.url)

    def name_from(self, state) -> str:
        """display_name from what the store keeps of the feed (a
        store.FeedState: its title and site), or from the config alone."""
        return self.display_name(state.title, state.site) if state else self.display_name()


@dataclass(frozen=True)
class AuthorInfo:
    role: str = ""
    bio: str = ""
    avatar: str = ""


@dataclass(frozen=True)
class EmailConfig:
    from_: str = "digest <digest@localhost>"
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()  # in the envelope only, never in a message digest writes itself
    subject: str | None = None  # a Jinja template; None uses templates/subject.txt
    command: str | None = None  # e.g. "sendmail -t": digest runs it and feeds it the message
    maildir: Path | None = None  # deliver into this Maildir instead
    mbox: Path | None = None  # append to this mbox file instead
    # List-Unsubscribe targets: https:// or mailto: URLs (a digest sent to a team list).
    unsubscribe: tuple[str, ...] = ()
    cards: int = 3  # stories after the lead drawn as cards; the rest are compact rows (templates/layout.mjml)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc


SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpConfig:
    """The [smtp] table: digest talks to the mail server itself."""

    host: str
    port: int = 587
    security: str = "starttls"  # "tls": implicit TLS (465); "none": only to this machine
    username: str | None = None
    password_command: str | None = None  # run without a shell; its first line is the password
    password_env: str | None = None  # the name of an environment variable holding it
    password: str | None = field(default=None, repr=False)  # only from an owner-only file
    ca_file: Path | None = None  # a private CA; default: the system's
    timeout: float = 120.0  # seconds for the whole delivery, retries included

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class RankConfig:
    half_life: timedelta = timedelta(hours=12)
    boost: dict[str, float] = field(default_factory=dict)
    mute: tuple[str, ...] = ()
    group_by: str | None = None  # "tag": the digest in sections by the feeds' tags


@dataclass(frozen=True)
class FetchConfig:
    timeout: float = 15.0  # seconds for the whole request
    concurrency: int = 64  # httpx and aiohttp pool 100 by default; per_host is the politeness
    per_host: int = 2
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class ArticlesConfig:
    """The [articles] table: reading the article page of a thin story that
    will be shown (sources/articles.py)."""

    enabled: bool = True
    max: int = 30  # pages read (fetched or taken from the store) per build
    allow_private: bool = False  # pages on loopback/private/link-local addresses, checked after DNS on every hop
    timeout: float = 10.0  # seconds for the whole request of one page


@dataclass(frozen=True)
class WebConfig:
    """The [web] table: the web edition (a page per delivered edition, an
    index, an Atom feed per digest) written under `dir`."""

    dir: Path
    base_url: str = ""  # its address on the web, ending in "/": links, "view in browser", Atom ids


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    title: str = "Daily Digest"
    since: timedelta | datetime = timedelta(hours=24)  # how far back a first build looks, or from when
    top: int = 20
    max_per_feed: int = 5
    timezone: str | None = None  # IANA name; None means the machine's local zone
    language: str = "en"  # the email's lang (BCP 47): screen readers and fonts follow it
    template_dir: Path | None = None
    state: Path | None = None
    summary_words: int = 45
    failing_after: int = 3  # runs in a row before a failing feed is named in the digest footer
    lock_wait: timedelta = timedelta(seconds=60)  # how long a build waits for one still sending
    keep: timedelta = timedelta(days=90)  # item texts and sent digests older than this are pruned
    lead_template: str = DEFAULT_LEAD
    lead_templates: dict[str, str] = field(default_factory=dict)  # tag -> template
    email: EmailConfig = field(default_factory=EmailConfig)
    smtp: SmtpConfig | None = None
    rank: RankConfig = field(default_factory=RankConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    articles: ArticlesConfig = field(default_factory=ArticlesConfig)
    feeds: tuple[FeedConfig, ...] = ()
    authors: dict[str, AuthorInfo] = field(default_factory=dict)
    web: WebConfig | None = None
    # Several digests: [digests.NAME] tables, each a whole Config (the
    # top-level keys with the ones it names overridden, its feeds chosen
    # by tags). name is "" for the top-level digest.
    name: str = ""
    match: tuple[str, ...] = ()  # only stories matching one of these words (a keyword digest)
    digests: dict[str, Config] = field(default_factory=dict)

    def digest(self, name: str | None) -> Config:
        """The config of digest `name` ([digests.NAME]); None or "": the
        top-level one. UsageError naming the digests there are otherwise."""
        if not name:
            return self
        top = self if not self.name else None
        if top is None or name not in self.digests:
            known = ", ".join(sorted(self.digests)) if top is not None else ""
            where = f"{self.path}: " if self.path else ""
            raise UsageError(f"{where}no digest {name!r} (no [digests.{name}] table; "
                             f"{'its digests: ' + known if known else 'the config names no other digest'})")
        return self.digests[name]

    def window(self, now: datetime) -> timedelta:
        """How far back a first build looks from `now`: `since` as a
        duration, or back to its date (never into the future)."""
        if isinstance(self.since, timedelta):
            return self.since
        return max(now - self.since, timedelta(0))

    def addressed(self, to: Sequence[str] = (), from_: str | None = None, subject: str | None = None) -> Config:
        """This config with the command line's --to, --from and --subject:
        --to names everyone the digest goes to, so cc and bcc stay out."""
        email = replace(
            self.email,
            to=tuple(to) or self.email.to,
            cc=() if to else self.email.cc,
            bcc=() if to else self.email.bcc,
            from_=from_ or self.email.from_,
            subject=subject or self.email.subject,
        )
        return replace(self, email=email,
                       digests={name: other.addressed(to, from_, subject) for name, other in self.digests.items()})


# ---------------------------------------------------------------- loading


# A config of 8,000 feeds is about 1 MB; /dev/zero as the config took 12 GB.
CONFIG_MAX_BYTES = 4 * 1024 * 1024
# A named pipe (`--config <(make-config)`) gets this long to deliver it.
CONFIG_READ_TIMEOUT = 5.0


def read_config_text(path: Path) -> str:
    """The config file's text, or a ConfigError saying why there is none."""
    from .files import TimedOut, TooLarge, read_capped

    try:
        return read_capped(path, CONFIG_MAX_BYTES, CONFIG_READ_TIMEOUT).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("no such config file (create one with `digest init`)", path=path) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=path) from None
    except TooLarge:
        raise ConfigError(f"larger than {CONFIG_MAX_BYTES // (1024 * 1024)} MB: not a config file", path=path) from None
    except TimedOut:
        raise ConfigError(f"nothing to read for {CONFIG_READ_TIMEOUT:g}s (a named pipe nobody writes to?)",
                          path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from None


def load_config(path: Path) -> Config:
    """Read and validate a config file."""
    try:
        data = tomllib.loads(read_config_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None
    return config_from_dict(data, path=path)


def config_from_dict(data: dict[str, Any], path: Path | None = None) -> Config:
    config = _config_from_dict(data, path)
    digests = data.get("digests", {})
    if not isinstance(digests, dict):
        raise ConfigError("must be a table of [digests.NAME] tables", path=path, key="digests")
    return replace(config, digests={name: digest_config(data, name, table, config, path)
                                    for name, table in digests.items()})


# The keys a [digests.NAME] table may name: the top-level ones it
# overrides, [email] and [rank] (key by key), and the two of its own.
DIGEST_KEYS = ("title", "since", "top", "max_per_feed", "template_dir", "email", "rank", "tags", "match")
_DIGEST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def digest_config(data: dict[str, Any], name: str, table: Any, top: Config, path: Path | None) -> Config:
    """The Config of [digests.NAME]: the top-level table with the keys it
    names overridden ([email] and [rank] key by key), its feeds those with
    one of its `tags` (default: all). Errors name digests.NAME.KEY."""
    prefix = f"digests.{name}"
    reader = _Reader(path)
    if not _DIGEST_NAME.fullmatch(name):
        raise reader.fail(prefix, "a digest's name is letters, digits, - and _ (it names files and --digest)")
    table = reader.table(table, prefix, DIGEST_KEYS)
    email = reader.table(table.get("email", {}), f"{prefix}.email", EMAIL_KEYS)
    rank = reader.table(table.get("rank", {}), f"{prefix}.rank", RANK_KEYS)
    tags = tuple(reader.string_list(_listed(table, "tags"), "tags", prefix))
    match = tuple(reader.string_list(_listed(table, "match"), "match", prefix))
    if any(not word.strip() for word in match):
        raise reader.fail(f"{prefix}.match", "has an empty word")
    overrides = {key: table[key] for key in ("title", "since", "top", "max_per_feed", "template_dir") if key in table}
    merged = {**data, **overrides, "email": {**data.get("email", {}), **email},
              "rank": {**data.get("rank", {}), **rank}}
    merged.pop("digests", None)
    config = _config_from_dict(merged, path, scope=prefix)
    feeds = tuple(feed for feed in config.feeds if not tags or set(tags) & set(feed.tags))
    if tags and not feeds and top.feeds:
        raise reader.fail(f"{prefix}.tags", f"no feed has one of the tags {', '.join(map(repr, tags))}")
    return replace(config, name=name, match=match, feeds=feeds)


def _config_from_dict(data: dict[str, Any], path: Path | None = None, scope: str = "") -> Config:
    reader = _Reader(path, scope)
    top = reader.table(data, "", _TOP_KEYS)
    base = path.parent if path else Path.cwd()

    email = reader.table(top.get("email", {}), "email", EMAIL_KEYS)
    lead = reader.table(top.get("lead", {}), "lead", ("template", "templates"))
    rank = reader.table(top.get("rank", {}), "rank", RANK_KEYS)
    fetch = reader.table(top.get("fetch", {}), "fetch", FETCH_KEYS)
    articles = reader.table(top.get("articles", {}), "articles", ARTICLES_KEYS)
    return Config(
        path=path,
        title=reader.string(top, "title", Config.title),
        since=reader.since(top, "since"),
        top=reader.positive_int(top, "top", Config.top),
        max_per_feed=reader.positive_int(top, "max_per_feed", Config.max_per_feed),
        timezone=reader.timezone(top, "timezone"),
        language=reader.language(top, "language"),
        template_dir=reader.location(top, "template_dir", base),
        state=reader.location(top, "state", base),
        summary_words=reader.positive_int(top, "summary_words", Config.summary_words),
        failing_after=reader.positive_int(top, "failing_after", Config.failing_after),
        lock_wait=reader.duration(top, "lock_wait", Config.lock_wait, longest=MAX_TIMEOUT),
        keep=reader.keep(top, "keep"),
        lead_template=reader.string(lead, "template", DEFAULT_LEAD, prefix="lead"),
        lead_templates=reader.string_table(lead, "templates", prefix="lead"),
        email=EmailConfig(
            from_=reader.address(email, "from", EmailConfig.from_, prefix="email"),
            to=reader.addresses(email, "to", prefix="email"),
            cc=reader.addresses(email, "cc", prefix="email"),
            bcc=reader.addresses(email, "bcc", prefix="email"),
            subject=reader.string(email, "subject", None, prefix="email"),
            command=reader.command(email, "command", prefix="email"),
            maildir=reader.location(email, "maildir", base, prefix="email"),
            mbox=reader.location(email, "mbox", base, prefix="email"),
            unsubscribe=reader.unsubscribe(email, "unsubscribe", prefix="email"),
            cards=reader.positive_int(email, "cards", EmailConfig.cards, prefix="email"),
        ),
        smtp=reader.smtp(top.get("smtp"), base),
        rank=RankConfig(
            half_life=reader.duration(rank, "half_life", RankConfig.half_life, prefix="rank"),
            boost=reader.number_table(rank, "boost", prefix="rank"),
            mute=tuple(reader.string_list(rank, "mute", prefix="rank")),
            group_by=reader.choice(rank, "group_by", ("tag",), prefix="rank"),
        ),
        fetch=FetchConfig(
            timeout=reader.duration(
                fetch, "timeout", timedelta(seconds=FetchConfig.timeout), prefix="fetch", longest=MAX_TIMEOUT
            ).total_seconds(),
            concurrency=reader.positive_int(fetch, "concurrency", FetchConfig.concurrency, prefix="fetch"),
            per_host=reader.positive_int(fetch, "per_host", FetchConfig.per_host, prefix="fetch"),
            max_bytes=reader.positive_int(fetch, "max_bytes", FetchConfig.max_bytes, prefix="fetch"),
            user_agent=reader.string(fetch, "user_agent", USER_AGENT, prefix="fetch"),
        ),
        articles=ArticlesConfig(
            enabled=reader.boolean(articles, "enabled", ArticlesConfig.enabled, prefix="articles"),
            max=reader.positive_int(articles, "max", ArticlesConfig.max, prefix="articles"),
            allow_private=reader.boolean(articles, "allow_private", ArticlesConfig.allow_private, prefix="articles"),
            timeout=reader.duration(
                articles, "timeout", timedelta(seconds=ArticlesConfig.timeout), prefix="articles", longest=MAX_TIMEOUT
            ).total_seconds(),
        ),
        feeds=reader.feeds(top.get("feeds", []), base),
        authors=reader.authors(top.get("authors", {}), base),
        web=reader.web(top.get("web"), base),
    )


MIN_KEEP = timedelta(days=7)

_TOP_KEYS = (
    "title", "since", "top", "max_per_feed", "timezone", "language", "template_dir", "state",
    "summary_words", "failing_after", "lock_wait", "keep", "email", "smtp", "lead", "rank", "fetch", "articles",
    "feeds", "authors", "digests", "web",
)
EMAIL_KEYS = ("from", "to", "cc", "bcc", "subject", "command", "maildir", "mbox", "unsubscribe", "cards")
RANK_KEYS = ("half_life", "boost", "mute", "group_by")
FETCH_KEYS = ("timeout", "concurrency", "per_host", "max_bytes", "user_agent")
ARTICLES_KEYS = ("enabled", "max", "allow_private", "timeout")
SMTP_KEYS = ("host", "port", "security", "username", "password_command", "password_env", "password", "ca_file",
             "timeout")
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "a table",
               bool: "true or false"}


class _Reader:
    """Typed access to config values; every failure names file and key."""

    def __init__(self, path: Path | None, scope: str = ""):
        self.path = path
        # A [digests.NAME] table is read as the top-level one with its keys
        # over it: an error there is in its keys (the top-level ones passed).
        self.scope = scope

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, key=_join(self.scope, key))

    def table(self, value: Any, name: str, known: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table")
        for key in value:
            if key not in known:
                raise self.fail(_join(name, key), f"unknown key{_unknown_key_hint(key, known)}")
        return value

    def _get(self, table: dict, key: str, kind: type | tuple, prefix: str) -> Any:
        value = table.get(key)
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self.fail(_join(prefix, key), f"must be {_TYPE_NAMES.get(kind, kind)}, not {value!r}")
        return value

    def string(self, table: dict, key: str, default: str | None, prefix: str = "") -> str | None:
        value = self._get(table, key, str, prefix)
        return default if value is None else value

    def command(self, table: dict, key: str, prefix: str = "") -> str | None:
        value = self._get(table, key, str, prefix)
        if value is None:
            return None
        try:
            command_words(value)
        except ValueError as exc:
            raise self.fail(_join(prefix, key), str(exc)) from None
        return value

    def address(self, table: dict, key: str, default: str, prefix: str = "") -> str:
        value = self.string(table, key, default, prefix)
        try:
            return mail_address(value)
        except ValueError as exc:
            raise self.fail(_join(prefix, key), str(exc)) from None

    def boolean(self, table: dict, key: str, default: bool, prefix: str = "") -> bool:
        value = self._get(table, key, bool, prefix)
        return default if value is None else value

    def positive_int(self, table: dict, key: str, default: int, prefix: str = "") -> int:
        value = self._get(table, key, int, prefix)
        if value is None:
            return default
        if value < 1:
            raise self.fail(_join(prefix, key), f"must be at least 1, not {value}")
        return value

    def since(self, table: dict, key: str) -> timedelta | datetime:
        """A duration back from now ("24h", "3d"), or a date to start from
        ("2026-11-24"), as --since takes them."""
        value = self._get(table, key, str, "")
        if value is None:
            return Config.since
        try:
            return parse_duration(value)
        except ValueError as exc:
            if re.fullmatch(r"[\d.\s]+[wdhms].*", value.strip()):
                raise self.fail(key, str(exc)) from None  # a duration, wrong: say what is wrong with it
        try:
            return parse_instant(value)
        except ValueError:
            raise self.fail(key, f"not a duration (24h, 3d) or a date (2026-11-24): {value!r}") from None

    def duration(self, table: dict, key: str, default: timedelta, prefix: str = "",
                 longest: timedelta = MAX_DURATION) -> timedelta:
        value = self._get(table, key, str, prefix)
        if value is None:
            return default
        try:
            return parse_duration(value, longest)
        except ValueError as exc:
            raise self.fail(_join(prefix, key), str(exc)) from None

    def keep(self, table: dict, key: str) -> timedelta:
        """How long the store keeps item texts and sent digests: a duration
        of at least a week (a weekly digest reads a week back)."""
        keep = self.duration(table, key, Config.keep, longest=timedelta(days=36500))
        if keep < MIN_KEEP:
            raise self.fail(key, f"must be at least {MIN_KEEP.days} days (a weekly digest reads a week back), "
                                 f"not {table[key]!r}")
        return keep

    def location(self, table: dict, key: str, base: Path, prefix: str = "") -> Path | None:
        value = self._get(table, key, str, prefix)
        if value is not None and not value.strip():
            raise self.fail(_join(prefix, key), "is empty")
        return None if value is None else base / Path(value).expanduser()

    def addresses(self, table: dict, key: str, prefix: str = "", check=mail_address) -> tuple[str, ...]:
        """One address or a list of them, each one line, not blank, and
        passing `check` (a mail address, unless the caller reads URLs)."""
        value = table.get(key, [])
        listed = self.string_list({key: [value] if isinstance(value, str) else value}, key, prefix=prefix)
        if any(not address.strip() for address in listed):
            raise self.fail(_join(prefix, key), "has an empty address")
        try:
            listed = [check(address) for address in listed]
        except ValueError as exc:
            raise self.fail(_join(prefix, key), str(exc)) from None
        return tuple(listed)

    def unsubscribe(self, table: dict, key: str, prefix: str = "") -> tuple[str, ...]:
        """https:// (or http://) and mailto: URLs; a bare address becomes a
        mailto: URL."""
        targets = []
        for target in self.addresses(table, key, prefix, check=one_line):
            target = target.strip()
            parts = urlsplit(target)
            scheme = parts.scheme.lower()
            if scheme in ("http", "https") and parts.netloc:
                targets.append(target)
            elif scheme == "mailto" and "@" in parts.path:
                targets.append(target)
            elif not scheme and "@" in target and not any(c in target for c in " <>,"):
                targets.append(f"mailto:{target}")
            else:
                raise self.fail(_join(prefix, key),
                                f"must be an https:// URL or a mail address (mailto:), not {target!r}")
        return tuple(targets)

    def smtp(self, value: Any, base: Path) -> SmtpConfig | None:
        if value is None:
            return None
        table = self.table(value, "smtp", SMTP_KEYS)
        host = self.string(table, "host", None, prefix="smtp")
        if not host or not host.strip() or any(c.isspace() for c in host):
            raise self.fail("smtp.host", "is missing" if not host else f"not a host name: {host!r}")
        security = self.choice(table, "security", SECURITY, prefix="smtp") or "starttls"
        if security == "none" and not is_loopback(host):
            raise self.fail("smtp.security", f'"none" would send the mail (and any password) in the clear; '
                                             f"it is allowed only for a server on this machine (localhost, "
                                             f'127.0.0.1, ::1), not {host}: use "starttls" or "tls"')
        port = self._get(table, "port", int, "smtp")
        if port is not None and not 0 < port < 65536:
            raise self.fail("smtp.port", f"must be between 1 and 65535, not {port}")
        sources = [key for key in ("password_command", "password_env", "password") if key in table]
        username = self.string(table, "username", None, prefix="smtp")
        if len(sources) > 1:
            raise self.fail(f"smtp.{sources[1]}", f"give one of password_command, password_env and password, "
                                                  f"not {' and '.join(sources)}")
        if sources and not username:
            raise self.fail("smtp.username", f"is missing (smtp.{sources[0]} is set)")
        if username and not sources:
            raise self.fail("smtp.username", "needs a password: set password_command (e.g. \"pass show mail\"), "
                                             "password_env or password")
        password_env = self.string(table, "password_env", None, prefix="smtp")
        if password_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
            raise self.fail("smtp.password_env", f"must be the name of an environment variable, not {password_env!r}")
        ca_file = self.location(table, "ca_file", base, prefix="smtp")
        if ca_file is not None and not ca_file.is_file():
            raise self.fail("smtp.ca_file", f"no such file: {ca_file}")
        timeout = self.duration(table, "timeout", timedelta(seconds=SmtpConfig.timeout), prefix="smtp")
        return SmtpConfig(
            host=host,
            port=DEFAULT_PORTS[security] if port is None else port,
            security=security,
            username=username,
            password_command=self.command(table, "password_command", prefix="smtp"),
            password_env=password_env,
            password=self.password(table),
            ca_file=ca_file,
            timeout=timeout.total_seconds(),
        )

    def password(self, table: dict) -> str | None:
        """A password in the file, accepted only when no one but its owner
        can read the file (as msmtp and .netrc ask). Never shown in a message."""
        value = table.get("password")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail("smtp.password", "must be a non-empty string")
        if self.path is not None:
            info = os.stat(self.path)
            if info.st_mode & 0o077 or info.st_uid != os.getuid():
                whose = "" if info.st_uid == os.getuid() else ", and it belongs to another user"
                raise self.fail("smtp.password", f"the file may be read by others (mode {info.st_mode & 0o777:04o}"
                                                 f"{whose}); a password belongs only in a file no one else can "
                                                 f"read (chmod 600 {self.path}), or use password_command or "
                                                 "password_env")
        return value

    def timezone(self, table: dict, key: str) -> str | None:
        value = self._get(table, key, str, "")
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(key, f"unknown time zone {value!r} (use e.g. Europe/Kyiv or UTC)") from None
        return value

    def language(self, table: dict, key: str) -> str:
        value = self._get(table, key, str, "")
        if value is None:
            return Config.language
        if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", value):
            raise self.fail(key, f"not a language tag: {value!r} (e.g. en, fr, zh-Hans, pt-BR)")
        return value

    def string_list(self, table: dict, key: str, prefix: str = "") -> list[str]:
        value = self._get(table, key, list, prefix) or []
        for entry in value:
            if not isinstance(entry, str):
                raise self.fail(_join(prefix, key), f"must be a list of strings, not {entry!r}")
        return value

    def string_table(self, table: dict, key: str, prefix: str = "") -> dict[str, str]:
        value = self._get(table, key, dict, prefix) or {}
        return {name: self._get(value, name, str, _join(prefix, key)) for name in value}

    def choice(self, table: dict, key: str, choices: tuple[str, ...], prefix: str = "") -> str | None:
        value = self._get(table, key, str, prefix)
        if value is not None and value not in choices:
            raise self.fail(_join(prefix, key), f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
        return value

    def number_table(self, table: dict, key: str, prefix: str = "") -> dict[str, float]:
        value = self._get(table, key, dict, prefix) or {}
        result = {}
        for word, factor in value.items():
            number = self._get(value, word, float, _join(prefix, key))
            if number is None or number <= 0:
                raise self.fail(_join(prefix, key, word), f"must be a positive number, not {factor!r}")
            result[word] = number
        return result

    def feeds(self, value: Any, base: Path) -> tuple[FeedConfig, ...]:
        if not isinstance(value, list):
            raise self.fail("feeds", "must be an array of tables: [[feeds]]")
        feeds, seen = [], set()
        for index, entry in enumerate(value):
            name = f"feeds[{index}]"
            entry = self.table(entry, name, ("url", "name", "weight", "tags", "paused", "articles"))
            url = self._get(entry, "url", str, name)
            if not url:
                raise self.fail(_join(name, "url"), "is missing")
            url = normalize_feed_location(url, base, lambda message: self.fail(_join(name, "url"), message))
            if feed_identity(url) in seen:
                raise self.fail(_join(name, "url"), f"{url} is listed twice")
            seen.add(feed_identity(url))
            weight = self._get(entry, "weight", float, name)
            if weight is not None and not 0 < weight < float("inf"):  # NaN fails this too
                raise self.fail(_join(name, "weight"), f"must be positive, not {weight}")
            feeds.append(
                FeedConfig(
                    url=url,
                    name=self._get(entry, "name", str, name),
                    weight=1.0 if weight is None else weight,
                    tags=tuple(self.string_list(_listed(entry, "tags"), "tags", name)),
                    paused=bool(self._get(entry, "paused", bool, name)),
                    articles=self.boolean(entry, "articles", True, prefix=name),
                )
            )
        return tuple(feeds)

    def picture(self, table: dict, key: str, base: Path, prefix: str) -> str:
        """A picture's address: an http(s) URL as written, or a local file
        (a path relative to the config, or a file:// URL) as a file:// URL,
        which the email carries inside itself."""
        value = self.string(table, key, "", prefix)
        if not value or _is_web(value):
            return value
        scheme = urlsplit(value).scheme.lower()
        if scheme and scheme != "file" and len(scheme) > 1:
            raise self.fail(_join(prefix, key), f"must be an http(s) URL or a file, not {value!r}")
        from .files import file_path

        path = file_path(value) if scheme == "file" else (base / Path(value).expanduser())
        if not path.is_file():
            raise self.fail(_join(prefix, key), f"no such file: {path}")
        return path.resolve().as_uri()

    def web(self, value: Any, base: Path) -> WebConfig | None:
        if value is None:
            return None
        table = self.table(value, "web", ("dir", "base_url"))
        folder = self.location(table, "dir", base, prefix="web")
        if folder is None:
            raise self.fail("web.dir", "is missing (the folder the web edition is written to)")
        base_url = self.string(table, "base_url", "", prefix="web").strip()
        if base_url:
            parts = urlsplit(base_url)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise self.fail("web.base_url", f"must be an http(s):// address of a folder, not {base_url!r}")
            base_url = base_url if base_url.endswith("/") else base_url + "/"
        return WebConfig(dir=folder, base_url=base_url)

    def authors(self, value: Any, base: Path) -> dict[str, AuthorInfo]:
        if not isinstance(value, dict):
            raise self.fail("authors", "must be a table of [authors.\"Name\"] tables")
        authors = {}
        for name, info in value.items():
            prefix = f'authors."{name}"'
            info = self.table(info, prefix, ("role", "bio", "avatar"))
            authors[name] = AuthorInfo(
                role=self.string(info, "role", "", prefix),
                bio=self.string(info, "bio", "", prefix),
                avatar=self.picture(info, "avatar", base, prefix),
            )
        return authors


def _unknown_key_hint(key: str, known: tuple[str, ...]) -> str:
    """A key another table takes is most likely under the wrong header
    (TOML puts `host = ...` into the [[feeds]] above when [smtp] is
    missing): say which table; else the closest known key, if any."""
    owners = [table for table, keys in (("smtp", SMTP_KEYS), ("email", EMAIL_KEYS), ("fetch", FETCH_KEYS),
                                        ("rank", RANK_KEYS), ("articles", ARTICLES_KEYS)) if key in keys and keys != known]
    if owners:
        return (f" (`{key}` is a key of [{owners[0]}]: is the [{owners[0]}] header missing above it? "
                "a key belongs to the table whose header is above it)")
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _listed(table: dict, key: str) -> dict:
    """The table with a lone string under `key` read as a list of one
    (`tags = "news"` means what `to = "me@example.org"` does)."""
    return {**table, key: [table[key]]} if isinstance(table.get(key), str) else table


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)
