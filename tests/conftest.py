"""Shared fixtures: real files in tmp dirs, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from digest.cli import cli

# The network guard (netguard/sitecustomize.py): this process and every
# Python subprocess a test starts reach 127.0.0.x only.
_GUARD = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(_GUARD))
import sitecustomize as netguard  # noqa: E402

netguard.install()  # done on import already; said here so the import reads as used

os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_GUARD), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("DIGEST_TEST_NET_LOG", str(Path(tempfile.mkdtemp(prefix="digest-netguard-")) / "attempts"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
# The captured feeds, vendored byte for byte (tests/data/feeds/README.md), so
# the suite runs on a clone with nothing beside it.
FEEDS = DATA / "feeds"
# The data files of feedparser's own test suite (BSD-2-Clause), vendored
# byte for byte from ../shared/feedparser-tests (see its README.md).
FEEDPARSER_TESTS = DATA / "feedparser-tests"
# The team's shared folder, when the checkout has one beside it (CI and our
# own machines): corpus sweeps read it in full there, FEEDS elsewhere.
SHARED = ROOT.parent / "shared"
EXAMPLE_NOW = "2025-01-02T20:00:00Z"
# The `digest` command this environment installed (beside this Python), for
# tests that run it as a user does: a real process, a terminal, cron's env.
INSTALLED = shutil.which("digest", path=str(Path(sys.executable).parent)) or shutil.which("digest")


def write_config(folder: Path, body: str, name: str = "digest.toml") -> Path:
    """A config file in folder; the state file goes next to it."""
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def feeds_config(folder: Path, urls: list, extra: str = "", email: str = "", name: str = "digest.toml") -> Path:
    """A config mailing me@example.org from these feeds, times in UTC.
    `extra` goes at the top level, `email` into the [email] table."""
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    return write_config(folder, f'timezone = "UTC"\n{extra}\n[email]\nto = ["me@example.org"]\n{email}\n{feeds}', name)


def rss(*items: str, title: str = "Test Feed") -> str:
    """A small RSS 2.0 document around the given <item> snippets."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://example.org/</link>"
        + "".join(items)
        + "</channel></rss>"
    )


def rss_item(title: str, link: str, date: str = "Thu, 02 Jan 2025 12:00:00 +0000", body: str = "Some text.",
             extra: str = "", guid: str | None = None) -> str:
    guid_xml = f"<guid isPermaLink=\"false\">{guid}</guid>" if guid else ""
    return (
        f"<item><title>{title}</title><link>{link}</link>{guid_xml}"
        f"<pubDate>{date}</pubDate><description><![CDATA[{body}]]></description>{extra}</item>"
    )


def state_at_schema(path: Path, version: int):
    """A state file made by the migrations up to `version`, as an older
    digest left it; an open sqlite3 connection to fill with its rows."""
    import sqlite3

    from digest.schema import MIGRATIONS

    db = sqlite3.connect(path)
    for step in sorted(n for n in MIGRATIONS if n <= version):
        db.executescript(MIGRATIONS[step])
    db.execute(f"PRAGMA user_version = {int(version)}")
    return db


