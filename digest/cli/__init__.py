"""The command line: options -> the library's arguments (app.Digester);
DigestError -> one line and an exit code. The only package that imports
click; heavy modules are imported inside the commands that need them, so
`digest --help` is instant.

base.py is the frame (the group, its options, the reporter, errors);
commands.py the main commands (build, preview, explain, fetch, history,
check, init); feeds.py the feed list and the templates."""

from __future__ import annotations

from . import commands, feeds  # noqa: F401 - importing them adds their commands to the group
from .base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="digest")
