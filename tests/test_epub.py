"""`digest build --format epub -o FILE`: an EPUB 3 of the edition.

The examples' EPUB goes through the W3C's epubcheck (the Debian package
.ci/run installs; skipped cleanly when it is not on the machine). The rest
reads the book back as a zip and as XML: the container's rules (mimetype
first and stored), one chapter per section, the table of contents, the
metadata, the pictures inside the book (a remote one fetched from
127.0.0.1, one that cannot be had left out)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import EXAMPLE_NOW, rss, rss_item, write_config
from test_browser import png

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def epubcheck_command() -> list[str] | None:
    """epubcheck as it can be run here: Debian's /usr/bin/epubcheck is the
    jar itself (run by binfmt's jarwrapper where that is set up), so it is
    run with java -jar."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    if Path(found).resolve().suffix == ".jar":
        java = shutil.which("java")
        return [java, "-jar", str(Path(found).resolve())] if java else None
    return [found]


EPUBCHECK = epubcheck_command()



def _built_book(invoke, config, path):
    """`digest build --format epub -o path` on config at EXAMPLE_NOW; the book's path."""
    result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "epub", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def _first_chapter(path):
    with zipfile.ZipFile(path) as book:
        return ElementTree.fromstring(book.read("EPUB/chapter-1.xhtml"))

def test_epub_without_output_is_one_usage_line(example_config, invoke):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "epub")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "Error: --format epub: an e-book is a file: name it with -o FILE (e.g. -o brief.epub)"]


@pytest.fixture
def examples_epub(example_config, invoke, tmp_path) -> Path:
    book = tmp_path / "brief.epub"
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "epub", "-o", str(book))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    return book


@pytest.mark.skipif(EPUBCHECK is None, reason="epubcheck is not installed (apt-get install epubcheck)")
def test_the_examples_epub_passes_epubcheck(examples_epub):
    checked = subprocess.run([*EPUBCHECK, str(examples_epub)], capture_output=True, text=True, timeout=300)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 0, said
    assert "0 fatals / 0 errors / 0 warnings" in said, said


def test_the_examples_epub_is_a_book_of_the_edition(examples_epub, example_config, invoke):
    with zipfile.ZipFile(examples_epub) as book:
        first = book.infolist()[0]
        assert (first.filename, first.compress_type, book.read(first)) == (
            "mimetype", zipfile.ZIP_STORED, b"application/epub+zip")
        package = ElementTree.fromstring(book.read("EPUB/package.opf"))
        metadata = package.find(f"{OPF}metadata")
        assert metadata.find(f"{DC}title").text.startswith("Morning Brief")
        assert metadata.find(f"{DC}language").text == "en"
        assert metadata.find(f"{DC}date").text == "2025-01-02T20:00:00Z"
        assert metadata.find(f"{DC}identifier").text.startswith("urn:uuid:")
        chapters = [item.get("href") for item in package.iter(f"{OPF}item")
                    if item.get("media-type") == "application/xhtml+xml" and item.get("properties") != "nav"]
        # The example is not in sections: one chapter for the edition.
        assert chapters == ["chapter-1.xhtml"]
        chapter = ElementTree.fromstring(book.read("EPUB/chapter-1.xhtml"))
        headlines = ["".join(h.itertext()) for h in chapter.iter(f"{XHTML}h2")]
        nav = ElementTree.fromstring(book.read("EPUB/nav.xhtml"))
        listed = ["".join(a.itertext()) for a in nav.iter(f"{XHTML}a")]
        # The JSON of the same build says which stories the edition has, best first.
        import json

        shown = [s["title"] for s in json.loads(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                                                       "--format", "json").stdout)["items"]]
        assert headlines == shown
        assert listed == ["Morning Brief", *shown]
        # No picture of the example is remote: each in the book, none linked out.
        pictures = [name for name in book.namelist() if name.startswith("EPUB/images/")]
        sources = [img.get("src") for img in chapter.iter(f"{XHTML}img")]
        assert sorted(f"EPUB/{src}" for src in sources) == sorted(pictures)
        assert pictures


