"""What an entry's HTML is taken apart into (blocks, picture candidates), and
the small readings several steps share: captions and credits, pixel sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import clean_text, key_text

# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Block:
    """One block of an entry's text, as a reader sees it."""

    kind: str  # "p" paragraph, "h" heading, "li" list item, "quote", "pre", "caption"
    text: str
    italic: bool = False  # the whole block is emphasis: an editor's note, a series preface
    links: int = 0  # links in the block
    link_share: float = 0.0  # share of its text that is link text
    link_texts: tuple[str, ...] = ()  # the text of each link in it
    # What came right after it in the entry was dropped (a list of links, a
    # credit line): a block ending in ":" then introduces nothing a reader sees.
    before_gap: bool = False


@dataclass(frozen=True)
class Candidate:
    """A picture the entry offers, before the choice."""

    url: str
    origin: str  # "media" (media:content, enclosure, episode art), "thumbnail", "content"
    width: int | None = None
    height: int | None = None
    caption: str = ""
    credit: str = ""
    alt: str = ""
    order: int = 0  # position among the entry's pictures of its origin
    larger: str = ""  # the same picture larger, as the feed names it (a linked image, srcset)
    denser: bool = False  # `larger` is a sharper copy at the same size (srcset "2x"), not a bigger picture


@dataclass
class Taken:
    """One source (HTML or plain text) taken apart."""

    blocks: list[Block] = field(default_factory=list)
    pictures: list[Candidate] = field(default_factory=list)
    credit: str = ""  # a picture credit the text carried ("(Image credit: …)")
    byline: str = ""  # the text's own opening byline line ("By Ben Yu"), as written

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


# ---------------------------------------------------------------- captions and credits

_CREDIT_IN_PARENS = re.compile(
    r"\s*[(\[]\s*(?:(?:photo|image|picture|photograph|foto|credit|credits|source|illustration)s?"
    r"(?:\s+credit)?\s*(?:by|:)?|©)\s*([^()\[\]]+?)\s*[)\]]\s*$", re.I)
_CREDIT_PARENS_AGENCY = re.compile(
    r"\s*\(\s*([^()]*(?:\bvia\b|\bAP Photo\b|/\s*(?:AP|AFP|Reuters|Getty|EPA|PA)\b|\bGetty Images\b|"
    r"\bThe Canadian Press\b|\bfile\b)[^()]*)\)\s*$", re.I)
# "(Jane Doe/Al Jazeera)", "[Jane Doe / Reuters]": a name and an outlet in brackets at the end.
_CREDIT_BRACKET_SLASH = re.compile(
    r"\s*[(\[]\s*([A-ZÀ-ÖØ-Þ][\w.'’-]*(?:\s[A-ZÀ-ÖØ-Þ][\w.'’-]*){0,3}\s*/\s*[A-ZÀ-ÖØ-Þ][^()\[\]]{1,40}?)\s*[)\]]\s*$")
_CREDIT_LABEL = re.compile(
    r"\s*(?:^|(?<=[.!?\s]))(?:photo(?:graph)?s?|image|picture|credit|crédits?(?: photo)?|photo credit|"
    r"cr[eé]dito(?: foto)?|foto|bild|(?:image |photo )?attribution|"
    r"(?:image |photo )?source|illustration)\s*:\s*(.+)$", re.I)
_CREDIT_BAR = re.compile(r"\s+\|\s+([^|]{2,80})$")
_CREDIT_AGENCY = re.compile(
    r"(?:^|\s+)((?:[A-ZÀ-ÖØ-ÞА-Я][\w.'’-]*\s){0,3}[A-ZÀ-ÖØ-ÞА-Я][\w.'’-]*\s*/\s*"
    r"(?:Getty(?: Images)?|AFP|Reuters|AP|EPA|TASS|ТАСС|РИА Новости|Shutterstock|iStock|Alamy|PA|Bloomberg)[^.]*)$")
