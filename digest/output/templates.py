"""The built-in templates: where they are, what each renders (`digest
templates list`), and copying them out to start one's own (`templates export`)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import TemplateError, UsageError
from ..files import umask

# Display order of `digest templates list`; any other built-in file follows.
TEMPLATE_ORDER = ("layout.mjml", "header.mjml", "item.mjml", "author.mjml", "footer.mjml", "text.txt", "subject.txt")


def builtin_template_dir() -> Path:
    """Inside the installed package (digest/templates); in a source
    checkout, the top-level folder."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "layout.mjml").is_file():
            return candidate
    raise TemplateError(f"built-in templates not found next to {here}; reinstall digest")


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
    text = folded_line(match.group(1))
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
    targets = [destination / p.name for p in sources]
    # A link or a device where a template goes is never written through, --force or not.
    odd = [t for t in targets if t.is_symlink() or (t.exists() and not t.is_file())]
    if odd:
        kind = "a symlink" if odd[0].is_symlink() else "not a regular file"
        raise UsageError(f"{odd[0]} is {kind}; not writing through it (remove it, or pick another DIR)")
    clashes = [t for t in targets if t.exists()]
    if clashes and not force:
        names = ", ".join(p.name for p in clashes)
        raise UsageError(f"{destination} already has {names}; use --force to overwrite")
    written = []
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for source, target in zip(sources, targets):
            handle, temporary = tempfile.mkstemp(dir=destination, prefix=f".{target.name}.")
            with os.fdopen(handle, "wb") as out:
                out.write(source.read_bytes())
            os.chmod(temporary, 0o666 & ~umask())  # mkstemp's 600 would hide them from a shared setup
            os.replace(temporary, target)
            written.append(target)
    except OSError as exc:  # /proc/x, a read-only folder, a full disk
        raise UsageError(f"cannot write the templates into {destination}: {exc.strerror or exc}") from None
    return written


def folded_line(message: str | None) -> str:
    return " ".join(str(message or "").split())


