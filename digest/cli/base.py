"""The command line's frame: the `digest` group and its shared options, the
Context of one run, the stderr reporter, and DigestError -> one line and
an exit code."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from .. import __version__
from ..errors import DigestError, UsageError

EXIT_OK, EXIT_FAILED = 0, 1  # and 2 for usage and config (each DigestError knows its code)
PROGRESS_AFTER = 0.5  # seconds of fetching before a progress bar appears


@dataclass
class Context:
    config_flag: Path | None
    state_flag: Path | None
    verbosity: int
    traceback: bool
    stderr_is_tty: bool
    stdout_is_tty: bool = False

    def config_path(self) -> Path:
        from ..locations import default_config_path

        return self.config_flag or default_config_path()

    def load_config(self):
        from ..config import load_config

        return load_config(self.config_path())

    def open(self, config=None, template_dir: Path | None = None):
        """The library's Digester for this config and state, speaking on stderr."""
        from ..app import open_digester

        return open_digester(config or self.config_path(), state=self.state_flag, reporter=StderrReporter(self),
                             template_dir=template_dir)


class StderrReporter:
    """Warnings and progress on stderr; a progress bar only on a terminal."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._bar = None
        self._shown = 0
        self._started: float | None = None  # when the fetch began (its first progress report)

    def warn(self, message: str) -> None:
        if self.ctx.verbosity >= 0:
            self._clear_bar()
            click.echo(f"warning: {_for_terminal(message)}", err=True)

    def info(self, message: str) -> None:
        if self.ctx.verbosity >= 0:
            click.echo(_for_terminal(message), err=True)

    def detail(self, message: str) -> None:
        if self.ctx.verbosity > 0:
            self._clear_bar()
            click.echo(f"warning: {_for_terminal(message)}", err=True)

    def progress(self, done: int, total: int) -> None:
        """A bar once fetching has taken longer than a moment; a quick run
        shows none (it would only flicker)."""
        if self._started is None:
            # From the fetch's start, not the process's: a slow start (imports
            # on a busy machine) made a bar flash over a quick fetch.
            self._started = time.monotonic()
        if self.ctx.verbosity < 0 or not self.ctx.stderr_is_tty or total < 2:
            return
        if done >= total:
            if self._bar is not None:
                self._bar.update(total - self._shown)  # it ends at 100%, not where the last batch left it
            self._clear_bar()
            return
        if self._bar is None:
            if time.monotonic() - self._started < PROGRESS_AFTER:
                return
            self._bar = click.progressbar(length=total, label="Fetching feeds", file=sys.stderr)
            self._bar.__enter__()
            self._shown = 0
        self._bar.update(done - self._shown)
        self._shown = done

    def _clear_bar(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


class DigestGroup(click.Group):
    """Turns DigestError into one `Error: ...` line and its exit code, and
    so click's own usage errors too (a bad option value was a usage
    block of four lines)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            _require_text(sys.argv[1:] if args is None else args)
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            click.echo(f"Error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(code if isinstance(code, int) else EXIT_OK)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            if _wants_traceback(ctx):
                raise
            # exit code 0 marks a note, not a failure (another build is sending).
            click.echo(f"{'Error: ' if exc.exit_code else ''}{_for_terminal(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: still one line, unless asked for more
            if _wants_traceback(ctx):
                raise
            click.echo(f"Error: internal error: {type(exc).__name__}: {exc} (run with --traceback for details)", err=True)
            ctx.exit(EXIT_FAILED)


def _require_text(args) -> None:
    """Arguments are text: bytes the locale cannot decode reach Python as
    lone surrogates, which would end as an internal error (or a subject in
    `unknown-8bit`) wherever they are written."""
    for number, arg in enumerate(args, 1):
        if isinstance(arg, str) and any("\udc80" <= c <= "\udcff" for c in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise click.UsageError(f"argument {number} is not UTF-8 text: '{_for_terminal(shown)}'")


# C0 and C1 control characters but tab and newline: a feed's title or an
# error that quotes a server could otherwise retitle the terminal, clear
# it or plant a link (ESC and OSC sequences) when the message is printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _for_terminal(message: str) -> str:
    """A message as it may reach a terminal: control characters written
    out (\\x1b), never acted on."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", message)


def _wants_traceback(ctx: click.Context) -> bool:
    return bool(ctx.obj and ctx.obj.traceback)


def _location_options(func):
    """--config and --state, accepted before the command and after it."""
    func = click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="SQLite state file. Default: $DIGEST_STATE, config `state`, "
                             "then the platform data dir.")(func)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Config file. Default: $DIGEST_CONFIG, ./digest.toml, "
                             "then the platform config dir.")(func)


def _verbosity_options(func):
    """-v and -q after a command's name as well as before it."""
    func = click.option("-v", "--verbose", "verbose_after", count=True, help="Say more on stderr.")(func)
    return click.option("-q", "--quiet", "quiet_after", is_flag=True, help="Only errors on stderr.")(func)


def _window_options(func):
    """--since, --now, --top, --offline: the same selection for build,
    preview and explain."""
    for decorator in reversed([
        click.option("--since", help="Window start: a duration back from now (24h, 3d) or a date (2026-11-24). "
                                     "Default: the last build that marked items sent, else the config's `since`."),
        click.option("--now", "now_text", metavar="ISO-8601", help="Pin the current time (reproducible output)."),
        click.option("--top", type=click.IntRange(min=1), help="At most N stories."),
        click.option("--offline", is_flag=True, help="Use the store alone; no network."),
    ]):
        func = decorator(func)
    return func


def _digest_option(func):
    """--digest NAME: a digest of [digests.NAME] rather than the top-level one."""
    return click.option("--digest", "digest_name", metavar="NAME",
                        help="The digest of the config's [digests.NAME] table (default: the top-level digest).")(func)


def _window(now_text: str | None, since: str | None, top: int | None, offline: bool) -> dict:
    """The window options as Digester.build/explain arguments."""
    from ..values import parse_since

    now = _now(now_text)
    return dict(now=now, top=top, offline=offline,
                since=_parse_option("--since", lambda text: parse_since(text, now), since) if since is not None else None)


def _now(now_text: str | None):
    from ..app import utc_now
    from ..values import parse_instant

    # `is not None`: an empty --now "" is a mistake to name, not "no option".
    return _parse_option("--now", parse_instant, now_text) if now_text is not None else utc_now()


def command(group: click.Group, **attrs):
    """A subcommand that also takes --config/--state and -v/-q after its
    name (`digest fetch -q` in a crontab works as `digest -q fetch` does)."""

    def decorate(func):
        def callback(*args, config_path=None, state_path=None, verbose_after=0, quiet_after=False, **kwargs):
            obj = click.get_current_context().find_object(Context)
            if config_path:
                obj.config_flag = config_path
            if state_path:
                obj.state_flag = state_path
            if quiet_after:
                obj.verbosity = -1
            elif verbose_after:
                obj.verbosity = max(obj.verbosity, verbose_after)
            return func(*args, **kwargs)

        callback.__name__ = func.__name__
        callback.__doc__ = func.__doc__
        callback.__click_params__ = getattr(func, "__click_params__", [])
        return group.command(**attrs)(_location_options(_verbosity_options(callback)))

    return decorate


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@_location_options
@click.option("-v", "--verbose", count=True, help="Say more on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--traceback", is_flag=True, help="Show the full traceback of an error (for bug reports).")
@click.version_option(__version__, "--version", prog_name="digest")
@click.pass_context
def cli(ctx, config_path, state_path, verbose, quiet, traceback):
    """Turn the feeds you follow into one good email a day.

    \b
    Example (from cron):
        digest build | sendmail -t
    """
    ctx.obj = Context(
        config_flag=config_path,
        state_flag=state_path,
        verbosity=-1 if quiet else verbose,
        traceback=traceback,
        stderr_is_tty=sys.stderr.isatty(),
        stdout_is_tty=sys.stdout.isatty(),
    )


def _table(rows: list[dict], columns: list[tuple[str, str]], width: int | None = None,
           shrink: tuple[str, ...] = ()) -> str:
    import re

    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, list):
            return ",".join(value) or "-"
        if isinstance(value, float):
            return f"{value:g}"
        text = str(value)
        # An ISO time as a person reads it in a table: to the minute, UTC.
        return re.sub(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d\+00:00$", r"\1 \2", text)

    cells = [[cell(row[key]) for key, _ in columns] for row in rows]
    widths = [max(len(title), *(len(line[i]) for line in cells)) for i, (_, title) in enumerate(columns)]
    keys = [key for key, _ in columns]
    for key in shrink:  # the first named gives up room first, down to 12 columns
        over = sum(widths) + 2 * (len(widths) - 1) - width if width else 0
        if over > 0 and key in keys:
            i = keys.index(key)
            widths[i] = max(12, widths[i] - over)
    def cut(value: str, w: int, key: str) -> str:
        if len(value) <= w:
            return value
        if key == "url":  # a URL's tail tells feeds of one host apart: keep it
            head = max(1, (w - 1) // 3)
            return value[:head] + "…" + value[len(value) - (w - 1 - head):]
        return value[:w - 1] + "…"

    cells = [[cut(value, w, key) for value, w, key in zip(line, widths, keys)] for line in cells]
    lines = ["  ".join(title.ljust(w) for (_, title), w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(value.ljust(w) for value, w in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines)


def _parse_option(name: str, parse, text: str):
    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


