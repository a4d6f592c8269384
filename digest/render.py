"""Digest -> output: Jinja templates, MJML -> HTML, plain text, MIME, JSON.

Templates are looked up in the user's folders first and the built-in ones
behind; `default:NAME` always names the built-in file, so an override can
`{% extends "default:layout.mjml" %}`. Feed text only ever arrives as data
(autoescaped in .mjml/.html), never as template source.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from .errors import TemplateError, UsageError
from .models import Digest, Image, Story

TEXT_WIDTH = 72
FORMATS = ("email", "html", "text", "json", "mjml")
# Gmail clips an HTML part past 102 KB behind a "View entire message" link,
# which also hides the footer. The mail carries the HTML quoted-printable,
# which adds ~7% (every "=" becomes "=3D"); whether Gmail counts before or
# after decoding is not documented, so keep both sizes under the clip.
HTML_BUDGET = 94_000
# The card column: the 600 px body less 24 px of padding on each side.
COLUMN_WIDTH = 552
# Display order of `digest templates list`; any other built-in file follows.
TEMPLATE_ORDER = ("layout.mjml", "header.mjml", "item.mjml", "author.mjml", "footer.mjml", "text.txt", "subject.txt")


def builtin_template_dir() -> Path:
    """Inside the installed package; in a source checkout, the top-level folder."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "layout.mjml").is_file():
            return candidate
    raise TemplateError(f"built-in templates not found next to {here}; reinstall digest")


class LinkRefs:
    """Numbered link references for the text part: [1], [2], ..."""

    def __init__(self):
        self._numbers: dict[str, int] = {}

    def add(self, url: str) -> int:
        return self._numbers.setdefault(url, len(self._numbers) + 1)

    def items(self) -> list[tuple[int, str]]:
        return [(number, url) for url, number in self._numbers.items()]


