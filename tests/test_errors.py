"""One line per problem, naming what was wrong; a traceback only on request."""

from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import EXAMPLE_NOW, write_config


@pytest.mark.parametrize("body, message", [
    ("title = \n", "invalid TOML"),
    ('titel = "x"\n', "titel: unknown key (did you mean 'title'?)"),
    ('top = "ten"\n', "top: must be an integer, not 'ten'"),
    ('since = "yesterday"\n', "since: not a duration (24h, 3d) or a date (2026-11-24): 'yesterday'"),
    ('[[feeds]]\nurl = "gopher://old.example/feed"\n', "feeds[0].url: unsupported URL scheme 'gopher'"),
    ('[rank]\nhalf_life = "12"\n', "rank.half_life: not a duration"),
    ('[email]\nto = "me@example.org"\nfrom = 5\n', "email.from: must be a string, not 5"),
    ('[fetch]\ntimeout = "soon"\n', "fetch.timeout: not a duration: 'soon'"),
    ('[fetch]\nconcurency = 4\n', "fetch.concurency: unknown key (did you mean 'concurrency'?)"),
    ('[rank]\nboost = { "war" = -1 }\n', 'rank.boost.war: must be a positive number, not -1'),
    ('[[feeds]]\nurl = "https://"\n', "feeds[0].url: 'https://' has no host"),
    ('[[feeds]]\nname = "No URL"\n', "feeds[0].url: is missing"),
    ('[[feeds]]\nurl = "https://a.example/rss"\n[[feeds]]\nurl = "https://a.example/rss"\n',
     "feeds[1].url: https://a.example/rss is listed twice"),
    ('timezone = "Mars/Olympus"\n', "timezone: unknown time zone 'Mars/Olympus'"),
    ('lock_wait = 5\n', "lock_wait: must be a string, not 5"),
    ('[email]\ncommand = "sendmail \'-t"\n', "email.command: cannot split"),
    ('[authors."Ann"]\nrole = "Editor"\navatr = "x"\n', 'authors."Ann".avatr: unknown key (did you mean \'avatar\'?)'),
    ('title = "x"\ntitle = "y"\n', "invalid TOML"),
])
@pytest.mark.parametrize("config_first", [True, False], ids=["digest --config X build", "digest build --config X"])
def test_config_errors_name_file_key_and_problem(invoke, tmp_path, body, message, config_first):
    config = write_config(tmp_path, body)
    args = ["--config", str(config), "build"] if config_first else ["build", "--config", str(config)]
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {config}: "), result.stderr
    assert message in lines[0]


def test_a_corrupt_state_file_is_named_and_kept(invoke, example_config, tmp_path):
    state = tmp_path / "broken.db"
    state.write_bytes(b"\x00garbage" * 512)
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, state=state)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"Error: {state}: not a usable digest state file")
    assert "move it aside to start fresh" in line and "\n" not in line
    assert state.read_bytes().startswith(b"\x00garbage")


def test_a_state_file_from_a_newer_digest_is_refused(invoke, example_config, tmp_path):
    state = tmp_path / "future.db"
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA user_version = 999")
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, state=state)
    assert result.exit_code == 1
    assert "written by a newer digest (schema 999" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_traceback_only_when_asked(runner, tmp_path):
    from digest.cli import cli

    config = write_config(tmp_path, "top = 0\n")
    quiet = runner.invoke(cli, ["--config", str(config), "build"])
    assert "Traceback" not in quiet.stderr and quiet.exit_code == 2
    loud = runner.invoke(cli, ["--traceback", "--config", str(config), "build"])
    assert loud.exception is not None and type(loud.exception).__name__ == "ConfigError"


# ------------------------------------------------------------ one line, exit 2 (they were "internal error")

FEED_CONFIG = '[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "{feed}"\n'


def _feed(tmp_path):
    from conftest import rss, rss_item

    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("A story", "https://e.example/1")))
    return feed


