"""`digest feeds ...` and `digest templates ...`: the feed list and the
templates, as the library edits and lists them."""

from __future__ import annotations

from pathlib import Path

import click

from .base import Context, DigestGroup, StderrReporter, _for_terminal, _table, cli, command


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
    from ..output.templates import template_catalog

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
    from ..output.templates import export_templates

    for path in export_templates(directory, force=force):
        click.echo(str(path))


def _config_template_dir(obj: Context) -> Path | None:
    """The config's template_dir, when there is a config to read at all:
    listing templates must work before `digest init`."""
    from ..locations import default_config_path

    path = obj.config_flag or default_config_path()
    if not obj.config_flag and not Path(path).exists():
        return None
    return obj.load_config().template_dir


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
    columns = [("name", "NAME"), ("url", "URL"), ("tags", "TAGS"), ("weight", "WEIGHT"), ("status", "STATUS"),
               ("newest", "NEWEST ITEM"), ("last_success", "LAST FETCHED"), ("failures", "FAILS"),
               ("last_error", "LAST ERROR")]
    if width:
        # What says nothing for any feed (no tags, every weight 1, no
        # errors) gives its room to what does.
        quiet = {"tags": [], "weight": 1.0, "last_error": None, "failures": 0}
        columns = [(key, title) for key, title in columns
                   if key not in quiet or any(row[key] != quiet[key] for row in rows)]
    click.echo(_table(rows, columns, width=width, shrink=("last_error", "url", "name")))


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
    from ..feeds import add_feed

    added = add_feed(obj.config_path(), url, name=name, weight=weight, tags=tuple(tags), check=not no_check,
                     reporter=StderrReporter(obj))
    with obj.open() as digester:
        # A feed added again starts afresh: not retired, not moved, no failures.
        digester.store.reset_feed(added.feed.url)
    unread = " (not fetched: the next build reads it)" if no_check else ""
    if "://" not in url and added.feed.url.startswith(("https://", "http://")):
        unread += f" (no scheme given: taken as {added.feed.url.split('://')[0]})"
    click.echo(_for_terminal(f"Added {name or added.title or added.feed.url} ({added.feed.url}) to {added.path}{unread}."),
               err=True)


@command(feeds, name="remove")
@click.argument("url_or_name")
@click.pass_obj
def feeds_remove(obj: Context, url_or_name):
    """Remove a feed, by URL or by name.

    \b
    Example:
        digest feeds remove "Example News"
    """
    from ..feeds import remove_feed

    removed = remove_feed(obj.config_path(), url_or_name)
    click.echo(_for_terminal(f"Removed {removed.name or removed.url} ({removed.url}) from {obj.config_path()}."), err=True)


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
    from ..feeds import pause_feed

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
    from ..feeds import OPML_MAX_BYTES, import_opml

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