def test_pictures_are_fetched_into_the_book_and_one_that_cannot_be_had_is_left_out(tmp_path, server, invoke):
    from loopback import respond

    photo = png(640, 360, (30, 110, 160))
    server.routes["/photo.png"] = lambda h: respond(h, 200, photo, {"Content-Type": "image/png"})
    server.routes["/gone.png"] = lambda h: respond(h, 404, b"gone")

    def item(title: str, picture: str) -> str:
        return rss_item(title, f"https://news.example.org/{picture}", body="<p>Some text of the story.</p>",
                        extra=f'<media:content url="{server.url("/" + picture)}" medium="image"/>')

    feed = rss(item("With a picture", "photo.png"), item("With a lost picture", "gone.png"), title="Wire")
    server.routes["/feed.xml"] = lambda h: respond(h, 200, feed.encode())
    config = write_config(tmp_path, f"""
        title = "Morning Brief"
        timezone = "UTC"
        rank.group_by = "tag"
        [[feeds]]
        url = "{server.url('/feed.xml')}"
        tags = ["news"]
    """)
    book_path = _built_book(invoke, config, tmp_path / "b.epub")
    with zipfile.ZipFile(book_path) as book:
        assert [n for n in book.namelist() if n.startswith("EPUB/images/")] == ["EPUB/images/picture-1.png"]
        assert book.read("EPUB/images/picture-1.png") == photo
        chapter = ElementTree.fromstring(book.read("EPUB/chapter-1.xhtml"))
        # In sections by tag: the chapter is the section "news".
        assert "".join(next(chapter.iter(f"{XHTML}h1")).itertext()) == "Morning Brief"
        assert ["".join(h.itertext()) for h in chapter.iter(f"{XHTML}h1")][-1] == "news"
        assert [img.get("src") for img in chapter.iter(f"{XHTML}img")] == ["images/picture-1.png"]
    assert len(server.hits_for("/photo.png")) >= 1
    if EPUBCHECK:
        checked = subprocess.run([*EPUBCHECK, str(book_path)], capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr


# RFC 3986: what a URI may hold as it is, and % only before two hex digits.
_URI = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def test_odd_story_links_are_written_as_valid_uris(tmp_path, invoke):
    """One link as feeds write them (a space, |, {}, `, ^, <>, ", a bad %)
    made the whole book fail epubcheck (RSC-020)."""
    from xml.sax.saxutils import escape as xml_escape

    links = ["https://e.example/a b", "https://e.example/?q=a|b", "https://e.example/?q={x}",
             "https://e.example/?q=`x`^", "https://e.example/?q=<x>", 'https://e.example/?a=1&b="2"',
             "https://e.example/%zz", "https://uk.wikipedia.org/wiki/Київ"]
    feed = tmp_path / "odd.xml"
    feed.write_text(rss(*(rss_item(f"Story number {n}", xml_escape(link, {'"': "&quot;"}),
                                   date=f"Thu, 02 Jan 2025 {10 + n}:00:00 +0000")
                          for n, link in enumerate(links))), encoding="utf-8")
    config = write_config(tmp_path, f'title = "Odd"\ntimezone = "UTC"\n[[feeds]]\nurl = "{feed}"\n')
    book_path = _built_book(invoke, config, tmp_path / "odd.epub")
    chapter = _first_chapter(book_path)
    hrefs = [a.get("href") for a in chapter.iter(f"{XHTML}a")]
    assert len(hrefs) >= len(links)
    assert [href for href in hrefs if not _URI.match(href)] == []
    assert "https://e.example/%25zz" in hrefs, hrefs
    if EPUBCHECK:
        checked = subprocess.run([*EPUBCHECK, str(book_path)], capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_story_keeps_its_language_and_direction(tmp_path, invoke):
    """As the web page marks them: the Arabic story right to left, the
    Japanese one not tagged as the book's English."""
    feed = tmp_path / "world.xml"
    feed.write_text(rss(
        rss_item("استئناف محادثات وقف إطلاق النار في جنيف", "https://news.example.org/ar",
                 body="<p>التقى المفاوضون مرة أخرى يوم الخميس في جنيف.</p>"),
        rss_item("東京で新しい地下鉄の路線が開業した", "https://news.example.org/ja",
                 date="Thu, 02 Jan 2025 11:00:00 +0000", body="<p>新しい路線は朝から多くの人で混雑した。</p>")),
        encoding="utf-8")
    config = write_config(tmp_path, f'title = "World"\ntimezone = "UTC"\n[[feeds]]\nurl = "{feed}"\n')
    book_path = _built_book(invoke, config, tmp_path / "world.epub")
    chapter = _first_chapter(book_path)
    sections = {"".join(s.find(f"{XHTML}h2").itertext())[:2]: s for s in chapter.iter(f"{XHTML}section")}
    assert sections["است"[:2]].get("lang") == "ar" and sections["است"[:2]].get("dir") == "auto"
    assert sections["東京"].get("lang") == "ja"
    if EPUBCHECK:
        checked = subprocess.run([*EPUBCHECK, str(book_path)], capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_picture_that_does_not_decode_is_left_out(tmp_path, server, invoke):
    """A JPEG signature with no picture behind it (SOI, a JFIF header, EOI)
    was put in the book, and epubcheck called it corrupt (PKG-021); a PNG
    cut in half likewise."""
    from loopback import respond

    photo = png(64, 48, (30, 110, 160))
    fakes = {"/fake.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
             "/half.png": png(640, 360, (90, 20, 20))[:200]}
    server.routes["/photo.png"] = lambda h: respond(h, 200, photo, {"Content-Type": "image/png"})
    for path, data in fakes.items():
        server.routes[path] = lambda h, data=data: respond(h, 200, data, {"Content-Type": "image/jpeg"})

    def item(n: int, picture: str) -> str:
        return rss_item(f"Story {n} with a picture", f"https://news.example.org/{n}", body="<p>Text.</p>",
                        date=f"Thu, 02 Jan 2025 {10 + n}:00:00 +0000",
                        extra=f'<media:content url="{server.url(picture)}" medium="image"/>')

    feed = rss(item(1, "/photo.png"), item(2, "/fake.jpg"), item(3, "/half.png"), title="Wire")
    server.routes["/feed.xml"] = lambda h: respond(h, 200, feed.encode())
    config = write_config(tmp_path, f'title = "Pics"\ntimezone = "UTC"\n[[feeds]]\nurl = "{server.url("/feed.xml")}"\n')
    book_path = _built_book(invoke, config, tmp_path / "pics.epub")
    with zipfile.ZipFile(book_path) as book:
        assert [book.read(n) for n in book.namelist() if n.startswith("EPUB/images/")] == [photo]
    if EPUBCHECK:
        checked = subprocess.run([*EPUBCHECK, str(book_path)], capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_picture_whose_size_probe_ran_out_of_time_is_not_fetched_again(tmp_path, server, invoke, monkeypatch):
    """Sizing a slow host's picture waits its deadline; the EPUB then
    waited for the same picture again (twice the time). The probe's
    running out of time is stood in for by a remote_sizes that answers
    nothing (what it returns for a picture not read before the deadline)."""
    from loopback import respond

    from digest.sources import picturesize

    monkeypatch.setattr(picturesize, "remote_sizes", lambda pictures, **kwargs: {})
    monkeypatch.setattr(picturesize, "_UNANSWERED", {}, raising=False)  # this test's marks stay in it
    photo = png(64, 48, (30, 110, 160))
    server.routes["/slow.png"] = lambda h: respond(h, 200, photo, {"Content-Type": "image/png"})
    feed = rss(rss_item("A story with a slow picture", "https://news.example.org/slow", body="<p>Text.</p>",
                        extra=f'<media:content url="{server.url("/slow.png")}" medium="image"/>'), title="Wire")
    server.routes["/feed.xml"] = lambda h: respond(h, 200, feed.encode())
    config = write_config(tmp_path, f'title = "Slow"\ntimezone = "UTC"\n[[feeds]]\nurl = "{server.url("/feed.xml")}"\n')
    result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "epub", "-o",
                    str(tmp_path / "slow.epub"))
    assert result.exit_code == 0, result.stderr
    assert server.hits_for("/slow.png") == []
