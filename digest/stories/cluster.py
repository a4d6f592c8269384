"""Stories: items from different feeds about the same event, grouped.

Pure functions over plain data; no I/O. Two items are one story when they
have the same canonical link (from two feeds, or in one feed under one
title: see `same_link`), or when their titles are close enough and they
were published within 48 hours of each other.

How close is "close enough" -- the measure, and why:

- Titles become sets of tokens: lowercased, accents off Latin letters ("Wikipédia"
  meets "Wikipedia"), stop words (English and German,
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

import gc
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain, combinations, compress, islice, repeat
from operator import eq, is_not, itemgetter, not_

from ..models import Item

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


@dataclass(slots=True)
class TitleTokens:
    weights: dict[str, float]  # token -> NAME_WEIGHT for names and figures, 1.0 otherwise (times rarity)
    names: frozenset[str]  # tokens that name someone or something (no figures)
    numbers: frozenset[str]
    lead: str | None = None  # the token of the first word, when that is a content word
    # Worked out when the title is first compared (most titles of a big day never are).
    _norm: float | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def norm(self) -> float:
        if self._norm is None:
            self._norm = math.sqrt(sum(w * w for w in self.weights.values()))
        return self._norm


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

# A word, and the colon or opening quote before it (spaces between), if
# any: a capital there opens a phrase, not a name. Found in the same pass
# as the words (a search of the text before each word made a title
# quadratic; a look back from each match cost a call per word).
_WORD_AFTER = re.compile(r"(?:([:'\"“])\s*)?(" + _WORD.pattern + ")")
_DIGIT = re.compile(r"\d")
_MARKS = re.compile(r"[:'\"“]")


# A word's tokens as a run keeps them: the tokens alone (what the index
# and the counts of a day read) and (token, is_name, weight) for comparing.
WordTokens = tuple[tuple[str, ...], tuple[tuple[str, bool, float], ...]]
# A title as a run keeps it until it is compared: its words' tokens (shared
# with the run's `WordCache`: a title costs a pointer a word) and its figures.
TitleWords = tuple[tuple[WordTokens, ...], frozenset[str]]
_EMPTY: frozenset[str] = frozenset()  # for every title without figures or names (each empty frozenset is 200 bytes)
_NO_TOKENS: WordTokens = ((), ())  # a stop word's


class WordCache:
    """Each distinct word's tokens, worked out once for a run: a day's
    100,000 titles are made of a few tens of thousands of words, and
    tokenizing them word by word was most of the cost of grouping. A word's
    tokens depend on whether its title is in sentence case and, there, on
    whether a capital opens it (see `_is_name`): one dict for each case, so
    a lookup is by the word alone. It grows with the run's distinct words
    and goes with the run."""

    __slots__ = ("title_case", "inside", "opening")

    def __init__(self) -> None:
        self.title_case: dict[str, WordTokens] = {}
        self.inside: dict[str, WordTokens] = {}
        self.opening: dict[str, WordTokens] = {}


def title_tokens(title: str, words: WordCache | None = None) -> TitleTokens:
    """A title's tokens; `words` carries what earlier titles of the run
    worked out (a title alone gets a cache of its own)."""
    return _title_tokens(title_words(title, WordCache() if words is None else words))


def title_words(title: str, words: WordCache) -> TitleWords:
    """What a title's tokens are made from: each word's tokens, looked up
    in the run's cache (in C, a title at a time: a word at a time in Python
    was most of the cost of tokenizing a big day), and its figures."""
    text = unicodedata.normalize("NFKC", title[:TITLE_CHARS]).replace("’", "'").replace("‘", "'")
    numbers = frozenset(_NUMBER.findall(text.replace(",", ""))) if _DIGIT.search(text) else _EMPTY
    # The words, and for each the colon or quote before it if any (see
    # `_WORD_AFTER`); looking for those costs half as much again, so only
    # where the title has one of them.
    marked = _WORD_AFTER.findall(text) if _MARKS.search(text) else None
    plain = _WORD.findall(text) if marked is None else list(map(itemgetter(1), marked))
    if not plain:
        return (), numbers
    sentence_case = _is_sentence_case(plain)
    if not sentence_case:
        parts = list(map(words.title_case.get, plain))
    else:
        parts = list(map(words.inside.get, plain))
        if plain[0][0].isupper():
            parts[0] = words.opening.get(plain[0])
        for position in _after_marks(marked):
            if plain[position][0].isupper():
                parts[position] = words.opening.get(plain[position])
    if None in parts:  # words this run has not met yet
        after_mark = {0, *_after_marks(marked)}
        for position, word in enumerate(plain):
            if parts[position] is None:
                parts[position] = _cached_word_tokens(word, position in after_mark, sentence_case, words)
    return tuple(parts), numbers


def _after_marks(marked: list[tuple[str, str]] | None) -> list[int]:
    """The positions of the words that follow a colon or an opening quote."""
    if not marked or not any(map(itemgetter(0), marked)):
        return []
    return [position for position, (mark, _) in enumerate(marked) if mark]


def _cached_word_tokens(word: str, after_mark: bool, sentence_case: bool, words: WordCache) -> WordTokens:
    """A word's tokens, worked out and kept in the cache for its case (see
    `WordCache`); `after_mark`: it opens the title or follows a colon or quote."""
    if not sentence_case:
        cache, at_start = words.title_case, False
    elif word[0].isupper() and after_mark:
        cache, at_start = words.opening, True  # the capital opens the title or a phrase
    else:
        cache, at_start = words.inside, False
    tokens = cache.get(word)
    if tokens is None:
        tokens = cache[word] = _word_tokens(word, at_start, sentence_case)
    return tokens


def _title_tokens(title: TitleWords) -> TitleTokens:
    """A title's tokens from its words' (see `title_words`): a token that
    comes twice keeps its heavier weight, in the order it first came."""
    parts, numbers = title
    weights: dict[str, float] = {}
    names: set[str] = set()
    for _, tokens in parts:
        for token, name, weight in tokens:
            if weight > weights.get(token, 0.0):
                weights[token] = weight
            if name:
                names.add(token)
    lead = parts[0][1][0][0] if parts and parts[0][1] else None
    return TitleTokens(weights, frozenset(names) if names else _EMPTY, numbers, lead)


def _token_keys(title: TitleWords) -> tuple[str, ...]:
    """A title's distinct tokens in the order they first come (the order of
    its `TitleTokens.weights`), without building its weights."""
    return tuple(dict.fromkeys(chain.from_iterable(map(itemgetter(0), title[0]))))


def _word_tokens(word: str, at_start: bool, sentence_case: bool) -> WordTokens:
    """A word's tokens, and (token, is_name, weight) for each; stop words give nothing."""
    if word.isascii() and word.isalpha():  # most words: what `_word_parts` does for them, inline
        lower = word.lower()
        if lower not in _ALIASES:
            if lower in _STOP_WORDS or len(lower) < 2:
                return _NO_TOKENS
            token = stem(lower)
            # `_is_name` for one ASCII word: all its letters are cased, so
            # "not all lower" after the first is "a capital after the first".
            name = ((len(word) > 1 and (word.isupper() or not word[1:].islower()))
                    or (sentence_case and word[0].isupper() and not at_start))
            return (token,), ((token, name, NAME_WEIGHT if name else 1.0),)
    triples = tuple((token, name, NAME_WEIGHT if name or any(ch.isdigit() for ch in token) else 1.0)
                    for token, name in _word_parts(word, at_start, sentence_case))
    return tuple(token for token, _, _ in triples), triples


