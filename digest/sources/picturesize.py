"""The width and height of the pictures a digest shows, so the email can
give every <img> its size (Outlook ignores CSS max-width and draws a
picture without attributes at its own 2,000 px).

A shown picture whose CDN offers an email-sized rendition is asked for in
that rendition (sources/renditions.py), and measured there; else only
the shown stories' pictures whose feed states no size are measured:
local files from their header, remote ones from the first bytes of the
file (at most `PREFIX` bytes, asked for with a Range header and cut off
there whatever the server sends), a few at a time, at most `PER_HOST` to
one host, all of them inside one deadline. A size found (or not found) is
remembered in the store, so the next build and an `--offline` build have
it without asking again.

A picture on a loopback, private or link-local address is read only when
its feed is on that same host (a feed on an intranet may show its own
pictures; a feed on the internet must not make digest probe the intranet);
every redirect hop is checked again.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from ..imagesizes import local_size, size_of_bytes
from ..models import Image, Story
from .fetch import HostSlots
from .renditions import Rendition, renditions

PREFIX = 64 * 1024  # bytes read of a remote picture at most: a JPEG's size is in its first few KB
TIMEOUT = 6.0  # seconds for all the pictures of a build together
CONCURRENCY = 8  # pictures read at once
PER_HOST = 2  # ... and at most this many from one host
MAX_HOPS = 3  # redirects followed
RETRY_AFTER = timedelta(days=1)  # a picture that gave no size is asked again after this
# The size of a picture that is none: its address answered 404 or 410 (or
# 401/403), sent a web page instead, or may not be read (a private address
# a feed on another host names). Its story is shown without it: a mail
# client would draw a broken-picture box, or ask the reader's own network.
NO_PICTURE = (0, 0)
_GONE = frozenset({401, 403, 404, 410})


def size_pictures(store, stories: Iterable[Story], *, offline: bool, now: datetime,
                  timeout: float = TIMEOUT,
                  choices: Callable[[str], list[Rendition]] = renditions) -> None:
    """Give each story's picture a size, in the rendition it will be shown
    in: the email-sized rendition its CDN offers (`choices`, best first)
    when that one's size can be had, else the picture as the feed gave it.
    Sizes are those the feed stated or the address fixes; else local
    files are measured, remote ones taken from the store, else (unless
    offline) read from the first bytes of the file and remembered. All
    of it inside one deadline."""
    deadline = time.monotonic() + timeout
    pending: list[tuple[Story, list[Image]]] = []
    for story in stories:
        image = story.item.image
        if not image:
            continue
        options = [replace(image, url=r.url, width=r.width, height=r.height) for r in choices(image.url)]
        if options or not _sized(image):
            pending.append((story, [*options, image]))
    while pending:
        asked = {options[0].url: story.item.feed_url for story, options in pending if not _sized(options[0])}
        sizes = _measure(store, asked, offline=offline, now=now, deadline=deadline)
        later = []
        for story, (first, *rest) in pending:
            size = (first.width, first.height) if _sized(first) else sizes.get(first.url)
            if size and size != NO_PICTURE:
                story.item.image = replace(first, width=size[0], height=size[1])
            elif rest:
                later.append((story, rest))  # no such rendition, or not read in time: the next one
            elif size == NO_PICTURE:
                story.item.image = None  # the feed's own picture is gone or not a picture
        pending = later


def _sized(image: Image) -> bool:
    return bool(image.width and image.height)


def _measure(store, pictures: dict[str, str], *, offline: bool, now: datetime,
             deadline: float) -> dict[str, tuple[int, int] | None]:
    """{picture URL: its feed's URL} -> the sizes that could be had: local
    files measured, remote ones remembered in the store or (unless
    offline, and while the deadline lasts) read and remembered."""
    from ..files import file_path

    sizes: dict[str, tuple[int, int] | None] = {}
    remote: dict[str, str] = {}
    for url, feed in pictures.items():
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            sizes[url] = local_size(file_path(url))
        elif scheme in ("http", "https"):
            remote[url] = feed
    if not remote:
        return sizes
    known = store.picture_sizes(remote, now - RETRY_AFTER)
    sizes.update(known)
    asked = {url: feed for url, feed in remote.items() if url not in known}
    left = deadline - time.monotonic()
    if asked and not offline and left > 0:
        found = remote_sizes(asked, timeout=left)
        store.remember_picture_sizes({url: found.get(url) for url in asked if url in found}, now)
        sizes.update(found)
        _note_unanswered([url for url in asked if url not in found])
    return sizes


# Pictures whose size was not read before the deadline, by this process, a
# while ago (monotonic time): the EPUB does not fetch them again (a slow
# host cost each picture the size probe's wait and then the fetch's).
_UNANSWERED: dict[str, float] = {}
UNANSWERED_FOR = 600.0  # seconds such a picture is not asked for again
_UNANSWERED_MAX = 10_000


def _note_unanswered(urls: list[str]) -> None:
    moment = time.monotonic()
    for url in urls:
        _UNANSWERED[url] = moment
    if len(_UNANSWERED) > _UNANSWERED_MAX:
        for url in sorted(_UNANSWERED, key=_UNANSWERED.__getitem__)[:len(_UNANSWERED) - _UNANSWERED_MAX]:
            del _UNANSWERED[url]


def timed_out_lately(url: str) -> bool:
    """Whether sizing the picture at `url` ran out of time in this process lately."""
    moment = _UNANSWERED.get(url)
    return moment is not None and time.monotonic() - moment < UNANSWERED_FOR


def remote_sizes(pictures: dict[str, str], timeout: float = TIMEOUT, concurrency: int = CONCURRENCY,
                 per_host: int = PER_HOST) -> dict[str, tuple[int, int] | None]:
    """{picture URL: its feed's URL} -> {picture URL: (width, height), or
    None when it was read and gave no size}. A picture not read before the
    deadline is left out (it is asked again next time)."""
    from .fetch import _httpx, ssl_context

    httpx = _httpx()
    deadline = time.monotonic() + timeout
    slots = HostSlots(per_host)
    results: dict[str, tuple[int, int] | None] = {}
    client = httpx.Client(verify=ssl_context(), follow_redirects=False, timeout=httpx.Timeout(min(timeout, 5.0)),
                          headers={"User-Agent": "digest (picture size)", "Accept": "image/*",
                                   "Range": f"bytes=0-{PREFIX - 1}", "Accept-Encoding": "identity"})
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="digest-picture")
    try:
        futures = {pool.submit(_one, client, url, feed, deadline, slots): url for url, feed in pictures.items()}
        done, _ = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        for future in done:
            try:
                results[futures[future]] = future.result()
            except Exception:  # noqa: BLE001 - one picture's failure is no size, never the build's
                results[futures[future]] = None
    finally:
        # Requests still running end at their own read timeout; nobody waits for them.
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def _one(client, url: str, feed_url: str, deadline: float, slots: HostSlots) -> tuple[int, int] | None:
    feed_host = (urlsplit(feed_url).hostname or "").lower()
    for _ in range(MAX_HOPS + 1):
        if time.monotonic() > deadline:
            return None
        allowed = _may_read(url, feed_host)
        if allowed is None:
            return None  # the name did not resolve: perhaps the network is down; asked again another day
        if not allowed:
            return NO_PICTURE
        with slots.for_url(url), client.stream("GET", url) as response:
            if response.is_redirect and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code in _GONE:
                return NO_PICTURE
            if response.status_code not in (200, 206):
                return None  # 429, 500, 503: asked again another day
            data = b""
            for chunk in response.iter_raw():
                data += chunk
                size = size_of_bytes(data)
                if size or len(data) >= PREFIX or time.monotonic() > deadline:
                    break
            size = size_of_bytes(data)
            if size is None and _is_a_page(response.headers.get("content-type", ""), data):
                return NO_PICTURE
            return size
    return None


def _is_a_page(content_type: str, data: bytes) -> bool:
    """A web page (or other text) where a picture was named: an error page
    sent with 200, a login wall."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.startswith("image/"):
        return data.lstrip()[:1] == b"<" and b"<svg" not in data[:2048].lower()  # HTML sent as image/png
    return kind.startswith("text/") or kind in ("application/json", "application/xhtml+xml")


def _may_read(url: str, feed_host: str) -> bool | None:
    """Whether the URL is http(s) and its host public, or the feed's own
    host; None when its name does not resolve (no answer either way)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if host == feed_host:
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)}
    except OSError:
        return None
    return all(ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses)

