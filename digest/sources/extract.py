"""An entry's HTML taken apart: text blocks, the picture with its caption
and credit; captions, promo, bylines, link lists and pixels out; and the
sanitized HTML the store keeps.

Between parse.py (feedparser -> the entry's parts) and summarize.py
(sentences -> summary and lead). What a reader sees on a story card comes
from here: which picture, which caption and credit, and where the story's
own text begins.

The HTML is walked with selectolax (Lexbor, an HTML5 parser in C: fast,
and it builds the same tree a browser would from the tag soup feeds carry),
once per source (content, summary, media:description), into blocks that
know their kind (paragraph, heading, list item, quote, caption) and how much
of them is links. Every decision below is made on those blocks, by what a
thing is (a figcaption, a list of links, a 1x1 image, an avatar service's
URL, a picture every item of the feed repeats), never per publisher.
"""

from __future__ import annotations

import html as htmllib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .models import Image
from .text import clean_text, key_head, key_text, strip_control

# What is taken apart of one source: a title is a line, and a lead needs
# the first few KB; a 5 MB body must cost no more than a normal one.
MAX_HTML = 200_000
MAX_BLOCKS = 400


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

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


# ---------------------------------------------------------------- walking HTML

_DROP = frozenset("""script style noscript iframe object embed svg math form button select textarea
    template head title audio source track canvas map link meta input""".split())
_BLOCK_KIND = {
    "p": "p", "div": "p", "section": "p", "article": "p", "header": "p", "footer": "p", "main": "p",
    "aside": "p", "center": "p", "address": "p", "dd": "p", "dt": "p", "td": "p", "th": "p", "tr": "p",
    "table": "p", "tbody": "p", "thead": "p", "tfoot": "p", "dl": "p", "ul": "p", "ol": "p", "hr": "p",
    "h1": "h", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h",
    "li": "li", "blockquote": "quote", "pre": "pre", "figcaption": "caption", "figure": "p",
    "caption": "caption",
}
_CAPTION_CLASS = re.compile(r"caption|credit|wp-caption-text|photo-?info|image-?source|(?:^|[\s_-])cap\d", re.I)
_ITALIC = frozenset({"em", "i"})
_ITALIC_STYLE = re.compile(r"font-style\s*:\s*italic", re.I)
_CENTERED = re.compile(r"text-align\s*:\s*center", re.I)
_OPENS_BLOCK, _OPENS_ITALIC = 1, 2  # what an element's start opens, for its end to close


