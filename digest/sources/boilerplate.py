"""What is not the story: promos, platform notices, bylines and credits
repeated in the text, kickers, link lists; and the blocks that make a lead."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from ..text import key_head, key_text
from .blocks import Block, Taken, clean_credit

# ---------------------------------------------------------------- what is not the story

# "http://", "https://" or "www." in any case, spelled letter by letter
# (with the U+017F long s re.I also matches for s), so the regex engine
# skips ahead to an h or a w: under re.I it tried every position, and the
# search was the costliest part of telling a link list (3x this).
_BARE_URL = re.compile(r"[hHwW](?:(?<=[hH])[tT][tT][pP][sSſ]?://|(?<=[wW])[wW][wW]\.)\S+")
_TIMESTAMP = re.compile(r"^\(?\d{1,2}:\d{2}(?::\d{2})?\)?\s")
# The publisher or the host talking, not the story: promo, subscribe,
# sponsor and merch lines, platform notices, "continue reading" links.
# Grouped by where each may match: the text's start, a word's start (one
# \b for all of them: with a \b each, the dozens were tried one by one at
# every position, and the search cost 0.3 ms a paragraph, four times this),
# anywhere.
_PROMO_AT_START = (
    r"read (?:more|the (?:full|rest))\b",
    r"(?:twitter|instagram|facebook|tiktok|linkedin|discord|website|web|email|contact|support)\s*:", "related:",
    "advertisement$", "comments$", "learn more$", r"\[\s*(?:…|\.\.\.)\s*\]$", "view fullsize$", "enlarge$",
    r"to read this article in full\b",
    r"(?:transcript|episode links|show notes|sponsors?|links|outline|chapters|contact|timestamps)\s*:?$",
    r"did you (?:click|enjoy)\b", r"\*[^*]{3,80}\*$", r"(?:spoiler|content|trigger) warnings?\b",
)
_PROMO_AT_WORD = (
    r"appeared first on\b", r"continue reading\b", r"read the full\b", r"click here\b", r"subscribe\b", r"sign up\b",
    r"newsletter\b", r"patreon\b", r"ko-fi\b", r"buy me a coffee\b", r"sponsor(?:ed|s|ship)?\b",
    r"(?:episode|show|video|podcast|newsletter) is (?:brought to you|supported) by\b", r"promo code\b",
    r"use code\b", r"discount code\b", r"merch(?:andise)?\b", r"shop (?:now|our)\b", r"our store\b",
    r"follow (?:us|me|him|her|them)\b", r"find (?:us|me) on\b",
    r"join (?:us|our|the) (?:discord|patreon|community|mailing)\b",
    r"(?:twitter|instagram|facebook|tiktok|linkedin|discord|twitch|threads|mastodon|bluesky|x\.com)\b\s*[:@]",
    r"hosted on acast\b", r"acast\.com/privacy\b", "privacy (?:policy|notice|&)", r"opt-out\b", r"do not sell my\b",
    r"art19\b", r"podtrac\b", r"megaphone\.fm\b", r"listen (?:on|to (?:the|this|our))\b",
    r"available (?:on|wherever)\b", r"wherever you get your podcasts\b", r"download (?:the|our) app\b",
    r"get (?:the|our) app\b", r"support (?:the|this|our) (?:show|podcast|channel|work)\b", r"value for value\b",
    r"boostagram\b", r"sats\b", r"producers? (?:of|for) (?:this|the) (?:show|episode)\b", r"executive producer\s*[:–—-]",
    r"(?:this|the) (?:episode|show|podcast) (?:was|is) (?:edited|produced|mixed|engineered)\b",
    r"new episodes (?:air|drop|come out|are (?:released|out)|every)\b", r"special thanks to\b",
    r"(?:full )?transcript (?:and show notes )?(?:at|here|available)\b",
    r"want (?:some |our )?(?:tee-?shirts|t-?shirts|mugs|hoodies|stickers)\b",
    r"share (?:this|on)\b", "submitted by /u/", r"click to enlarge\b", r"see acast\b", r"see below for\b",
    r"give (?:us )?feedback\b", r"submit questions\b", r"(?:is|are) out now\b", r"on tour\b.*\btickets\b",
    r"tickets (?:are )?(?:on sale|available)\b",
)
_PROMO_ANYWHERE = (
    r"\[link\]", r"\[comments\]", "クリックすると",
)
# A cookie or consent banner, wherever the page put it (inside <article> too).
_CONSENT = (r"we use cookies\b", r"(?:this|our) (?:web)?site uses cookies\b",
            r"(?:accept|reject|allow|manage|decline) (?:all |our |the use of )?cookies\b",
            r"cookie (?:policy|settings|preferences|consent|notice|banner)\b", r"manage (?:your )?(?:consent|preferences)\b")
_PROMO = re.compile(rf"^(?:{'|'.join(_PROMO_AT_START)})|\b(?:{'|'.join(_PROMO_AT_WORD + _CONSENT)})|"
                    rf"{'|'.join(_PROMO_ANYWHERE)}", re.IGNORECASE)
_PLATFORM_NOTICE = re.compile(r"\bhosted on acast\b|acast\.com/privacy|\bprivacy (?:policy|notice)\b|\bopt-out\b|"
                              r"\bdo not sell my\b|\bart19\b|\bpodtrac\b|\bmegaphone\.fm\b|"
                              rf"\b(?:{'|'.join(_CONSENT)})", re.I)
_PICTURE_CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:image|photo|picture|photograph|foto|bild)?\s*(?:credit|credits|source)\s*:\s*(.+?)\s*[)\]]?$", re.I)
_PICTURE_LABEL_LINE = re.compile(r"^(?:photo(?:graph)?s?|image|illustration|picture|foto)\s*:\s*(.+)$", re.I)
_BYLINE = re.compile(
    r"^(?i:by|von|par|por|di|door|av|af)\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:[\s,]+(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*|and|&|und|et|y|e|de|van|von|der|da|del|la|le))*"
    r"(?:\s*[(|,–—-]\s*[^()]{0,120}\)?)?\.?$")
_KICKER = re.compile(r"^((?:[A-ZÀ-ÖØ-Þ]{2,}['’]?\s?){1,4})\s*[-–—:|]\s+(?=\S)")
_UPDATED_NOTE = re.compile(r"^(?:updated?|update|editor['’]?s note|correction)\b[^:]{0,40}:\s*", re.I)


# Words one of which every _PROMO alternative contains (or, for those
# anchored at the start, begins with): the regex, dozens of alternatives
# tried at every position, runs only on text that has one, which most
# paragraphs have not (it cost 450 us a paragraph).
_PROMO_HINTS = (
    "appeared first", "continue reading", "read the", "click here", "click to", "subscribe", "sign up",
    "newsletter", "patreon", "ko-fi", "coffee", "sponsor", "brought to you", "supported by", "promo code",
    "use code", "discount code", "merch", "shop ", "our store", "follow ", "find us", "find me", "join ",
    "twitter", "instagram", "facebook", "tiktok", "linkedin", "discord", "twitch", "threads", "mastodon",
    "bluesky", "x.com", "acast", "privacy", "opt-out", "do not sell", "art19", "podtrac", "megaphone",
    "listen ", "available on", "available wherever", "wherever", "the app", "our app", "support ",
    "value for value", "boostagram", "sats", "producer", "share ", "/u/", "[link]", "[comments]",
    "this episode", "the episode", "this show", "the show", "this podcast", "the podcast", "new episodes",
    "special thanks", "transcript", "shirts", "mugs", "hoodies", "stickers",
    "クリックすると", "see below", "feedback", "submit questions", "out now", "tickets", "cookies", "cookie ",
    "consent", "preferences",
)
_PROMO_STARTS = (
    "read ", "website", "web", "email", "contact", "support", "related:", "advertisement", "comments",
    "learn more", "[", "view fullsize", "enlarge", "to read this article", "transcript", "episode links",
    "show notes", "sponsor", "links", "outline", "chapters", "timestamps", "did you", "*", "spoiler",
    "content warning", "trigger warning",
)


def is_promo(text: str) -> bool:
    lowered = text.lower()
    # map() of the bound method: the same test as a generator, without a
    # Python frame per hint (on 93,000 captured blocks, 0.9 s instead of 2.4).
    hinted = lowered.startswith(_PROMO_STARTS) or any(map(lowered.__contains__, _PROMO_HINTS))
    return hinted and bool(_PROMO.search(text))


def story_blocks(taken: Taken, title: str = "", author: str = "") -> Taken:
    """The blocks that tell the story: captions, promo and sponsor lines,
    link lists, bylines, a repeated title and picture credits out (a
    credit is kept aside for the picture)."""
    kept: list[Block] = []
    promo: list[Block] = []  # dropped only for sounding like promo
    credit = taken.credit
    title_key, author_key = key_text(title), key_text(author)
    key_size = max(len(title_key), len(author_key)) + 1
    heading = False
    opening_byline = ""
    for block in taken.blocks:
        text = block.text
        found = _PICTURE_CREDIT_LINE.match(text) or _PICTURE_LABEL_LINE.match(text)
        if found and len(text.split()) <= 16:
            credit = credit or clean_credit(found.group(1))
            continue
        if _is_link_list(block):
            continue
        text = _without_link_tags(block)
        if text != block.text:
            block = replace(block, text=text)
        if is_promo(text):
            promo.append(block)
            text = _without_promo_sentences(text)
            if not text:
                continue
            block = replace(block, text=text)
        # Only the key's first characters are ever compared: a key longer
        # than the title's and the author's is neither, nor inside either.
        key = key_head(text, key_size)
        if key and (key == title_key or key == author_key or (key.isdigit() and key in title_key)):
            continue  # the title again, the author's name, or the title's number ("3.9.0" of "v3.9.0")
        if not kept and title_key and key.startswith(title_key) and _DATE_TAIL.search(text[len(title):]) \
                and len(text.split()) - len(title.split()) <= 12:
            continue  # the title again, with the byline and date after it
        if not kept and len(text.split()) <= 12 and any(
                len(part) >= 6 and key.startswith(part) for part in _title_parts(title)):
            heading = True
            continue  # a heading that repeats the title's second part ("Title - Subtitle")
        if not kept and heading and text[:1] in ":：—–-":
            continue  # the heading's own second line (": a dedication. The author")
        if _BYLINE.match(text) and len(text.split()) <= 25:
            if len(kept) <= 2 and not opening_byline:  # after a series preface, at most
                opening_byline = text
            continue
        kept.append(block)
    story_promo = [block for block in promo if not _PLATFORM_NOTICE.search(block.text)]
    if not kept and story_promo:
        # Nothing but "promo": an entry whose subject is the show's Patreon
        # episode or its sponsor. Its words are the story after all (a
        # hosting platform's notice never is).
        kept = [replace(story_promo[0], text=_BARE_URL.sub("", story_promo[0].text).strip())]
    return Taken(blocks=kept, pictures=taken.pictures, credit=credit, byline=opening_byline)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-zé]*\.?"
_DATE_TAIL = re.compile(rf"\b{_MONTH} \d{{1,2}}\b|\b\d{{1,2}}\.? {_MONTH}|\b(?:19|20)\d\d\b", re.I)
# A sentence ends at a stop and a space, not after an initial ("David J. Langford").
_SENTENCE = re.compile(r"(?<=[.!?。！？])(?<![\s.][A-Z]\.)\s+")


def _title_parts(title: str) -> list[str]:
    parts = re.split(r"\s+[-–—|:]\s+", title)
    return [key_text(part) for part in parts[1:]] if len(parts) > 1 else []


def _without_promo_sentences(text: str) -> str:
    """A block with its promo sentences (and bare URLs) taken out; a short
    block that is promo is promo as a whole."""
    if len(text.split()) <= 25:
        return ""
    kept = [s for s in _SENTENCE.split(text) if not is_promo(s) and not _BARE_URL.fullmatch(s.strip(" .:"))]
    return " ".join(_BARE_URL.sub("", s).strip() for s in kept).strip()


def lead_blocks(blocks: list[Block], title: str = "") -> list[Block]:
    """The blocks a lead is made from: the story's paragraphs, from where its
    text begins: not headings (a subhead, a dek set as a heading), not a
    standing italic preface, not list items unless the text is only a list;
    a kicker ("INTERVIEW - ") or an update note that repeats the title is
    cut from the first paragraph."""
    # A section label ("CONTACT LEX:", "EPISODE LINKS:", "Sponsors:") ends
    # the story's text: what follows it is lists.
    label = next((i for i, b in enumerate(blocks) if i and _SECTION_LABEL.match(b.text)), None)
    blocks = blocks[:label] if label is not None else blocks
    paragraphs = []
    for index, block in enumerate(blocks):
        if block.kind in ("p", "quote"):
            paragraphs.append(block)
            # "In 2023 I did, amongst other things:" goes on in the list right after it.
            if block.text.endswith((":", "：")):
                following = list(itertools.takewhile(lambda b: b.kind == "li", blocks[index + 1:index + 4]))
                paragraphs.extend(replace(b, kind="p") for b in following)
    if not paragraphs:
        paragraphs = next(([b for b in blocks if b.kind == kind] for kind in ("li", "h", "pre")
                           if any(b.kind == kind for b in blocks)), [])
    if len(paragraphs) > 1 and paragraphs[0].italic:
        paragraphs = paragraphs[1:]  # "This is another post in our series…"
    # A fact box ("Family — Amaranthaceae", "Aliases — …") before the text.
    while len(paragraphs) > 2 and _FACT_LINE.match(paragraphs[0].text) and _FACT_LINE.match(paragraphs[1].text):
        while len(paragraphs) > 1 and _FACT_LINE.match(paragraphs[0].text):
            paragraphs = paragraphs[1:]
    # A few words with no punctuation at all, with text after them, are a
    # label ("The Highlights", "Intro"), not the story's first sentence.
    while len(paragraphs) > 1 and len(paragraphs[0].text.split()) <= 5 and paragraphs[0].text[-1:].isalnum():
        paragraphs = paragraphs[1:]
    if paragraphs:
        paragraphs[0] = replace(paragraphs[0], text=_without_kicker(paragraphs[0].text, title))
    return [b for b in paragraphs if b.text]


_SECTION_LABEL = re.compile(r"^[^\W\d_a-z][^a-z]{1,40}:$|^[↓▼■●◆★☆【\[].{1,30}[↓▼■●◆★☆】\]:：]$|^(?:[A-Z][a-z]+ ){0,2}(?:links|sponsors|contact|timestamps|outline|chapters|transcript|show notes|credits)\s*:$")
_FACT_LINE = re.compile(r"^[\w’' ]{2,40}?\s*(?:—|–|:)\s+\S")


def _without_kicker(text: str, title: str) -> str:
    kicker = _KICKER.match(text)
    if kicker and not kicker.group(1).strip().isdigit() and len(kicker.group(1).strip()) <= 30:
        text = text[kicker.end():]
    note = _UPDATED_NOTE.match(text)
    if note:
        rest = text[note.end():]
        sentence = re.split(r"(?<=[.!?])\s+", rest, maxsplit=1)
        if title and key_text(sentence[0]).startswith(key_text(title)[:30]) and len(sentence) > 1:
            return sentence[1]
    return text


_TRAILING_PARENS = re.compile(r"\s*\(([^()]{1,200})\)\s*$")


def _without_link_tags(block: Block) -> str:
    """A paragraph without the trailing "(Google, Grafiksoftware)" of
    topic links some sites end their summaries with."""
    if not block.link_texts or not block.text.rstrip().endswith(")"):
        return block.text
    found = _TRAILING_PARENS.search(block.text)
    if not found:
        return block.text
    items = [item.strip() for item in found.group(1).split(",")]
    links = set(block.link_texts)
    return block.text[:found.start()].rstrip() if items and all(item in links for item in items) else block.text


def _is_link_list(block: Block) -> bool:
    words = len(block.text.split())
    if block.links >= 2 and block.link_share >= 0.6:
        return True
    if block.link_share >= 0.8 and words <= 15:
        return True  # "Read more", a related-story link, a bare URL
    urls = _BARE_URL.findall(block.text)
    if words <= 20 and urls:
        return True  # "Feedback – give feedback to Lex: https://…"
    return bool(urls) and sum(len(u) for u in urls) >= 0.5 * len(block.text.replace(" ", ""))




# ---------------------------------------------------------------- excerpts

# The line a teaser ends with, pointing to the rest: "Continue reading…",
# "Read 51 remaining paragraphs", "Read the full story at The Verge.",
# "more…", "[…]", and their kin in the languages of the captured feeds.
_MORE = re.compile(
    r"^\W*(?:continue reading|keep reading|read (?:more|on)\b|read the (?:full|rest|whole|complete|entire)\b|"
    r"read \d+ (?:more|remaining) (?:paragraphs?|words|comments?)|full (?:story|article|post)\b|"
    r"to read (?:this|the) (?:article|story|post) in full\b|click here to read\b|"
    r"(?:\(\s*)?more\s*(?:…|\.\.\.|»|›|→|>>)|weiterlesen|mehr lesen|lire la suite|lire plus|leer m[aá]s|"
    r"seguir leyendo|leia mais|continua(?:r)? a? ?(?:leggere|lendo)|lees verder|czytaj dalej|"
    r"читать (?:далее|дальше|полностью)|続きを読む|阅读全文|閱讀全文|더 ?보기)", re.IGNORECASE)
_CUT_OFF = re.compile(r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*[)\]»”\"']?\s*$")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Under this many words an entry that links to its page is taken for a
# teaser: a dek or a first paragraph, not the article (the shortest news
# story runs to some 150 words). A whole article of fewer words loses
# only a "1 min read".
EXCERPT_WORDS = 120
# Past this many words a teaser's "Read more" is more likely a full text's
# related-story link: the text reads as the article.
_TEASER_WORDS = 400


def text_words(text: str) -> int:
    """Words, with Chinese, Japanese and Korean characters two to a word."""
    cjk = len(_CJK_CHAR.findall(text))
    return len(text.split()) if not cjk else len(_CJK_CHAR.sub(" ", text).split()) + (cjk + 1) // 2


def is_excerpt(raw: Taken, text: str, linked: bool) -> bool:
    """Whether the entry's text is a teaser of its article rather than the
    article: it ends in a "Continue reading" line or a cut-off "…", or it
    is short and links to its page. `raw` is the text's source taken apart
    before promo lines were dropped; `text` the story's text as kept."""
    words = text_words(text)
    if linked and words < EXCERPT_WORDS:
        return True
    if words >= _TEASER_WORDS:
        return False
    for block in raw.blocks[-2:]:
        line = block.text.strip()
        if _MORE.search(line) and len(line.split()) <= 12:
            return True
        if any(_MORE.search(link) for link in block.link_texts):
            return True
    last = raw.blocks[-1].text.strip() if raw.blocks else ""
    return bool(_CUT_OFF.search(last)) and not _ellipsis_is_a_habit(raw.text)


_ELLIPSIS = re.compile(r"…+|\.{3,}")


def _ellipsis_is_a_habit(text: str) -> bool:
    """The text ends in an ellipsis its writer uses twice or more before
    it, mark for mark ("떡 사러 나갈까? .... 귀찮기도 하지...."): a way of
    writing, not where a teaser was cut."""
    marks = _ELLIPSIS.findall(text)
    return len(marks) >= 3 and marks[:-1].count(marks[-1]) >= 2
