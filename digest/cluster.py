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
from functools import cached_property, lru_cache

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
    weights: dict[str, float]  # token -> NAME_WEIGHT for names and figures, 1.0 otherwise (times rarity)
    names: frozenset[str]  # tokens that name someone or something (no figures)
    numbers: frozenset[str]
    lead: str | None = None  # the token of the first word, when that is a content word

    # Computed when the title is first compared (most titles of a big day never are).
    @cached_property
    def long(self) -> dict[str, tuple[str, ...]]:
        """The tokens of four letters or more by their first four, in title
        order: only those can extend one another (see `_pairs`)."""
        long: dict[str, list[str]] = {}
        for token in self.weights:
            if len(token) >= 4:
                long.setdefault(token[:4], []).append(token)
        return {key: tuple(tokens) for key, tokens in long.items()}

    @cached_property
    def norm(self) -> float:
        return math.sqrt(sum(w * w for w in self.weights.values()))


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
        word = match.group()
        # Where a word stands matters only to a capitalized one in a
        # sentence-case title (see `_is_name`); elsewhere the cache hits either way.
        at_start = sentence_case and word[0].isupper() and (position == 0 or _opens_phrase(text, match.start()))
        tokens = _word_tokens(word, at_start, sentence_case)
        if position == 0 and tokens:
            lead = tokens[0][0]
        for token, name, weight in tokens:
            weights[token] = max(weights.get(token, 1.0), weight)
            if name:
                names.add(token)
    numbers = frozenset(_NUMBER.findall(text.replace(",", ""))) if _DIGIT.search(text) else frozenset()
    return TitleTokens(weights, frozenset(names), numbers, lead)


def _opens_phrase(text: str, start: int) -> bool:
    """A capital after a colon or an opening quote starts a phrase, not a
    name. Looks back over the spaces before the word only (a search of the
    whole text before each word made a title quadratic)."""
    at = start - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at >= 0 and text[at] in ":'\"“"


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=1 << 16)
def _word_tokens(word: str, at_start: bool, sentence_case: bool) -> tuple[tuple[str, bool, float], ...]:
    """(token, is_name, weight) for one word of a title; stop words give
    nothing. Cached: headline words repeat (a day's 100,000 titles are
    made of a few tens of thousands of words), and tokenizing was most of
    the cost of grouping them."""
    return tuple((token, name, NAME_WEIGHT if name or any(ch.isdigit() for ch in token) else 1.0)
                 for token, name in _word_parts(word, at_start, sentence_case))


def _word_parts(word: str, at_start: bool, sentence_case: bool) -> list[tuple[str, bool]]:
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


def _pairs(a: TitleTokens, b: TitleTokens) -> dict[str, str]:
    """Tokens of a matched one to one with tokens of b: the same token
    first, then one that extends it ("syria"/"syrian", "erste"/"erster":
    four letters or more, so both share their first four, and only b's
    tokens with those are tried, in b's order). One to one, so "iphone"
    and "iphone-only" in one title cannot both count the other's "iphone"."""
    theirs = b.weights
    pairs = {t: t for t in a.weights if t in theirs}
    taken = set(pairs)
    for token in a.weights:
        if token in pairs or len(token) < 4:
            continue
        match = next((o for o in b.long.get(token[:4], ())
                      if o not in taken and (o.startswith(token) or token.startswith(o))), None)
        if match is not None:
            pairs[token] = match
            taken.add(match)
    return pairs