class _Walker:
    """Collects blocks and pictures from a tree, in reading order."""

    def __init__(self):
        self.taken = Taken()
        self._parts: list[str] = []
        self._link_parts: list[str] = []
        self._link_texts: list[str] = []
        self._link_chars = 0
        self._links = 0
        self._italic_chars = 0
        self._kinds: list[str] = ["p"]
        self._italic = 0
        self._link = 0
        self._figure_first: list[int] = []  # index of the first picture of each open figure
        self._last_picture_block = -1  # blocks before the last picture

    # -- text
    def text(self, data: str) -> None:
        if not data:
            return
        self._parts.append(data)
        if self._link:
            self._link_chars += len(data.strip())
            self._link_parts.append(data)
        if self._italic:
            self._italic_chars += len(data.strip())

    def flush(self) -> None:
        if not self._parts:
            # Nothing read since the last flush (most are at a block's start
            # or end right after another): the counts of text are still 0.
            self._links = 0
            if self._link_texts:
                self._link_texts = []
            return
        # One line, and nothing a mail cannot carry: the HTML parser turns
        # &#xFFFF; into the character itself (so in every text taken here).
        text = clean_text("".join(self._parts))
        link_chars, italic_chars, links = self._link_chars, self._italic_chars, self._links
        link_texts = tuple(self._link_texts)
        self._parts, self._link_chars, self._italic_chars, self._links = [], 0, 0, 0
        self._link_texts = []
        if not text or len(self.taken.blocks) >= MAX_BLOCKS:
            return
        kind = self._kinds[-1]
        visible = max(1, len(text.replace(" ", "")))
        block = Block(kind=kind, text=text, italic=italic_chars >= 0.9 * visible,
                      links=links, link_share=min(1.0, link_chars / visible), link_texts=link_texts)
        if kind == "caption":
            self._caption(text)
            return
        self.taken.blocks.append(block)

    def _caption(self, text: str) -> None:
        """A figcaption or caption block describes the picture it follows."""
        pictures = self.taken.pictures
        if self._figure_first and self._figure_first[-1] < len(pictures):
            target = self._figure_first[-1]
        elif pictures and self._last_picture_block == len(self.taken.blocks):
            target = len(pictures) - 1
        else:
            return  # a caption with no picture next to it: still not story text
        picture = pictures[target]
        caption, credit = split_caption(text)
        pictures[target] = replace(picture, caption=picture.caption or caption, credit=picture.credit or credit)

    # -- structure
    def start(self, node, tag: str) -> int | None:
        """What the element opens (_OPENS_BLOCK, _OPENS_ITALIC), for end()
        to close; None when its content is to be skipped."""
        if tag in _DROP:
            if tag == "noscript":
                self._noscript_pictures(node)
            return None
        if tag == "br":
            self.flush()
            return None
        if tag == "img":
            self._picture(node)
            return None
        opens = 0
        attributes = node.attributes  # built anew at each access
        if tag in ("video", "picture"):
            poster = (attributes.get("poster") or "").strip()
            if poster:
                self._add(Candidate(url=poster, origin="content"))
        kind = _BLOCK_KIND.get(tag)
        classes = attributes.get("class") or ""
        style = attributes.get("style") or ""
        if kind is None and tag in ("span", "p", "div") or kind == "p":
            if classes and _CAPTION_CLASS.search(classes) and tag != "figure":
                kind = "caption"
            elif tag in ("div", "p") and self._picture_just_before() and _CENTERED.search(style) \
                    and _reads_as_caption(node.text(deep=True)):
                kind = "caption"  # a centered line right under a picture (Blogger, WordPress)
        if kind is not None:
            self.flush()
            self._kinds.append(kind if self._kinds[-1] != "caption" else "caption")
            if tag == "figure":
                self._figure_first.append(len(self.taken.pictures))
            opens = _OPENS_BLOCK
        if tag in _ITALIC or _ITALIC_STYLE.search(style):
            self._italic += 1
            opens |= _OPENS_ITALIC
        if tag == "a":
            self._link += 1
            self._links += 1
        return opens

    def end(self, tag: str, opened: int) -> None:
        """Closes what start() said the element opened (the walk is nested:
        an element ends after everything inside it)."""
        if opened & _OPENS_ITALIC:
            self._italic -= 1
        if tag == "a":
            self._link -= 1
            if not self._link:
                self._link_texts.append(clean_text("".join(self._link_parts)))
                self._link_parts = []
        if opened & _OPENS_BLOCK:
            self.flush()
            if len(self._kinds) > 1:
                self._kinds.pop()
            if tag == "figure" and self._figure_first:
                self._figure_first.pop()

    def _picture_just_before(self) -> bool:
        return bool(self.taken.pictures) and self._last_picture_block == len(self.taken.blocks) \
            and not "".join(self._parts).strip()

    # -- pictures
    def _picture(self, node) -> None:
        attrs = {k.lower(): (v or "") for k, v in node.attributes.items()}
        src = attrs.get("src", "").strip()
        lazy = attrs.get("data-src") or attrs.get("data-lazy-src") or attrs.get("data-original") or ""
        if lazy and (not src or src.startswith("data:") or "placeholder" in src or "blank" in src):
            src = lazy.strip()
        if not src:
            return
        parent = node.parent
        linked = ""
        while parent is not None and parent.tag not in ("body", "html"):
            if parent.tag == "a":
                href = (parent.attributes.get("href") or "").strip()
                if _looks_like_picture_path(href):
                    linked = href
                break
            parent = parent.parent
        width, height = pixels(attrs.get("width")), pixels(attrs.get("height"))
        srcset, density = _largest_in_srcset(attrs.get("srcset", ""))
        title = clean_text(attrs.get("title", ""))
        caption = attrs.get("data-caption", "") or (title if _is_prose(title) else "")
        credit = attrs.get("data-credit", "") or attrs.get("data-portal-copyright", "") or attrs.get("data-copyright", "")
        self._add(Candidate(
            url=src, origin="content", width=width, height=height, caption=clean_text(htmllib.unescape(caption)),
            credit=clean_credit(htmllib.unescape(credit)), alt=clean_text(attrs.get("alt", "")),
            larger=linked or srcset, denser=not linked and density,
        ))

    def _noscript_pictures(self, node) -> None:
        """Lazy-loading themes put the real <img> inside <noscript>."""
        for img in node.css("img"):
            self._picture(img)

    def _add(self, candidate: Candidate) -> None:
        self.flush()
        self.taken.pictures.append(replace(candidate, order=len(self.taken.pictures)))
        self._last_picture_block = len(self.taken.blocks)


