"""Choosing an entry's picture among its candidates: not an icon, a beacon,
a banner or a picture the whole feed repeats; the largest rendition."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import (
    parse_qsl,
    urlencode,
    urlsplit,
    urlunsplit,
)

from ..models import Image
from ..text import clean_text
from .blocks import Candidate, clean_credit, picture_alt, picture_caption, split_caption
from .links import MAX_URL_CHARS

# ---------------------------------------------------------------- choosing the picture

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".jfif")
_NOT_A_PICTURE_PATH = re.compile(
    r"(?:^|[/_.\-=])(?:avatars?|gravatar|icons?|favicon|buttons?|btn|badges?|sprites?|emoji|emoticons?|"
    r"smil(?:ies|ey)|share|sharing|social|facebook|twitter|linkedin|pinterest|whatsapp|reddit|rss|feed-?icon|"
    r"e-?mail(?=\.(?:png|gif)$)|filetypes?|bnr|undefined|null|"
    r"subscribe|donate|donation|paypal|patreon|signature|spacer|blank|tracking|tracker|"
    r"counter|1x1|transparent|beacon|wp-smiley|flair|shim|ads?|advert|advertisement|doubleclick|profile_images|"
    r"headshots?)(?:[/_.\-=]|\d|$)", re.I)
_NOT_A_PICTURE_HOST = re.compile(
    r"(?:^|\.)(?:gravatar\.com|feedburner\.com|feedproxy\.google\.com|feedsportal\.com|doubleclick\.net|"
    r"googlesyndication\.com|googleadservices\.com|pixel\.wp\.com|stats\.wordpress\.com|scorecardresearch\.com|"
    r"rss\.slashdot\.org|avatars\d*\.githubusercontent\.com|badge\.fury\.io|shields\.io|"
    r"feeds\.[\w-]+\.(?:com|net|org)|pheedo\.com|addtoany\.com|sharethis\.com)$", re.I)
# "pixel" and "banner" name a beacon or an ad only as the whole file name
# ("pixel.gif", "banner2.png") or a folder ("/banners/"): a photo of the
# Pixel phone ("google-pixel-7-review.jpg") or a blog's lead image named
# "<slug>-banner.png" is a picture.
_BEACON_OR_AD_NAME = re.compile(r"/(?:pixel|banners?|ad-?banner)(?:[_-]?\d+)?(?:/|\.\w+$|$)", re.I)
# A UUID or a long hash in a path names nothing: PRX's ".../images/ad5453f1-3ccc-.../episodes58.jpg"
# is no ad because its id starts with "ad5".
_HEX_ID = re.compile(r"(?<![0-9a-z])(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{16,})(?![0-9a-z])", re.I)
_BEACONS = ("/_/stat", "/~r/", "/~ff/", "/~a/", "/~c/", "/pixel.", "/pixel?", "/beacon", "/track/open", "/b/ss/")
MIN_SIDE = 100  # px: declared smaller than this both ways is an icon, a button or a badge
MIN_EDGE = 40  # px: a side shorter than this is a strip, a rule or a pixel row
MAX_ASPECT = 5.0  # wider (or taller) than this is a banner or a strip (728x90, 468x60, 320x50)
# A small PNG or GIF in the text is a typeset formula, an inline diagram or
# an icon; a small JPEG is still a photo (a thumbnail).
SMALL_INLINE = (300, 150)


def choose_picture(candidates: Iterable[Candidate], feed_wide: frozenset[str] = frozenset(),
                   entry_caption: str = "", entry_credit: str = "", text_credit: str = "",
                   title: str = "") -> Image | None:
    """The story's picture: the publisher's own (media:content, an image
    enclosure, the episode's art) before the first real picture of the
    text, before a thumbnail; in its largest known rendition (its caption
    and alt without words that only repeat `title` or say it is a picture). Avatars,
    icons, buttons, badges, banners, pixels, and whatever picture most
    items of the feed repeat (a logo, the show's art, a share button) are
    never chosen."""
    found = []
    for candidate in candidates:
        larger = _largest_rendition(candidate)
        # What it is shows in its own address (an avatar service, an icon)
        # and in the size it is drawn at (the larger rendition's, if any).
        if _not_a_picture(replace(candidate, width=larger.width, height=larger.height)) or _not_a_picture(larger) \
                or candidate.url in feed_wide or larger.url in feed_wide:
            continue
        found.append(larger)
    if not found:
        return None
    best = min(found, key=_preference)
    # The same picture named twice (media:content and an <img>): what each says of it.
    for other in found:
        if other is not best and _same_picture(other.url, best.url):
            best = replace(best, caption=best.caption or other.caption, credit=best.credit or other.credit,
                           width=best.width or other.width, height=best.height or other.height,
                           alt=best.alt or other.alt)
    caption, credit = best.caption, best.credit
    if best.origin != "content":  # entry-level media text belongs to the media picture
        caption = caption or entry_caption
        credit = credit or entry_credit
    if caption and not credit:
        caption, credit = split_caption(caption)
    elif caption:
        # The credit given apart and again at the caption's end ("… | Photo: X / The Verge").
        stripped, said = split_caption(caption)
        if said and (_same_credit(said, credit) or stripped != caption and said in caption):
            caption = stripped
    caption, credit = picture_caption(clean_text(caption), title), clean_credit(credit or text_credit)
    # A size is given as a pair or not at all (a width alone stretches it).
    known = bool(best.width and best.height)
    return Image(url=best.url, caption=caption, credit=credit, width=best.width if known else None,
                 height=best.height if known else None, alt=picture_alt(best.alt, title) or caption)


def _same_credit(a: str, b: str) -> bool:
    fold = lambda text: re.sub(r"\W+", "", clean_credit(text)).casefold()  # noqa: E731
    return bool(fold(a)) and (fold(a) in fold(b) or fold(b) in fold(a))


def _preference(candidate: Candidate) -> tuple:
    small = bool(candidate.width and candidate.width < 300)
    tier = {"media": 0, "content": 1, "thumbnail": 2}.get(candidate.origin, 1)
    if small and tier < 2:
        tier += 2  # a tiny publisher image loses to a real picture in the text
    return (tier, -(candidate.width or 0) if candidate.origin != "content" else 0, candidate.order)


# Words that name a page's furniture even inside a longer file name.
_FURNITURE = re.compile(r"(?:^|[_.\-])(?:icons?|favicon|buttons?|btn|badges?|sprites?|smil(?:ies|ey)|spacer|1x1|"
                        r"transparent|beacon|tracking|tracker|pixel|avatars?|gravatar|placeholder)(?:[_.\-]|\d|$)", re.I)


def _is_story_slug(file_name: str) -> bool:
    """A file named for its story ("twitter-ceo-musk-court.jpg",
    "ad-revenue-chart.png"): three words or more, none of them a page's
    furniture. Its words are the story's subject, not what the file is."""
    stem = file_name.rsplit(".", 1)[0]
    words = [word for word in re.split(r"[-_.\s]+", stem) if re.search(r"[^\W\d_]{2,}", word)]
    return len(words) >= 3 and not _FURNITURE.search(stem)


def _declares_a_photo(candidate: Candidate) -> bool:
    """The feed states a photo's size (1600x900): no icon, button or badge is that large."""
    return bool(candidate.width and candidate.height and candidate.width >= 600 and candidate.height >= 300)


def _not_a_picture(candidate: Candidate) -> bool:
    url = candidate.url
    if len(url) > MAX_URL_CHARS:
        return True
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https", "file") or (parts.scheme.lower() != "file" and not parts.netloc):
        return True
    path = parts.path.lower()
    if path.endswith((".svg", ".ico")) or any(marker in url for marker in _BEACONS):
        return True
    named = _HEX_ID.sub("/", parts.path) if _HEX_ID.search(parts.path) else parts.path
    folder, _, file_name = named.rpartition("/")
    if _NOT_A_PICTURE_HOST.search(parts.hostname or "") or _NOT_A_PICTURE_PATH.search(folder + "/") \
            or (not (_is_story_slug(file_name) or _declares_a_photo(candidate))
                and _NOT_A_PICTURE_PATH.search("/" + file_name)) \
            or _BEACON_OR_AD_NAME.search(named):
        return True
    if re.search(r"(?:^|&)(?:s|size)=(?:[1-9]\d?|1[01]\d)(?:&|$).*\bd=|\bd=(?:identicon|mm|retro|wavatar|monsterid|blank)",
                 parts.query):
        return True  # an avatar service's query
    width, height = candidate.width, candidate.height
    sides = [side for side in (width, height) if side is not None]
    if sides and (max(sides) < MIN_SIDE or min(sides) < MIN_EDGE):
        return True
    if width and height and max(width / height, height / width) > MAX_ASPECT:
        return True
    if candidate.origin == "content" and path.endswith((".png", ".gif")) and width and height \
            and ((width < SMALL_INLINE[0] and height < SMALL_INLINE[1]) or height < 100):
        return True
    return False


def _same_picture(a: str, b: str) -> bool:
    return _picture_key(a) == _picture_key(b)


def _picture_key(url: str) -> str:
    """The same picture in another size or upload has the same host and
    file name (sizes in the path or name taken out)."""
    parts = urlsplit(url)
    name = re.sub(r"-\d+x\d+(?=\.\w+$)", "", parts.path.rsplit("/", 1)[-1])
    return f"{parts.netloc.split('.', 1)[-1]}/{name}".lower()


def _largest_rendition(candidate: Candidate) -> Candidate:
    """The same picture larger, where the feed names it (a linked image, a
    srcset) or the platform's URL form gives it (Blogger /s72-c/, YouTube
    default.jpg, WordPress -150x150.jpg and ?w=150)."""
    if candidate.larger and _looks_like_picture_path(candidate.larger):
        if candidate.denser:  # drawn at the same size: its size still says what it is
            return replace(candidate, url=candidate.larger, larger="")
        return replace(candidate, url=candidate.larger, width=None, height=None, larger="")
    url = candidate.url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path, query = parts.path, parts.query
    if host.endswith(("blogspot.com", "googleusercontent.com", "blogger.com")):
        bigger = re.sub(r"/(?:s\d+|w\d+-h\d+)(?:-[a-z]+)*/", "/s1600/", path, count=1)
        bigger = re.sub(r"=s\d+(?:-c)?$", "=s1600", bigger)
        if bigger != path:
            return replace(candidate, url=urlunsplit(parts._replace(path=bigger)), width=None, height=None)
    if host.endswith(("ytimg.com", "youtube.com")):
        bigger = re.sub(r"/(?:default|mqdefault)\.jpg$", "/hqdefault.jpg", path)
        if bigger != path:
            return replace(candidate, url=urlunsplit(parts._replace(path=bigger)), width=480, height=360)
    if host.endswith(("wordpress.com", "wp.com")) and query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                if k.lower() not in ("w", "h", "resize", "fit", "crop", "zoom")]
        if len(kept) != len(parse_qsl(query, keep_blank_values=True)):
            return replace(candidate, url=urlunsplit(parts._replace(query=urlencode(kept))), width=None, height=None)
    if "/wp-content/uploads/" in path:
        bigger = re.sub(r"-\d{2,4}x\d{2,4}(?=\.\w+$)", "", path)
        if bigger != path:
            return replace(candidate, url=urlunsplit(parts._replace(path=bigger)), width=None, height=None)
    return candidate


def _looks_like_picture_path(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS)


def _largest_in_srcset(srcset: str) -> tuple[str, bool]:
    """The largest picture of a srcset, by its width ("800w") or density
    ("2x"), and whether it is a density (the same size, only sharper)."""
    best, best_size, density = "", 0.0, False
    for entry in srcset.split(","):
        bits = entry.split()
        if len(bits) != 2 or bits[1][-1:] not in ("w", "x"):
            continue
        try:
            size = float(bits[1][:-1]) * (1 if bits[1].endswith("w") else 1000)
        except ValueError:
            continue
        if size > best_size:
            best, best_size, density = bits[0], size, bits[1].endswith("x")
    return best, density


def feed_wide_pictures(per_entry: list[list[Candidate]], feed_images: Iterable[str] = ()) -> frozenset[str]:
    """Pictures that are the feed's, not a story's: its own logo or cover
    art, and any picture most of its items repeat (a share button, a
    signature, the show's artwork)."""
    counts: dict[str, int] = {}
    in_text: set[str] = set()
    for candidates in per_entry:
        for url in {c.url for c in candidates}:
            counts[url] = counts.get(url, 0) + 1
        in_text.update(c.url for c in candidates if c.origin != "media")
    entries = len(per_entry)
    # Most items; and a picture in the text or a thumbnail on ten or more
    # different stories, or on a fifth of them (a donation GIF, a "support
    # us" banner): no story's own picture is on ten others. The publisher's
    # own media picture needs most items: a season's episode art on a third
    # of a show's episodes still tells the season (golden wondery-1865).
    repeated = {url for url, n in counts.items()
                if entries >= 3 and n >= 3 and (n >= entries // 2 + 1 or (url in in_text and (n >= 10 or n * 5 >= entries)))}
    return frozenset(repeated | {url for url in feed_images if url and not _borrowed_episode_art(url, per_entry, counts)})


def _borrowed_episode_art(url: str, per_entry: list[list[Candidate]], counts: dict[str, int]) -> bool:
    """The channel's image is one item's own art, borrowed: every item (three
    or more) names a media picture of its own that no other item repeats,
    and this is one item's (No Agenda's channel art is the newest episode's,
    "na-1393-art-feed.png"). That item keeps it; a show whose items repeat
    the logo, or name none, does not."""
    return len(per_entry) >= 3 and counts.get(url) == 1 and all(
        any(c.origin == "media" and counts.get(c.url) == 1 for c in candidates) for candidates in per_entry)


