"""Digest -> output: Jinja templates, MJML -> HTML, plain text, MIME, JSON.

Templates are looked up in the user's folders first and the built-in ones
behind; `default:NAME` always names the built-in file, so an override can
`{% extends "default:layout.mjml" %}`. Feed text only ever arrives as data
(autoescaped in .mjml/.html), never as template source.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import TemplateError
from ..models import Digest, Image, Story
from ..text import cut_line
from .mail import Addressing, address_headers, html_transfer_encoding, mailed_size, text_transfer_encoding
from .snapshot import _printable, digest_as_dict
from .templates import builtin_template_dir, folded_line
from .wrap import LinkRefs, together, wrap

# Gmail clips an HTML part past 102 KB behind a "View entire message" link,
# which also hides the footer. Whether it counts the part before or after
# decoding is not documented, so the part is measured as mailed, which is
# the larger: quoted-printable adds ~7% to English HTML but turns each byte
# of Cyrillic, Greek or CJK text into three (a Russian day of 92 KB mailed
# as 139 KB), so such a part goes base64 (4 bytes for 3) instead. The
# budget leaves room below the clip for the part's headers.
GMAIL_CLIP = 102_400
HTML_BUDGET = GMAIL_CLIP - 2_400
# The card column: the 600 px body less 24 px of padding on each side.
COLUMN_WIDTH = 552
@dataclass(frozen=True)
class ImageBox:
    """The size an image is drawn at in the card column: both sides, or
    none (the picture's own size, shrunk to the column by CSS)."""

    width: int | None
    height: int | None


def fit_image(image: Image, column: int = COLUMN_WIDTH) -> ImageBox:
    """Scale down to the column, never up, keeping the aspect ratio. Only a
    picture whose width and height are both known is given a size: a width
    alone would stretch it (or draw a thumbnail at the column's width)."""
    if not (image.width and image.height):
        return ImageBox(None, None)
    width = min(image.width, column)
    return ImageBox(width, round(image.height * width / image.width))


def split_cards(digest: Digest, cards: int) -> tuple[list[tuple[str, list[Story]]], list[Story]]:
    """The first `cards` stories (in section order) as card sections; the
    rest, in the same order, for the compact list."""
    sections, more, shown = [], [], 0
    for tag, stories in digest.sections:
        room = max(cards - shown, 0)
        if stories[:room]:
            sections.append((tag, list(stories[:room])))
        more.extend(stories[room:])
        shown += min(room, len(stories))
    return sections, more


@dataclass(frozen=True)
class Tiers:
    """The email's hierarchy as the layout gets it (`tiers`): `lead`
    stories as leads (the picture across the column, the largest
    headline), the next `cards` ([email] cards) as cards, every one after
    them as a compact row. A user's layout may draw them otherwise."""

    lead: int = 1
    cards: int = 3


@dataclass(frozen=True)
class Fitted:
    """The email's MJML and HTML with as many cards as fit the budget."""

    mjml: str
    html: str
    cards: int
    compact: int


class Renderer:
    """A Jinja environment over the template chain, compiled once per run."""

    def __init__(self, template_dirs: Sequence[Path] = (), zone: tzinfo | None = None, lang: str = "en"):
        builtin = builtin_template_dir()
        self.search_path = [Path(d) for d in template_dirs if d] + [builtin]
        for folder in self.search_path[:-1]:
            if not folder.is_dir():
                what = "is not a folder" if folder.exists() else "does not exist"
                raise TemplateError(f"template folder {folder} {what}")
        self.zone = zone
        self.lang = lang
        self._last_compiled: tuple[str | None, tuple[str, str | None]] = (None, ("", None))

    # Made when first used, not with the Renderer: a build makes its
    # Renderer before fetching, and importing jinja2 (50 ms) then held up
    # the first request; now prepare() makes it while the fetches are in
    # flight (the build touches it only once that thread is joined).
    @functools.cached_property
    def env(self):
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

        env = Environment(
            loader=ChoiceLoader(
                [
                    PrefixLoader({"default": FileSystemLoader(builtin_template_dir())}, delimiter=":"),
                    _utf8_loader()([str(p) for p in self.search_path]),
                ]
            ),
            autoescape=_autoescape,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_printable,
        )
        env.filters.update(self._filters)
        return env

    @functools.cached_property
    def _filters(self) -> dict:
        from . import pictures, present

        return dict(
            wrap=wrap,
            together=together,
            fit=fit_image,
            frame=pictures.frame,
            alt=present.alt_text,
            is_note=present.is_note,
            first_sentence=present.first_sentence,
            day_summary=present.day_summary,
            not_shown=present.not_shown_line,
            unsubscribe_link=present.unsubscribe_link,
            credit=present.credit_line,
            storytime=self._storytime,
            duration=present.duration_text,
            longdate=self._longdate,
            shorttime=self._shorttime,
            also_ref=lambda other, refs: f"{other.feed} [{refs.add(other.link)}]" if other.link else other.feed,
        )

    def prepare(self) -> None:
        """Compile the templates a build renders (the user's where they
        replace a built-in one) and load the MJML compiler, ahead of the
        render: a build runs this while its fetches are in flight. A
        template that does not compile is left to the render, which
        reports it as it always does."""
        from mjml import mjml2html  # noqa: F401

        for path in sorted(builtin_template_dir().iterdir()):
            if path.suffix in (".mjml", ".txt"):
                try:
                    self.env.get_template(path.name)
                except Exception:  # noqa: BLE001 - any error of a template is the render's to report
                    continue

    # ------------------------------------------------------------ formats

    def mjml(self, digest: Digest) -> str:
        return self.fit(digest).mjml

    def html(self, digest: Digest, mjml_source: str | None = None) -> str:
        return self.fit(digest).html if mjml_source is None else compile_mjml(mjml_source)

    def layout_mjml(self, digest: Digest, cards: int | None = None, web: bool = False) -> str:
        """The layout with the first `cards` stories as cards (all by
        default); `web`: for the web edition's page, not a mail."""
        sections, more = split_cards(digest, len(digest.stories) if cards is None else cards)
        return self._render("layout.mjml", digest=digest, sections=sections, more=more, lang=self.lang,
                            tiers=Tiers(cards=digest.cards), web=web)

    def page(self, digest: Digest) -> str:
        """The web edition's page of the digest: the mail's design, every
        story as it would be shown (no size guard: a browser clips nothing)."""
        return compile_mjml(self.layout_mjml(digest, web=True))

    def unrenderable(self, digest: Digest) -> list[tuple[Story, str]]:
        """The stories whose card the MJML compiler refuses, each with what it
        said; [] when the whole digest compiles. One story must not sink the
        digest; but when no card compiles, or the digest does not even
        without its stories, the fault is the templates' (or the footer's):
        that TemplateError is raised as it is."""
        source = self.layout_mjml(digest)
        if self._mjml_error(source) is None:
            return []
        broken = []
        if self._mjml_error(self.layout_mjml(replace(digest, stories=[]))) is None:
            for story in digest.stories:
                error = self._mjml_error(self.layout_mjml(replace(digest, stories=[story])))
                if error is not None:
                    broken.append((story, error))
        if len(broken) in (0, len(digest.stories)):
            compile_mjml(source)  # raises the TemplateError
        return broken

    def fit(self, digest: Digest, budget: int = HTML_BUDGET) -> Fitted:
        """As many cards as keep the HTML under `budget` bytes; the stories
        after them go to the compact list. Measured on the compiled HTML,
        since a card's cost depends on its image, blurb and the templates."""
        total = len(digest.stories)

        def attempt(cards: int) -> Fitted:
            source = self.layout_mjml(digest, cards)
            return Fitted(source, self._compiled(source), cards, total - cards)

        best = attempt(total)
        if mailed_size(best.html) <= budget or total == 0:
            return best
        # Size grows with the number of cards: binary search the largest
        # count that fits (a handful of compiles, a few ms each).
        low, high = 0, total - 1
        best = attempt(0)
        while low < high:
            middle = (low + high + 1) // 2
            candidate = attempt(middle)
            if mailed_size(candidate.html) <= budget:
                best, low = candidate, middle
            else:
                high = middle - 1
        return best  # with no cards at all it may still be over: nothing more to drop

    def text(self, digest: Digest) -> str:
        rendered = self._render("text.txt", digest=digest, refs=LinkRefs())
        # Template whitespace control is fiddly for users; collapse runs of
        # blank lines here so the text part always reads cleanly.
        lines, blank = [], False
        for line in rendered.splitlines():
            if not line.strip():
                if not blank and lines:
                    lines.append("")
                blank = True
                continue
            lines.append(line.rstrip())
            blank = False
        return "\n".join(lines).rstrip() + "\n"

    def subject(self, digest: Digest, source: str | None = None) -> str:
        context = {"title": digest.title, "now": self._local(digest.generated_at), "digest": digest}
        if source:
            from jinja2 import StrictUndefined, TemplateSyntaxError

            from ..sandbox import BoundedSandbox, render_bounded

            # A template from the config (or --subject) is sandboxed like the
            # lead template: no reaching through `''.__class__` into Python,
            # no unbounded work or output.
            sandbox = BoundedSandbox(undefined=StrictUndefined, autoescape=False, finalize=_printable)
            sandbox.add_filters(self._filters)
            try:
                template = sandbox.from_string(source)
            except TemplateSyntaxError as exc:
                raise TemplateError(f"email.subject: {exc.message}") from None
            text = self._guard("email.subject", lambda **values: render_bounded(template, **values), **context)
        else:
            text = self._render("subject.txt", **context)
        return _subject_line(text)

    def email(self, digest: Digest, sender: str, recipients: Sequence[str], *, cc: Sequence[str] = (),
              bcc: Sequence[str] = (), unsubscribe: Sequence[str] = ()) -> EmailMessage:
        """multipart/alternative: the text part first, then the HTML. Local
        pictures (a feed or an author's avatar from a file) travel inside
        the message: the HTML becomes multipart/related with each picture
        as a part it names by Content-ID."""
        pictures = LocalPictures(replace(digest, unsubscribe=tuple(unsubscribe)))
        digest = pictures.digest
        message = EmailMessage()
        message["Subject"] = digest.subject
        domain = address_headers(message, Addressing(digest.title, sender, tuple(recipients), tuple(cc), tuple(bcc),
                                                     tuple(unsubscribe)), digest.generated_at)
        text = self.text(digest)
        message.set_content(text, charset="utf-8", cte=text_transfer_encoding(text))
        html_text = pictures.referenced_by_cid(self.html(digest), domain)
        message.add_alternative(html_text, subtype="html", charset="utf-8", cte=html_transfer_encoding(html_text)[0])
        if pictures.parts:
            html_part = message.get_payload()[1]
            for picture in pictures.parts:
                html_part.add_related(picture.data, "image", picture.subtype, cid=f"<{picture.cid(domain)}>",
                                      disposition="inline", filename=picture.filename)
        return message

    def json(self, digest: Digest) -> str:
        return json.dumps(digest_as_dict(digest), ensure_ascii=False, indent=2) + "\n"

    # ------------------------------------------------------------ helpers

    def _compiled(self, source: str) -> str:
        """compile_mjml, remembering the last source: a build checks that
        the whole digest compiles (unrenderable) and then fits it, and the
        first fit is that same source (a compile is a tenth of a second at
        50 cards)."""
        return _html_of(self._compile_result(source))

    def _mjml_error(self, source: str) -> str | None:
        """What the compiler says about the source; None when it compiles."""
        return self._compile_result(source)[1]

    def _compile_result(self, source: str) -> tuple[str, str | None]:
        if self._last_compiled[0] != source:
            self._last_compiled = (source, _mjml_compiled(source))
        return self._last_compiled[1]

    def _render(self, name: str, **context) -> str:
        from jinja2 import TemplateNotFound, TemplateSyntaxError

        try:
            template = self.env.get_template(name)
        except TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in self.search_path)
            raise TemplateError(f"template {exc.name!r} not found (searched {searched})") from None
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {folded_line(exc.message)}") from None
        return self._guard(name, template.render, **context)

    def _guard(self, name: str, render, **context) -> str:
        try:
            return render(**context)
        except TemplateError:
            raise
        except Exception as exc:
            from jinja2 import TemplateNotFound, TemplateSyntaxError

            if isinstance(exc, TemplateSyntaxError):  # in an included or extended file
                raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {folded_line(exc.message)}") from None
            if isinstance(exc, TemplateNotFound):
                searched = ", ".join(str(p) for p in self.search_path)
                raise TemplateError(f"template {exc.name!r} not found (searched {searched})") from None
            raise TemplateError(f"{_template_location(exc) or name}: {folded_line(str(exc))}") from None

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone) if self.zone else moment.astimezone()

    def _longdate(self, moment: datetime) -> str:
        local = self._local(moment)
        return f"{local:%A} {local.day} {local:%B %Y}"

    def _storytime(self, story: Story, now: datetime) -> str:
        from .present import story_time

        # A day the feed gave without a time is that day wherever the reader is.
        when = story.published if story.date_only else self._local(story.published)
        return story_time(when, story.dated, self._local(now), date_only=story.date_only)

    def _shorttime(self, moment: datetime) -> str:
        local = self._local(moment)
        return f"{local.day} {local:%b %H:%M}"


