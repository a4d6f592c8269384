"""The first five minutes (issue 21): what a newcomer meets between
`pip install` and the first real digest, each trap as a test."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_NOW, FEEDS, INSTALLED, feeds_config, parse_email, rss, rss_item


def _heading_of_each_title(lines: list[str], headings: list[str], titles: list[str]) -> dict[str, str]:
    """For each title, the heading above its last mention in `lines` (its
    card; a table of contents comes first)."""
    under, current = {}, None
    for line in lines:
        if line in headings:
            current = line
        for title in titles:
            if title in line:
                under[title] = current
    return under


def test_untagged_feeds_are_not_shown_under_the_tag_above_them(invoke, tmp_path):
    tagged = tmp_path / "tech.xml"
    tagged.write_text(rss(rss_item("Kernel 7.1 ships a new scheduler", "https://tech.example/kernel",
                                   date="Thu, 02 Jan 2025 18:00:00 +0000"), title="Tech Notes"))
    untagged = tmp_path / "ars.xml"
    untagged.write_text(rss(rss_item("Rocket lands on a barge at night", "https://ars.example/rocket",
                                     date="Thu, 02 Jan 2025 17:00:00 +0000"), title="Ars"))
    config = feeds_config(tmp_path, [], extra='[rank]\ngroup_by = "tag"\n')
    config.write_text(config.read_text() + f'[[feeds]]\nurl = "{tagged.as_uri()}"\ntags = ["tech"]\n'
                      f'[[feeds]]\nurl = "{untagged.as_uri()}"\n')
    titles = ["Kernel 7.1 ships a new scheduler", "Rocket lands on a barge at night"]

    text = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "text")
    assert text.exit_code == 0, text.stderr
    under = _heading_of_each_title(text.stdout.splitlines(), ["TECH", "OTHER STORIES"], titles)
    assert under == {titles[0]: "TECH", titles[1]: "OTHER STORIES"}

    page = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "html")
    assert page.exit_code == 0, page.stderr
    pieces = [htmllib.unescape(re.sub(r"<[^>]+>", "", piece)).strip()
              for piece in re.split(r"(?=<h3)|(?=<h2)|(?<=</h3>)|(?<=</h2>)", page.stdout)]
    headings = [p for p in pieces if p.casefold() in ("tech", "other stories")]
    assert [h.casefold() for h in headings] == ["tech", "other stories"]
    under = _heading_of_each_title(pieces, headings, titles)
    assert {title: (heading or "").casefold() for title, heading in under.items()} == {
        titles[0]: "tech", titles[1]: "other stories"}




def run_at_terminal(*args: str, cwd: Path, env: dict | None = None, timeout: float = 90,
                    stderr_too: bool = False) -> tuple[int, str, str]:
    """The installed `digest` with its stdout on a pseudo-terminal (what a
    person typing it sees) and stderr on a pipe, or on the terminal too:
    (exit code, screen, stderr)."""
    import os
    import pty
    import select

    master, slave = pty.openpty()
    child = subprocess.Popen([INSTALLED, *args], stdout=slave, stderr=slave if stderr_too else subprocess.PIPE,
                             stdin=subprocess.DEVNULL, cwd=cwd, env=env)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif child.poll() is not None:
            break
    os.close(master)
    stderr = "" if stderr_too else child.stderr.read().decode()
    return child.wait(timeout=timeout), screen.decode().replace("\r\n", "\n"), stderr


def test_a_build_typed_at_a_terminal_shows_the_text_and_marks_nothing(example_config, tmp_path):
    state = tmp_path / "state.db"
    code, screen, stderr = run_at_terminal("--config", str(example_config), "--state", str(state), "build",
                                           "--now", EXAMPLE_NOW, cwd=tmp_path)
    assert code == 0, stderr
    assert screen.startswith("Morning Brief\n") and "Content-Type:" not in screen and "MIME-Version" not in screen
    assert "nothing marked sent: stdout is a terminal" in stderr and "digest build | sendmail -t" in stderr
    again = subprocess.run([INSTALLED, "--config", str(example_config), "--state", str(state), "history"],
                           capture_output=True, text=True, timeout=60)
    assert again.stdout == "" and "No digest has been sent yet." in again.stderr
    # --mark-sent still marks, and piped (as under cron) nothing changed: the email, marked sent.
    code, screen, stderr = run_at_terminal("--config", str(example_config), "--state", str(state), "build",
                                           "--now", EXAMPLE_NOW, "--mark-sent", "--format", "text", cwd=tmp_path)
    assert code == 0 and screen.startswith("Morning Brief\n") and "terminal" not in stderr
    piped = subprocess.run([INSTALLED, "--config", str(example_config), "--state", str(tmp_path / "cron.db"),
                            "build", "--now", EXAMPLE_NOW], capture_output=True, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith(b"Subject: Morning Brief") and not piped.stderr
    history = subprocess.run([INSTALLED, "--config", str(example_config), "--state", str(tmp_path / "cron.db"),
                              "history", "--json"], capture_output=True, text=True, timeout=60)
    assert len(json.loads(history.stdout)) == 1


def test_an_empty_first_build_says_how_far_it_looked_and_what_reaches_the_older_stories(invoke, tmp_path):
    weekly = tmp_path / "weekly.xml"
    weekly.write_text(rss(rss_item("Notes from the allotment", "https://weekly.example/allotment",
                                   date="Tue, 31 Dec 2024 09:00:00 +0000"),
                          rss_item("Seed catalogues, read", "https://weekly.example/seeds",
                                   date="Mon, 30 Dec 2024 09:00:00 +0000"), title="A Weekly Blog"))
    config = feeds_config(tmp_path, [weekly.as_uri()])
    first = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW)
    assert first.exit_code == 0 and first.stdout == ""
    assert first.stderr.strip() == (
        "Nothing new in the last 24 hours (a first digest looks back the config's `since`, 24 hours); "
        "2 older items wait, the newest from Tue 31 Dec 2024 09:00 UTC: `digest build --since 4d` takes them in; "
        "nothing written (use --allow-empty to write one anyway).")
    # The --since it names reaches them.
    taken = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--since", "4d", "--format", "json")
    assert [item["title"] for item in json.loads(taken.stdout)["items"]] == [
        "Notes from the allotment", "Seed catalogues, read"]
    invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--since", "4d", "--mark-sent")
    later = invoke("--config", str(config), "build", "--now", "2025-01-03T07:00:00Z")
    assert later.stderr.strip() == ("Nothing new since the last digest (Thu 2 Jan 2025 20:00 UTC); "
                                    "nothing written (use --allow-empty to write one anyway).")
    explained = invoke("--config", str(config), "explain", "--now", "2025-01-03T07:00:00Z", "--offline")
    assert explained.stderr.strip() == ("Window: stories dated from Thu 2 Jan 2025 20:00 UTC (the last digest) "
                                        "to Fri 3 Jan 2025 07:00 UTC.")
    listed = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)
    assert listed[0]["newest"] == "2024-12-31T09:00:00+00:00"


def test_the_since_it_names_stops_short_of_a_feeds_archive(tmp_path):
    """A blog's feed with years of posts: the first digest's advice reaches
    the recent ones, and says how many of the waiting items that is."""
    from datetime import datetime, timezone

    import digest

    archive = tmp_path / "archive.xml"
    archive.write_text(rss(rss_item("Last week's post", "https://blog.example/recent",
                                    date="Mon, 30 Dec 2024 20:00:00 +0000"),
                           rss_item("A post from 2022", "https://blog.example/old",
                                    date="Sat, 01 Jan 2022 09:00:00 +0000")))
    with digest.open(feeds_config(tmp_path, [archive.as_uri()]), state=tmp_path / "s.db") as d:
        edition = d.build(now=datetime(2025, 1, 2, 20, tzinfo=timezone.utc))
        assert edition.stories == []
        assert d.why_empty(edition).endswith(
            "2 older items wait, the newest from Mon 30 Dec 2024 20:00 UTC: `digest build --since 3d` takes "
            "1 of them in")


def test_addresses_are_checked_where_they_enter(invoke, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("A story", "https://e.example/a")))
    config = feeds_config(tmp_path, [feed.as_uri()])
    config.write_text(config.read_text().replace('to = ["me@example.org"]', 'to = "me at example"'))
    refused = invoke("--config", str(config), "check")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (f"Error: {config}: email.to: 'me at example' is not an email address "
                                      "(write it as name@example.org or \"Name <name@example.org>\")")
    config.write_text(config.read_text().replace('to = "me at example"', 'to = "me@example.org"'))
    for flag, value in (("--to", "not an address"), ("--from", "Morning Brief <brief@>"),
                        ("--to", "a@example.org, b@example.org")):
        result = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, flag, value)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.startswith(f"Error: {flag}: {value!r} is "), result.stderr
    fine = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--to", "Me <me@example.org>",
                  "--format", "json")
    assert fine.exit_code == 0, fine.stderr
    # The default From works on this machine only: check says so, and still passes.
    checked = invoke("--config", str(config), "check")
    assert checked.exit_code == 0
    assert checked.stderr.startswith("warning: the From address 'digest <digest@localhost>' is one only this "
                                     "machine knows")


def test_feed_identity_ignores_case_and_default_ports_and_a_bare_address_is_the_web(invoke, tmp_path, httpserver):
    httpserver.expect_request("/x.rss").respond_with_data(
        rss(rss_item("A story", "https://e.example/a"), title="Loopback News"), content_type="application/rss+xml")
    config = tmp_path / "digest.toml"
    config.write_text('[email]\nto = ["me@example.org"]\n')
    bare = f"127.0.0.1:{httpserver.port}/x.rss"  # typed without a scheme, and no such file here
    added = invoke("--config", str(config), "feeds", "add", bare)
    assert added.exit_code == 0, added.stderr
    assert f'url = "http://127.0.0.1:{httpserver.port}/x.rss"' in config.read_text()
    shouted = invoke("--config", str(config), "feeds", "add", f"HTTP://127.0.0.1:{httpserver.port}/x.rss")
    assert shouted.exit_code == 2 and "already" in shouted.stderr
    config.write_text(config.read_text() + '[[feeds]]\nurl = "https://Example.ORG:443/feed"\n')
    again = invoke("--config", str(config), "feeds", "add", "--no-check", "https://example.org/feed")
    assert again.exit_code == 2 and "already" in again.stderr
    unreachable = invoke("--config", str(config), "feeds", "add", "127.0.0.1:9/nothing.rss")
    assert unreachable.exit_code == 1
    assert "--no-check http://127.0.0.1:9/nothing.rss" in unreachable.stderr and str(tmp_path) not in unreachable.stderr


def test_remove_refuses_a_name_two_feeds_share_and_pause_stops_fetching(invoke, tmp_path, httpserver):
    for path in ("/a.rss", "/b.rss"):
        httpserver.expect_request(path).respond_with_data(rss(rss_item(f"Story {path}", f"https://e.example{path}")),
                                                          content_type="application/rss+xml")
    a, b = httpserver.url_for("/a.rss"), httpserver.url_for("/b.rss")
    config = feeds_config(tmp_path, [])
    config.write_text(config.read_text() + f'[[feeds]]\nurl = "{a}"\nname = "NYT Health"\n'
                      f'[[feeds]]\nurl = "{b}"\nname = "nyt health"\n')
    refused = invoke("--config", str(config), "feeds", "remove", "NYT Health")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (f"Error: 2 feeds in {config} are named 'NYT Health': {a}; {b} "
                                      "(name one by its URL)")
    assert invoke("--config", str(config), "feeds", "pause", b).exit_code == 0
    assert "paused = true" in config.read_text()
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json", "--since", "1000d")
    assert [item["title"] for item in json.loads(built.stdout)["items"]] == ["Story /a.rss"]
    assert [request.path for request, _ in httpserver.log] == ["/a.rss"]
    listed = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)
    assert [row["status"] for row in listed] == ["ok", "paused"]
    assert invoke("--config", str(config), "feeds", "resume", b).exit_code == 0
    assert "paused" not in config.read_text()
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json", "--since", "1000d")
    assert "Story /b.rss" in [item["title"] for item in json.loads(built.stdout)["items"]]


def test_looking_does_not_count_as_failing(invoke, tmp_path, httpserver):
    """explain, preview and a build typed at a terminal say a down feed
    failed but count nothing; a build as cron runs it and fetch count one run each."""
    httpserver.expect_request("/down.rss").respond_with_data("", status=503)
    httpserver.expect_request("/up.rss").respond_with_data(rss(rss_item("A story", "https://e.example/a")),
                                                           content_type="application/rss+xml")
    config = feeds_config(tmp_path, [httpserver.url_for("/up.rss"), httpserver.url_for("/down.rss")])

    def failures() -> int:
        return json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)[1]["failures"]

    for _ in range(3):
        looked = invoke("--config", str(config), "explain", "--now", EXAMPLE_NOW)
        assert looked.exit_code == 0 and "down.rss) failed: HTTP 503" in looked.stderr
        previewed = invoke("--config", str(config), "preview", "--no-open", "--now", EXAMPLE_NOW,
                           "-o", str(tmp_path / "p.html"))
        assert previewed.exit_code == 0 and "failed: HTTP 503" in previewed.stderr
    assert failures() == 0
    code, _, said = run_at_terminal("--config", str(config), "--state", str(tmp_path / "state.db"), "build",
                                    "--now", EXAMPLE_NOW, cwd=tmp_path)  # typed at a terminal: a look
    assert code == 0 and "failed: HTTP 503" in said and failures() == 0
    invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json")  # as cron or a script runs it
    assert failures() == 1
    invoke("--config", str(config), "fetch", "--now", EXAMPLE_NOW)
    assert failures() == 2


def run_with_a_terminal_for_both(*args: str, cwd: Path, env: dict | None = None) -> tuple[int, str]:
    """The installed `digest` with stdout and stderr on one pseudo-terminal:
    (exit code, all it showed)."""
    code, screen, _ = run_at_terminal(*args, cwd=cwd, env=env, stderr_too=True)
    return code, screen


def test_at_a_terminal_a_send_says_where_the_digest_went_and_when_it_tries_again(
        tmp_path, smtp_server, smtp_ca, monkeypatch):
    from smtp_loopback import PASSWORD, USER, Script

    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Bridge reopens", "https://e.example/1"), rss_item("Budget passes", "https://e.example/2")))
    maildir = tmp_path / "Mail" / "digest"
    config = feeds_config(tmp_path, [feed.as_uri()], email='from = "Brief <brief@example.org>"')
    code, screen = run_with_a_terminal_for_both("--config", str(config), "--state", str(tmp_path / "m.db"), "build",
                                                "--now", EXAMPLE_NOW, "--maildir", str(maildir), cwd=tmp_path)
    assert code == 0, screen
    assert screen.strip() == f"Sent 2 stories to me@example.org through the Maildir {maildir}."
    # Under cron (no terminal) success is silent.
    quiet = subprocess.run([INSTALLED, "--config", str(config), "--state", str(tmp_path / "q.db"), "build", "--now",
                            EXAMPLE_NOW, "--maildir", str(tmp_path / "Mail2")], capture_output=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == b"" and quiet.stdout == b""
    server = smtp_server("starttls", script=Script(rcpt=["451 4.7.1 greylisted, try again later"]))
    config.write_text(config.read_text() + f'\n[smtp]\nhost = "127.0.0.1"\nport = {server.port}\n'
                      f'username = "{USER}"\npassword_env = "DIGEST_TEST_SMTP_PASSWORD"\nca_file = "{smtp_ca.file}"\n')
    env = {**os.environ, "DIGEST_TEST_SMTP_PASSWORD": PASSWORD}
    code, screen = run_with_a_terminal_for_both("--config", str(config), "--state", str(tmp_path / "s.db"), "build",
                                                "--now", EXAMPLE_NOW, cwd=tmp_path, env=env)
    assert code == 0, screen
    lines = screen.strip().splitlines()
    assert "greylisted" in lines[0] and "trying again in 1s" in lines[0]
    assert lines[-1] == f"Sent 2 stories to me@example.org through the SMTP server 127.0.0.1:{server.port}."
    assert len(server.arrived) == 1


def test_two_configs_without_a_state_key_keep_their_own_history(tmp_path):
    """The first config to use the default state file keeps it (as an
    upgrade keeps its history, said once); every other config gets its own."""
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    env.pop("DIGEST_STATE", None)
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Bridge reopens", "https://e.example/1")))
    configs = []
    for name in ("home", "work"):
        folder = tmp_path / name
        folder.mkdir()
        configs.append(feeds_config(folder, [feed.as_uri()]))
    legacy = data / "digest" / "state.db"  # what digest before per-config state files used for every config
    made = subprocess.run([INSTALLED, "--config", str(configs[0]), "--state", str(legacy), "build", "--now",
                           EXAMPLE_NOW, "--format", "json", "--mark-sent"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    said = subprocess.run([INSTALLED, "--config", str(configs[0]), "history", "--json"], capture_output=True,
                          text=True, timeout=60, env=env)
    assert said.stderr.startswith(f"warning: state: {legacy} (kept from before) is now the state of "
                                  f"{configs[0].resolve()} alone")
    assert len(json.loads(said.stdout)) == 1
    again = subprocess.run([INSTALLED, "--config", str(configs[0]), "history", "--json"], capture_output=True,
                           text=True, timeout=60, env=env)
    assert again.stderr == "" and len(json.loads(again.stdout)) == 1
    other = subprocess.run([INSTALLED, "--config", str(configs[1]), "history", "--json"], capture_output=True,
                           text=True, timeout=60, env=env)
    assert other.stderr == "" and json.loads(other.stdout) == []
    built = subprocess.run([INSTALLED, "--config", str(configs[1]), "build", "--now", EXAMPLE_NOW, "--format",
                            "json"], capture_output=True, text=True, timeout=60, env=env)
    assert [item["title"] for item in json.loads(built.stdout)["items"]] == ["Bridge reopens"]
    files = sorted(p.name for p in (data / "digest").iterdir() if p.suffix == ".db")
    assert len(files) == 2 and files[1] == "state.db" and re.fullmatch(r"state-digest-[0-9a-f]{8}\.db", files[0])


def test_the_small_things_a_newcomer_trips_on(invoke, tmp_path):
    # -h is help, for every command
    for args in (["-h"], ["build", "-h"], ["feeds", "add", "-h"]):
        shown = invoke(*args)
        assert shown.exit_code == 0 and shown.stdout.startswith("Usage: "), args
    # an [smtp] header left out: its keys land in the [[feeds]] above, and the error says so
    config = tmp_path / "digest.toml"
    config.write_text('[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "https://e.example/rss"\n'
                      'host = "smtp.example.org"\nport = 587\n')
    said = invoke("--config", str(config), "check")
    assert said.exit_code == 2
    assert said.stderr.strip() == (f"Error: {config}: feeds[0].host: unknown key (`host` is a key of [smtp]: is the "
                                   "[smtp] header missing above it? a key belongs to the table whose header is above it)")
    # explain's ages read as ages, and preview writes over one file per config
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Old news", "https://e.example/old", date="Mon, 01 Jan 2024 12:00:00 +0000"),
                        rss_item("Today's news", "https://e.example/new")))
    config = feeds_config(tmp_path, [feed.as_uri()], name="news.toml")
    table = invoke("--config", str(config), "explain", "--now", EXAMPLE_NOW, "--since", "700d").stdout
    ages = [line.split()[4] for line in table.splitlines()[1:3]]
    assert ages == ["8.0h", "1.0y"], table
    paths = {invoke("--config", str(config), "preview", "--no-open", "--now", EXAMPLE_NOW).stdout.strip()
             for _ in range(2)}
    assert len(paths) == 1 and Path(paths.pop()).is_file()


def test_a_newcomers_first_five_minutes(tmp_path, httpserver):
    """The README from the top, as a newcomer runs it (the install is the
    README's own command, which CI runs to make this environment): init,
    two feeds whose newest items are three days old, preview, build at a
    terminal, the cron line `init` prints under cron's bare PATH, and
    --maildir into a home without ~/Mail."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("DIGEST_STATE", None), env.pop("DIGEST_CONFIG", None)
    for path, name in (("/weekly.xml", "A Weekly Blog"), ("/notes.xml", "Field Notes")):
        httpserver.expect_request(path).respond_with_data(
            rss(rss_item(f"{name}: this week", f"https://e.example{path}/1", date="Mon, 30 Dec 2024 08:00:00 +0000"),
                title=name), content_type="application/rss+xml")

    def digest_cli(*args, check=True):
        done = subprocess.run([INSTALLED, *args], capture_output=True, text=True, timeout=90, env=env, cwd=home)
        assert not check or done.returncode == 0, (args, done.stderr)
        return done

    made = digest_cli("init")
    config = home / "digest.toml"
    assert config.is_file()
    cron_line = next(line.strip() for line in made.stdout.splitlines() if line.strip().startswith("0 7 * * *"))
    assert cron_line.startswith(f"0 7 * * * {INSTALLED} --config {config}")
    assert "\nto = []" in config.read_text()  # step 1 of what init printed: set `to`
    config.write_text(config.read_text().replace("\nto = []", '\nto = ["me@example.org"]', 1))
    for path in ("/weekly.xml", "/notes.xml"):
        digest_cli("feeds", "add", httpserver.url_for(path).replace("http://", ""))  # typed without a scheme
    previewed = digest_cli("preview", "--no-open", "--now", EXAMPLE_NOW)
    assert "2 older items wait" in previewed.stderr and "--since 4d" in previewed.stderr
    code, screen, stderr = run_at_terminal("build", "--now", EXAMPLE_NOW, "--since", "4d", cwd=home, env=env)
    assert code == 0 and "A Weekly Blog: this week" in screen and "Content-Type" not in screen
    assert "nothing marked sent" in stderr
    # cron: PATH=/usr/bin:/bin, started in $HOME; the line init printed, its mail written to a file here
    line = cron_line.removeprefix("0 7 * * * ").replace("| /usr/sbin/sendmail -t", f"--since 4d --now {EXAMPLE_NOW}"
                                                        f" > {tmp_path / 'cron.eml'}")
    cron = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", "sh", "-c", line], cwd=home,
                          capture_output=True, text=True, timeout=90)
    assert cron.returncode == 0 and cron.stderr == "", cron.stderr
    assert "A Weekly Blog: this week" in (tmp_path / "cron.eml").read_text()
    # the README's --maildir ~/Mail/digest, in a home with no ~/Mail yet
    quiet = subprocess.run(["sh", "-c", f"{INSTALLED} --state {tmp_path / 'maildir.db'} build --now {EXAMPLE_NOW} "
                                        "--since 4d --maildir ~/Mail/digest"], capture_output=True, text=True,
                           timeout=90, env=env, cwd=home)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    [delivered] = list((home / "Mail" / "digest" / "new").iterdir())
    assert "Field Notes: this week" in delivered.read_text()
    assert (home / "Mail").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("title, url, name", [
    # the part of a feed's title that names its own site, as the corpora's publishers write them
    ("World news | The Guardian", "https://www.theguardian.com/world/rss", "The Guardian"),
    ("Le Monde.fr - Actualités et Infos en France et dans le monde", "https://www.lemonde.fr/rss/une.xml",
     "Le Monde.fr"),
    ("NYT > Home Page", "https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml", "NYT"),
    ("NPR Topics: News", "https://feeds.npr.org/1001/rss.xml", "NPR"),
    ("Stories by Hodl Hodl on Medium", "https://medium.com/feed/@hodlhodl", "Hodl Hodl"),  # the site's name, then its section
    ("Ars Technica - All content", "https://feeds.arstechnica.com/arstechnica/index", "Ars Technica"),
    ("World – The Indian Express", "http://indianexpress.com/section/world/feed/", "The Indian Express"),
    ("CTVNews.ca - Top Stories - Public RSS", "http://www.ctvnews.ca/rss/ctvnews-ca-top-stories-public-rss-1.822009",
     "CTVNews.ca"),
    ("Wellness: Health, Fitness, Nutrition & More - The Washington Post",
     "http://feeds.washingtonpost.com/rss/lifestyle/wellness", "The Washington Post"),
    # no part names the site: the title whole, never a guess
    ("Home | Mail Online", "http://www.dailymail.co.uk/home/index.rss", "Home | Mail Online"),
    ("Hacker News: Front Page", "https://hnrss.org/frontpage", "Hacker News: Front Page"),
    ("The Verge", "https://www.theverge.com/rss/index.xml", "The Verge"),
    ("Notes - a blog", "file:///home/me/feeds/notes.xml", "Notes - a blog"),
])
def test_a_feed_is_named_by_its_publisher_not_its_section(title, url, name):
    from digest.config import FeedConfig

    assert FeedConfig(url=url).display_name(title) == name
    assert FeedConfig(url=url, name="Mine").display_name(title) == "Mine"  # the config's name wins


