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
    # A credit line: "Speakers: Ann Lee, Bo Chan", "Products Mentioned: Android".
    r"(?:speakers?|guests?|hosts?|panelists?|products? mentioned|(?:executive |associate )*producers?|credits|"
    r"featuring)\s*:",
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
    r"get (?:the|our) app\b", r"get (?:yer|your|my|him|her|them)?sel(?:f|ves) (?:the|a|an|our) [\w-]+(?: [\w-]+){0,3} app\b",
    r"get the [\w-]+(?: [\w-]+){0,3} app for your\b", r"support (?:the|this|our) (?:show|podcast|channel|work)\b", r"value for value\b",
    r"boostagram\b", r"sats\b", r"producers? (?:of|for) (?:this|the) (?:show|episode)\b", r"executive producer\s*[:–—-]",
    r"(?:this|the) (?:episode|show|podcast) (?:was|is) (?:edited|produced|mixed|engineered)\b",
    r"new episodes (?:air|drop|come out|are (?:released|out)|every)\b", r"special thanks to\b",
    r"(?:full )?transcript (?:and show notes )?(?:at|here|available)\b",
    r"want (?:some |our )?(?:tee-?shirts|t-?shirts|mugs|hoodies|stickers)\b",
    r"share (?:this|on)\b", "submitted by /u/", r"click to enlarge\b", r"see acast\b", r"see below for\b",
    r"give (?:us )?feedback\b", r"submit questions\b", r"(?:is|are) out now\b", r"on tour\b.*\btickets\b",
    # "Tickets are on sale now at …", not "I put the first 500 tickets on sale" (Daring Fireball's story).
    r"tickets (?:are )?(?:on sale|available) (?:now|here|at)\b",
)
_PROMO_ANYWHERE = (
    r"\[link\]", r"\[comments\]", "クリックすると",
    # A forum's note above each attached picture (Dvbbs: "related pictures below:").
    "此主题相关图片如下", "图片点击可在新窗口打开查看",
)
# A cookie or consent banner, wherever the page put it (inside <article> too).
_CONSENT = (r"we use cookies\b", r"(?:this|our) (?:web)?site uses cookies\b",
            r"(?:accept|reject|allow|manage|decline) (?:all |our |the use of )?cookies\b",
            r"cookie (?:policy|settings|preferences|consent|notice|banner)\b", r"manage (?:your )?(?:consent|preferences)\b")


# The same letter under re.IGNORECASE: its two cases, and the few other
# characters Python folds to it (the long s, the Kelvin sign, the dotted
# and dotless i; found by matching every code point).
_FOLDS = {"i": "Ii\u0130\u0131", "k": "Kk\u212a", "s": "Ss\u017f"}
_LEADING_GROUP = re.compile(r"^\(\?:([^()]*)\)(\??)")


def _spelled_out(alternative: str) -> list[str]:
    """A regex alternative that opens with a group of plain words, as one
    alternative per word ("(?:is|are) out" -> "is out", "are out"; an
    optional group both with and without it): the same strings matched."""
    group = _LEADING_GROUP.match(alternative)
    if not group:
        return [alternative]
    rest = alternative[group.end():]
    words = group.group(1).split("|")
    spelled = [word + rest for word in words] + ([rest] if group.group(2) else [])
    return [found for one in spelled for found in _spelled_out(one)]


def _by_first_letter(alternatives) -> str:
    """Alternatives (tried under re.IGNORECASE) regrouped under their first
    letter, matched case-sensitively as a class of its foldings: the regex
    engine skips a group whose class does not hold the character at hand
    without entering it, where it entered each of the dozens of
    alternatives at every word (4x the time of the search). Matches where
    the alternatives do."""
    groups: dict[str, list[str]] = {}
    rest = []
    for alternative in (one for each in alternatives for one in _spelled_out(each)):
        first = alternative[:1].lower()
        if "a" <= first <= "z" and alternative[1:2] not in ("?", "*", "+", "{"):
            groups.setdefault(first, []).append(alternative[1:])
        else:
            rest.append(alternative)
    grouped = [f"(?-i:[{_FOLDS.get(first, first.upper() + first)}])(?:{'|'.join(tails)})"
               for first, tails in groups.items()]
    return "|".join(grouped + rest)