def _reads_as_caption(text: str) -> bool:
    """A short line that describes, not one that exclaims or asks."""
    text = clean_text(text)
    return 0 < len(text.split()) <= 15 and not text.endswith(("!", "?"))


def take_apart_html(markup: str) -> Taken:
    """Blocks and pictures of an HTML fragment, in reading order."""
    from selectolax.lexbor import LexborHTMLParser

    if not markup or not markup.strip():
        return Taken()
    tree = LexborHTMLParser(markup[:MAX_HTML])
    root = tree.body
    walker = _Walker()
    if root is None:
        return walker.taken
    # An explicit stack: feed HTML nested thousands deep must not exhaust
    # Python's recursion. An entry is (node, its tag, None) to enter it,
    # (node, tag, what its start opened) to end it; each tag is read once
    # (selectolax makes a new string at every read).
    stack = _children(root)
    text, start, end = walker.text, walker.start, walker.end
    while stack:
        node, tag, opened = stack.pop()
        if tag == "-text":
            text(node.text(deep=False))
        elif opened is not None:
            end(tag, opened)
        else:
            opened = start(node, tag)
            if opened is not None:
                stack.append((node, tag, opened))
                stack += _children(node)
    walker.flush()
    return walker.taken


def _children(node) -> list:
    """The node's element and text children as walk entries, last first."""
    children = [(child, child.tag, None) for child in node.iter(include_text=True)]
    children.reverse()
    return children


def take_apart_text(text: str) -> Taken:
    """Plain text (a text/plain summary, a YouTube description): its
    paragraphs, and its lines where a list of lines is what it is."""
    taken = Taken()
    for chunk in re.split(r"\n\s*\n", text[:MAX_HTML]):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        # Lines that each stand alone (promo lists, links, timestamps) stay
        # apart, so the promo filter can drop them one by one.
        if len(lines) > 1 and all(_standalone_line(line) for line in lines[1:]):
            for line in lines:
                taken.blocks.append(_text_block(line))
        else:
            taken.blocks.append(_text_block(" ".join(lines)))
        if len(taken.blocks) >= MAX_BLOCKS:
            break
    return taken


def _text_block(line: str) -> Block:
    urls = _BARE_URL.findall(line)
    share = sum(len(u) for u in urls) / max(1, len(line.replace(" ", "")))
    return Block(kind="p", text=clean_text(line), links=len(urls), link_share=min(1.0, share))


def _standalone_line(line: str) -> bool:
    return bool(_BARE_URL.search(line) or _TIMESTAMP.match(line) or len(line.split()) <= 12
                or line[:1] in "-•*–—►▶→✅👉")


# ---------------------------------------------------------------- what is not the story

