"""Fetching against a real HTTP server on 127.0.0.1, started in the test.

http.server in a thread, because the interesting servers misbehave: they
stall, trickle, redirect, say 304, 410 or 429, or send a gzip bomb. Every
route is a small function of the request handler; the server logs each
request with its headers, the status it got and when.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from pathlib import Path

import brotli
import pytest

from conftest import rss, rss_item, write_config
from loopback import Handler, LoopbackServer, respond
from digest import USER_AGENT
from digest.sources.fetch import _retry_after
from digest.store import Store

NOW = "2025-01-02T20:00:00Z"


def feed_bytes(title: str, slug: str | None = None) -> bytes:
    slug = slug or title.lower().replace(" ", "-")
    return rss(rss_item(title, f"https://example.org/{slug}"), title=f"{title} feed").encode()


def cached_feed(body: bytes, etag: str | None = '"v1"', last_modified: str | None = None):
    """A feed that answers 304 to a matching conditional request."""

    def route(handler: Handler) -> int:
        if etag and handler.headers.get("If-None-Match") == etag:
            return respond(handler, 304)
        if not etag and last_modified and handler.headers.get("If-Modified-Since") == last_modified:
            return respond(handler, 304)
        headers = {"ETag": etag} if etag else {}
        if last_modified:
            headers["Last-Modified"] = last_modified
        return respond(handler, 200, body, headers)

    return route


def config_for(tmp_path: Path, urls: list[str], fetch: str = "", extra: str = "") -> Path:
    feeds = "".join(f'\n[[feeds]]\nurl = "{url}"\n' for url in urls)
    return write_config(tmp_path, f'title = "Fetch Brief"\ntimezone = "UTC"\n{extra}\n'
                                  f'[email]\nfrom = "b@example.org"\nto = ["me@example.org"]\n'
                                  f"[fetch]\n{fetch}\n{feeds}")


def flat(text: str) -> str:
    """The text part wraps at 72 columns; compare words, not line breaks."""
    return " ".join(text.split())


def state(tmp_path: Path, url: str):
    with Store.open(tmp_path / "state.db") as store:
        return store.feed_state(url)


# ---------------------------------------------------------------- conditional GET


def test_second_build_sends_conditional_requests_gets_304s_and_the_same_digest(server, invoke, tmp_path):
    server.routes["/etag.xml"] = cached_feed(feed_bytes("Etag story"))
    server.routes["/lm.xml"] = cached_feed(feed_bytes("Modified story"), etag=None,
                                           last_modified="Thu, 02 Jan 2025 10:00:00 GMT")
    config = config_for(tmp_path, [server.url("/etag.xml"), server.url("/lm.xml")])

    first = invoke("build", "--config", str(config), "--now", NOW, "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert "Etag story" in first.stdout and "Modified story" in first.stdout
    assert [hit.status for hit in server.hits] == [200, 200]
    assert all(hit.headers["user-agent"] == USER_AGENT for hit in server.hits)
    assert set(server.hits[0].headers["accept-encoding"].replace(" ", "").split(",")) >= {"gzip", "deflate", "br"}

    second = invoke("build", "--config", str(config), "--now", NOW, "--format", "json")
    assert second.exit_code == 0, second.stderr
    again = server.hits[2:]
    assert sorted(hit.path for hit in again) == ["/etag.xml", "/lm.xml"]
    assert [hit.status for hit in again] == [304, 304]
    assert server.hits_for("/etag.xml")[1].headers["if-none-match"] == '"v1"'
    assert server.hits_for("/lm.xml")[1].headers["if-modified-since"] == "Thu, 02 Jan 2025 10:00:00 GMT"
    assert second.stdout == first.stdout
    assert state(tmp_path, server.url("/etag.xml")).failures == 0


def test_offline_build_uses_the_store_alone(server, invoke, tmp_path):
    server.routes["/a.xml"] = cached_feed(feed_bytes("Stored story"))
    config = config_for(tmp_path, [server.url("/a.xml")])
    fetched = invoke("fetch", "--config", str(config), "--now", NOW)
    assert fetched.exit_code == 0, fetched.stderr
    assert fetched.stdout == ""
    assert "1 updated (1 new items), 0 unchanged, 0 failed" in fetched.stderr

    offline = invoke("build", "--config", str(config), "--now", NOW, "--offline", "--format", "text")
    assert offline.exit_code == 0, offline.stderr
    assert "Stored story" in offline.stdout
    assert len(server.hits) == 1  # the fetch's; the offline build asked nothing


# ---------------------------------------------------------------- HTTP semantics


def test_permanent_redirect_moves_the_feed_and_says_so_once(server, invoke, tmp_path):
    server.routes["/old.xml"] = lambda h: respond(h, 301, headers={"Location": server.url("/new.xml")})
    server.routes["/new.xml"] = cached_feed(feed_bytes("Moved story"))
    server.routes["/hop.xml"] = lambda h: respond(h, 302, headers={"Location": server.url("/there.xml")})
    server.routes["/there.xml"] = cached_feed(feed_bytes("Hopped story"), etag='"h"')
    old, new, hop = server.url("/old.xml"), server.url("/new.xml"), server.url("/hop.xml")
    config = config_for(tmp_path, [old, hop])

    first = invoke("fetch", "--config", str(config), "--now", NOW)
    assert first.exit_code == 0, first.stderr
    assert first.stderr.count("moved permanently") == 1
    assert f"({old}) moved permanently to {new}" in first.stderr
    assert state(tmp_path, old).current_url == new
    assert state(tmp_path, hop).current_url is None  # a 302 is no move

    count = len(server.hits)
    second = invoke("fetch", "--config", str(config), "--now", NOW)
    assert "moved" not in second.stderr
    paths = [hit.path for hit in server.hits[count:]]
    assert "/old.xml" not in paths and "/new.xml" in paths and "/hop.xml" in paths
    assert [hit.status for hit in server.hits_for("/new.xml")] == [200, 304]


def test_a_plain_http_301_to_another_host_is_followed_but_never_moves_the_feed(server, invoke, tmp_path):
    """Anyone on the path of a plain-http answer could send it; the same
    host (an upgrade to https, a new path) is still a move."""
    elsewhere = server.url("/new.xml").replace("127.0.0.1", "localhost")
    server.routes["/away.xml"] = lambda h: respond(h, 301, headers={"Location": elsewhere})
    server.routes["/path.xml"] = lambda h: respond(h, 301, headers={"Location": server.url("/new.xml")})
    server.routes["/new.xml"] = cached_feed(feed_bytes("Moved story"))
    away, path = server.url("/away.xml"), server.url("/path.xml")
    config = config_for(tmp_path, [away, path])
    fetched = invoke("fetch", "--config", str(config), "--now", NOW)
    assert state(tmp_path, away).current_url is None
    assert f"({away}) moved" not in fetched.stderr
    assert state(tmp_path, path).current_url == server.url("/new.xml")


def test_gone_feed_is_retired_and_not_fetched_again(server, invoke, tmp_path):
    server.routes["/gone.xml"] = lambda h: respond(h, 410, b"gone")
    server.routes["/ok.xml"] = cached_feed(feed_bytes("Fine story"))
    gone = server.url("/gone.xml")
    config = config_for(tmp_path, [gone, server.url("/ok.xml")])

    first = invoke("fetch", "--config", str(config), "--now", NOW)
    assert first.exit_code == 0
    assert f"({gone}) is gone (HTTP 410 Gone): retired" in first.stderr
    assert state(tmp_path, gone).retired is not None

    second = invoke("build", "--config", str(config), "--now", NOW, "--format", "text")
    assert second.exit_code == 0, second.stderr
    assert len(server.hits_for("/gone.xml")) == 1
    assert f"({gone}) is retired on 2025-01-02" in second.stderr
    assert "Fine story" in second.stdout
    assert "retired on 2025-01-02, no longer fetched" in flat(second.stdout)  # the footer names it


def test_429_retry_after_is_honoured_within_the_timeout(server, invoke, tmp_path):
    def busy_once(handler: Handler) -> int:
        if len(server.hits_for("/busy.xml")) == 1:
            return respond(handler, 429, headers={"Retry-After": "1"})
        return respond(handler, 200, feed_bytes("Patient story"))

    server.routes["/busy.xml"] = busy_once
    server.routes["/later.xml"] = lambda h: respond(h, 503, headers={"Retry-After": "3600"})
    config = config_for(tmp_path, [server.url("/busy.xml"), server.url("/later.xml")], fetch='timeout = "5s"')

    started = time.monotonic()
    result = invoke("fetch", "--config", str(config), "--now", NOW)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    first, retry = server.hits_for("/busy.xml")
    assert (first.status, retry.status) == (429, 200)
    assert retry.at - first.at >= 0.9
    assert "busy.xml" not in result.stderr
    assert state(tmp_path, server.url("/busy.xml")).last_success is not None
    # An hour's wait does not fit the 5 s budget: reported at once, not waited for.
    assert "HTTP 503 Service Unavailable (asked to retry after 3600s, past the 5s timeout)" in result.stderr
    assert len(server.hits_for("/later.xml")) == 1
    assert elapsed < 4


def test_retry_after_reads_seconds_and_http_dates():
    assert _retry_after("7") == 7.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert _retry_after("soon") is None
    assert _retry_after(None) is None
    # digits to Python, not to HTTP: ignored, never a ValueError that fails the feed
    assert _retry_after("\u00b2") is None and _retry_after("\u0661\u0662") is None
    assert _retry_after("9" * 400) is None


# ---------------------------------------------------------------- bounds


def _stall_before_headers(server: LoopbackServer):
    def route(handler: Handler) -> int:
        server.stop.wait(10)
        return 0

    return route


def _stall_after_headers(server: LoopbackServer):
    def route(handler: Handler) -> int:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"<?xml version='1.0'?><rss><channel>")
        handler.wfile.flush()
        # Trickle for most of the timeout, then stall: a per-read timeout
        # alone would wait a whole timeout more from the last byte.
        for _ in range(6):
            if server.stop.wait(0.25):
                return 200
            handler.wfile.write(b" ")
            handler.wfile.flush()
        server.stop.wait(10)
        return 200

    return route


def _trickle(server: LoopbackServer):
    def route(handler: Handler) -> int:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(40):  # 0.25 s apart: every read is well inside the timeout
            if server.stop.wait(0.25):
                break
            handler.wfile.write(b" ")
            handler.wfile.flush()
        return 200

    return route


def test_hangs_and_trickles_are_cut_at_the_timeout(server, invoke, tmp_path):
    server.routes["/silent.xml"] = _stall_before_headers(server)
    server.routes["/stall.xml"] = _stall_after_headers(server)
    server.routes["/trickle.xml"] = _trickle(server)
    server.routes["/ok.xml"] = cached_feed(feed_bytes("Quick story"))
    bad = [server.url(p) for p in ("/silent.xml", "/stall.xml", "/trickle.xml")]
    config = config_for(tmp_path, [*bad, server.url("/ok.xml")], fetch='timeout = "2s"\nper_host = 4')

    started = time.monotonic()
    result = invoke("fetch", "--config", str(config), "--now", NOW)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    for url in bad:
        assert f"({url}) failed: timed out after 2s" in result.stderr
    # All at once, each cut at 2 s: not 10 s (the trickle), nor 3.5 s (the
    # stall after 1.5 s of trickling, with per-read timeouts only).
    assert elapsed < 2.9
    assert state(tmp_path, server.url("/ok.xml")).last_success is not None


def _bomb(encoding: str, size: int) -> bytes:
    zeros = b"\0" * size
    if encoding == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(zeros, 9)
    return brotli.compress(zeros)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_encoded_feeds_are_decoded_and_bombs_cut_off(server, invoke, tmp_path, encoding):
    body = feed_bytes(f"Packed {encoding} story")
    packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](body)
    bomb = _bomb(encoding, 20_000_000)
    assert len(bomb) < 50_000  # small on the wire, 20 MB unpacked
    server.routes["/packed.xml"] = lambda h: respond(h, 200, packed, {"Content-Encoding": encoding})
    server.routes["/bomb.xml"] = lambda h: respond(h, 200, bomb, {"Content-Encoding": encoding})
    server.routes["/big.xml"] = lambda h: respond(h, 200, b" " * 300_000 + body)
    urls = [server.url(p) for p in ("/packed.xml", "/bomb.xml", "/big.xml")]
    config = config_for(tmp_path, urls, fetch="max_bytes = 200000")

    result = invoke("build", "--config", str(config), "--now", NOW, "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert f"Packed {encoding} story" in result.stdout
    assert f"({urls[1]}) failed: too large (over 200,000 bytes), cut off" in result.stderr
    assert f"({urls[2]}) failed: too large (over 200,000 bytes), cut off" in result.stderr


def test_html_page_is_reported_not_a_feed_naming_its_feed(server, invoke, tmp_path):
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/real.xml"></head><body>Hi</body></html>'
    server.routes["/page"] = lambda h: respond(h, 200, page, {"Content-Type": "text/html"})
    config = config_for(tmp_path, [server.url("/page")])
    result = invoke("fetch", "--config", str(config), "--now", NOW)
    assert result.exit_code == 1  # the only feed failed
    assert f"({server.url('/page')}) failed: not a feed (the page points to a feed at {server.url('/real.xml')})" \
        in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- concurrency


def _slow(server: LoopbackServer, delay: float, body: bytes, gauge: list[int] | None = None):
    lock = threading.Lock()
    in_flight = [0]

    def route(handler: Handler) -> int:
        with lock:
            in_flight[0] += 1
            if gauge is not None:
                gauge.append(in_flight[0])
        server.stop.wait(delay)
        with lock:
            in_flight[0] -= 1
        return respond(handler, 200, body)

    return route


def test_slow_feeds_are_fetched_at_once(server, invoke, tmp_path):
    """All eight requests are in flight together: each answer waits until
    the eight have arrived (a barrier), so one after another, or fewer at
    once, fails with 503 after 10 s. Asserted by the server, not by a
    clock, which a loaded machine made miss (2.3 s against a 2 s limit)."""
    together = threading.Barrier(8, timeout=10)

    def waiting_for_all(n: int):
        def route(handler: Handler) -> int:
            try:
                together.wait()
            except threading.BrokenBarrierError:
                return respond(handler, 503)
            return respond(handler, 200, feed_bytes(f"Slow story {n}"))

        return route

    for n in range(8):
        server.routes[f"/slow{n}.xml"] = waiting_for_all(n)
    config = config_for(tmp_path, [server.url(f"/slow{n}.xml") for n in range(8)],
                        fetch="concurrency = 8\nper_host = 8")
    result = invoke("fetch", "--config", str(config), "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert "8 updated" in result.stderr


def test_per_host_limit_holds(server, invoke, tmp_path):
    gauge: list[int] = []
    route = _slow(server, 0.2, feed_bytes("Polite story"), gauge)
    for n in range(6):
        server.routes[f"/p{n}.xml"] = route
    config = config_for(tmp_path, [server.url(f"/p{n}.xml") for n in range(6)], fetch="per_host = 2")
    result = invoke("fetch", "--config", str(config), "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert max(gauge) == 2


# ---------------------------------------------------------------- health


def test_footer_names_a_feed_only_after_three_failing_runs(server, invoke, tmp_path):
    broken_status = [500]
    server.routes["/ok.xml"] = cached_feed(feed_bytes("Steady story"))
    server.routes["/flaky.xml"] = lambda h: respond(h, broken_status[0], feed_bytes("Flaky story"))
    flaky = server.url("/flaky.xml")
    config = config_for(tmp_path, [server.url("/ok.xml"), flaky])

    def build():
        result = invoke("build", "--config", str(config), "--now", NOW, "--format", "text")
        assert result.exit_code == 0, result.stderr
        assert f"({flaky}) failed: HTTP 500 Internal Server Error" in result.stderr or broken_status[0] == 200
        return result

    for run in (1, 2):
        assert "HTTP 500" not in build().stdout, f"run {run}: a one-off failure is for stderr only"
    third = build()
    assert "HTTP 500 Internal Server Error (failing for 3 runs in a row)" in flat(third.stdout)
    assert "(3 runs in a row)" in third.stderr
    health = state(tmp_path, flaky)
    assert (health.failures, health.last_error, health.last_success) == (3, "HTTP 500 Internal Server Error", None)

    broken_status[0] = 200
    healed = build()
    assert "HTTP 500" not in healed.stdout and "Flaky story" in healed.stdout
    health = state(tmp_path, flaky)
    assert health.failures == 0 and health.last_error is None and health.last_success is not None


def test_quiet_fetch_says_nothing_even_when_feeds_fail(server, invoke, tmp_path):
    server.routes["/ok.xml"] = cached_feed(feed_bytes("Calm story"))
    config = config_for(tmp_path, [server.url("/ok.xml"), server.url("/missing.xml")])
    result = invoke("-q", "fetch", "--config", str(config), "--now", NOW)
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert state(tmp_path, server.url("/missing.xml")).last_error == "HTTP 404 Not Found"


def test_no_cookie_is_kept_or_sent(server, tmp_path):
    # README: "keeping no cookies". A feed that redirects with a cookie, an
    # article page that sets one: no later request carries either.
    from digest.config import FetchConfig
    from digest.sources.fetch import FetchRequest, fetch_all

    server.routes["/a"] = lambda h: respond(h, 302, b"", {"Location": server.url("/b"),
                                                           "Set-Cookie": "sid=one; Path=/"})
    server.routes["/b"] = lambda h: respond(h, 200, rss().encode(), {"Set-Cookie": "sid=two; Path=/"})
    server.routes["/c"] = lambda h: respond(h, 200, rss().encode())
    config = FetchConfig(per_host=1, concurrency=1)
    results = list(fetch_all([FetchRequest(url=server.url("/a")), FetchRequest(url=server.url("/c"))], config))
    assert all(result.ok for result in results)
    assert [hit.path for hit in server.hits] == ["/a", "/b", "/c"]
    assert [hit.headers.get("cookie") for hit in server.hits] == [None, None, None]
