"""The language a story is written in, when its page or its feed did not
say: from the script of its words, for the scripts that name one language
or tell theirs apart by a few letters. Latin-script text is left alone (no
guess beats none: a wrong `lang` makes a screen reader worse than the
email's own). Chinese gets Chinese glyph forms instead of Japanese ones,
and a screen reader reads Ukrainian and Greek with their own rules."""

from __future__ import annotations

import re
import unicodedata

# Letters that tell one Cyrillic language from the others.
_CYRILLIC_MARKS = (("uk", "іїєґ"), ("be", "ў"), ("sr", "ђћљњџ"), ("mk", "ѓќѕ"), ("ru", "ыэё"))
_SCRIPT_LANGUAGE = {"GREEK": "el", "HEBREW": "he", "THAI": "th", "GEORGIAN": "ka", "ARMENIAN": "hy",
                    "HANGUL": "ko"}
_PERSIAN = set("پچژگ")
_URDU = set("ٹڈڑںےھ")  # retroflex letters, noon ghunna, bari ye, do-chashmi he: Urdu's own


def script_language(text: str, sample: int = 400) -> str:
    """A BCP 47 tag for text in one script that names its language, or "".
    Looks at the first `sample` letters."""
    scripts: dict[str, int] = {}
    letters = ""
    for char in text:
        if not char.isalpha():
            continue
        letters += char
        name = unicodedata.name(char, "")
        script = name.split(" ", 1)[0]
        if name.startswith("CJK "):
            script = "CJK"
        scripts[script] = scripts.get(script, 0) + 1
        if len(letters) >= sample:
            break
    if not letters:
        return ""
    script, count = max(scripts.items(), key=lambda pair: pair[1])
    kana = scripts.get("HIRAGANA", 0) + scripts.get("KATAKANA", 0)
    if kana > 0.05 * len(letters) and kana + scripts.get("CJK", 0) > 0.5 * len(letters):
        return "ja"
    if count <= 0.5 * len(letters):
        return ""
    if script == "CJK":
        return "zh"
    if script == "CYRILLIC":
        lowered = letters.lower()
        return next((tag for tag, marks in _CYRILLIC_MARKS if any(mark in lowered for mark in marks)), "")
    if script == "ARABIC":
        if any(char in _URDU for char in letters):
            return "ur"
        return "fa" if any(char in _PERSIAN for char in letters) else "ar"
    return _SCRIPT_LANGUAGE.get(script, "")


_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")


def language_tag(text: str) -> str:
    """A page's or feed's language as a BCP 47 tag (`en_US` is en-US), or
    "" for what is none ("unknown", "x", a sentence)."""
    tag = (text or "").strip().replace("_", "-")
    return tag if _TAG.fullmatch(tag) else ""
