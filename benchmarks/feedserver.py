"""Generated feeds served on loopback, for the benchmarks (not a test helper).

Feeds are spread over loopback hosts (127.0.0.2, 127.0.0.3, ...), `per_host`
to a host, so digest's per-host limit behaves as it would on the web. Every
response, 304s included, waits `latency` seconds. One thread watches every
listening socket (a thread per server polling for shutdown would burn a
core at thousands of hosts); each connection gets its own thread.

Feeds come from one of GENERATORS: "realistic" (the default: newsgen.py,
headlines and bodies from a Zipf vocabulary of common words, stories
carried by 2-5 feeds under reworded titles, a share with names of their
own), "zipf" (the same with every word from the vocabulary, no names of
their own) or "pseudo" (the first generator: headlines of 6-10 pseudo-words
that rarely repeat, a few paragraphs of text, dated within the last hours,
and one story in five also carried by the next feed).
"""

from __future__ import annotations

import hashlib
import random
import selectors
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import newsgen

GENERATORS = ("realistic", "zipf", "pseudo")

_CONSONANTS, _VOWELS = "bcdfghjklmnprstvwz", "aeiou"


def _vocabulary(size: int, seed: int = 7) -> tuple[list[str], list[float]]:
    """Pseudo-words (no dictionary on disk) and cumulative Zipf-Mandelbrot
    weights: a few words common, most rare, as in headlines once stop words
    are gone (the commonest here is 0.7% of all words)."""
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < size:
        letters = [rng.choice(_VOWELS if i % 2 else _CONSONANTS) for i in range(rng.randint(4, 10))]
        words["".join(letters)] = None
    cumulative, total = [], 0.0
    for rank in range(size):
        total += 1 / (rank + 20)
        cumulative.append(total)
    return list(words), cumulative


_WORDS, _CUMULATIVE = _vocabulary(20000)


def _word(rng: random.Random) -> str:
    return rng.choices(_WORDS, cum_weights=_CUMULATIVE)[0]


def _headline(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.randint(6, 10))]
    # Sentence case with a name or two, as most news sites write headlines.
    for index in rng.sample(range(1, len(words)), k=rng.randint(0, 2)):
        words[index] = words[index].capitalize()
    return " ".join(words).capitalize()


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(" ".join(_word(rng) for _ in range(rng.randint(8, 20))).capitalize() + "."
                    for _ in range(sentences))


@dataclass
class Feeds:
    """The generated feeds and what the servers saw."""

    latency: float
    items: int = 20
    generator: str = "realistic"
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    moves: int = 0  # items a feed gains (and loses) overnight: see `day`
    day: int = 0  # 1: every feed has moved on by `moves` items (new ETag, whole document)
    _bodies: dict[tuple[int, int], tuple[bytes, str]] = field(default_factory=dict)

    def body(self, number: int) -> tuple[bytes, str]:
        """Feed `number`'s RSS and its ETag on this `day`; the same bytes on every request."""
        with self.lock:
            key = number, self.day
            if key not in self._bodies:
                body = feed_xml(number, self.items, self.now, generator=self.generator, moves=self.moves,
                                day=self.day)
                self._bodies[key] = body, '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            return self._bodies[key]

    def record(self, status: int) -> None:
        with self.lock:
            self.statuses.append(status)


def feed_xml(number: int, items: int, now: datetime, paragraphs: int = 3, generator: str = "realistic",
             moves: int = 0, day: int = 0) -> bytes:
    """Feed `number`: `items` entries, newest first, from `generator`; on
    `day` 1 moved on by `moves` items (newsgen's generators only)."""
    if generator != "pseudo":
        return newsgen.feed_xml(number, items, now, paragraphs, names=0.0 if generator == "zipf" else newsgen.NAMES,
                                moves=moves, day=day)
    if moves:
        raise ValueError("the pseudo generator has no day-to-day feeds; use realistic or zipf")
    return pseudo_feed_xml(number, items, now, paragraphs)