@pytest.mark.parametrize("title, url, site, name", [
    # the channel's own <link> names the site where the feed's address cannot: a file, a feeds host, FeedBurner
    ("LE FIGARO - Le Figaro - Culture : Cinéma, théâtre, arts, expositions, musique et télévision",
     "file:///home/me/feeds/figaro.rss", "http://www.lefigaro.fr", "Le Figaro"),  # as written, not shouted
    ("BBC News - World", "https://feeds.bbci.co.uk/news/world/rss.xml", "https://www.bbc.co.uk/news/world",
     "BBC News"),  # "News" is part of the name, not a section
    ("Reuters: World News", "http://feeds.reuters.com/Reuters/worldNews", "http://www.reuters.com", "Reuters"),
    ("Le Parisien - A la une", "file:///feeds/leparisien.rss", "http://www.leparisien.fr", "Le Parisien"),
    ("Fantasy Baseball - RotoAuthority.com", "http://feeds.feedburner.com/RotoAuthority",
     "http://www.rotoauthority.com/", "RotoAuthority.com"),
    ("NPR Topics: News", "file:///feeds/npr.rss", "https://www.npr.org/templates/story/story.php?storyId=1001", "NPR"),
    # no part names the site, its link neither: the title whole, never a guess
    ("Home | Mail Online", "http://www.dailymail.co.uk/home/index.rss", "http://www.dailymail.co.uk/ushome/index.html",
     "Home | Mail Online"),
    ("HuffPost Canada - Athena2 - All Posts", "file:///feeds/huffpost.rss", "http://www.aol.com",
     "HuffPost Canada - Athena2 - All Posts"),
    ("Notes - a blog", "file:///home/me/feeds/notes.xml", "", "Notes - a blog"),
    ("Notes - a blog", "file:///home/me/feeds/notes.xml", "not a link", "Notes - a blog"),
])
def test_a_feed_is_named_by_its_own_sites_link(title, url, site, name):
    from digest.config import FeedConfig

    assert FeedConfig(url=url).display_name(title, site) == name
    assert FeedConfig(url=url, name="Mine").display_name(title, site) == "Mine"


