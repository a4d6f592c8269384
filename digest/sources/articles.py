"""Thin stories made whole: for the stories a digest will show whose entry
is thin (no text, a teaser, no picture or no byline), read the article
page and fill what the card lacks: the lead's source (the standfirst, else
the article's opening), the whole article's reading time, the byline and
the author's blurb, the picture, the site's name, the language, and the
published time when the feed gave none.

Between rank and summarize (DESIGN.md, "articles"). Bounded: at most
[articles] max pages a build, each under the feed fetcher's manners
(fetch.py: concurrency, per-host slots, a whole-request deadline of
[articles] timeout, the size cap after decompression, conditional GET),
only text/html, only http(s), and only from public addresses unless
[articles] allow_private (addresses.py, checked on every hop). What was
read is remembered in the store, so a later build (and --offline) uses it
without downloading again. A page that fails leaves its card as it was,
with one -v line.

The article's body is found by readability-lxml (the Python port of the
algorithm of Firefox's reader view); chosen over trafilatura on the 48
pages of tests/data/articles (reading time within 40%: 47/48 against
45/48; word-overlap F1 with the expected text 0.948 against 0.953) at a
fraction of the install (readability-lxml needs lxml, cssselect and
chardet; trafilatura brings dateparser, babel, justext, courlan, htmldate:
about 60 MB). Its HTML then goes through the same sanitizer and
extract machinery as an entry's HTML, so nothing from the page reaches the
mail unsanitized.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from ..config import Config
from ..models import AuthorBlurb, CacheHeaders, Image, Item, Story
from ..report import Reporter
from ..store import Store, StoredPage, believable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where a page is read or loaded: a build whose thin stories'
    # pages all failed (or that has none) never needs the page reader (its
    # import was 36 ms of a warm build).
    from .pagemeta import PageMeta, PagePerson

THIN_WORDS = 40  # an entry's text under this many words is a teaser
REREAD_AFTER = timedelta(days=7)  # a page read is used as it is for this long, then asked again (conditional GET)
RETRY_AFTER = timedelta(hours=1)  # a page that failed is not asked again sooner
MAX_PAGE_CHARS = 2_000_000  # of a page's HTML handed to the parsers (the largest of the 48 is 1.6 MB)
STAGE_TIMEOUTS = 3  # the stage as a whole, fetching and reading, ends after this many [articles] timeouts
_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class ArticlePage:
    """What was read from one article page (kept in the store as JSON)."""

    url: str  # where the page was read, after redirects
    meta: PageMeta
    text: str = ""  # the article's plain text (for its reading time)
    lead_text: str = ""  # where its lead begins: the standfirst, else its opening paragraphs


# ---------------------------------------------------------------- which stories


def is_thin(item: Item) -> bool:
    """Whether the entry lacks what the card shows: text (none, a teaser
    under THIN_WORDS words or ending in "…"/"Continue reading"), a picture
    or a byline."""
    return thin_text(item) or item.image is None or not item.author


def thin_text(item: Item) -> bool:
    """No text, or only a teaser (parse.py marked it an excerpt: it ends in
    "…" or "Continue reading", or is short and links to its page)."""
    return item.excerpt or _words(item.text) < THIN_WORDS


# As summarize.word_count counts (a stage imports only core and itself).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _words(text: str) -> int:
    """Words, runs of CJK characters counted two characters a word."""
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + (cjk + 1) // 2


def pages_to_read(config: Config, stories: list[Story]) -> list[tuple[str, list[Story]]]:
    """(page URL, its stories) for the thin shown stories whose feed allows
    it, best first, at most [articles] max pages."""
    if not config.articles.enabled:
        return []
    refused = {feed.url for feed in config.feeds if not feed.articles}
    pages: dict[str, list[Story]] = {}
    for story in stories:
        item = story.item
        if item.feed_url in refused or not _web(item.link) or not is_thin(item):
            continue
        if item.link not in pages and len(pages) >= config.articles.max:
            continue
        pages.setdefault(item.link, []).append(story)
    return list(pages.items())


def _web(url: str) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# ---------------------------------------------------------------- the stage


def read_articles(config: Config, store: Store, stories: list[Story], now: datetime, reporter: Reporter,
                  offline: bool = False) -> int:
    """Fill the thin stories' cards from their article pages (fetched, or
    from the store); returns how many stories were filled."""
    wanted = pages_to_read(config, stories)
    if not wanted:
        return 0
    stored = store.article_pages(url for url, _ in wanted)
    pages: dict[str, ArticlePage] = {}
    to_fetch = []
    for url, _ in wanted:
        known = stored.get(url)
        page = _page_from_json(known.page) if known and known.page else None
        if page is not None:
            pages[url] = page
        if offline or _fresh(known, now):
            continue
        to_fetch.append(url)
    if to_fetch:
        pages.update(_fetched(config, store, to_fetch, stored, now, reporter))
    filled = 0
    for url, url_stories in wanted:
        page = pages.get(url)
        if page is None:
            continue
        for story in url_stories:
            fill_story(story, page, config, now)
            filled += 1
    return filled


def _fresh(known: StoredPage | None, now: datetime) -> bool:
    """Whether the store's word on a page still stands (no request)."""
    if known is None:
        return False
    age = now - known.checked
    return age < (REREAD_AFTER if known.page else RETRY_AFTER) and age >= -REREAD_AFTER


