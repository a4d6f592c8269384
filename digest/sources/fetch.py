"""Getting feed bytes: HTTP(S) with httpx, file:// URLs and plain paths.

Fetching knows nothing about parsing or templates: it returns bytes, the
status and the cache headers, or an error message for the feed. Many feeds
are fetched at once from a thread pool over one httpx.Client (measured on
2 cores: 3x faster than asyncio + httpx with many queued requests).

Every HTTP request runs against a deadline (`timeout`, for the whole
request): httpx's own timeouts are per read, so a server that trickles a
byte at a time would never trip them. Here every socket read, write and
connect is clamped to what is left of the deadline of the request the
calling thread is working on (see _DeadlineBackend).
"""

from __future__ import annotations

import queue
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ..config import FetchConfig
from ..files import TimedOut, TooLarge, file_path, is_local_file_url, read_capped
from ..models import CacheHeaders

MAX_REDIRECTS = 10
MAX_RETRIES = 2  # after a 429/503 with a Retry-After that fits the deadline
PERMANENT_REDIRECTS = (301, 308)
RETRY_STATUSES = (429, 503)
MAX_LOOKUP = 30.0  # seconds for a name lookup outside any request's deadline (none is: see _fetch_http)


@dataclass(frozen=True)
class FetchRequest:
    url: str  # the feed's identity (the config's URL)
    cache: CacheHeaders = CacheHeaders()
    location: str | None = None  # where to fetch it now, after a permanent redirect
    accept: str | None = None  # the Accept header, when not a feed's
    only: tuple[str, ...] = ()  # the media types taken (others fail before their body is read); () takes any

    @property
    def target(self) -> str:
        return self.location or self.url


@dataclass(frozen=True)
class FetchResult:
    url: str  # the feed's identity, as asked for
    body: bytes = b""
    content_type: str = ""
    final_url: str = ""  # after redirects
    not_modified: bool = False
    cache: CacheHeaders = CacheHeaders()
    error: str | None = None
    status: int | None = None
    moved_to: str | None = None  # new home after a permanent redirect (301/308)
    gone: bool = False  # 410: the publisher says the feed will never come back
    refused: bool = False  # not fetched: its address is not public (fetch_batches(public_only=True))
    late: bool = False  # not fetched: the batch's deadline had passed (fetch_batches(deadline=...))

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch_all(
    requests: Iterable[FetchRequest],
    config: FetchConfig,
    *,
    public_only: bool = False,
) -> Iterator[FetchResult]:
    """Fetch every request concurrently; yield results as they finish.
    `public_only`: connect to public addresses only (see PublicOnly)."""
    for batch in fetch_batches(requests, config, public_only=public_only):
        yield from batch


def fetch_batches(requests: Iterable[FetchRequest], config: FetchConfig, *,
                  public_only: bool = False, deadline: float | None = None) -> Iterator[list[FetchResult]]:
    """Fetch every request concurrently; yield the results in batches: each
    is everything that finished while the caller was busy with the last one
    (at least one result), so the caller can store a batch with one commit
    and never holds a transaction open while waiting on the network.

    Nothing keeps a result once it is yielded, so each body can be freed as
    soon as the caller has stored it, instead of every body living to the end.
    Nor are results fetched far ahead of the caller: at most twice
    `concurrency` requests are in flight or finished and not yet taken, so a
    caller slower than the network (parsing 5,000 feeds) holds a few dozen
    bodies, not every body of the run (150 MB at 5,000 feeds).

    `deadline` (time.monotonic()) bounds the whole batch: no request starts
    after it (its result says `late`) and none runs past it.
    """
    requests = list(requests)
    if not requests:
        return
    client = _client(config, public_only)
    host_slots = HostSlots(config.per_host)
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
    ahead = threading.Semaphore(2 * config.concurrency)  # requests started and not yet taken by the caller
    stop = threading.Event()  # the caller went away: requests not started are not
    try:
        with ThreadPoolExecutor(max_workers=min(config.concurrency, len(requests))) as pool:
            try:
                for request in requests:
                    pool.submit(_fetch_when_taken, ahead, stop, client, request, config, host_slots,
                                deadline).add_done_callback(finished.put)
                remaining = len(requests)
                while remaining:
                    batch = [finished.get()]
                    while True:
                        try:
                            batch.append(finished.get_nowait())
                        except queue.Empty:
                            break
                    remaining -= len(batch)
                    for _ in batch:
                        ahead.release()
                    yield [future.result() for future in batch]
            finally:
                stop.set()
    finally:
        client.close()


