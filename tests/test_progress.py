"""The progress bar: on a terminal only, only once fetching takes a moment,
never with -q, and never on stdout."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import pytest

from conftest import rss, rss_item, write_config
from loopback import respond

DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]


def slow(seconds: float):
    def route(handler):
        time.sleep(seconds)
        return respond(handler, 200, rss(rss_item("Item", f"https://e.example/{seconds}")).encode())

    return route


def run_on_a_terminal(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run digest with stderr on a pseudo-terminal; return (code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    child = subprocess.Popen([*DIGEST, *args], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    stdout = child.stdout.read()
    return child.wait(timeout=60), stdout, shown


@pytest.fixture
def feeds_config(server, tmp_path):
    def make(delays: list[float]):
        for delay in delays:
            server.routes[f"/{delay}.xml"] = slow(delay)
        feeds = "".join(f'\n[[feeds]]\nurl = "{server.url(f"/{d}.xml")}"\n' for d in delays)
        return write_config(tmp_path, f'state = "{tmp_path / "s.db"}"\n' + feeds)

    return make


def test_a_slow_fetch_shows_a_bar_on_the_terminal(feeds_config):
    config = feeds_config([0.05, 0.9, 1.2, 1.5])
    code, stdout, shown = run_on_a_terminal(["--config", str(config), "fetch"])
    assert code == 0 and stdout == b""
    assert b"Fetching feeds" in shown
    # The last picture of the bar says it all went: 100%, not where the last batch but one left it.
    import re

    last = re.sub(r"\x1b\[[?0-9;]*[A-Za-z]", "", shown.decode()).replace("\r", "\n").strip().splitlines()
    bars = [line for line in last if "Fetching feeds" in line]
    assert bars[-1].rstrip().endswith("100%"), bars[-3:]


def test_quiet_or_quick_shows_no_bar(feeds_config):
    config = feeds_config([0.05, 0.9, 1.2, 1.5])
    _, _, quiet = run_on_a_terminal(["-q", "--config", str(config), "fetch"])
    assert b"Fetching feeds" not in quiet
    quick = feeds_config([0.01, 0.02])
    _, _, shown = run_on_a_terminal(["--config", str(quick), "fetch"])
    assert b"Fetching feeds" not in shown
    assert b"Fetched 2 feeds: 2 updated" in shown