# "http://", "https://" or "www." in any case, spelled letter by letter
# (with the U+017F long s re.I also matches for s), so the regex engine
# skips ahead to an h or a w: under re.I it tried every position, and the
# search was the costliest part of telling a link list (3x this).
_BARE_URL = re.compile(r"[hHwW](?:(?<=[hH])[tT][tT][pP][sSſ]?://|(?<=[wW])[wW][wW]\.)\S+")
_TIMESTAMP = re.compile(r"^\(?\d{1,2}:\d{2}(?::\d{2})?\)?\s")
# The publisher or the host talking, not the story: promo, subscribe,
# sponsor and merch lines, platform notices, "continue reading" links.
# Grouped by where each may match: the text's start, a word's start (one
# \b for all of them: with a \b each, the dozens were tried one by one at
# every position, and the search cost 0.3 ms a paragraph, four times this),
# anywhere.
_PROMO_AT_START = (
    r"read (?:more|the (?:full|rest))\b",
    r"(?:twitter|instagram|facebook|tiktok|linkedin|discord|website|web|email|contact|support)\s*:", "related:",
    "advertisement$", "comments$", "learn more$", r"\[\s*(?:…|\.\.\.)\s*\]$", "view fullsize$", "enlarge$",
    r"to read this article in full\b",
    r"(?:transcript|episode links|show notes|sponsors?|links|outline|chapters|contact|timestamps)\s*:?$",
    r"did you (?:click|enjoy)\b", r"\*[^*]{3,80}\*$", r"(?:spoiler|content|trigger) warnings?\b",
)
_PROMO_AT_WORD = (
    r"appeared first on\b", r"continue reading\b", r"read the full\b", r"click here\b", r"subscribe\b", r"sign up\b",
    r"newsletter\b", r"patreon\b", r"ko-fi\b", r"buy me a coffee\b", r"sponsor(?:ed|s|ship)?\b",
    r"(?:episode|show|video|podcast|newsletter) is (?:brought to you|supported) by\b", r"promo code\b",
    r"use code\b", r"discount code\b", r"merch(?:andise)?\b", r"shop (?:now|our)\b", r"our store\b",
    r"follow (?:us|me|him|her|them)\b", r"find (?:us|me) on\b",
    r"join (?:us|our|the) (?:discord|patreon|community|mailing)\b",
    r"(?:twitter|instagram|facebook|tiktok|linkedin|discord|twitch|threads|mastodon|bluesky|x\.com)\b\s*[:@]",
    r"hosted on acast\b", r"acast\.com/privacy\b", "privacy (?:policy|notice|&)", r"opt-out\b", r"do not sell my\b",
    r"art19\b", r"podtrac\b", r"megaphone\.fm\b", r"listen (?:on|to (?:the|this|our))\b",
    r"available (?:on|wherever)\b", r"wherever you get your podcasts\b", r"download (?:the|our) app\b",
    r"get (?:the|our) app\b", r"support (?:the|this|our) (?:show|podcast|channel|work)\b", r"value for value\b",
    r"boostagram\b", r"sats\b", r"producers? (?:of|for) (?:this|the) (?:show|episode)\b", r"executive producer\b",
    r"share (?:this|on)\b", "submitted by /u/", r"click to enlarge\b", r"see acast\b", r"see below for\b",
    r"give (?:us )?feedback\b", r"submit questions\b", r"(?:is|are) out now\b", r"on tour\b.*\btickets\b",
    r"tickets (?:are )?(?:on sale|available)\b",
)
_PROMO_ANYWHERE = (
    r"\[link\]", r"\[comments\]", "クリックすると",
)
_PROMO = re.compile(rf"^(?:{'|'.join(_PROMO_AT_START)})|\b(?:{'|'.join(_PROMO_AT_WORD)})|{'|'.join(_PROMO_ANYWHERE)}",
                    re.IGNORECASE)
_PLATFORM_NOTICE = re.compile(r"\bhosted on acast\b|acast\.com/privacy|\bprivacy (?:policy|notice)\b|\bopt-out\b|"
                              r"\bdo not sell my\b|\bart19\b|\bpodtrac\b|\bmegaphone\.fm\b", re.I)
_PICTURE_CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:image|photo|picture|photograph|foto|bild)?\s*(?:credit|credits|source)\s*:\s*(.+?)\s*[)\]]?$", re.I)
_PICTURE_LABEL_LINE = re.compile(r"^(?:photo(?:graph)?s?|image|illustration|picture|foto)\s*:\s*(.+)$", re.I)
_BYLINE = re.compile(
    r"^(?i:by|von|par|por|di|door|av|af)\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:[\s,]+(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*|and|&|und|et|y|e|de|van|von|der|da|del|la|le))*"
    r"(?:\s*[(|,–—-]\s*[^()]{0,120}\)?)?\.?$")
_KICKER = re.compile(r"^((?:[A-ZÀ-ÖØ-Þ]{2,}['’]?\s?){1,4})\s*[-–—:|]\s+(?=\S)")
_UPDATED_NOTE = re.compile(r"^(?:updated?|update|editor['’]?s note|correction)\b[^:]{0,40}:\s*", re.I)