_COPYRIGHT = re.compile(r"\s*©\s*(.+)$")
# "Illustration by Cath Virginia / The Verge" (the whole caption), "A view of
# the lab. Photo by Ann Lee, courtesy of the University" (at its end).
_CREDIT_BY = re.compile(r"(?:^|(?<=[.!?])\s+)(?:photo(?:graph)?s?|images?|illustrations?|pictures?|artwork)"
                        r"\s+(?:by|courtesy of)\s+([^.!?]{2,120})$", re.I)
_CREDIT_PREFIX = re.compile(
    r"^(?:\(?\s*(?:image|photo|picture|photograph|foto|bild|illustration)s?\s*(?:credit)?\s*(?:by\b|:)|"
    r"credits?\s*:|©|\(c\)|photo by\b|image by\b)\s*", re.I)
_ENLARGE = re.compile(r"^(?:enlarge|view fullsize|expand)\s*[/|:]?\s*", re.I)


def split_caption(text: str) -> tuple[str, str]:
    """(caption, credit) of a caption line: "Enlarge / A train (credit:
    Jane Doe)", "A train. Photo: Jane Doe", "A train | AFP via Getty
    Images", "A train Jane Doe/Reuters", "© Jane Doe"."""
    text = _ENLARGE.sub("", clean_text(text))
    for pattern in (_CREDIT_IN_PARENS, _CREDIT_PARENS_AGENCY, _CREDIT_BRACKET_SLASH, _CREDIT_BAR, _COPYRIGHT,
                    _CREDIT_LABEL, _CREDIT_BY, _CREDIT_AGENCY):
        found = pattern.search(text)
        if found:
            caption = text[:found.start()].strip()
            credit = clean_credit(found.group(1))
            # "(Photo by X/AFP via Getty Images) | AFP via Getty Images": one credit, said twice
            # (The Verge says it three times: "(Photo by X / AFP) (Photo by X/AFP via Getty Images) | …").
            inner = _CREDIT_IN_PARENS.search(caption)
            if inner:
                caption, credit = caption[:inner.start()].strip(), clean_credit(inner.group(1))
                while (inner := _CREDIT_IN_PARENS.search(caption)):
                    caption = caption[:inner.start()].strip()
            return _without_cut_credit(caption), credit
    return _without_cut_credit(text), ""


# A credit the feed's excerpt cut off: "… on July 16, 2025. (Photo by Jade" or "… 2025. (".
_CUT_CREDIT = re.compile(r"\s*[(\[]\s*(?:(?:photo|image|picture|illustration)s?\s*(?:by|credit|:)[^()\[\]]*)?$", re.I)


def _without_cut_credit(caption: str) -> str:
    return _CUT_CREDIT.sub("", caption) if caption.endswith(("(", "[")) or _CUT_CREDIT.search(caption) else caption


def clean_credit(text: str) -> str:
    """A credit without its label ("Photo:", "Photograph:", "©"), a year
    after "©", "All rights reserved", or brackets around it (its own pairs,
    "Juan Pérez (EFE)", kept)."""
    text = _without_outer_brackets(clean_text(text))
    for _ in range(2):
        text = _without_outer_brackets(_CREDIT_PREFIX.sub("", text))
    text = _RIGHTS_RESERVED.sub("", _COPYRIGHT_YEAR.sub("", text))
    return text.rstrip(".").strip()


_COPYRIGHT_YEAR = re.compile(r"^(?:19|20)\d\d\b[,.]?\s+(?=\S)")
_RIGHTS_RESERVED = re.compile(r"[.,]?\s*(?:all rights reserved|tous droits réservés|alle rechte vorbehalten|"
                              r"todos los derechos reservados)\.?\s*$", re.I)


def _without_outer_brackets(text: str) -> str:
    """Spaces and brackets off both ends: a pair around the whole, or one
    left open or closed alone; not a pair inside ("Juan Pérez (EFE)")."""
    text = text.strip(" ")
    while text:
        if text[0] in "([" and text[-1] in ")]" and _balanced(text[1:-1]):
            text = text[1:-1].strip(" ")
        elif text[0] in "([" and not _balanced(text):
            text = text[1:].strip(" ")
        elif text[-1] in ")]" and not _balanced(text):
            text = text[:-1].strip(" ")
        else:
            return text
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += 1 if char in "([" else -1 if char in ")]" else 0
        if depth < 0:
            return False
    return depth == 0


