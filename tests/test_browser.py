"""The email in a real browser: headless Chromium at phone (375 px) and
desktop-client (600 px) widths, with real images served from 127.0.0.1.

Chromium comes from the Debian package (.ci/run installs it); Playwright
only drives it (no `playwright install`). Skipped only when there is no
Chromium on the machine.
"""

from __future__ import annotations

import shutil
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import EXAMPLE_NOW, news_config, news_feed

def find_chromium() -> str | None:
    """A Chromium or Chrome on PATH under its usual names, else Debian's path."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


CHROMIUM = find_chromium()
NO_CHROMIUM = ("no Chromium found (looked for chromium, chromium-browser, google-chrome on PATH); install one, "
               "e.g. `apt-get install chromium` on Debian/Ubuntu, to run this test")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDTHS = (375, 600)
# Real sizes of the served pictures. The feed declares a size only for
# photo-0 and photo-4 (news_feed: every fourth item), so the others test
# images whose size the email does not know.
PICTURES = {"photo-0.png": (1200, 675), "photo-2.png": (64, 36), "photo-4.png": (1200, 675),
            "photo-6.png": (300, 200)}
AVATAR = (88, 88)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG (8-bit RGB, a vertical gradient) without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes((rgb[0], rgb[1], (rgb[2] + y) % 256)) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Site:
    """A tiny HTTP server on 127.0.0.1 serving fixed files from memory."""

    def __init__(self):
        self.files: dict[str, tuple[str, bytes]] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                kind, body = files.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, kind: str, body: bytes) -> str:
        self.files[path] = (kind, body)
        return self.url + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    server = Site()
    yield server
    server.close()


MEASURE = """() => {
  const images = [...document.images].map(img => {
    const box = img.getBoundingClientRect();
    const column = img.closest('.mj-column-per-100').getBoundingClientRect();
    return {src: img.currentSrc, loaded: img.complete && img.naturalWidth > 0,
            left: box.left, right: box.right, width: box.width, height: box.height,
            columnLeft: column.left, columnRight: column.right};
  });
  const taps = [...document.querySelectorAll('a.more, a.link')].map(a => ({text: a.textContent.trim(),
                                                                         height: a.getBoundingClientRect().height}));
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, images, taps};
}"""


def _png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_email_fits_phone_and_desktop_widths_in_chromium(site, tmp_path, invoke):
    from playwright.sync_api import sync_playwright

    for name, (width, height) in PICTURES.items():
        site.add(f"/img/{name}", "image/png", png(width, height, (40, 120, 90)))
    avatar = site.add("/img/fornusek.png", "image/png", png(*AVATAR, (200, 90, 40)))
    feed = site.add("/feed.xml", "application/rss+xml", news_feed(8, image_base=f"{site.url}/img/").encode())
    config = news_config(tmp_path, feed, 8, avatar=avatar)
    result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "html")
    assert result.exit_code == 0, result.stderr
    page_url = site.add("/digest.html", "text/html; charset=utf-8", result.stdout_bytes)
    # Martin Fornusek writes items 0, 3 and 6; only the lead and the cards
    # (stories 7 to 4) show an author's blurb: one avatar.
    expected = len(PICTURES) + 1

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_url, wait_until="load")
                found = page.evaluate(MEASURE)
                shot = tmp_path / f"digest-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                page.close()

                assert found["innerWidth"] == width
                assert found["scrollWidth"] <= found["innerWidth"], f"horizontal overflow at {width}px"
                images = found["images"]
                assert len(images) == expected and all(img["loaded"] for img in images), images
                for img in images:
                    assert img["columnLeft"] - 0.5 <= img["left"] and img["right"] <= img["columnRight"] + 0.5, img
                    assert img["width"] <= min(width, 600) - 48 + 0.5, img  # 24 px padding each side
                pictures = [img for img in images if "/photo-" in img["src"]]
                content = min(width, 600) - 48
                for img in pictures:
                    name = img["src"].rsplit("/", 1)[1]
                    natural_w, natural_h = PICTURES[name]
                    # The card's big picture fills the column; the compact
                    # rows' (stories 2 and 0) are thumbnails beside the
                    # text; none is distorted.
                    if name == "photo-4.png":
                        assert img["width"] == pytest.approx(content, abs=1)
                    if name in ("photo-0.png", "photo-2.png"):
                        assert img["width"] <= 120 and img["left"] > img["columnLeft"] + content / 2, img
                    assert img["height"] == pytest.approx(img["width"] * natural_h / natural_w, abs=1.5)
                    assert img["width"] <= natural_w + 0.5, img  # never upscaled (a 64 px thumbnail was 72 on a phone)
                # "Read more" and the other outlets' links are something a thumb can hit (44 px).
                assert found["taps"] and all(tap["height"] >= 44 for tap in found["taps"]), found["taps"]
                assert _png_size(shot)[0] == width
                print(f"{shot.name}: {_png_size(shot)[0]}x{_png_size(shot)[1]}")
        finally:
            browser.close()
