"""The web edition ([web] dir, base_url): two editions delivered, then the
folder opened in headless Chromium (as test_browser.py drives it) from
disk, every link inside it followed, and each digest's Atom feed read back
with feedparser.

The feed is a file; its pictures are served from 127.0.0.1 (they stay
remote on the page), and an author's avatar is a local file (the mail
carries it as a cid: part; the page has it as a file of the archive).
"""

from __future__ import annotations

import mailbox
import os
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import parse_email, rss, rss_item, write_config
from test_browser import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, png

BASE = "https://me.example/brief/"
DAY_1, DAY_2 = "2025-01-02T20:00:00Z", "2025-01-03T20:00:00Z"


def _feed(path: Path, server, day: int) -> None:
    picture = server.url(f"/photo-{day}.png")
    path.write_text(rss(
        rss_item(f"Day {day}: the bridge at Zaporizhzhia reopens", f"https://news.example.org/{day}/bridge",
                 date=f"Thu, 0{day} Jan 2025 09:00:00 +0000",
                 body="<p>Crews finished the repairs overnight, officials said.</p>",
                 extra=f'<dc:creator>Martin Fornusek</dc:creator><media:content url="{picture}" medium="image" '
                       'width="800" height="450"><media:description>Workers on the bridge.</media:description>'
                       "</media:content>"),
        rss_item(f"Day {day}: markets steady after the holiday", f"https://news.example.org/{day}/markets",
                 date=f"Thu, 0{day} Jan 2025 08:00:00 +0000", body="<p>Trading was thin.</p>"),
        title="Wire"), encoding="utf-8")