# Words one of which every _PROMO alternative contains (or, for those
# anchored at the start, begins with): the regex, dozens of alternatives
# tried at every position, runs only on text that has one, which most
# paragraphs have not (it cost 450 us a paragraph).
_PROMO_HINTS = (
    "appeared first", "continue reading", "read the", "click here", "click to", "subscribe", "sign up",
    "newsletter", "patreon", "ko-fi", "coffee", "sponsor", "brought to you", "supported by", "promo code",
    "use code", "discount code", "merch", "shop ", "our store", "follow ", "find us", "find me", "join ",
    "twitter", "instagram", "facebook", "tiktok", "linkedin", "discord", "twitch", "threads", "mastodon",
    "bluesky", "x.com", "acast", "privacy", "opt-out", "do not sell", "art19", "podtrac", "megaphone",
    "listen ", "available on", "available wherever", "wherever", "the app", "our app", "support ",
    "value for value", "boostagram", "sats", "producer", "share ", "/u/", "[link]", "[comments]",
    "クリックすると", "see below", "feedback", "submit questions", "out now", "tickets",
)
_PROMO_STARTS = (
    "read ", "website", "web", "email", "contact", "support", "related:", "advertisement", "comments",
    "learn more", "[", "view fullsize", "enlarge", "to read this article", "transcript", "episode links",
    "show notes", "sponsor", "links", "outline", "chapters", "timestamps", "did you", "*", "spoiler",
    "content warning", "trigger warning",
)


def is_promo(text: str) -> bool:
    lowered = text.lower()
    # map() of the bound method: the same test as a generator, without a
    # Python frame per hint (on 93,000 captured blocks, 0.9 s instead of 2.4).
    hinted = lowered.startswith(_PROMO_STARTS) or any(map(lowered.__contains__, _PROMO_HINTS))
    return hinted and bool(_PROMO.search(text))


def story_blocks(taken: Taken, title: str = "", author: str = "") -> Taken:
    """The blocks that tell the story: captions, promo and sponsor lines,
    link lists, bylines, a repeated title and picture credits out (a
    credit is kept aside for the picture)."""
    kept: list[Block] = []
    promo: list[Block] = []  # dropped only for sounding like promo
    credit = taken.credit
    title_key, author_key = key_text(title), key_text(author)
    key_size = max(len(title_key), len(author_key)) + 1
    heading = False
    for block in taken.blocks:
        text = block.text
        found = _PICTURE_CREDIT_LINE.match(text) or _PICTURE_LABEL_LINE.match(text)
        if found and len(text.split()) <= 16:
            credit = credit or clean_credit(found.group(1))
            continue
        if _is_link_list(block):
            continue
        text = _without_link_tags(block)
        if text != block.text:
            block = replace(block, text=text)
        if is_promo(text):
            promo.append(block)
            text = _without_promo_sentences(text)
            if not text:
                continue
            block = replace(block, text=text)
        # Only the key's first characters are ever compared: a key longer
        # than the title's and the author's is neither, nor inside either.
        key = key_head(text, key_size)
        if key and (key == title_key or key == author_key or (key.isdigit() and key in title_key)):
            continue  # the title again, the author's name, or the title's number ("3.9.0" of "v3.9.0")
        if not kept and title_key and key.startswith(title_key) and _DATE_TAIL.search(text[len(title):]) \
                and len(text.split()) - len(title.split()) <= 12:
            continue  # the title again, with the byline and date after it
        if not kept and len(text.split()) <= 12 and any(
                len(part) >= 6 and key.startswith(part) for part in _title_parts(title)):
            heading = True
            continue  # a heading that repeats the title's second part ("Title - Subtitle")
        if not kept and heading and text[:1] in ":：—–-":
            continue  # the heading's own second line (": a dedication. The author")
        if _BYLINE.match(text) and len(text.split()) <= 25:
            continue
        kept.append(block)
    story_promo = [block for block in promo if not _PLATFORM_NOTICE.search(block.text)]
    if not kept and story_promo:
        # Nothing but "promo": an entry whose subject is the show's Patreon
        # episode or its sponsor. Its words are the story after all (a
        # hosting platform's notice never is).
        kept = [replace(story_promo[0], text=_BARE_URL.sub("", story_promo[0].text).strip())]
    return Taken(blocks=kept, pictures=taken.pictures, credit=credit)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-zé]*\.?"
