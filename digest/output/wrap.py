"""The text part's lines: wrapped at 72 display columns (East Asian wide
characters count two; no line starts with closing punctuation), links as numbered references."""

from __future__ import annotations

import re

TEXT_WIDTH = 72



class LinkRefs:
    """Numbered link references for the text part: [1], [2], ..."""

    def __init__(self):
        self._numbers: dict[str, int] = {}

    def add(self, url: str) -> int:
        return self._numbers.setdefault(url, len(self._numbers) + 1)

    def items(self) -> list[tuple[int, str]]:
        return [(number, url) for url, number in self._numbers.items()]


def wrap(text: str, width: int = TEXT_WIDTH, indent: int = 0, hang: int | None = None, glue: bool = False) -> str:
    """Wrap to width columns of display: East Asian wide characters count
    two, and a line may break between them (Chinese and Japanese have no
    spaces), but never before a closing mark (。、」) or after an opening
    one. `indent` indents every line; `hang` indents all but the first.
    Long words (URLs) are never broken. `glue` keeps the last word with
    the one before it (a headline's link number "[3]" never alone on a line)."""
    first = " " * indent
    rest = " " * (indent if hang is None else hang)
    paragraphs = [p for p in str(text).split("\n") if p.strip()] or [""]
    wrapped = "\n".join(_wrap_paragraph(paragraph, width, first, rest, glue and n == len(paragraphs) - 1)
                         for n, paragraph in enumerate(paragraphs))
    return wrapped.replace(_KEEP, " ")


_KEEP = "\u00a0"  # what `together` puts between words: no line break there; a space once wrapped
_SPACES = re.compile(r"[ \t\r\f\v]+")


def together(text: str) -> str:
    """Words that wrap() keeps on one line ("2 min read", "11 Jan 2018 13:20")."""
    return _SPACES.sub(_KEEP, str(text).strip())


_NO_LINE_START = set("。、，．！？：；）」』】〕〉》”’・ー…,.!?:;)]}%")
_NO_LINE_END = set("（「『【〔〈《“‘([{")


# Characters one column wide each, whatever follows them (checked against
# wcwidth, character by character and in random strings, in
# test_render): Latin-1 and Latin Extended, Greek, Cyrillic, dashes,
# quotes, the ellipsis and currency signs. Text of these alone needs no
# wcwidth, whose import cost a text part 40 ms.
_NARROW = re.compile(r"[ -~\u00a0-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e\u20a0-\u20bf]*")


def _display_width(text: str) -> int:
    if text.isascii() or _NARROW.fullmatch(text):
        return len(text)  # every character one column (stored text holds no control characters)
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def _wrap_pieces(paragraph: str) -> list[tuple[str, bool]]:
    """(piece, space before it): each word, and each wide character of a
    word apart, with closing marks kept on the piece before them."""
    pieces: list[tuple[str, bool]] = []
    for word in _SPACES.split(paragraph.strip()):
        if not word:
            continue
        if word.isascii():  # no wide character to break between: the word whole
            pieces.append((word, True))
            continue
        space = True
        current = ""
        for char in word:
            wide = _display_width(char) == 2
            if current and (wide or _display_width(current[-1]) == 2) and char not in _NO_LINE_START \
                    and current[-1] not in _NO_LINE_END:
                pieces.append((current, space))
                current, space = "", False
            current += char
        if current:
            pieces.append((current, space))
    return pieces


def _wrap_paragraph(paragraph: str, width: int, first: str, rest: str, glue: bool = False) -> str:
    lines: list[str] = []
    line, used = first, len(first)
    empty = True
    pieces = _wrap_pieces(paragraph)
    if glue and len(pieces) >= 2 and pieces[-1][1]:
        (before, space), (last, _) = pieces[-2], pieces[-1]
        pieces[-2:] = [(f"{before} {last}", space)]
    for piece, space in pieces:
        size = _display_width(piece)
        gap = 1 if space and not empty else 0
        if not empty and used + gap + size > width:
            lines.append(line)
            line, used, empty, gap = rest, len(rest), True, 0
        line += " " * gap + piece
        used += gap + size
        empty = False
    lines.append(line)
    return "\n".join(l.rstrip() for l in lines)