@functools.cache
def _utf8_loader():
    """The loader class, made on first use: jinja2 is imported only when a
    Renderer is (`templates list` needs none)."""
    from jinja2 import FileSystemLoader

    class Utf8Loader(FileSystemLoader):
        """A template file that is not UTF-8 is named: the decode error
        otherwise surfaced in whatever file included it (layout.mjml:51)."""

        def get_source(self, environment, template):
            try:
                return super().get_source(environment, template)
            except UnicodeDecodeError as exc:
                path = next((Path(d) / template for d in self.searchpath if (Path(d) / template).is_file()), template)
                raise TemplateError(f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})") \
                    from None

    return Utf8Loader


MAX_LOCAL_PICTURE = 2 * 1024 * 1024  # bytes; a local picture larger than this is left out
LOCAL_PICTURE_TIMEOUT = 5.0  # seconds to read one
_PICTURE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg", b"GIF87a": "gif", b"GIF89a": "gif"}


@dataclass(frozen=True)
class LocalPicture:
    url: str  # file:// URL as the digest names it
    data: bytes
    subtype: str  # image/<subtype>
    number: int

    @property
    def filename(self) -> str:
        return Path(urlsplit(self.url).path).name

    def cid(self, domain: str) -> str:
        return f"picture-{self.number}.{self.filename}@{domain}"


