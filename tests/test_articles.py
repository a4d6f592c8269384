"""Thin items made whole (issue 24): the article page of a thin story that
will be shown is read, bounded and cached, and fills its card.

The 48 real pages of tests/data/articles (mozilla/readability's test pages,
Apache-2.0; README there) are served on 127.0.0.1 behind a feed of items
that carry only a title and a link, and each card is compared with what a
careful reader takes from the page (expected-metadata.json, expected.html).
"""

from __future__ import annotations

import json
import math
import re
import socket
import tarfile
from datetime import datetime, timezone
from html import unescape
from pathlib import Path

import pytest
from conftest import DATA, email_parts, parse_email, rss, write_config
from loopback import respond

import digest

NOW = "2025-01-02T20:00:00Z"
PAGES_TAR = DATA / "articles" / "pages.tar.xz"


# ---------------------------------------------------------------- the 48 pages


def _pages() -> dict[str, dict]:
    """name -> {"source": bytes, "expected": str, "meta": dict}."""
    pages: dict[str, dict] = {}
    with tarfile.open(PAGES_TAR) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            name, file = member.name.split("/")
            data = tar.extractfile(member).read()
            page = pages.setdefault(name, {})
            if file == "source.html":
                page["source"] = data
            elif file == "expected.html":
                page["expected"] = data.decode("utf-8")
            else:
                page["meta"] = json.loads(data)
    return pages