def test_a_capture_read_from_a_file_shows_its_publishers_short_name(invoke, tmp_path):
    """Le Figaro's culture feed, read from a file: its cards and JSON say
    "Le Figaro" (its <link> is lefigaro.fr), not the channel's whole title,
    also in an --offline build from the store."""
    feed = FEEDS / "realworld-2" / "lefigaro-culture-author-forms-dup-item.rss"
    config = feeds_config(tmp_path, [feed.as_uri()], extra="[articles]\nenabled = false")
    for args in ((), ("--offline",)):
        built = invoke("--config", str(config), "build", "--format", "json", "--no-mark-sent", "--since", "30d",
                       "--now", "2017-01-07T18:00:00Z", *args)
        assert built.exit_code == 0, built.stderr
        items = json.loads(built.stdout)["items"]
        assert items and {item["feed"] for item in items} == {"Le Figaro"}, args
        assert {item["language"] for item in items} == {"fr"}, args
    html = invoke("--config", str(config), "build", "--format", "html", "--no-mark-sent", "--since", "30d",
                  "--now", "2017-01-07T18:00:00Z", "--offline")
    assert "Le Figaro" in html.stdout and "LE FIGARO - Le Figaro" not in html.stdout


def test_the_email_speaks_the_configs_language(invoke, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Le pont rouvre", "https://e.example/pont")))
    config = feeds_config(tmp_path, [feed.as_uri()], extra='language = "fr"')
    page = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "html")
    assert page.exit_code == 0 and re.search(r'<html[^>]*\blang="fr"', page.stdout)
    config.write_text(config.read_text().replace('language = "fr"', 'language = "French"'))
    refused = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW)
    assert refused.exit_code == 2 and "language: not a language tag: 'French'" in refused.stderr


