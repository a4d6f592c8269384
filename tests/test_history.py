"""digest history and build --replay, on a real state file."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLE_NOW, email_parts, parse_email


def test_history_lists_sent_builds_and_replay_renders_them_exactly(invoke, example_config):
    sent = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert sent.exit_code == 0
    history = json.loads(invoke("history", "--config", str(example_config), "--json").stdout)
    assert history == [{"build": 1, "at": "2025-01-02T20:00:00+00:00", "items": 6,
                        "subject": "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"}]
    table = invoke("history", "--config", str(example_config)).stdout.splitlines()
    assert table[0].split() == ["BUILD", "WHEN", "ITEMS", "SUBJECT"]
    assert table[1].split()[:4] == ["1", "2025-01-02", "20:00", "6"]  # to the minute, UTC

    # The feeds change afterwards; the replay still shows what was sent.
    feed = example_config.parent / "kyiv-wire.xml"
    text = example_config.read_text()
    original = text.split('url = "', 1)[1].split('"', 1)[0]
    feed.write_text(open(original, encoding="utf-8").read().replace("Rail line to Kharkiv", "Changed headline"))
    example_config.write_text(text.replace(original, str(feed)))

    replay = invoke("build", "--config", str(example_config), "--replay", "1")
    assert replay.exit_code == 0, replay.stderr
    original_parts = email_parts(parse_email(sent.stdout_bytes))
    replay_message = parse_email(replay.stdout_bytes)
    assert replay_message["Subject"] == "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"
    assert email_parts(replay_message) == original_parts
    # Replaying marks nothing and records no build.
    assert len(json.loads(invoke("history", "--config", str(example_config), "--json").stdout)) == 1


@pytest.mark.parametrize("number", ["7", "99999999999999999999999"])
def test_replay_of_an_unknown_build_is_one_line(invoke, example_config, number):
    """A build number the state file does not have is a bad option (exit 2),
    also past what SQLite can store (it was an internal error)."""
    result = invoke("build", "--config", str(example_config), "--replay", number)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: --replay: no build {number} in ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_history_is_empty_before_any_email(invoke, example_config):
    invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html")
    result = invoke("history", "--config", str(example_config))
    assert result.stdout == ""
    assert result.stderr.strip() == "No digest has been sent yet."


def test_replay_goes_to_pipe_when_asked_and_never_to_the_configured_command(invoke, example_config, tmp_path):
    import sys

    mailed = tmp_path / "mailed.eml"
    command = f"{sys.executable} -c \"import sys; open({str(mailed)!r}, 'ab').write(sys.stdin.buffer.read())\""
    invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    example_config.write_text(example_config.read_text().replace(
        'to = ["me@example.org"]', f'to = ["me@example.org"]\ncommand = {json.dumps(command)}'))
    shown = invoke("build", "--config", str(example_config), "--replay", "1")
    assert shown.stdout.startswith("Subject:") and not mailed.exists()
    piped = invoke("build", "--config", str(example_config), "--replay", "1", "--pipe", command)
    assert piped.exit_code == 0 and piped.stdout == ""
    assert parse_email(mailed.read_bytes())["Subject"] == "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"
