"""Sending without losing or repeating anything: --pipe, write errors, the
build lock, and builds killed at random points."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import feeds_config, news_config, news_feed, parse_email, rss, rss_item
from digest.store import this_host

NOW = "2025-01-02T20:00:00Z"
DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]


def feed_config(tmp_path: Path, titles: list[str], extra: str = "", email: str = "") -> Path:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(*(rss_item(t, f"https://e.example/{i}", guid=f"g{i}") for i, t in enumerate(titles))))
    return feeds_config(tmp_path, [feed], extra=f'state = "{tmp_path / "state.db"}"\n{extra}', email=email)


def mail_command(tmp_path: Path, exit_code: int = 0, stderr: str = "") -> str:
    """A stand-in for sendmail: keeps the message it is fed, says something, exits."""
    script = tmp_path / f"fake-sendmail-{exit_code}.py"
    script.write_text(
        "import sys\n"
        f"data = sys.stdin.buffer.read()\n"
        f"open({str(tmp_path / 'mailed.eml')!r}, 'ab').write(data)\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({exit_code})\n")
    return f"{sys.executable} {script}"


# ------------------------------------------------------------ --pipe


def test_pipe_feeds_the_command_and_marks_only_on_success(invoke, tmp_path):
    config = feed_config(tmp_path, ["First story", "Second story"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--pipe", mail_command(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    mailed = parse_email((tmp_path / "mailed.eml").read_bytes())
    assert "First story" in mailed.get_body(("plain",)).get_content()
    again = invoke("--config", str(config), "build", "--now", NOW, "--pipe", mail_command(tmp_path))
    assert again.exit_code == 0 and "Nothing new" in again.stderr


def test_a_failing_mail_command_marks_nothing_and_says_why(invoke, tmp_path):
    config = feed_config(tmp_path, ["First story"])
    failing = mail_command(tmp_path, exit_code=75, stderr="sendmail: queue\n  directory full\n")
    result = invoke("--config", str(config), "build", "--now", NOW, "--pipe", failing)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: the mail command {failing!r} exited 75: sendmail: queue directory full"
    retry = invoke("--config", str(config), "build", "--now", NOW, "--pipe", mail_command(tmp_path))
    assert retry.exit_code == 0
    assert (tmp_path / "mailed.eml").read_bytes().count(b"Subject:") == 2  # both attempts reached the command


def test_config_command_is_used_and_a_missing_one_is_named(invoke, tmp_path):
    config = feed_config(tmp_path, ["Story"], email=f'command = "{mail_command(tmp_path)}"')
    assert invoke("--config", str(config), "build", "--now", NOW).stdout == ""
    assert (tmp_path / "mailed.eml").exists()
    missing = feed_config(tmp_path, ["Other"], email='command = "no-such-sendmail -t"')
    result = invoke("--config", str(missing), "build", "--now", NOW)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: cannot run the mail command 'no-such-sendmail -t': no-such-sendmail not found"


def test_pipe_and_output_exclude_each_other(invoke, tmp_path):
    config = feed_config(tmp_path, ["Story"])
    result = invoke("--config", str(config), "build", "--pipe", "cat", "-o", str(tmp_path / "x"))
    assert result.exit_code == 2


# ------------------------------------------------------------ write errors


def run_digest(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*DIGEST, *args], capture_output=kwargs.pop("capture", True), timeout=60, **kwargs)


def sent_count(state: Path) -> int:
    with sqlite3.connect(state) as db:
        return db.execute("SELECT count(*) FROM items WHERE sent_build IS NOT NULL").fetchone()[0]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_marks_nothing(tmp_path):
    config = feed_config(tmp_path, ["Story"])
    with open("/dev/full", "wb") as full:
        done = subprocess.run([*DIGEST, "--config", str(config), "build", "--now", NOW],
                              stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 1
    assert done.stderr.decode().strip() == "Error: could not write the digest to stdout: No space left on device"
    assert sent_count(tmp_path / "state.db") == 0


def test_a_closed_pipe_marks_nothing_and_prints_no_traceback(tmp_path):
    config = feed_config(tmp_path, ["Story"])
    child = subprocess.Popen([*DIGEST, "--config", str(config), "build", "--now", NOW],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before digest writes
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert stderr.strip() == "Error: could not write the digest to stdout: Broken pipe"
    assert sent_count(tmp_path / "state.db") == 0


def big_feed_config(tmp_path: Path) -> Path:
    """A config whose email is about 100 KB: more than a pipe holds (64 KB)."""
    feed = tmp_path / "feed.xml"
    feed.write_text(news_feed(40))
    return news_config(tmp_path, feed, 40, extra=f'state = "{tmp_path / "state.db"}"')


READ_100_BYTES = [sys.executable, "-c", "import sys; sys.stdin.buffer.read(100)"]


def pipe_into(reader_args: list[str], writer_args: list[str], env: dict):
    """`writer | reader`, as a shell runs it: only the two processes hold the pipe."""
    read_end, write_end = os.pipe()
    reader = subprocess.Popen(reader_args, stdin=read_end)
    os.close(read_end)
    try:
        done = subprocess.run(writer_args, stdout=write_end, stderr=subprocess.PIPE, timeout=60, env=env)
    finally:
        os.close(write_end)
    return reader, done


@pytest.mark.parametrize("size", ["small", "big"])
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
def test_a_reader_that_takes_part_of_stdout_and_exits_0_marks_nothing(tmp_path, size, unbuffered):
    """`digest build | CMD` where CMD reads 100 bytes and exits 0: the mail
    was not received. A big one used to go out as one write() that a raw
    stdout (python -u) took only 65,536 bytes of; a small one fits in the
    pipe and was left there unread."""
    config = big_feed_config(tmp_path) if size == "big" else feed_config(tmp_path, ["Story"])
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    reader, done = pipe_into(READ_100_BYTES, [*DIGEST, "--config", str(config), "build", "--now", NOW], env)
    assert reader.wait(timeout=60) == 0
    assert done.returncode == 1
    line = done.stderr.decode().strip()
    assert line.startswith("Error: could not write the digest to stdout: ") and "\n" not in line, line
    # The reader's stdin buffer took a chunk, not 100 bytes; a big digest may
    # still be going in when it leaves (EPIPE).
    assert re.search(r"the reader exited after [\d,]+ of [\d,]+ bytes$|Broken pipe$", line), line
    assert sent_count(tmp_path / "state.db") == 0


def test_a_slow_reader_of_the_whole_stdout_gets_every_byte(tmp_path):
    """The other side of waiting for the pipe to empty: a reader that takes
    its time and reads everything is a delivery, unbuffered stdout too."""
    config = big_feed_config(tmp_path)
    received = tmp_path / "received.eml"
    slow = [sys.executable, "-c", "import sys, time; time.sleep(0.5); "
            f"open({str(received)!r}, 'wb').write(sys.stdin.buffer.read())"]
    reader, done = pipe_into(slow, [*DIGEST, "--config", str(config), "build", "--now", NOW],
                             {**os.environ, "PYTHONUNBUFFERED": "1"})
    assert reader.wait(timeout=60) == 0
    assert done.returncode == 0, done.stderr
    message = parse_email(received.read_bytes())
    assert len(received.read_bytes()) > 65536
    assert "Story 39:" in message.get_body(("plain",)).get_content()
    assert sent_count(tmp_path / "state.db") == 40


@pytest.mark.parametrize("size", ["small", "big"])
def test_a_mail_command_that_exits_0_without_reading_everything_marks_nothing(invoke, tmp_path, size):
    config = big_feed_config(tmp_path) if size == "big" else feed_config(tmp_path, ["Story"])
    command = " ".join(READ_100_BYTES[:2]) + ' "import sys; sys.stdin.buffer.read(100)"'
    result = invoke("--config", str(config), "build", "--now", NOW, "--pipe", command)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"Error: the mail command {command!r} exited 0 without reading the whole message ("), line
    assert sent_count(tmp_path / "state.db") == 0


def test_a_file_that_takes_part_of_a_raw_stdout_write_fails_the_write(tmp_path):
    """`digest build > file` onto a nearly full disk, with a raw stdout
    (python -u): the kernel takes what fits and write() returns that count
    without raising. RLIMIT_FSIZE makes the same partial write on any disk
    (Python ignores SIGXFSZ, so the next write fails with EFBIG)."""
    code = ("import io, resource, sys; from digest.delivery.streams import write_output; "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000)); "
            "write_output(b'x' * 100000, None, io.FileIO(1, 'w', closefd=False))")
    with open(tmp_path / "out", "wb") as out:
        done = subprocess.run([sys.executable, "-c", code], stdout=out, stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 1
    assert done.stderr.decode().strip().endswith("OutputError: could not write the digest to stdout: File too large")
    assert (tmp_path / "out").stat().st_size == 10000


# ------------------------------------------------------------ the lock


def test_a_build_waits_for_the_lock_then_says_another_holds_it(invoke, tmp_path):
    config = feed_config(tmp_path, ["Story"], extra='lock_wait = "1s"')
    invoke("--config", str(config), "build", "--now", NOW, "--format", "json")  # creates the store
    holder = subprocess.Popen(["sleep", "30"])  # a live process standing in for the other build
    try:
        with sqlite3.connect(tmp_path / "state.db") as db:
            db.execute("INSERT INTO build_lock (id, pid, host, since) VALUES (1, ?, ?, ?)",
                       (holder.pid, this_host(), time.time()))
        started = time.monotonic()
        result = invoke("--config", str(config), "build", "--now", NOW)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert waited >= 1
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith(f"another build (pid {holder.pid} on {socket.gethostname()}")
    assert "holds the lock; nothing written" in result.stderr
    assert sent_count(tmp_path / "state.db") == 0


def test_a_lock_left_by_a_dead_build_is_taken_over(invoke, tmp_path):
    config = feed_config(tmp_path, ["Story"], extra='lock_wait = "1s"')
    invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("INSERT INTO build_lock (id, pid, host, since) VALUES (1, ?, ?, ?)",
                   (dead.pid, this_host(), time.time()))
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0 and "Story" in result.stdout
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT count(*) FROM build_lock").fetchone()[0] == 0


def test_two_builds_at_once_send_each_story_once(server, tmp_path):
    from loopback import respond

    def slow_feed(handler):
        time.sleep(1.0)
        return respond(handler, 200, rss(*(rss_item(f"Story {i}", f"https://e.example/{i}") for i in range(5))).encode())

    server.routes["/slow.xml"] = slow_feed
    config = feeds_config(tmp_path, [server.url("/slow.xml")])
    args = ["--config", str(config), "--state", str(tmp_path / "s.db"), "build", "--now", NOW]
    builds = [subprocess.Popen([*DIGEST, *args, "-o", str(tmp_path / f"out{n}.eml")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in (1, 2)]
    results = [(b.wait(timeout=60), b.stderr.read().decode()) for b in builds]
    assert [code for code, _ in results] == [0, 0], results
    outputs = [p for p in (tmp_path / "out1.eml", tmp_path / "out2.eml") if p.exists()]
    assert len(outputs) == 1  # the other found nothing new once the first had sent
    assert sum(p.read_text().count("Story 3") for p in outputs) >= 1
    assert any("Nothing new" in err for _, err in results)


# ------------------------------------------------------------ killed at random points


def publish(feed: Path, round_: int, per_round: int = 3) -> list[str]:
    """Feed with every item so far; returns the links of this round's items."""
    items = [rss_item(f"Round {r} story {i}", f"https://e.example/{r}/{i}", guid=f"{r}-{i}",
                      date="Thu, 02 Jan 2025 12:00:00 +0000")
             for r in range(round_ + 1) for i in range(per_round)]
    feed.write_text(rss(*items))
    return [f"https://e.example/{round_}/{i}" for i in range(per_round)]