def _fetched(config: Config, store: Store, urls: list[str], stored: dict[str, StoredPage], now: datetime,
             reporter: Reporter) -> dict[str, ArticlePage]:
    """Fetch the pages and read them; remember each in the store."""
    from .fetch import FetchRequest, fetch_batches

    fetch = replace(config.fetch, timeout=config.articles.timeout)
    requests = [FetchRequest(url=url, cache=stored[url].cache if url in stored and stored[url].page else
                             CacheHeaders(), accept=_ACCEPT, only=_HTML_TYPES) for url in urls]
    pages: dict[str, ArticlePage] = {}
    # One slow host behind many links would otherwise cost max / per_host timeouts.
    budget = STAGE_TIMEOUTS * config.articles.timeout
    deadline = time.monotonic() + budget
    left = 0
    for batch in fetch_batches(requests, fetch, public_only=not config.articles.allow_private, deadline=deadline):
        remembered = []
        for result in batch:
            known = stored.get(result.url)
            if result.late or time.monotonic() >= deadline:
                left += 1  # not remembered: asked again next build
                continue
            if result.not_modified and known and known.page:
                remembered.append(replace(known, checked=now, error=None))
                continue
            error = result.error
            page = None
            if error is None:
                try:
                    page = read_page(result.body, result.content_type, result.final_url or result.url)
                except Unreadable as exc:
                    error = str(exc)
                except Exception as exc:  # noqa: BLE001 - one page never fails the build
                    error = f"cannot read the page ({type(exc).__name__}: {exc})"
            if page is None:
                reporter.detail(f"article page {result.url}: {error}; its card stays as the feed has it")
                # A refusal is the config's word, not the page's: allow_private = true reads it next time.
                if not (known and known.page) and not result.refused:
                    remembered.append(StoredPage(result.url, None, result.cache, now, error))
                continue
            pages[result.url] = page
            remembered.append(StoredPage(result.url, _page_json(page), result.cache, now))
        store.remember_article_pages(remembered)
    if left:
        reporter.detail(f"articles: {left} page{'s' if left != 1 else ''} not read, the stage's {budget:g}s ran out; "
                        "their cards stay as the feed has them")
    return pages


# ---------------------------------------------------------------- reading a page


class Unreadable(ValueError):
    """A page not handed to the parsers (its message says why)."""


def read_page(body: bytes, content_type: str, url: str) -> ArticlePage:
    """An article page's bytes -> what the card can use. Raises Unreadable
    for a page nested deeper than extract.MAX_DEPTH: Lexbor's time grows
    with the square of the depth (500 KB of <div>s, 30 s)."""
    from selectolax.lexbor import LexborHTMLParser

    from .extract import MAX_DEPTH, _nesting_depth
    from .pagemeta import read_page_meta

    markup = _decoded(body, content_type)[:MAX_PAGE_CHARS]
    if _nesting_depth(markup) > MAX_DEPTH:
        raise Unreadable(f"not read: elements nested deeper than {MAX_DEPTH}")
    tree = LexborHTMLParser(markup)
    meta = read_page_meta(tree, url)
    text, lead = _article_text(markup, _marked_article(tree), url, meta)
    return ArticlePage(url=url, meta=meta, text=text, lead_text=_standfirst(meta, lead) or lead)


