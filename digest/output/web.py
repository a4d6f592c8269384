"""The web edition ([web] dir): a page per edition sent, an index of the
editions newest first, and an Atom feed of each digest's editions.

Layout of the folder (every link inside it relative, so it works copied
anywhere or opened from disk; `base_url` makes the feed's and the mail's
links absolute):

    index.html                      every digest's editions, newest first
    feed.xml                        the top-level digest's editions (Atom)
    editions/2026-12-07-060000.html a page per edition of the top-level digest
    digests/NAME/feed.xml           the same for [digests.NAME]
    digests/NAME/2026-12-07-...html
    pictures/<sha256>.png           local pictures the pages show

A page's name is its edition's time (UTC), so the mail can link its page
before the build is recorded; a second edition of one digest in the same
second is NAME-2.html (and so on), counted in the order of the history. Each file is written to a temporary file and
renamed over the old one, the page before the feed and the index that link
it: a reader of the folder never sees half an edition, nor a link to a
page not there yet. Pictures: a page cannot use the mail's cid: parts, so
a local picture is copied into pictures/ and a remote one stays remote.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from markupsafe import Markup, escape

from ..config import WebConfig
from ..errors import OutputError
from ..files import umask
from ..models import Digest
from ..text import strip_control
from .render import LocalPictures, Renderer

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20  # editions in a digest's Atom feed: the newest
INDEX_NAME = "index.html"


@dataclass(frozen=True)
class Published:
    """What write_archive wrote."""

    folder: Path
    pages: int  # edition pages written
    feeds: tuple[Path, ...]
    index: Path


# ---------------------------------------------------------------- addresses


def folder_of(name: str) -> str:
    """The folder (inside [web] dir) of a digest's pages and feed."""
    return f"digests/{name}" if name else "editions"


def edition_path(digest: Digest, earlier: int = 0) -> str:
    """The page of an edition, relative to [web] dir: its digest's folder
    and its time in UTC; `earlier`: how many editions of the digest were
    made before it in the same second (its page is then NAME-2.html, ...)."""
    moment = digest.generated_at.astimezone(timezone.utc)
    suffix = f"-{earlier + 1}" if earlier else ""
    return f"{folder_of(digest.name)}/{moment:%Y-%m-%d-%H%M%S}{suffix}.html"


def _second(digest: Digest) -> str:
    return f"{digest.generated_at.astimezone(timezone.utc):%Y-%m-%d-%H%M%S}"


def page_paths(editions: Sequence[Digest]) -> list[str]:
    """The pages of a digest's editions (newest first, as history lists
    them), in that order: two made in the same second get two pages."""
    seen: dict[str, int] = {}
    paths = []
    for digest in reversed(editions):
        second = _second(digest)
        paths.append(edition_path(digest, seen.get(second, 0)))
        seen[second] = seen.get(second, 0) + 1
    return paths[::-1]


def feed_path(name: str) -> str:
    return f"digests/{name}/feed.xml" if name else "feed.xml"


def edition_url(base_url: str, digest: Digest, earlier: Sequence[datetime] = ()) -> str:
    """The edition's page on the web: the mail's "view in browser".
    `earlier`: the times of its digest's editions already sent."""
    second = _second(digest)
    same = sum(1 for moment in earlier if f"{moment.astimezone(timezone.utc):%Y-%m-%d-%H%M%S}" == second)
    return base_url + edition_path(digest, same)


def relative(target: str, start: str) -> str:
    """The link from the file `start` to the file `target` (both relative
    to [web] dir, with /): what keeps the folder working from anywhere."""
    up = len(PurePosixPath(start).parent.parts)
    return "../" * up + target


# ---------------------------------------------------------------- writing


def write_archive(web: WebConfig, editions: dict[str, list[Digest]], titles: dict[str, str],
                  renderer_of: Callable[[str], Renderer], pages_of: Sequence[str], rewrite: bool,
                  seed: str = "") -> Published:
    """Write the pages of the digests in `pages_of` (each edition's page that
    is missing; every one when `rewrite`), then their Atom feeds, then the
    index of every digest's editions. `editions`: digest name -> its
    editions, newest first; `titles`: digest name -> its title; `seed`:
    this installation's part of the Atom ids made without base_url."""
    folder = web.dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write the web edition (web.dir) into {folder}: "
                          f"{exc.strerror or exc}") from None
    paths = {name: page_paths(listed) for name, listed in editions.items()}
    pages, feeds = 0, []
    for name in pages_of:
        renderer = renderer_of(name)
        for digest, path in zip(editions.get(name, []), paths.get(name, [])):
            if rewrite or not (folder / path).is_file():
                write_file(folder, path, page_html(renderer, digest, path, folder, titles.get(name, digest.title)))
                pages += 1
        if editions.get(name):
            write_file(folder, feed_path(name), atom_feed(web.base_url, name, titles.get(name, ""),
                                                          editions[name][:FEED_ENTRIES], paths[name], seed))
            feeds.append(folder / feed_path(name))
    write_file(folder, INDEX_NAME, index_html(editions, titles, paths))
    return Published(folder=folder, pages=pages, feeds=tuple(feeds), index=folder / INDEX_NAME)