def _fetch_when_taken(ahead: threading.Semaphore, stop: threading.Event, *args) -> FetchResult:
    """_fetch_one once the caller has taken enough of the results before it
    (see fetch_batches); the request's own deadline starts after the wait."""
    while not ahead.acquire(timeout=0.1):
        if stop.is_set():
            return FetchResult(url=args[1].url, error="not asked: the fetch was abandoned", late=True)
    return _fetch_one(*args)


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Bodies are decoded here, not by httpx, so the size cap applies to the
# decompressed bytes as they come out (httpx would inflate a whole network
# chunk at once, and a brotli bomb chunk can be gigabytes).
_ACCEPT_ENCODING = "gzip, deflate, br"


def _httpx():
    """httpx, imported without its own command line: httpx's __init__
    imports httpx._main, which imports click (28 ms), pygments and rich
    when they are installed, and the library promises a build imports no
    click. With httpx._main marked unimportable for that one import, httpx
    takes the fallback it has for installs without its [cli] extra (under
    the CLI, where click is loaded already, that still saved pygments'
    lexer table: 9 ms of every networked build)."""
    import sys

    if "httpx" in sys.modules:
        import httpx

        return httpx
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        del sys.modules["httpx._main"]
    return httpx


_SSL_CONTEXTS: dict[tuple[str | None, str | None], object] = {}
_SSL_LOCK = threading.Lock()


def ssl_context():
    """One verifying SSL context per process, as httpx makes it by default
    (certifi's roots, or $SSL_CERT_FILE / $SSL_CERT_DIR): loading the roots
    costs 26 ms, and a build made one for the feeds, one for the article
    pages and one for the picture sizes. A context is safe to share
    between clients and threads."""
    import os

    key = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    with _SSL_LOCK:
        if key not in _SSL_CONTEXTS:
            _SSL_CONTEXTS[key] = _httpx().create_ssl_context()
        return _SSL_CONTEXTS[key]


def ready() -> None:
    """Import the HTTP client and load the CA roots now (both cached for
    the process): a build calls this before its other start-up work runs in
    a thread beside the fetching, which would otherwise hold the
    interpreter while the first request waits on these."""
    import httpcore  # noqa: F401

    ssl_context()


def _client(config: FetchConfig, public_only: bool = False):
    import httpcore

    httpx = _httpx()
    backend = _DeadlineBackend(httpcore.SyncBackend(), public_only)

    transport = httpx.HTTPTransport(verify=ssl_context(), limits=httpx.Limits(max_connections=config.concurrency))
    # httpx exposes no way to pass a network backend; the pool it builds is
    # replaced by the same pool over a backend that honours our deadlines.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=transport._pool._ssl_context,
        max_connections=config.concurrency,
        keepalive_expiry=5.0,  # httpx's default
        network_backend=backend,
    )
    return httpx.Client(
        # Through a proxy, the address checked would be the proxy's, not the page's.
        trust_env=not public_only,
        # No cookie is kept, so none is sent back: a publisher's cookie on one
        # page (or feed) would link the reader's later requests to that host.
        cookies=_no_cookies(),
        transport=transport,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": config.user_agent, "Accept": _ACCEPT, "Accept-Encoding": _ACCEPT_ENCODING},
        timeout=httpx.Timeout(config.timeout),
    )


# ---------------------------------------------------------------- deadlines

_current = threading.local()  # .deadline: monotonic time the running request must end by


