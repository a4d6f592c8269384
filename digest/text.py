"""Plain text as a mail can carry it: the characters XML 1.0 and the MJML
compiler refuse taken out (one of them fails the whole email), whitespace
folded. Used by every stage that takes text in from outside (parse, extract,
config), so nothing the compiler refuses reaches a template.
"""

from __future__ import annotations

import re

# What XML 1.0 forbids and the MJML compiler refuses (one such character
# fails the whole email): C0 controls but tab, LF and CR; DEL; lone
# surrogates; and every Unicode noncharacter, U+FDD0..U+FDEF and the last
# two code points of each plane (U+FFFE, U+FFFF, U+1FFFE ... U+10FFFF).
# And what hides or disguises text: the bidi embeddings and overrides
# (U+202A..U+202E: "gpj.exe" shown as "exe.jpg") and isolates
# (U+2066..U+2069), zero-width space, word joiner and U+FEFF. Zero-width
# (non-)joiners stay: Persian, Hindi and emoji sequences need them.
# (The astral noncharacters in a class of their own: with them, the regex
# took ten times as long on every string, which nearly all have none of.)
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    r"\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
_ASTRAL_NONCHARACTERS = re.compile(
    "[" + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(1, 17)) + "]")


def strip_control(text: str) -> str:
    """The text without the characters the email cannot carry."""
    if text.isprintable():
        # Every character stripped is one str.isprintable refuses (controls,
        # surrogates, format characters, noncharacters), and its C loop costs
        # a fraction of the regex's: most titles and blocks go back as they
        # came (text with a newline, a tab or a no-break space is searched).
        return text
    text = _CONTROL.sub("", text)
    if not text.isascii() and _has_astral(text):
        text = _ASTRAL_NONCHARACTERS.sub("", text)
    return text


def _has_astral(text: str) -> bool:
    """Whether the text has a character past U+FFFF: each takes two UTF-16
    code units. The encoder runs at memory speed, 30 times faster than
    max(text), which made strings (every block, every entry's HTML) one at
    a time and was 6% of parsing the captured feeds."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def clean_text(text: str) -> str:
    """One line of plain text: control characters gone, whitespace folded
    (str.split splits on what the regex \\s matches, at a quarter of its cost)."""
    if not text:
        return ""
    return " ".join(strip_control(str(text)).split())


_NOT_WORD = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = bytes(code for code in range(128) if not chr(code).isalnum())


def key_text(text: str) -> str:
    """The text casefolded with everything but letters and digits taken
    out: what two spellings of one name or title have in common. ASCII text
    goes through bytes.translate, the same result 20 times faster than the
    regex (it ran on every block of every entry)."""
    if not text:
        return ""
    if text.isascii():
        return text.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM).decode("ascii")
    return _NOT_WORD.sub("", text.casefold())


def key_head(text: str, size: int) -> str:
    """key_text(text)[:size], reading only as much of the text as that
    needs: a character gives the key at most three (casefold: "ß" -> "ss"),
    and often none, so ever longer prefixes are tried. (Comparing a
    paragraph with a title needs a title's length of its key; the whole
    key of every paragraph was a fifth of taking the story's blocks.)"""
    head = size + 16
    while head < len(text):
        # Casefolding and dropping are per character: a prefix's key is a
        # prefix of the key.
        key = key_text(text[:head])
        if len(key) >= size:
            return key[:size]
        head *= 4
    return key_text(text)[:size]


# ---------------------------------------------------------------- text repair

# Double-encoded UTF-8 ("Ã©" for "é", "â€™" for "’"): what a CMS that
# decoded UTF-8 as Latin-1 once and encoded it again serves.
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€[\u0080-\u00bf™œž˜šŸ¢£¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿“”˜]|Ã[ -ÿ]")


def repair_text(text: str) -> str:
    """Text with double-encoded UTF-8 repaired (ftfy, which undoes exactly
    that and leaves correct text alone); text without its marks is returned
    untouched, so the cost is one regex search."""
    if not text or text.isascii() or not _MOJIBAKE.search(text):
        return text  # (isascii reads a flag the string carries: no marks without non-ASCII characters)
    import ftfy

    return ftfy.fix_encoding(text)




def cut_line(text: str, limit: int) -> str:
    """text as one line (whitespace collapsed), cut at a word to at most
    `limit` characters, ending in "…" when cut. For names, titles and
    subjects that someone else's data can make any length."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    head = line[:limit]  # a word ending at limit - 1 is kept whole
    return (head.rsplit(" ", 1)[0] if " " in head else head[:-1]).rstrip(" ,;:-") + "…"