# A sentence's end: a stop, maybe inside quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'’”»)\]]*$")
_WORD = re.compile(r"\w{5,}")


# Words a sentence does not end on: a description that stops on one was cut.
_GOES_ON = frozenset("""a an and as at but by for from in into its of on or that the their to was were with
    is are his her well de del la el en y que et le les des der die das und""".split())


def _looks_cut(description: str) -> bool:
    """Shorter than a sentence, or stopped mid-sentence (a standfirst
    without a final stop is common and kept: "…behind the spike in beachings")."""
    text = description.rstrip()
    if _SENTENCE_END.search(text):
        return False
    last = text.rsplit(None, 1)[-1].casefold().strip(",;:-–—") if text.split() else ""
    return _words(text) < 8 or last in _GOES_ON or text.endswith((",", ";", ":", "-", "–", "—"))


def _standfirst(meta: PageMeta, opening: str) -> str:
    """The page's description as the lead, unless the article's opening
    says more: a description that does not end a sentence (cut by the
    publisher: "Drug-resistant bacteria, dubbed", "…computation in"), or a
    site-wide blurb (it names the site and shares no word with the headline
    or the opening: "The latest news and headlines from Yahoo! News…")."""
    description = meta.description
    if not description or not opening:
        return description
    if _looks_cut(description):
        return ""
    site = {word.casefold() for word in _WORD.findall(meta.site_name)} | {
        part.casefold() for part in re.findall(r"\w{4,}", meta.site_name)}
    said = {word.casefold() for word in _WORD.findall(description)}
    if site and said & site:
        story = {word.casefold() for word in _WORD.findall(f"{meta.title} {opening[:2000]}")}
        if not (said - site) & story:
            return ""
    return description


def _article_text(markup: str, marked: str, url: str, meta: PageMeta) -> tuple[str, str]:
    """The article's text and its opening paragraphs: readability's main
    content, sanitized and taken apart as an entry's HTML is; or the
    page's own <article> when readability kept much less of it (on the 48
    pages of tests/data/articles this puts one more reading time within 40%,
    a blog post readability cut short, and takes none out: 45/48)."""
    from readability import Document

    _quiet_readability()
    try:
        content = Document(markup, url=url).summary(html_partial=True)
    except Exception as exc:  # noqa: BLE001 - readability raises Unparseable and lxml errors on junk
        if not marked:
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise Unreadable(f"not read: readability cannot parse it ({reason})") from exc
        content = ""
    taken = _taken(content, url, meta)
    if marked:
        other = _taken(marked, url, meta)
        if _words(taken.text) < 0.85 * _words(other.text):
            taken = other
    from .boilerplate import lead_blocks

    return taken.text, "\n\n".join(block.text for block in lead_blocks(taken.blocks, meta.title))


def _quiet_readability() -> None:
    """readability logs its failures with a traceback (on stderr through
    logging's last resort, even under -q); the library never prints, and
    the page's failure is its one -v line instead."""
    import logging

    logger = logging.getLogger("readability")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _taken(html: str, url: str, meta: PageMeta):
    from .boilerplate import story_blocks
    from .extract import take_apart_html
    from .sanitize import sanitize_html

    return story_blocks(take_apart_html(sanitize_html(html, url)), meta.title, meta.byline)


def _marked_article(tree) -> str:
    """The HTML of the element the page marks as its article (the largest
    <article> or itemprop=articleBody), '' when it marks none."""
    nodes = tree.css('article, [itemprop~="articleBody"]')[:20]
    best = max(nodes, key=lambda node: len(node.text(deep=True) or ""), default=None)
    return best.html or "" if best is not None else ""


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def _decoded(body: bytes, content_type: str) -> str:
    """The page's text: the charset the server names, else the page's own
    <meta charset>, else UTF-8 when it is, else a guess."""
    named = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    declared = _META_CHARSET.search(body[:4096])
    for charset in (named.group(1) if named else None, declared.group(1).decode("ascii") if declared else None,
                    "utf-8"):
        if not charset:
            continue
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode(_guessed_charset(body), "replace")