_PROMO = re.compile(rf"^(?:{'|'.join(_PROMO_AT_START)})|\b(?:{_by_first_letter(_PROMO_AT_WORD + _CONSENT)})|"
                    rf"{'|'.join(_PROMO_ANYWHERE)}", re.IGNORECASE)
_PLATFORM_NOTICE = re.compile(r"\bhosted on acast\b|acast\.com/privacy|\bprivacy (?:policy|notice)\b|\bopt-out\b|"
                              r"\bdo not sell my\b|\bart19\b|\bpodtrac\b|\bmegaphone\.fm\b|"
                              rf"\b(?:{'|'.join(_CONSENT)})", re.I)
_PICTURE_CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:image|photo|picture|photograph|foto|bild)?\s*(?:credit|credits|source)\s*:\s*(.+?)\s*[)\]]?$", re.I)
_PICTURE_LABEL_LINE = re.compile(r"^(?:photo(?:graph)?s?|image|illustration|picture|foto)\s*:\s*(.+)$", re.I)
_BYLINE = re.compile(
    r"^(?i:by|von|par|por|di|door|av|af)\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:[\s,]+(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*|and|&|und|et|y|e|de|van|von|der|da|del|la|le))*"
    r"(?:\s*[(|,–—-]\s*[^()]{0,120}\)?|\s+(?:on behalf of|for)\s+[^()]{1,120})?\.?$")
_POSTED_BY = re.compile(r"^(?i:posted|submitted)\s+(?i:by)\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*"
                        r"(?:\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*){0,3}(?:,\s*[^,.]{2,60})?\.?$")
_KICKER = re.compile(r"^((?:[A-ZÀ-ÖØ-Þ]{2,}['’]?\s?){1,4})\s*[-–—:|]\s+(?=\S)")
_UPDATED_NOTE = re.compile(r"^(?:updated?|update|editor['’]?s note|correction)\b[^:]{0,40}:\s*", re.I)


