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
from conftest import EXAMPLE_NOW, EXAMPLES, feeds_config, parse_email, rss, rss_item

import digest
from digest.errors import UsageError

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
    assert edition.subject == "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"
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


def test_building_through_the_library_imports_no_click(tmp_path):
    """A build that fetches (httpx, whose __init__ imports its own command
    line's click unless kept from it) and renders the email imports no click."""
    script = (
        "import datetime, sys, digest\n"
        f"with digest.open({str(EXAMPLES / 'digest.toml')!r}, state={str(tmp_path / 's.db')!r}) as d:\n"
        "    e = d.build(now=datetime.datetime(2025, 1, 2, 20, tzinfo=datetime.timezone.utc))\n"
        "    print(e.subject); print(len(e.message.as_bytes()) > 1000)\n"
        "print('click' not in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more", "True", "True"]


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
    assert lines[0] == "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"
    assert len(lines) >= 6 and all(line.startswith("- ") and line.endswith(")") for line in lines[1:])


def _two_story_config(tmp_path, email: str = ""):
    served = tmp_path / "feed.xml"
    served.write_text(rss(rss_item("Bridge reopens after repairs", "https://example.org/bridge"),
                          rss_item("Council votes on the budget", "https://example.org/budget")))
    return feeds_config(tmp_path, [served.as_uri()], email=email)


def test_two_digesters_of_one_process_never_send_a_story_twice(tmp_path):
    """Threads of one process share a pid, which is all the store's lock
    knows; the second waits for the first and then finds nothing new."""
    import threading

    out = tmp_path / "sent.mbox"
    config = _two_story_config(tmp_path, email=f'command = "sh -c \'sleep 1; cat >> {out}\'"')
    said = []

    def build_and_send():
        with digest.open(config, state=tmp_path / "state.db") as d, d.sending():
            edition = d.build(now=NOW)
            said.append(len(edition.stories))
            if edition.stories:
                d.send(edition)

    threads = [threading.Thread(target=build_and_send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(said) == [0, 2]
    assert out.read_text().count("Subject: ") == 1


def test_send_refuses_what_the_command_line_refuses(tmp_path):
    maildir = tmp_path / "Mail"
    config = _two_story_config(tmp_path, email=f'maildir = "{maildir}"')
    with digest.open(config, state=tmp_path / "state.db") as d:
        edition = d.build(now=NOW)
        d.send(edition)
        with pytest.raises(UsageError, match="sent already"):
            d.send(edition)
        empty = d.build(now=NOW)
        with pytest.raises(UsageError, match="no story"):
            d.send(empty)
        with pytest.raises(UsageError, match="destination is a digest.delivery Destination"):
            d.send(empty, "someone@example.org", allow_empty=True)
        with pytest.raises(UsageError, match="takes an email"):
            d.send(empty, format="html", allow_empty=True)
    assert len(list(mailbox.Maildir(maildir, create=False))) == 1
    nobody = tmp_path / "nobody"
    nobody.mkdir()
    config = _two_story_config(nobody, email=f'maildir = "{maildir}"')
    config.write_text(config.read_text().replace('to = ["me@example.org"]', ""))
    with digest.open(config, state=nobody / "state.db") as d:
        with pytest.raises(UsageError, match="no recipient"):
            d.send(d.build(now=NOW))
        assert d.history() == []


def test_an_edition_is_sent_only_through_the_state_it_was_built_from(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    with digest.open(_two_story_config(a, email='maildir = "Mail"'), state=a / "s.db") as da, \
            digest.open(_two_story_config(b, email='maildir = "Mail"'), state=b / "s.db") as db:
        with pytest.raises(UsageError, match="not rows of this state file"):
            db.send(da.build(now=NOW))
        assert len(db.build(now=NOW).stories) == 2 and db.history() == []


@pytest.mark.parametrize("arguments, said", [
    (dict(since="yesterday"), "since: "),
    (dict(now=datetime(2025, 1, 2, 20)), "now: 2025-01-02 20:00:00 has no time zone"),
    (dict(now="not a time"), "now: "),
    (dict(top=0), "top: at least 1 story, not 0"),
    (dict(top=-1), "top: at least 1 story, not -1"),
    (dict(format="pdf"), "format: one of email, html, text, json, mjml, epub, not 'pdf'"),
])
def test_bad_arguments_are_one_usage_error(tmp_path, arguments, said):
    with digest.open(_two_story_config(tmp_path), state=tmp_path / "s.db") as d:
        with pytest.raises(UsageError) as raised:
            d.build(**{"now": NOW, **arguments})
        assert str(raised.value).startswith(said)
    with pytest.raises(UsageError, match="config is a path or a Config"):
        digest.open(42)


def test_the_message_looked_at_is_the_message_sent_and_a_closed_digester_says_so(tmp_path):
    maildir = tmp_path / "Mail"
    config = _two_story_config(tmp_path, email=f'maildir = "{maildir}"')
    with digest.open(config, state=tmp_path / "state.db") as d:
        edition = d.build(now=NOW)
        first = edition.message["Message-ID"]
        assert edition.message["Message-ID"] == first
        d.send(edition)
    [stored] = [parse_email(bytes(m)) for m in mailbox.Maildir(maildir, create=False)]
    assert stored["Message-ID"] == first
    with pytest.raises(UsageError, match="is closed"):
        d.history()


def test_the_library_prints_nothing(tmp_path):
    """A feed that fails is a warning on the `digest` logger: without a
    handler set by the application, nothing reaches stderr."""
    good = _two_story_config(tmp_path)
    config = feeds_config(tmp_path, [(tmp_path / "feed.xml").as_uri(), (tmp_path / "missing.xml").as_uri()],
                          name="two.toml")
    assert good.exists()
    script = (f"import datetime, digest\nwith digest.open({str(config)!r}, state={str(tmp_path / 's.db')!r}) as d:\n"
              "    d.build(now=datetime.datetime(2025, 1, 2, 20, tzinfo=datetime.timezone.utc))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    logged = subprocess.run([sys.executable, "-c", "import logging; logging.basicConfig()\n" + script],
                            capture_output=True, text=True, timeout=120)
    assert "missing.xml) failed" in logged.stderr