def _alias(word: str) -> str | None:
    """The expansion of a shorthand written as one: "UN", "EU", "Fed" (not
    French "un", Portuguese "eu", or "Un" opening a French headline)."""
    lower = word.lower()
    if lower not in _ALIASES or word == lower or (len(lower) == 2 and not word.isupper()):
        return None
    return _ALIASES[lower]


def _folded(word: str) -> str:
    """A Latin word without its accents, so "Wikipédia" meets "Wikipedia"
    and "Élysée" "Elysee" (headlines and feeds drop them at will)."""
    if word.isascii() or any(ord(ch) > 0x24F for ch in word):
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def _word_parts(word: str, at_start: bool, sentence_case: bool) -> list[tuple[str, bool]]:
    word = _folded(word)
    if word.isalpha():  # most words: one part, no figure (what the rest does, without its regexes)
        lower = word.lower()
        if _alias(word):
            return [(stem(w), True) for w in _ALIASES[lower].split() if w not in _STOP_WORDS]
        if lower in _STOP_WORDS or len(lower) < 2:
            return []
        return [(stem(lower), _is_name(word, 0, at_start, sentence_case))]
    word = re.sub(r"'s$", "", word)
    alias = _alias(word)
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
    # The first letters of the longer words (counted in C: this ran for every title).
    firsts = list(filter(str.isalpha, [w[0] for w in words[1:] if len(w) > 3]))
    if not firsts:
        return False
    return sum(map(str.isupper, firsts)) / len(firsts) < 0.6


