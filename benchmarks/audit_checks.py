"""The reader audit's detectors: what a demanding reader sees wrong in a
story card, by the classes of issue 12 (and issue 22's reading time and
dates, classes 9 and 10, and its bylines in class 4).

Each detector looks at one story as digest built it (the JSON story, its
block of the text part) beside the entry it came from as the feed file
really has it (benchmarks/audit_feeds.py), and returns what it found, with
the offending value. They are heuristics tuned to flag only what a reader
would call a defect on the captured corpora; where the feed itself offers
nothing better (a 151 px picture and nothing larger, a teaser the
publisher cut with "..."), nothing is flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

TEXT_WIDTH = 72

CLASSES = {
    1: "wrong picture",
    2: "caption/promo in lead",
    3: "empty or cut lead",
    4: "byline",
    5: "links and repeats",
    6: "size as mailed",
    7: "CJK plain text",
    8: "noise on stderr",
    9: "reading time",
    10: "date",
}
STORY_CLASSES = (1, 2, 3, 4, 5, 7, 9, 10)  # counted per story; 6 per generated day, 8 per feed
CLASS_NAMES = {"picture": 1, "caption": 2, "promo": 2, "lead": 3, "byline": 4, "links": 5, "link": 5,
               "size": 6, "cjk": 7, "text": 7, "noise": 8, "reading": 9, "duration": 9, "date": 10, "dates": 10}


@dataclass(frozen=True)
class Finding:
    cls: int
    check: str
    value: str


@dataclass
class Case:
    """One story of one feed file, with everything the detectors compare."""

    feed_file: str  # as printed: relative to the corpus folder
    story: dict  # `digest build --format json`, one of "items"
    entry: dict | None  # the feed's own entry (audit_feeds), None when unmatched
    feed: dict  # the feed's own channel facts (audit_feeds)
    block: list[str] = field(default_factory=list)  # the story's lines in the text part
    findings: list[Finding] = field(default_factory=list)


# ---------------------------------------------------------------- text helpers

_SPACE = re.compile(r"\s+")


_OTHERS = re.compile(r"\s+and \d+ others$")


def fold(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def key(text: str | None) -> str:
    """Letters and digits only, case-folded: for comparing names and titles."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").casefold() if ch.isalnum())


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