def test_edits_of_the_config_at_once_lose_none_and_o_never_overwrites_digests_own_files(invoke, tmp_path):
    config = tmp_path / "digest.toml"
    config.write_text('# my feeds\n[email]\nto = ["me@example.org"]\n')
    adds = [subprocess.Popen([INSTALLED, "--config", str(config), "--state", str(tmp_path / "s.db"), "feeds", "add",
                              "--no-check", f"https://e{number}.example.org/feed"], stderr=subprocess.PIPE)
            for number in range(8)]
    assert all(add.wait(timeout=120) == 0 for add in adds)
    text = config.read_text()
    assert text.startswith("# my feeds\n")
    assert sorted(re.findall(r"https://e(\d)\.example\.org/feed", text)) == [str(n) for n in range(8)]
    before = config.read_bytes()
    for target in (config, tmp_path / "s.db"):
        refused = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--offline", "-o", str(target),
                         state=tmp_path / "s.db")
        assert refused.exit_code == 2 and "not writing the digest over it" in refused.stderr
    assert config.read_bytes() == before


def test_a_weight_that_is_not_a_number_is_refused(invoke, tmp_path):
    config = feeds_config(tmp_path, [])
    added = invoke("--config", str(config), "feeds", "add", "--no-check", "https://e.example/f", "--weight", "nan")
    assert added.exit_code == 2 and "nan is not a number" in added.stderr
    config.write_text(config.read_text() + '[[feeds]]\nurl = "https://e.example/f"\nweight = nan\n')
    checked = invoke("--config", str(config), "check")
    assert checked.exit_code == 2 and "feeds[0].weight: must be positive, not nan" in checked.stderr