@pytest.fixture
def archive(tmp_path, server, runner):
    """Two editions of the top-level digest and one of the weekly, sent
    into an mbox with [web] set: the folder, and the mails."""
    from loopback import respond

    from digest.cli import cli

    for day in (2, 3):
        body = png(800, 450, (40, 90 + day * 20, 120))
        server.routes[f"/photo-{day}.png"] = lambda h, body=body: respond(h, 200, body, {"Content-Type": "image/png"})
    (tmp_path / "fornusek.png").write_bytes(png(88, 88, (200, 90, 40)))
    feed = tmp_path / "wire.xml"
    config = write_config(tmp_path, f"""
        title = "Morning Brief"
        timezone = "UTC"
        state = "state.db"

        [email]
        from = "Morning Brief <brief@example.org>"
        to = ["me@example.org"]
        mbox = "mail.mbox"

        [web]
        dir = "site"
        base_url = "{BASE}"

        [digests.weekly]
        title = "The Week"
        since = "7d"

        [[feeds]]
        url = "{feed}"
        name = "Kyiv Wire"
        tags = ["news"]

        [authors."Martin Fornusek"]
        role = "Senior News Editor"
        bio = "News editor at the Kyiv Wire."
        avatar = "fornusek.png"
    """)
    for day, now in ((2, DAY_1), (3, DAY_2)):
        _feed(feed, server, day)
        result = runner.invoke(cli, ["--config", str(config), "build", "--now", now], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    result = runner.invoke(cli, ["--config", str(config), "build", "--digest", "weekly", "--now", DAY_2],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    mails = [parse_email(m.as_bytes()) for m in mailbox.mbox(str(tmp_path / "mail.mbox"))]
    return tmp_path / "site", mails, config


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def _links(path: Path) -> list[str]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def test_the_archive_has_a_page_per_edition_an_index_and_feeds(archive):
    site, mails, _ = archive
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert pages == ["digests/weekly/2025-01-03-200000.html", "editions/2025-01-02-200000.html",
                     "editions/2025-01-03-200000.html", "index.html"]
    # Newest first in the index.
    index = (site / "index.html").read_text(encoding="utf-8")
    order = [m for m in re.findall(r'href="([^"]+\.html)"', index)]
    assert order == ["digests/weekly/2025-01-03-200000.html", "editions/2025-01-03-200000.html",
                     "editions/2025-01-02-200000.html"] or order == [
        "editions/2025-01-03-200000.html", "digests/weekly/2025-01-03-200000.html", "editions/2025-01-02-200000.html"]
    # Each mail links its page ("view in browser"), in the HTML and the text part.
    urls = [BASE + "editions/2025-01-02-200000.html", BASE + "editions/2025-01-03-200000.html",
            BASE + "digests/weekly/2025-01-03-200000.html"]
    for mail, url in zip(mails, urls):
        html = mail.get_body(("html",)).get_content()
        assert f'href="{url}"' in html and "View in browser" in html
        assert f"View in browser: {url}" in mail.get_body(("plain",)).get_content()
    # A page has no cid: and no file: picture: the avatar is a file of the archive.
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cid:" not in text and "file:" not in text, page
    assert len(list((site / "pictures").iterdir())) == 1


def test_every_link_inside_the_archive_leads_to_a_file(archive):
    site, _, _ = archive
    seen, waiting = set(), [site / "index.html"]
    while waiting:
        page = waiting.pop()
        if page in seen:
            continue
        seen.add(page)
        for link in _links(page):
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "#", "mailto:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links {link}, which is not there"
            assert site.resolve() in target.parents, f"{link} leads out of the archive"
            if target.suffix == ".html":
                waiting.append(target)
    assert {p.relative_to(site).as_posix() for p in seen} == {
        "index.html", "editions/2025-01-02-200000.html", "editions/2025-01-03-200000.html",
        "digests/weekly/2025-01-03-200000.html"}


def test_the_atom_feeds_read_back_with_feedparser(archive):
    import feedparser

    site, _, _ = archive
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Morning Brief"
    assert parsed.feed.id == BASE + "feed.xml"
    assert parsed.feed.updated == "2025-01-03T20:00:00Z"
    assert {(link.rel, link.href) for link in parsed.feed.links} == {("self", BASE + "feed.xml"),
                                                                     ("alternate", BASE + "index.html")}
    assert [e.link for e in parsed.entries] == [BASE + "editions/2025-01-03-200000.html",
                                                BASE + "editions/2025-01-02-200000.html"]
    assert [e.id for e in parsed.entries] == [e.link for e in parsed.entries]
    assert [e.updated for e in parsed.entries] == ["2025-01-03T20:00:00Z", "2025-01-02T20:00:00Z"]
    newest = parsed.entries[0]
    assert newest.title.startswith("Morning Brief")
    content = newest.content[0].value
    assert "Day 3: the bridge at Zaporizhzhia reopens" in content and "Day 3: markets steady" in content
    assert 'href="https://news.example.org/3/bridge"' in content
    weekly = feedparser.parse((site / "digests" / "weekly" / "feed.xml").read_bytes())
    assert not weekly.bozo and [e.link for e in weekly.entries] == [BASE + "digests/weekly/2025-01-03-200000.html"]
    assert weekly.feed.title == "The Week"


def test_publish_writes_the_archive_again_from_the_history(archive, runner, tmp_path):
    from digest.cli import cli

    site, _, config = archive
    import shutil

    shutil.rmtree(site)
    result = runner.invoke(cli, ["--config", str(config), "publish"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) == [
        "digests/weekly/2025-01-03-200000.html", "editions/2025-01-02-200000.html",
        "editions/2025-01-03-200000.html", "index.html"]
    assert "Day 2: the bridge at Zaporizhzhia reopens" in (site / "editions/2025-01-02-200000.html").read_text()
    # No temporary file is left behind (each file was written beside itself and renamed).
    assert not [p for p in site.rglob("*") if p.name.endswith(".tmp")]


def test_publish_without_web_is_one_line(tmp_path, runner):
    from digest.cli import cli

    config = write_config(tmp_path, 'title = "X"\n[[feeds]]\nurl = "https://example.org/feed"\n')
    result = runner.invoke(cli, ["--config", str(config), "--state", str(tmp_path / "s.db"), "publish"],
                           catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {config}: no [web] table: set [web] dir (and base_url) to publish the web edition"]


SHOTS = Path(os.environ.get("DIGEST_SCREENSHOTS", "")) if os.environ.get("DIGEST_SCREENSHOTS") else None

MEASURE = """() => ({
  scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
  images: [...document.images].map(img => ({src: img.currentSrc, loaded: img.complete && img.naturalWidth > 0,
                                            width: img.getBoundingClientRect().width})),
  links: [...document.querySelectorAll('a')].map(a => a.href),
  text: document.body.innerText,
})"""


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_index_and_an_edition_in_chromium(archive, tmp_path):
    from playwright.sync_api import sync_playwright

    site, _, _ = archive
    shots = SHOTS or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            failed = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto((site / "index.html").as_uri(), wait_until="load")
            index = page.evaluate(MEASURE)
            page.screenshot(path=str(shots / "index-1000.png"), full_page=True)
            page.set_viewport_size({"width": 375, "height": 800})
            narrow = page.evaluate(MEASURE)
            page.screenshot(path=str(shots / "index-375.png"), full_page=True)
            assert narrow["scrollWidth"] <= narrow["innerWidth"], "the index overflows at 375px"
            page.set_viewport_size({"width": 1000, "height": 800})
            assert index["text"].index("The Week") < index["text"].index("2 January")
            editions = [link for link in index["links"] if link.endswith(".html")]
            assert len(editions) == 3
            # From the index to an edition by clicking, and back by the page's own bar.
            page.click("text=Morning Brief: Day 2: the bridge at Zaporizhzhia reopens")
            page.wait_for_url("**/editions/2025-01-02-200000.html", wait_until="load")  # not page.url at once: a race
            for width in (375, 1000):
                page.set_viewport_size({"width": width, "height": 800})
                page.reload(wait_until="load")
                found = page.evaluate(MEASURE)
                page.screenshot(path=str(shots / f"edition-{width}.png"), full_page=True)
                assert found["scrollWidth"] <= found["innerWidth"], f"horizontal overflow at {width}px"
                # The remote picture and the avatar (a file of the archive) both load from here.
                assert len(found["images"]) == 2 and all(img["loaded"] for img in found["images"]), found["images"]
                assert all(img["width"] <= min(width, 600) for img in found["images"])
                assert "Day 2: the bridge at Zaporizhzhia reopens" in found["text"]
                assert "You get this email" not in found["text"] and "web edition" in found["text"]
            page.click("text=All editions")
            page.wait_for_url((site / "index.html").as_uri(), wait_until="load")
            for link in editions:
                page.goto(link, wait_until="load")
                assert all(img["loaded"] for img in page.evaluate(MEASURE)["images"])
            assert not failed, failed
        finally:
            browser.close()


def test_a_look_has_no_view_in_browser_link_to_a_page_that_will_not_exist(tmp_path):
    """preview and a build typed at a terminal are never sent, so no page is
    written for them: their HTML must not link one."""
    import digest
    from conftest import news_config, news_feed

    feed = tmp_path / "wire.xml"
    feed.write_text(news_feed(3), encoding="utf-8")
    config = news_config(tmp_path, feed, 3, extra='[web]\ndir = "site"\nbase_url = "https://me.example/brief/"\n')
    with digest.open(config, state=tmp_path / "state.db") as d:
        sent = d.build(now=datetime(2025, 1, 2, 20, tzinfo=timezone.utc))
        looked = d.build(now=datetime(2025, 1, 2, 20, tzinfo=timezone.utc), looking=True)
        assert "View in browser" in sent.html and "https://me.example/brief/" in sent.text
        assert "View in browser" not in looked.html and "me.example/brief" not in looked.text


@pytest.mark.parametrize("args", [("--no-mark-sent",), ("--format", "html"), ("--format", "text")])
def test_a_build_not_marked_sent_has_no_view_in_browser_link(tmp_path, invoke, args):
    """Only a build delivered and marked sent becomes a page: the others
    (--no-mark-sent, --format html or text, which mark nothing) must not
    link one (the link led to editions/…-084630.html, never written)."""
    from conftest import news_config, news_feed

    feed = tmp_path / "wire.xml"
    feed.write_text(news_feed(3), encoding="utf-8")
    config = news_config(tmp_path, feed, 3, extra='[web]\ndir = "site"\nbase_url = "https://me.example/brief/"\n')
    result = invoke("--config", str(config), "--state", str(tmp_path / "s.db"), "build",
                    "--now", "2025-01-02T20:00:00Z", *args)
    assert result.exit_code == 0, result.stderr
    assert "View in browser" not in result.stdout and "me.example/brief/editions" not in result.stdout
    assert not (tmp_path / "site" / "editions").exists() or not any((tmp_path / "site" / "editions").iterdir())
    sent = invoke("--config", str(config), "--state", str(tmp_path / "s.db"), "build", "--now", "2025-01-02T20:00:00Z")
    assert sent.exit_code == 0, sent.stderr
    assert "View in browser" in sent.stdout  # the build that is sent links the page it writes