def write_file(folder: Path, path: str, data: str | bytes) -> None:
    """A file of the archive by temp file and rename: a symlink in its place
    is replaced, not written through (the folder may be shared: a link
    planted there must not send digest's writes anywhere its owner can
    write). Text loses the characters XML and HTML cannot hold (a control
    character in a title made the Atom feed not well-formed)."""
    target = folder / path
    data = strip_control(data).encode("utf-8") if isinstance(data, str) else data
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644 & ~umask())
        os.replace(temp, target)
    except OSError as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- a page


_BODY = re.compile(r"<body[^>]*>")
_HEAD_END = "</head>"
_TITLE = re.compile(r"<title>.*?</title>", re.S)


def page_html(renderer: Renderer, digest: Digest, path: str, folder: Path, title: str) -> str:
    """The edition as a web page: the mail's design (its MJML, every story
    shown), with a bar linking the index and the feed, and its local
    pictures as files of the archive (a page has no cid: parts)."""
    pictures = LocalPictures(replace(digest, web_url="", unsubscribe=()))
    html = renderer.page(pictures.digest)
    for picture in pictures.parts:
        name = f"pictures/{hashlib.sha256(picture.data).hexdigest()[:24]}.{_EXTENSIONS[picture.subtype]}"
        if not (folder / name).is_file():
            write_file(folder, name, picture.data)
        html = html.replace(f'src="{escape(picture.url)}"', f'src="{escape(relative(name, path))}"')
    heading = f"{digest.subject or title}"
    html = _TITLE.sub(lambda _: f"<title>{escape(heading)}</title>", html, count=1)
    feed = relative(feed_path(digest.name), path)
    head = (f'<link rel="alternate" type="application/atom+xml" title="{escape(title)}" href="{escape(feed)}" />'
            f'<meta name="viewport" content="width=device-width, initial-scale=1" />')
    html = html.replace(_HEAD_END, head + _HEAD_END, 1)
    bar = str(Markup(
        '<nav class="web-bar" style="max-width:600px;margin:0 auto;padding:12px 24px;font:14px/20px -apple-system,'
        "'Segoe UI',Helvetica,Arial,sans-serif;color:#57606a\">"
        '<a href="{index}" style="color:#0b57d0">All editions</a> · <a href="{feed}" style="color:#0b57d0">Atom feed'
        "</a></nav>").format(index=relative(INDEX_NAME, path), feed=feed))
    found = _BODY.search(html)
    if found:
        html = html[:found.end()] + bar + html[found.end():]
    return html


_EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif"}


# ---------------------------------------------------------------- the index


def index_html(editions: dict[str, list[Digest]], titles: dict[str, str],
               paths: dict[str, list[str]] | None = None) -> str:
    """Every digest's editions, newest first, each linking its page; each
    digest's feed linked (and announced to feed readers in the head).
    `paths`: each digest's pages (page_paths of its editions)."""
    paths = paths or {name: page_paths(listed) for name, listed in editions.items()}
    every = sorted(((d, name, path) for name, listed in editions.items() for d, path in zip(listed, paths[name])),
                   key=lambda row: row[0].generated_at, reverse=True)
    heading = " · ".join(titles[name] for name in titles if editions.get(name)) or "Digest"
    alternates = "".join(
        f'<link rel="alternate" type="application/atom+xml" title="{escape(titles.get(name, name))}" '
        f'href="{escape(feed_path(name))}" />' for name in titles if editions.get(name))
    feeds = " · ".join(
        f'<a href="{escape(feed_path(name))}">{escape(titles.get(name, name))} (Atom)</a>'
        for name in titles if editions.get(name))
    rows = "\n".join(
        f'<li><a href="{escape(path)}">{escape(d.subject or titles.get(name, d.title))}</a>'
        f'<span class="meta">{escape(titles.get(name, d.title))} · {_day(d.generated_at)} · '
        f'{len(d.stories)} {"story" if len(d.stories) == 1 else "stories"}</span></li>'
        for d, name, path in every)
    empty = "" if every else "<p>No edition yet.</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="color-scheme" content="light dark" />
<title>{escape(heading)}: all editions</title>
{alternates}
<style>
body {{ margin: 0; background: #f3f4f6; color: #1f2328; font: 16px/1.55 -apple-system, 'Segoe UI', Helvetica, Arial,
  sans-serif; }}
