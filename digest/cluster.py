"""Stories: items from different feeds about the same event, grouped.

Pure functions over plain data; no I/O. Two items are one story when they
have the same canonical link (from two feeds, or in one feed under one
title: see `same_link`), or when their titles are close enough and they
were published within 48 hours of each other.

How close is "close enough" -- the measure, and why:

- Titles become sets of tokens: lowercased, stop words (English and German,
  plus headline filler like "live", "video", "says", "best") removed, and a
  light suffix stemmer so "raises"/"raise" and "rates"/"rate" meet; tokens
  of four letters or more also meet when one extends the other
  ("Syria"/"Syrian"). A hyphenated word also yields its joined form
  ("start-up" meets "startup"), and a few institutional shorthands expand
  ("GOP" -> republican, "Fed" -> federal reserve).
- The similarity is the cosine of the two token sets with weights: 2 for
  names and figures (words capitalized inside a sentence-case title, words
  with inner capitals or digits, acronyms), 1 for other words. Cosine over
  sets normalizes by the geometric mean of the two sizes, so a short
  headline whose words all appear in a long one still scores high (outlets
  differ most in length and filler), while two headlines that share only
  topic words stay low. Jaccard punishes the length difference twice, and
  edit distance or embeddings either miss reordered words or need a model.
- Four vetoes, each for a way different events look alike:
  figures must agree (when both titles carry numbers, one's numbers must
  all be in the other: 0.5% vs 0.75% is another rate decision); they must
  share at least three tokens and at least one that is not a name (two
  stories about one person or event name, e.g. two "State of the Union"
  reactions, share only the name); they must not each name someone the
  other does not ("Reserve Bank of Australia cuts rates" vs "Reserve Bank
  of India cuts rates"); and their first words, where headlines put the
  subject, must not both be missing from the other ("President of Peru
  resigns" vs "Prime minister of Peru resigns").
- Threshold: SIMILAR = 0.4 on what passes the vetoes. Measured on the
  labelled pairs in tests/data/title_pairs.csv (tuned there) and
  tests/data/title_pairs_holdout.csv (never tuned on); tests/test_cluster.py
  computes precision and recall. The vetoes cost recall on paraphrases
  with different names for the same actor ("Spurs"/"Tottenham", "Orcas"/
  "Killer whales"); a digest that shows such a story twice is a smaller
  harm than one that hides a different event under "Also covered by".

Grouping is greedy, best item first: an item joins the first story whose
items it matches (same link, or similar title within the time window) and
that holds nothing from its own feed yet -- so one feed's follow-ups stay
separate stories -- else it starts a new one. Chains are therefore anchored
in real matches, and the result does not depend on dict or set order.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from .models import Item

WINDOW = timedelta(hours=48)
SIMILAR = 0.4
MIN_SHARED = 3

_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why
    will with would you your yours one two its it's s t
    says say said live video watch pictures photos update updates breaking exclusive new
    best top how why
    der die das den dem des ein eine einer eines einem und oder aber in im ins am an auf aus
    bei mit nach von vor zu zum zur für über unter um ist sind wird werden will soll kann
    nicht noch nur auch als wie sich es er sie wir ihr mehr bis gegen durch""".split()
)
# Headline shorthands for a few institutions, so "GOP" meets "Republican"
# and "Fed" meets "Federal Reserve". Only unambiguous, very common ones.
_ALIASES = {
    "gop": "republican", "fed": "federal reserve", "ecb": "european central bank",
    "boe": "bank of england", "uk": "britain", "eu": "european union", "un": "united nations",
    "nhs": "national health service", "nyc": "new york",
}
_SUFFIXES = ("ings", "ing", "edly", "ed", "es", "s", "ly")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class TitleTokens:
    weights: dict[str, float]  # token -> NAME_WEIGHT for names and figures, 1.0 otherwise
    names: frozenset[str]  # tokens that name someone or something (no figures)
    numbers: frozenset[str]
    lead: str | None = None  # the token of the first word, when that is a content word


NAME_WEIGHT = 2.0


