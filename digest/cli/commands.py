"""The main commands: build (and send), preview, explain, fetch, history,
check, init. Each maps its options to the library's arguments."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ..errors import DigestError, UsageError
from .base import (
    Context,
    _for_terminal,
    _now,
    _parse_option,
    _table,
    _digest_option,
    _window,
    _window_options,
    cli,
    command,
)


@command(cli)
@click.option("--format", "fmt", type=click.Choice(["email", "html", "text", "json", "mjml", "epub"]),
              default="email", show_default=True, help="What to print (epub: an e-book, written with -o).")
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
              help="Render the stories past build N sent again, with today's templates (see `digest history`); "
                   "marks nothing.")
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
@_digest_option
@click.pass_obj
def build(obj: Context, fmt, output, since, now_text, top, offline, mark_sent, template_dir,
          recipients, sender, subject, allow_empty, replay, command_line, maildir, mbox, to_stdout, digest_name):
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
        digest build --digest weekly          # the config's [digests.weekly]
        digest build --format epub -o brief.epub --no-mark-sent
    """
    from contextlib import nullcontext

    from ..delivery.destinations import Asked, choose_destination
    from ..delivery.streams import Stdout
    from ..values import command_words, mail_address

    if fmt == "epub" and output is None:
        raise UsageError("--format epub: an e-book is a file: name it with -o FILE (e.g. -o brief.epub)")
    top_config = obj.load_config()
    config = top_config.digest(digest_name)  # its [email], its way of sending; an unknown name fails here
    window = _window(now_text, since, top, offline)
    if command_line is not None:
        _parse_option("--pipe", command_words, command_line)
    if sender is not None:
        sender = _parse_option("--from", mail_address, sender)
    # As mail servers take them: an IDN domain in its ASCII form, a name quoted where it must be.
    recipients = tuple(_parse_option("--to", mail_address, recipient) for recipient in recipients)
    # A replay goes where it is told (stdout, -o, --pipe, ...), never where
    # the config sends mail on its own: looking at an old digest is not
    # sending it again.
    destination = choose_destination(
        config, fmt, Asked(output=output, pipe=command_line, maildir=maildir, mbox=mbox, stdout=to_stdout),
        sys.stdout.buffer, configured=not replay)
    if recipients or sender or subject:
        top_config = top_config.addressed(to=recipients, from_=sender, subject=subject)
        config = top_config.digest(digest_name)
    # Typed at a terminal, a build is someone looking: the readable digest,
    # nothing marked sent (raw MIME there, marked sent, was every newcomer's
    # first build, and those stories never reached the first real mail).
    at_terminal = (obj.stdout_is_tty and isinstance(destination, Stdout) and mark_sent is None and not replay)
    if at_terminal:
        mark_sent = False
        if click.get_current_context().get_parameter_source("fmt") == click.core.ParameterSource.DEFAULT:
            fmt = "text"
    marking = fmt == "email" if mark_sent is None else mark_sent
    with obj.open(top_config, template_dir) as digester:
        _refuse_output_over_our_files(output, digester)
        if fmt == "email":
            digester.require_recipients(config)
        destination.preflight()
        if obj.stderr_is_tty and obj.verbosity >= 0:
            destination.notify = digester.reporter.info
        if replay:
            edition = digester.replay(replay, format=fmt, digest=digest_name)
            notes = digester.send(edition, destination, format=fmt, mark=False, allow_empty=True)
        else:
            digester.require_feeds(offline)
            with digester.sending() if marking else nullcontext():
                # A build typed at a terminal is someone looking: a feed that
                # fails is said, not counted (cron's builds and scripts count).
                edition = digester.build(**window, format=fmt, looking=at_terminal, digest=digest_name)
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
            again = (f" --digest {shlex.quote(digest_name)}" if digest_name else "") + (
                f" --since {shlex.quote(since)}" if since is not None else "")
            digester.reporter.info(
                f"({len(edition.stories)} stories shown, nothing marked sent: stdout is a terminal. To send "
                f"them: `digest build{again} | sendmail -t`, or set [smtp] in the config; --mark-sent marks them "
                "anyway; `digest preview` shows the email in a browser.)")
        for note in notes:
            digester.reporter.warn(note)
        if obj.verbosity > 0 and not replay:
            digester.reporter.info(f"{len(edition.stories)} stories delivered to {destination.name}; "
                                   f"{len(edition.failures)} feeds failed.")