def test_feeds_list_fits_an_80_column_terminal(tmp_path):
    config = feeds_config(tmp_path, [])
    config.write_text(config.read_text() + "".join(
        f'[[feeds]]\nurl = "https://a-rather-long-host-name-{n}.example.org/feeds/all-the-news.xml"\n'
        f'name = "A Publisher With A Long Name {n}"\n' for n in range(3)))
    env = {**os.environ, "COLUMNS": "80"}
    code, screen, _ = run_at_terminal("--config", str(config), "--state", str(tmp_path / "s.db"), "feeds", "list",
                                      cwd=tmp_path, env=env)
    lines = screen.strip().splitlines()
    assert code == 0 and len(lines) == 4
    assert max(len(line) for line in lines) <= 80, lines
    assert lines[0].split()[:3] == ["NAME", "URL", "STATUS"]  # columns with nothing to say give way
    piped = subprocess.run([INSTALLED, "--config", str(config), "--state", str(tmp_path / "s.db"), "feeds", "list"],
                           capture_output=True, text=True, timeout=60)
    assert "https://a-rather-long-host-name-0.example.org/feeds/all-the-news.xml" in piped.stdout  # piped: whole


def test_the_configs_since_may_be_a_date_as_since_is(invoke, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("From before Christmas", "https://e.example/a", date="Mon, 23 Dec 2024 09:00:00 +0000")))
    config = feeds_config(tmp_path, [feed.as_uri()], extra='since = "2024-12-20"')
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json")
    assert built.exit_code == 0, built.stderr
    assert [item["title"] for item in json.loads(built.stdout)["items"]] == ["From before Christmas"]
    config.write_text(config.read_text().replace('since = "2024-12-20"', 'since = "2024-12-24"'))
    empty = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW)
    assert empty.stderr.startswith("Nothing new since Tue 24 Dec 2024 00:00 UTC (the config's `since`); 1 older item "
                                   "waits"), empty.stderr
    config.write_text(config.read_text().replace('since = "2024-12-24"', 'since = "last week"'))
    refused = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW)
    assert refused.exit_code == 2 and "since: not a duration (24h, 3d) or a date (2026-11-24)" in refused.stderr