def stem(word: str) -> str:
    """A light suffix stripper: enough to meet "raises"/"raise" and
    "rates"/"rate"; it never needs to produce a real word."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


# What of a title is tokenized: a headline is a line, and what follows its
# first few hundred characters cannot make two stories one. A feed's 5 MB
# "title" did not finish tokenizing in 600 s.
TITLE_CHARS = 500


def title_tokens(title: str) -> TitleTokens:
    text = unicodedata.normalize("NFKC", title[:TITLE_CHARS]).replace("’", "'").replace("‘", "'")
    matches = list(_WORD.finditer(text))
    sentence_case = _is_sentence_case([m.group() for m in matches])
    weights: dict[str, float] = {}
    names: set[str] = set()
    lead = None
    for position, match in enumerate(matches):
        at_start = position == 0 or _opens_phrase(text, match.start())
        tokens = _word_tokens(match.group(), at_start, sentence_case)
        if position == 0 and tokens:
            lead = tokens[0][0]
        for token, name in tokens:
            figure = any(ch.isdigit() for ch in token)
            weights[token] = max(weights.get(token, 1.0), NAME_WEIGHT if name or figure else 1.0)
            if name:
                names.add(token)
    numbers = frozenset(_NUMBER.findall(text.replace(",", "")))
    return TitleTokens(weights, frozenset(names), numbers, lead)


def _opens_phrase(text: str, start: int) -> bool:
    """A capital after a colon or an opening quote starts a phrase, not a
    name. Looks back over the spaces before the word only (a search of the
    whole text before each word made a title quadratic)."""
    at = start - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at >= 0 and text[at] in ":'\"“"


def _word_tokens(word: str, at_start: bool, sentence_case: bool) -> list[tuple[str, bool]]:
    """(token, is_name) for one word of a title; stop words give nothing."""
    word = re.sub(r"'s$", "", word)
    alias = _ALIASES.get(word.lower())
    if alias:  # an expanded shorthand is a name wherever it stands
        return [(stem(w), True) for w in alias.split() if w not in _STOP_WORDS]
    parts = [p for p in re.split(r"[-']", word) if p]
    flags = [_is_name(part, index, at_start, sentence_case) for index, part in enumerate(parts)]
    # "start-up" also as "startup"; the joined form is a name when its first part is.
    candidates = list(zip(parts, flags)) + ([("".join(parts), flags[0])] if len(parts) > 1 else [])
    tokens = []
    for part, name in candidates:
        lower = part.lower()
        if lower in _STOP_WORDS or (len(lower) < 2 and not lower.isdigit()):
            continue
        if any(ch.isdigit() for ch in part):
            tokens.append((lower, False))
        else:
            tokens.append((stem(lower), name))
    return tokens


def _is_name(part: str, index: int, at_start: bool, sentence_case: bool) -> bool:
    return (
        (part.isupper() and len(part) > 1)
        or any(ch.isupper() for ch in part[1:])  # iPhone, macOS, BlackBerry
        or (sentence_case and part[0].isupper() and (index > 0 or not at_start))
    )


def _is_sentence_case(words: list[str]) -> bool:
    """Title Case headlines (TechCrunch) capitalize every word, so there a
    capital letter says nothing about names."""
    long_words = [w for w in words[1:] if len(w) > 3 and w[0].isalpha()]
    if not long_words:
        return False
    capitalized = sum(w[0].isupper() for w in long_words)
    return capitalized / len(long_words) < 0.6


def _pairs(a: dict[str, float], b: dict[str, float]) -> dict[str, str]:
    """Tokens of a matched one to one with tokens of b: the same token
    first, then one that extends it ("syria"/"syrian", "erste"/"erster":
    four letters or more). One to one, so "iphone" and "iphone-only" in one
    title cannot both count the other's "iphone"."""
    pairs = {t: t for t in a if t in b}
    taken = set(pairs.values())
    for token in a:
        if token in pairs or len(token) < 4:
            continue
        match = next((o for o in b if o not in taken and len(o) >= 4
                      and (o.startswith(token) or token.startswith(o))), None)
        if match is not None:
            pairs[token] = match
            taken.add(match)
    return pairs


