"""The email-sized rendition of a shown picture, where its CDN's address
says how to ask for one.

The email's column is 552 px (600 on a wide screen), so a picture about
`TARGET` px wide (twice the column, for sharp screens) is what it wants: a
feed's 240 px BBC rendition or 720 px Medium one is blurry or a thumbnail,
and NPR's 6,000 px originals cost a reader megabytes for nothing.

Each rule below knows one CDN's address form and asks for the same picture
(the same file, cropped the same way) at another size. A rule is written
only for a form whose resizing is public and unsigned. Left alone:
- the Guardian (i.guim.co.uk): every width is signed (`s=` is a hash of
  the path and query with a secret salt), so another width is refused;
- Vox's thumbor URLs (cdn.vox-cdn.com/thumbor/<signature>/...): signed;
- WordPress sizes of a self-hosted blog (-300x200.jpg): the parser
  already takes the upload itself (sources/pictures.py), and another
  size's height cannot be known from the address.

A rendition's size is read from its file like any picture's
(sources/picturesize.py); when it has none (the CDN said 404, it was not
read in time, or an --offline build has never read it) the next choice is
taken, and last the picture as the feed gave it. YouTube's `hq720.jpg` is
missing for some videos, so its fallback is `mqdefault.jpg`, which every
video has, at a size known in advance.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

TARGET = 1100  # px: about twice the 552 px column


@dataclass(frozen=True)
class Rendition:
    """A picture's address to ask for, and its size when the address
    fixes it (else None: the file is read for it)."""

    url: str
    width: int | None = None
    height: int | None = None


def renditions(url: str) -> list[Rendition]:
    """The renditions of the picture at `url` to try, best first; empty when
    its CDN has no rule here (the picture is used as the feed gave it)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https"):
        return []
    for suffix, rule in RULES:
        if host == suffix or host.endswith("." + suffix):
            return [choice for choice in rule(parts) if choice.url != url]
    return []


def _with(parts: SplitResult, path: str | None = None, query: str | None = None) -> str:
    return urlunsplit(parts._replace(path=parts.path if path is None else path,
                                     query=parts.query if query is None else query))


# ---------------------------------------------------------------- the rules


def youtube(parts: SplitResult) -> list[Rendition]:
    """i.ytimg.com/vi/ID/hqdefault.jpg is 480x360 with black bars above and
    below a 16:9 frame (default 120x90 and sddefault 640x480 too). hq720 is
    the 1280x720 frame, missing for some videos; mqdefault is the 320x180
    frame, which every video has."""
    found = re.fullmatch(r"(/vi/[\w-]+/)(?:default|hqdefault|sddefault|mqdefault)\.jpg", parts.path)
    if not found:
        return []
    folder = found.group(1)
    return [Rendition(_with(parts, path=folder + "hq720.jpg", query="")),
            Rendition(_with(parts, path=folder + "mqdefault.jpg", query=""), 320, 180)]


# BBC's image chef serves its fixed widths only; 976 is the largest the
# news pages use in their own srcsets.
_BBC_WIDTHS = r"(?:85|96|128|144|160|183|192|240|304|320|400|480|560|624|640|660|800)"


def bbc(parts: SplitResult) -> list[Rendition]:
    """ichef.bbci.co.uk/ace/standard/240/cpsprodpb/... and /news/240/...: the
    width is a path segment."""
    bigger = re.sub(rf"^/(ace/standard|ace/ws|news)/{_BBC_WIDTHS}/", r"/\1/976/", parts.path)
    return [Rendition(_with(parts, path=bigger))] if bigger != parts.path else []


def brightspot(parts: SplitResult) -> list[Rendition]:
    """npr.brightspotcdn.com/dims3/default/strip/false/crop/6000x4000+0+0/
    resize/6000x4000!/?url=...: the crop stays, the resize asks for TARGET
    px wide (the form NPR's own pages use). Only when the crop is wider
    (never upscaled), and only dims3 (dims4 addresses are signed)."""
    found = re.match(r"^/dims3/.*?/crop/(\d+)x\d+[^/]*/(?:.*/)?resize/[^/]+/", parts.path)
    if not found or int(found.group(1)) <= TARGET:
        return []
    bigger = re.sub(r"/resize/[^/]+/", f"/resize/{TARGET}/", parts.path, count=1)
    return [Rendition(_with(parts, path=bigger))]