def is_unspaced(ch: str) -> bool:
    """Han, kana: scripts written without spaces between words (Hangul has them)."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA"))


def unspaced_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(map(is_unspaced, letters)) / len(letters) if letters else 0.0


def display_width(text: str) -> int:
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def words(text: str) -> int:
    """Words, with a run of Chinese or Japanese characters counted as one
    word per two characters."""
    count = 0
    for token in text.split():
        cjk = sum(map(is_unspaced, token))
        count += max(1, round(cjk / 2)) if cjk else 1
    return count


def short(value, limit: int = 160) -> str:
    text = fold(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- 1 picture

_BAD_PICTURE = [
    ("avatar", re.compile(r"gravatar\.com/avatar|/avatars?/|avatars\d*\.githubusercontent\.com|[?&]d=identicon"
                          r"|/wp-content/[^?#]*avatars?", re.I)),
    ("share/social button", re.compile(
        r"/~ff/|feedburner\.com/~a/|share[-_]?(?:button|this|icon)|addtoany|/share[-_.]|sharethis"
        r"|(?:^|[/_-])(?:facebook|twitter|linkedin|pinterest|digg|reddit|whatsapp|email|rss)"
        r"(?:[-_](?:icon|button|share|logo|large|small|16|32))*\.(?:gif|png|jpe?g|svg)", re.I)),
    ("icon/badge/logo", re.compile(
        r"favicon|/icons?/|[/_-]icon(?:[-_.]|$)|/badges?/|[/_-]badge[-_.]|/logos?/|/(?:site|rss|feed)?[-_]?logo[-_.]|/emoji/"
        r"|/smilies/|/filetype/|spacer\.gif|blank\.gif|/gel/rss", re.I)),
    ("donation banner", re.compile(r"donat(?:e|ion)|paypal|patreon|ko-fi|buymeacoffee|flattr", re.I)),
    ("ad/tracker", re.compile(
        r"feedsportal\.com|pheedo\.com|doubleclick|adserver|/bnr\.php|/banners?/|[/_.-]pixel[._/?]|pixel\.wp\.com"
        r"|/stat\?|/beacon|/~r/|/~c/|/tracking/|feeds\.feedburner\.com|feedproxy\.google\.com|rss\.slashdot\.org"
        r"|cpx\.golem\.de|/cpx\.php", re.I)),
    ("broken URL", re.compile(r"/(?:undefined|null|none)(?:$|[?#])", re.I)),
]
_PHOTO_EXTENSION = re.compile(r"\.(?:jpe?g|webp)(?:$|[?#])", re.I)
_IMAGE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.I)
# Well-known URL forms of a small rendition of an image that exists larger.
_SMALLER_FORMS = [
    ("Blogger /sNN-c/ thumbnail", re.compile(r"\.(?:bp\.)?blogspot\.com/.*/s(\d{2,3})(?:-c)?/|googleusercontent\.com/.*/s(\d{2,3})(?:-c)?/")),
    ("YouTube default.jpg (120x90)", re.compile(r"ytimg\.com/vi/[^/]+/(default)\.jpg")),
    ("WordPress ?w= resize", re.compile(r"(?:wordpress\.com|wp\.com|/wp-content/)[^?#]*\?(?:.*&)?w=(\d{2,3})(?:&|$)")),
    ("WordPress -WxH size", re.compile(r"/wp-content/uploads/[^?#]*-(\d{2,3})x\d{2,3}\.(?:jpe?g|png|gif|webp)")),
]
TINY = 200  # px: narrower than this is a thumbnail in a 552 px column


def bad_picture(url: str) -> str | None:
    for name, pattern in _BAD_PICTURE:
        if pattern.search(url or ""):
            return name
    return None


def _int(value) -> int | None:
    try:
        return int(float(str(value).strip().rstrip("px")))
    except (TypeError, ValueError):
        return None


def smaller_form(url: str) -> tuple[str, int] | None:
    """(what, width) when the URL is a well-known small rendition."""
    for name, pattern in _SMALLER_FORMS:
        match = pattern.search(url or "")
        if match:
            size = next((g for g in match.groups() if g), "")
            width = 120 if size == "default" else _int(size)
            if width is not None and width < TINY:
                return name, width
    return None


def _candidates(entry: dict) -> list[tuple[str, int | None, int | None, dict]]:
    """Every picture the entry offers: (url, width, height, facts)."""
    found = []
    for m in entry["media"]:
        kind = (m["type"] or "").lower()
        medium = (m["medium"] or "").lower()
        image = (kind.startswith("image/") or medium == "image"
                 or (not kind and not medium and bool(_IMAGE_EXTENSION.search(m["url"]))))
        if m["url"] and image:
            found.append((m["url"], _int(m["width"]), _int(m["height"]), m))
    for img in entry["images"]:
        found.append((img["src"], _int(img["width"]), _int(img["height"]), img))
    return found


def _real_photo(url: str, width: int | None, height: int | None) -> bool:
    """A picture a reader would want: not an avatar, button, icon or pixel,
    and known to be large, or a photo format of unknown size."""
    if not url or bad_picture(url) or not url.lower().startswith(("http://", "https://", "//")):
        return False
    if width is not None or height is not None:
        return (width or 0) >= TINY and (height is None or height >= 100)
    return bool(_PHOTO_EXTENSION.search(url)) and smaller_form(url) is None


def _same_image(a: str, b: str) -> bool:
    return urlsplit(a).path.rsplit("/", 1)[-1].lower() == urlsplit(b).path.rsplit("/", 1)[-1].lower()


def check_picture(case: Case) -> list[Finding]:
    found = []
    image, entry = case.story.get("image"), case.entry
    if image:
        url = image.get("url") or ""
        width, height = image.get("width"), image.get("height")
        what = bad_picture(url)
        if what is None and ((width is not None and width <= 2) or (height is not None and height <= 2)):
            what = "tracking pixel"
        if what:
            found.append(Finding(1, f"not a real picture: {what}", url))
        else:
            small = smaller_form(url)
            tiny = (width, "declared") if width is not None and width < TINY else (small[1], small[0]) if small else None
            if tiny and entry:
                larger = [c for c in _candidates(entry) if c[1] is not None and c[1] >= max(TINY, tiny[0] + 1)
                          and not bad_picture(c[0]) and not _same_image(c[0], url)]
                links = [img["link"] for img in entry["images"]
                         if _same_image(img["src"], url) and _IMAGE_EXTENSION.search(img.get("link", ""))
                         and img.get("link") != img["src"]]
                if larger:
                    found.append(Finding(1, "tiny picture, a larger one in the entry",
                                         f"{url} ({tiny[0]} px; the entry has {larger[0][0]} at {larger[0][1]} px)"))
                elif small:
                    found.append(Finding(1, "tiny picture, larger by a well-known URL form",
                                         f"{url} ({small[0]})"))
                elif links:
                    found.append(Finding(1, "tiny picture, linked to its larger version",
                                         f"{url} ({tiny[0]} px) -> {links[0]}"))
        if width and not height:
            found.append(Finding(1, "width without height", f"{url} width={width}"))
    elif entry:
        photos = [c for c in _candidates(entry) if _real_photo(c[0], c[1], c[2])]
        if photos:
            url, width, _, _ = photos[0]
            found.append(Finding(1, "no picture, though the entry has a photo",
                                 f"{url}" + (f" ({width} px)" if width else "")))
    return found


# ---------------------------------------------------------------- 2 caption / promo

_CREDIT_IN_LEAD = re.compile(
    r"^\s*Enlarge\b|\(credit:|^\s*(?:Photo|Photograph|Picture|Image|Illustration|Credit|Foto|Bild)\s*:"
    r"|Getty Images|\((?:Photo|Image|Foto)s? (?:by|credit|courtesy)|\bImage credit\b|\bPhoto courtesy\b"
    r"|\| (?:AFP|AP|Reuters|EPA)\b|クリックすると|click (?:here )?to enlarge",
    re.I,
)
_PROMO = [
    ("sponsor", re.compile(
        r"\bsponsors?\s*:|\bthanks to (?:our )?sponsors?\b|\b(?:episode|video|show|podcast) is (?:sponsored|brought to you)"
        r"|\bcheck out (?:our|the) sponsors?\b|\b(?:use|enter) (?:the )?(?:promo |discount |coupon )?code\b"
        r"|\bpromo code\b", re.I)),
    ("Patreon/support", re.compile(r"patreon\.com|\bon patreon\b|\bbecome a (?:patron|member)\b"
                                   r"|\bsupport (?:the|this|our) (?:show|channel|podcast)\b|\bko-fi\b", re.I)),
    ("subscribe/sign up", re.compile(
        r"(?:^|[.!?]\s+)(?:please )?(?:subscribe|sign up)\b|\bsubscribe (?:to|on|for) (?:our|my|the|this) "
        r"(?:channel|newsletter|podcast|show|feed)|\bhit (?:the )?subscribe\b|\b(?:subscribe|sign up) (?:here|now|today)\b"
        r"|\bsubscribe to [\w ]{1,40}(?:→|->|:)", re.I)),
    ("merch", re.compile(r"\bmerch\b", re.I)),
    ("social/follow", re.compile(
        r"\bfollow (?:us|me|him|her|them)\b|\bfollow .{0,30}\bon (?:twitter|instagram|facebook|tiktok|x|youtube|mastodon)\b"
        r"|\b(?:twitter|instagram|facebook|tiktok|discord|twitch|linkedin|mastodon)\s*:", re.I)),
    ("host/ad notice", re.compile(r"\bhosted on acast\b|acast\.com/privacy|\bprivacy (?:policy|information)\b"
                                  r"|\bad ?choices\b|\bart19\.com\b", re.I)),
]
_URL = re.compile(r"https?://\S+|\bwww\.[\w-]+\.\w{2,}\S*", re.I)
_MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\((?:https?://)[^)\s]+\)")
# A URL as a link-list item: opening the lead, or after a label ("Twitter:",
# "here:", "→") rather than inside a sentence.
_LABELLED_URL = re.compile(r"(?:^|[:→|>•–—-]\s*|\)\s+)(?:https?://|www\.)\S+", re.I)


def bare_urls(summary: str) -> list[str]:
    text = _MARKDOWN_LINK.sub("", summary)
    urls = _URL.findall(text)
    if len(urls) >= 2 or _LABELLED_URL.search(text):
        return urls
    return []


MIN_CAPTION = 20  # characters: shorter captions ("Reuters") are not worth matching


def _captions(case: Case) -> list[str]:
    entry = case.entry or {}
    image = case.story.get("image") or {}
    found = list(entry.get("captions", []))
    if entry.get("media_description") and entry.get("text"):
        # With no other text (YouTube) media:description is the entry's text, not a caption.
        found.append(entry["media_description"])
    found += [image.get("caption") or "", image.get("credit") or ""]
    return [c for c in dict.fromkeys(fold(c) for c in found) if len(c) >= MIN_CAPTION]


def check_caption_promo(case: Case) -> list[Finding]:
    found = []
    summary = fold(case.story.get("summary"))
    entry_text = fold((case.entry or {}).get("text", "")) or fold((case.entry or {}).get("media_description", ""))
    if summary:
        for caption in _captions(case):
            head = fold(caption)[:60]
            # The caption is a defect in the lead only when the story's own
            # text does not say the same words.
            if head and head in summary and head not in entry_text:
                found.append(Finding(2, "image caption in the lead", short(caption)))
                break
        else:
            match = _CREDIT_IN_LEAD.search(summary)
            if match:
                found.append(Finding(2, "photo credit/caption marker in the lead", _around(summary, match)))
        for name, pattern in _PROMO:
            match = pattern.search(summary)
            if match:
                found.append(Finding(2, f"promo in the lead: {name}", _around(summary, match)))
                break
        else:
            urls = bare_urls(summary)
            if urls:
                found.append(Finding(2, "promo in the lead: bare URLs", f"{len(urls)}: {short(' '.join(urls), 120)}"))
    if _repeats_headline(fold(case.story.get("title")), summary):
        found.append(Finding(2, "lead opens with the headline again", short(summary, 120)))
    picture = _picture_lines(case.block)
    if len(picture) > 3:
        found.append(Finding(2, "text part: Picture: caption over 3 lines",
                             f"{len(picture)} lines: {short(' '.join(picture), 120)}"))
    return found


def _repeats_headline(title: str, summary: str) -> bool:
    """The summary opens with the headline as a line of its own (a heading
    or a title/byline/date block of the body), not as the start of a
    sentence that goes on ("X, said on Friday"). Titles made from the
    text's first words ("Hi friends! I am so...") do not count."""
    if len(title) < 12 or title.endswith(("...", "…")) or not summary.startswith(title):
        return False
    rest = summary[len(title):]
    return bool(re.match(r"(?:[.!?:]\s+\S|[^\s,;:.!?)\]'\"’”–—-])", rest))


