"""digest as a library (README, "Use it from Python"): digest.open ->
Digester; build marks nothing, send delivers and then marks; the Edition's
parts are what the command line prints. Real files, a real SQLite state,
real Maildirs read back with the stdlib."""

from __future__ import annotations

import json
import mailbox
import subprocess
import sys
from datetime import datetime, timezone
from email.message import EmailMessage

import pytest

import digest
from digest.errors import UsageError

from conftest import EXAMPLE_NOW, EXAMPLES, feeds_config, parse_email, rss, rss_item

NOW = datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)


def test_the_public_names_are_there():
    assert set(digest.__all__) >= {"open", "Digester", "Edition", "Story", "DigestError", "__version__"}
    for name in digest.__all__:
        assert getattr(digest, name) is not None, name
    with pytest.raises(AttributeError):
        digest.no_such_thing  # noqa: B018


def test_a_build_is_what_the_command_line_prints(invoke, tmp_path):
    """The Edition's json, text and html are the bytes of --format json/text/html."""
    config = EXAMPLES / "digest.toml"
    with digest.open(config, state=tmp_path / "library.db") as d:
        edition = d.build(now=NOW)
    for fmt, part in (("json", None), ("text", edition.text), ("html", edition.html)):
        result = invoke("--config", str(config), "--state", str(tmp_path / f"cli-{fmt}.db"), "build",
                        "--now", EXAMPLE_NOW, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        if fmt == "json":
            assert edition.json == json.loads(result.stdout)
        else:
            assert part == result.stdout
    titles = [story.title for story in edition.stories]
    assert titles == [item["title"] for item in edition.json["items"]] and len(titles) >= 5
    assert edition.subject == "Morning Brief — Thursday 2 January 2025"
    message = edition.message
    assert isinstance(message, EmailMessage) and message["Subject"] == edition.subject
    assert [part.get_content_type() for part in message.walk()][:3] == [
        "multipart/alternative", "text/plain", "multipart/related"]


def test_build_marks_nothing_and_send_marks_once_delivered(tmp_path):
    served = tmp_path / "feed.xml"
    served.write_text(rss(rss_item("Bridge reopens after repairs", "https://example.org/bridge"),
                          rss_item("Council votes on the budget", "https://example.org/budget")))
    maildir = tmp_path / "Mail"
    config = feeds_config(tmp_path, [served.as_uri()], email=f'maildir = "{maildir}"')
    with digest.open(config, state=tmp_path / "state.db") as d:
        first = d.build(now=NOW)
        again = d.build(now=NOW)
        assert [s.title for s in first.stories] == [s.title for s in again.stories]
        assert len(first.stories) == 2 and d.history() == []
        d.send(first)
        assert len(d.history()) == 1 and d.history()[0].item_count == 2
        assert d.build(now=NOW).stories == []  # both were sent
        replayed = d.replay(d.history()[0].id)
        assert [s.title for s in replayed.stories] == [s.title for s in first.stories]
        assert replayed.subject == first.subject
    delivered = [parse_email(bytes(m)) for m in mailbox.Maildir(maildir, create=False)]
    assert len(delivered) == 1 and delivered[0]["Subject"] == first.subject


def test_send_without_a_way_to_send_raises_and_marks_nothing(tmp_path):
    served = tmp_path / "feed.xml"
    served.write_text(rss(rss_item("Bridge reopens after repairs", "https://example.org/bridge")))
    config = feeds_config(tmp_path, [served.as_uri()])
    with digest.open(config, state=tmp_path / "state.db") as d:
        edition = d.build(now=NOW)
        with pytest.raises(UsageError, match="no way to send"):
            d.send(edition)
        assert d.history() == [] and len(d.build(now=NOW).stories) == 1


def test_since_takes_a_duration_a_time_or_text(tmp_path):
    served = tmp_path / "feed.xml"
    served.write_text(rss(rss_item("Three days old", "https://example.org/old", date="Mon, 30 Dec 2024 12:00:00 +0000"),
                          rss_item("Today", "https://example.org/new")))
    config = feeds_config(tmp_path, [served.as_uri()])
    with digest.open(config, state=tmp_path / "state.db") as d:
        assert [s.title for s in d.build(now=NOW).stories] == ["Today"]
        for since in ("7d", datetime(2024, 12, 25, tzinfo=timezone.utc)):
            assert {s.title for s in d.build(now=NOW, since=since, offline=True).stories} == {"Three days old", "Today"}
        explained = d.explain(now=NOW, since="7d", offline=True)
        assert len(explained.ranked) == 2


def test_building_through_the_library_needs_no_click(tmp_path):
    """With click made unimportable, a build and its email work: nothing on
    the library's path imports it (httpx tries to, for its own command
    line, and does without it when it cannot)."""
    script = (
        "import sys; sys.modules['click'] = None\n"
        "import datetime, digest\n"
        f"with digest.open({str(EXAMPLES / 'digest.toml')!r}, state={str(tmp_path / 's.db')!r}) as d:\n"
        "    e = d.build(now=datetime.datetime(2025, 1, 2, 20, tzinfo=datetime.timezone.utc))\n"
        "    print(e.subject); print(len(e.message.as_bytes()) > 1000)\n"
        "print(sys.modules['click'] is None)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Morning Brief — Thursday 2 January 2025", "True", "True"]


def test_the_readme_example_runs(tmp_path):
    """README's "Use it from Python" block, as a newcomer pastes it (with
    the state file moved into tmp_path): it prints the subject and the titles."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use it from Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert 'digest.open("examples/digest.toml"' in code
    code = code.replace('"/tmp/example.db"', repr(str(tmp_path / "example.db")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=EXAMPLES.parent)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Morning Brief — Thursday 2 January 2025"
    assert len(lines) >= 6 and all(line.startswith("- ") and line.endswith(")") for line in lines[1:])