main {{ max-width: 600px; margin: 0 auto; background: #fff; padding: 32px 24px; box-sizing: border-box; }}
h1 {{ margin: 0 0 4px; font-size: 28px; line-height: 34px; }}
a {{ color: #0b57d0; }}
ol {{ list-style: none; padding: 0; margin: 24px 0 0; }}
li {{ padding: 12px 0; border-top: 1px solid #e5e7eb; }}
li a {{ font-weight: 600; font-size: 18px; line-height: 24px; color: #1f2328; text-decoration: none; }}
li a:hover {{ text-decoration: underline; }}
.meta {{ display: block; color: #57606a; font-size: 14px; line-height: 20px; }}
@media (prefers-color-scheme: dark) {{
  body {{ background: #0d1117; color: #e6edf3; }} main {{ background: #161b22; }}
  li a {{ color: #e6edf3; }} a {{ color: #7cb7ff; }} .meta {{ color: #9da7b3; }} li {{ border-color: #30363d; }}
}}
</style>
</head>
<body>
<main>
<h1>{escape(heading)}</h1>
<p class="meta">All editions, newest first. {feeds}</p>
{empty}<ol>
{rows}
</ol>
</main>
</body>
</html>
"""


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


# ---------------------------------------------------------------- the Atom feed


def atom_feed(base_url: str, name: str, title: str, editions: list[Digest], paths: Sequence[str] | None = None,
              seed: str = "") -> str:
    """A digest's editions as an Atom feed (RFC 4287): each entry the
    edition's title, its time, its page, and its stories as HTML. Ids are
    stable: the edition's address (without base_url, a urn:uuid of it and
    of `seed`, this installation's id, so no two installations share one)."""
    paths = list(paths) if paths is not None else page_paths(editions)
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    feed_address = feed_path(name)

    def sub(parent, tag: str, text: str | None = None, **attributes) -> ElementTree.Element:
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        element.text = strip_control(text) if text is not None else None
        return element

    sub(feed, "id", _atom_id(base_url, feed_address, seed))
    sub(feed, "title", title or (editions[0].title if editions else "Digest"))
    sub(feed, "updated", utc_stamp(max((d.generated_at for d in editions), default=datetime.now(timezone.utc))))
    sub(sub(feed, "author"), "name", title or "digest")
    sub(feed, "generator", "digest")
    sub(feed, "link", rel="self", type="application/atom+xml", href=_href(base_url, feed_address, feed_address))
    sub(feed, "link", rel="alternate", type="text/html", href=_href(base_url, INDEX_NAME, feed_address))
    for digest, page in zip(editions, paths):
        entry = sub(feed, "entry")
        sub(entry, "id", _atom_id(base_url, page, seed))
        sub(entry, "title", digest.subject or f"{digest.title} — {_day(digest.generated_at)}")
        sub(entry, "published", utc_stamp(digest.generated_at))
        sub(entry, "updated", utc_stamp(digest.generated_at))
        sub(entry, "link", rel="alternate", type="text/html", href=_href(base_url, page, feed_address))
        sub(entry, "summary", f"{len(digest.stories)} {'story' if len(digest.stories) == 1 else 'stories'}: "
                              + "; ".join(story.title for story in digest.stories[:5]))
        sub(entry, "content", stories_html(digest), type="html")
    ElementTree.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(feed, encoding="unicode") + "\n"


def stories_html(digest: Digest) -> str:
    """The edition's stories as plain HTML for a feed reader: headline
    (linked), source and author, lead, "also covered by"; remote pictures
    only (a local one has no address outside the archive)."""
    parts = []
    for story in digest.stories:
        headline = (Markup('<a href="{}">{}</a>').format(story.link, story.title) if story.link
                    else escape(story.title))
        parts.append(Markup("<h2>{}</h2>").format(headline))
        byline = " · ".join(part for part in (story.feed, story.author) if part)
        parts.append(Markup("<p><em>{}</em></p>").format(byline))
        image = story.image
        if image and image.url.startswith(("http://", "https://")):
            parts.append(Markup('<p><img src="{}" alt="{}" /></p>').format(image.url, image.alt or ""))
        if story.lead or story.summary:
            parts.append(Markup("<p>{}</p>").format(story.lead or story.summary))
        if story.also:
            links = Markup(", ").join(Markup('<a href="{}">{}</a>').format(a.link, a.feed) if a.link
                                      else escape(a.feed) for a in story.also)
            parts.append(Markup("<p>Also covered by {}</p>").format(links))
    return str(Markup("\n").join(parts))


def utc_stamp(moment: datetime) -> str:
    """A moment as Atom, EPUB and HTML write it: "2025-01-02T20:00:00Z"."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _atom_id(base_url: str, path: str, seed: str = "") -> str:
    if base_url:
        return base_url + path
    return uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{seed}:{path}" if seed else f"digest:{path}").urn


def _href(base_url: str, path: str, start: str) -> str:
    """Absolute under base_url; without it, relative to the feed's own file."""
    return base_url + path if base_url else relative(path, start)
