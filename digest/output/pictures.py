"""How the email draws a story's picture: a frame with a width and a height
in the picture's own shape, never wider than the column, never upscaled.

Outlook for Windows (the Word engine) ignores `max-width` and `height:auto`
on an `<img>` and draws it at the size its attributes say, else at the
file's own size: a 2,000 px photo without attributes blows the 600 px
layout apart. So every picture the email shows carries `width` and
`height`, and the CSS (`width:100%; height:auto`) lets the other clients
shrink it on a phone.

A picture is drawn across the column only when it is at least
`THUMB_BELOW` px wide; a smaller one (a 128x67 "stamp") and one whose size
could not be had are thumbnails beside the text, with a stated width.
Local files are measured here (`imagesize` reads the header only); remote
pictures are measured ahead of the render by `digest.sources.picturesize`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from ..models import Image

# The card column: the 600 px body less 24 px of padding on each side
# (render.COLUMN_WIDTH says the same; kept here so this module needs no renderer).
COLUMN = 552
# Narrower than this, a picture is a thumbnail: drawn across the column it
# would be upscaled, or sit as a stamp above the headline.
THUMB_BELOW = 300
# A thumbnail's box: this wide at most, and at most this tall (a portrait
# picture is narrowed to keep its shape).
THUMB_WIDTH = 96
THUMB_MAX_HEIGHT = 120
# A picture across the column is at most this tall: a portrait photo is
# drawn narrower, centred, rather than a whole phone screen high.
WIDE_MAX_HEIGHT = 440


@dataclass(frozen=True)
class Frame:
    """Where and how large a picture is drawn. `height` is None only when
    the picture's size is unknown (then it is a thumbnail of `width`)."""

    width: int
    height: int | None
    wide: bool  # across the column (True), or a thumbnail beside the text


def frame(image: Image, wide: bool = True, column: int = COLUMN) -> Frame:
    """The frame of a picture: across the column when `wide` is asked and the
    picture is large enough, else a thumbnail. Sizes keep the picture's
    shape and never exceed its own size."""
    image = measured(image)
    width, height = image.width, image.height
    if not (width and height and width > 0 and height > 0):
        return Frame(THUMB_WIDTH, None, False)
    if wide and width >= THUMB_BELOW:
        shown = min(width, column, round(width * WIDE_MAX_HEIGHT / height))
        if shown >= THUMB_BELOW:
            return Frame(shown, max(1, round(height * shown / width)), True)
    shown = min(width, THUMB_WIDTH, round(width * THUMB_MAX_HEIGHT / height) or 1)
    return Frame(shown, max(1, round(height * shown / width)), False)


def is_wide(image: Image | None) -> bool:
    """Whether the picture can be drawn across the column."""
    return bool(image) and frame(image).wide


def measured(image: Image) -> Image:
    """The image with its size read from the file when it is a local one
    (the file's own size wins over what the feed declared); others as they are."""
    if not image.url.startswith("file:"):
        return image
    size = local_size(image.url)
    if size is None:
        return image
    return replace(image, width=size[0], height=size[1])


@functools.lru_cache(maxsize=1024)
def local_size(url: str) -> tuple[int, int] | None:
    """(width, height) of a local picture (file: URL) from its header, or None."""
    from ..files import file_path
    from ..imagesizes import local_size as size_of_file

    return size_of_file(file_path(url))
