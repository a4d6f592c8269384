"""Delivery into a Maildir and an mbox, read back with the stdlib mailbox;
and the headers every email carries (Auto-Submitted, List-Id, Cc, Bcc,
List-Unsubscribe)."""

from __future__ import annotations

import json
import mailbox
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from conftest import feeds_config, parse_email, rss, rss_item

NOW = "2025-01-02T20:00:00Z"
DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]


def config_with(tmp_path: Path, titles: list[str], email: str = "", extra: str = "") -> Path:
    feed = tmp_path / "feed.xml"
    write_feed(feed, titles)
    return feeds_config(tmp_path, [feed], extra=f'title = "Morning Brief"\nstate = "{tmp_path / "state.db"}"\n{extra}',
                        email=f'from = "Morning Brief <brief@example.org>"\n{email}')


def write_feed(feed: Path, titles: list[str]) -> None:
    feed.write_text(rss(*(rss_item(t, f"https://e.example/{t.replace(' ', '-')}", guid=t) for t in titles)))


def sent_count(tmp_path: Path) -> int:
    """Items marked sent; 0 when no build ever opened the state file (a
    mailbox refused before the build began)."""
    if not (tmp_path / "state.db").exists():
        return 0
    with sqlite3.connect(tmp_path / "state.db") as db:
        return db.execute("SELECT count(*) FROM items WHERE sent_build IS NOT NULL").fetchone()[0]


def plain(message) -> str:
    return parse_email(message.as_bytes()).get_body(("plain",)).get_content()


# ------------------------------------------------------------ Maildir