def _around(text: str, match: re.Match, reach: int = 50) -> str:
    start, end = max(0, match.start() - reach), min(len(text), match.end() + reach)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _picture_lines(block: list[str]) -> list[str]:
    lines, inside = [], False
    for line in block:
        if line.strip().startswith("Picture:"):
            inside = True
        elif inside and not line.strip():
            break
        if inside:
            lines.append(line.strip())
    return lines


# ---------------------------------------------------------------- 3 empty / cut leads

_ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")
_SENTENCE_INSIDE = re.compile(r"[.!?。！？][\"'”’)\]]*\s+\S|[。！？]\S")
_CLAUSE = re.compile(r"^\s*[,;:)—–]|^\s+[—–-]\s")
_DOUBLED = re.compile(r"(?<![.])[:;,。！？、!?]\.(?![.])|(?<![.\s])\.\.(?![.])|[。！？]\s*[.。]")
_BOILER_TEXT = re.compile(r"submitted by|\[link\]|\[comments\]|^comments$|^read more|continue reading|^\W*$", re.I)
_MARKUP = re.compile(r"<[a-z][a-z0-9]*\s+[a-z-]+=[\"'][^>]*>|&(?:lt|gt|amp|nbsp|quot);", re.I)
_CLOSING_TAG = re.compile(r"</(?:p|a|div|span|strong|em|b|i|li|ul|ol|h\d|audio|source|figure|br)>", re.I)
MIN_TEXT_WORDS = 8  # an entry with fewer words of text has no lead to lose
# The summary's word budget (45) in CJK characters, at two characters a word:
# a summary that is one run longer than this was never split into sentences.
CJK_RUN = 90


