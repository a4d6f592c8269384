"""The language a story is written in: what its page says, else what its
feed declares, else a guess from the script of its words, for the scripts
that name one language or tell theirs apart by a few letters. Latin-script
text is left alone (no guess beats none: a wrong `lang` makes a screen
reader worse than the email's own). Chinese gets Chinese glyph forms
instead of Japanese ones, and a screen reader reads Ukrainian and Greek
with their own rules."""

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
    scripts, letters = _letter_scripts(text, sample)
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


def _letter_scripts(text: str, sample: int) -> tuple[dict[str, int], str]:
    """How many of the first `sample` letters are in each script (LATIN,
    CYRILLIC, CJK...), and those letters."""
    scripts: dict[str, int] = {}
    letters = ""
    for char in text:
        if not char.isalpha():
            continue
        letters += char
        name = unicodedata.name(char, "")
        script = "CJK" if name.startswith("CJK ") else name.split(" ", 1)[0]
        scripts[script] = scripts.get(script, 0) + 1
        if len(letters) >= sample:
            break
    return scripts, letters


_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")


def language_tag(text: str) -> str:
    """A page's or feed's language as a BCP 47 tag (`en_US` is en-US), or
    "" for what is none ("unknown", "x", a sentence)."""
    tag = (text or "").strip().replace("_", "-")
    return tag if _TAG.fullmatch(tag) else ""


def story_language(page: str, declared: str, text: str) -> str:
    """The story's language: its page's, else its feed's declared one, else
    its script's (`text`: its title and summary). A declared language that
    is not written in the script of the words is the feed's default, not
    this story's: a feed saying "en" whose item is Cyrillic gets "uk"."""
    tag = language_tag(page)
    if tag:
        return tag
    guess = script_language(text)
    declared = language_tag(declared)
    if not declared or _other_script(declared, guess) or (not guess and _latin_in_other_script(declared, text)):
        return guess
    return declared


# The script of each language script_language names, and the languages
# written in it (ISO 639-1, else 639-3). Between languages of one script a
# feed's word is kept: a Kazakh "і" or a Belarusian one is no Ukrainian story.
_SCRIPT_OF = {"uk": "Cyrl", "be": "Cyrl", "sr": "Cyrl", "mk": "Cyrl", "ru": "Cyrl", "zh": "Hani", "ja": "Jpan",
              "ar": "Arab", "fa": "Arab", "ur": "Arab", "el": "Grek", "he": "Hebr", "th": "Thai", "ka": "Geor",
              "hy": "Armn", "ko": "Kore"}
_WRITTEN_IN = {
    "Cyrl": frozenset("ru uk be bg sr mk bs cnr kk ky tg mn tt ba cv ce os sah ab av kv udm rue uz az tk".split()),
    "Hani": frozenset("zh ja ko yue wuu hak nan gan lzh cmn".split()),
    "Jpan": frozenset({"ja"}),
    "Arab": frozenset("ar fa ur ps sd ug ku ckb ks pnb prs bal az".split()),
    "Grek": frozenset({"el", "grc"}),
    "Hebr": frozenset({"he", "iw", "yi", "lad"}),
    "Thai": frozenset({"th"}),
    "Geor": frozenset({"ka"}),
    "Armn": frozenset({"hy"}),
    "Kore": frozenset({"ko"}),
}
# Languages of those scripts that are also written in Latin letters.
_ALSO_LATIN = frozenset("sr bs cnr uz az tk ku".split())
_NOT_LATIN = frozenset().union(*_WRITTEN_IN.values()) - _ALSO_LATIN
# Script subtags that a guessed script may stand under (zh-Hans is Han).
_SUBTAGS = {"Hani": {"hani", "hans", "hant", "jpan", "kore"}, "Jpan": {"jpan"}, "Kore": {"kore", "hang"}}


def _other_script(declared: str, guess: str) -> bool:
    """The script guess names a script the declared language is not
    written in (its script subtag, where it names one, decides)."""
    script = _SCRIPT_OF.get(guess)
    if script is None:
        return False
    named = _script_subtag(declared)
    if named:
        return named not in _SUBTAGS.get(script, {script.lower()})
    return _primary(declared) not in _WRITTEN_IN[script]


def _latin_in_other_script(declared: str, text: str, sample: int = 400) -> bool:
    """Text mostly in Latin letters under a declared language that is not
    written in them (an English headline in a Hebrew feed is no Hebrew)."""
    named = _script_subtag(declared)
    if named == "latn" or (not named and _primary(declared) not in _NOT_LATIN):
        return False
    scripts, letters = _letter_scripts(text, sample)
    return bool(letters) and scripts.get("LATIN", 0) > 0.5 * len(letters)


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _script_subtag(tag: str) -> str:
    """The script a tag names (zh-Hant: "hant"), lower case, or ""."""
    return next((subtag for subtag in tag.lower().split("-")[1:] if len(subtag) == 4 and subtag.isalpha()), "")