# Words one of which every _PROMO alternative contains (or, for those
# anchored at the start, begins with): the regex, dozens of alternatives
# tried at every position, runs only on text that has one, which most
# paragraphs have not (it cost 450 us a paragraph). A hint that holds another ("the app"
# holds " app") is left out: the shorter one finds it.
_PROMO_HINTS = (
    "appeared first", "continue reading", "read the", "click here", "click to", "subscribe", "sign up",
    "newsletter", "patreon", "ko-fi", "coffee", "sponsor", "brought to you", "supported by", "promo code",
    "use code", "discount code", "merch", "shop ", "our store", "follow ", "find us", "find me", "join ",
    "twitter", "instagram", "facebook", "tiktok", "linkedin", "discord", "twitch", "threads", "mastodon",
    "bluesky", "x.com", "acast", "privacy", "opt-out", "do not sell", "art19", "podtrac", "megaphone",
    "listen ", "available on", "wherever", "support ",
    "value for value", "boostagram", "sats", "producer", "share ", "/u/", "[link]", "[comments]",
    "this episode", "the episode", "this show", "the show", "this podcast", "the podcast", "new episodes",
    "special thanks", "transcript", " app", "shirts", "mugs", "hoodies", "stickers",
    "クリックすると", "see below", "feedback", "submit questions", "out now", "tickets", "cookies", "cookie ",
    "consent", "preferences", "此主题相关图片", "图片点击",
)
_PROMO_STARTS = (
    "read ", "web", "email", "contact", "support", "related:", "advertisement", "comments",
    "learn more", "[", "view fullsize", "enlarge", "to read this article", "transcript", "episode links",
    "show notes", "sponsor", "links", "outline", "chapters", "timestamps", "did you", "*", "spoiler",
    "content warning", "trigger warning", "speaker", "guest", "host", "panelist", "product", "executive ",
    "associate ", "producer", "credits", "featuring",
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
    kept_at: list[int] = []  # where each kept block stood among the taken ones
    link_lists: list[Block] = []
    for index, block in enumerate(taken.blocks):
        text = block.text
        found = _PICTURE_CREDIT_LINE.match(text) or _PICTURE_LABEL_LINE.match(text)
        if found and len(text.split()) <= 16:
            credit = credit or clean_credit(found.group(1))
            continue
        block = _without_url_asides(block)
        if _is_link_list(block):
            link_lists.append(block)
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
        if _POSTED_BY.match(text) and len(text.split()) <= 12:
            opening_byline = opening_byline or text  # "Posted by Jane Doe, Head Librarian", first or last
            continue
        kept.append(block)
        kept_at.append(index)
    kept = _gaps_marked(kept, kept_at, len(taken.blocks))
    story_promo = [block for block in promo if not _PLATFORM_NOTICE.search(block.text)]
    if not kept and story_promo:
        # Nothing but "promo": an entry whose subject is the show's Patreon
        # episode or its sponsor. Its words are the story after all (a
        # hosting platform's notice never is).
        kept = [replace(story_promo[0], text=_BARE_URL.sub("", story_promo[0].text).strip())]
    if not kept:
        # A post that is one sentence of links ("This is the <a>human side</a>
        # of <a>Health care is socialist</a>.") is still a sentence: the post.
        kept = [block for block in link_lists[:1] if _reads_as_sentence(block)]
    return Taken(blocks=kept, pictures=taken.pictures, credit=credit, byline=opening_byline)


def _gaps_marked(kept: list[Block], kept_at: list[int], total: int) -> list[Block]:
    """The kept blocks, each after which a taken block was dropped marked
    `before_gap`."""
    marked = []
    for number, (block, index) in enumerate(zip(kept, kept_at)):
        following = kept_at[number + 1] if number + 1 < len(kept_at) else total
        marked.append(replace(block, before_gap=True) if following > index + 1 else block)
    return marked


_URL_ASIDE = re.compile(r"\s*[(\[]\s*" + _BARE_URL.pattern + r"\s*[)\]]")


def _without_url_asides(block: Block) -> Block:
    """A block without the addresses it gives in brackets ("I have an invite
    for OiNK ( http://oink.me.uk )"): an aside, not what the line says."""
    if "(" not in block.text and "[" not in block.text:
        return block
    text = _URL_ASIDE.sub("", block.text).strip()
    return replace(block, text=text, link_share=0.0) if text != block.text and text else block


def _reads_as_sentence(block: Block) -> bool:
    """A line of words, some outside its links, that ends as a sentence does."""
    outside = block.text
    for link in block.link_texts:
        outside = outside.replace(link, " ", 1)
    return bool(re.search(r"[.!?。！？]$", block.text)) and len(outside.split()) >= 3 and not is_promo(block.text)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-zé]*\.?"
_DATE_TAIL = re.compile(rf"\b{_MONTH} \d{{1,2}}\b|\b\d{{1,2}}\.? {_MONTH}|\b(?:19|20)\d\d\b", re.I)
# A sentence ends at a stop and a space, not after an initial ("David J. Langford");
# at a Chinese or Japanese stop, with a space or none.
_SENTENCE = re.compile(r"(?<=[.!?])(?<![\s.][A-Z]\.)\s+|(?<=[。！？])\s*(?![」』）)\s])")
# A bracketed aside ("（クリックすると大きくなります。…）", "(click to enlarge)").
_ASIDE = re.compile(r"\s*(?:（[^（）]{1,200}）|\([^()]{1,200}\))")


def _title_parts(title: str) -> list[str]:
    parts = re.split(r"\s+[-–—|:]\s+", title)
    return [key_text(part) for part in parts[1:]] if len(parts) > 1 else []


