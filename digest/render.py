"""Digest -> output: Jinja templates, MJML -> HTML, plain text, MIME, JSON.

Templates are looked up in the user's folders first and the built-in ones
behind; `default:NAME` always names the built-in file, so an override can
`{% extends "default:layout.mjml" %}`. Feed text only ever arrives as data
(autoescaped in .mjml/.html), never as template source.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from .errors import TemplateError
from .models import Digest, Story

TEXT_WIDTH = 72
FORMATS = ("email", "html", "text", "json", "mjml")


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


class Renderer:
    """A Jinja environment over the template chain, compiled once per run."""

    def __init__(self, template_dirs: Sequence[Path] = (), zone: tzinfo | None = None, lang: str = "en"):
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined

        builtin = builtin_template_dir()
        self.search_path = [Path(d) for d in template_dirs if d] + [builtin]
        for folder in self.search_path[:-1]:
            if not folder.is_dir():
                raise TemplateError(f"template folder {folder} does not exist")
        self.zone = zone
        self.lang = lang
        self.env = Environment(
            loader=ChoiceLoader(
                [
                    PrefixLoader({"default": FileSystemLoader(builtin)}, delimiter=":"),
                    FileSystemLoader([str(p) for p in self.search_path]),
                ]
            ),
            autoescape=_autoescape,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            wrap=wrap,
            longdate=self._longdate,
            shorttime=self._shorttime,
            also_ref=lambda other, refs: f"{other.feed} [{refs.add(other.link)}]",
        )

    # ------------------------------------------------------------ formats

    def mjml(self, digest: Digest) -> str:
        return self._render("layout.mjml", digest=digest, lang=self.lang)

    def html(self, digest: Digest, mjml_source: str | None = None) -> str:
        return compile_mjml(self.mjml(digest) if mjml_source is None else mjml_source)

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
            from jinja2 import TemplateSyntaxError

            try:
                template = self.env.from_string(source)
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
            raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
        return self._guard(name, template.render, **context)

    def _guard(self, name: str, render, **context) -> str:
        try:
            return render(**context)
        except TemplateError:
            raise
        except Exception as exc:
            raise TemplateError(f"{_template_location(exc) or name}: {exc}") from None

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone) if self.zone else moment.astimezone()

    def _longdate(self, moment: datetime) -> str:
        local = self._local(moment)
        return f"{local:%A} {local.day} {local:%B %Y}"

    def _shorttime(self, moment: datetime) -> str:
        local = self._local(moment)
        return f"{local.day} {local:%b %H:%M}"


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


def compile_mjml(source: str) -> str:
    from mjml import mjml2html

    try:
        return mjml2html(source, disable_comments=True, fonts={})
    except ValueError as exc:
        message = " ".join(str(exc).split())
        raise TemplateError(f"the MJML from the templates does not compile: {message} (see --format mjml)") from None


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
    }


def digest_as_dict(digest: Digest) -> dict:
    return {
        "title": digest.title,
        "subject": digest.subject,
        "generated_at": digest.generated_at.isoformat(),
        "since": digest.since.isoformat(),
        "items": [story_as_dict(s) for s in digest.stories],
        "errors": [{"feed": f.feed, "url": f.url, "error": f.error} for f in digest.errors],
    }
