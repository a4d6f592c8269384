"""Extractive summaries, reading time, and the templated lead of each story.

All text in and out is plain text; HTML escaping belongs to the renderer.

Sentences are split here, not by a segmenter library: pysbd (rule-based,
22 languages) took 4.8 ms where this takes 0.2 ms on the same news
paragraph, and split "by 3 p.m. Eastern time" after "p.m."; ICU's break
iterator (PyICU) needs the system's ICU to build against. Abbreviations,
initials, decimals, guillemets and the Chinese/Japanese stops 。！？ are
what the leads of the captured feeds need, and the splitter stays linear.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..models import Story

WORDS_PER_MINUTE = 230
# Chinese and Japanese write words without spaces: two characters make a
# word, about (so 45 words of summary are ~90 characters, and 460
# characters read in about two minutes).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
CJK_CHARS_PER_WORD = 2


def word_count(text: str) -> int:
    """Words, with runs of CJK characters counted two characters a word."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(text.split())
    return len(_CJK.sub(" ", text).split()) + math.ceil(cjk / CJK_CHARS_PER_WORD)


def reading_minutes(text: str) -> int:
    """ceil(words / 230), at least 1."""
    return max(1, math.ceil(word_count(text) / WORDS_PER_MINUTE))


# ---------------------------------------------------------------- sentences


# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen gov sen rep col lt sgt capt cmdr adm pres
    rev hon jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur
    thurs fri sat sun no nos vs etc inc ltd co corp dept univ est approx fig figs al
    e.g i.e u.s u.k u.n e.u a.m p.m d.c u.s.a ph.d""".split()
)
# A sentence ends at . ! ? … (closing quotes and brackets with it) before a
# space and a capital or a figure, or a letter of a script without capitals
# (Hebrew, Arabic); and at the full-width stops of Chinese and Japanese
# (。！？), which need no space after them.
# A run of stops is tried from its first character only (the lookbehinds),
# so 20 KB of "." costs one pass, not one per character.
_SENTENCE_END = re.compile(
    r"""(?<![.!?…])[.!?…]++(?:\s?[»"'”’)\]])*+\s+(?=(?:[«"'“‘(\[¿¡]\s?)?[A-Z0-9À-ÖØ-ÞА-ЯЁΑ-Ω\u05d0-\u05ea\u0620-\u064a])"""
    r"""|(?<![。！？])[。！？]++[」』）"”’]*+\s*(?=\S)""")
_LAST_WORD = re.compile(r"(\S+)$")
# Two sentences the source glued together ("in April.Previously, Modi",
# "i klubben.AC Horsens", "tiden.Præst har"): a word of lowercase letters,
# a stop, and a capitalized word or (after a longer word) a short acronym.
# (Three letters or more before it and a space or comma after, so code's
# "io.Reader" and "`strings.Builder`" stay whole.)
_LOWER, _UPPER = "a-zß-öø-ÿа-яё", "A-ZÀ-ÖØ-ÞА-ЯЁ"
_GLUED = re.compile(rf"(?<=[{_LOWER}]{{3}}[.!?])(?=[{_UPPER}][{_LOWER}]+[\s,;:])"
                    rf"|(?<=[{_LOWER}]{{5}}[.!?])(?=[{_UPPER}]{{2,5}}\s)")  # not "What.CD has"


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking at abbreviations
    (U.S., Dec. 27, Mr., No. 10), initials or decimal numbers.

    Linear in the text: each stop looks back over its own word only. (It
    used to test the whole sentence so far at every stop, so "U.S. " x
    10,000 took 20 s.)"""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = _GLUED.sub(" ", " ".join(paragraph.split()))
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
    """Whether the full stop this match found ends an abbreviation: a lone
    "." (not "...", "!", "?"), after a word that is one."""
    if not stop.group().startswith(".") or stop.group()[1:2] == ".":
        return False
    end = stop.start() + 1
    # The paragraph's spaces are single: the word starts after the last one.
    return _is_abbreviation(paragraph[paragraph.rfind(" ", 0, end) + 1 : end])


def _ends_with_abbreviation(sentence: str) -> bool:
    words = sentence.rsplit(maxsplit=1)
    return sentence.endswith(".") and bool(words) and _is_abbreviation(words[-1])


def _is_abbreviation(word: str) -> bool:
    word = word.lstrip("(\"'“‘«").rstrip(".").lower()
    # The last part of a range or a compound: "Jan. 8-Feb. 5", "mid-Dec."
    if word in _ABBREVIATIONS or word.rsplit("-", 1)[-1].rsplit("–", 1)[-1] in _ABBREVIATIONS:
        return True
    # Initials (J. Smith) and dotted acronyms (U.S., N.A.T.O.).
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", word))


# ---------------------------------------------------------------- summaries

# Sentences and paragraphs that are the publisher talking, not the story.
_BOILERPLATE = re.compile(
    r"(appeared first on|continue reading|^read more\b|read the full|click here|"
    r"^(?:leer|ler|leia|lire|leggi|läs|læs|les|lees|czytaj|lue|číst|olvass|weiter|mehr) "
    r"(?:más|mais|la suite|plus|tutto|di più|mer|mere|meer|więcej|dalej|lisää|dál|tovább|lesen)\W*$|"
    r"subscribe (?:to|now|here)|sign up (?:for|to|here)|share (?:this|on)|follow us|"
    r"^related:|^advertisement$|^comments$|^learn more$|submitted by /u/|\[link\]|"
    r"^photo(?:graph)?s?\s*:|^image\s*:|^credit\s*:|"
    r"^illustration\s*:|\((?:photo|image)[^)]*\)$|\b(?:getty images|reuters|ap photo|afp)\)?$)",
    re.IGNORECASE,
)
# A paragraph that is only a byline: "By Jane Doe", "By Jane Doe and Ann Lee".
_BYLINE = re.compile(r"^by\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von))*\.?$", re.IGNORECASE)
_TERMINAL = re.compile(r"""(?:[.!?…]["'”’»)\]]*|[。！？][」』）"”’]*)$""")
_CUT_OFF = re.compile(r"(?:\.\.\.|…|\[\s*(?:…|\.\.\.)\s*\]|\s[-–—])$")
_SECTION_MARK = re.compile(r"^[↓▼■◆●★☆]")
OVER_BUDGET = 1.5  # a first sentence up to this many times the budget is kept whole
MAX_CANDIDATES = 6  # sentences past the sixth rarely carry the news
MIN_LEAD_WORDS = 6  # a lead shorter than this keeps the cut sentence after it (with its "…")
MIN_HEADING_WORDS = 6  # later paragraphs shorter than this without a full stop are headings


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence) or _BYLINE.match(sentence))


def story_sentences(text: str) -> list[str]:
    """The sentences of the text that tell the story: boilerplate, bylines
    and headings out. The first paragraph is kept even without a closing
    stop (a standfirst is a fine lead), and gets a full stop only where it
    ends in a word of a script that writes one; a sentence that introduces
    what follows (ending in ":") goes with the next one, or not at all
    (when it is all the text has, it is the lead, ending in "…"). A text
    of short lines without a sentence among them (credits, a list of
    links) has none."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    if _is_lines_without_prose(paragraphs):
        return []
    sentences: list[str] = []
    lead_in = ""
    for number, paragraph in enumerate(paragraphs):
        for sentence in split_sentences(paragraph):
            if _SECTION_MARK.match(sentence) and sentences:
                return sentences  # "↓ Related posts ↓", "▼ Links": the story's text ends there
            sentence = _without_leading_symbols(_without_more_marker(sentence))
            if not sentence or is_boilerplate(sentence):
                continue
            if not _TERMINAL.search(sentence) and not sentence.endswith(":"):
                if number > 0 and word_count(sentence) < MIN_HEADING_WORDS and sentences:
                    continue
                sentence += _closing_stop(sentence)
            if lead_in:
                sentence, lead_in = f"{lead_in} {sentence}", ""
            if sentence.endswith(":"):
                lead_in = sentence
                continue
            sentences.append(sentence)
    if lead_in and not sentences:
        sentences.append(lead_in.rstrip(":：").rstrip() + "…")
    return sentences


# WordPress's excerpt ends "… its cost. [&#8230;]": the sentence is the story, the mark says more follows.
_MORE_MARKER = re.compile(r"\s*\[\s*(?:…|\.\.\.)\s*\]\s*$")


def _without_more_marker(sentence: str) -> str:
    """The sentence without a closing "[…]": ended where it was ended, else with "…"."""
    found = _MORE_MARKER.search(sentence)
    if not found:
        return sentence
    kept = sentence[:found.start()].rstrip()
    return kept if not kept or _TERMINAL.search(kept) else kept + "…"


_LEADING_MARKS = frozenset("|•·¦")


def _without_leading_symbols(sentence: str) -> str:
    """A sentence without the emoji, arrows and bars a post opens with
    ("✍️ | Town have completed the signing…"): symbols, not words. Quotes,
    brackets, currency, "#" and "@" stay."""
    at = 0
    while at < len(sentence) and (sentence[at].isspace() or sentence[at] in _LEADING_MARKS
                                  or unicodedata.category(sentence[at]) in ("So", "Sk", "Sm", "Cf", "Mn")):
        if sentence[at + 1:at + 2].isdigit():
            break  # "−5 °C", "+3 points": a sign, not a mark
        at += 1
    return sentence[at:] if at else sentence


# Scripts that end a sentence with no full stop (Thai, Lao, Khmer, Myanmar,
# Tibetan) or with their own (Chinese and Japanese 。, Devanagari and
# Bengali ।): a Latin "." after them is wrong.
_OWN_STOPS = re.compile(r"[\u0900-\u09ff\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
                        r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_ENDS_IN_ADDRESS = re.compile(r"(?:https?://|www\.)\S+$|\S+@\S+\.\w+$", re.I)


def _closing_stop(sentence: str) -> str:
    """The full stop a sentence the feed left open gets: "." after a word,
    none after a web address (a mail client would take it into the link)
    or in a script that writes no "."."""
    last = sentence[-1:]
    if not last.isalnum() or _OWN_STOPS.match(last) or _ENDS_IN_ADDRESS.search(sentence):
        return ""
    return "."


PROSE_WORDS = 15  # a line this long or longer reads as prose even without a stop
LINE_LIST = 4  # this many short lines in a row with no sentence among them are a list


def _is_lines_without_prose(paragraphs: list[str]) -> bool:
    """Whether the text opens with a list of short lines and no sentence
    among them: an episode's credits ("Executive Producers:" and names),
    its show links ("ShowNotes Archive of links…", "Get the … App"). Such
    a text has no lead."""
    opening = [p for p in paragraphs[:12] if p]
    if len(opening) < LINE_LIST or opening[0].endswith((":", "：")):  # "In 2023 I did:" and its list
        return False
    return not any(_TERMINAL_INSIDE.search(p) or word_count(p) >= PROSE_WORDS for p in opening)


# A sentence's end anywhere in a line: a stop before a space or the end.
_TERMINAL_INSIDE = re.compile(r"""[.!?…]["'”’»)\]]*(?:\s|$)|[。！？]""")


def summarize(text: str, max_words: int = 45) -> str:
    """The lead's text: the story's opening sentences, in order, as many as
    fit in max_words. A lead reads from where the story begins, so no
    sentence is skipped (picking later ones by their words made leads that
    jumped). It ends at a sentence end: a sentence the feed cut off ("…")
    is left out when a whole one comes before it; only when the first
    sentence alone does not fit is it cut, at a clause if it can be, with
    an ellipsis."""
    candidates = _leading_sentences(_with_cut_word_marked(text))[:MAX_CANDIDATES]
    # (Not when what would be left is a shout: "Games!", "Bonfire Watch 2016 is on!")
    while len(candidates) > 1 and _CUT_OFF.search(candidates[-1]) \
            and word_count(" ".join(candidates[:-1])) >= MIN_LEAD_WORDS:
        candidates.pop()
    if not candidates:
        return ""
    chosen, count = [], 0
    for sentence in candidates:
        words = word_count(sentence)
        if count + words > max_words:
            break
        chosen.append(sentence)
        count += words
    if not chosen:
        first = candidates[0]
        # A first sentence a little over the budget is still the lead, whole.
        if word_count(first) <= max_words * OVER_BUDGET:
            return first
        return _cut_words(first, max_words)
    return join_sentences(chosen)


# Lengths publishers cut a text to, exactly (PCMag's 100, itunes:subtitle's
# 255). Exactly: BBC Hungarian's whole deks, which end without a stop, run
# from 68 to 139 characters, two of them 98 and 99.
_CUT_LENGTHS = frozenset((100, 255, 256, 500, 1000, 1024))


def _with_cut_word_marked(text: str) -> str:
    """The text ending in "…" without its last word where the publisher cut
    it, with no mark, at one of the lengths feeds cut to ("…all the Dota 2
    that you can possi", 255 characters; PCMag's 100: "…to utterly
    replac"): its last word may be whole, but the text is not, and a full
    stop after it would say it is. A Chinese or Japanese text is left as it
    is (no words to cut at). A word cut before the publisher's own "..."
    ("perseguiç...") stays: it cannot be told from a whole one ("fad
    diets..."), and the "..." already says the text goes on."""
    stripped = text.rstrip()
    if " " not in stripped or _CJK.search(stripped[-1:]):
        return text
    if len(stripped) in _CUT_LENGTHS and stripped[-1:].isalnum():
        return stripped.rsplit(None, 1)[0].rstrip(",;:—–- ") + "…"
    return text


# A summary is drawn from the start of the text; splitting 10 MB of it to
# keep six sentences made one item cost more than a day of feeds.
SUMMARY_CHARS = 10_000


def _leading_sentences(text: str) -> list[str]:
    """story_sentences of the first SUMMARY_CHARS of the text, without the
    sentence the cut went through."""
    if len(text) <= SUMMARY_CHARS:
        return story_sentences(text)
    sentences = story_sentences(text[:SUMMARY_CHARS])
    return sentences[:-1] if len(sentences) > 1 else sentences


def join_sentences(sentences) -> str:
    """Sentences joined as the language writes them: with a space, or none
    between two Chinese or Japanese sentences."""
    joined = ""
    for sentence in sentences:
        if joined and not (_CJK.match(sentence[:1]) and (_CJK.match(joined[-1:]) or joined[-1:] in "。！？」』）")):
            joined += " "
        joined += sentence
    return joined


def _cut_words(sentence: str, max_words: int) -> str:
    """The sentence cut to max_words, at the last clause boundary (a comma,
    a semicolon, a dash) in its second half if there is one, else at a
    word; never after an abbreviation or a dangling connective."""
    longest = int(max_words * OVER_BUDGET)
    if _CJK.search(sentence) and " " not in sentence.strip():
        room = max_words * CJK_CHARS_PER_WORD
        marks = [i for i, ch in enumerate(sentence[:int(room * OVER_BUDGET)]) if ch in "，、；："]
        clause = min((i for i in marks if i >= room // 2), key=lambda i: abs(i - room), default=None)
        return sentence[:clause if clause is not None else room].rstrip("，、；：") + "…"
    words = sentence.split()[:longest]
    # The clause boundary nearest the budget (between half of it and half
    # again over it): a cut there reads as a phrase, not a broken one.
    clauses = [i for i, w in enumerate(words) if w.endswith((",", ";", ":")) or w in ("—", "–", "-")]
    clause = min((i for i in clauses if i >= max_words // 2), key=lambda i: abs(i + 1 - max_words), default=None)
    words = words[:clause + 1] if clause is not None else words[:max_words]
    # Never end on an abbreviation ("the U.S." of "the U.S. Senate") or a
    # dangling connective.
    while len(words) > 1 and (_ends_with_abbreviation(words[-1]) or words[-1].lower().strip(",;:") in _DANGLING):
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

        from ..sandbox import BoundedSandbox, render_bounded

        self._env = BoundedSandbox(undefined=StrictUndefined, autoescape=False)
        self._render = render_bounded
        self._default = self._compile(self.source, "lead.template")
        self._by_tag = {tag: self._compile(text, f"lead.templates.{tag}") for tag, text in self.templates.items()}
        self._warned = False

    def _compile(self, source: str, key: str):
        from jinja2 import TemplateSyntaxError

        try:
            return self._env.from_string(source)
        except TemplateSyntaxError as exc:
            from ..errors import ConfigError

            raise ConfigError(f"{exc.message} (line {exc.lineno})", path=self.config_path, key=key) from None

    def template_for(self, story: Story):
        return next((self._by_tag[tag] for tag in story.tags if tag in self._by_tag), self._default)

    def lead(self, story: Story) -> str:
        """The story's lead; none when the story has no text of its own (a
        lead that would be only the byline around an empty summary)."""
        if not story.summary:
            return ""
        try:
            return " ".join(self._render(self.template_for(story), item=lead_context(story)).split())
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