_TAG_BYTES = re.compile(rb"<[^>]*>")
_NEAR = 0.15  # charset_normalizer's chaos within which windows-1252 is as good a reading as its best


def _guessed_charset(body: bytes) -> str:
    """The charset of a page whose declared one (and UTF-8) does not decode
    it: charset_normalizer's guess, made on the text between the tags (the
    markup's ASCII drowns the letters that tell). Where windows-1252 reads
    the text about as well as the best guess, it is taken: it is what a
    page mislabeled UTF-8 is, most often (and what browsers fall back to);
    on a short French text the best guess was cp1257, "Ēa coūte trčs"."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(_TAG_BYTES.sub(b" ", body[:1_000_000])))
    if not matches:
        return "utf-8"
    best = matches[0]
    if any(match.encoding == "cp1252" and match.chaos <= best.chaos + _NEAR for match in matches):
        return "cp1252"
    return best.encoding


# ---------------------------------------------------------------- filling the card


def fill_story(story: Story, page: ArticlePage, config: Config, now: datetime | None = None) -> None:
    """Fill what the story's card lacks from its page; the feed's own
    word stands where it has one, and the user's [authors] table always
    wins over the page's author blurb."""
    item, meta = story.item, page.meta
    thin = thin_text(item)
    # A page with less article text than a teaser (a paywall's "Subscribe to
    # continue reading") has no article to time, and its headline is no lead.
    article = _words(page.text) >= THIN_WORDS
    lead = page.lead_text if article else meta.description
    if thin and article and _words(page.text) > _words(item.text):
        item.text = page.text
        item.lead_text = lead or item.lead_text
        item.excerpt = False
    elif thin and lead and not item.text.strip():
        item.lead_text = lead
    # A picture on a private or loopback address is the reader's own
    # network: their mail client would load it (169.254.169.254, a router).
    private_ok = config.articles.allow_private
    if item.image is None and meta.image is not None and (private_ok or not _private_host(meta.image.url)):
        item.image = meta.image
    if not item.author and meta.byline:
        item.author = meta.byline
    published = believable(meta.published, now) if now is not None else meta.published
    if item.published is None and published is not None:
        item.published = published
        item.date_only = False
    story.site = story.site or meta.site_name
    story.language = story.language or meta.language
    story.author_blurb = _blurb(config, item.author, meta.person) or story.author_blurb


def _blurb(config: Config, name: str, person: PagePerson | None) -> AuthorBlurb | None:
    info = config.authors.get(name)
    if info is not None:
        return AuthorBlurb(name=name, role=info.role, bio=info.bio, avatar=info.avatar)
    if person is not None and name and person.name.casefold() in name.casefold():
        avatar = person.avatar if config.articles.allow_private or not _private_host(person.avatar) else ""
        return AuthorBlurb(name=name, role=person.role, bio=person.bio, avatar=avatar)
    return None


def _private_host(url: str) -> bool:
    """Whether the URL names a host on the reader's own network: a private,
    loopback, link-local... IP literal, or localhost."""
    from .addresses import refusal

    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return bool(refusal(host))
    except ValueError:
        return False  # a name, not an IP literal


# ---------------------------------------------------------------- the store's JSON


def _page_json(page: ArticlePage) -> str:
    data = asdict(page)
    published = page.meta.published
    data["meta"]["published"] = published.isoformat() if published else None
    return json.dumps(data, ensure_ascii=False)


def _page_from_json(raw: str) -> ArticlePage | None:
    """The page as stored; None for a row this code cannot read (written
    by another version: it is read again)."""
    from .pagemeta import PageMeta, PagePerson

    try:
        data = json.loads(raw)
        meta = dict(data["meta"])
        meta["image"] = Image(**meta["image"]) if meta.get("image") else None
        meta["person"] = PagePerson(**meta["person"]) if meta.get("person") else None
        meta["published"] = datetime.fromisoformat(meta["published"]) if meta.get("published") else None
        return ArticlePage(url=data["url"], meta=PageMeta(**meta), text=data["text"], lead_text=data["lead_text"])
    except (ValueError, KeyError, TypeError):
        return None
