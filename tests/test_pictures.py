"""Every picture in the email has a width and a height in its own shape:
local files measured, remote ones read from the first bytes of the file
(on 127.0.0.1 here), remembered for --offline builds; small ones are
thumbnails; the helpers behind the card's meta line and alt text."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import EXAMPLE_NOW, rss, rss_item, write_config
from loopback import respond, start_server, stop_server
from test_browser import png
from test_render import Page

from digest.models import Image
from digest.output.pictures import THUMB_BELOW, Frame, frame
from digest.output.present import alt_text, credit_line, first_sentence, story_time

# name -> (width, height): shapes 2:1, 4:3, 3:2 portrait, a 128x67 stamp,
# YouTube's 480x360 and a 460 px rendition narrower than the column.
SHAPES = {"wide.png": (1200, 600), "four-three.png": (640, 480), "portrait.png": (400, 600),
          "stamp.png": (128, 67), "hq.png": (480, 360), "narrow.png": (460, 259)}


class Pictures:
    """A feed and its pictures served from memory by the loopback server
    (loopback.py), counting the requests in flight at once."""

    def __init__(self, delay: float = 0.0):
        self.server = start_server()
        self.url = self.server.url("")
        self.delay = delay
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()

    @property
    def requests(self) -> int:
        return len(self.server.hits)

    def add(self, path: str, kind: str, body: bytes) -> str:
        def route(handler) -> int:
            with self.lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if self.delay and path.startswith("/img/"):
                    time.sleep(self.delay)
                return respond(handler, 200, body, {"Content-Type": kind})
            finally:
                with self.lock:
                    self.in_flight -= 1

        self.server.routes[path] = route
        return self.server.url(path)

    def close(self):
        stop_server(self.server)


@pytest.fixture
def pictures():
    server = Pictures()
    yield server
    server.close()


def feed_of(urls: dict[str, str]) -> str:
    """One story per picture, newest first in SHAPES order; no size stated."""
    items = []
    for n, (name, url) in enumerate(urls.items()):
        items.append(rss_item(f"Story {n} about {name}", f"https://news.example.org/{n}",
                              date=f"Thu, 02 Jan 2025 {18 - n:02d}:00:00 +0000", body="A sentence. Another one.",
                              extra=f'<media:content url="{url}" medium="image" />'))
    return rss(*items)


def config_for(folder, feed) -> str:
    return write_config(folder, f"""
        title = "Morning Brief"
        timezone = "UTC"
        max_per_feed = 10
        [email]
        to = ["me@example.org"]
        [[feeds]]
        url = "{feed}"
    """)


def shown_pictures(html: str) -> dict[str, dict]:
    return {img["src"].rsplit("/", 1)[1]: img for img in Page(html).images}


def assert_every_picture_framed(html: str):
    shown = shown_pictures(html)
    assert set(shown) == set(SHAPES)
    for name, img in shown.items():
        own_w, own_h = SHAPES[name]
        assert "width" in img and "height" in img, (name, img)
        width, height = int(img["width"]), int(img["height"])
        assert width <= min(own_w, 552), (name, img)  # never upscaled, never wider than the column
        assert abs(height - own_h * width / own_w) <= 1, (name, img)  # its own shape
        if own_w < THUMB_BELOW:
            assert width <= 120, (name, img)  # a stamp is a thumbnail, never across the column


def test_local_pictures_without_a_stated_size_are_measured(invoke, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for name, size in SHAPES.items():
        (folder / name).write_bytes(png(*size, (30, 90, 160)))
    feed = tmp_path / "feed.xml"
    feed.write_text(feed_of({name: f"images/{name}" for name in SHAPES}), encoding="utf-8")
    result = invoke("build", "--config", str(config_for(tmp_path, feed)), "--now", EXAMPLE_NOW, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert_every_picture_framed(result.stdout)


def test_remote_pictures_are_read_from_their_first_bytes_and_remembered_for_offline(invoke, tmp_path, pictures):
    urls = {name: pictures.add(f"/img/{name}", "image/png", png(*size, (160, 60, 30))) for name, size in SHAPES.items()}
    feed = pictures.add("/feed.xml", "application/rss+xml", feed_of(urls).encode())
    config = config_for(tmp_path, feed)
    result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert_every_picture_framed(result.stdout)
    assert pictures.requests == len(SHAPES) + 1  # the feed and each picture once
    sized = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "json").stdout
    assert '"width": 1200' in sized and '"height": 600' in sized  # the JSON says the same sizes
    assert pictures.requests == len(SHAPES) + 2  # the feed again (conditional GET); no picture twice
    pictures.close()
    offline = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "html", "--offline")
    assert offline.exit_code == 0, offline.stderr
    assert_every_picture_framed(offline.stdout)


def test_remote_sizes_keep_their_deadline_and_are_polite_per_host(tmp_path):
    from digest.sources.picturesize import PER_HOST, remote_sizes

    slow = Pictures(delay=0.4)
    try:
        urls = {slow.add(f"/img/{n}.png", "image/png", png(40 + n, 30, (0, 0, 0))): slow.url + "/feed.xml"
                for n in range(8)}
        started = time.monotonic()
        found = remote_sizes(urls, timeout=1.0)
        took = time.monotonic() - started
        assert took < 1.6, took  # one deadline for them all, not one per picture
        assert slow.most_in_flight <= PER_HOST
        assert 0 < len(found) < len(urls)  # two at a time, 0.4 s each: about four before the deadline
        assert all(found[url] == (40 + int(url.rsplit("/", 1)[1][:-4]), 30) for url in found)
    finally:
        slow.close()


def test_a_picture_on_a_private_address_is_read_only_from_its_own_feeds_host(pictures):
    from digest.sources.picturesize import _may_read

    url = pictures.add("/img/x.png", "image/png", png(10, 10, (0, 0, 0)))
    assert _may_read(url, "127.0.0.1")
    assert not _may_read(url, "feeds.example.org")
    assert not _may_read("file:///etc/passwd", "")


def test_a_picture_whose_name_does_not_resolve_is_no_verdict(monkeypatch):
    monkeypatch.undo()  # the real check, not conftest's stand-in
    from digest.sources.picturesize import NO_PICTURE, _may_read, remote_sizes

    # The network down (here: the test guard refuses the lookup): no answer, so the picture
    # stays, unmeasured, and is asked again another day; it is not "no picture".
    assert _may_read("http://pictures.invalid/x.png", "feeds.example.org") is None
    found = remote_sizes({"http://pictures.invalid/x.png": "https://feeds.example.org/feed.xml"}, timeout=2.0)
    assert found.get("http://pictures.invalid/x.png") != NO_PICTURE


def test_frames_keep_the_shape_never_upscale_and_thumbnail_small_or_unknown_pictures():
    assert frame(Image("x", width=1200, height=675)) == Frame(552, 310, True)
    assert frame(Image("x", width=460, height=259)) == Frame(460, 259, True)  # not upscaled to the column
    assert frame(Image("x", width=128, height=67)) == Frame(96, 50, False)  # a stamp: a thumbnail
    assert frame(Image("x", width=1200, height=675), wide=False) == Frame(96, 54, False)
    assert frame(Image("x", width=400, height=600), wide=False) == Frame(80, 120, False)  # portrait: 120 tall at most
    assert frame(Image("x", width=60, height=40), wide=False) == Frame(60, 40, False)  # never upscaled
    assert frame(Image("x")) == Frame(96, None, False)  # unknown: a thumbnail of a stated width
    assert frame(Image("x", width=900)) == Frame(96, None, False)
    # portrait across the column: at most 440 tall, narrower and centred (was 552x736, a phone screen high)
    assert frame(Image("x", width=1200, height=1600)) == Frame(330, 440, True)
    assert frame(Image("x", width=1000, height=1000)) == Frame(440, 440, True)
    assert frame(Image("x", width=600, height=1800)) == Frame(40, 120, False)  # too narrow at 440 tall: a thumbnail


def test_meta_time_alt_text_credit_and_first_sentence():
    today = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    assert story_time(today - timedelta(hours=3), True, today) == "2 Jan 17:00"
    assert story_time(datetime(2024, 9, 25, 10, 29), True, today) == "25 Sep 2024 10:29"
    assert story_time(today, False, today) == ""  # undated: no made-up time
    assert alt_text(Image("x", alt="Rail line reopens!"), "Rail line reopens") == ""
    assert alt_text(Image("x", alt="A train", caption="A train."), "Rail line reopens") == ""
    assert alt_text(Image("x", alt="A blue train at the platform"), "Rail line reopens") == "A blue train at the platform"
    assert alt_text(Image("x"), "Rail line reopens") == ""
    assert credit_line("Jane Doe / Wire") == "Photo: Jane Doe / Wire"
    assert credit_line("(Photo: AP)") == "Photo: AP"
    assert credit_line("Illustration: Ann Lee") == "Illustration: Ann Lee"
    assert first_sentence("Trains run again. Crews worked all night.") == "Trains run again."
    assert first_sentence("Dr. Smith said so") == "Dr. Smith said so"
    long = "word " * 80
    assert first_sentence(long).endswith("…") and len(first_sentence(long)) <= 181


def test_a_picture_that_is_gone_a_page_or_on_a_private_address_is_not_shown(invoke, tmp_path, pictures):
    good = pictures.add("/img/wide.png", "image/png", png(1200, 600, (160, 60, 30)))
    page = pictures.add("/img/page.png", "image/png", b"<!DOCTYPE html><html><body>Not found</body></html>")
    login = pictures.add("/img/login.jpg", "text/html; charset=utf-8", b"<html><body>Sign in</body></html>")
    gone = pictures.server.url("/img/gone.png")  # no route: 404
    private = good.replace("127.0.0.1", "127.0.0.2")  # another host on a private address
    feed = pictures.add("/feed.xml", "application/rss+xml", feed_of(
        {"wide.png": good, "page.png": page, "login.jpg": login, "gone.png": gone, "private.png": private}).encode())
    config = config_for(tmp_path, feed)
    for extra in ((), ("--offline",)):  # the verdict is remembered for an offline build
        result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "html", *extra)
        assert result.exit_code == 0, result.stderr
        images = Page(result.stdout).images
        assert [img["src"] for img in images] == [good], images  # was five <img>, four with no height
        assert all(img.get("width") and img.get("height") for img in images)
        assert "Story 3 about gone.png" in result.stdout  # the story stays, without its picture