# Alt text that says nothing: a template's unfilled value, a generic word, a file name.
_PLACEHOLDER_ALT = re.compile(
    r"(?i)^(?:undefined|null|none|nil|nan|false|true|alt|image|img|photo|picture|pic|thumbnail|thumb|"
    r"featured[ _-]?image|image[ _-]?\d*|photo[ _-]?\d*|untitled|placeholder|\W*)$"
    r"|^\S+\.(?:jpe?g|png|gif|webp|avif|svg)$|^(?:dsc|img|pxl|dscn|p)[_-]?\d+$"
    # a file size ("62705 B", "1.2 MB"), an address
    r"|^\d[\d,.]*\s*(?:[kmg]i?)?b(?:ytes?)?$|^https?://\S+$")
# A file's name with its extension gone: one token joined by underscores
# ("WeekInReview_thumb_thumb[2]"), ending in a copy number, or words run
# together in capitals ("AppleWatchSeries3-FitnessSportUse").
_FILE_NAME = re.compile(r"^(?=\S*_|\S*\[\d+\]$|(?:\S*?[a-z0-9][A-Z]){2})[\w\[\]().-]{6,}$")
# What the picture's page does when clicked, not what it shows.
_UI_INSTRUCTION = re.compile(r"(?i)\b(?:click|tap)\b.{0,40}\b(?:enlarge|zoom|full|larger|open|view)|点击|點擊|クリック|클릭")
# Words that only say a picture is a picture ("Thumbnail image of graphical
# abstract", "Episode image for <the title>", "Cover art").
_PICTURE_NOUNS = frozenset("thumbnail thumb image img picture pic photo photograph graphic figure icon preview "
                           "artwork art".split())
_PICTURE_WORDS = _PICTURE_NOUNS | frozenset("graphical abstract full-size fullsize full size large larger small "
                                            "enlarged enlarge view open click tap here to of for the a an this "
                                            "episode cover featured link".split())


def picture_alt(text: str, title: str = "") -> str:
    """A picture's alt text, or "" when it says nothing a reader could
    use with images off: a placeholder ("undefined", "image",
    "IMG_2041.jpg"), a file size or name, what clicking it does, words
    that only say it is a picture, or the story's title again."""
    text = clean_text(text)
    if _PLACEHOLDER_ALT.search(text) or _FILE_NAME.match(text) or _UI_INSTRUCTION.search(text):
        return ""
    return "" if names_only_the_picture(text, title) else text


def picture_caption(text: str, title: str = "") -> str:
    """A caption, or "" when it only says the picture is one ("Thumbnail
    image of graphical abstract") or repeats the story's title."""
    return "" if names_only_the_picture(text, title) else text


def names_only_the_picture(text: str, title: str = "") -> bool:
    """The text is the title again, or the title with words that only say
    a picture is a picture ("Episode image for <title>"), or those words
    alone."""
    folded = clean_text(text).casefold()
    if not folded:
        return False
    title_key = key_text(title)
    if title_key and key_text(folded) == title_key:
        return True
    if title and len(title_key) >= 4:
        folded = folded.replace(clean_text(title).casefold(), " ")
    words = re.findall(r"[\w-]+", folded)
    return bool(words) and all(word in _PICTURE_WORDS for word in words) and any(word in _PICTURE_NOUNS for word in words)


# ---------------------------------------------------------------- small helpers


def _is_prose(text: str) -> bool:
    """A title attribute that is a sentence, not a file name ("DSC_4550")."""
    return len(text.split()) >= 3 and not re.search(r"\.(?:jpe?g|png|gif|webp)$", text, re.I)


MAX_PIXELS = 100_000  # a side larger than this is no picture anyone made


def pixels(value) -> int | None:
    """A width or height attribute as whole pixels ("640", "640px", "640.0"), or None."""
    try:
        number = int(float(str(value).strip().rstrip("px")))
    except (TypeError, ValueError, OverflowError):  # "Infinity" overflows, "NaN" is no number
        return None
    return number if 0 <= number <= MAX_PIXELS else None