def test_builds_killed_at_random_points_lose_and_repeat_nothing(tmp_path):
    rng = random.Random(20261125)
    feed = tmp_path / "feed.xml"
    outputs = tmp_path / "out"
    outputs.mkdir()
    config = feeds_config(tmp_path, [feed], extra=f'state = "{tmp_path / "state.db"}"')
    build = [*DIGEST, "--config", str(config), "build", "--now", NOW, "--since", "30d",
             "--format", "json", "--mark-sent", "--top", "100"]
    # How long one build takes here, so the kills land all along it.
    publish(feed, 0)
    started = time.monotonic()
    subprocess.run([*build, "--no-mark-sent", "-o", str(tmp_path / "calibrate.json")], timeout=60, check=True)
    duration = time.monotonic() - started
    published: list[str] = []
    kills = 0
    settled: Counter[str] = Counter()
    for round_ in range(50):
        published += publish(feed, round_)
        victim = subprocess.Popen([*build, "-o", str(outputs / f"{round_:02d}-killed.json")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, duration))
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            kills += 1
        victim.wait()
        after = subprocess.run([*build, "-o", str(outputs / f"{round_:02d}-after.json")],
                               capture_output=True, text=True, timeout=60)
        assert after.returncode == 0, after.stderr
        assert "Error" not in after.stderr and "Traceback" not in after.stderr, after.stderr
        settled.update(note.split(" was interrupted ")[1].split(";")[0]
                       for note in after.stderr.splitlines() if " was interrupted " in note)
    delivered: list[str] = []
    for path in sorted(outputs.glob("*.json")):
        delivered += [item["link"] for item in json.loads(path.read_text())["items"]]
    assert kills >= 25, f"only {kills} of 50 builds were killed before finishing"
    assert sorted(delivered) == sorted(published)  # every story once: none lost, none twice
    print(f"{kills} of 50 builds killed; interrupted builds settled by the next: {dict(settled)}")


