"""The pictures an entry names in its media fields (media:content,
media:thumbnail, enclosures), made absolute, and local pictures of a local feed."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import (
    urlsplit,
)

from ..text import clean_text, repair_text
from .blocks import Candidate, clean_credit, pixels
from .htmltext import html_to_text
from .links import _is_web_url, resolved_url
from .pictures import IMAGE_EXTENSIONS

# ---------------------------------------------------------------- pictures


def _media_pictures(entry, base: str, pictures: Path | None) -> list[Candidate]:
    """The pictures the entry names outside its text: media:content images
    (with each one's own caption and credit), thumbnails, image enclosures,
    the episode's art, and a publisher's own image block."""
    found: list[Candidate] = []

    def add(url: str, origin: str, attrs: dict, caption: str = "", credit: str = "") -> None:
        resolved = canonical_image_url(url or "", base, pictures)
        if resolved:
            found.append(Candidate(url=resolved, origin=origin, width=pixels(attrs.get("width")),
                                   height=pixels(attrs.get("height")), caption=repair_text(clean_text(caption)),
                                   credit=clean_credit(credit), order=len(found)))

    for media in entry.get("media_content", []):
        if _looks_like_image(media):
            add(media.get("url"), "media", media, media.get("digest_caption", ""), media.get("digest_credit", ""))
    for enclosure in entry.get("enclosures", []):
        if _looks_like_image(enclosure):
            add(enclosure.get("href") or enclosure.get("url"), "media", enclosure, enclosure.get("digest_caption", ""))
    episode = (entry.get("image") or {}).get("href", "")
    if episode:
        add(episode, "media", {})
    block = _publisher_image_block(entry)
    if block:
        add(*block)
    for key in _PICTURE_ELEMENTS:  # non-standard elements some CMSs write (<bigimage>)
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            add(value.strip(), "media", {})
    for thumbnail in entry.get("media_thumbnail", []):
        add(thumbnail.get("url"), "thumbnail", thumbnail)
    return found


# Un-namespaced picture elements of an item, as feedparser keeps them.
_PICTURE_ELEMENTS = ("bigimage", "largeimage", "mainimage", "leadimage", "featuredimage")


# Of a picture's description, what is read: a caption is a sentence or
# two; the rest never reaches the HTML parser.
MAX_CAPTION_MARKUP = 6000


def _publisher_image_block(entry) -> tuple[str, str, dict, str, str] | None:
    """A publisher namespace's own picture block (<ns:image><ns:url/>
    <ns:source/><ns:description/></ns:image>, which feedparser flattens to
    ns_url, ns_source...): the picture with its caption and credit."""
    for key, value in entry.items():
        if not key.endswith("_url") or key.startswith(("media_", "feedburner_")) or not isinstance(value, str):
            continue
        prefix = key[:-len("_url")]
        if not urlsplit(value).path.lower().endswith(IMAGE_EXTENSIONS):
            continue
        caption = html_to_text((entry.get(f"{prefix}_description", "") or "")[:MAX_CAPTION_MARKUP])
        credit = entry.get(f"{prefix}_source", "") or entry.get(f"{prefix}_credit", "")
        return value, "media", {}, caption, credit
    return None


def _looks_like_image(media: dict) -> bool:
    kind = (media.get("type") or "").lower()
    if kind:
        return kind.startswith("image/")
    if media.get("medium"):
        return media["medium"] == "image"
    path = urlsplit(media.get("url") or media.get("href") or "").path.lower()
    return path.endswith(IMAGE_EXTENSIONS) or "/img/" in path or "/image" in path


# An absolute http(s) URL that urljoin gives back as it is: a host (not
# IPv6, which urlparse checks), no whitespace, no ';' params, no empty '?'
# or '#' (urlunparse drops those).
def canonical_image_url(url: str, base: str, pictures: Path | None = None) -> str:
    """An absolute http(s) URL for the picture, or "" for none. A feed read
    from a local file may also name a picture file beside it by a relative
    path (inside the feed's folder): that becomes a file:// URL, which the
    email carries inside itself."""
    url = clean_text(html.unescape(url or ""))
    local = _local_picture(url, pictures) if pictures else None
    if local:
        return local
    url = resolved_url(base, url) if base else url
    return url if _is_web_url(url) else ""


def _local_picture_folder(feed_url: str) -> Path | None:
    """The folder of a feed read from a local file, where its pictures may be."""
    if urlsplit(feed_url).scheme.lower() != "file":
        return None
    from ..files import file_path

    return file_path(feed_url).resolve().parent


def _local_picture(reference: str, folder: Path) -> str | None:
    """file:// URL of a picture file a relative reference names beside the
    feed file or in a folder at most two levels below it (`images/x.png`);
    None for anything else (a site path like /img/x.jpg, a URL, a file
    elsewhere or that is not there, a hidden file or folder: a feed kept in
    a home folder may not mail what lies around it)."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or parts.query or not parts.path or parts.path.startswith("/"):
        return None
    from urllib.parse import unquote

    path = (folder / unquote(parts.path)).resolve()
    if not path.is_relative_to(folder) or path.suffix.lower() not in IMAGE_EXTENSIONS:
        return None
    inside = path.relative_to(folder).parts
    if len(inside) > MAX_PICTURE_DEPTH + 1 or any(part.startswith(".") for part in inside) or not path.is_file():
        return None
    return path.as_uri()


MAX_PICTURE_DEPTH = 2  # folders below a local feed's own where its pictures may be


def _first(values, key: str) -> str:
    return (values or [{}])[0].get(key, "") if values else ""




# ---------------------------------------------------------------- audio and video

_MEDIA_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4", ".m4v", ".mov",
                     ".webm", ".mkv")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:\.\d+)?$")