def test_the_meta_line_says_an_episodes_length_and_a_days_date_without_a_made_up_time(invoke, tmp_path):
    episode = tmp_path / "show.xml"
    episode.write_text(rss(rss_item("Episode 12: on bridges", "https://show.example/12",
                                    extra='<itunes:duration>1:50:00</itunes:duration><enclosure url="https://show.'
                                          'example/12.mp3" type="audio/mpeg" length="1000"/>'))
                       .replace("<rss ", '<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '))
    daily = tmp_path / "daily.xml"
    daily.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Daily</title>'
                     '<id>urn:daily</id><updated>2025-01-02</updated><entry><title>A day of news</title>'
                     '<id>urn:daily:1</id><link href="https://daily.example/1"/><updated>2025-01-02</updated>'
                     '<summary>News of the day.</summary></entry></feed>')
    config = feeds_config(tmp_path, [episode.as_uri(), daily.as_uri()])
    config.write_text(config.read_text().replace('timezone = "UTC"', 'timezone = "America/New_York"'))
    text = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "text", "--since", "3d")
    assert text.exit_code == 0, text.stderr
    meta = {title: text.stdout.split(title, 1)[1].split("\n", 2)[1].strip()
            for title in ("Episode 12: on bridges", "A day of news")}
    assert meta["Episode 12: on bridges"].endswith("1 h 50 min") and "min read" not in meta["Episode 12: on bridges"]
    assert meta["A day of news"].endswith("2 Jan"), meta  # not "1 Jan 19:00" in New York, not "00:00"