@pytest.mark.parametrize("extra, args, message", [
    ('[[feeds]]\nurl = "http://[::1"\n', [], "feeds[1].url: 'http://[::1' is not a valid URL (Invalid IPv6 URL)"),
    ('since = "999999d"\n', [], "since: duration too long: '999999d' (at most 365000d)"),
    ('lock_wait = "36501d"\n', [], "lock_wait: duration too long: '36501d' (at most 36500d)"),
    ('[fetch]\ntimeout = "99999999999d"\n', [], "fetch.timeout: duration too long"),
    ('[rank]\nhalf_life = "999999d"\n', [], "rank.half_life: duration too long"),
    ('[email]\nfrom = "a@example.org\\nBcc: x@example.org"\n', [], "email.from: must be one line"),
    ("", ["--now", "0001-01-01"], "--now: '0001-01-01' is before 1900"),
    ("", ["--since", "0001-01-01"], "--since: '0001-01-01' is before 1900"),
    ("", ["--since", "99999999999d"], "--since: duration too long"),
    ("", ["--now", ""], "--now: not an ISO-8601 date or time: ''"),
    ("", ["--since", ""], "--since: not a duration or date: ''"),
    ("", ["--pipe", "'unclosed"], "--pipe: cannot split \"'unclosed\" into words (No closing quotation)"),
    ("", ["--pipe", " "], "--pipe: is empty"),
    ("", ["--from", "a@example.org\nBcc: x@example.org"], "--from: must be one line"),
    ("", ["--to", "a@example.org\r\nBcc: x@example.org"], "--to: must be one line"),
    ("", ["--replay", "99999999999999999999999"], "--replay: no build 99999999999999999999999 in "),
    ('template_dir = "/dev/null"\n', [], "template folder /dev/null is not a folder"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None)
def test_bad_values_are_one_line_naming_the_key_or_option_with_exit_2(invoke, tmp_path, extra, args, message):
    feed = _feed(tmp_path)
    if extra.startswith("[email]"):
        body = extra + f'to = ["me@example.org"]\n[[feeds]]\nurl = "{feed}"\n'
    elif extra.startswith("["):  # a table of its own after the feed
        body = FEED_CONFIG.format(feed=feed) + extra
    else:
        body = extra + FEED_CONFIG.format(feed=feed)
    config = write_config(tmp_path, body)
    result = invoke("--config", str(config), "build", *(args if "--now" in args else ["--now", EXAMPLE_NOW, *args]))
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "internal error" not in lines[0], result.stderr
    assert message in lines[0]


def test_the_limits_themselves_are_accepted(invoke, tmp_path):
    feed = _feed(tmp_path)
    config = write_config(tmp_path, 'since = "365000d"\nlock_wait = "36500d"\n' + FEED_CONFIG.format(feed=feed)
                          + '[rank]\nhalf_life = "365000d"\n[fetch]\ntimeout = "36500d"\n')
    for args in (["--now", "1900-01-01", "--since", "365000d", "--allow-empty"], ["--since", "1900-01-01"]):
        result = invoke("--config", str(config), "build", "--format", "json", *args)
        assert result.exit_code == 0, result.stderr


def test_history_with_a_huge_limit_lists_every_build(invoke, example_config):
    invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW)
    result = invoke("--config", str(example_config), "history", "-n", "99999999999999999999999", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1


def test_templates_export_where_nothing_can_be_written_is_one_line(invoke):
    result = invoke("templates", "export", "/proc/no-such-folder")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: cannot write the templates into /proc/no-such-folder: No such file or directory"


def test_a_template_that_is_not_utf8_is_named_itself(invoke, example_config, tmp_path):
    """Not the layout that includes it (it said layout.mjml:51)."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "item.mjml").write_bytes(b"<mj-text>Caf\xe9</mj-text>\n")
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, "--template-dir", str(mine))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {mine / 'item.mjml'}: not UTF-8 text (byte 12 is 0xe9)"


# ------------------------------------------------------------ the state file, named with the right advice


def test_a_state_file_damaged_inside_is_named_and_kept(invoke, example_config, tmp_path):
    """Its header is fine, its pages are not: SQLite says "database disk
    image is malformed" at the first query, long after the file opened."""
    state = tmp_path / "damaged.db"
    assert invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, "--format", "json",
                  state=state).exit_code == 0
    data = bytearray(state.read_bytes())
    data[3 * 4096:] = b"\x5a" * (len(data) - 3 * 4096)
    state.write_bytes(bytes(data))
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, state=state)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {state}: not a usable digest state file (database disk image is "
                                     "malformed); move it aside to start fresh, or pass another --state")
    assert state.read_bytes() == bytes(data)


@pytest.fixture
def read_only():
    """Make a file or folder read-only, for root too (chattr +i: root
    ignores the permission bits, not the immutable flag)."""
    import os
    import subprocess

    made = []

    def make(path):
        if os.geteuid() != 0:
            path.chmod(0o555 if path.is_dir() else 0o444)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a filesystem without chattr +i: nothing is read-only")
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_read_only_state_file_says_so(invoke, example_config, tmp_path, read_only):
    state = tmp_path / "state.db"
    invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, "--format", "json", state=state)
    read_only(state)
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, state=state)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {state}: the state file is read-only; make it writable, "
                                     "or pass another --state")


@pytest.mark.parametrize("exists", [True, False], ids=["existing", "new"])
def test_a_state_file_in_a_read_only_folder_says_so_not_move_it_aside(invoke, example_config, tmp_path,
                                                                      read_only, exists):
    folder = tmp_path / "ro"
    folder.mkdir()
    state = folder / "state.db"
    if exists:
        invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, "--format", "json", state=state)
        for leftover in folder.glob("state.db-*"):
            leftover.unlink()
    read_only(folder)
    result = invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, state=state)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line == (f"Error: {state}: cannot write there: the folder {folder} is read-only (SQLite keeps "
                    "state.db-wal and state.db-shm beside the file); pass a --state in a folder you can write")


@pytest.mark.parametrize("args, message", [
    (["build", "--top", "0"], "Error: Invalid value for '--top': 0 is not in the range x>=1. (see `digest build --help`)"),
    (["build", "--frobnicate"], "Error: No such option '--frobnicate'"),
    (["nosuch"], "Error: No such command 'nosuch'. (see `digest --help`)"),
    (["history", "-n", "many"], "Error: Invalid value for '-n' / '--limit': 'many' is not a valid integer"),
])
def test_a_bad_option_is_one_line_with_exit_2_not_a_usage_block(runner, args, message):
    from digest.cli import cli

    result = runner.invoke(cli, args, prog_name="digest")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)