_DATE_TAIL = re.compile(rf"\b{_MONTH} \d{{1,2}}\b|\b\d{{1,2}}\.? {_MONTH}|\b(?:19|20)\d\d\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def _title_parts(title: str) -> list[str]:
    parts = re.split(r"\s+[-–—|:]\s+", title)
    return [key_text(part) for part in parts[1:]] if len(parts) > 1 else []


def _without_promo_sentences(text: str) -> str:
    """A block with its promo sentences (and bare URLs) taken out; a short
    block that is promo is promo as a whole."""
    if len(text.split()) <= 25:
        return ""
    kept = [s for s in _SENTENCE.split(text) if not is_promo(s) and not _BARE_URL.fullmatch(s.strip(" .:"))]
    return " ".join(_BARE_URL.sub("", s).strip() for s in kept).strip()


def lead_blocks(blocks: list[Block], title: str = "") -> list[Block]:
    """The blocks a lead is made from: the story's paragraphs, from where its
    text begins: not headings (a subhead, a dek set as a heading), not a
    standing italic preface, not list items unless the text is only a list;
    a kicker ("INTERVIEW - ") or an update note that repeats the title is
    cut from the first paragraph."""
    # A section label ("CONTACT LEX:", "EPISODE LINKS:", "Sponsors:") ends
    # the story's text: what follows it is lists.
    label = next((i for i, b in enumerate(blocks) if i and _SECTION_LABEL.match(b.text)), None)
    blocks = blocks[:label] if label is not None else blocks
    paragraphs = []
    for index, block in enumerate(blocks):
        if block.kind in ("p", "quote"):
            paragraphs.append(block)
            # "In 2023 I did, amongst other things:" goes on in the list right after it.
            if block.text.endswith((":", "：")):
                following = list(itertools.takewhile(lambda b: b.kind == "li", blocks[index + 1:index + 4]))
                paragraphs.extend(replace(b, kind="p") for b in following)
    if not paragraphs:
        paragraphs = next(([b for b in blocks if b.kind == kind] for kind in ("li", "h", "pre")
                           if any(b.kind == kind for b in blocks)), [])
    if len(paragraphs) > 1 and paragraphs[0].italic:
        paragraphs = paragraphs[1:]  # "This is another post in our series…"
    # A fact box ("Family — Amaranthaceae", "Aliases — …") before the text.
    while len(paragraphs) > 2 and _FACT_LINE.match(paragraphs[0].text) and _FACT_LINE.match(paragraphs[1].text):
        while len(paragraphs) > 1 and _FACT_LINE.match(paragraphs[0].text):
            paragraphs = paragraphs[1:]
    # A few words with no punctuation at all, with text after them, are a
    # label ("The Highlights", "Intro"), not the story's first sentence.
    while len(paragraphs) > 1 and len(paragraphs[0].text.split()) <= 5 and paragraphs[0].text[-1:].isalnum():
        paragraphs = paragraphs[1:]
    if paragraphs:
        paragraphs[0] = replace(paragraphs[0], text=_without_kicker(paragraphs[0].text, title))
    return [b for b in paragraphs if b.text]


_SECTION_LABEL = re.compile(r"^[^\W\d_a-z][^a-z]{1,40}:$|^[↓▼■●◆★☆【\[].{1,30}[↓▼■●◆★☆】\]:：]$|^(?:[A-Z][a-z]+ ){0,2}(?:links|sponsors|contact|timestamps|outline|chapters|transcript|show notes|credits)\s*:$")
_FACT_LINE = re.compile(r"^[\w’' ]{2,40}?\s*(?:—|–|:)\s+\S")


def _without_kicker(text: str, title: str) -> str:
    kicker = _KICKER.match(text)
    if kicker and not kicker.group(1).strip().isdigit() and len(kicker.group(1).strip()) <= 30:
        text = text[kicker.end():]
    note = _UPDATED_NOTE.match(text)
    if note:
        rest = text[note.end():]
        sentence = re.split(r"(?<=[.!?])\s+", rest, maxsplit=1)
        if title and key_text(sentence[0]).startswith(key_text(title)[:30]) and len(sentence) > 1:
            return sentence[1]
    return text


_TRAILING_PARENS = re.compile(r"\s*\(([^()]{1,200})\)\s*$")


def _without_link_tags(block: Block) -> str:
    """A paragraph without the trailing "(Google, Grafiksoftware)" of
    topic links some sites end their summaries with."""
    if not block.link_texts or not block.text.rstrip().endswith(")"):
        return block.text
    found = _TRAILING_PARENS.search(block.text)
    if not found:
        return block.text
    items = [item.strip() for item in found.group(1).split(",")]
    links = set(block.link_texts)
    return block.text[:found.start()].rstrip() if items and all(item in links for item in items) else block.text


def _is_link_list(block: Block) -> bool:
    words = len(block.text.split())
    if block.links >= 2 and block.link_share >= 0.6:
        return True
    if block.link_share >= 0.8 and words <= 15:
        return True  # "Read more", a related-story link, a bare URL
    urls = _BARE_URL.findall(block.text)
    if words <= 20 and urls:
        return True  # "Feedback – give feedback to Lex: https://…"
    return bool(urls) and sum(len(u) for u in urls) >= 0.5 * len(block.text.replace(" ", ""))


# ---------------------------------------------------------------- captions and credits

_CREDIT_IN_PARENS = re.compile(
    r"\s*[(\[]\s*(?:(?:photo|image|picture|photograph|foto|credit|credits|source|illustration)s?"
    r"(?:\s+credit)?\s*(?:by|:)?|©)\s*([^()\[\]]+?)\s*[)\]]\s*$", re.I)
_CREDIT_PARENS_AGENCY = re.compile(
    r"\s*\(\s*([^()]*(?:\bvia\b|\bAP Photo\b|/\s*(?:AP|AFP|Reuters|Getty|EPA|PA)\b|\bGetty Images\b|"
    r"\bThe Canadian Press\b|\bfile\b)[^()]*)\)\s*$", re.I)
_CREDIT_LABEL = re.compile(
    r"\s*(?:^|(?<=[.!?\s]))(?:photo(?:graph)?s?|image|picture|credit|foto|bild|(?:image |photo )?attribution|"
    r"(?:image |photo )?source|illustration)\s*:\s*(.+)$", re.I)
_CREDIT_BAR = re.compile(r"\s+\|\s+([^|]{2,80})$")
_CREDIT_AGENCY = re.compile(
    r"\s+((?:[A-ZÀ-ÖØ-ÞА-Я][\w.'’-]*\s){0,3}[A-ZÀ-ÖØ-ÞА-Я][\w.'’-]*\s*/\s*"
    r"(?:Getty(?: Images)?|AFP|Reuters|AP|EPA|TASS|ТАСС|РИА Новости|Shutterstock|iStock|Alamy|PA|Bloomberg)[^.]*)$")
_COPYRIGHT = re.compile(r"\s*©\s*(.+)$")
_CREDIT_PREFIX = re.compile(
    r"^(?:\(?\s*(?:image|photo|picture|photograph|foto|bild|illustration)s?\s*(?:credit)?\s*(?:by\b|:)|"
    r"credits?\s*:|©|\(c\)|photo by\b|image by\b)\s*", re.I)
_ENLARGE = re.compile(r"^(?:enlarge|view fullsize|expand)\s*[/|:]?\s*", re.I)


def split_caption(text: str) -> tuple[str, str]:
    """(caption, credit) of a caption line: "Enlarge / A train (credit:
    Jane Doe)", "A train. Photo: Jane Doe", "A train | AFP via Getty
    Images", "A train Jane Doe/Reuters", "© Jane Doe"."""
    text = _ENLARGE.sub("", clean_text(text))
    for pattern in (_CREDIT_IN_PARENS, _CREDIT_PARENS_AGENCY, _CREDIT_BAR, _COPYRIGHT, _CREDIT_LABEL, _CREDIT_AGENCY):
        found = pattern.search(text)
        if found:
            caption = text[:found.start()].strip()
            credit = clean_credit(found.group(1))
            # "(Photo by X/AFP via Getty Images) | AFP via Getty Images": one credit, said twice.
            inner = _CREDIT_IN_PARENS.search(caption)
            if inner:
                caption, credit = caption[:inner.start()].strip(), clean_credit(inner.group(1))
            return caption, credit
    return text, ""


def clean_credit(text: str) -> str:
    """A credit without its label ("Photo:", "Photograph:", "©") or brackets."""
    text = clean_text(text).strip("()[] ")
    for _ in range(2):
        text = _CREDIT_PREFIX.sub("", text).strip("()[] ")
    return text.rstrip(".").strip()


# ---------------------------------------------------------------- choosing the picture

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".jfif")
_NOT_A_PICTURE_PATH = re.compile(
    r"(?:^|[/_.\-=])(?:avatars?|gravatar|icons?|favicon|buttons?|btn|badges?|sprites?|emoji|emoticons?|"
    r"smil(?:ies|ey)|share|sharing|social|facebook|twitter|linkedin|pinterest|whatsapp|reddit|rss|feed-?icon|"
    r"e-?mail(?=\.(?:png|gif)$)|filetypes?|bnr|undefined|null|"
    r"subscribe|donate|donation|paypal|patreon|banner|banners|signature|spacer|blank|pixel|tracking|tracker|"
    r"counter|1x1|transparent|beacon|wp-smiley|flair|shim|ads?|advert|advertisement|doubleclick|profile_images|"
    r"headshots?)(?:[/_.\-=]|\d|$)", re.I)