def similarity(a: str | TitleTokens, b: str | TitleTokens) -> float:
    """Weighted cosine of two titles' token sets; 0.0 when the titles
    cannot be one event (see the module docstring for the rules)."""
    ta = a if isinstance(a, TitleTokens) else title_tokens(a)
    tb = b if isinstance(b, TitleTokens) else title_tokens(b)
    pairs = _pairs(ta.weights, tb.weights)
    if len(pairs) < MIN_SHARED or not _figures_agree(ta.numbers, tb.numbers):
        return 0.0
    names = ta.names | tb.names
    if all(t in names or m in names or any(ch.isdigit() for ch in t) for t, m in pairs.items()):
        return 0.0  # only names in common: two stories about one person or place
    own_a = {t for t in ta.names if t not in pairs}
    own_b = {t for t in tb.names if t not in pairs.values()}
    if own_a and own_b:
        return 0.0  # each names someone the other does not: a different actor
    if ta.lead and tb.lead and ta.lead not in pairs and tb.lead not in pairs.values():
        return 0.0  # headlines lead with their subject, and these subjects differ
    dot = sum(ta.weights[t] * tb.weights[m] for t, m in pairs.items())
    norm = math.sqrt(sum(w * w for w in ta.weights.values()) * sum(w * w for w in tb.weights.values()))
    return dot / norm


def _figures_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return True
    return a <= b or b <= a


def similar_titles(a: str | TitleTokens, b: str | TitleTokens) -> bool:
    return similarity(a, b) >= SIMILAR


# ---------------------------------------------------------------- grouping


@dataclass
class Cluster:
    """One story's items; items[0] is the best source."""

    items: list[Item] = field(default_factory=list)

    @property
    def best(self) -> Item:
        return self.items[0]

    @property
    def others(self) -> list[Item]:
        return self.items[1:]


def best_first(items: Iterable[Item], weight: Callable[[str], float]) -> list[Item]:
    """Heavier feed first, then the fuller text; then feed and key, so the
    order never depends on how the store returned the rows."""
    return sorted(items, key=lambda i: (-weight(i.feed_url), -len(i.text), i.feed_url, i.key))


def same_link(a: Item, b: Item) -> bool:
    """One story by its link: the same canonical link from two feeds (one
    article, syndicated), or twice in one feed under the same title (one
    entry listed again under a new guid). Entries of one feed with their
    own guids and titles that share a link are the site pointing every
    entry at its home page: different stories. (store.unsent_items applies
    the same rule to what was sent.)"""
    return bool(a.link) and a.link == b.link and (a.feed_url != b.feed_url or a.title == b.title)


def same_event(a: Item, b: Item, tokens: Callable[[Item], TitleTokens], window: timedelta = WINDOW) -> bool:
    if same_link(a, b):
        return True
    if abs(a.when - b.when) > window:
        return False
    return similar_titles(tokens(a), tokens(b))


def cluster(items: Iterable[Item], weight: Callable[[str], float] = lambda url: 1.0,
            window: timedelta = WINDOW) -> list[Cluster]:
    """Group items into stories. Each cluster lists its best source first
    (weight, then fullest text); clusters come in the order of their best
    item. Two entries of one feed with one link and one title collapse
    into one story (see `same_link`).

    Each item joins the first story, in creation order, that `_joins` it.
    Comparing with every story made the run quadratic (1,076 items took
    2.4 s, 4,000 took a minute), so only the stories that could possibly
    join it are tried (see `_Candidates`); they are tried in the same
    order, so the grouping is exactly the one the full comparison gives.
    """
    cache: dict[int, TitleTokens] = {}

    def tokens(item: Item) -> TitleTokens:
        if id(item) not in cache:
            cache[id(item)] = title_tokens(item.title)
        return cache[id(item)]

    ordered = best_first(items, weight)
    candidates = _Candidates([tokens(item) for item in ordered])
    clusters: list[Cluster] = []
    for item in ordered:
        home = next((index for index in candidates.of(item, tokens(item))
                     if _joins(clusters[index], item, tokens, window)), None)
        if home is None:
            home = len(clusters)
            clusters.append(Cluster([item]))
        else:
            clusters[home].items.append(item)
        candidates.add(home, item, tokens(item))
    return clusters


