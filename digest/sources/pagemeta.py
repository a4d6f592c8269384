"""What an article page says about itself, in the markup publishers put
there for link previews and search engines: Open Graph (`og:`), `<meta>`
tags, JSON-LD (schema.org Article and Person), `rel=author`, `<html lang>`.

Read with selectolax (already what extract.py walks HTML with) and the
stdlib json: the libraries made for this (extruct, trafilatura's metadata)
were weighed on the 48 pages of tests/data/articles and brought either a
large install (rdflib, dateparser, babel) or fewer right bylines; see
articles.py. Every string is cleaned (control characters out, one line,
length-capped); every URL is absolute http(s) or dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from ..models import Image
from ..text import clean_text
from .blocks import split_caption
from .bylines import byline
from .dates import read_date

MAX_JSON_LD = 20  # scripts read per page
MAX_JSON_LD_CHARS = 200_000
MAX_FIELD = 600  # characters of a description, a bio
MAX_URL = 2000  # characters of a picture's address (a data: URL or a pasted blob is no picture)
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|WebPage|Posting|Story", re.I)


@dataclass(frozen=True)
class PagePerson:
    """The author as the page describes them (JSON-LD Person)."""

    name: str
    role: str = ""
    bio: str = ""
    avatar: str = ""


@dataclass(frozen=True)
class PageMeta:
    title: str = ""
    byline: str = ""
    description: str = ""  # the standfirst: og:description, the dek
    site_name: str = ""
    image: Image | None = None
    language: str = ""
    published: datetime | None = None
    person: PagePerson | None = None


def read_page_meta(tree, url: str) -> PageMeta:
    """The page's own description of itself. `tree` is a selectolax tree
    of the whole page; `url` the page's address (relative URLs resolve
    against it)."""
    meta = _meta_tags(tree)
    ld = _json_ld(tree)
    articles = [node for node in ld if _ARTICLE_TYPES.search(_type(node))]
    article = next((node for node in articles if node.get("author")), articles[0] if articles else {})
    person = _person(article.get("author"), url)
    return PageMeta(
        title=_line(meta.get("og:title") or _text(article.get("headline")) or _title(tree)),
        byline=_byline(article, meta, tree),
        description=_line(meta.get("og:description") or _text(article.get("description")) or meta.get("description")
                          or meta.get("twitter:description"), MAX_FIELD),
        site_name=_site_name(meta.get("og:site_name") or _name(article.get("publisher")) or meta.get("application-name")),
        image=_image(meta, article, tree, url),
        language=_language(tree, meta, article),
        published=_published(meta, article, tree),
        person=person,
    )


# ---------------------------------------------------------------- sources


def _meta_tags(tree) -> dict[str, str]:
    """<meta property|name|itemprop=... content=...>, the first of each name
    (lowercased), so og:image is the page's first og:image."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        content = attrs.get("content") or ""
        for key in ("property", "name", "itemprop", "http-equiv"):
            name = (attrs.get(key) or "").strip().lower()
            if name and content.strip():
                found.setdefault(name, content.strip())
    return found


def _json_ld(tree) -> list[dict]:
    """Every JSON-LD object of the page, @graph members and lists flattened."""
    nodes: list[dict] = []
    for script in tree.css('script[type="application/ld+json"]')[:MAX_JSON_LD]:
        raw = _WRAPPER.sub("", (script.text(deep=True) or "")[:MAX_JSON_LD_CHARS])
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(nodes) < 200:
            value = stack.pop(0)
            if isinstance(value, list):
                stack[:0] = value
            elif isinstance(value, dict):
                nodes.append(value)
                if isinstance(value.get("@graph"), list):
                    stack[:0] = value["@graph"]
    return nodes


# A script wrapped for old browsers: <![CDATA[ ... ]]>, <!-- ... -->, //<![CDATA[
_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def _type(node: dict) -> str:
    kind = node.get("@type", "")
    return " ".join(k for k in kind if isinstance(k, str)) if isinstance(kind, list) else str(kind)


def _text(value) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), "")
    return value if isinstance(value, str) else ""


