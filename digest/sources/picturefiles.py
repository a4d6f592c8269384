"""The bytes of the pictures an edition shows, for a format that carries
them inside itself (the EPUB): local files read capped and under a
deadline, remote ones fetched by fetch.py (whole-request deadline, size
cap, per-host limit), only from public hosts or the story's own feed host
(as picturesize.py reads them). A picture that cannot be had, or is not
a whole PNG, JPEG or GIF (signature, size, end), is left out; the edition is made without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from ..config import FetchConfig
from ..models import PictureFile, Story

MAX_PICTURE = 2 * 1024 * 1024  # bytes: a larger picture is left out
MAX_PICTURES = 60  # per edition (the stories shown have one each at most)
TIMEOUT = 15.0  # seconds for one picture, at most (the config's fetch timeout if shorter)
LOCAL_TIMEOUT = 5.0
_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF87a": "image/gif",
          b"GIF89a": "image/gif"}


def picture_files(stories: Iterable[Story], fetch: FetchConfig) -> dict[str, PictureFile]:
    """{picture URL: its bytes} for the stories' pictures that could be
    had; the others are not in it."""
    wanted: dict[str, str] = {}  # picture URL -> the feed it came with
    for story in stories:
        if story.image and len(wanted) < MAX_PICTURES:
            wanted.setdefault(story.image.url, story.item.feed_url)
    found = {}
    for url in wanted:
        if urlsplit(url).scheme.lower() == "file":
            picture = _local(url)
            if picture:
                found[url] = picture
    remote = {url: feed for url, feed in wanted.items() if urlsplit(url).scheme.lower() in ("http", "https")}
    found.update(_remote(remote, fetch))
    return found


def _local(url: str) -> PictureFile | None:
    from ..files import TimedOut, TooLarge, file_path, read_capped

    try:
        return _picture(read_capped(file_path(url), MAX_PICTURE, LOCAL_TIMEOUT))
    except (OSError, TooLarge, TimedOut, ValueError):
        return None


def _remote(pictures: dict[str, str], fetch: FetchConfig) -> dict[str, PictureFile]:
    from .fetch import FetchRequest, fetch_all
    from .picturesize import _may_read, timed_out_lately

    # A picture whose size probe ran out of time in this build is not waited
    # for a second time: 50 of them on a slow host took 150 s.
    allowed = [url for url, feed in pictures.items()
               if _may_read(url, (urlsplit(feed).hostname or "").lower()) and not timed_out_lately(url)]
    if not allowed:
        return {}
    bounds = replace(fetch, max_bytes=min(fetch.max_bytes, MAX_PICTURE), timeout=min(fetch.timeout, TIMEOUT))
    found = {}
    for result in fetch_all([FetchRequest(url) for url in allowed], bounds):
        picture = _picture(result.body) if result.ok and not result.not_modified else None
        if picture:
            found[result.url] = picture
    return found


# How each kind ends: a picture cut short (a truncated download) or only a
# signature (SOI, a JFIF header, EOI) is not a picture a reader can show,
# and epubcheck calls the book corrupt (PKG-021).
_TRAILERS = {"image/png": (b"IEND\xaeB`\x82", 64), "image/jpeg": (b"\xff\xd9", 1024), "image/gif": (b";", 16)}


def _picture(data: bytes) -> PictureFile | None:
    """The bytes as a picture when they are a whole PNG, JPEG or GIF: the
    signature, a size imagesize can read (a JPEG's frame header), the end."""
    import io

    import imagesize

    kind = next((media for magic, media in _MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        return None
    trailer, within = _TRAILERS[kind]
    if trailer not in data[-within:]:
        return None
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - imagesize raises what its parsers meet on junk
        return None
    return PictureFile(data, kind) if width > 0 and height > 0 else None
