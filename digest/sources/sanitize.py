"""Feed HTML made safe for an email: nh3 with an allow-list, tracking pixels out."""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache
from urllib.parse import (
    urlsplit,
)

from ..text import strip_control
from .blocks import pixels
from .extract import _ANY_TAG, MAX_DEPTH, MAX_HTML, _nesting_depth
from .pictures import _BEACONS, _NOT_A_PICTURE_HOST

# ---------------------------------------------------------------- sanitizing

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
    "time": {"datetime"},
}
_DROP_WITH_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "svg", "math", "form",
                      "button", "select", "textarea"}
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_IMG_ATTR = re.compile(r"""(\w+)\s*=\s*"([^"]*)\"""")


def sanitize_html(raw: str, base: str = "") -> str:
    """Feed HTML -> HTML safe for an email: an allow-list, no active content,
    relative URLs resolved against base (or dropped), tracking pixels gone."""
    import nh3

    if not raw:
        return ""
    text = strip_control(raw[:MAX_HTML * 5])
    if _nesting_depth(text) > MAX_DEPTH:
        # html5ever (nh3's parser) takes time growing with the square of the
        # depth: 80,000 nested <div>s were 37 s. No article nests that deep:
        # its text alone, as one paragraph.
        text = "<p>" + htmllib.escape(htmllib.unescape(_ANY_TAG.sub(" ", text))) + "</p>"
    if urlsplit(base).scheme in ("http", "https") and not _only_absolute_urls(text):
        cleaned = nh3.clean(text, url_relative=("rewrite_with_base", base), **_SANITIZER)
    else:
        cleaned = _shared_sanitizer().clean(text)
    # nh3 turns character references (&#xFFFF;) into the characters themselves.
    cleaned = strip_control(cleaned)
    return _IMG_TAG.sub(_drop_pixel, cleaned) if "<img" in cleaned else cleaned


_SANITIZER = dict(tags=_ALLOWED_TAGS, clean_content_tags=_DROP_WITH_CONTENT, attributes=_ALLOWED_ATTRIBUTES,
                  url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer", strip_comments=True)
# "href" or "src" as a word, in any case (with the U+017F long s re.I
# also matches for s), spelled letter by letter, the word boundary looked
# back at from the first letter, so the regex engine skips ahead to an h or
# an s: under re.I it tried every position, and the two findall() over the
# whole HTML were 40% of sanitizing.
_URL_ATTRIBUTE = re.compile(r"[hHsSſ](?<=\b[hHsSſ])(?:(?<=[hH])[rR][eE][fF]|(?<=[sSſ])[rR][cC])\b")
_ABSOLUTE_URL_VALUE = r"""\s*=\s*["']?\s*(?:https?|mailto):"""
# The first href or src that is not followed by an absolute URL: one search
# where a generator tried the value after each (a quarter of sanitizing).
_NOT_ABSOLUTE = re.compile(rf"{_URL_ATTRIBUTE.pattern}(?!(?i:{_ABSOLUTE_URL_VALUE}))")


def _only_absolute_urls(html: str) -> bool:
    """Whether every href and src the HTML has (even as a word in its text)
    is an attribute with an absolute http(s) or mailto URL: then no base
    can change what nh3 makes of it (a relative URL is the only kind a base
    rewrites), and one sanitizer built once serves (building nh3's per
    call was two thirds of its cost). Stops at the first that is not."""
    return _NOT_ABSOLUTE.search(html) is None


@lru_cache(maxsize=1)
def _shared_sanitizer():
    """The sanitizer for HTML in which a relative URL is dropped (no base)
    or has none to rewrite."""
    import nh3

    return nh3.Cleaner(url_relative="deny", **_SANITIZER)


def _drop_pixel(match: re.Match) -> str:
    """Tracking pixels (0-2 px, beacon paths) and the trackers' and ad
    servers' images go; the rest stays."""
    attrs = {k.lower(): htmllib.unescape(v) for k, v in _IMG_ATTR.findall(match.group(0))}
    url = attrs.get("src", "")
    sizes = [pixels(attrs.get("width")), pixels(attrs.get("height"))]
    pixel = (not url or any(marker in url.lower() for marker in _BEACONS)
             or any(size is not None and size <= 2 for size in sizes)
             or bool(_NOT_A_PICTURE_HOST.search(urlsplit(url).hostname or "")))
    return "" if pixel else match.group(0)