def _without_promo_sentences(text: str) -> str:
    """A block with its promo sentences, asides ("（クリックすると大きくなり
    ます。…）") and bare URLs taken out; a short block that is promo is
    promo as a whole (words counted as text_words does: a Japanese
    paragraph of a hundred characters is no short line)."""
    words = text_words(text)
    if words <= 25:
        return ""
    text = _ASIDE.sub(lambda aside: "" if is_promo(aside.group()) else aside.group(), text)
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    kept = [s for s in sentences if not is_promo(s) and not _BARE_URL.fullmatch(s.strip(" .:"))]
    return _joined(_BARE_URL.sub("", s).strip() for s in kept).strip()


def _joined(sentences) -> str:
    """Sentences joined with a space, or none after a Chinese or Japanese stop."""
    joined = ""
    for sentence in sentences:
        if joined and sentence and not joined.endswith(("。", "！", "？")):
            joined += " "
        joined += sentence
    return joined


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
        if block.kind not in ("p", "quote"):
            continue
        paragraphs.append(block)
        if not block.text.endswith((":", "：")):
            continue
        # "In 2023 I did, amongst other things:" goes on in the list right after it.
        following = list(itertools.takewhile(lambda b: b.kind == "li", blocks[index + 1:index + 4]))
        if following and not block.before_gap:
            # One sentence, every item in it: "… the new release: faster startup; a new dark mode."
            # (Each item a sentence of its own read as if the first were the only one.)
            items = "; ".join(b.text.strip().rstrip(".;,") for b in following if b.text.strip())
            paragraphs[-1] = replace(block, text=f"{block.text} {items}.")
        elif _introduces_what_is_not_shown(block, blocks[index + 1:index + 2]):
            break  # "…but workable:" then code: the lead ends before it, never glued to what follows
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
    # (Words counted as CJK text has them: "35周年1套520，华表60一个" is no label.)
    while len(paragraphs) > 1 and text_words(paragraphs[0].text) <= 5 and paragraphs[0].text[-1:].isalnum():
        paragraphs = paragraphs[1:]
    if paragraphs:
        opening = _without_salutation(_without_title_opening(_without_kicker(paragraphs[0].text, title), title))
        paragraphs[0] = replace(paragraphs[0], text=opening)
    return [b for b in paragraphs if b.text]


def _introduces_what_is_not_shown(block: Block, following: list[Block]) -> bool:
    """Whether a paragraph ending in ":" introduces something the lead
    leaves out: a list of links or a credit dropped from the text, code, a
    heading, a table; or nothing at all."""
    return block.before_gap or not following or following[0].kind not in ("p", "quote")


def _without_title_opening(text: str, title: str) -> str:
    """The first paragraph without an opening sentence that is the title
    again ("あけましておめでとうございます。" under that title; Scripting
    News's first sentence that became the post's title), or a Chinese or
    Japanese title set before the text with a space ("收三盒泰山 要求原盒好品")."""
    title = title.strip()
    title_key = key_text(title)
    if len(title_key) < 4:
        return text
    first, *rest = _SENTENCE.split(text, maxsplit=1)
    if rest and text_words(rest[0]) >= 3 and key_text(first) == title_key:
        return rest[0].strip()
    if " " not in title and _CJK_CHAR.search(title) and text.startswith(title + " ") and text[len(title):].strip():
        return text[len(title):].strip()
    return text


# "Dear all,", "Hi friends! I am…", "Hello Homelab-community! I'm…": the
# writer greeting the reader, before the first thing said.
_SALUTATION = re.compile(r"^(?i:dear|hi|hello|hey|greetings)\b[^.!?,:;]{0,30}[,!:]\s*(?=[A-ZÀ-ÖØ-Þ]|$)")


def _without_salutation(text: str) -> str:
    return text[_SALUTATION.match(text).end():] if _SALUTATION.match(text) else text