def _clamp(timeout: float | None) -> float | None:
    deadline = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    # Never 0: that would make the socket non-blocking instead of timing out.
    left = max(deadline - time.monotonic(), 0.001)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A network stream whose every read and write stops at the deadline."""

    def __init__(self, inner):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    """httpcore's sync backend, with connects and streams under the deadline;
    with `public_only`, connecting only to the public addresses a host name
    resolves to (every hop of a redirect connects through here)."""

    def __init__(self, inner, public_only: bool = False):
        self._inner = inner
        self._public_only = public_only

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if not self._public_only:
            return _DeadlineStream(self._inner.connect_tcp(host, port, _clamp(timeout), local_address, socket_options))
        from .addresses import public_addresses

        # Connect to the very address that was checked: a second lookup
        # could answer otherwise (DNS rebinding). TLS still names the host.
        addresses = public_addresses(host, port, _clamp(timeout) or MAX_LOOKUP)
        for index, address in enumerate(addresses):
            try:
                stream = self._inner.connect_tcp(address, port, _clamp(timeout), local_address, socket_options)
                return _DeadlineStream(stream)
            except Exception:
                if index == len(addresses) - 1:
                    raise
        raise AssertionError("public_addresses returns at least one address")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_unix_socket(path, _clamp(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _no_cookies():
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # no domain may set one


class HostSlots:
    """A semaphore per host, so no site gets more than `per_host` requests."""

    def __init__(self, per_host: int):
        self._per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}

    def for_url(self, url: str) -> threading.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            return self._slots.setdefault(host, threading.Semaphore(self._per_host))


# ---------------------------------------------------------------- one feed


def _fetch_one(client, request: FetchRequest, config: FetchConfig, slots: HostSlots,
               deadline: float | None = None) -> FetchResult:
    scheme = urlsplit(request.target).scheme.lower()
    try:
        if scheme in ("http", "https"):
            with slots.for_url(request.target):
                if deadline is not None and time.monotonic() >= deadline:
                    return FetchResult(url=request.url, error="not asked: out of time", late=True)
                return _fetch_http(client, request, config, deadline)
        if is_local_file_url(request.target):
            return _read_file(request.url, request.target, config)
        # The config refuses these; never read any other URL as a local path.
        return FetchResult(url=request.url, error=f"not an http(s) URL or a local file: {request.target}")
    except Exception as exc:  # one feed's failure must never sink the run
        from .addresses import NotPublic

        return FetchResult(url=request.url, error=_describe(exc, config), refused=isinstance(exc, NotPublic))


def _fetch_http(client, request: FetchRequest, config: FetchConfig, until: float | None = None) -> FetchResult:
    """GET with retries on 429/503, all inside one deadline of `timeout`
    (and before `until`, the batch's deadline, when there is one)."""
    deadline = time.monotonic() + config.timeout
    if until is not None and until < deadline:
        deadline = until
    _current.deadline = deadline
    try:
        for attempt in range(MAX_RETRIES + 1):
            result, wait = _attempt(client, request, config, deadline)
            if wait is None or attempt == MAX_RETRIES:
                return result
            if time.monotonic() + wait >= deadline:
                return replace(result, error=f"{result.error} (asked to retry after {wait:g}s, "
                                             f"past the {config.timeout:g}s timeout)")
            time.sleep(wait)
        return result
    finally:
        _current.deadline = None


def _attempt(client, request: FetchRequest, config: FetchConfig, deadline: float) -> tuple[FetchResult, float | None]:
    """One GET. Returns the result and, for a 429/503, the Retry-After wait."""
    headers = _conditional_headers(request.cache)
    if request.accept:
        headers["Accept"] = request.accept
    with client.stream("GET", request.target, headers=headers) as response:
        status = response.status_code
        base = FetchResult(url=request.url, final_url=str(response.url), status=status,
                           moved_to=_moved_to(response, request.target))
        if status == 304:
            return replace(base, not_modified=True, cache=request.cache), None
        if status == 410:
            return replace(base, error=_http_error(status), gone=True, moved_to=None), None
        if status >= 400:
            wait = _retry_after(response.headers.get("retry-after")) if status in RETRY_STATUSES else None
            return replace(base, error=_http_error(status), moved_to=None), wait
        kind = response.headers.get("content-type", "")
        if request.only and kind.split(";")[0].strip().lower() not in request.only:
            return replace(base, error=f"not {' or '.join(request.only)} but {kind or 'no Content-Type'}"), None
        body = _undeclared_gzip(_read_body(response, config.max_bytes, deadline), config.max_bytes)
        cache = CacheHeaders(etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
        return replace(base, body=body, content_type=response.headers.get("content-type", ""), cache=cache), None


def _conditional_headers(cache: CacheHeaders) -> dict[str, str]:
    headers = {}
    if cache.etag:
        headers["If-None-Match"] = cache.etag
    if cache.last_modified:
        headers["If-Modified-Since"] = cache.last_modified
    return headers


def _moved_to(response, asked: str) -> str | None:
    """Where a chain of permanent redirects from `asked` leads, if anywhere.

    Only the permanent hops at the start of the chain count: after a
    temporary one, the publisher has not said the feed moved for good. A
    move to another host counts only when said over https: anyone on the
    path of a plain-http answer (a captive portal, a hotel's Wi-Fi) could
    otherwise move the feed for good with one reply.
    """
    target = None
    hops = [*response.history, response]
    for hop, following in zip(hops, hops[1:]):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        if hop.url.scheme == "http" and following.url.host != hop.url.host:
            break
        target = str(following.url)
    return target if target and target != asked else None


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():  # "²" and "١٢" are digits to Python, not to HTTP
        return float(value) if value.isascii() and len(value) < 10 else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


# ---------------------------------------------------------------- bodies


def _read_body(response, max_bytes: int, deadline: float) -> bytes:
    """The decoded body, stopping at max_bytes (decompressed) or the deadline."""
    decoder = _decoder(response.headers.get("content-encoding", ""))
    parts, size = [], 0
    for raw in response.iter_raw():
        chunk = decoder.decode(raw, max_bytes - size)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge()
        if time.monotonic() > deadline:
            raise TimedOut()
        parts.append(chunk)
    return b"".join(parts)


def _undeclared_gzip(body: bytes, max_bytes: int) -> bytes:
    """A gzip body nobody declared (a .xml.gz file, a server that compresses
    twice): unpack it, under the same cap."""
    if body[:2] != b"\x1f\x8b":
        return body
    unpacked = _Zlib(zlib.MAX_WBITS | 16).decode(body, max_bytes)
    if len(unpacked) > max_bytes:
        raise TooLarge()
    return unpacked


class _Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data


class _Zlib:
    """gzip or deflate; never inflates more than room + 1 bytes of a chunk."""

    def __init__(self, wbits: int | None):
        self._wbits = wbits
        self._z = None if wbits is None else zlib.decompressobj(wbits)

    def decode(self, data: bytes, room: int) -> bytes:
        if self._z is None and data:
            # "deflate" should be zlib-wrapped, but some servers send raw
            # deflate; a zlib stream starts with compression method 8.
            self._z = zlib.decompressobj(zlib.MAX_WBITS if data[0] & 0x0F == 8 else -zlib.MAX_WBITS)
        if self._z is None:
            return b""
        try:
            return self._z.decompress(data, room + 1)
        except zlib.error as exc:
            raise _DecodeError(str(exc)) from None


class _Brotli:
    def __init__(self):
        import brotli

        self._d = brotli.Decompressor()
        self._error = brotli.error

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            return self._d.process(data, output_buffer_limit=room + 1)
        except self._error as exc:
            raise _DecodeError(str(exc)) from None


class _DecodeError(Exception):
    pass


def _decoder(encoding: str):
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Zlib(None)
    if encoding == "br":
        return _Brotli()
    raise _DecodeError(f"unsupported Content-Encoding {encoding!r}")


# ---------------------------------------------------------------- files


def _read_file(url: str, location: str, config: FetchConfig) -> FetchResult:
    """A local feed, under the same size cap and deadline as HTTP: a named
    pipe nobody writes to, or a device, must not hold the build."""
    body = _undeclared_gzip(read_capped(file_path(location), config.max_bytes, config.timeout), config.max_bytes)
    # A file has no Content-Type; say XML so the parser reads the encoding
    # from the document itself instead of flagging the feed as malformed.
    return FetchResult(url=url, body=body, content_type="application/xml", final_url=location)


# ---------------------------------------------------------------- errors


def _http_error(status: int) -> str:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return f"HTTP {status} {phrase}"


def _describe(exc: Exception, config: FetchConfig) -> str:
    """A short, user-facing reason for a failed fetch."""
    httpx = _httpx()

    from .addresses import NotPublic

    if isinstance(exc, NotPublic):
        return str(exc)
    if isinstance(exc, TooLarge):
        return f"too large (over {config.max_bytes:,} bytes), cut off"
    if isinstance(exc, (TimedOut, httpx.TimeoutException)):
        return f"timed out after {config.timeout:g}s"
    if isinstance(exc, _DecodeError):
        return f"cannot decode the response: {_first_line(exc)}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"too many redirects (over {MAX_REDIRECTS})"
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