def entry_words(case: Case) -> int:
    """Words of the entry's own text beyond its title and known boilerplate."""
    entry = case.entry
    if not entry:
        return 0
    title = key(entry["title"])
    lines = [line for line in entry["text"].split("\n")
             if not _BOILER_TEXT.search(line.strip()) and key(line) != title]
    return words(" ".join(lines))


def check_lead(case: Case) -> list[Finding]:
    found = []
    story = case.story
    summary, lead = fold(story.get("summary")), fold(story.get("lead"))
    text = fold((case.entry or {}).get("text", ""))
    if not summary:
        if entry_words(case) >= MIN_TEXT_WORDS:
            found.append(Finding(3, "no summary, though the entry has text", f"lead {lead!r}; the entry: {short(text, 100)}"))
        elif lead.endswith(":"):
            found.append(Finding(3, "lead only a byline and a colon (entry has no text)", lead))
    if _MARKUP.search(summary) or len(set(_CLOSING_TAG.findall(summary))) >= 2:
        match = _MARKUP.search(summary) or _CLOSING_TAG.search(summary)
        found.append(Finding(3, "HTML markup shown as text in the lead", _around(summary, match, 40)))
    if summary and _ELLIPSIS.search(summary):
        cut = _cut_mid_sentence(summary, text)
        if cut:
            found.append(Finding(3, cut[0], f"…{summary[-90:]} {cut[1]}"))
    if summary:
        for match in _DOUBLED.finditer(summary):
            context = summary[max(0, match.start() - 12): match.end()]
            if context not in text and fold(context) not in fold(text):
                found.append(Finding(3, "punctuation the summarizer added", _around(summary, match, 30)))
                break
    if summary and unspaced_share(summary) > 0.5:
        run = max((len(part) for part in re.split(r"[。！？!?.]", summary)), default=0)
        if run > CJK_RUN and run >= 0.75 * len(summary):
            found.append(Finding(3, "CJK summary is one unbroken run over the limit",
                                 f"{run} characters without a sentence end: {summary[:60]}…"))
    return found