_SECTION_LABEL = re.compile(r"^[^\W\d_a-z][^a-z]{1,40}:$|^[↓▼■●◆★☆【\[].{1,30}[↓▼■●◆★☆】\]:：]$|^(?:[A-Z][a-z]+ ){0,2}(?:links|sponsors|contact|timestamps|outline|chapters|transcript|show notes|credits)\s*:$")
_FACT_LINE = re.compile(r"^[\w’' ]{2,40}?\s*(?:—|–|:)\s+\S")


# A wire story's dateline: "BAGHDAD (Reuters) - ", "MOSUL, Iraq/BAGHDAD (Reuters) - ",
# "MADRI, 24 SET (ANSA) - ", "WASHINGTON (AP) — ".
_DATELINE = re.compile(r"^[A-ZÀ-ÖØ-Þ]{2,}[^()]{0,60}?\s*\([A-Z][\w.&'-]*(?:[ /][A-Z][\w.&'-]*){0,3}\)\s*[-–—]+\s+(?=\S)")


def _without_kicker(text: str, title: str) -> str:
    """The first paragraph without a kicker ("INTERVIEW - "), a wire
    dateline, or an update note that repeats the title."""
    text = text[_DATELINE.match(text).end():] if _DATELINE.match(text) else text
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
    r"to read (?:this|the) (?:article|story|post) in full\b|click here to read\b|(?:did you )?click to read\b|"
    r"(?:\(\s*)?more\s*(?:…|\.\.\.|»|›|→|>>)|weiterlesen|mehr lesen|lire la suite|lire plus|leer m[aá]s|"
    r"seguir leyendo|leia mais|continua(?:r)? a? ?(?:leggere|lendo)|lees verder|czytaj dalej|"
    r"читать (?:далее|дальше|полностью)|続きを読む|阅读全文|閱讀全文|더 ?보기|"
    r"läs mer|læs mere|les mer|lees meer|meer lezen|devamını oku|czytaj więcej|baca selengkapnya|xem thêm|"
    r"lue lisää|číst dál|čítať ďalej|olvass tovább|citește (?:mai mult|tot)|leggi (?:tutto|di più|l'articolo)|"
    r"ler mais|continuar (?:leyendo|lendo)|seguir lendo|weiter ?lesen|διαβάστε περισσότερα|קרא עוד|اقرأ المزيد|"
    r"続きはこちら|詳しくはこちら|查看全文)", re.IGNORECASE)
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
    if text.isascii():  # a flag the string carries: no CJK to look for
        return len(text.split())
    cjk = len(_CJK_CHAR.findall(text))
    return len(text.split()) if not cjk else len(_CJK_CHAR.sub(" ", text).split()) + (cjk + 1) // 2


COMPLETE_OVER_CUT_WORDS = 80  # a cut text this short gives way to a complete one of the same entry


def complete_over_cut(chosen: Taken, sources: list[Taken]) -> Taken:
    """The lead's source: `chosen`, unless it is a short text the feed cut
    off ("…the man who, according to Machiavelli...") and another of the
    entry's texts is whole (In Our Time's itunes:subtitle), which a lead
    that ends in a sentence comes from."""
    if not chosen.blocks or text_words(chosen.text) > COMPLETE_OVER_CUT_WORDS or not _is_cut_off(chosen):
        return chosen
    whole = (source for source in sources if source is not chosen and source.blocks and not _is_cut_off(source)
             and _ENDS_AS_SENTENCE.search(source.blocks[-1].text) and text_words(source.text) >= 5)
    return next(whole, chosen)


_ENDS_AS_SENTENCE = re.compile(r"""[.!?。！？]["'”’»)\]]*$""")


def _is_cut_off(taken: Taken) -> bool:
    return bool(taken.blocks) and bool(_CUT_OFF.search(taken.blocks[-1].text))


def is_excerpt(raw: Taken, words: int, linked: bool) -> bool:
    """Whether the entry's text is a teaser of its article rather than the
    article: it ends in a "Continue reading" line or a cut-off "…", or it
    is short and links to its page. `raw` is the text's source taken apart
    before promo lines were dropped; `words` the story's text as kept,
    counted by text_words."""
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
