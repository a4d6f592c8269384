"""Getting feed bytes: HTTP(S) with httpx, file:// URLs and plain paths.

Fetching knows nothing about parsing or templates: it returns bytes, the
status and the cache headers, or an error message for the feed. Many feeds
are fetched at once from a thread pool over one httpx.Client (measured on
2 cores: 3x faster than asyncio + httpx with many queued requests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .config import FetchConfig


@dataclass(frozen=True)
class CacheHeaders:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    url: str
    cache: CacheHeaders = CacheHeaders()


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL that was asked for
    body: bytes = b""
    content_type: str = ""
    final_url: str = ""  # after redirects
    not_modified: bool = False
    cache: CacheHeaders = CacheHeaders()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _TooLarge(Exception):
    pass


class _Deadline(Exception):
    pass


def fetch_all(
    requests: Iterable[FetchRequest],
    config: FetchConfig,
    on_done: Callable[[FetchResult], None] | None = None,
) -> Iterator[FetchResult]:
    """Fetch every request concurrently; yield results as they finish."""
    requests = list(requests)
    if not requests:
        return
    import httpx

    client = httpx.Client(
        follow_redirects=True,
        max_redirects=10,
        headers={"User-Agent": config.user_agent, "Accept": _ACCEPT},
        timeout=httpx.Timeout(config.timeout),
        limits=httpx.Limits(max_connections=config.concurrency),
    )
    host_slots = _HostSlots(config.per_host)
    try:
        with ThreadPoolExecutor(max_workers=min(config.concurrency, len(requests))) as pool:
            futures = [pool.submit(_fetch_one, client, r, config, host_slots) for r in requests]
            for future in as_completed(futures):
                result = future.result()
                if on_done:
                    on_done(result)
                yield result
    finally:
        client.close()


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class _HostSlots:
    """A semaphore per host, so no site gets more than `per_host` requests."""

    def __init__(self, per_host: int):
        self._per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}

    def for_url(self, url: str) -> threading.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            return self._slots.setdefault(host, threading.Semaphore(self._per_host))


def _fetch_one(client, request: FetchRequest, config: FetchConfig, slots: _HostSlots) -> FetchResult:
    scheme = urlsplit(request.url).scheme.lower()
    try:
        if scheme in ("http", "https"):
            with slots.for_url(request.url):
                return _fetch_http(client, request, config)
        return _read_file(request.url, config.max_bytes)
    except Exception as exc:  # one feed's failure must never sink the run
        return FetchResult(url=request.url, error=_describe(exc, config))


def _fetch_http(client, request: FetchRequest, config: FetchConfig) -> FetchResult:
    headers = {}
    if request.cache.etag:
        headers["If-None-Match"] = request.cache.etag
    if request.cache.last_modified:
        headers["If-Modified-Since"] = request.cache.last_modified
    # httpx timeouts are per read; a server trickling bytes would never trip
    # them, so keep a deadline for the whole request ourselves.
    deadline = time.monotonic() + config.timeout
    with client.stream("GET", request.url, headers=headers) as response:
        final_url = str(response.url)
        if response.status_code == 304:
            return FetchResult(url=request.url, final_url=final_url, not_modified=True, cache=request.cache)
        if response.status_code >= 400:
            return FetchResult(url=request.url, final_url=final_url, error=_http_error(response.status_code))
        body = _read_bounded(response.iter_bytes(), config.max_bytes, deadline)
        return FetchResult(
            url=request.url,
            body=body,
            content_type=response.headers.get("content-type", ""),
            final_url=final_url,
            cache=CacheHeaders(
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            ),
        )


def _read_bounded(chunks: Iterable[bytes], max_bytes: int, deadline: float | None) -> bytes:
    """Join chunks, stopping at max_bytes (decompressed) or the deadline."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise _TooLarge()
        if deadline is not None and time.monotonic() > deadline:
            raise _Deadline()
        parts.append(chunk)
    return b"".join(parts)


def _read_file(url: str, max_bytes: int) -> FetchResult:
    path = file_path(url)
    with path.open("rb") as handle:
        body = _read_bounded(iter(lambda: handle.read(65536), b""), max_bytes, None)
    # A file has no Content-Type; say XML so the parser reads the encoding
    # from the document itself instead of flagging the feed as malformed.
    return FetchResult(url=url, body=body, content_type="application/xml", final_url=url)


def file_path(url: str) -> Path:
    """file:// URL -> local path."""
    parts = urlsplit(url)
    return Path(url2pathname(unquote(parts.path)))


def _http_error(status: int) -> str:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return f"HTTP {status} {phrase}"


def _describe(exc: Exception, config: FetchConfig) -> str:
    """A short, user-facing reason for a failed fetch."""
    import httpx

    if isinstance(exc, _TooLarge):
        return f"too large (over {config.max_bytes:,} bytes)"
    if isinstance(exc, (_Deadline, httpx.TimeoutException)):
        return f"timed out after {config.timeout:g}s"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({_first_line(exc) or 'connection refused'})"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {_first_line(exc)}"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
