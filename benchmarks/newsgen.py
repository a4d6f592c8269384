"""Generated news that reads like real headlines, for the benchmarks.

bench.py's first generator drew pseudo-words that almost never repeat, so
titles shared few words and grouping was cheap. Real headlines share many
("says", "Ukraine", "Trump", "new", "after"): word frequencies follow a
Zipf curve. Here:

- The vocabulary: the stop words headlines carry, about 120 common
  headline words (real ones; names capitalized), then pseudo-words up to
  VOCABULARY words. Content words are drawn with Zipf weights 1/(rank +
  12)^1.2: the top hundred carry 53% of the mass, the
  commonest word is in one title in seven (see `top_share`).
- Stories: feeds come in blocks of BLOCK; each block has SHARED stories,
  each carried by 2-5 of the block's feeds, every carrier under its own
  rewording of the headline (a word dropped, one replaced, two swapped,
  other stop words, a kicker such as "Live:" or a source tail added), and
  published within three hours of the others. A feed carries the shared
  stories its block gives it (up to a third of its items) and fills the
  rest with stories of its own.
- Bodies come from the same vocabulary, with a link in the first
  paragraph; a third of the items has a figure with a caption, another
  third a media:content picture; one feed in three also has
  content:encoded, one in four is Atom; authors as <author> or dc:creator.

Feed k's content depends only on k, the item count and `now`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

VOCABULARY = 4000
BLOCK = 10  # feeds that share stories with each other
SHARED = 24  # shared stories per block
SPAN = timedelta(hours=20)  # items are dated within this much before now
NAMES = 0.6  # share of stories with a name of their own

STOP = ("the a to of in for on and with as at after over is from by new says will up could more than into "
        "how why what not be its his her their out about amid before against under first two back off this "
        "who has have are was were").split()
COMMON = """Trump Ukraine Russia China Biden Israel Gaza police government election war court president
    minister deal report people world climate market house state city school health killed attack plan
    talks vote bill tax prices rates bank year week day record fire storm crash Putin Zelensky Europe
    EU UK US NHS Fed Congress Senate Labour Starmer Macron Germany France India Iran Syria Taiwan Japan
    Korea Mexico Canada Australia London Paris Washington Kyiv Moscow Beijing strike strikes workers
    jobs economy inflation growth energy oil gas power water crisis protest protesters shooting
    murder trial judge ruling ban law laws police officers army troops missile drone drones
    ceasefire peace aid hospital patients doctors cancer study scientists AI Apple Google Microsoft
    Tesla Musk app users data hack cyber football Cup final win wins season coach star film music
    show family children women men""".split()
KICKERS = ("Live:", "Analysis:", "Breaking:", "Update:", "Watch:", "Explainer:")
TAILS = (" - Reuters", " | AP", " - BBC News", " | The Guardian")
_CONSONANTS, _VOWELS = "bcdfghjklmnprstvwz", "aeiou"


def _vocabulary(size: int, seed: int = 11) -> tuple[list[str], list[float]]:
    """COMMON then pseudo-words to `size`, with cumulative Zipf weights."""
    rng = random.Random(seed)
    words = dict.fromkeys(COMMON)
    taken = {w.lower() for w in words} | set(STOP)
    while len(words) < size:
        word = "".join(rng.choice(_VOWELS if i % 2 else _CONSONANTS) for i in range(rng.randint(4, 10)))
        if word not in taken:
            taken.add(word)
            words[word] = None
    cumulative, total = [], 0.0
    for rank in range(size):
        total += 1 / (rank + 12) ** 1.2
        cumulative.append(total)
    return list(words), cumulative


WORDS, CUMULATIVE = _vocabulary(VOCABULARY)


def top_share(top: int = 100) -> float:
    """The share of all content-word draws that the `top` commonest words take."""
    return CUMULATIVE[top - 1] / CUMULATIVE[-1]


def _word(rng: random.Random) -> str:
    return rng.choices(WORDS, cum_weights=CUMULATIVE)[0]


def _content_words(rng: random.Random, count: int) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        word = _word(rng)
        if word not in words:
            words.append(word)
    return words


def _named(rng: random.Random, words: list[str], names: float) -> list[str]:
    """Pseudo-words as names now and then (a person, a place), as in real
    titles; and, with probability `names`, a name of the story's own that
    no vocabulary holds (who or where it happened: real headlines' rarest
    words), placed anywhere but first."""
    words = [w.capitalize() if w.islower() and rng.random() < 0.12 else w for w in words]
    for _ in range(2 if rng.random() < names / 3 else 1 if rng.random() < names else 0):
        name = "".join(rng.choice(_VOWELS if i % 2 else _CONSONANTS) for i in range(rng.randint(5, 9)))
        words.insert(rng.randrange(1, len(words) + 1), name.capitalize())
    return words


def _headline(rng: random.Random, content: list[str]) -> str:
    """Content words with stop words between, in sentence case."""
    out = []
    for word in content:
        if out and rng.random() < 0.4:
            out.append(rng.choice(STOP))
        out.append(word)
    out[0] = out[0][0].upper() + out[0][1:]
    return " ".join(out)


def _reworded(rng: random.Random, content: list[str]) -> str:
    """Another outlet's headline for the same story."""
    words = list(content)
    if len(words) > 4 and rng.random() < 0.5:
        del words[rng.randrange(1, len(words))]
    if rng.random() < 0.3:
        other = _word(rng)
        if other not in words:
            words[rng.randrange(1, len(words))] = other
    if rng.random() < 0.3:
        at = rng.randrange(1, len(words) - 1)
        words[at], words[at + 1] = words[at + 1], words[at]
    title = _headline(rng, words)
    if rng.random() < 0.15:
        title = f"{rng.choice(KICKERS)} {title}"
    if rng.random() < 0.1:
        title += rng.choice(TAILS)
    return title