class LocalPictures:
    """The digest's pictures that are local files, read for the email. A
    picture that cannot be read (gone, too large, not a PNG/JPEG/GIF) is
    left out of the digest rather than shown as a broken box."""

    def __init__(self, digest: Digest):
        urls = [s.image.url for s in digest.stories if s.image] + [
            s.author_blurb.avatar for s in digest.stories if s.author_blurb and s.author_blurb.avatar]
        self.parts: list[LocalPicture] = []
        readable: set[str] = set()
        for url in dict.fromkeys(u for u in urls if u.startswith("file:")):
            picture = _read_local_picture(url, len(self.parts) + 1)
            if picture:
                self.parts.append(picture)
                readable.add(url)
        self.digest = _without_local_pictures(digest, keep=readable)

    def referenced_by_cid(self, html_text: str, domain: str) -> str:
        from markupsafe import escape

        for picture in self.parts:
            html_text = html_text.replace(f'src="{escape(picture.url)}"', f'src="cid:{picture.cid(domain)}"')
        return html_text


def _read_local_picture(url: str, number: int) -> LocalPicture | None:
    from ..files import TimedOut, TooLarge, file_path, read_capped

    try:
        # Capped and under a deadline like every local file: a named pipe
        # in the feed's folder must not hold the render.
        data = read_capped(file_path(url), MAX_LOCAL_PICTURE, LOCAL_PICTURE_TIMEOUT)
    except (OSError, TooLarge, TimedOut):
        return None
    subtype = next((kind for magic, kind in _PICTURE_MAGIC.items() if data.startswith(magic)), None)
    if subtype is None:
        return None
    return LocalPicture(url=url, data=data, subtype=subtype, number=number)