# ------------------------------------------------------------ late and updated items


def test_an_item_that_arrives_late_is_still_sent(invoke, tmp_path):
    """Fetched after a build but dated before it (the feed was down at build
    time, or backdates its posts): the next build sends it."""
    feed = tmp_path / "feed.xml"
    config = feeds_config(tmp_path, [feed])
    item = lambda title, when: rss_item(title, f"https://e.example/{title}", guid=title, date=when)  # noqa: E731
    feed.write_text(rss(item("alpha", "Thu, 02 Jan 2025 06:00:00 +0000")))
    first = invoke("--config", str(config), "build", "--now", "2025-01-02T07:00:00Z")
    assert "alpha" in first.stdout
    feed.write_text(rss(item("alpha", "Thu, 02 Jan 2025 06:00:00 +0000"),
                        item("beta", "Thu, 02 Jan 2025 06:50:00 +0000"),
                        item("gamma", "Thu, 02 Jan 2025 09:00:00 +0000"),
                        item("ancient", "Mon, 02 Dec 2024 09:00:00 +0000")))
    second = invoke("--config", str(config), "build", "--now", "2025-01-03T07:00:00Z", "--format", "json",
                    "--mark-sent")
    assert sorted(i["title"] for i in json.loads(second.stdout)["items"]) == ["beta", "gamma"]
    third = invoke("--config", str(config), "build", "--now", "2025-01-04T07:00:00Z")
    assert third.stdout == ""


