"""Extractive summaries, reading time, and the templated lead of each story.

All text in and out is plain text; HTML escaping belongs to the renderer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from .models import Story

WORDS_PER_MINUTE = 230


def reading_minutes(text: str) -> int:
    """ceil(words / 230), at least 1."""
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))


# ---------------------------------------------------------------- sentences

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen gov sen rep col lt sgt capt cmdr adm pres
    rev hon jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
    thurs fri sat sun no nos vs etc inc ltd co corp dept univ est approx fig figs al
    e.g i.e u.s u.k u.n e.u a.m p.m d.c u.s.a ph.d""".split()
)
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])""")
_LAST_WORD = re.compile(r"(\S+)$")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking at abbreviations
    (U.S., Dec. 27, Mr., No. 10), initials or decimal numbers."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            candidate = paragraph[start : match.end()].strip()
            if _ends_with_abbreviation(candidate):
                continue
            sentences.append(candidate)
            start = match.end()
        rest = paragraph[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _ends_with_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    match = _LAST_WORD.search(sentence)
    word = match.group(1).lstrip("(\"'“‘").rstrip(".").lower() if match else ""
    if word in _ABBREVIATIONS:
        return True
    # Initials (J. Smith) and dotted acronyms (U.S., N.A.T.O.).
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", word))


# ---------------------------------------------------------------- summaries

_BOILERPLATE = re.compile(
    r"(appeared first on|continue reading|read more|read the full|click here|"
    r"subscribe to|sign up for|share this|follow us|the post .+ appeared|"
    r"\[\s*(?:…|\.\.\.)\s*\]$|^photo(?:graph)?:|^image:|^credit:)",
    re.IGNORECASE,
)


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence))


def summarize(text: str, max_words: int = 45) -> str:
    """The first real sentences of the text, cut at a sentence boundary
    within max_words. A first sentence longer than that is cut at a word
    boundary with an ellipsis."""
    chosen: list[str] = []
    count = 0
    for sentence in split_sentences(text):
        if is_boilerplate(sentence):
            continue
        words = len(sentence.split())
        if count + words > max_words:
            if not chosen:
                return _cut_words(sentence, max_words)
            break
        chosen.append(sentence)
        count += words
    return " ".join(chosen)


def _cut_words(sentence: str, max_words: int) -> str:
    return " ".join(sentence.split()[:max_words]).rstrip(",;:—–- ") + "…"


# ---------------------------------------------------------------- leads


@dataclass
class LeadWriter:
    """Renders the [lead] template for each story.

    The template is the user's, the values are the feed's: they are passed as
    data into a sandboxed environment and never compiled as template source.
    A template that fails on one story falls back to the summary and warns once.
    """

    source: str
    warn: Callable[[str], None] = lambda message: None

    def __post_init__(self):
        from jinja2 import StrictUndefined, TemplateSyntaxError
        from jinja2.sandbox import SandboxedEnvironment

        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        try:
            self._template = env.from_string(self.source)
        except TemplateSyntaxError as exc:
            from .errors import ConfigError

            raise ConfigError(f"lead.template: {exc.message} (line {exc.lineno})") from None
        self._warned = False

    def lead(self, story: Story) -> str:
        try:
            return " ".join(self._template.render(item=lead_context(story)).split())
        except Exception as exc:  # the user's template; one bad item must not sink the digest
            if not self._warned:
                self._warned = True
                self.warn(f"lead template failed ({exc}); using the summary instead")
            return story.summary


def lead_context(story: Story) -> dict:
    blurb = story.author_blurb
    return {
        "title": story.title,
        "feed": story.feed,
        "author": story.author,
        "author_role": blurb.role if blurb else "",
        "summary": story.summary,
        "published": story.published,
        "reading_minutes": story.reading_minutes,
        "link": story.link,
        "also": [a.feed for a in story.also],
        "tags": story.tags,
    }