def test_addresses_in_other_scripts_are_written_as_mail_servers_take_them(invoke, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("A story", "https://e.example/a")))
    config = feeds_config(tmp_path, [feed.as_uri()], email='from = "Bücherbrief <brief@bücher.de>"')
    result = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--to", "Dr. Smith <dr@exämple.org>")
    assert result.exit_code == 0, result.stderr
    message = parse_email(result.stdout_bytes)
    assert [a.addr_spec for a in message["To"].addresses] == ["dr@xn--exmple-cua.org"]
    assert message["To"].addresses[0].display_name == "Dr. Smith"
    assert [a.addr_spec for a in message["From"].addresses] == ["brief@xn--bcher-kva.de"]
    assert result.stdout_bytes.isascii() or b"xn--" in result.stdout_bytes


def test_a_paused_feed_is_not_fetched_mailed_or_failing_and_says_so(invoke, tmp_path, httpserver):
    httpserver.expect_request("/down.xml").respond_with_data("", status=500)
    down = httpserver.url_for("/down.xml")
    up = tmp_path / "up.xml"
    up.write_text(rss(rss_item("Up and running", "https://e.example/up")))
    config = feeds_config(tmp_path, [up.as_uri(), down], extra="failing_after = 1")
    for _ in range(2):
        invoke("--config", str(config), "fetch", "--now", EXAMPLE_NOW)
    assert invoke("--config", str(config), "feeds", "pause", down).exit_code == 0
    again = invoke("--config", str(config), "feeds", "pause", down)
    assert again.exit_code == 2 and "already paused" in again.stderr
    built = json.loads(invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json").stdout)
    assert built["failing"] == [] and built["errors"] == []
    fetched = invoke("--config", str(config), "fetch", "--now", EXAMPLE_NOW)
    assert fetched.stderr.strip().endswith("; 1 paused, not fetched.")
    assert invoke("--config", str(config), "feeds", "pause", up.as_uri()).exit_code == 0
    nothing = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json", "--since", "3d")
    assert nothing.stdout == ""  # the paused feed's stored story waits with it


def test_feed_identity_ignores_a_fragment_and_a_trailing_dot_and_finds_what_add_took(invoke, tmp_path):
    config = feeds_config(tmp_path, [])
    assert invoke("--config", str(config), "feeds", "add", "--no-check", "https://example.org/feed#top").exit_code == 0
    for same in ("https://example.org./feed", "https://EXAMPLE.org/feed#other"):
        again = invoke("--config", str(config), "feeds", "add", "--no-check", same)
        assert again.exit_code == 2 and "already" in again.stderr, same
    assert invoke("--config", str(config), "feeds", "pause", "example.org/feed").exit_code == 0
    bare = invoke("--config", str(config), "feeds", "add", "--no-check", "localhost:8000/x.xml")
    assert "(no scheme given: taken as https)" in bare.stderr


def test_a_moved_config_keeps_its_state_and_sends_nothing_twice(tmp_path):
    """README's cron lines move a config to ~/.config/digest/: the state
    file goes with it (said once), so no story already mailed goes again."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("DIGEST_STATE", None)
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Fresh today", "https://e.example/fresh")))
    first = tmp_path / "w"
    first.mkdir()
    config = feeds_config(first, [feed.as_uri()])
    sent = subprocess.run([INSTALLED, "--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json",
                           "--mark-sent"], capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(sent.stdout)["items"]
    moved = tmp_path / "home" / ".config" / "digest" / "digest.toml"
    moved.parent.mkdir(parents=True)
    config.rename(moved)
    again = subprocess.run([INSTALLED, "--config", str(moved), "build", "--now", EXAMPLE_NOW, "--format", "json",
                            "--mark-sent"], capture_output=True, text=True, timeout=60, env=env)
    assert again.stdout == "" and "takes it over" in again.stderr, again.stderr  # nothing new: sent before the move
