"""An edition as an EPUB 3 (`digest build --format epub -o brief.epub`):
one chapter per section of the digest (one for the whole edition when it
is not in sections), a table of contents (nav.xhtml, with each story under
its chapter), the pictures inside the book where they could be had (the
caller fetched them: `pictures`), and the metadata a reader shows (title,
date, language, an identifier).

Written here rather than with ebooklib: an EPUB is a zip with a fixed
first entry (`mimetype`, stored, uncompressed) and four kinds of small XML
files; ebooklib is AGPL-3.0 (a licence this MIT-style project cannot
take on for one output format) and builds the same files from lxml trees.
Every text goes through markupsafe's escaping, so each file is
well-formed XHTML whatever the feeds carried; epubcheck is the test.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import timezone

from markupsafe import Markup, escape

from ..models import Digest, PictureFile, Story
from ..text import strip_control
from ..urls import uri_reference
from .present import alt_text, credit_line, duration_text
from .render import Renderer
from .web import utc_stamp

# Zip entries get this time (reproducible bytes for one edition).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_CSS = """body { font-family: serif; line-height: 1.5; margin: 0 5%; }
h1 { font-size: 1.6em; margin: 1em 0 0.3em; }
h2 { font-size: 1.25em; margin: 1.4em 0 0.2em; }
h2 a { color: inherit; text-decoration: none; }
p.meta { color: #555; font-size: 0.85em; margin: 0 0 0.6em; }
figure { margin: 0.6em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.8em; color: #555; }
p.blurb { font-size: 0.85em; font-style: italic; }
p.more { font-size: 0.9em; }
"""


def epub_of(renderer: Renderer, digest: Digest, pictures: dict[str, PictureFile]) -> bytes:
    """The EPUB's bytes. `pictures`: the bytes of the pictures that could
    be had, by URL; a story whose picture is not among them has none."""
    book = _Book(renderer, digest, pictures)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "mimetype", b"application/epub+zip", zipfile.ZIP_STORED)  # first, uncompressed (OCF)
        _add(archive, "META-INF/container.xml", _CONTAINER.encode())
        for name, data in book.files():
            _add(archive, f"EPUB/{name}", data)
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes, compression: int = zipfile.ZIP_DEFLATED) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = compression
    archive.writestr(info, data)


_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""


class _Book:
    """The files inside EPUB/: package, nav, style, a chapter per section, pictures."""

    def __init__(self, renderer: Renderer, digest: Digest, pictures: dict[str, PictureFile]):
        self.renderer = renderer
        self.digest = digest
        self.lang = renderer.lang
        self.pictures: dict[str, tuple[str, PictureFile]] = {}  # URL -> (file name, bytes)
        for url, picture in pictures.items():
            self.pictures[url] = (f"images/picture-{len(self.pictures) + 1}.{picture.extension}", picture)
        sections = [(heading, stories) for heading, stories in digest.sections if stories]
        self.chapters = [(f"chapter-{number}.xhtml", heading or digest.title, stories)
                         for number, (heading, stories) in enumerate(sections or [("", [])], start=1)]

    def files(self) -> list[tuple[str, bytes]]:
        files = [("package.opf", self.package().encode()), ("nav.xhtml", self.nav().encode()),
                 ("style.css", _CSS.encode())]
        for number, (name, heading, stories) in enumerate(self.chapters):
            files.append((name, self.chapter(heading, stories, first=number == 0).encode()))
        files += [(name, picture.data) for name, picture in self.pictures.values()]
        return files

    # ------------------------------------------------------------ the package

    def identifier(self) -> str:
        moment = self.digest.generated_at.astimezone(timezone.utc).isoformat()
        return uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{self.digest.name}:{self.digest.title}:{moment}").urn

    def package(self) -> str:
        title = self.digest.subject or self.digest.title
        manifest = [
            '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
            '<item id="style" href="style.css" media-type="text/css"/>',
        ]
        manifest += [f'<item id="chapter-{n}" href="{name}" media-type="application/xhtml+xml"/>'
                     for n, (name, _, _) in enumerate(self.chapters, start=1)]
        manifest += [f'<item id="picture-{n}" href="{name}" media-type="{picture.media_type}"/>'
                     for n, (name, picture) in enumerate(self.pictures.values(), start=1)]
        spine = "".join(f'<itemref idref="chapter-{n}"/>' for n in range(1, len(self.chapters) + 1))
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="{escape(self.lang)}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="book-id">{self.identifier()}</dc:identifier>
    <dc:title>{_text(title)}</dc:title>
    <dc:language>{escape(self.lang)}</dc:language>
    <dc:creator>{_text(self.digest.title)}</dc:creator>
    <dc:publisher>digest</dc:publisher>
    <dc:date>{utc_stamp(self.digest.generated_at)}</dc:date>
    <meta property="dcterms:modified">{utc_stamp(self.digest.generated_at)}</meta>
  </metadata>
  <manifest>
    {(chr(10) + "    ").join(manifest)}
  </manifest>
  <spine>{spine}</spine>
</package>
"""

    def nav(self) -> str:
        entries = []
        for name, heading, stories in self.chapters:
            inner = "".join(f'<li><a href="{name}#story-{_story_number(self.digest, story)}">'
                            f"{_text(story.title)}</a></li>" for story in stories)
            entries.append(f'<li><a href="{name}">{_text(heading)}</a>' + (f"<ol>{inner}</ol>" if inner else "")
                           + "</li>")
        return self._page("Contents", f"""<nav epub:type="toc" id="toc">
<h1>Contents</h1>
<ol>
{chr(10).join(entries)}
</ol>
</nav>""")

    # ------------------------------------------------------------ chapters

    def chapter(self, heading: str, stories: list[Story], first: bool) -> str:
        parts = []
        if first:
            parts.append(f"<h1>{_text(self.digest.title)}</h1>")
            parts.append(f'<p class="meta">{_text(self.renderer._longdate(self.digest.generated_at))}</p>')
            if heading != self.digest.title:
                parts.append(f"<h1>{_text(heading)}</h1>")
        else:
            parts.append(f"<h1>{_text(heading)}</h1>")
        if not stories:
            parts.append("<p>Nothing new in this edition.</p>")
        for story in stories:
            parts.append(self.story(story))
        return self._page(heading, "\n".join(parts))

    def story(self, story: Story) -> str:
        number = _story_number(self.digest, story)
        link = uri_reference(story.link) if story.link else ""
        headline = f'<a href="{escape(link)}">{_text(story.title)}</a>' if link else _text(story.title)
        updated = "Updated: " if story.updated else ""
        when = self.renderer._storytime(story, self.digest.generated_at)
        length = duration_text(story.duration_seconds) if story.duration_seconds else (
            f"{story.reading_minutes} min read" if story.reading_minutes else "")
        meta = " · ".join(part for part in (story.feed, story.author, when, length) if part)
        # The story's own language and direction, as the web page has them:
        # an Arabic story right to left, a Japanese one not tagged English.
        lang = f' lang="{escape(story.language)}" xml:lang="{escape(story.language)}"' if story.language else ""
        parts = [f'<section id="story-{number}"{lang} dir="auto">', f"<h2>{updated}{headline}</h2>",
                 f'<p class="meta">{_text(meta)}</p>']
        picture = self.pictures.get(story.image.url) if story.image else None
        if picture:
            caption = " ".join(part for part in (story.image.caption, credit_line(story.image.credit)) if part)
            parts.append(f'<figure><img src="{picture[0]}" alt="{_text(alt_text(story.image, story.title))}"/>'
                         + (f"<figcaption>{_text(caption)}</figcaption>" if caption else "") + "</figure>")
        if story.lead or story.summary:
            parts.append(f"<p>{_text(story.lead or story.summary)}</p>")
        blurb = story.author_blurb
        if blurb and (blurb.role or blurb.bio):
            parts.append(f'<p class="blurb">{_text(" — ".join(p for p in (blurb.name, blurb.role, blurb.bio) if p))}'
                         "</p>")
        if story.also:
            links = ", ".join(f'<a href="{escape(uri_reference(a.link))}">{_text(a.feed)}</a>'
                              if a.link and uri_reference(a.link) else _text(a.feed) for a in story.also)
            parts.append(f'<p class="more">Also covered by {links}</p>')
        if link:
            parts.append(f'<p class="more"><a href="{escape(link)}">Read more</a></p>')
        parts.append("</section>")
        return "\n".join(parts)

    def _page(self, title: str, body: str) -> str:
        lang = escape(self.lang)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}">
<head>
<meta charset="UTF-8"/>
<title>{_text(title)}</title>
<link rel="stylesheet" type="text/css" href="style.css"/>
</head>
<body>
{body}
</body>
</html>
"""


def _story_number(digest: Digest, story: Story) -> int:
    return next(number for number, shown in enumerate(digest.stories, start=1) if shown is story)


def _text(value: str) -> Markup:
    """Text for XML: control characters out (XML 1.0 has no place for them), escaped."""
    return escape(strip_control(value or ""))
