"""One line per problem, naming what was wrong; a traceback only on request."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import EXAMPLE_NOW, write_config


@pytest.mark.parametrize("body, message", [
    ("title = \n", "invalid TOML"),
    ('titel = "x"\n', "titel: unknown key (did you mean 'title'?)"),
    ('top = "ten"\n', "top: must be an integer, not 'ten'"),
    ('since = "yesterday"\n', "since: not a duration: 'yesterday'"),
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