_NOT_A_PICTURE_HOST = re.compile(
    r"(?:^|\.)(?:gravatar\.com|feedburner\.com|feedproxy\.google\.com|feedsportal\.com|doubleclick\.net|"
    r"googlesyndication\.com|googleadservices\.com|pixel\.wp\.com|stats\.wordpress\.com|scorecardresearch\.com|"
    r"rss\.slashdot\.org|avatars\d*\.githubusercontent\.com|badge\.fury\.io|shields\.io|"
    r"feeds\.[\w-]+\.(?:com|net|org)|pheedo\.com|addtoany\.com|sharethis\.com)$", re.I)
_BEACONS = ("/_/stat", "/~r/", "/~ff/", "/~a/", "/~c/", "/pixel.", "/pixel?", "/beacon", "/track/open", "/b/ss/")
MIN_SIDE = 100  # px: declared smaller than this both ways is an icon, a button or a badge
MIN_EDGE = 40  # px: a side shorter than this is a strip, a rule or a pixel row
MAX_ASPECT = 5.0  # wider (or taller) than this is a banner or a strip (728x90, 468x60, 320x50)
# A small PNG or GIF in the text is a typeset formula, an inline diagram or
# an icon; a small JPEG is still a photo (a thumbnail).
SMALL_INLINE = (300, 150)