def _without_local_pictures(digest: Digest, keep: set[str]) -> Digest:
    """The digest with every local picture not in keep taken out."""
    from dataclasses import replace

    def lost(url: str) -> bool:
        return url.startswith("file:") and url not in keep

    stories = []
    for story in digest.stories:
        if story.image and lost(story.image.url):
            story = replace(story, item=replace(story.item, image=None))
        if story.author_blurb and lost(story.author_blurb.avatar):
            story = replace(story, author_blurb=replace(story.author_blurb, avatar=""))
        stories.append(story)
    return replace(digest, stories=stories)


def _autoescape(name: str | None) -> bool:
    # select_autoescape() does not know .mjml; the text templates must not escape.
    return bool(name) and name.rpartition(":")[2].endswith((".mjml", ".html", ".xml"))


MAX_SUBJECT = 200  # characters: a subject is what a mail list shows in one line


def _subject_line(text: str) -> str:
    """The subject as one line, cut at a word past MAX_SUBJECT (a template
    made one of 20,000 characters, folded over 266 header lines)."""
    return cut_line(text, MAX_SUBJECT)


def _template_location(exc: Exception) -> str | None:
    """file:line of the template frame where a render error happened."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".mjml", ".txt", ".html")):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def compile_mjml(source: str) -> str:
    return _html_of(_mjml_compiled(source))


def _mjml_compiled(source: str) -> tuple[str, str | None]:
    """(the HTML, None), or ('', what the compiler said) when it refuses."""
    from mjml import mjml2html

    try:
        return mjml2html(source, disable_comments=True, fonts={}), None
    except ValueError as exc:
        return "", " ".join(str(exc).split())


def _html_of(compiled: tuple[str, str | None]) -> str:
    """The HTML of a compile (_mjml_compiled), or its refusal as a TemplateError."""
    html, error = compiled
    if error is not None:
        raise TemplateError(f"the MJML from the templates does not compile: {error} (see --format mjml)")
    return html