def test_a_refetch_during_delivery_does_not_free_a_claimed_update(tmp_path):
    from datetime import datetime, timedelta, timezone

    from digest.models import CacheHeaders
    from digest.models import Item
    from digest.store import Store

    now = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    feed = "https://a.example/feed"

    def version(title: str) -> Item:
        return Item(feed_url=feed, key="guid:1", title=title, link="https://a.example/1", published=now)

    with Store.open(tmp_path / "s.db") as store:
        store.record_success(feed, "A", CacheHeaders(), [version("T1")], now)
        store.mark_sent(store.unsent_items([feed], now - timedelta(days=1), now), now, now - timedelta(days=1), "s")
        store.record_success(feed, "A", CacheHeaders(), [version("T2")], now)  # an update
        [updated] = store.unsent_items([feed], now - timedelta(days=1), now)
        build = store.claim([updated], now, now - timedelta(days=1), "s")
        with Store.open(tmp_path / "s.db") as fetcher:  # `digest fetch` meanwhile
            fetcher.record_success(feed, "A", CacheHeaders(), [version("T2")], now)
        store.confirm(build)
        assert store.unsent_items([feed], now - timedelta(days=1), now) == []


def test_a_lock_from_before_a_reboot_is_taken_over(invoke, tmp_path):
    if "#" not in this_host():
        pytest.skip("no boot id on this system")
    config = feed_config(tmp_path, ["Story"], extra='lock_wait = "1s"')
    invoke("--config", str(config), "build", "--now", NOW, "--format", "json")
    with sqlite3.connect(tmp_path / "state.db") as db:  # pid 1 is alive, but it was another boot
        db.execute("INSERT INTO build_lock (id, pid, host, since) VALUES (1, 1, ?, ?)",
                   (f"{socket.gethostname()}#another-boot", time.time()))
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0 and "Story" in result.stdout
