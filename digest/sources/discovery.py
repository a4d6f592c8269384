"""Finding the feed behind what a user typed for `feeds add`: the feed at a
URL or path, or the one a website there advertises or keeps at a usual path."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ..config import FetchConfig
from ..errors import DigestError, FeedError, UsageError
from ..files import file_path
from ..urls import normalize_feed_location

# A host (with a dot, or localhost, or an address), an optional port, a path:
# what people type for a web address without its scheme.
_BARE_WEB_ADDRESS = re.compile(r"^(?:localhost|[\w-]+(?:\.[\w-]+)+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:[/?#].*)?$")


def web_address_candidates(location: str) -> list[str]:
    """`example.org/feed` or `127.0.0.1:8765/x.rss` typed without a scheme,
    when no such file exists here: https first, then http. Else []."""
    if "://" in location or Path(location).expanduser().exists() or not _BARE_WEB_ADDRESS.match(location):
        return []
    return [f"https://{location}", f"http://{location}"]


USUAL_FEED_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.xml", "/rss")


@dataclass(frozen=True)
class Discovered:
    url: str  # the feed's URL
    title: str  # the feed's own title
    how: str  # "feed" (given directly), "link" (advertised by the page), "guess" (a usual path)


def checked_feed(location: str, fetch_config: FetchConfig) -> Discovered:
    """What `feeds add` adds for a URL or a path the user typed: the feed
    there, or the one the website there points to. A URL that cannot be
    reached right now is a DigestError saying how to add it anyway."""
    if "://" in location:
        normalize_feed_location(location, Path.cwd(), UsageError)  # gopher://, file://otherhost/ refused
    url = location if "://" in location else Path(location).as_uri()
    try:
        found = discover_feed(url, fetch_config)
    except FeedError as exc:
        raise Unreachable(f"cannot read {location}: {exc.message}; check the address, or add it without "
                          f"fetching it now: digest feeds add --no-check {shlex.quote(location)}") from None
    return replace(found, url=found.url if "://" in location else location)


def unchecked_feed(location: str) -> str:
    """The feed location as given, for `feeds add --no-check`: it must look
    like an http(s) URL with a host, or be an existing local file."""
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        normalize_feed_location(location, Path.cwd(), UsageError)
        return location
    if "://" in location and scheme != "file":
        raise UsageError(f"{location}: not an http(s) URL or a local file")
    if scheme == "file":
        normalize_feed_location(location, Path.cwd(), UsageError)  # file://otherhost/ refused
    path = file_path(location) if scheme == "file" else Path(location)
    if not path.is_file():
        raise UsageError(f"{location}: no such file (--no-check adds an http(s) URL or an existing file)")
    return location


class Unreachable(DigestError):
    """A feed URL that could not be fetched for `feeds add` (exit 1: it may
    work later, and --no-check adds it anyway)."""


# A page may advertise a thousand feeds that stall: discovery reads the
# first few, and all of it (the page included) ends within this many of the
# fetch timeout.
MAX_ADVERTISED = 8
DISCOVERY_TIMEOUTS = 2


def discover_feed(url: str, fetch_config: FetchConfig) -> Discovered:
    """The feed at url, or the one a website at url points to. Raises
    FeedError when url itself cannot be fetched."""
    import time

    from .htmltext import find_feed_links
    from .parse import parse_feed

    deadline = time.monotonic() + DISCOVERY_TIMEOUTS * fetch_config.timeout
    page = _fetch_one(url, fetch_config)
    try:
        parsed = parse_feed(page.body, page.final_url or url, page.content_type)
        return Discovered(url=url, title=parsed.title, how="feed")
    except FeedError:
        pass
    base = page.final_url or url
    # What a page points to is web content, not something the user typed:
    # only http(s) is followed (a page advertising file:///home/me/... would
    # have the next build mail that file), and usual paths are guessed on
    # web sites only (never /feed, /rss.xml of this machine's disk).
    advertised = list(dict.fromkeys(
        link for link in find_feed_links(page.body[:262144].decode("utf-8", "replace"), base)
        if urlsplit(link).scheme.lower() in ("http", "https")))
    root = urljoin(base, "/")
    guesses = USUAL_FEED_PATHS if urlsplit(base).scheme.lower() in ("http", "https") else ()
    candidates = [(link, "link") for link in advertised[:MAX_ADVERTISED]]
    candidates += [(urljoin(root, path), "guess") for path in guesses if urljoin(root, path) not in advertised]
    tried = unreachable = 0
    for candidate, how in candidates:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        tried += 1
        try:
            found = _fetch_one(candidate, replace(fetch_config, timeout=min(fetch_config.timeout, left)))
        except FeedError:
            unreachable += how == "link"
            continue
        try:
            parsed = parse_feed(found.body, found.final_url or candidate, found.content_type)
        except FeedError:
            continue
        return Discovered(url=candidate, title=parsed.title, how=how)
    if advertised and unreachable == min(len(advertised), MAX_ADVERTISED, tried):
        # Every feed the page names could not be fetched now: that may pass (exit 1, and --no-check).
        raise FeedError(url, f"the page advertises {len(advertised)} feed{'s' if len(advertised) != 1 else ''}, "
                             f"none of which could be fetched now")
    if tried < len(candidates):
        stopped = (f"; stopped after {tried} of {len(candidates)} candidates, "
                   f"{DISCOVERY_TIMEOUTS * fetch_config.timeout:g}s in")
    else:
        stopped = ""
    if advertised:
        shown = f"{len(advertised)} feed{'s' if len(advertised) != 1 else ''}"
        raise UsageError(f"{url}: no feed found: the page advertises {shown}, and none "
                         f"{'of those tried ' if len(advertised) > MAX_ADVERTISED else ''}could be read{stopped}")
    if not guesses:
        raise UsageError(f"{url}: not a feed, and the file advertises no http(s) feed")
    raise UsageError(f"{url}: no feed found (the page advertises no http(s) feed, and none of "
                     f"{', '.join(USUAL_FEED_PATHS)} is a feed){stopped}")


def _fetch_one(url: str, fetch_config: FetchConfig):
    from .fetch import FetchRequest, fetch_all

    result = next(iter(fetch_all([FetchRequest(url)], fetch_config)))
    if result.error:
        raise FeedError(url, result.error)
    return result