def _match_key(token: str) -> str:
    """Two tokens that `_pairs` can match share this key: equal tokens
    trivially, and a token that extends another (both four letters or
    more) shares its first four letters."""
    return sys.intern(token[:4])  # one string per key, and `in` on tuples of them hits by identity


class _Candidates:
    """The stories an item could join, found through an index.

    A story can take an item only through a member with the same link, or
    one whose title is similar; similar titles have at least MIN_SHARED
    tokens matched one to one, and matched tokens share a `_match_key`. So
    the two titles' key multisets (a key repeated in a title counts once
    per token: see `_elements`) overlap in at least MIN_SHARED elements.
    Prefix filtering finds every such pair exactly: with all elements in
    one global order, rarest first, two multisets that overlap in t
    elements share an element among the first len - t + 1 of each. So each
    member is indexed, and each item looked up, by its rarest len - 2
    elements only; the common keys, which would list most stories, are
    neither. A story found is kept only if one of its members has the keys
    of at least MIN_SHARED of the item's tokens (cheap to count; it rules
    out most stories before the full measure runs).

    The index is kept per feed: a story that holds an item of a feed can
    take no other item of it (but by the same link, which `_by_link`
    finds), so an item never looks at the stories indexed under its own
    feed. One feed of 4,000 near-identical titles ("... update on the front
    line N") made every pair a candidate: 7,998,000 `_joins` calls.
    """

    def __init__(self, all_tokens: list[TitleTokens]):
        self._frequency = Counter(key for t in all_tokens for key in {_match_key(w) for w in t.weights})
        # Lists and tuples, not sets, and each key string once: at thousands
        # of items the index was a fifth of a build's memory.
        # element -> feed -> stories with it in the prefix of a member from that feed
        self._by_element: dict[str, dict[str, list[int]]] = {}
        self._by_link: dict[str, list[int]] = {}
        self._member_keys: list[list[tuple[str, ...]]] = []  # per story, each member's distinct keys

    def _prefix(self, keys: list[str]) -> list[str]:
        """The rarest len - MIN_SHARED + 1 elements, in the global order."""
        elements = sorted(_elements(keys), key=lambda e: (self._frequency[e[1]], e[0]))
        return [element for element, _ in elements[: len(elements) - MIN_SHARED + 1]]

    def of(self, item: Item, tokens: TitleTokens) -> list[int]:
        """Indexes of the stories that may take this item, in creation order."""
        keys = [_match_key(w) for w in tokens.weights]
        found: set[int] = set()
        for element in self._prefix(keys):
            for feed, stories in self._by_element.get(element, {}).items():
                if feed != item.feed_url:
                    found.update(stories)
        counts = Counter(keys)  # a member's keys are distinct: summing these counts the item's tokens it has
        found = {index for index in found
                 if any(sum(counts.get(key, 0) for key in member) >= MIN_SHARED for member in self._member_keys[index])}
        if item.link:
            found.update(self._by_link.get(item.link, ()))
        return sorted(found)

    def add(self, index: int, item: Item, tokens: TitleTokens) -> None:
        if index == len(self._member_keys):
            self._member_keys.append([])
        keys = [_match_key(w) for w in tokens.weights]
        self._member_keys[index].append(tuple(dict.fromkeys(keys)))
        if item.link:
            self._by_link.setdefault(item.link, []).append(index)
        for element in self._prefix(keys):
            self._by_element.setdefault(element, {}).setdefault(item.feed_url, []).append(index)


def _elements(keys: list[str]) -> list[tuple[str, str]]:
    """(element, key) per token: the key itself, and for its second, third
    ... token the key with the count, so two titles that match n tokens on
    one key share n elements."""
    seen: Counter[str] = Counter()
    elements = []
    for key in keys:
        elements.append((key if not seen[key] else sys.intern(f"{key}\x00{seen[key]}"), key))
        seen[key] += 1
    return elements


def _joins(story: Cluster, item: Item, tokens, window: timedelta) -> bool:
    if any(same_link(item, other) for other in story.items):
        return True
    if any(other.feed_url == item.feed_url for other in story.items):
        return False
    return any(same_event(other, item, tokens, window) for other in story.items)