def _cut_mid_sentence(summary: str, text: str) -> tuple[str, str] | None:
    """Why a summary ending in an ellipsis is cut where a reader minds, or None:
    digest cut it inside a phrase (the entry goes on with a word), or the
    feed's own text stops there but a whole sentence came before."""
    body = _ELLIPSIS.sub("", summary).rstrip(" ,;:—–-")
    tail = " ".join(body.split()[-4:])
    if not tail:
        return None
    where = text.find(tail)
    if where < 0:
        return None
    rest = text[where + len(tail):]
    if rest.lstrip().startswith(("…", "...")) and rest.lstrip().lstrip(".… ").strip():
        return None  # the author's own "…", and the text goes on: a pause the writer chose
    if _ELLIPSIS.match(rest.strip()) or not rest.strip() or rest.strip().startswith(("[…]", "[...]", "(...)")):
        if _SENTENCE_INSIDE.search(body):
            return "ends mid-sentence where the feed's text stops", "(a whole sentence came before it)"
        return None
    if _CLAUSE.match(rest):
        return None  # a clause boundary: an acceptable place to stop a long sentence
    if re.match(r"^[.!?。！？]", rest.strip()):
        return None  # it is the sentence's end after all
    return "summary cut inside a phrase", "(the text goes on: " + short(rest.strip(), 40) + ")"


# ---------------------------------------------------------------- 4 bylines

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|mailto:", re.I)
_TOKEN = re.compile(r"\w+", re.U)


def _raw_authors(case: Case) -> list[str]:
    entry = case.entry or {}
    return list(entry.get("authors", [])) + [case.feed.get("author", "")] + list(case.feed.get("channel_authors", {}).values())


_DESK = re.compile(r"^(?:the )?(?:editors?|editorial|redaktion|rédaction|redacción|redazione|newsroom|staff|desk|team"
                   r"|webmaster|admin(?:istrator)?|info|news|noreply|no-reply)\b|\b(?:redaktion|editors?|staff|webmaster)$"
                   r"|^per segnalazioni", re.I)
_SECTION_SEPARATOR = re.compile(r"\s+(?:[:|–—-]|::)\s+")
_TLD = re.compile(r"\.(?:com|net|org|info|co\.uk|de|fr|es|it|ru|at|ch|pt|br|gr|jp|cn|kr|il)$", re.I)