PAGES = _pages()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _text_of(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _cjk_aware_count(text: str) -> int:
    """Words as a reader counts them: CJK characters two to a word."""
    cjk = len(re.findall(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]", text))
    rest = re.sub(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]", " ", text)
    return len(rest.split()) + math.ceil(cjk / 2)


def _og_image(source: bytes) -> str | None:
    """The page's og:image as its markup states it (the first one)."""
    html = source.decode("utf-8", "replace")
    for tag in re.findall(r"<meta\b[^>]*>", html, re.I):
        if re.search(r"""property\s*=\s*["']og:image(?::url|:secure_url)?["']""", tag, re.I):
            found = re.search(r"""content\s*=\s*(["'])(.*?)\1""", tag, re.I | re.S)
            if found and found.group(2).strip():
                return unescape(found.group(2).strip())
    return None


def _serve_pages(server, names, date="Thu, 02 Jan 2025 12:00:00 +0000") -> str:
    """Each page at /<name>/ and a feed of title-and-link items; the feed's URL."""
    items = []
    for index, name in enumerate(names):
        body = PAGES[name]["source"]
        server.routes[f"/{name}/"] = lambda h, body=body: respond(
            h, 200, body, {"Content-Type": "text/html; charset=utf-8" if b"charset" not in body[:3000].lower()
                           else "text/html"})
        minute = index % 60
        items.append(f"<item><title>{name} story</title><link>{server.url(f'/{name}/')}</link>"
                     f"<pubDate>Thu, 02 Jan 2025 1{index // 60}:{minute:02d}:00 +0000</pubDate></item>")
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(*items, title="Links").encode())
    return server.url("/feed.xml")


def _config(tmp_path: Path, feed_url: str, articles: str = "allow_private = true", count: int = 48,
            feed_extra: str = "", extra: str = "") -> Path:
    return write_config(tmp_path, f"""
        title = "Links"
        top = {count}
        max_per_feed = {count}
        timezone = "UTC"
        {extra}

        [email]
        to = ["me@example.org"]

        [articles]
        max = {count}
        {articles}

        [[feeds]]
        url = "{feed_url}"
        name = "Links"
        {feed_extra}
    """)


class Notes:
    """A Reporter that keeps what it is told."""

    def __init__(self):
        self.details: list[str] = []
        self.warnings: list[str] = []

    def warn(self, message):
        self.warnings.append(message)

    def info(self, message):
        pass

    def detail(self, message):
        self.details.append(message)

    def progress(self, done, total):
        pass


def _build(config: Path, state: Path, notes: Notes | None = None, offline: bool = False, fmt: str = "json"):
    with digest.open(config, state=state, reporter=notes or Notes()) as d:
        edition = d.build(now=NOW, offline=offline, format=fmt)
        return edition.json if fmt == "json" else edition


def _page_hits(server) -> list:
    return [hit for hit in server.hits if hit.path != "/feed.xml"]


def _matches_name(card: str | None, expected: str) -> bool:
    card = " ".join(_words(card or ""))
    want = " ".join(w for w in _words(expected) if w != "by")
    return bool(card) and (card in want or want in card)


# Expected values that are arguable (tests/data/articles/README.md asks for a
# note rather than tuning to them): counted as misses all the same.
ARGUABLE = {
    ("seattletimes-1", "byline"): "the expected byline is the page's dateline (Firefox's reader view took the "
                                  "wrong element); the page's byline and JSON-LD author say Benjamin Romano",
}


def _score(pages: dict, cards: dict) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per field (right, out of), and every miss with its reason."""
    score = {field: [0, 0] for field in ("lead", "byline", "picture", "reading time")}
    misses = []

    def check(field, ok, why):
        score[field][1] += 1
        score[field][0] += bool(ok)
        if not ok:
            note = ARGUABLE.get((name, field))
            misses.append(f"{name}: {field}: {why}" + (f" (arguable: {note})" if note else ""))

    for name, page in sorted(pages.items()):
        card = cards[name]
        meta = page["meta"]
        expected_text = _text_of(page["expected"])
        # Lead: its opening words are the standfirst's or the article's opening.
        lead_words = _words(card["summary"] or "")[:8]
        opening = " ".join(_words(meta.get("excerpt") or "")) + " | " + " ".join(_words(expected_text[:5000]))
        check("lead", lead_words and " ".join(lead_words[:6]) in opening,
              f"lead {card['summary'][:80]!r} is neither the excerpt {(meta.get('excerpt') or '')[:60]!r} "
              f"nor the article's opening {expected_text[:60]!r}")
        if meta.get("byline"):
            check("byline", _matches_name(card["author"], meta["byline"]),
                  f"byline {card['author']!r}, expected {meta['byline']!r}")
        og = _og_image(page["source"])
        if og:
            got = (card["image"] or {}).get("url")
            check("picture", got and got.split("?")[0].rstrip("/") == og.split("?")[0].rstrip("/")
                  or got and Path(got.split("?")[0]).name == Path(og.split("?")[0]).name,
                  f"picture {got!r}, og:image {og!r}")
        else:
            check("picture", True, "")
            score["picture"][1] -= 1
            score["picture"][0] -= 1
        want = max(1, math.ceil(_cjk_aware_count(expected_text) / 230))
        got = card["reading_minutes"]
        check("reading time", got is not None and abs(got - want) <= 0.4 * want,
              f"{got} min read, the article reads {want} min")
    return {field: tuple(value) for field, value in score.items()}, misses


def test_the_48_pages_fill_their_cards(server, tmp_path, capsys):
    """Each card of a title-and-link item gets its page's lead, byline,
    picture (og:image) and reading time (within 40% of the article's)."""
    feed = _serve_pages(server, sorted(PAGES))
    result = _build(_config(tmp_path, feed), tmp_path / "state.db")
    cards = {re.match(r"(\S+) story", item["title"]).group(1): item for item in result["items"]}
    assert sorted(cards) == sorted(PAGES)
    score, misses = _score(PAGES, cards)
    report = "\n".join([*(f"{field}: {right}/{total}" for field, (right, total) in score.items()), *misses])
    (tmp_path / "score.txt").write_text(report)
    with capsys.disabled():
        print("\n" + report)
    # The floors are what the chosen libraries reached when this was written
    # (see the commit and sources/articles.py); a regression fails here.
    floors = {"lead": 0.95, "byline": 0.9, "picture": 0.95, "reading time": 0.9}
    for field, (right, total) in score.items():
        assert right >= floors[field] * total, report


def test_a_second_build_downloads_no_page_again_and_offline_uses_what_was_read(server, tmp_path):
    names = ["aclu", "guardian-1", "medium-1"]
    config = _config(tmp_path, _serve_pages(server, names))
    first = _build(config, tmp_path / "state.db")
    assert len(_page_hits(server)) == 3
    second = _build(config, tmp_path / "state.db")
    assert len(_page_hits(server)) == 3  # nothing fetched anew
    assert [i["author"] for i in second["items"]] == [i["author"] for i in first["items"]]
    server.routes.clear()  # the publisher's site gone: offline still has the pages as read
    offline = _build(config, tmp_path / "state.db", offline=True)
    by_title = {item["title"]: item for item in offline["items"]}
    assert by_title["aclu story"]["author"] == "Daniel Kahn Gillmor"
    assert by_title["aclu story"]["reading_minutes"] is not None


def test_pages_on_loopback_are_not_fetched_without_allow_private(server, tmp_path):
    notes = Notes()
    config = _config(tmp_path, _serve_pages(server, ["aclu", "guardian-1"]), articles="")
    result = _build(config, tmp_path / "state.db", notes)
    assert _page_hits(server) == []
    assert all(item["author"] is None and item["image"] is None for item in result["items"])
    assert any("127.0.0.1 is a loopback address" in line for line in notes.details), notes.details
    # Allowed now: read at once (a refusal is not remembered as the page's failure).
    (tmp_path / "digest.toml").write_text(config.read_text().replace("[articles]", "[articles]\nallow_private = true"))
    result = _build(config, tmp_path / "state.db")
    assert len(_page_hits(server)) == 2
    assert {item["author"] for item in result["items"]} == {"Daniel Kahn Gillmor", "Eleanor Ainge Roy"}


def test_a_redirect_to_a_private_address_is_refused(server, tmp_path, monkeypatch):
    """The first hop is on an address counted public for this test
    (127.0.0.1 stands in for the internet); it redirects to 127.0.0.2,
    where a listener counts connections: none is made."""
    from digest.sources import addresses

    real = addresses.refusal
    monkeypatch.setattr(addresses, "refusal", lambda address: "" if address == "127.0.0.1" else real(address))
    inner = socket.socket()
    inner.bind(("127.0.0.2", 0))
    inner.listen()
    inner.setblocking(False)
    secret = f"http://127.0.0.2:{inner.getsockname()[1]}/admin"
    server.routes["/page"] = lambda h: respond(h, 302, b"", {"Location": secret})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Moved</title><link>{server.url('/page')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    notes = Notes()
    result = _build(_config(tmp_path, server.url("/feed.xml"), articles=""), tmp_path / "state.db", notes)
    try:
        with pytest.raises(BlockingIOError):
            inner.accept()
    finally:
        inner.close()
    assert len(server.hits_for("/page")) == 1  # the public hop was asked
    assert result["items"][0]["author"] is None
    assert any("127.0.0.2 is a loopback address" in line for line in notes.details), notes.details


@pytest.mark.parametrize("articles, feed_extra", [("enabled = false\nallow_private = true", ""),
                                                  ("allow_private = true", "articles = false")])
def test_turned_off_fetches_nothing_and_an_excerpt_shows_no_reading_time(server, tmp_path, articles, feed_extra):
    feed = _serve_pages(server, ["aclu", "guardian-1"])
    result = _build(_config(tmp_path, feed, articles=articles, feed_extra=feed_extra), tmp_path / "state.db")
    assert _page_hits(server) == []
    # A title-and-link item is an excerpt of its article: no reading time (DESIGN.md).
    assert [item["reading_minutes"] for item in result["items"]] == [None, None]


def test_max_is_honoured_best_stories_first(server, tmp_path):
    names = ["aclu", "guardian-1", "medium-1", "nytimes-2", "wikia"]
    config = _config(tmp_path, _serve_pages(server, names), count=5,
                     articles="allow_private = true").read_text().replace("max = 5", "max = 2")
    (tmp_path / "digest.toml").write_text(config)
    result = _build(tmp_path / "digest.toml", tmp_path / "state.db")
    hits = sorted(hit.path.strip("/") for hit in _page_hits(server))
    assert len(hits) == 2
    # Ranked by recency: the two newest items (the last two of the feed).
    assert hits == sorted(item["title"].split()[0] for item in result["items"][:2])


def _stalling_page(server):
    """A route that starts an HTML page, then sends nothing more until the
    server stops."""

    def stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(b"<html><head><title>x</title>")
        handler.wfile.flush()
        server.stop.wait(30)
        return 200

    return stall


def test_a_stalling_page_is_cut_by_the_deadline_without_failing_the_build(server, tmp_path):
    stall = _stalling_page(server)

    server.routes["/slow"] = stall
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Slow</title><link>{server.url('/slow')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    notes = Notes()
    result = _build(_config(tmp_path, server.url("/feed.xml"), articles='allow_private = true\ntimeout = "1s"'),
                    tmp_path / "state.db", notes)
    # The page stalls for 30 s (or until the server stops): the build ended on the 1 s deadline.
    assert not server.stop.is_set()
    assert result["items"][0]["title"] == "Slow"
    assert any("timed out after 1s" in line for line in notes.details), notes.details


def _article(body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html lang='en'><head><title>A page</title>{head}</head>"
            f"<body><nav><a href='/'>Home</a></nav><article>{body}</article></body></html>").encode()


_PARAGRAPH = ("<p>The council voted on Tuesday to keep the ferry running through the winter, after a campaign "
              "by islanders who said the service was the only way to reach the hospital on the mainland. "
              "The operator had warned that the boat would be laid up from November.</p>")


def test_author_blurb_from_json_ld_and_the_authors_table_wins(server, tmp_path):
    person = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ferry",
              "author": {"@type": "Person", "name": "Iona Reid", "jobTitle": "Islands correspondent",
                         "description": "Iona covers the islands.", "image": "https://cdn.example.org/iona.jpg"}}
    head = f'<script type="application/ld+json">{json.dumps(person)}</script>'
    server.routes["/a"] = lambda h: respond(h, 200, _article(_PARAGRAPH * 4, head), {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    config = _config(tmp_path, server.url("/feed.xml"))
    item = _build(config, tmp_path / "state.db")["items"][0]
    assert item["author"] == "Iona Reid"
    assert item["author_blurb"] == {"role": "Islands correspondent", "bio": "Iona covers the islands.",
                                    "avatar": "https://cdn.example.org/iona.jpg"}
    (tmp_path / "digest.toml").write_text(config.read_text() + '\n[authors."Iona Reid"]\nrole = "Our woman on Mull"\n')
    item = _build(config, tmp_path / "state2.db")["items"][0]
    assert item["author_blurb"] == {"role": "Our woman on Mull", "bio": "", "avatar": ""}


def test_nothing_from_the_page_reaches_the_mail_unsanitized(server, tmp_path):
    head = ('<meta property="og:description" content="&lt;script&gt;alert(1)&lt;/script&gt; The ferry stays.">'
            '<meta property="og:image" content="javascript:alert(1)">'
            '<meta name="author" content="&lt;img src=x onerror=alert(1)&gt;Iona Reid">')
    body = _PARAGRAPH * 3 + "<script>alert(2)</script><p onclick='alert(3)'>Islanders cheered the vote.</p>"
    server.routes["/a"] = lambda h: respond(h, 200, _article(body, head), {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    edition = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db", fmt="email")
    parts = email_parts(parse_email(edition.message.as_bytes()))
    html = parts["text/html"]
    assert "<script" not in html and "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert edition.stories[0].image is None  # a javascript: picture is no picture
    assert "The ferry stays." in parts["text/plain"]


def test_the_published_time_comes_from_the_page_when_the_feed_has_none(server, tmp_path):
    head = '<meta property="article:published_time" content="2025-01-02T09:30:00+00:00">'
    server.routes["/a"] = lambda h: respond(h, 200, _article(_PARAGRAPH * 3, head), {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link></item>").encode())
    item = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db")["items"][0]
    assert item["dated"] is True
    assert datetime.fromisoformat(item["published"]) == datetime(2025, 1, 2, 9, 30, tzinfo=timezone.utc)


def test_a_page_that_is_not_html_is_not_read(server, tmp_path):
    server.routes["/a.pdf"] = lambda h: respond(h, 200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Report</title><link>{server.url('/a.pdf')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    notes = Notes()
    item = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db", notes)["items"][0]
    assert item["author"] is None and item["reading_minutes"] is None
    assert any("not text/html or application/xhtml+xml but application/pdf" in line for line in notes.details)


@pytest.mark.parametrize("body, message", [
    ('[articles]\nenabled = "yes"\n', "articles.enabled: must be true or false, not 'yes'"),
    ("[articles]\nmax = 0\n", "articles.max: must be at least 1, not 0"),
    ('[articles]\ntimeout = "soon"\n', "articles.timeout: not a duration: 'soon' (use e.g. 24h, 3d, 90m, 15s)"),
    ("[articles]\nallow_privat = true\n", "articles.allow_privat: unknown key (did you mean 'allow_private'?)"),
    ('[[feeds]]\nurl = "https://example.org/rss"\narticles = "no"\n',
     "feeds[0].articles: must be true or false, not 'no'"),
])
def test_config_errors_in_articles_are_one_line_and_exit_2(invoke, tmp_path, body, message):
    config = write_config(tmp_path, body)
    result = invoke("--config", str(config), "build")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {config}: {message}"]


def test_the_defaults(tmp_path):
    from digest.config import load_config

    config = load_config(write_config(tmp_path, '[[feeds]]\nurl = "https://example.org/rss"\n'))
    assert (config.articles.enabled, config.articles.max, config.articles.allow_private,
            config.articles.timeout) == (True, 30, False, 10.0)
    assert config.feeds[0].articles is True


def test_a_failing_page_leaves_the_card_with_one_verbose_line(server, invoke, tmp_path):
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Gone</title><link>{server.url('/missing')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate><description>A teaser… Continue reading</description>"
        "</item>").encode())
    config = _config(tmp_path, server.url("/feed.xml"))
    quiet = invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    assert quiet.exit_code == 0, quiet.stderr
    assert "article page" not in quiet.stderr
    assert json.loads(quiet.stdout)["items"][0]["reading_minutes"] is None  # an excerpt, its page not read
    verbose = invoke("--config", str(config), "-v", "build", "--now", NOW, "--format", "json",
                     state=tmp_path / "other.db")
    assert verbose.exit_code == 0, verbose.stderr
    lines = [line for line in verbose.stderr.splitlines() if "article page" in line]
    assert lines == [f"warning: article page {server.url('/missing')}: HTTP 404 Not Found; its card stays as the feed "
                     "has it"]


@pytest.mark.parametrize("address, why", [
    ("10.1.2.3", "a private address"), ("192.168.1.1", "a private address"), ("127.0.0.1", "a loopback address"),
    ("169.254.169.254", "a link-local address"), ("224.0.0.251", "a multicast address"),
    ("::1", "a loopback address"), ("fe80::1", "a link-local address"), ("fd00::1", "a private address"),
    ("::ffff:127.0.0.1", "a loopback address"), ("100.64.0.1", "a non-public address"),
    ("0.0.0.0", "an unspecified address"), ("93.184.215.14", ""), ("2606:4700::1111", ""),
    # IPv6 forms that carry an IPv4 address are judged by it: NAT64, 6to4, IPv4-compatible.
    ("64:ff9b::7f00:1", "a loopback address (127.0.0.1)"), ("64:ff9b::a00:1", "a private address (10.0.0.1)"),
    ("2002:7f00:1::", "a loopback address (127.0.0.1)"), ("2002:a9fe:a9fe::1", "a link-local address"),
    ("::7f00:1", "a loopback address (127.0.0.1)"), ("::c0a8:101", "a private address (192.168.1.1)"),
    ("64:ff9b::5db8:d70e", ""),
])
def test_which_addresses_are_public(address, why):
    from digest.sources.addresses import refusal

    assert refusal(address).startswith(why) if why else refusal(address) == ""


def test_a_name_lookup_that_never_answers_is_cut_by_the_deadline(monkeypatch):
    import threading

    from digest.files import TimedOut
    from digest.sources import addresses

    never = threading.Event()
    monkeypatch.setattr(addresses.socket, "getaddrinfo", lambda *args, **kwargs: never.wait(60))
    try:
        with pytest.raises(TimedOut):
            addresses.public_addresses("stalls.example", 80, 0.2)
    finally:
        never.set()


def test_the_picture_is_og_image_with_its_stated_size_caption_and_credit(server, tmp_path):
    head = ('<meta property="og:image" content="/media/ferry-1200.jpg">'
            '<meta property="og:image:width" content="1200"><meta property="og:image:height" content="800">'
            '<meta property="og:site_name" content="Island Times">')
    figure = ('<figure><img src="https://cdn.example.org/media/ferry-1200.jpg" alt="">'
              "<figcaption>The ferry at Craignure pier. Photo: Ann Lee / Island Times</figcaption></figure>")
    server.routes["/a"] = lambda h: respond(h, 200, _article(figure + _PARAGRAPH * 3, head),
                                            {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    item = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db")["items"][0]
    assert item["image"] == {"url": server.url("/media/ferry-1200.jpg"), "caption": "The ferry at Craignure pier.",
                             "credit": "Ann Lee / Island Times", "width": 1200, "height": 800, "alt": ""}
    assert item["site"] == "Island Times"
    assert item["language"] == "en"
    assert item["reading_minutes"] == 1  # 3 paragraphs of 43 words: the whole article, not the empty entry


def test_a_page_read_a_week_ago_is_asked_again_with_its_etag(server, tmp_path):
    def page(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            return respond(handler, 304, b"", {"ETag": '"v1"'})
        return respond(handler, 200, _article(_PARAGRAPH * 3, '<meta name="author" content="Iona Reid">'),
                       {"Content-Type": "text/html", "ETag": '"v1"'})

    server.routes["/a"] = page
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    config = _config(tmp_path, server.url("/feed.xml"))
    with digest.open(config, state=tmp_path / "state.db", reporter=Notes()) as d:
        for now in ("2025-01-02T20:00:00Z", "2025-01-05T20:00:00Z", "2025-01-10T20:00:00Z"):
            item = d.build(now=now, since="30d", format="json").json["items"][0]
            assert item["author"] == "Iona Reid"
    hits = server.hits_for("/a")
    # Read once, not again three days later, asked again (and not modified) after a week.
    assert [(hit.headers.get("if-none-match"), hit.status) for hit in hits] == [(None, 200), ('"v1"', 304)]


def test_a_page_nested_too_deep_is_not_read(server, tmp_path):
    # Lexbor's time grows with the square of the depth: 500 KB of <div>s cost 30 s of CPU.
    deep = _article(_PARAGRAPH + "<div>" * 2000 + "<p>Deep down.</p>")
    server.routes["/deep"] = lambda h: respond(h, 200, deep, {"Content-Type": "text/html; charset=utf-8"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Deep</title><link>{server.url('/deep')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    notes = Notes()
    result = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db", notes)
    assert result["items"][0]["reading_minutes"] is None
    assert [line for line in notes.details if "article page" in line] == [
        f"article page {server.url('/deep')}: not read: elements nested deeper than 512; its card stays as the feed "
        "has it"]


def test_the_stage_as_a_whole_has_a_deadline(server, tmp_path):
    # Six stalling links on one host, one request at a time: each is cut at 1 s, and the stage at 3 s.
    stall = _stalling_page(server)

    items = []
    for n in range(6):
        server.routes[f"/slow{n}"] = stall
        items.append(f"<item><title>Slow {n}</title><link>{server.url(f'/slow{n}')}</link>"
                     f"<pubDate>Thu, 02 Jan 2025 12:0{n}:00 +0000</pubDate></item>")
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(*items).encode())
    notes = Notes()
    config = _config(tmp_path, server.url("/feed.xml"), articles='allow_private = true\ntimeout = "1s"',
                     extra="[fetch]\nper_host = 1\n")
    result = _build(config, tmp_path / "state.db", notes)
    assert len(result["items"]) == 6
    asked = len(_page_hits(server))
    assert asked < 6
    timed_out = [line for line in notes.details if "timed out" in line]
    left = [line for line in notes.details if line.startswith("articles: ")]
    assert left == [f"articles: {6 - len(timed_out)} pages not read, the stage's 3s ran out; their cards stay as "
                    "the feed has them"], notes.details


def test_readability_failing_prints_nothing_and_is_the_pages_one_line():
    # A control character lxml refuses: readability logs a 20-line traceback, which logging's last
    # resort prints on stderr (even under -q). In a fresh process: pytest's log capture would hide it.
    import subprocess
    import sys

    code = ("from digest.sources.articles import Unreadable, read_page\n"
            "try:\n"
            "    read_page(b'<p>a</p><style>s</style>\\x0b', 'text/html', 'http://e.example/')\n"
            "except Unreadable as exc:\n"
            "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stderr == ""
    assert done.stdout.startswith("not read: readability cannot parse it (All strings must be XML compatible")


_OPENING = "The council voted on Tuesday to keep the ferry running through the winter"


@pytest.mark.parametrize("head, body_before, lead_starts", [
    # A consent banner inside <article> is not the story.
    ("", "<div class='cookie-banner'><p>We use cookies to improve your experience. Accept all cookies or manage "
         "your preferences.</p></div>", _OPENING),
    # A description cut short by the publisher loses to the opening...
    ("<meta property='og:description' content='Drug-resistant bacteria, dubbed'>", "", _OPENING),
    ("<meta property='og:description' content='A previously untold story illustrates the changing status of "
     "computation in'>", "", _OPENING),
    # ... and so does a site-wide blurb that names the site and nothing of the story.
    ("<meta property='og:site_name' content='Yahoo News'><meta property='og:description' content='The latest news "
     "and headlines from Yahoo! News. Get breaking news stories and in-depth coverage with videos and photos.'>",
     "", _OPENING),
    # A whole standfirst stays the lead, with or without its final stop.
    ("<meta property='og:description' content='Islanders won their campaign to keep the winter ferry'>", "",
     "Islanders won their campaign to keep the winter ferry"),
    ("<meta property='og:site_name' content='Island News'><meta property='og:description' content='Island News "
     "hears why the ferry stays in winter.'>", "", "Island News hears why the ferry stays in winter."),
])
def test_the_lead_is_the_opening_unless_the_standfirst_is_whole_and_the_storys(head, body_before, lead_starts):
    from digest.sources.articles import read_page

    page = read_page(_article(body_before + _PARAGRAPH * 3, head), "text/html; charset=utf-8", "http://e.example/")
    assert page.lead_text.startswith(lead_starts), page.lead_text


@pytest.mark.parametrize("text, charset", [
    ("Ça coûte très cher, déjà été. Le café coûte très cher à Paris, déjà noté.", "latin-1"),
    ("Über die Brücke gehen Mädchen und Jungen, größer als je zuvor in der Stadt.", "latin-1"),
    ("Сегодня городской совет принял бюджет на следующий год, после долгих споров.", "cp1251"),
    ("東京の市議会が予算を可決した。学校と道路に使われる。", "shift_jis"),
])
def test_a_page_whose_declared_charset_lies_is_read_in_its_own(text, charset):
    # The server says UTF-8; the body is in another charset (no <meta charset>).
    from digest.sources.articles import read_page

    body = (f"<html><head><title>x</title><meta property='og:description' content='{text}'></head>"
            f"<body><article><p>{text}</p></article></body></html>").encode(charset)
    assert read_page(body, "text/html; charset=utf-8", "http://e.example/").meta.description == text


@pytest.mark.parametrize("stated", ["2099-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00"])
def test_a_page_date_far_ahead_or_before_1971_is_not_believed(server, tmp_path, stated):
    # As a feed's date: more than a day ahead of now, or before 1971, is no date.
    head = f'<meta property="article:published_time" content="{stated}">'
    server.routes["/a"] = lambda h: respond(h, 200, _article(_PARAGRAPH * 3, head), {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link></item>").encode())
    item = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db")["items"][0]
    assert item["reading_minutes"]  # the page was read
    assert item["published"] == "2025-01-02T20:00:00+00:00"  # when it was first seen, as for an undated entry


@pytest.mark.parametrize("picture", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/a.jpg",
                                     "http://[::1]/a.jpg", "http://localhost/a.jpg"])
def test_a_picture_on_the_readers_own_network_is_not_shown_unless_allow_private(tmp_path, picture):
    # The reader's mail client would load it: a cloud's metadata service, a router's page.
    from digest.config import load_config
    from digest.models import Item, Story
    from digest.sources.articles import fill_story, read_page

    person = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Ferry",
              "author": {"@type": "Person", "name": "Iona Byrne", "jobTitle": "Reporter", "image": picture}}
    head = (f"<meta property='og:image' content='{picture}'>"
            f"<script type='application/ld+json'>{json.dumps(person)}</script>")
    page = read_page(_article(_PARAGRAPH * 3, head), "text/html; charset=utf-8", "https://news.example/a")
    for allow, shown in (("false", None), ("true", picture)):
        config = load_config(_config(tmp_path, "https://news.example/feed.xml", f"allow_private = {allow}"))
        story = Story(item=Item(feed_url="https://news.example/feed.xml", key="a", title="Ferry",
                                link="https://news.example/a"), feed="News")
        fill_story(story, page, config)
        assert (story.item.image.url if story.item.image else None) == shown
        assert story.author_blurb.avatar == (shown or "")


def _meta_of(head: str = "", body: str = _PARAGRAPH * 3):
    from digest.sources.articles import read_page

    return read_page(_article(body, head), "text/html; charset=utf-8", "https://news.example/a").meta


def _ld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


def test_bylines_site_names_and_pictures_the_page_gives_oddly():
    # "By " goes with two names as with one.
    assert _meta_of("<meta name='author' content='By John Smith and Jane Doe'>").byline == "John Smith and Jane Doe"
    # A 10 KB byline or site name is no name: rejected, not cut to one.
    assert _meta_of("<meta name='author' content='" + "Verylongname " * 800 + "'>").byline == ""
    assert _meta_of("<meta property='og:site_name' content='" + "S" * 10_000 + "'>").site_name == ""
    assert _meta_of("<meta property='og:site_name' content='The Island News'>").site_name == "The Island News"
    # A JSON-LD image list whose first entry is no web address keeps its second.
    image = _meta_of(_ld({"@type": "NewsArticle", "headline": "Ferry",
                          "image": ["javascript:x", "https://news.example/ok.jpg"]})).image
    assert image is not None and image.url == "https://news.example/ok.jpg"


def test_a_paywall_page_gives_no_lead_from_its_heading_and_no_reading_time(server, tmp_path):
    paywall = (b"<!doctype html><html lang='en'><head><title>Head</title></head><body><article><h1>Head.</h1>"
               b"<p>Subscribe to continue reading.</p></article></body></html>")
    server.routes["/a"] = lambda h: respond(h, 200, paywall, {"Content-Type": "text/html"})
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(
        f"<item><title>Ferry</title><link>{server.url('/a')}</link>"
        "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate></item>").encode())
    item = _build(_config(tmp_path, server.url("/feed.xml")), tmp_path / "state.db")["items"][0]
    assert item["summary"] != "Head."
    assert item["reading_minutes"] is None