@command(cli)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_window_options
@_digest_option
@click.pass_obj
def explain(obj: Context, as_json, since, now_text, top, offline, digest_name):
    """Show why each story ranks where it does: every factor of its score.

    The same selection as `build` (window, unsent items, stories across
    feeds), including the stories muted or cut by max_per_feed and top.
    Never marks anything sent.

    \b
    Examples:
        digest explain
        digest explain --json --now 2025-01-02T20:00:00Z --offline
        digest explain --digest weekly
    """
    import json

    from ..stories.rank import explain_rows, explain_table

    window = _window(now_text, since, top, offline)
    with obj.open() as digester:
        selection = digester.explain(**window, digest=digest_name)
        window_text = digester.window_text(selection.since, window["now"], since is not None, digest=digest_name)
        digester.reporter.info(f"Window: {window_text}.")
    if as_json:
        click.echo(json.dumps({"since": selection.since.isoformat(), "generated_at": window["now"].isoformat(),
                               "stories": explain_rows(selection.ranked)}, ensure_ascii=False, indent=2))
    else:
        click.echo(explain_table(selection.ranked), nl=False)


@command(cli)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML here. Default: a new file in the temp folder.")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the file in the default browser; --no-open only prints its path.")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Your templates, looked up before the built-in ones.")
@_window_options
@_digest_option
@click.pass_obj
def preview(obj: Context, output, open_browser, template_dir, since, now_text, top, offline, digest_name):
    """Build the digest as HTML, without marking anything sent, and open it.

    Prints the path of the HTML file on stdout.

    \b
    Examples:
        digest preview
        digest preview --template-dir my-templates --no-open -o preview.html
    """
    import tempfile

    from ..delivery.streams import write_output

    window = _window(now_text, since, top, offline)
    with obj.open(template_dir=template_dir) as digester:
        edition = digester.build(**window, format="html", looking=True, digest=digest_name)
        if not edition.stories:
            digester.reporter.info(f"{digester.why_empty(edition, since is not None)}; the preview is empty.")
    data = edition.html.encode("utf-8")
    if output is None:
        # One preview file per config, written over each time: previews
        # used to pile up in the temporary folder, one per run.
        import hashlib

        key = hashlib.sha256(f"{Path(digester.config.path or 'digest').resolve()}"
                             f"{'#' + edition.name if edition.name else ''}".encode()).hexdigest()[:8]
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
        paused = sum(1 for feed in digester.config.feeds if feed.paused)
        feeds = len(digester.config.feeds) - paused
        refresh = digester.fetch(now=_now(now_text) if now_text is not None else None)
        digester.reporter.info(f"Fetched {feeds} feeds: {refresh.updated} updated ({refresh.new_items} new items), "
                               f"{refresh.unchanged} unchanged, {len(refresh.failures)} failed"
                               f"{f'; {paused} paused, not fetched' if paused else ''}.")
    if feeds and len(refresh.failures) == feeds:
        raise DigestError("every feed failed")


@command(cli)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many builds to show.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@_digest_option
@click.pass_obj
def history(obj: Context, limit, as_json, digest_name):
    """List the past builds that marked items sent, newest first.

    Each digest of the config has its own history (--digest NAME).

    \b
    Examples:
        digest history
        digest build --replay 3 --format html -o old.html
        digest history --digest weekly
    """
    with obj.open() as digester:
        rows = [
            {"build": b.id, "at": b.at.isoformat(timespec="seconds"), "items": b.item_count, "subject": b.subject}
            for b in digester.history(limit, digest=digest_name)
        ]
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif rows:
        click.echo(_table(rows, [("build", "BUILD"), ("at", "WHEN"), ("items", "ITEMS"), ("subject", "SUBJECT")]))
    else:
        click.echo("No digest has been sent yet.", err=True)


@command(cli)
@_digest_option
@click.pass_obj
def publish(obj: Context, digest_name):
    """Write the web edition ([web] dir) again from the history.

    A page per edition sent (the mail's design, every story shown), an
    index of the editions newest first, and each digest's Atom feed. A
    build that sends an edition adds its page on its own; publish rewrites
    them all (after a template change, or into a new folder).

    \b
    Examples:
        digest publish
        digest publish --digest weekly
    """
    with obj.open() as digester:
        published = digester.publish(digest=digest_name)
    if obj.verbosity >= 0:
        click.echo(f"Wrote {published.pages} {'page' if published.pages == 1 else 'pages'}, "
                   f"{len(published.feeds)} Atom {'feed' if len(published.feeds) == 1 else 'feeds'} and the index "
                   f"under {published.folder}.", err=True)


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
    from ..feeds import write_starter_config

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