def similarity(a: str | TitleTokens, b: str | TitleTokens) -> float:
    """Weighted cosine of two titles' token sets; 0.0 when the titles
    cannot be one event (see the module docstring for the rules)."""
    ta = a if isinstance(a, TitleTokens) else title_tokens(a)
    tb = b if isinstance(b, TitleTokens) else title_tokens(b)
    pairs = _pairs(ta, tb)
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
    norm = ta.norm * tb.norm
    return dot / norm if norm else 0.0  # norm 0: every word in half the day's titles


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

    Each item joins the first story, in creation order, that `_joins` it,
    on titles weighted by how rare their words are among these items (see
    `day_tokens`). Comparing with every story made the run quadratic
    (1,076 items took 2.4 s, 4,000 took a minute), so only the stories
    that could join it are tried (see `_Candidates`), in the same order.
    """
    ordered = best_first(items, weight)
    plain, compared = day_tokens(ordered)
    candidates = _Candidates([plain(item) for item in ordered], window)
    clusters: list[Cluster] = []
    for item in ordered:
        home = next((index for index in candidates.of(item, plain(item))
                     if _joins(clusters[index], item, compared, window)), None)
        if home is None:
            home = len(clusters)
            clusters.append(Cluster([item]))
        else:
            clusters[home].items.append(item)
        candidates.add(home, item, plain(item))
    return clusters


# A word in more than this share of the day's titles starts to say less
# about which story a title tells; in half of them, nothing.
COMMON_SHARE = 0.01
# Below this many titles a count says nothing of how common a word is: a
# small digest is weighed as if it were one of this many titles.
RARITY_FLOOR = 1000


def rarity(titles_with_it: int, titles: int) -> float:
    """How much a word says of a title's story: 1.0 up to COMMON_SHARE of
    the titles, falling with the log of its share to 0.0 at half of them."""
    share = titles_with_it / max(titles, RARITY_FLOOR)
    if share <= COMMON_SHARE:
        return 1.0
    return max(0.0, math.log(0.5 / share) / math.log(0.5 / COMMON_SHARE))


def day_tokens(items: list[Item]) -> tuple[Callable[[Item], TitleTokens], Callable[[Item], TitleTokens]]:
    """Each item's title tokens as they are, for the index, and weighted by
    the rarity of each token among these items' titles, for comparing: on
    a day when "Trump" or "Ukraine" is in one title in seven, two titles
    sharing them and nothing rarer are not one story. (Alone, with nothing
    to count against, a title keeps its own weights: the labelled pairs are
    measured that way.) The weighted tokens are made for the titles that
    get compared only, on first use."""
    plain = {id(item): title_tokens(item.title) for item in items}
    counts = Counter(token for tokens in plain.values() for token in tokens.weights)
    scale = {token: rarity(count, len(items)) for token, count in counts.items()
             if count > COMMON_SHARE * max(len(items), RARITY_FLOOR)}
    weighted: dict[int, TitleTokens] = {}

    def compared(item: Item) -> TitleTokens:
        found = weighted.get(id(item))
        if found is None:
            tokens = plain[id(item)]
            if any(token in scale for token in tokens.weights):
                tokens = TitleTokens({t: w * scale.get(t, 1.0) for t, w in tokens.weights.items()},
                                     tokens.names, tokens.numbers, tokens.lead)
            found = weighted[id(item)] = tokens
        return found

    return (lambda item: plain[id(item)]), compared


def _match_key(token: str) -> str:
    """Two tokens that `_pairs` can match share this key: equal tokens
    trivially, and a token that extends another (both four letters or
    more) shares its first four letters."""
    return sys.intern(token[:4])  # one string per key, and `in` on tuples of them hits by identity


# Stories an index entry lists before its word says too little to look a
# title up by (a word in that many stories' titles of two days).
MAX_LISTED = 24


# An index entry that lists this many stories is closed (see _Candidates).
MAX_LISTED = 16


class _Candidates:
    """The stories an item could join, found through an index.

    A story can take an item only through a member with the same link, or
    one whose title is similar; similar titles have at least MIN_SHARED
    tokens matched one to one, and matched tokens share a `_match_key`. So
    the two titles' key multisets (a key repeated in a title counts once
    per token: see `_elements`) overlap in at least MIN_SHARED elements.
    Prefix filtering finds such pairs: with all elements in one global
    order, rarest first, two multisets that overlap in t elements share an
    element among the first len - t + 1 of each. So each member is indexed,
    and each item looked up, by its rarest len - 2 elements only.

    Two bounds keep the work linear in the number of items. An entry is
    (element, time bucket of the window's length): an item looks in its
    own bucket and the two beside it, so stories from outside the window
    are never listed. And an entry that lists MAX_LISTED stories is closed:
    a word in that many different stories' titles identifies none of them,
    and looking titles up by it made grouping quadratic on real headlines
    (4,000 items of common words: 3,341 lookups listing nearly every
    story). Pairs whose shared rarest words are all closed are not
    compared; the index finds every pair the full comparison would as long
    as no entry closes (tests/test_cluster.py).

    A story is listed once per entry, with the feed of the member that put
    it there: an item never looks at a story of its own feed (it cannot
    join one, but by the same link, which `_by_link` finds). One feed of
    4,000 near-identical titles once made every pair a candidate. A story
    found is kept only if one of its compared members has the keys of at
    least MIN_SHARED of the item's tokens (cheap to count; it rules out
    most stories before the full measure runs).
    """

    def __init__(self, all_tokens: list[TitleTokens], window: timedelta = WINDOW):
        self._frequency = Counter(key for t in all_tokens for key in {_match_key(w) for w in t.weights})
        self._span = window.total_seconds()
        # (element, bucket) -> {story: feed of the member that listed it}; None once closed
        self._listed: dict[tuple[str, int], dict[int, str] | None] = {}
        self._by_link: dict[str, list[int]] = {}
        self._member_keys: list[list[frozenset[str]]] = []  # per story, each compared member's keys
        self._last: tuple[Item, tuple[list[str], list[str], int]] | None = None
        self.looked_at = 0  # candidate stories counted against (what the bounds bound)

    def _prefix(self, keys: list[str]) -> list[str]:
        """The rarest len - MIN_SHARED + 1 elements, in the global order."""
        elements = sorted(_elements(keys), key=lambda e: (self._frequency[e[1]], e[0]))
        return [element for element, _ in elements[: len(elements) - MIN_SHARED + 1]]

    def _bucket(self, item: Item) -> int:
        return int(item.when.timestamp() // self._span)

    def _look(self, item: Item, tokens: TitleTokens) -> tuple[list[str], list[str], int]:
        """The item's keys, prefix and time bucket, worked out once for `of` and `add`."""
        if self._last is None or self._last[0] is not item:
            keys = [_match_key(w) for w in tokens.weights]
            self._last = (item, (keys, self._prefix(keys), self._bucket(item)))
        return self._last[1]

    def of(self, item: Item, tokens: TitleTokens) -> list[int]:
        """Indexes of the stories that may take this item, in creation order."""
        keys, prefix, bucket = self._look(item, tokens)
        found: set[int] = set()
        for element in prefix:
            for near in (bucket - 1, bucket, bucket + 1):
                stories = self._listed.get((element, near))
                if stories:
                    found.update(story for story, feed in stories.items() if feed != item.feed_url)
        self.looked_at += len(found)
        if found:
            distinct = set(keys)
            if len(distinct) == len(keys):
                found = {index for index in found
                         if any(len(distinct & member) >= MIN_SHARED for member in self._member_keys[index])}
            else:
                counts = Counter(keys)  # a key of several tokens counts for each
                found = {index for index in found if any(sum(counts.get(key, 0) for key in member) >= MIN_SHARED
                                                         for member in self._member_keys[index])}
        if item.link:
            found.update(self._by_link.get(item.link, ()))
        return sorted(found)

    def add(self, index: int, item: Item, tokens: TitleTokens) -> None:
        if index == len(self._member_keys):
            self._member_keys.append([])
        if item.link:
            self._by_link.setdefault(item.link, []).append(index)
        if len(self._member_keys[index]) >= ANCHORS:
            return  # its title is never compared (see `_joins`)
        keys, prefix, bucket = self._look(item, tokens)
        self._member_keys[index].append(frozenset(keys))
        for element in prefix:
            entry = (element, bucket)
            stories = self._listed.setdefault(entry, {})
            if stories is None or index in stories:
                continue
            if len(stories) >= MAX_LISTED:
                self._listed[entry] = None  # closed: too common to find a story by
                continue
            stories[index] = item.feed_url

    def closed(self) -> int:
        """Index entries closed for listing too many stories."""
        return sum(stories is None for stories in self._listed.values())


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


# A story's titles are compared through its first members, its best
# sources: a new item like none of them is another story (or another angle
# of a big one), and one item's cost stays bounded however big a story gets.
# Compared with every member, on a day of common words, stories chained
# into one of 253 items (on 20,000 items, 62,350 pairs wrongly together).
ANCHORS = 8


def _joins(story: Cluster, item: Item, tokens, window: timedelta) -> bool:
    if any(same_link(item, other) for other in story.items):
        return True
    if any(other.feed_url == item.feed_url for other in story.items):
        return False
    return any(same_event(other, item, tokens, window) for other in story.items[:ANCHORS])