def choose_picture(candidates: Iterable[Candidate], feed_wide: frozenset[str] = frozenset(),
                   entry_caption: str = "", entry_credit: str = "", text_credit: str = "") -> Image | None:
    """The story's picture: the publisher's own (media:content, an image
    enclosure, the episode's art) before the first real picture of the
    text, before a thumbnail; in its largest known rendition. Avatars,
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
    caption, credit = clean_text(caption), clean_credit(credit or text_credit)
    # A size is given as a pair or not at all (a width alone stretches it).
    known = bool(best.width and best.height)
    return Image(url=best.url, caption=caption, credit=credit, width=best.width if known else None,
                 height=best.height if known else None, alt=best.alt or caption)


def _preference(candidate: Candidate) -> tuple:
    small = bool(candidate.width and candidate.width < 300)
    tier = {"media": 0, "content": 1, "thumbnail": 2}.get(candidate.origin, 1)
    if small and tier < 2:
        tier += 2  # a tiny publisher image loses to a real picture in the text
    return (tier, -(candidate.width or 0) if candidate.origin != "content" else 0, candidate.order)


def _not_a_picture(candidate: Candidate) -> bool:
    url = candidate.url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https", "file") or (parts.scheme.lower() != "file" and not parts.netloc):
        return True
    path = parts.path.lower()
    if path.endswith((".svg", ".ico")) or any(marker in url for marker in _BEACONS):
        return True
    if _NOT_A_PICTURE_HOST.search(parts.hostname or "") or _NOT_A_PICTURE_PATH.search(parts.path):
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
    for candidates in per_entry:
        for url in {c.url for c in candidates}:
            counts[url] = counts.get(url, 0) + 1
    entries = len(per_entry)
    repeated = {url for url, n in counts.items() if entries >= 3 and n >= max(3, entries // 2 + 1)}
    return frozenset(repeated | {url for url in feed_images if url})


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
_ABSOLUTE_URL_VALUE = re.compile(r"""\s*=\s*["']?\s*(?:https?|mailto):""", re.I)


def _only_absolute_urls(html: str) -> bool:
    """Whether every href and src the HTML has (even as a word in its text)
    is an attribute with an absolute http(s) or mailto URL: then no base
    can change what nh3 makes of it (a relative URL is the only kind a base
    rewrites), and one sanitizer built once serves (building nh3's per
    call was two thirds of its cost). Stops at the first that is not."""
    return all(_ABSOLUTE_URL_VALUE.match(html, word.end()) for word in _URL_ATTRIBUTE.finditer(html))


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


# ---------------------------------------------------------------- small helpers


def _is_prose(text: str) -> bool:
    """A title attribute that is a sentence, not a file name ("DSC_4550")."""
    return len(text.split()) >= 3 and not re.search(r"\.(?:jpe?g|png|gif|webp)$", text, re.I)


def pixels(value) -> int | None:
    """A width or height attribute as whole pixels ("640", "640px", "640.0"), or None."""
    try:
        number = int(float(str(value).strip().rstrip("px")))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