def wrap(text: str, width: int = TEXT_WIDTH, indent: int = 0, hang: int | None = None) -> str:
    """Wrap to width. `indent` indents every line; `hang` indents all but the
    first. Long words (URLs) are never broken."""
    first = " " * indent
    rest = " " * (indent if hang is None else hang)
    paragraphs = [p for p in str(text).split("\n") if p.strip()] or [""]
    return "\n".join(
        textwrap.fill(
            paragraph,
            width=width,
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for paragraph in paragraphs
    )


@dataclass(frozen=True)
class ImageBox:
    """The size an image is drawn at in the card column."""

    width: int
    height: int | None


def fit_image(image: Image, column: int = COLUMN_WIDTH) -> ImageBox:
    """Scale down to the column, never up, keeping the aspect ratio. Without a
    known size the image takes the column width and its natural height."""
    if not image.width:
        return ImageBox(column, None)
    width = min(image.width, column)
    height = round(image.height * width / image.width) if image.height else None
    return ImageBox(width, height)


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
class Fitted:
    """The email's MJML and HTML with as many cards as fit the budget."""

    mjml: str
    html: str
    cards: int
    compact: int


class Renderer:
    """A Jinja environment over the template chain, compiled once per run."""

    def __init__(self, template_dirs: Sequence[Path] = (), zone: tzinfo | None = None, lang: str = "en"):
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

        builtin = builtin_template_dir()
        self.search_path = [Path(d) for d in template_dirs if d] + [builtin]
        for folder in self.search_path[:-1]:
            if not folder.is_dir():
                what = "is not a folder" if folder.exists() else "does not exist"
                raise TemplateError(f"template folder {folder} {what}")
        self.zone = zone
        self.lang = lang
        self.env = Environment(
            loader=ChoiceLoader(
                [
                    PrefixLoader({"default": FileSystemLoader(builtin)}, delimiter=":"),
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
        self._filters = dict(
            wrap=wrap,
            fit=fit_image,
            longdate=self._longdate,
            shorttime=self._shorttime,
            also_ref=lambda other, refs: f"{other.feed} [{refs.add(other.link)}]" if other.link else other.feed,
        )
        self.env.filters.update(self._filters)

    # ------------------------------------------------------------ formats

    def mjml(self, digest: Digest) -> str:
        return self.fit(digest).mjml

    def html(self, digest: Digest, mjml_source: str | None = None) -> str:
        return self.fit(digest).html if mjml_source is None else compile_mjml(mjml_source)

    def layout_mjml(self, digest: Digest, cards: int | None = None) -> str:
        """The layout with the first `cards` stories as cards (all by default)."""
        sections, more = split_cards(digest, len(digest.stories) if cards is None else cards)
        return self._render("layout.mjml", digest=digest, sections=sections, more=more, lang=self.lang)

    def unrenderable(self, digest: Digest) -> list[tuple[Story, str]]:
        """The stories whose card the MJML compiler refuses, each with what it
        said; [] when the whole digest compiles. One story must not sink the
        digest; but when no card compiles, or the digest does not even
        without its stories, the fault is the templates' (or the footer's):
        that TemplateError is raised as it is."""
        source = self.layout_mjml(digest)
        if _mjml_error(source) is None:
            return []
        broken = []
        if _mjml_error(self.layout_mjml(replace(digest, stories=[]))) is None:
            for story in digest.stories:
                error = _mjml_error(self.layout_mjml(replace(digest, stories=[story])))
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
            return Fitted(source, compile_mjml(source), cards, total - cards)

        best = attempt(total)
        if _size(best.html) <= budget or total == 0:
            return best
        # Size grows with the number of cards: binary search the largest
        # count that fits (a handful of compiles, a few ms each).
        low, high = 0, total - 1
        best = attempt(0)
        while low < high:
            middle = (low + high + 1) // 2
            candidate = attempt(middle)
            if _size(candidate.html) <= budget:
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
            from jinja2.sandbox import SandboxedEnvironment

            # A template from the config (or --subject) is sandboxed like the
            # lead template: no reaching through `''.__class__` into Python.
            sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_printable)
            sandbox.filters.update(self._filters)
            try:
                template = sandbox.from_string(source)
            except TemplateSyntaxError as exc:
                raise TemplateError(f"email.subject: {exc.message}") from None
            text = self._guard("email.subject", template.render, **context)
        else:
            text = self._render("subject.txt", **context)
        return " ".join(text.split())

    def email(self, digest: Digest, sender: str, recipients: Sequence[str]) -> EmailMessage:
        """multipart/alternative: the text part first, then the HTML."""
        message = EmailMessage()
        message["Subject"] = digest.subject
        message["From"] = sender
        if recipients:
            message["To"] = ", ".join(recipients)
        message["Date"] = format_datetime(digest.generated_at)
        domain = parseaddr(sender)[1].rpartition("@")[2] or "digest.invalid"
        message["Message-ID"] = make_msgid(idstring="digest", domain=domain)
        message.set_content(self.text(digest), charset="utf-8", cte="quoted-printable")
        message.add_alternative(self.html(digest), subtype="html", charset="utf-8", cte="quoted-printable")
        return message

    def json(self, digest: Digest) -> str:
        return json.dumps(digest_as_dict(digest), ensure_ascii=False, indent=2) + "\n"

    # ------------------------------------------------------------ helpers

    def _render(self, name: str, **context) -> str:
        from jinja2 import TemplateNotFound, TemplateSyntaxError

        try:
            template = self.env.get_template(name)
        except TemplateNotFound as exc:
            searched = ", ".join(str(p) for p in self.search_path)
            raise TemplateError(f"template {exc.name!r} not found (searched {searched})") from None
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {_one_line(exc.message)}") from None
        return self._guard(name, template.render, **context)

    def _guard(self, name: str, render, **context) -> str:
        try:
            return render(**context)
        except TemplateError:
            raise
        except Exception as exc:
            from jinja2 import TemplateNotFound, TemplateSyntaxError

            if isinstance(exc, TemplateSyntaxError):  # in an included or extended file
                raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {_one_line(exc.message)}") from None
            if isinstance(exc, TemplateNotFound):
                searched = ", ".join(str(p) for p in self.search_path)
                raise TemplateError(f"template {exc.name!r} not found (searched {searched})") from None
            raise TemplateError(f"{_template_location(exc) or name}: {_one_line(str(exc))}") from None

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone) if self.zone else moment.astimezone()

    def _longdate(self, moment: datetime) -> str:
        local = self._local(moment)
        return f"{local:%A} {local.day} {local:%B %Y}"

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


def _size(html: str) -> int:
    return len(html.encode("utf-8"))


def _one_line(message: str | None) -> str:
    return " ".join(str(message or "").split())


def _autoescape(name: str | None) -> bool:
    # select_autoescape() does not know .mjml; the text templates must not escape.
    return bool(name) and name.rpartition(":")[2].endswith((".mjml", ".html", ".xml"))


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


# ---------------------------------------------------------------- catalog


@dataclass(frozen=True)
class TemplateInfo:
    """One built-in template and where the chain finds it."""

    name: str
    description: str
    path: Path  # the file the chain uses
    overridden: bool


_LEADING_COMMENT = re.compile(r"\A\s*\{#-?(.*?)-?#\}", re.S)


def describe_template(source: str) -> str:
    """The first sentence of a template's leading {#- ... -#} comment."""
    match = _LEADING_COMMENT.match(source)
    if not match:
        return ""
    text = _one_line(match.group(1))
    sentence = re.match(r"(.+?\.)(\s|$)", text)
    return sentence.group(1) if sentence else text


def builtin_templates() -> list[Path]:
    folder = builtin_template_dir()
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix in (".mjml", ".txt", ".html")]
    rank = {name: i for i, name in enumerate(TEMPLATE_ORDER)}
    return sorted(files, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def template_catalog(template_dirs: Sequence[Path | None] = ()) -> list[TemplateInfo]:
    """Each built-in template with the file the chain would use for it."""
    folders = [Path(d) for d in template_dirs if d]
    catalog = []
    for builtin in builtin_templates():
        user = next((f / builtin.name for f in folders if (f / builtin.name).is_file()), None)
        catalog.append(
            TemplateInfo(
                name=builtin.name,
                description=describe_template(builtin.read_text(encoding="utf-8")),
                path=user or builtin,
                overridden=user is not None,
            )
        )
    return catalog


def export_templates(destination: Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates into destination. Refuses (and copies
    nothing) when a file would be overwritten, unless force."""
    destination = Path(destination)
    sources = builtin_templates()
    if destination.exists() and not destination.is_dir():
        raise UsageError(f"{destination} exists and is not a folder")
    clashes = [destination / p.name for p in sources if (destination / p.name).exists()]
    if clashes and not force:
        names = ", ".join(p.name for p in clashes)
        raise UsageError(f"{destination} already has {names}; use --force to overwrite")
    written = []
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for source in sources:
            target = destination / source.name
            shutil.copyfile(source, target)
            written.append(target)
    except OSError as exc:  # /proc/x, a read-only folder, a full disk
        raise UsageError(f"cannot write the templates into {destination}: {exc.strerror or exc}") from None
    return written


def compile_mjml(source: str) -> str:
    from mjml import mjml2html

    try:
        return mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:
        message = " ".join(str(exc).split())
        raise TemplateError(f"the MJML from the templates does not compile: {message} (see --format mjml)") from None


def _mjml_error(source: str) -> str | None:
    """What the compiler says about the source; None when it compiles."""
    from mjml import mjml2html

    try:
        mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:
        return " ".join(str(exc).split())
    return None


def _printable(value):
    """Every value a template prints, without the characters the email
    cannot carry (parse.strip_control): items stored before ingestion
    stripped them, config text, error messages holding a feed's URL."""
    from markupsafe import Markup

    from .parse import strip_control

    if isinstance(value, Markup):
        return Markup(strip_control(value))
    return strip_control(value) if isinstance(value, str) else value


def story_as_dict(story: Story) -> dict:
    return {
        "title": story.title,
        "link": story.link,
        "feed": story.feed,
        "feed_url": story.item.feed_url,
        "author": story.author or None,
        "author_blurb": (
            {"role": story.author_blurb.role, "bio": story.author_blurb.bio, "avatar": story.author_blurb.avatar}
            if story.author_blurb
            else None
        ),
        "published": story.published.isoformat(),
        "dated": story.dated,
        "score": round(story.score, 6),
        "lead": story.lead,
        "summary": story.summary,
        "reading_minutes": story.reading_minutes,
        "image": asdict(story.image) if story.image else None,
        "also": [{"feed": a.feed, "link": a.link} for a in story.also],
        "tags": story.tags,
        "updated": story.updated,
    }


def digest_as_dict(digest: Digest) -> dict:
    return {
        "title": digest.title,
        "subject": digest.subject,
        "generated_at": digest.generated_at.isoformat(),
        "since": digest.since.isoformat(),
        "group_by": digest.group_by,
        "items": [story_as_dict(s) for s in digest.stories],
        "errors": [{"feed": f.feed, "url": f.url, "error": f.error} for f in digest.errors],
    }
