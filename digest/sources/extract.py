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
import re
from dataclasses import replace

from ..text import clean_text
from .blocks import (
    Block,
    Candidate,
    Taken,
    _is_prose,
    clean_credit,
    picture_alt,
    pixels,
    split_caption,
)
from .boilerplate import _BARE_URL, _TIMESTAMP
from .pictures import _largest_in_srcset, _looks_like_picture_path

# What is taken apart of one source: a title is a line, and a lead needs
# the first few KB; a 5 MB body must cost no more than a normal one.
MAX_HTML = 200_000
MAX_BLOCKS = 400


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
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
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
        if len(self._kinds) == 1 and "\n" in data and _BLANK_LINE.search(data):
            # Text outside any block with blank lines in it (PeerTube's
            # notes, plain text sent as HTML): its paragraphs, as written.
            first, *paragraphs = _BLANK_LINE.split(data)
            self.text(first)
            for paragraph in paragraphs:
                self.flush()
                self.text(paragraph)
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
        if self._kinds[-1] == "pre" and _BLANK_LINE.search("".join(self._parts)):
            self._preformatted_paragraphs()
            return
        # One line, and nothing a mail cannot carry: the HTML parser turns
        # &#xFFFF; into the character itself (so in every text taken here).
        text = clean_text("".join(self._parts))
        link_chars, italic_chars, links = self._link_chars, self._italic_chars, self._links
        link_texts = tuple(self._link_texts)
        self._parts, self._link_chars, self._italic_chars, self._links = [], 0, 0, 0
        self._link_texts = []
        if "{" in text:
            text = without_style_rules(text)
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

    def _preformatted_paragraphs(self) -> None:
        """A <pre> with blank lines (a commit message: its subject line, a
        blank line, its body) as one block a paragraph, so the subject
        line that is the entry's title is not glued to the body."""
        pieces = _BLANK_LINE.split("".join(self._parts))
        link_texts = self._link_texts
        self._parts, self._link_chars, self._italic_chars, self._links, self._link_texts = [], 0, 0, 0, []
        for piece in pieces:
            text = clean_text(piece)
            if not text or len(self.taken.blocks) >= MAX_BLOCKS:
                continue
            links = tuple(link for link in link_texts if link and link in text)
            share = min(1.0, sum(len(link.replace(" ", "")) for link in links) / max(1, len(text.replace(" ", ""))))
            self.taken.blocks.append(Block(kind="pre", text=text, links=len(links), link_share=share, link_texts=links))

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
                self._add(Candidate(url=poster, origin="content", order=self._order()))
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
            credit=clean_credit(htmllib.unescape(credit)), alt=picture_alt(attrs.get("alt", "")),
            larger=linked or srcset, denser=not linked and density, order=self._order(),
        ))

    def _noscript_pictures(self, node) -> None:
        """Lazy-loading themes put the real <img> inside <noscript>."""
        for img in node.css("img"):
            self._picture(img)

    def _add(self, candidate: Candidate) -> None:
        """Adds a candidate made with order=self._order(): flushing adds
        no picture, so its order stands (dataclasses.replace, to set it
        here, was a sixth of reading an <img>)."""
        self.flush()
        self.taken.pictures.append(candidate)
        self._last_picture_block = len(self.taken.blocks)

    def _order(self) -> int:
        return len(self.taken.pictures)


def _reads_as_caption(text: str) -> bool:
    """A short line that describes, not one that exclaims or asks."""
    text = clean_text(text)
    return 0 < len(text.split()) <= 15 and not text.endswith(("!", "?"))


MAX_DEPTH = 512  # elements open inside one another
_ANY_TAG = re.compile(r"<[^>]*>?")
_TAG_EDGE = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option"})  # and the ones a parser closes itself


def _nesting_depth(html: str) -> int:
    """How deep elements open inside one another, counted over the tags as
    written (one pass: elements that close themselves do not count)."""
    if html.count("<") < MAX_DEPTH:
        return 0
    depth = deepest = 0
    for closing, name, self_closing in _TAG_EDGE.findall(html):
        if self_closing or name.lower() in _VOID:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def take_apart_html(markup: str) -> Taken:
    """Blocks and pictures of an HTML fragment, in reading order."""
    from selectolax.lexbor import LexborHTMLParser

    if not markup or not markup.strip():
        return Taken()
    markup = markup[:MAX_HTML]
    if _nesting_depth(markup) > MAX_DEPTH:  # Lexbor, like html5ever, slows with the square of the depth
        return take_apart_text(htmllib.unescape(_ANY_TAG.sub(" ", markup)))
    tree = LexborHTMLParser(markup)
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
        lines = [line.strip() for line in without_style_rules(chunk).splitlines() if line.strip()]
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


# Style rules a CMS left in the text (".share-link a { margin: 0 10px 0 0; }",
# a whole stylesheet after the story): a run of rules, the first one for a
# class or an id, each with "property: value" declarations in braces.
_SIMPLE_SELECTOR = r"[.#]?[A-Za-z][\w-]*(?:(?:[.#]|::?)[\w-]+(?:\([^()]*\))?|\[[^\]]*\])*"
_SELECTOR = rf"{_SIMPLE_SELECTOR}(?:(?:\s*[,>+~]\s*|\s+){_SIMPLE_SELECTOR}){{0,5}}"
_DECLARATIONS = r"\{\s*[-\w]+\s*:[^{};]*(?:;\s*[-\w]+\s*:[^{};]*)*;?\s*\}"
_STYLE_RULES = re.compile(rf"(?:^|(?<=\s))(?=[.#])(?:{_SELECTOR}\s*{_DECLARATIONS}\s*)+")


def without_style_rules(text: str) -> str:
    """The text without style rules left in it: no words anyone reads (not
    counted for the reading time, never a lead)."""
    return _STYLE_RULES.sub(" ", text).strip() if "{" in text else text


def _text_block(line: str) -> Block:
    urls = _BARE_URL.findall(line)
    share = sum(len(u) for u in urls) / max(1, len(line.replace(" ", "")))
    return Block(kind="p", text=clean_text(line), links=len(urls), link_share=min(1.0, share))


def _standalone_line(line: str) -> bool:
    return bool(_BARE_URL.search(line) or _TIMESTAMP.match(line) or len(line.split()) <= 12
                or line[:1] in "-•*–—►▶→✅👉")