def _sentence(rng: random.Random) -> str:
    count = rng.randint(8, 20)
    content = rng.choices(WORDS, cum_weights=CUMULATIVE, k=count)
    stops = rng.choices(STOP, k=count)
    text = " ".join(stop if rng.random() < 0.45 else word for word, stop in zip(content, stops))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int = 3) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


@dataclass(frozen=True)
class Entry:
    title: str
    link: str
    guid: str
    when: datetime
    author: str
    body: str  # HTML
    summary: str  # HTML: the first sentence (feeds with content:encoded)
    picture: str  # a media:content URL, or ""


def _shared_stories(block: int, now: datetime, names: float) -> list[tuple[int, list[int], list[str], datetime]]:
    """(story seed, carriers, content words, base time) of the block's shared stories."""
    stories = []
    for s in range(SHARED):
        seed = block * 1000 + s
        rng = random.Random(seed)
        carriers = rng.sample(range(block * BLOCK, (block + 1) * BLOCK), k=rng.randint(2, 5))
        content = _named(rng, _content_words(rng, rng.randint(5, 8)), names)
        base = now - timedelta(seconds=rng.uniform(3 * 3600, SPAN.total_seconds()))
        stories.append((seed, carriers, content, base))
    return stories


def shared_stories(number: int, now: datetime, names: float = NAMES) -> list[tuple[int, list[int], list[str], datetime]]:
    """The shared stories feed `number` carries (its block's, where it is a carrier)."""
    return [story for story in _shared_stories(number // BLOCK, now, names) if number in story[1]]


def entries(number: int, items: int, now: datetime, paragraphs: int = 3, names: float = NAMES) -> list[Entry]:
    """Feed `number`'s `items` entries, newest first; `names`: the share of
    stories with a name of their own (0: every word from the vocabulary)."""
    rng = random.Random(number * 7919 + 1)
    mine = shared_stories(number, now, names)[: items // 3]
    found = []
    for n in range(items):
        if n < len(mine):
            seed, _, content, base = mine[n]
            story_rng = random.Random(seed * 100_003 + number)
            title = _reworded(story_rng, content)
            when = base + timedelta(seconds=story_rng.uniform(0, 3 * 3600))
        else:
            story_rng = random.Random(number * 1_000_003 + n)
            title = _headline(story_rng, _named(story_rng, _content_words(story_rng, story_rng.randint(4, 8)), names))
            when = now - timedelta(seconds=story_rng.uniform(0, SPAN.total_seconds()))
        link = f"https://feed{number}.example/news/{n}-{title.split()[0].lower().strip(':')}"
        body = _body(story_rng, number, n, paragraphs)
        picture = f"https://cdn.feed{number}.example/media/{n}.jpg" if n % 3 == 1 else ""
        author = f"{_word(rng).capitalize()} {_word(rng).capitalize()}"
        found.append(Entry(title, link, f"feed{number}-{n}", when.replace(microsecond=0), author, body,
                           f"<p>{escape(_sentence(story_rng))}</p>", picture))
    return sorted(found, key=lambda e: e.when, reverse=True)


def _body(rng: random.Random, number: int, n: int, paragraphs: int) -> str:
    parts = []
    for p in range(paragraphs):
        text = escape(_paragraph(rng))
        if p == 0:
            head, _, rest = text.partition(" ")
            text = f'<a href="https://feed{number}.example/topic/{rng.randrange(50)}">{head}</a> {rest}'
        parts.append(f"<p>{text}</p>")
        if p == 0 and n % 3 == 0:
            parts.append(f'<figure><img src="https://cdn.feed{number}.example/img/{n}.jpg" width="800" '
                         f'height="450" alt="{escape(_sentence(rng))}"><figcaption>{escape(_sentence(rng))} '
                         f"(Photo: {_word(rng).capitalize()} Agency)</figcaption></figure>")
    return "".join(parts)


def feed_xml(number: int, items: int, now: datetime, paragraphs: int = 3, names: float = NAMES,
             moves: int = 0, day: int = 0) -> bytes:
    """Feed `number` as RSS 2.0, or Atom for one feed in four. With `moves`,
    the feed is drawn from `items + moves` entries: on day 0 the oldest
    `items`, on day 1 the newest (it moved on overnight: `moves` new items
    on top, as many of the oldest gone, the rest the same bytes)."""
    found = entries(number, items + moves, now, paragraphs, names)
    found = found[:items] if day else found[moves:]
    if number % 4 == 3:
        return _atom(number, found)
    full = number % 3 == 0
    creator = number % 2 == 1
    rows = []
    for e in found:
        author = (f"<dc:creator>{escape(e.author)}</dc:creator>" if creator
                  else f"<author>{e.author.split()[0].lower()}@feed{number}.example ({escape(e.author)})</author>")
        text = (f"<description>{escape(e.summary)}</description>"
                f"<content:encoded><![CDATA[{e.body}]]></content:encoded>" if full
                else f"<description>{escape(e.body)}</description>")
        media = f'<media:content url="{e.picture}" medium="image" width="1200" height="675"/>' if e.picture else ""
        rows.append(f"<item><title>{escape(e.title)}</title><link>{e.link}</link>"
                    f'<guid isPermaLink="false">{e.guid}</guid><pubDate>{format_datetime(e.when)}</pubDate>'
                    f"{author}{text}{media}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>Feed {number} News</title><link>https://feed{number}.example/</link>"
            f"<description>News from feed {number}</description>{''.join(rows)}</channel></rss>").encode()


def _atom(number: int, found: list[Entry]) -> bytes:
    rows = []
    for e in found:
        media = f'<link rel="enclosure" type="image/jpeg" href="{e.picture}"/>' if e.picture else ""
        rows.append(f"<entry><title>{escape(e.title)}</title><link rel=\"alternate\" href=\"{e.link}\"/>"
                    f"<id>tag:feed{number}.example,2026:{e.guid}</id><updated>{e.when.isoformat()}</updated>"
                    f"<published>{e.when.isoformat()}</published><author><name>{escape(e.author)}</name></author>"
                    f'<summary type="html">{escape(e.summary)}</summary>'
                    f'<content type="html">{escape(e.body)}</content>{media}</entry>')
    updated = max((e.when for e in found), default=datetime(2026, 1, 1)).isoformat()
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Feed {number} News</title><link rel=\"alternate\" href=\"https://feed{number}.example/\"/>"
            f'<link rel="self" href="https://feed{number}.example/atom.xml"/>'
            f"<id>tag:feed{number}.example,2026:feed</id><updated>{updated}</updated>"
            f"{''.join(rows)}</feed>").encode()