def publication_names(case: Case) -> set[str]:
    """Keys of the names the feed goes by: its display name, its title, the
    publication part of "Publication : Section", without a domain's TLD."""
    names = set()
    for title in (case.story.get("feed"), case.feed.get("title")):
        title = fold(title)
        if not title:
            continue
        for name in (title, _SECTION_SEPARATOR.split(title)[0]):
            names.update({key(name), key(_TLD.sub("", name))})
    return names - {""}


def _publisher_source(case: Case, author: str) -> str | None:
    """The channel element the byline came from, when the item has none of
    its own and the element names the publisher or a desk, not whoever
    wrote the item. A personal blog or podcast named after its author
    (notes.co.il, Lex Fridman) is that author's: not flagged."""
    if not case.entry or case.entry.get("authors"):
        return None
    name = key(author)
    titles = key(case.feed.get("title")) + key(case.story.get("feed"))
    for element, value in case.feed.get("channel_authors", {}).items():
        if not name or name not in key(value):
            continue
        if _DESK.search(author) or _EMAIL.fullmatch(author.strip()):
            return f"channel {element}, a desk or an address"
        if element in ("managingEditor", "webMaster", "dc:publisher") and name not in titles:
            return f"channel {element}"
    return None


def check_byline(case: Case) -> list[Finding]:
    found = []
    story = case.story
    author = fold(story.get("author"))
    if author:
        if _EMAIL.search(author):
            found.append(Finding(4, "e-mail address in the byline", author))
        if author.count("(") != author.count(")") or author.count("[") != author.count("]"):
            found.append(Finding(4, "unbalanced parentheses in the byline", author))
        raw = [fold(r) for r in _raw_authors(case) if fold(r)]
        raw_tokens = {t.casefold() for r in raw for t in _TOKEN.findall(unicodedata.normalize("NFKC", r))}
        named = _OTHERS.sub("", author)  # "M. Kaur, A. Shukla, S. Kanwar and 10 others": a long list, cut on purpose
        missing = [t for t in _TOKEN.findall(unicodedata.normalize("NFKC", named)) if t.casefold() not in raw_tokens]
        opening = {t.casefold() for t in _TOKEN.findall(unicodedata.normalize("NFKC", fold((case.entry or {}).get("text"))[:600]))}
        if raw and missing and not all(t.casefold() in opening for t in missing):  # not the post's own "By …" line
            found.append(Finding(4, "byline mangled (a word the feed does not have)",
                                 f"{author!r} from {raw[0]!r}"))
        if re.search(r",\s*(?:le|la|les|l'|the|der|die|das|el|il)$", author, re.I):
            found.append(Finding(4, "byline garbled (an article inverted to the end)", author))
        if key(author) in publication_names(case) or key(_TLD.sub("", author)) in publication_names(case):
            found.append(Finding(4, "byline is the feed's own name", f"{author} · {story.get('feed')}"))
        else:
            source = _publisher_source(case, author)
            if source:
                found.append(Finding(4, "channel-level publisher as the item's author", f"{author} ({source})"))
    lead, summary = fold(story.get("lead")), fold(story.get("summary"))
    prefix = lead[: lead.find(summary)] if summary and summary in lead else ("" if lead == summary else lead)
    feed = fold(story.get("feed"))
    repeated = [part for part in (author, feed) if part and part in prefix]
    if repeated and not (not summary and lead.endswith(":")):  # a byline-only lead is class 3
        found.append(Finding(4, "lead repeats the meta line", short(prefix, 80)))
    if author:  # issue 22: a desk, a cut name, a dateline
        if _DESK_BYLINE.search(author):
            found.append(Finding(4, "byline is a desk or a pool, not a person", author))
        if re.search(r"(?:^|\s)(?:and|&|und|et)$|^(?:and|&)\s", author, re.I):
            found.append(Finding(4, "byline cut (a dangling 'and')", author))
        if _DATELINE_BYLINE.search(author):
            found.append(Finding(4, "dateline kept in the byline", author))
    return found


_DESK_BYLINE = re.compile(r"\b(?:staff|agencies|contributors|team|desk|newsroom|redaktion|editors)\b", re.I)
_DATELINE_BYLINE = re.compile(r"\s+in\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+)*(?:,\s*[A-Z][\w.'’-]+)?(?:\s+and\s|$)")


# ---------------------------------------------------------------- 9 reading time, 10 dates (issue 22)