def parse_email(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def email_parts(message) -> dict[str, str]:
    """{'text/plain': ..., 'text/html': ...} of a multipart/alternative
    message (the HTML may sit in a multipart/related with its pictures)."""
    assert message.get_content_type() == "multipart/alternative"
    return {kind: message.get_body((kind.split("/")[1],)).get_content() for kind in ("text/plain", "text/html")}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner, tmp_path):
    """Run the CLI with a state file in tmp_path unless one is given."""

    def run(*args: str, state: Path | None = None, input: str | bytes | None = None):
        state_args = ["--state", str(state or tmp_path / "state.db")]
        return runner.invoke(cli, [*state_args, *args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def example_config(tmp_path) -> Path:
    """The shipped example config, pointed at a state file in tmp_path."""
    text = (EXAMPLES / "digest.toml").read_text(encoding="utf-8")
    text = text.replace('state = "/tmp/digest-example-state.db"', f'state = "{tmp_path / "example.db"}"')
    text = text.replace('"feeds/', f'"{EXAMPLES}/feeds/')
    return write_config(tmp_path, text)


@pytest.fixture
def server():
    """A loopback HTTP server whose routes the test defines (see loopback.py)."""
    from loopback import start_server, stop_server

    httpd = start_server()
    yield httpd
    stop_server(httpd)


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (not "localhost", which may resolve elsewhere)."""
    return ("127.0.0.1", 0)


def news_feed(count: int, image_base: str = "https://images.example.org/", title: str = "Wire") -> str:
    """An RSS feed of `count` realistic news items, all within a day of
    EXAMPLE_NOW: bylines, whole short stories (~140 words, so not teasers:
    "1 min read"), and a captioned, credited picture on every other item
    (sized; every fourth one without a size)."""
    body = ("<p>Crews worked through the night to finish the repairs, officials said on Thursday, "
            "and the first trains are expected to run on a reduced timetable before the full "
            "service returns next week. Passengers were told to check the operator's website "
            "for changes, and the ministry said more bridges would be inspected in the spring.</p>"
            "<p>The line carries most of the region's freight as well as commuters, and its closure "
            "had forced hauliers onto roads that were never built for the traffic. Local traders "
            "said deliveries had taken twice as long since the autumn. Engineers replaced two "
            "spans and the signalling along a twelve-kilometre stretch, working around the clock "
            "in shifts of forty, and the operator thanked residents for their patience.</p>")
    items = []
    for i in range(count):
        image = ""
        if i % 2 == 0:
            size = ' width="1200" height="675"' if i % 4 == 0 else ""
            image = (f'<media:content url="{image_base}photo-{i}.png" medium="image"{size}>'
                     f"<media:description>Workers on the bridge, picture {i}.</media:description>"
                     "<media:credit>Photo: Jane Doe / Wire</media:credit></media:content>")
        minute = i % 600
        items.append(rss_item(
            f"Story {i}: rail line to Kharkiv reopens after weeks of repairs",
            f"https://news.example.org/2025/01/02/story-{i}",
            date=f"Thu, 02 Jan 2025 {9 + minute // 60:02d}:{minute % 60:02d}:00 +0000",
            body=body,
            extra=f"<dc:creator>{'Martin Fornusek' if i % 3 == 0 else 'Amara Okafor'}</dc:creator>{image}",
        ))
    return rss(*items, title=title)


def news_config(folder: Path, feed_path: Path | str, count: int, extra: str = "",
                avatar: str = "https://images.example.org/staff/fornusek.png") -> Path:
    """A config over one news_feed file that keeps every one of its items."""
    return write_config(folder, f"""
        title = "Morning Brief"
        top = {count}
        max_per_feed = {count}
        timezone = "UTC"
        {extra}

        [email]
        from = "Morning Brief <brief@example.org>"
        to = ["me@example.org"]

        [[feeds]]
        url = "{feed_path}"
        name = "Kyiv Wire"

        [authors."Martin Fornusek"]
        role = "Senior News Editor"
        bio = "News editor at the Kyiv Wire, covering infrastructure and the economy."
        avatar = "{avatar}"
    """)


@pytest.fixture(scope="session")
def smtp_ca(tmp_path_factory):
    """A CA made for this test run (trustme), its certificate in a PEM file
    for smtp.ca_file, and a server certificate for 127.0.0.1."""
    import trustme

    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return SimpleNamespace(ca=ca, file=ca_file, cert=ca.issue_cert("127.0.0.1", "localhost"))


@pytest.fixture
def smtp_server(smtp_ca):
    """Start loopback SMTP servers (see smtp_loopback.py); all stop after the test."""
    from smtp_loopback import start_smtp

    started = []

    def start(security: str = "starttls", cert=None, **kwargs):
        server = start_smtp(security, cert or smtp_ca.cert, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _no_network_past_loopback(request):
    """With DIGEST_TEST_NET_STRICT=1, a test whose code tried to reach past
    127.0.0.x fails, naming what it tried (the guard refuses it either way;
    the session's summary counts the attempts)."""
    log = Path(os.environ["DIGEST_TEST_NET_LOG"])
    before = log.read_text().count("\n") if log.exists() else 0
    yield
    if os.environ.get("DIGEST_TEST_NET_STRICT") == "1":
        tried = log.read_text().splitlines()[before:] if log.exists() else []
        assert not tried, f"{request.node.nodeid} tried to reach past loopback: {tried[:5]}"


def pytest_terminal_summary(terminalreporter):
    log = Path(os.environ["DIGEST_TEST_NET_LOG"])
    tried = log.read_text().splitlines() if log.exists() else []
    hosts = sorted({line.split(" ", 1)[1] for line in tried})
    terminalreporter.write_line(f"network guard: {len(tried)} attempts past 127.0.0.x refused"
                                + (f" ({', '.join(hosts[:8])}{', ...' if len(hosts) > 8 else ''})" if hosts else ""))


@pytest.fixture(autouse=True)
def _picture_sizes_stay_on_this_machine(monkeypatch):
    """Tests talk to 127.0.0.x only: the fixtures' pictures elsewhere
    (images.example.org) are never asked for their size, nor looked up in DNS."""
    from urllib.parse import urlsplit

    from digest.sources import picturesize

    real = picturesize._may_read
    monkeypatch.setattr(picturesize, "_may_read", lambda url, feed_host: (
        real(url, feed_host) if (urlsplit(url).hostname or "").startswith("127.") else None))  # None: not resolved