def wordpress(parts: SplitResult) -> list[Rendition]:
    """WordPress.com and its Photon CDN (files.wordpress.com, i0.wp.com) and
    WordPress VIP sites on Photon (The Verge's platform.theverge.com) take
    ?w=N and never upscale. A crop given as h/resize/fit is left alone
    (the picture would be cut differently)."""
    if not parts.path.lower().endswith((".jpg", ".jpeg", ".png", ".webp", ".gif")):
        return []
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = {key.lower() for key, _ in query}
    if keys & {"h", "resize", "fit", "lb"}:
        return []
    widths = [value for key, value in query if key.lower() == "w"]
    if widths and (not widths[0].isdigit() or int(widths[0]) >= TARGET):
        return []
    kept = [(key, value) for key, value in query if key.lower() != "w"] + [("w", str(TARGET))]
    return [Rendition(_with(parts, query=urlencode(kept, safe=",")))]


def medium(parts: SplitResult) -> list[Rendition]:
    """cdn-images-1.medium.com/max/720/... and miro.medium.com/v2/resize:fit:720/...:
    a largest width, never an upscale."""
    for pattern, form in ((r"^/max/(\d+)/", "/max/{}/"), (r"^/v2/resize:fit:(\d+)/", "/v2/resize:fit:{}/")):
        found = re.match(pattern, parts.path)
        if found and int(found.group(1)) < TARGET:
            return [Rendition(_with(parts, path=form.format(TARGET) + parts.path[found.end():]))]
    return []


def substack(parts: SplitResult) -> list[Rendition]:
    """substackcdn.com/image/fetch/h_600,c_limit,.../<original>: Cloudinary
    transforms. With c_limit (fit inside the box, never upscale) the box
    becomes TARGET px wide; a cropping transform (c_fill) is left alone."""
    found = re.match(r"^(/image/fetch/)([^/]+)(/.*)$", parts.path)
    if not found:
        return []
    steps = found.group(2).split(",")
    if "c_limit" not in steps:
        return []
    widths = [int(step[2:]) for step in steps if re.fullmatch(r"w_\d+", step)]
    if widths and widths[0] >= TARGET and not any(re.fullmatch(r"h_\d+", step) for step in steps):
        return []
    sized = [f"w_{TARGET}"] + [step for step in steps if not re.fullmatch(r"[wh]_\d+", step)]
    return [Rendition(_with(parts, path=found.group(1) + ",".join(sized) + found.group(3)))]


# Squarespace serves these widths of an upload (?format=750w); the original
# without one may be several thousand pixels wide.
_SQUARESPACE_WIDTHS = (100, 300, 500, 750, 1000, 1500, 2500)


def squarespace(parts: SplitResult) -> list[Rendition]:
    """images.squarespace-cdn.com/content/...jpg?format=300w: one of its
    fixed widths, the smallest of at least TARGET, when the feed gave a
    smaller one or none."""
    query = parse_qsl(parts.query, keep_blank_values=True)
    formats = [value for key, value in query if key == "format"]
    if formats:
        found = re.fullmatch(r"(\d+)w", formats[0])
        if not found or int(found.group(1)) >= TARGET:
            return []
    width = min(size for size in _SQUARESPACE_WIDTHS if size >= TARGET)
    kept = [(key, value) for key, value in query if key != "format"] + [("format", f"{width}w")]
    return [Rendition(_with(parts, query=urlencode(kept)))]


# The NYT crops a picture into named renditions; these are small ones. The
# "jumbo" rendition (1024 px wide, the picture's own shape) exists for the
# pictures of articles, but not for every one: its size is read, and a
# 404 falls back to the feed's.
_NYT_SMALL = r"(?:moth|thumbStandard|thumbLarge|thumbWide|blogSmallThumb|articleInline|hpSmall|" \
             r"mediumThreeByTwo\d+|mediumSquare\d+|square\d+|articleLarge|popup)"


def nyt(parts: SplitResult) -> list[Rendition]:
    """static01.nyt.com/images/2017/01/07/us/07assess/07assess-moth.jpg."""
    bigger = re.sub(rf"-{_NYT_SMALL}(\.jpg)$", r"-jumbo\1", parts.path)
    return [Rendition(_with(parts, path=bigger, query=""))] if bigger != parts.path else []


RULES: list[tuple[str, Callable[[SplitResult], list[Rendition]]]] = [
    ("ytimg.com", youtube),
    ("img.youtube.com", youtube),
    ("ichef.bbci.co.uk", bbc),
    ("brightspotcdn.com", brightspot),
    ("files.wordpress.com", wordpress),
    ("wp.com", wordpress),
    ("platform.theverge.com", wordpress),
    ("cdn-images-1.medium.com", medium),
    ("miro.medium.com", medium),
    ("substackcdn.com", substack),
    ("cdn.substack.com", substack),
    ("images.squarespace-cdn.com", squarespace),
    ("static01.nyt.com", nyt),
]