def _pairs(a: TitleTokens, b: TitleTokens) -> dict[str, str]:
    """Tokens of a matched one to one with tokens of b: the same token
    first, then one that extends it ("syria"/"syrian", "erste"/"erster":
    four letters or more, so both share their first four), the first such
    of b's tokens in b's order. One to one, so "iphone" and "iphone-only"
    in one title cannot both count the other's "iphone". (b's long tokens
    are walked for each of a's left over: a title has a handful, and a
    dict of them by their first four letters, kept for each title compared,
    was 17 MB on a 100,000-item day.)"""
    theirs = b.weights
    pairs = {t: t for t in a.weights if t in theirs}
    taken = set(pairs)
    for token in a.weights:
        if token in pairs or len(token) < 4:
            continue
        match = next((o for o in theirs if len(o) >= 4 and o not in taken
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
    return sorted(items, key=lambda i: (-weight(i.feed_url), -i.text_length, i.feed_url, i.key))


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
    with _cycles_not_collected():
        return _grouped(list(items), weight, window)


@contextmanager
def _cycles_not_collected() -> Iterator[None]:
    """Grouping allocates millions of small tuples, dicts and lists (title
    tokens, index entries) that all live until it returns and form no
    cycles, so the cycle collector found nothing while walking them again
    and again: half the cost of indexing a 20,000-item day (pairs of an
    item's words: 20 us with it, 9.6 us without). Whatever the caller had
    is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _grouped(items: list[Item], weight: Callable[[str], float], window: timedelta) -> list[Cluster]:
    ordered = best_first(items, weight)
    elements, compared = day_tokens(ordered)
    times = [item.when.timestamp() for item in ordered]
    candidates = _Candidates(window, 1 + max((mine[0] for mine in elements if mine), default=0))
    clusters: list[Cluster] = []
    for item, mine, when in zip(ordered, elements, times):
        home = next((index for index in candidates.of(item, mine, when)
                     if _joins(clusters[index], item, compared, window)), None)
        if home is None:
            home = len(clusters)
            clusters.append(Cluster([item]))
        else:
            clusters[home].items.append(item)
        candidates.add(home, item, mine, when)
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


def day_tokens(items: list[Item]) -> tuple[list[tuple[int, ...]], Callable[[Item], TitleTokens]]:
    """Each item's index elements (see `_Candidates`), in the items' order,
    and its title tokens weighted by the rarity of each token among these
    items' titles, for comparing: on a day when "Trump" or "Ukraine" is in
    one title in seven, two titles sharing them and nothing rarer are not
    one story. (Alone, with nothing to count against, a title keeps its own
    weights: the labelled pairs are measured that way.) The weighted tokens
    are made for the titles that get compared only, on first use."""
    words = WordCache()
    titles = [title_words(item.title, words) for item in items]
    keys = list(map(_token_keys, titles))
    counts = Counter(chain.from_iterable(keys))
    scale = {token: rarity(count, len(items)) for token, count in counts.items()
             if count > COMMON_SHARE * max(len(items), RARITY_FLOOR)}
    numbers = _ElementNumbers()
    elements = list(map(numbers.of, keys))
    del keys, counts
    # Each item's title words until it is first compared, then its weighted
    # tokens (most titles of a big day are compared, few more than once).
    kept: dict[int, TitleWords | TitleTokens] = dict(zip(map(id, items), titles))
    del titles

    def compared(item: Item) -> TitleTokens:
        found = kept[id(item)]
        if type(found) is not TitleTokens:
            tokens = _title_tokens(found)
            if any(token in scale for token in tokens.weights):
                tokens = TitleTokens({t: w * scale.get(t, 1.0) for t, w in tokens.weights.items()},
                                     tokens.names, tokens.numbers, tokens.lead)
            found = kept[id(item)] = tokens
        return found

    return elements, compared


# Two tokens that `_pairs` can match share their first KEY_CHARS letters,
# their key: equal tokens trivially, and a token that extends another (both
# four letters or more) shares its first four.
KEY_CHARS = 4


def _elements(tokens: Iterable[str]) -> list[str]:
    """One element per token: its key, and for the second, third ... token
    of a key the key with the count, so two titles that match n tokens on
    one key share n elements."""
    keys = [token[:KEY_CHARS] for token in tokens]
    if len(set(keys)) == len(keys):
        return keys  # most titles: no key twice
    seen: dict[str, int] = {}
    elements = []
    for key in keys:
        count = seen.get(key, 0)
        elements.append(key if not count else f"{key}\x00{count}")
        seen[key] = count + 1
    return elements


class _ElementNumbers(dict[str, int]):
    """A run's elements (see `_elements`) as numbers, and each token's: the
    index works with small ints, one object per element, so a probe finds
    its key by identity and never reads a string. A token seen before costs
    one lookup, done in C (`of`)."""

    def __init__(self) -> None:
        super().__init__()
        self._numbers: dict[str, int] = {}  # element -> its number, in order of first sight

    def __missing__(self, token: str) -> int:
        number = self[token] = self._number(token[:KEY_CHARS])
        return number

    def _number(self, element: str) -> int:
        return self._numbers.setdefault(element, len(self._numbers))

    def of(self, tokens: Sequence[str]) -> tuple[int, ...]:
        """The element numbers of a title's distinct tokens, highest (first
        seen last: rarer) first."""
        numbers = list(map(self.__getitem__, tokens))
        if len(set(numbers)) < len(numbers):  # a key twice: count them (see `_elements`)
            numbers = [self._number(element) for element in _elements(tokens)]
        numbers.sort(reverse=True)
        return tuple(numbers)


# Titles of more than one story an index entry lists before its pair of
# words says too little to find a story by. Tried on the realistic
# generator's 4,000 items (right/wrong/missed pairs): 4 gave 1282/114/134,
# 5 gave 1280/135/136 (the single-word index: 1280/159/136).
MAX_LISTED = 4
# Two titles that share MIN_SHARED elements share this many pairs of them.
SHARED_PAIRS = MIN_SHARED * (MIN_SHARED - 1) // 2

Entry = tuple[int] | list[int] | tuple[()]  # the member an index entry lists, its members, or () once closed


class _Candidates:
    """The stories an item could join, found through an index of pairs.

    A story can take an item only through a member with the same link, or
    one whose title is similar; similar titles have at least MIN_SHARED
    tokens matched one to one, and matched tokens share a key (their first
    KEY_CHARS letters). So the two titles' key multisets (a key repeated in
    a title counts once per token: see `_elements`) overlap in at least
    MIN_SHARED elements, that is in at least SHARED_PAIRS pairs of
    elements. Each compared member is indexed by every pair of its title's
    elements, and an item counts, per member, the pairs it shares: the
    members with SHARED_PAIRS are exactly those sharing MIN_SHARED
    elements, so no member's keys need a second look.

    Pairs, not single words: looked up by its rarest words, an item of a
    20,000-item day of ordinary headlines met 26 stories and kept 0.65
    after comparing keys with each of their members (140 us an item, most
    of grouping), and as the day grew a title's rarest words were in so
    many stories that their entries closed (100,000 items: 14,341 true
    pairs missed). Two of a title's words together are in few titles
    however big the day.

    A pair is one int (see `_pair_codes`), made once per item and used
    both to look and to be listed: each code is looked up once per bucket
    over the whole title in C, in its own bucket with `dict.setdefault`,
    which lists the new pairs in the same probe. A row of small dicts per element, walked element
    by element, cost a dozen Python-level steps an item per bucket and
    every listed pair a second lookup (an intersection, then the entry),
    and its lists were counted with a Counter walked in Python: 79 us of
    CPU an item on a 100,000-item day, against 48 us this way (one run
    each, side by side, on a loaded machine). What is left is mostly
    memory: a day's index is a million pairs, and each probe a cache miss.

    Two bounds keep the work per item independent of the day's size. An
    entry is (time bucket twice the window long, pair): an item looks in
    two buckets, and counts only members within the window of it. And an
    entry that lists MAX_LISTED titles of more than one story is closed
    (see `_with`). Members whose shared pairs are all closed are not
    found; the index finds every story the full comparison would as long
    as no entry closes (tests/test_cluster.py). A title's pairs are
    bounded by TITLE_CHARS.

    An item never counts a member of its own feed (it cannot join that
    story, but by the same link, which `_by_link` finds). One feed of
    4,000 near-identical titles once made every pair a candidate.
    """

    def __init__(self, window: timedelta = WINDOW, width: int = 1 << 32):
        self._window = window.total_seconds()
        self._width = width  # more than any element number (see `_pair_codes`)
        self._listed: dict[int, dict[int, Entry]] = {}  # bucket -> pair code -> entry
        self._by_link: dict[str, int | list[int]] = {}  # link -> the stories with it (see `_link`)
        # per member (a title indexed): its story, its feed, its time
        self._story: list[int] = []
        self._feed: list[str] = []
        self._when: list[float] = []
        self._anchors: list[int] = []  # per story, members indexed
        self.looked_at = 0  # index listings counted (what the bounds bound)
        # What `of` found for the item `add` lists next: the item, its pair
        # codes, its own bucket's entries and each code's entry there (None:
        # not listed yet), so that listing it costs no second lookup.
        self._last: tuple[Item, list[int], dict[int, Entry], list[Entry | None]] | None = None

    def _buckets(self, when: float) -> tuple[int, int]:
        """The bucket of a time, twice the window long, and the one beside
        the half it is in: the two hold every title within the window of it."""
        at = when / self._window
        bucket = int(at // 2)
        return bucket, bucket - 1 if at - 2 * bucket < 1 else bucket + 1

    def _pair_codes(self, elements: tuple[int, ...]) -> list[int]:
        """Each pair of the title's elements as one int, higher * width +
        lower (the elements come highest first)."""
        width = self._width
        return [higher * width + lower for higher, lower in combinations(elements, 2)]

    def of(self, item: Item, elements: tuple[int, ...], when: float) -> list[int]:
        """Indexes of the stories that may take this item, in creation order.
        The item's pairs new to its bucket are listed in the same probe (see
        `add`, which must follow, for this item)."""
        codes = self._pair_codes(elements)
        own, beside = self._buckets(when)
        listed = self._listed
        index = listed.get(own)
        if index is None:
            index = listed[own] = {}
        # Looked up and, where new, listed with this item as the member it
        # will be, in one probe (most of a big day's pairs are new, and a
        # probe of a million-entry dict is a cache miss); `add` takes them
        # out again if the item is not indexed.
        mine = (len(self._story),)
        got = list(map(index.setdefault, codes, repeat(mine)))
        listed_before = list(map(is_not, got, repeat(mine)))
        self._last = (item, codes, index, got, listed_before)
        entries = list(filter(None, compress(got, listed_before)))  # neither new nor closed (())
        near = listed.get(beside)
        if near:
            entries += filter(None, map(near.get, codes))
        hits = sum(map(len, entries))
        self.looked_at += hits
        found = set()
        if hits >= SHARED_PAIRS:
            # The members listed SHARED_PAIRS times or more, found in C: sorted,
            # a member whose copy stands SHARED_PAIRS - 1 places on is one.
            members = sorted(chain.from_iterable(entries))
            often = set(compress(members, map(eq, members, islice(members, SHARED_PAIRS - 1, None))))
            feeds, times, stories, window = self._feed, self._when, self._story, self._window
            for member in often:
                if feeds[member] != item.feed_url and abs(when - times[member]) <= window:
                    found.add(stories[member])
        if item.link:
            stories_of_link = self._by_link.get(item.link)
            if type(stories_of_link) is int:
                found.add(stories_of_link)
            elif stories_of_link:
                found.update(stories_of_link)
        return sorted(found)

    def add(self, index: int, item: Item, elements: tuple[int, ...], when: float) -> None:
        """List the item `of` was last asked about as a member of story
        `index` (its elements and time are those `of` was given)."""
        if index == len(self._anchors):
            self._anchors.append(0)
        if item.link:
            self._link(item.link, index)
        asked, codes, listed, got, listed_before = self._last or (None, [], {}, [], [])
        assert asked is item, "add() lists the item of() was last asked about"
        self._last = None
        if self._anchors[index] >= ANCHORS:  # its title is never compared (see `_joins`)
            for code in compress(codes, map(not_, listed_before)):
                del listed[code]  # the entries `of` made for it
            return
        self._anchors[index] += 1
        member = len(self._story)
        self._story.append(index)
        self._feed.append(item.feed_url)
        self._when.append(when)
        for code, members in compress(zip(codes, got), listed_before):
            if type(members) is tuple:
                if members:  # () is closed
                    listed[code] = [members[0], member]
            elif len(members) < MAX_LISTED:
                members.append(member)
            else:
                listed[code] = self._with(members, member, index)

    def _link(self, link: str, story: int) -> None:
        """Note a story by a link of its: the story's index, or their list
        once the link is in two (a list a link was 12 MB on a 100,000-item
        day, where links are mostly an item's own)."""
        stories = self._by_link.setdefault(link, story)
        if stories is not story:
            if type(stories) is int:
                self._by_link[link] = [stories, story]
            else:
                stories.append(story)

    def _with(self, members: list[int], member: int, story: int) -> Entry:
        """A full index entry with one member more, or closed: once it lists
        MAX_LISTED titles of more than one story, its pair says too little
        to find a story by. The titles of one story alone never close it
        (ten feeds' copies of a wire headline must keep finding theirs; a
        story lists at most ANCHORS)."""
        if any(self._story[listed] != story for listed in members):
            return ()
        members.append(member)
        return members

    def closed(self) -> int:
        """Index entries closed for listing too many stories."""
        return sum(members == () for listed in self._listed.values() for members in listed.values())


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
