"""Extractive summaries, reading time, and the templated lead of each story.

All text in and out is plain text; HTML escaping belongs to the renderer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .cluster import title_tokens
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
# Possessive, and only from the first mark of a run: "....." (20 KB of it)
# otherwise cost a backtracking scan from every dot.
_SENTENCE_END = re.compile(r"""(?<![.!?…])[.!?…]++["'”’)\]]*+\s+(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])""")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking at abbreviations
    (U.S., Dec. 27, Mr., No. 10), initials or decimal numbers.

    Linear in the text: each stop looks back over its own word only. (It
    used to test the whole sentence so far at every stop, so "U.S. " x
    10,000 took 20 s.)"""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            if _stops_at_abbreviation(paragraph, match):
                continue
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
        rest = paragraph[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _stops_at_abbreviation(paragraph: str, stop: re.Match) -> bool:
    """Whether the full stop this match found ends an abbreviation."""
    marks = stop.group().rstrip()
    if not marks.endswith("."):
        return False
    end = stop.start() + len(marks)
    # The paragraph's spaces are single: the word starts after the last one.
    return _is_abbreviation(paragraph[paragraph.rfind(" ", 0, end) + 1 : end])


def _ends_with_abbreviation(sentence: str) -> bool:
    words = sentence.rsplit(maxsplit=1)
    return sentence.endswith(".") and bool(words) and _is_abbreviation(words[-1])


def _is_abbreviation(word: str) -> bool:
    word = word.lstrip("(\"'“‘").rstrip(".").lower()
    if word in _ABBREVIATIONS:
        return True
    # Initials (J. Smith) and dotted acronyms (U.S., N.A.T.O.).
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", word))


# ---------------------------------------------------------------- summaries

# Sentences and paragraphs that are the publisher talking, not the story.
_BOILERPLATE = re.compile(
    r"(appeared first on|continue reading|^read more\b|read the full|click here|"
    r"subscribe (?:to|now|here)|sign up (?:for|to|here)|share (?:this|on)|follow us|"
    r"^related:|^advertisement$|^comments$|^learn more$|submitted by /u/|\[link\]|"
    r"\[\s*(?:…|\.\.\.)\s*\]$|^photo(?:graph)?s?\s*:|^image\s*:|^credit\s*:|"
    r"^illustration\s*:|\((?:photo|image)[^)]*\)$|\b(?:getty images|reuters|ap photo|afp)\)?$)",
    re.IGNORECASE,
)
# A paragraph that is only a byline: "By Jane Doe", "By Jane Doe and Ann Lee".
_BYLINE = re.compile(r"^by\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von))*\.?$", re.IGNORECASE)
_TERMINAL = re.compile(r"""[.!?…]["'”’)\]]*$""")
MAX_CANDIDATES = 6  # sentences past the sixth rarely carry the news
# A summary is drawn from the start of the text; splitting 10 MB of it to
# keep six sentences made one item cost more than a day of feeds.
SUMMARY_CHARS = 10_000
MIN_HEADING_WORDS = 6  # shorter paragraphs without a full stop are headings


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence) or _BYLINE.match(sentence))


def story_sentences(text: str) -> list[str]:
    """The sentences of the text that tell the story: boilerplate, bylines,
    captions and headings out. A paragraph without a closing stop (a
    standfirst) is a sentence of its own and gets one."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        for sentence in split_sentences(paragraph):
            if is_boilerplate(sentence):
                continue
            if not _TERMINAL.search(sentence):
                if len(sentence.split()) < MIN_HEADING_WORDS:
                    continue
                sentence += "."
            sentences.append(sentence)
    return sentences


def summarize(text: str, max_words: int = 45, title: str = "") -> str:
    """An extractive summary: the sentences that best combine an early
    position with words from the title, in their original order, as many
    as fit in max_words. It ends at a sentence boundary; only when not even
    the best sentence fits is that one cut, at a word, with an ellipsis."""
    candidates = _leading_sentences(text)[:MAX_CANDIDATES]
    if not candidates:
        return ""
    title_words = _content_words(title)
    scores = [_sentence_score(i, sentence, title_words) for i, sentence in enumerate(candidates)]
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    chosen, count = [], 0
    for i in sorted(range(len(candidates)), key=lambda i: (-scores[i], i)):
        words = len(candidates[i].split())
        # A weak sentence is no better than a shorter summary.
        if scores[i] >= scores[best] / 2 and count + words <= max_words:
            chosen.append(i)
            count += words
    if not chosen:
        return _cut_words(candidates[best], max_words)
    return " ".join(candidates[i] for i in sorted(chosen))


def _leading_sentences(text: str) -> list[str]:
    """story_sentences of the first SUMMARY_CHARS of the text, without the
    sentence the cut went through."""
    if len(text) <= SUMMARY_CHARS:
        return story_sentences(text)
    sentences = story_sentences(text[:SUMMARY_CHARS])
    return sentences[:-1] if len(sentences) > 1 else sentences


def _sentence_score(position: int, sentence: str, title_words: set[str]) -> float:
    """Position (the lead sentence of news carries the news) plus the share
    of the title's words the sentence repeats."""
    overlap = len(title_words & _content_words(sentence)) / len(title_words) if title_words else 0.0
    return 1.0 / (1 + position) + overlap


def _content_words(text: str) -> set[str]:
    return set(title_tokens(text).weights) if text else set()


def _cut_words(sentence: str, max_words: int) -> str:
    words = sentence.split()[:max_words]
    # Never end on an abbreviation ("the U.S." of "the U.S. Senate") or a
    # dangling connective.
    while len(words) > 1 and (_ends_with_abbreviation(words[-1]) or words[-1].lower() in _DANGLING):
        words.pop()
    return " ".join(words).rstrip(",;:—–- ") + "…"


_DANGLING = frozenset("a an the and or of to in on at by for with from as that which who".split())


# ---------------------------------------------------------------- leads


@dataclass
class LeadWriter:
    """Renders the lead template of each story: the `[lead.templates]` entry
    for the story's first tag that has one, else `[lead] template`.

    The templates are the user's, the values are the feed's: they are passed
    as data into a sandboxed environment and never compiled as template
    source. A template that fails on one story falls back to the summary and
    warns once.
    """

    source: str
    warn: Callable[[str], None] = lambda message: None
    templates: Mapping[str, str] = field(default_factory=dict)  # tag -> template source
    config_path: object = None  # names the file in a syntax error

    def __post_init__(self):
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self._env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._default = self._compile(self.source, "lead.template")
        self._by_tag = {tag: self._compile(text, f"lead.templates.{tag}") for tag, text in self.templates.items()}
        self._warned = False

    def _compile(self, source: str, key: str):
        from jinja2 import TemplateSyntaxError

        try:
            return self._env.from_string(source)
        except TemplateSyntaxError as exc:
            from .errors import ConfigError

            raise ConfigError(f"{exc.message} (line {exc.lineno})", path=self.config_path, key=key) from None

    def template_for(self, story: Story):
        return next((self._by_tag[tag] for tag in story.tags if tag in self._by_tag), self._default)

    def lead(self, story: Story) -> str:
        try:
            return " ".join(self.template_for(story).render(item=lead_context(story)).split())
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
        "updated": story.updated,
    }