def is_audio_or_video(entry) -> bool:
    """The entry stands for an episode or a video: an audio or video
    enclosure, an itunes:duration, a YouTube video, or an audio or video
    media:content that is the entry's first or states its length. Its text
    is then the notes, not the thing: it has no reading time. A video named
    after the story's picture, with no length (HuffPost's clip inside a
    400-word article), is embedded in an article, which keeps its time."""
    if entry.get("itunes_duration") or entry.get("yt_videoid") or _VIDEO_PAGE.match(entry.get("link") or ""):
        return True
    if any(_is_audio_or_video_file(enclosure) for enclosure in entry.get("enclosures", [])):
        return True
    return any(_is_audio_or_video_file(media) and (at == 0 or parse_duration(str(media.get("duration") or "")))
               for at, media in enumerate(entry.get("media_content", [])))


# A link to a video's own page: the entry is the video, its text the notes.
_VIDEO_PAGE = re.compile(r"^https?://(?:(?:www\.|m\.)?youtube\.com/(?:watch\?|shorts/|live/)|youtu\.be/|"
                         r"(?:www\.)?vimeo\.com/\d+|(?:www\.)?dailymotion\.com/video/)", re.I)


def _is_audio_or_video_file(media: dict) -> bool:
    kind = (media.get("type") or "").lower()
    medium = (media.get("medium") or "").lower()
    path = urlsplit(media.get("href") or media.get("url") or "").path.lower()
    return kind.startswith(("audio/", "video/")) or medium in ("audio", "video") or (
        not kind and not medium and path.endswith(_MEDIA_EXTENSIONS))


def duration_seconds(entry) -> int | None:
    """The episode's or video's length as the feed states it:
    itunes:duration (seconds, MM:SS or HH:MM:SS), else a media:content
    duration (seconds). None when neither gives a length above zero."""
    stated = [entry.get("itunes_duration") or ""]
    stated += [media.get("duration") or "" for media in entry.get("media_content", [])]
    for value in stated:
        seconds = parse_duration(str(value))
        if seconds:
            return seconds
    return None


def parse_duration(value: str) -> int | None:
    """'5400', '5400.5', '90:00', '1:30:00' -> seconds; None for anything else."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        clock = _CLOCK.match(value)
        if not clock:
            return None
        hours, minutes, secs = int(clock.group(1) or 0), int(clock.group(2)), int(clock.group(3))
        if secs >= 60:
            return None  # ("00:60:05" is read as written: an hour and five seconds)
        seconds = hours * 3600 + minutes * 60 + secs
    # Above a day it is not a length (a byte count in the wrong field).
    return round(seconds) if 0 < seconds < 86400 else None