@pytest.mark.parametrize("how", ["flag", "config"])
def test_maildir_gets_one_message_in_new_and_the_stories_are_marked(invoke, tmp_path, how):
    folder = tmp_path / "Mail" / "digest"
    folder.parent.mkdir()
    email = 'bcc = ["archive@example.org"]' + ('\nmaildir = "Mail/digest"' if how == "config" else "")
    config = config_with(tmp_path, ["Bridge reopens in Kyiv — café crowds return"], email=email)
    args = ["--maildir", str(folder)] if how == "flag" else []
    result = invoke("--config", str(config), "build", "--now", NOW, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in folder.iterdir()) == ["cur", "new", "tmp"]
    assert list((folder / "tmp").iterdir()) == [] and list((folder / "cur").iterdir()) == []
    assert (folder / "new").stat().st_mode & 0o777 == 0o700
    box = mailbox.Maildir(folder, create=False)
    [message] = list(box)
    assert message["Subject"].startswith("Morning Brief")
    assert message["Bcc"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert "café crowds return" in plain(message)
    assert sent_count(tmp_path) == 1

    write_feed(tmp_path / "feed.xml", ["Bridge reopens in Kyiv — café crowds return", "A second day"])
    again = invoke("--config", str(config), "build", "--now", NOW, *args)
    assert again.exit_code == 0, again.stderr
    assert sorted(plain(m).count("A second day") for m in mailbox.Maildir(folder, create=False)) == [0, 1]


def test_a_folder_that_is_not_a_maildir_is_refused_and_nothing_marked(invoke, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me")
    config = config_with(tmp_path, ["Story"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--maildir", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {folder} is not a Maildir (no tmp/, new/ and cur/ in it); "
                                     "not delivering into it")
    assert sorted(p.name for p in folder.iterdir()) == ["todo.txt"]
    assert sent_count(tmp_path) == 0


def test_a_maildir_whose_parents_are_missing_is_made_with_them_for_its_owner_only(invoke, tmp_path):
    """`--maildir ~/Mail/digest` in a home without ~/Mail: the README's own example."""
    config = config_with(tmp_path, ["Story"])
    folder = tmp_path / "home" / "Mail" / "digest"
    (tmp_path / "home").mkdir()
    said = invoke("--config", str(config), "check").stdout  # nothing configured: stdout
    checked = invoke("--config", str(config_with(tmp_path, ["Story"], email=f'maildir = "{folder}"')), "check")
    assert checked.exit_code == 0 and said
    assert checked.stdout.splitlines()[-1] == (f"maildir: {folder} will be made on the first delivery "
                                               f"(and {tmp_path / 'home' / 'Mail'})")
    result = invoke("--config", str(config), "build", "--now", NOW, "--maildir", str(folder))
    assert result.exit_code == 0, result.stderr
    [message] = list(mailbox.Maildir(folder, create=False))
    assert "Story" in message["Subject"] or message.is_multipart()
    for made in (tmp_path / "home" / "Mail", folder, folder / "new"):
        assert made.stat().st_mode & 0o777 == 0o700, made
    assert [f.stat().st_mode & 0o777 for f in (folder / "new").iterdir()] == [0o600]  # the message too
    assert sent_count(tmp_path) == 1


def test_a_maildir_under_a_file_is_named_and_nothing_is_fetched_in_vain(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"])
    (tmp_path / "notes").write_text("not a folder")
    folder = tmp_path / "notes" / "Mail" / "digest"
    result = invoke("--config", str(config), "build", "--now", NOW, "--maildir", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: cannot make the Maildir {folder}: {tmp_path / 'notes'} is not a folder"
    assert sent_count(tmp_path) == 0
    [feed] = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)
    assert feed["status"] == "new"  # said before any feed was fetched


def test_a_maildir_that_cannot_take_the_message_marks_nothing(invoke, tmp_path):
    """new/ on another file system than tmp/: the message cannot be linked
    into place (EXDEV), so it was not delivered."""
    import tempfile

    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system to put new/ on")
    folder = tmp_path / "Maildir"
    for sub in ("cur", "tmp"):
        (folder / sub).mkdir(parents=True)
    elsewhere = Path(tempfile.mkdtemp(dir=shm))
    try:
        (folder / "new").symlink_to(elsewhere)
        config = config_with(tmp_path, ["Story"])
        result = invoke("--config", str(config), "build", "--now", NOW, "--maildir", str(folder))
        assert list(elsewhere.iterdir()) == [] and list((folder / "tmp").iterdir()) == []
    finally:
        elsewhere.rmdir()
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: cannot deliver into the Maildir {folder}: Invalid cross-device link"
    assert sent_count(tmp_path) == 0


def test_maildir_and_mbox_take_an_email_only(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"])
    for flag in ("--maildir", "--mbox"):
        result = invoke("--config", str(config), "build", "--format", "html", flag, str(tmp_path / "box"))
        assert result.exit_code == 2
        assert result.stderr.strip() == f"Error: {flag} takes an email, not --format html"


def test_destination_flags_exclude_each_other(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"])
    result = invoke("--config", str(config), "build", "--maildir", str(tmp_path / "m"), "--mbox", str(tmp_path / "b"))
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --maildir and --mbox exclude each other: the digest goes to one place"


# ------------------------------------------------------------ mbox


@pytest.mark.parametrize("how", ["flag", "config"])
def test_mbox_appends_a_message_per_build(invoke, tmp_path, how):
    path = tmp_path / "digest.mbox"
    email = 'bcc = "archive@example.org"' + ('\nmbox = "digest.mbox"' if how == "config" else "")
    config = config_with(tmp_path, ["First day"], email=email)
    args = ["--mbox", str(path)] if how == "flag" else []
    first = invoke("--config", str(config), "build", "--now", NOW, *args)
    assert first.exit_code == 0, first.stderr
    assert path.stat().st_mode & 0o777 == 0o600  # mail is private
    write_feed(tmp_path / "feed.xml", ["First day", "From the front line: a second day"])
    second = invoke("--config", str(config), "build", "--now", NOW, *args)
    assert second.exit_code == 0, second.stderr
    messages = list(mailbox.mbox(path, create=False))
    assert len(messages) == 2
    assert [m.get_from().split()[0] for m in messages] == ["brief@example.org", "brief@example.org"]
    assert all(m["Bcc"] is None and m["Subject"].startswith("Morning Brief") for m in messages)
    assert "First day" in plain(messages[0]) and "second day" in plain(messages[1])
    assert not Path(f"{path}.lock").exists()
    assert sent_count(tmp_path) == 2


def test_a_locked_mbox_is_waited_for_then_given_up_marking_nothing(invoke, tmp_path, monkeypatch):
    from digest.delivery import mailboxes as deliver

    monkeypatch.setattr(deliver, "MBOX_LOCK_WAIT", 1)
    path = tmp_path / "digest.mbox"
    holder = mailbox.mbox(path)  # a mail reader holding the lock
    holder.lock()
    try:
        config = config_with(tmp_path, ["Story"])
        result = invoke("--config", str(config), "build", "--now", NOW, "--mbox", str(path))
    finally:
        holder.unlock()
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: the mbox {path} stayed locked by another program for 1s; "
                                     "nothing appended")
    assert path.read_bytes() == b"" and sent_count(tmp_path) == 0
    retry = invoke("--config", str(config), "build", "--now", NOW, "--mbox", str(path))
    assert retry.exit_code == 0 and len(mailbox.mbox(path)) == 1


@pytest.mark.parametrize(("age", "delivered"), [(600, True), (60, False), (-86400, True)])  # -: from the future
def test_a_dot_lock_left_by_a_dead_program_is_broken_a_recent_one_is_not(invoke, tmp_path, monkeypatch, age,
                                                                          delivered):
    from digest.delivery import mailboxes as deliver

    monkeypatch.setattr(deliver, "MBOX_LOCK_WAIT", 1)
    path = tmp_path / "digest.mbox"
    path.write_bytes(b"")
    lock = Path(f"{path}.lock")
    lock.write_bytes(b"")  # what a mail reader killed while holding it leaves
    os.utime(lock, (time.time() - age, time.time() - age))
    config = config_with(tmp_path, ["Story"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--mbox", str(path))
    assert (result.exit_code == 0) is delivered, result.stderr
    assert len(mailbox.mbox(path)) == (1 if delivered else 0)
    assert lock.exists() is not delivered
    assert sent_count(tmp_path) == (1 if delivered else 0)


def test_an_mbox_onto_a_named_pipe_is_refused(invoke, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    config = config_with(tmp_path, ["Story"])
    result = invoke("--config", str(config), "build", "--now", NOW, "--mbox", str(fifo))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {fifo} is a named pipe, not a regular file; not appending to it"
    assert sent_count(tmp_path) == 0


# ------------------------------------------------------------ headers


def test_bcc_stays_in_the_message_for_sendmail_t_and_cc_shows(invoke, tmp_path):
    """`digest build | sendmail -t` and --pipe: sendmail reads Bcc for the
    envelope and strips it itself."""
    config = config_with(tmp_path, ["Story"], email='cc = ["Team <team@example.org>"]\nbcc = ["archive@example.org"]')
    printed = invoke("--config", str(config), "build", "--now", NOW, "--no-mark-sent")
    message = parse_email(printed.stdout_bytes)
    assert message["Cc"] == "Team <team@example.org>" and message["Bcc"] == "archive@example.org"
    mailed = tmp_path / "mailed.eml"
    command = f"{sys.executable} -c \"import sys; open({str(mailed)!r}, 'wb').write(sys.stdin.buffer.read())\""
    piped = invoke("--config", str(config), "build", "--now", NOW, "--pipe", command)
    assert piped.exit_code == 0, piped.stderr
    assert parse_email(mailed.read_bytes())["Bcc"] == "archive@example.org"


def test_to_on_the_command_line_leaves_the_configs_cc_and_bcc_out(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"], email='cc = ["team@example.org"]\nbcc = ["archive@example.org"]')
    result = invoke("--config", str(config), "build", "--now", NOW, "--no-mark-sent", "--to", "me-only@example.org")
    message = parse_email(result.stdout_bytes)
    assert message["To"] == "me-only@example.org"
    assert message["Cc"] is None and message["Bcc"] is None


def test_list_id_is_stable_and_made_from_the_title(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"])
    ids = {parse_email(invoke("--config", str(config), "build", "--now", NOW, "--no-mark-sent").stdout_bytes)["List-Id"]
           for _ in range(2)}
    assert ids == {"Morning Brief <morning-brief.example.org>"}


@pytest.mark.parametrize(("title", "label", "list_id"), [
    ("Утренний обзор", "Утренний обзор", "digest-{hash}.example.org"),
    ('Café, Kyiv & "friends"', 'Café, Kyiv & "friends"', "cafe-kyiv-friends.example.org"),
    ("Morning Brief, daily", '"Morning Brief, daily"', "morning-brief-daily.example.org"),
])
def test_list_id_of_a_title_with_other_letters(title, label, list_id):
    """The id is ASCII and stable; the label reads as the title once decoded."""
    import hashlib
    from email.message import EmailMessage

    from digest.output.mail import list_id as make

    message = EmailMessage()
    message["List-Id"] = make(title, "example.org")
    assert message.as_bytes().isascii()
    expected = list_id.format(hash=hashlib.sha256(title.encode()).hexdigest()[:12])
    assert parse_email(message.as_bytes())["List-Id"] == f"{label} <{expected}>"
    assert make(title, "example.org") == make(title, "example.org")


@pytest.mark.parametrize(("unsubscribe", "header", "post"), [
    ('"https://example.org/leave?list=brief"', "<https://example.org/leave?list=brief>",
     "List-Unsubscribe=One-Click"),
    ('"leave@example.org"', "<mailto:leave@example.org>", None),
    ('["mailto:leave@example.org", "https://example.org/leave"]',
     "<mailto:leave@example.org>, <https://example.org/leave>", "List-Unsubscribe=One-Click"),
])
def test_list_unsubscribe_only_when_the_config_gives_one(invoke, tmp_path, unsubscribe, header, post):
    plain_config = config_with(tmp_path, ["Story"])
    message = parse_email(invoke("--config", str(plain_config), "build", "--now", NOW, "--no-mark-sent").stdout_bytes)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    config = config_with(tmp_path, ["Story"], email=f"unsubscribe = {unsubscribe}")
    message = parse_email(invoke("--config", str(config), "build", "--now", NOW, "--no-mark-sent").stdout_bytes)
    assert message["List-Unsubscribe"] == header
    assert message["List-Unsubscribe-Post"] == post


@pytest.mark.parametrize(("key", "value", "error"), [
    ("unsubscribe", '"javascript:alert(1)"', "must be an https:// URL or a mail address (mailto:), not "
                                             "'javascript:alert(1)'"),
    ("cc", '["team@example.org\\nBcc: x@evil.example"]', "must be one line, not 'team@example.org\\nBcc: x@evil.example'"),
    ("bcc", "[3]", "must be a list of strings, not 3"),
    ("maildir", '""', "is empty"),
])
def test_bad_email_keys_are_one_line(invoke, tmp_path, key, value, error):
    config = config_with(tmp_path, ["Story"], email=f"{key} = {value}")
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {config}: email.{key}: {error}"


def test_check_describes_a_maildir_and_an_mbox(invoke, tmp_path):
    config = config_with(tmp_path, ["Story"], email='maildir = "Mail"')
    result = invoke("--config", str(config), "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [f"delivery: the Maildir {tmp_path / 'Mail'}",
                                               f"maildir: {tmp_path / 'Mail'} will be made on the first delivery"]
    sent = invoke("--config", str(config), "check", "--send-test", "--now", NOW)
    assert sent.exit_code == 0, sent.stderr
    [message] = list(mailbox.Maildir(tmp_path / "Mail", create=False))
    assert message["Subject"] == "Test message from digest: Morning Brief"
    mbox_config = config_with(tmp_path, ["Story"], email='mbox = "no/such/dir/box"')
    refused = invoke("--config", str(mbox_config), "check")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (f"Error: cannot make the mbox {tmp_path / 'no/such/dir/box'}: the folder "
                                      f"{tmp_path / 'no/such/dir'} does not exist")


def test_an_mbox_append_cut_short_by_a_full_disk_leaves_no_half_message(tmp_path):
    """A disk that fills half-way through the append (here: the file size
    limit, RLIMIT_FSIZE, set just above the mbox's size): the mbox is as it
    was, one line says why, nothing is marked sent. (A failure inside the
    write is undone by the stdlib's mailbox too, so this passed before;
    digest's own cut-back covers a failure at the flush and the close.)"""
    import resource
    import signal
    import subprocess

    config = config_with(tmp_path, ["Story one", "Story two"])
    box = tmp_path / "digest.mbox"
    earlier = b"From someone@example.org Thu Jan  2 07:00:00 2025\nSubject: earlier\n\n" + b"x" * 1_000_000 + b"\n\n"
    box.write_bytes(earlier)
    limit = len(earlier) + 2_000  # the state file stays far below it; the digest (~10 KB) does not fit

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([*DIGEST, "--config", str(config), "--state", str(tmp_path / "state.db"), "build",
                           "--now", NOW, "--mbox", str(box)], capture_output=True, text=True, timeout=120,
                          preexec_fn=small_disk)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"Error: cannot append to the mbox {box}: File too large"
    assert box.read_bytes() == earlier
    assert sent_count(tmp_path) == 0