_MORE_LINE = re.compile(r"(?:continue reading|read more|read the (?:full|rest)|read \d+ (?:more|remaining)|"
                        r"keep reading|more\s*(?:…|\.\.\.))\W*$|(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\])\W*$", re.I)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


def _seconds(value: str) -> int | None:
    value = (value or "").strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return round(float(value)) or None
    clock = _CLOCK.match(value)
    if clock:
        return int(clock.group(1) or 0) * 3600 + int(clock.group(2)) * 60 + int(clock.group(3)) or None
    return None


def check_reading(case: Case) -> list[Finding]:
    """A reading time where the entry is an episode, a video or a teaser;
    an episode's stated length not given."""
    entry, story = case.entry, case.story
    if entry is None:
        return []
    found = []
    minutes = story.get("reading_minutes")
    stated = _seconds(entry.get("itunes_duration", "")) or next(
        (s for s in map(_seconds, entry.get("media_durations", [])) if s), None)
    media = stated or entry.get("youtube") or any(t.startswith(("audio", "video")) for t in entry.get("media_types", []))
    if media and minutes:
        found.append(Finding(9, "reading time on an episode or a video", f"{minutes} min read"))
    if stated and story.get("duration_seconds") != stated:
        found.append(Finding(9, "the episode's stated length not given", f"{stated} s, shown {story.get('duration_seconds')}"))
    text = fold(entry.get("text"))
    if minutes and not media and text and (_MORE_LINE.search(text[-80:]) or (words(text) < 100 and entry.get("link"))):
        found.append(Finding(9, "reading time of a teaser", f"{minutes} min read: …{short(text[-60:], 60)}"))
    return found


def check_date(case: Case) -> list[Finding]:
    """A date the feed states read as none; a day without a time shown with one."""
    entry, story = case.entry, case.story
    if entry is None or not entry.get("date_raw"):
        return []
    raw = entry["date_raw"]
    if not story.get("dated", True):
        return [Finding(10, "a stated date read as none", raw)]
    if not re.search(r"\d{1,2}:\d{2}|T\d{2}", raw) and not story.get("date_only"):
        return [Finding(10, "a day without a time shown with one", raw)]
    return []


# ---------------------------------------------------------------- 5 links and repeats

_REDIRECT = re.compile(r"feedproxy\.google\.com/~r/|feeds\.feedburner\.com/~r/|/~r/|feedsportal\.com", re.I)
_TRACKING_KEYS = re.compile(
    r"^(?:utm_\w+|xtor|ncid|cmpid|ocid|_hsenc|_hsmi|mkt_tok|at_medium|at_campaign|at_\w+|maca|fbclid|gclid"
    r"|mc_cid|mc_eid|icid|cid|rss_id|feed_id|feedtype|feedname|dicbo|sr_share|smid|smtyp)$", re.I)
_TRACKING_VALUES = re.compile(r"^(?:ref|source|partner|emc|src|from|via|feature|cmp|campaign)$", re.I)
_FEEDISH = re.compile(r"rss|feed|atom|syndication", re.I)


def tracking_left(url: str) -> list[str]:
    parts = urlsplit(url)
    left = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if _TRACKING_KEYS.match(name) or (_TRACKING_VALUES.match(name) and _FEEDISH.search(value)):
            left.append(f"{name}={value}")
    if "xtor=" in parts.fragment:
        left.append("#" + parts.fragment)
    return left


def _real_url(entry: dict) -> str:
    for candidate in (entry.get("origlink", ""), entry.get("guid", "") if entry.get("guid_is_link")
                      or entry.get("guid", "").startswith(("http://", "https://")) else ""):
        if candidate.startswith(("http://", "https://")) and not _REDIRECT.search(candidate):
            return candidate
    return ""


def check_links(case: Case) -> list[Finding]:
    found = []
    link = case.story.get("link") or ""
    entry = case.entry
    if _REDIRECT.search(link) and entry and _real_url(entry):
        found.append(Finding(5, "redirect link kept (the entry has the real URL)", f"{link} -> {_real_url(entry)}"))
    left = tracking_left(link)
    if left:
        found.append(Finding(5, "tracking parameters left in the link", f"{', '.join(left)} in {link}"))
    if entry and (entry.get("link") or entry.get("links")) and not link.startswith(("http://", "https://")):
        found.append(Finding(5, "link lost (the entry has one)", f"{link!r}; the entry: {entry.get('link') or entry['links'][0]}"))
    return found