def pseudo_feed_xml(number: int, items: int, now: datetime, paragraphs: int = 3) -> bytes:
    """RSS 2.0 for feed `number` from the first generator's pseudo-words."""
    entries = []
    for n in range(items):
        # Every fifth story is carried by both feeds of a pair (2j, 2j+1):
        # the same event from two sources, with a slightly different headline.
        shared = n % 5 == 0
        rng = random.Random(((number // 2) * 1000 + n) if shared else (number * 1000 + n + 10**7))
        title = _headline(rng)
        if shared:
            title = title + " " + _word(random.Random(number * 1000 + n))
        body = "".join(f"<p>{escape(_paragraph(rng, 3))}</p>" for _ in range(paragraphs))
        when = format_datetime(now - timedelta(minutes=7 * n + number % 60))
        entries.append(
            f"<item><title>{escape(title)}</title><link>https://feed{number}.example/{n}</link>"
            f"<guid>feed{number}-{n}</guid><pubDate>{when}</pubDate>"
            f"<author>desk@feed{number}.example (Desk {number})</author>"
            f"<description>{escape(body)}</description></item>"
        )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {number}</title>'
            f"<link>https://feed{number}.example/</link>{''.join(entries)}</channel></rss>").encode()


def _handler(feeds: Feeds, hang: bool):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if hang:
                feeds.stop.wait()
                return
            feeds.stop.wait(feeds.latency)
            try:
                number = int(self.path.rsplit("/", 1)[-1].removesuffix(".xml"))
            except ValueError:
                self.send_error(404)
                return
            body, etag = feeds.body(number)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                feeds.record(304)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            feeds.record(200)

        def log_message(self, *args):
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many connections arrive at once at the start

    def server_bind(self) -> None:
        # HTTPServer's own looks its address up in DNS (getfqdn), seconds per
        # host for thousands of loopback addresses; the name is never used.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def host_address(index: int) -> str:
    """The index-th loopback host: 127.0.0.2, 127.0.0.3, ... (127.0.0.1 skipped)."""
    index += 2
    return f"127.{index // 62500}.{index // 250 % 250}.{index % 250 + 1}" if index >= 250 else f"127.0.0.{index}"


def serve(feeds: Feeds, count: int, per_host: int = 1, hang: bool = False, first: int = 0) -> list[str]:
    """Serve `count` feeds, `per_host` to a loopback host; return their URLs.

    `first` numbers the feeds (feed k's content depends only on k). A
    hanging server never answers (timeout tests); it lives on 127.0.99.1.
    """
    urls, servers = [], []
    hosts = (count + per_host - 1) // per_host
    for host in range(hosts):
        address = "127.0.99.1" if hang else host_address(host)
        server = _Server((address, 0), _handler(feeds, hang))
        servers.append(server)
        for k in range(host * per_host, min((host + 1) * per_host, count)):
            urls.append(f"http://{address}:{server.server_address[1]}/feed/{first + k}.xml")
    threading.Thread(target=_accept_loop, args=(servers, feeds.stop), daemon=True).start()
    return urls


def _accept_loop(servers: list[_Server], stop: threading.Event) -> None:
    with selectors.DefaultSelector() as selector:
        for server in servers:
            selector.register(server, selectors.EVENT_READ, server)
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.5):
                key.data._handle_request_noblock()
    for server in servers:
        server.server_close()


def config_text(urls: list[str], timeout: float, state: Path, extra: str = "") -> str:
    """A digest.toml for these feeds (defaults everywhere else)."""
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    return (f'title = "Bench"\nstate = "{state}"\ntimezone = "UTC"\n{extra}'
            f'[email]\nfrom = "b@example.org"\nto = ["me@example.org"]\n'
            f'[fetch]\ntimeout = "{timeout:g}s"\n{feeds}')