def _name(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _line(value: str, limit: int = 300) -> str:
    from html import unescape

    text = clean_text(unescape(value or ""))
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _site_name(value: str) -> str:
    """A label for the meta line: one longer than MAX_SITE_NAME is no name."""
    text = _line(value, 10 * MAX_SITE_NAME)
    return text if len(text) <= MAX_SITE_NAME else ""


def _title(tree) -> str:
    node = tree.css_first("title")
    return node.text() if node else ""


def _web_url(value: str, base: str) -> str:
    if not isinstance(value, str) or not value.strip():
        return ""
    url = urljoin(base, value.strip())
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc and len(url) <= MAX_URL else ""


# ---------------------------------------------------------------- byline


def _byline(article: dict, meta: dict[str, str], tree) -> str:
    """JSON-LD author, else <meta name=author>, else a rel=author link."""
    authors = article.get("author")
    names = [_name(author) for author in (authors if isinstance(authors, list) else [authors])[:MAX_AUTHORS]]
    for raw in (", ".join(name for name in names if name), meta.get("author"), meta.get("article:author"),
                meta.get("og:article:author"), meta.get("dc.creator"), meta.get("sailthru.author"),
                meta.get("parsely-author"), _marked_author(tree)):
        # A byline longer than MAX_NAME is no person's name: rejected, not cut to one.
        if raw and len(raw.strip()) <= MAX_NAME and not re.match(r"(?i)https?://", raw):
            name = byline(_BY_WORD.sub("", raw.strip()))
            if name and len(name) <= MAX_NAME:
                return _line(name, MAX_NAME)
    return ""


MAX_NAME = 200  # characters of a byline, names and commas
MAX_SITE_NAME = 100
MAX_AUTHORS = 8
_BY_WORD = re.compile(r"^(?:by|BY|By)\s+(?=\S)")


# What Firefox's reader view takes as a byline's element.
_BYLINE_CLASS = re.compile(r"byline|author|dateline|writtenby|p-author", re.I)


def _marked_author(tree) -> str:
    """The author's name where the page's markup marks it: rel=author,
    itemprop=author, else an element whose class or id says byline or
    author (a short text, not a list of links)."""
    marked = tree.css('a[rel~="author"], [itemprop~="author"]')[:5]
    classed = [node for node in tree.css("[class], [id]")[:5000]
               if _BYLINE_CLASS.search((node.attributes.get("class") or "") + " " + (node.attributes.get("id") or ""))
               and node.tag not in ("html", "body", "article", "main", "section", "meta", "link", "script", "img")]
    for node in [*marked, *classed[:40]]:
        name_node = node.css_first('[itemprop~="name"]') or node
        text = _name_only(clean_text(name_node.text(deep=True, separator=" ") or ""))
        if 0 < len(text.split()) <= 8 and len(text) <= 100:
            return text
    return ""


_BY = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+", re.I)
# Where a byline line goes on past the name: a date, a time, a separator.
_PAST_NAME = re.compile(
    r"\s+(?:[•|·—–/]|\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,|updated\b|published\b|posted\b)", re.I)


def _name_only(text: str) -> str:
    """The name of a visible byline line: "By Nathan Willis March 25, 2015"
    -> "Nathan Willis"."""
    text = _BY.sub("", text.strip())
    cut = _PAST_NAME.search(text)
    return (text[:cut.start()] if cut else text).strip(" ,;:-")


def _person(value, base: str) -> PagePerson | None:
    """The first author, when the page describes them beyond a name."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict) or "person" not in _type(value).lower():
        return None
    name = _line(_text(value.get("name")), 120)
    role = _line(_text(value.get("jobTitle")), 120)
    bio = _line(_text(value.get("description")), MAX_FIELD)
    avatar = _web_url(_image_url(value.get("image")), base)
    if not name or not (role or bio or avatar):
        return None
    return PagePerson(name=name, role=role, bio=bio, avatar=avatar)


# ---------------------------------------------------------------- picture


def _image_url(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("url") or value.get("contentUrl"))
    return _text(value)


def _image(meta: dict[str, str], article: dict, tree, base: str) -> Image | None:
    """og:image (with og:image:width/height/alt), else the JSON-LD image,
    else twitter:image; its caption and credit where the page marks them
    (the JSON-LD ImageObject, or the figcaption of the same picture)."""
    ld_image = article.get("image")
    if isinstance(ld_image, list):  # the first that is a web address ("javascript:x" first is no reason for none)
        ld_image = next((entry for entry in ld_image[:20] if _web_url(_image_url(entry), base)), None)
    ld = ld_image if isinstance(ld_image, dict) else {}
    url = _web_url(meta.get("og:image:secure_url") or meta.get("og:image") or meta.get("og:image:url") or "", base)
    width, height = _size(meta.get("og:image:width")), _size(meta.get("og:image:height"))
    if not url:
        url = _web_url(_image_url(ld_image), base)
        width, height = _size(ld.get("width")), _size(ld.get("height"))
    if not url:
        url = _web_url(meta.get("twitter:image") or meta.get("twitter:image:src") or "", base)
    if not url:
        return None
    if not (width and height):
        width = height = None
    caption, credit = _line(_text(ld.get("caption")), MAX_FIELD), _line(_text(ld.get("creditText")), 200)
    if not caption:
        caption, credit = _figure_caption(tree, url, base) or ("", credit)
    return Image(url=url, caption=caption, credit=credit, width=width, height=height,
                 alt=_line(meta.get("og:image:alt") or "", 300))


def _size(value) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    try:
        size = int(float(str(value).strip().removesuffix("px")))
    except (TypeError, ValueError, OverflowError):
        return None
    return size if 0 < size < 100_000 else None


def _figure_caption(tree, url: str, base: str) -> tuple[str, str] | None:
    """The caption and credit of the <figure> that shows the same picture
    (the same file name), when the page has one."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if len(name) < 5:
        return None
    for figure in tree.css("figure")[:50]:
        caption = figure.css_first("figcaption")
        if caption is None:
            continue
        sources = [img.attributes.get("src") or img.attributes.get("data-src") or "" for img in figure.css("img")]
        if any(name in (urlsplit(_web_url(src, base)).path or "") for src in sources if src):
            text = _line(caption.text(deep=True, separator=" "), MAX_FIELD)
            return split_caption(text) if text else None
    return None


# ---------------------------------------------------------------- language and time


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def _language(tree, meta: dict[str, str], article: dict) -> str:
    html = tree.css_first("html")
    for raw in ((html.attributes.get("lang") or html.attributes.get("xml:lang")) if html else None,
                meta.get("content-language"), _text(article.get("inLanguage")), meta.get("og:locale")):
        raw = (raw or "").strip().split(",")[0].strip()
        if raw and _LANGUAGE.match(raw):
            return raw.replace("_", "-")
    return ""


def _published(meta: dict[str, str], article: dict, tree) -> datetime | None:
    time_node = tree.css_first('time[itemprop="datePublished"], time[pubdate], [itemprop="datePublished"]')
    time_value = (time_node.attributes.get("datetime") or time_node.attributes.get("content") or "") if time_node \
        else ""
    for raw in (meta.get("article:published_time"), _text(article.get("datePublished")), meta.get("datepublished"),
                meta.get("date"), meta.get("dc.date.issued"), meta.get("dc.date"), time_value):
        if raw and raw.strip():
            moment = read_date(raw.strip()[:80])
            if moment is not None:
                return moment
    return None