def check_repeats(cases: list[Case]) -> None:
    """The same story shown twice in one feed: the same title and the same
    whole text (of some length) under two links, with no different audio or
    video attached (podcast episodes may share a title and a blurb). The
    copies after the first are the defect."""
    seen: dict[tuple[str, str, tuple], Case] = {}
    for case in cases:
        entry = case.entry
        if entry is None or words(entry["text"]) < 20:
            continue
        mark = (key(case.story.get("title")), key(entry["text"]), tuple(entry.get("enclosures", [])))
        first = seen.get(mark)
        if first is None:
            seen[mark] = case
        elif first.story.get("link") != case.story.get("link") or first.entry is not entry:
            case.findings.append(Finding(5, "same story shown twice",
                                         f"{first.story.get('link')} and {case.story.get('link')}"))


def check_also_self(cases_by_url: dict[str, list[Case]], together: list[dict]) -> None:
    """The same blog subscribed twice (RSS and Atom), built as one config:
    a story "Also covered by" the other copy of that blog is marked on the
    story of the file that was shown."""
    for story in together:
        if not story.get("also"):
            continue
        title = key(story.get("title"))
        case = next((c for c in cases_by_url.get(story.get("feed_url"), []) if key(c.story.get("title")) == title), None)
        if case is not None:
            also = ", ".join(f"{a.get('feed')} <{a.get('link')}>" for a in story["also"])
            case.findings.append(Finding(5, "\"Also covered by\" the same blog", f"{story.get('link')}; also: {also}"))


# ---------------------------------------------------------------- 7 CJK plain text

_LINK_REF = re.compile(r"^\s*\[\d+\]\s+\S+$")


def overwide_lines(block: list[str]) -> list[str]:
    """Lines wider than 72 columns that could have been broken: not one
    unbreakable word (a URL) on its own."""
    wide = []
    for line in block:
        if display_width(line) <= TEXT_WIDTH or _LINK_REF.match(line):
            continue
        body = line.strip()
        if " " in body or any(is_cjk(ch) for ch in body):
            wide.append(line)
    return wide


def check_text_width(case: Case) -> list[Finding]:
    wide = overwide_lines(case.block)
    if not wide:
        return []
    widest = max(wide, key=display_width)
    return [Finding(7, "text line wider than 72 columns", f"{display_width(widest)} columns: {short(widest, 80)}")]


STORY_CHECKS = (check_picture, check_caption_promo, check_lead, check_byline, check_links, check_text_width,
                check_reading, check_date)


# ---------------------------------------------------------------- matching


def _link_key(url: str) -> str:
    parts = urlsplit(url or "")
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" if host else parts.path.rstrip("/")


def match_entries(stories: list[dict], entries: list[dict]) -> list[dict | None]:
    """The feed entry each story came from: by title, then by link."""
    by_title: dict[str, list[dict]] = defaultdict(list)
    by_link: dict[str, list[dict]] = defaultdict(list)
    by_path: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        by_title[key(entry["title"])].append(entry)
        for url in {entry["link"], entry["origlink"], entry["guid"], *entry["links"]}:
            if url:
                by_link[_link_key(url)].append(entry)
                by_path[urlsplit(url).path.rstrip("/")].append(entry)
    matched = []
    for story in stories:
        link = story.get("link") or ""
        candidates = by_title.get(key(story.get("title")), [])
        if len(candidates) > 1:
            candidates = [e for e in candidates if e in by_link.get(_link_key(link), [])] or candidates
        if not candidates and link:
            candidates = by_link.get(_link_key(link)) or by_path.get(urlsplit(link).path.rstrip("/"), [])
        matched.append(candidates[0] if candidates else None)
    return matched


_STORY_HEAD = re.compile(r"^(\d+)\. ")


def text_blocks(text: str) -> list[list[str]]:
    """The text part cut into the blocks of its numbered stories, in order."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        head = _STORY_HEAD.match(line)
        if head and int(head.group(1)) == len(blocks) + 1:
            blocks.append([line])
        elif line.startswith("-" * TEXT_WIDTH):
            break  # the footer and the link list belong to no story
        elif blocks:
            blocks[-1].append(line)
    return blocks
