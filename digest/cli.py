"""The command line: options -> the library's arguments (app.Digester);
DigestError -> one line and an exit code. Only this module imports click.

Thin on purpose. Heavy modules (httpx, feedparser, jinja2, mjml) are
imported inside the commands that need them, so `digest --help` is instant.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__
from .errors import DigestError, UsageError

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
        from .locations import default_config_path

        return self.config_flag or default_config_path()

    def load_config(self):
        from .config import load_config

        return load_config(self.config_path())

    def open(self, config=None, template_dir: Path | None = None):
        """The library's Digester for this config and state, speaking on stderr."""
        from .app import open_digester

        return open_digester(config or self.config_path(), state=self.state_flag, reporter=StderrReporter(self),
                             template_dir=template_dir)


class StderrReporter:
    """Warnings and progress on stderr; a progress bar only on a terminal."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._bar = None
        self._shown = 0
        self._started = time.monotonic()

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


def _window(now_text: str | None, since: str | None, top: int | None, offline: bool) -> dict:
    """The window options as Digester.build/explain arguments."""
    from .values import parse_since

    now = _now(now_text)
    return dict(now=now, top=top, offline=offline,
                since=_parse_option("--since", lambda text: parse_since(text, now), since) if since is not None else None)


def _now(now_text: str | None):
    from .app import utc_now
    from .values import parse_instant

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


@command(cli)
@click.option("--format", "fmt", type=click.Choice(["email", "html", "text", "json", "mjml"]), default="email",
              show_default=True, help="What to print.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of stdout.")
@_window_options
@click.option("--mark-sent/--no-mark-sent", default=None,
              help="Record the stories as sent. Default: yes for --format email, no for the others.")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Your templates, looked up before the built-in ones.")
@click.option("--to", "recipients", multiple=True, help="Recipient (repeatable); overrides [email] to.")
@click.option("--from", "sender", help="From address; overrides [email] from.")
@click.option("--subject", help="Subject template; overrides [email] subject.")
@click.option("--allow-empty", is_flag=True, help="Write a digest even when there is nothing new.")
@click.option("--replay", type=click.IntRange(min=1), metavar="N",
              help="Render past build N again, exactly as sent (see `digest history`); marks nothing.")
@click.option("--pipe", "command_line", metavar="COMMAND",
              help="Run COMMAND (e.g. \"sendmail -t\") and feed it the digest; stories are marked sent "
                   "only if it exits 0. Overrides the config's way of sending.")
@click.option("--maildir", type=click.Path(path_type=Path), metavar="DIR",
              help="Deliver the email into the Maildir DIR. Overrides the config's way of sending.")
@click.option("--mbox", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append the email to the mbox FILE (locked). Overrides the config's way of sending.")
@click.option("--stdout", "to_stdout", is_flag=True,
              help="Print the digest even when the config says how to send it ([smtp], [email] command, "
                   "maildir or mbox).")
@click.pass_obj
def build(obj: Context, fmt, output, since, now_text, top, offline, mark_sent, template_dir,
          recipients, sender, subject, allow_empty, replay, command_line, maildir, mbox, to_stdout):
    """Build the digest and send it: by SMTP, to a mail command, into a
    Maildir or mbox when the config says so; else print it (an email
    ready for `sendmail -t`).

    Stories are marked sent only after the digest was delivered in full
    (written and flushed, accepted by the --pipe command or the SMTP
    server); one build sends at a time, and a build that dies half-way is
    settled by the next.

    \b
    Examples:
        digest build                          # [smtp] in the config: mails it
        digest build | sendmail -t
        digest build --pipe "sendmail -t"
        digest build --maildir ~/Mail/digest
        digest build --format html -o today.html --no-mark-sent
        digest build --config examples/digest.toml --now 2025-01-02T20:00:00Z
        digest build --replay 12 --format html -o sent-on-monday.html
    """
    from contextlib import nullcontext

    from .delivery.destinations import Asked, choose_destination
    from .delivery.streams import Stdout
    from .values import command_words, mail_address

    config = obj.load_config()
    window = _window(now_text, since, top, offline)
    if command_line is not None:
        _parse_option("--pipe", command_words, command_line)
    if sender is not None:
        _parse_option("--from", mail_address, sender)
    for recipient in recipients:
        _parse_option("--to", mail_address, recipient)
    # A replay goes where it is told (stdout, -o, --pipe, ...), never where
    # the config sends mail on its own: looking at an old digest is not
    # sending it again.
    destination = choose_destination(
        config, fmt, Asked(output=output, pipe=command_line, maildir=maildir, mbox=mbox, stdout=to_stdout),
        sys.stdout.buffer, configured=not replay)
    if recipients or sender or subject:
        config = config.addressed(to=recipients, from_=sender, subject=subject)
    # Typed at a terminal, a build is someone looking: the readable digest,
    # nothing marked sent (raw MIME there, marked sent, was every newcomer's
    # first build, and those stories never reached the first real mail).
    at_terminal = (obj.stdout_is_tty and isinstance(destination, Stdout) and mark_sent is None and not replay)
    if at_terminal:
        mark_sent = False
        if click.get_current_context().get_parameter_source("fmt") == click.core.ParameterSource.DEFAULT:
            fmt = "text"
    marking = fmt == "email" if mark_sent is None else mark_sent
    with obj.open(config, template_dir) as digester:
        _refuse_output_over_our_files(output, digester)
        if fmt == "email":
            digester.require_recipients()
        destination.preflight()
        if obj.stderr_is_tty and obj.verbosity >= 0:
            destination.notify = digester.reporter.info
        if replay:
            edition = digester.replay(replay, format=fmt)
            notes = digester.send(edition, destination, format=fmt, mark=False, allow_empty=True)
        else:
            digester.require_feeds(offline)
            with digester.sending() if marking else nullcontext():
                edition = digester.build(**window, format=fmt)
                if not edition.stories and not allow_empty:
                    digester.reporter.info(f"{digester.why_empty(edition, since is not None)}; nothing written "
                                           "(use --allow-empty to write one anyway).")
                    return
                notes = digester.send(edition, destination, format=fmt, mark=marking, allow_empty=allow_empty)
        if obj.stderr_is_tty and obj.verbosity >= 0 and marking and edition.stories \
                and not isinstance(destination, Stdout):
            # At a terminal, where the digest went (under cron, success is silent).
            to = ", ".join(config.email.recipients) if destination.needs_message or fmt == "email" else ""
            digester.reporter.info(f"Sent {len(edition.stories)} {'story' if len(edition.stories) == 1 else 'stories'}"
                                   f"{' to ' + to if to else ''} through {destination.name}.")
        if at_terminal and edition.stories:
            digester.reporter.info(
                f"({len(edition.stories)} stories shown, nothing marked sent: stdout is a terminal. To send "
                "them: `digest build | sendmail -t`, or set [smtp] in the config; --mark-sent marks them "
                "anyway; `digest preview` shows the email in a browser.)")
        for note in notes:
            digester.reporter.warn(note)
        if obj.verbosity > 0 and not replay:
            digester.reporter.info(f"{len(edition.stories)} stories delivered to {destination.name}; "
                                   f"{len(edition.failures)} feeds failed.")


@command(cli)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_window_options
@click.pass_obj
def explain(obj: Context, as_json, since, now_text, top, offline):
    """Show why each story ranks where it does: every factor of its score.

    The same selection as `build` (window, unsent items, stories across
    feeds), including the stories muted or cut by max_per_feed and top.
    Never marks anything sent.

    \b
    Examples:
        digest explain
        digest explain --json --now 2025-01-02T20:00:00Z --offline
    """
    import json

    from .stories.rank import explain_rows, explain_table

    window = _window(now_text, since, top, offline)
    with obj.open() as digester:
        selection = digester.explain(**window)
        digester.reporter.info(f"Window: {digester.window_text(selection.since, window['now'], since is not None)}.")
    if as_json:
        click.echo(json.dumps({"since": selection.since.isoformat(), "generated_at": window["now"].isoformat(),
                               "stories": explain_rows(selection.ranked)}, ensure_ascii=False, indent=2))
    else:
        click.echo(explain_table(selection.ranked), nl=False)


@cli.group(cls=DigestGroup)
def templates():
    """See and copy the templates the email is rendered from.

    \b
    Examples:
        digest templates list
        digest templates export my-templates
    """


@command(templates, name="list")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Your templates, looked up before the config's template_dir and the built-ins.")
@click.pass_obj
def templates_list(obj: Context, template_dir):
    """List the templates: name, what it renders, and which file is used.

    \b
    Example:
        digest templates list --template-dir my-templates
    """
    from .output.templates import template_catalog

    for info in template_catalog([template_dir, _config_template_dir(obj)]):
        status, where = ("overridden", f" ({info.path})") if info.overridden else ("built-in", "")
        click.echo(f"{info.name:<12}  {status:<10}  {info.description}{where}")


@command(templates, name="export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DIRECTORY.")
def templates_export(directory, force):
    """Copy the built-in templates into DIRECTORY to start your own.

    Refuses to overwrite an existing file unless --force.

    \b
    Example:
        digest templates export my-templates
        digest build --template-dir my-templates
    """
    from .output.templates import export_templates

    for path in export_templates(directory, force=force):
        click.echo(str(path))


def _config_template_dir(obj: Context) -> Path | None:
    """The config's template_dir, when there is a config to read at all:
    listing templates must work before `digest init`."""
    from .locations import default_config_path

    path = obj.config_flag or default_config_path()
    if not obj.config_flag and not Path(path).exists():
        return None
    return obj.load_config().template_dir


@command(cli)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML here. Default: a new file in the temp folder.")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the file in the default browser; --no-open only prints its path.")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Your templates, looked up before the built-in ones.")
@_window_options
@click.pass_obj
def preview(obj: Context, output, open_browser, template_dir, since, now_text, top, offline):
    """Build the digest as HTML, without marking anything sent, and open it.

    Prints the path of the HTML file on stdout.

    \b
    Examples:
        digest preview
        digest preview --template-dir my-templates --no-open -o preview.html
    """
    import tempfile

    from .delivery.streams import write_output

    window = _window(now_text, since, top, offline)
    with obj.open(template_dir=template_dir) as digester:
        edition = digester.build(**window, format="html", looking=True)
        if not edition.stories:
            digester.reporter.info(f"{digester.why_empty(edition, since is not None)}; the preview is empty.")
    data = edition.html.encode("utf-8")
    if output is None:
        # One preview file per config, written over each time: previews
        # used to pile up in the temporary folder, one per run.
        import hashlib

        key = hashlib.sha256(str(Path(digester.config.path or "digest").resolve()).encode()).hexdigest()[:8]
        output = Path(tempfile.gettempdir()) / f"digest-preview-{key}.html"
    write_output(data, output, sys.stdout.buffer)
    click.echo(str(output.resolve()))
    if open_browser:
        _open_in_browser(output.resolve())


def _open_in_browser(path: Path) -> None:
    """Open the file in the desktop's browser, quietly: xdg-open on a
    machine with no browser printed its errors after digest had exited."""
    import shutil
    import subprocess

    opener = shutil.which("xdg-open") if sys.platform.startswith("linux") else None
    if opener is None:
        click.launch(str(path))
        return
    try:
        subprocess.Popen([opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        click.echo(f"could not open a browser ({exc.strerror}); open {path} yourself", err=True)


@command(cli, name="fetch")
@click.option("--now", "now_text", metavar="ISO-8601", help="Pin the current time (reproducible state).")
@click.pass_obj
def fetch(obj: Context, now_text):
    """Fetch every feed and store what changed; print nothing, render nothing.

    Unchanged feeds cost one conditional request each (304). Use it to fetch
    often and build once a day from what the store has gathered.

    \b
    Example (crontab: fetch hourly, build daily):
        0 * * * *  digest fetch -q
        0 7 * * *  digest build | sendmail -t
    """
    with obj.open() as digester:
        feeds = len(digester.config.feeds)
        refresh = digester.fetch(now=_now(now_text) if now_text is not None else None)
        digester.reporter.info(f"Fetched {feeds} feeds: {refresh.updated} updated ({refresh.new_items} new items), "
                               f"{refresh.unchanged} unchanged, {len(refresh.failures)} failed.")
    if len(refresh.failures) == feeds:
        raise DigestError("every feed failed")


@command(cli)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many builds to show.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@click.pass_obj
def history(obj: Context, limit, as_json):
    """List the past builds that marked items sent, newest first.

    \b
    Examples:
        digest history
        digest build --replay 3 --format html -o old.html
    """
    with obj.open() as digester:
        rows = [
            {"build": b.id, "at": b.at.isoformat(timespec="seconds"), "items": b.item_count, "subject": b.subject}
            for b in digester.history(limit)
        ]
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif rows:
        click.echo(_table(rows, [("build", "BUILD"), ("at", "WHEN"), ("items", "ITEMS"), ("subject", "SUBJECT")]))
    else:
        click.echo("No digest has been sent yet.", err=True)


@command(cli)
@click.option("--send-test", is_flag=True, help="Also mail a short test message to the recipients.")
@click.option("--now", "now_text", metavar="ISO-8601", help="Pin the test message's date.")
@click.pass_obj
def check(obj: Context, send_test, now_text):
    """Check the config and where the mail goes, without building anything.

    Says how many feeds there are, who the digest goes to and how it
    leaves; with [smtp], connects, starts TLS and logs in, sending nothing
    (--send-test mails a short test message). One line per problem on
    stderr: exit 2 for the config, 1 when the server (or mailbox) refuses.

    \b
    Examples:
        digest check
        digest check --send-test
    """
    digester = obj.open()
    report = digester.check(now=_now(now_text), send_test=send_test)
    click.echo(f"config: {digester.config.path}")
    click.echo(f"state: {digester.state_path}")
    for line in report.lines:
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"warning: {_for_terminal(warning)}", err=True)
    for problem in report.problems:
        click.echo(f"Error: {_for_terminal(str(problem))}", err=True)
    if report.problems:
        click.get_current_context().exit(max(problem.exit_code for problem in report.problems))


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def init(obj: Context, directory):
    """Write a commented digest.toml to start from (and nothing else).

    Writes DIRECTORY/digest.toml, else the --config path, else ./digest.toml.
    Never overwrites an existing file.

    \b
    Example:
        digest init ~/.config/digest
    """
    from .feeds import write_starter_config

    path = directory / "digest.toml" if directory else (obj.config_flag or Path("digest.toml"))
    write_starter_config(path)
    here = "" if path == Path("digest.toml") else f" --config {path}"
    # cron starts in $HOME, so its line always names the config absolutely.
    anywhere = f" --config {shlex.quote(str(path.resolve()))}"
    # cron's PATH is /usr/bin:/bin: its line names the command by its full path.
    cron = f"{_installed_command()}{anywhere}"
    click.echo(f"Wrote {path}. Next steps:\n"
               f"  1. Set [email] to (and from) in {path}.\n"
               f"  2. Add feeds:    digest{here} feeds add https://example.org/  "
               f"(or: feeds import subscriptions.opml)\n"
               f"  3. Look at it:   digest{here} preview\n"
               f"  4. Every morning, from cron (crontab -e):\n"
               f"     0 7 * * * {cron} build | /usr/sbin/sendmail -t\n"
               f"     (no local mail server? set [smtp] in {path}, check it with `digest{here} check`,\n"
               f"     and the cron line is just: {cron} build)")


def _refuse_output_over_our_files(output: Path | None, digester) -> None:
    """-o naming the config or the state file (or its -wal/-shm) would write
    the digest over what digest runs on, and say exit 0."""
    if output is None:
        return
    target = Path(output).expanduser().resolve()
    ours = {"the config": digester.config.path, "the state file": digester.state_path}
    for what, path in ours.items():
        if path is None:
            continue
        path = Path(path).expanduser().resolve()
        if target in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            raise UsageError(f"-o {output}: that is {what}; not writing the digest over it")


def _installed_command() -> str:
    """This digest as a command that works with any PATH (cron's is
    /usr/bin:/bin): the installed script's full path, else this Python
    running the package."""
    import shutil

    beside = Path(sys.executable).parent / "digest"
    for candidate in (shutil.which(sys.argv[0]) if Path(sys.argv[0]).name == "digest" else None,
                      str(beside) if beside.is_file() else None, shutil.which("digest")):
        if candidate:
            return shlex.quote(str(Path(candidate).absolute()))
    return f"{shlex.quote(sys.executable)} -m digest"


@cli.group()
def feeds():
    """List, add, remove, import and export the feeds you follow.

    \b
    Examples:
        digest feeds add https://example.org/ --tag news
        digest feeds import subscriptions.opml
        digest feeds export > subscriptions.opml
    """


@command(feeds, name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@click.pass_obj
def feeds_list(obj: Context, as_json):
    """Show each feed with its tags, weight and health.

    Health comes from the store: the last successful fetch, failures in a
    row, and the last error.

    \b
    Example:
        digest feeds list --json
    """
    with obj.open() as digester:
        rows = digester.feeds()
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No feeds yet; add one with `digest feeds add URL`.", err=True)
        return
    import shutil

    # At a terminal the table fits its width (the URL and the error are cut
    # with "…"; --json has them whole); piped, nothing is cut.
    width = shutil.get_terminal_size().columns if obj.stdout_is_tty else None
    click.echo(_table(rows, [("name", "NAME"), ("url", "URL"), ("tags", "TAGS"), ("weight", "WEIGHT"),
                             ("status", "STATUS"), ("newest", "NEWEST ITEM"), ("last_success", "LAST FETCHED"),
                             ("failures", "FAILS"), ("last_error", "LAST ERROR")],
                      width=width, shrink=("last_error", "url", "name")))


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
    cells = [[value if len(value) <= w else value[:w - 1] + "…" for value, w in zip(line, widths)] for line in cells]
    lines = ["  ".join(title.ljust(w) for (_, title), w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(value.ljust(w) for value, w in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines)


@command(feeds, name="add")
@click.argument("url")
@click.option("--name", help="Display name; default: the feed's own title.")
@click.option("--weight", type=click.FloatRange(min=0, min_open=True, max=1e6), default=1.0, show_default=True,
              callback=lambda ctx, param, value: _finite("--weight", value),
              help="Ranking multiplier.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--no-check", is_flag=True,
              help="Add URL as given, without fetching it (offline, or a site that is down right now).")
@click.pass_obj
def feeds_add(obj: Context, url, name, weight, tags, no_check):
    """Add a feed, or the feed a website points to.

    URL may be a feed, a website (its advertised feed, or /feed, /rss.xml,
    /atom.xml, /index.xml is used), or a local file. It is fetched first to
    find the feed and its title; with --no-check it is added as given (an
    http(s) URL or an existing file) and first read by the next build.

    \b
    Examples:
        digest feeds add https://example.org/ --tag news
        digest feeds add https://example.org/rss.xml --name "Example" --weight 1.5
        digest feeds add --no-check https://example.org/rss.xml
    """
    from .feeds import add_feed

    added = add_feed(obj.config_path(), url, name=name, weight=weight, tags=tuple(tags), check=not no_check,
                     reporter=StderrReporter(obj))
    with obj.open(obj.load_config()) as digester:
        # A feed added again starts afresh: not retired, not moved, no failures.
        digester.store.reset_feed(added.feed.url)
    unread = " (not fetched: the next build reads it)" if no_check else ""
    click.echo(f"Added {name or added.title or added.feed.url} ({added.feed.url}) to {added.path}{unread}.", err=True)


@command(feeds, name="remove")
@click.argument("url_or_name")
@click.pass_obj
def feeds_remove(obj: Context, url_or_name):
    """Remove a feed, by URL or by name.

    \b
    Example:
        digest feeds remove "Example News"
    """
    from .feeds import remove_feed

    removed = remove_feed(obj.config_path(), url_or_name)
    click.echo(f"Removed {removed.name or removed.url} ({removed.url}) from {obj.config_path()}.", err=True)


@command(feeds, name="pause")
@click.argument("url_or_name")
@click.pass_obj
def feeds_pause(obj: Context, url_or_name):
    """Stop fetching a feed, keeping it (and its history) in the config.

    A paused feed is not fetched and never counts as failing; `feeds
    list` shows it as paused. `feeds resume` takes it up again.

    \b
    Example:
        digest feeds pause "Example News"
    """
    _set_paused(obj, url_or_name, True)


@command(feeds, name="resume")
@click.argument("url_or_name")
@click.pass_obj
def feeds_resume(obj: Context, url_or_name):
    """Fetch a paused feed again.

    \b
    Example:
        digest feeds resume "Example News"
    """
    _set_paused(obj, url_or_name, False)


def _set_paused(obj: Context, url_or_name: str, paused: bool) -> None:
    from .feeds import pause_feed

    feed = pause_feed(obj.config_path(), url_or_name, paused)
    done = "Paused" if paused else "Resumed"
    click.echo(f"{done} {feed.name or feed.url} ({feed.url}) in {obj.config_path()}.", err=True)


@command(feeds, name="import")
@click.argument("opml", type=click.File("rb"))
@click.pass_obj
def feeds_import(obj: Context, opml):
    """Add the feeds of an OPML file (`-` reads stdin); folders become tags.

    \b
    Examples:
        digest feeds import subscriptions.opml
        digest feeds export | digest --config other.toml feeds import -
    """
    from .feeds import OPML_MAX_BYTES, import_opml

    source = getattr(opml, "name", "-")
    data = opml.read(OPML_MAX_BYTES + 1)  # `feeds import /dev/zero` would fill memory
    summary = import_opml(obj.config_path(), data, source)
    skipped = f", {summary.skipped} without a usable URL skipped" if summary.skipped else ""
    click.echo(f"Imported {len(summary.added)} feeds into {obj.config_path()} "
               f"({summary.duplicates} already present{skipped}).", err=True)


@command(feeds, name="export")
@click.pass_obj
def feeds_export(obj: Context):
    """Print the feed list as OPML 2.0, for another reader (or a backup).

    \b
    Example:
        digest feeds export > subscriptions.opml
    """
    with obj.open() as digester:
        click.echo(digester.export_opml(), nl=False)


def _finite(name: str, value: float) -> float:
    """A number click's ranges let through although it is none: NaN compares false with every bound."""
    if value != value:
        raise click.BadParameter(f"{value} is not a number", param_hint=f"'{name}'")
    return value


def _parse_option(name: str, parse, text: str):
    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def main() -> None:
    cli(prog_name="digest")
