"""SMTP delivery against real servers on 127.0.0.1 (aiosmtpd, certificates
from a CA made for the run): what arrived, part by part, and its envelope;
temporary and permanent refusals, drops, stalls, TLS that does not verify,
the password kept out of everything digest writes; and `digest check`."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
import time
from pathlib import Path

import pytest

from conftest import feeds_config, parse_email, rss, rss_item
from smtp_loopback import PASSWORD, USER, Script

NOW = "2025-01-02T20:00:00Z"
TITLES = ["Café owners in Kyiv reopen after the blackout", "Second story"]


def smtp_table(server, ca: Path, **keys) -> str:
    values = {"host": "127.0.0.1", "port": server.port, "security": server.security, "username": USER,
              "password_env": "DIGEST_TEST_SMTP_PASSWORD", "ca_file": str(ca), **keys}
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items() if value is not None]
    return "\n[smtp]\n" + "\n".join(lines) + "\n"


def smtp_config(tmp_path: Path, server, ca: Path, titles=TITLES, email: str = "", **keys) -> Path:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(*(rss_item(t, f"https://e.example/{i}", guid=f"g{i}") for i, t in enumerate(titles))))
    config = feeds_config(tmp_path, [feed], extra=f'title = "Morning Brief"\nstate = "{tmp_path / "state.db"}"',
                          email=f'from = "Morning Brief <brief@example.org>"\n{email}')
    config.write_text(config.read_text() + smtp_table(server, ca, **keys))
    return config


@pytest.fixture(autouse=True)
def password_in_env(monkeypatch):
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", PASSWORD)


def sent_count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "state.db") as db:
        return db.execute("SELECT count(*) FROM items WHERE sent_build IS NOT NULL").fetchone()[0]


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# ------------------------------------------------------------ delivered


def test_build_sends_over_starttls_with_login_and_the_next_build_sends_nothing(invoke, tmp_path, smtp_server,
                                                                                 smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file,
                         email='cc = ["Team <team@example.org>"]\nbcc = "archive@example.org"')
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    [arrived] = server.arrived
    assert arrived.tls and arrived.login == USER
    assert arrived.mail_from == "brief@example.org"
    assert arrived.rcpt_tos == ["me@example.org", "team@example.org", "archive@example.org"]
    assert "BODY=8BITMIME" in arrived.mail_options  # the text part is 8-bit: "Café"
    message = parse_email(arrived.content)
    assert message["Bcc"] is None and b"archive@example.org" not in arrived.content
    assert message["To"] == "me@example.org" and message["Cc"] == "Team <team@example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Id"] == "Morning Brief <morning-brief.example.org>"
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "8bit"
    assert "Café owners in Kyiv" in text.get_content()
    assert "Café owners in Kyiv" in message.get_body(("html",)).get_content()
    assert sent_count(tmp_path) == 2

    again = invoke("--config", str(config), "build", "--now", NOW)
    assert again.exit_code == 0 and "Nothing new" in again.stderr
    assert len(server.arrived) == 1


def test_a_server_without_8bitmime_gets_the_text_part_quoted_printable(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls", script=Script(eight_bit=False))
    config = smtp_config(tmp_path, server, smtp_ca.file)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    [arrived] = server.arrived
    assert not any(option.startswith("BODY=") for option in arrived.mail_options)
    assert arrived.content.isascii()
    text = parse_email(arrived.content).get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Café owners in Kyiv" in text.get_content()


def test_implicit_tls(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("tls")
    config = smtp_config(tmp_path, server, smtp_ca.file)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    [arrived] = server.arrived
    assert arrived.tls and arrived.login == USER
    assert sent_count(tmp_path) == 2


def test_no_tls_and_no_login_to_a_server_on_this_machine(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("none", user=None)
    config = smtp_config(tmp_path, server, smtp_ca.file, username=None, password_env=None, ca_file=None)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    [arrived] = server.arrived
    assert not arrived.tls and arrived.login is None


def test_a_non_ascii_password_logs_in(invoke, tmp_path, smtp_server, smtp_ca, monkeypatch):
    """smtplib encodes a login as ASCII; AUTH PLAIN is UTF-8."""
    server = smtp_server("starttls", password="pässwörd-ключ")
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", "pässwörd-ключ")
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert server.arrived[0].login == USER


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_a_temporary_refusal_is_tried_again(invoke, tmp_path, smtp_server, smtp_ca, where):
    """Greylisting (451 at RCPT), a full queue (451 after DATA): the next try goes through."""
    script = Script(**{where: ["451 4.7.1 greylisted, try again later"]})
    server = smtp_server("starttls", script=script)
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert len(server.arrived) == 1
    assert (server.recorder.rcpt_commands if where == "rcpt" else server.recorder.data_commands) == 2
    assert sent_count(tmp_path) == 2


@pytest.mark.parametrize(("script", "reason"), [
    (Script(rcpt=["451 4.3.0 queue full"] * 10), "refused every recipient: me@example.org (451 4.3.0 queue full)"),
    (Script(data=["drop"] * 10), "closed the connection before it accepted the message"),
], ids=["451", "drop"])
def test_temporary_failures_past_the_timeout_give_up_and_mark_nothing(invoke, tmp_path, smtp_server, smtp_ca,
                                                                       script, reason):
    server = smtp_server("starttls", script=script)
    config = smtp_config(tmp_path, server, smtp_ca.file, timeout="3s")
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (f"Error: the SMTP server 127.0.0.1:{server.port} {reason} "
                                      "(a temporary failure; 2 tries in 1s)")
    # The third try would have started past the timeout (after 1 s and 5 s more).
    assert server.recorder.rcpt_commands == 2
    assert sent_count(tmp_path) == 0


def test_a_permanent_refusal_fails_at_once_and_marks_nothing(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls", script=Script(data=["550 5.7.1 message content rejected"]))
    config = smtp_config(tmp_path, server, smtp_ca.file)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (f"Error: the SMTP server 127.0.0.1:{server.port} refused the message: "
                                      "550 5.7.1 message content rejected")
    assert server.recorder.data_commands == 1
    assert sent_count(tmp_path) == 0
    retry = invoke("--config", str(config), "build", "--now", NOW)  # the server takes it now
    assert retry.exit_code == 0, retry.stderr
    assert "Café owners" in parse_email(server.arrived[0].content).get_body(("plain",)).get_content()


def test_a_connection_dropped_after_data_is_tried_again(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls", script=Script(data=["drop"]))
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert server.recorder.data_commands == 2 and len(server.arrived) == 1
    assert sent_count(tmp_path) == 2


def test_a_stalled_server_is_cut_off_at_the_timeout(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls", script=Script(data=["stall"]))
    config = smtp_config(tmp_path, server, smtp_ca.file, timeout="2s")
    started = time.monotonic()
    result = invoke("--config", str(config), "build", "--now", NOW)
    took = time.monotonic() - started
    assert result.exit_code == 1
    assert one_line_error(result) == (f"Error: the SMTP server 127.0.0.1:{server.port} did not finish within 2s "
                                      "(smtp.timeout)")
    assert took < 10  # the server would have stalled for 120 s
    assert sent_count(tmp_path) == 0


def test_a_recipient_refused_while_others_got_it_is_named_and_the_stories_count_as_sent(invoke, tmp_path,
                                                                                        smtp_server, smtp_ca):
    server = smtp_server("starttls", script=Script(refuse={"gone@example.org": "550 5.1.1 no such mailbox"}))
    config = smtp_config(tmp_path, server, smtp_ca.file, email='cc = ["gone@example.org", "team@example.org"]')
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == (
        f"warning: the SMTP server 127.0.0.1:{server.port} refused the recipient gone@example.org "
        "(550 5.1.1 no such mailbox); the others got the digest, so its stories count as sent")
    [arrived] = server.arrived
    assert arrived.rcpt_tos == ["me@example.org", "team@example.org"]
    assert sent_count(tmp_path) == 2


# ------------------------------------------------------------ refused before sending


def test_a_wrong_password_exits_1_and_marks_nothing(invoke, tmp_path, smtp_server, smtp_ca, monkeypatch):
    server = smtp_server("starttls")
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", "not the password")
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 1
    line = one_line_error(result)
    assert line.startswith(f"Error: the SMTP server 127.0.0.1:{server.port} refused the login: 535 ")
    assert "not the password" not in result.stderr
    assert server.arrived == [] and sent_count(tmp_path) == 0


def test_a_certificate_from_an_unknown_ca_does_not_verify(invoke, tmp_path, smtp_server, smtp_ca):
    import trustme

    stranger = trustme.CA().issue_cert("127.0.0.1")
    server = smtp_server("starttls", cert=stranger)
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (
        f"Error: the TLS certificate of the SMTP server 127.0.0.1:{server.port} does not verify: unable to get "
        "local issuer certificate (set smtp.ca_file to the CA that signed it)")
    assert server.arrived == [] and sent_count(tmp_path) == 0


def test_a_certificate_for_another_host_does_not_verify(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("tls", cert=smtp_ca.ca.issue_cert("mail.example.org"))
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "build", "--now", NOW)
    assert result.exit_code == 1
    assert "does not verify: IP address mismatch, certificate is not valid for '127.0.0.1'" in one_line_error(result)
    assert sent_count(tmp_path) == 0


def test_the_system_cas_do_not_vouch_for_a_private_ca(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file, ca_file=None)), "build", "--now", NOW)
    assert result.exit_code == 1 and "does not verify" in one_line_error(result)


def test_starttls_asked_of_a_server_that_does_not_offer_it(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("none", user=None)
    config = smtp_config(tmp_path, server, smtp_ca.file, security="starttls")
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (
        f'Error: the SMTP server 127.0.0.1:{server.port} does not offer STARTTLS (security = "starttls"); for a '
        'server that speaks TLS from the start (port 465) set security = "tls"')
    assert sent_count(tmp_path) == 0


def test_tls_asked_of_a_starttls_port(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file, security="tls")), "build",
                    "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (
        f"Error: TLS with the SMTP server 127.0.0.1:{server.port} failed: WRONG_VERSION_NUMBER (is smtp.security "
        f'right for port {server.port}? 465 takes "tls", 587 "starttls")')
    assert sent_count(tmp_path) == 0


def test_nothing_listening_is_tried_again_then_named(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, timeout="2s")
    server.stop()
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (f"Error: the SMTP server 127.0.0.1:{server.port} refused the connection (is "
                                      "anything listening there?) (a temporary failure; 2 tries in 1s)")


# ------------------------------------------------------------ the password


@pytest.mark.parametrize("source", ["command", "env", "file"])
def test_the_password_is_never_written_anywhere(runner, tmp_path, smtp_server, smtp_ca, monkeypatch, source):
    """Not on stdout or stderr (also with --traceback, also when the login
    fails), not in the state file, not in any file digest leaves behind."""
    import base64
    import traceback

    from digest.cli import cli

    secret = "Sup3r-s3cret-ŝibbolet"
    server = smtp_server("starttls", password=secret)
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", secret)
    keys = {"command": {"password_env": None, "password_command": f"{sys.executable} -c \"print('{secret}')\""},
            "env": {}, "file": {"password_env": None, "password": secret}}[source]
    config = smtp_config(tmp_path, server, smtp_ca.file, timeout="5s", **keys)
    config.chmod(0o600)
    outputs = []

    def run(*args: str) -> None:
        done = runner.invoke(cli, ["--config", str(config), *args, "--now", NOW])
        outputs.append(done.stdout_bytes + done.stderr_bytes + str(done.exception or "").encode())
        if done.exc_info and done.exc_info[0] is not SystemExit:
            outputs.append("".join(traceback.format_exception(*done.exc_info)).encode())

    for args in (["build"], ["--traceback", "build"], ["check"], ["--traceback", "check", "--send-test"]):
        run(*args)
    assert len(server.arrived) == 2  # the digest and the test message
    refusing = smtp_server("starttls", password="something else")
    config.write_text(config.read_text().replace(f"port = {server.port}", f"port = {refusing.port}"))
    (tmp_path / "feed.xml").write_text(rss(rss_item("New story", "https://e.example/new", guid="new")))
    for args in (["build"], ["--traceback", "build"], ["--traceback", "check"], ["-v", "check", "--send-test"]):
        run(*args)
    assert refusing.arrived == [] and any(b"refused the login: 535" in output for output in outputs)
    raw = secret.encode("utf-8")
    needles = (raw, raw.hex().encode(), base64.b64encode(raw)[:12], secret.encode("unicode_escape"))
    for output in outputs:
        assert not any(needle in output for needle in needles), output[-2000:]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != config:
            data = path.read_bytes()
            assert not any(needle in data for needle in needles), path


def test_a_password_in_a_file_others_can_read_is_refused_without_showing_it(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, password_env=None, password=PASSWORD)
    config.chmod(0o644)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == (
        f"Error: {config}: smtp.password: the file may be read by others (mode 0644); a password belongs only in "
        f"a file no one else can read (chmod 600 {config}), or use password_command or password_env")
    assert PASSWORD not in result.stderr and server.arrived == []
    config.chmod(0o600)
    assert invoke("--config", str(config), "build", "--now", NOW).exit_code == 0
    assert len(server.arrived) == 1


def test_a_password_that_is_not_a_string_is_not_shown_either(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, password_env=None, password=739184)
    config.chmod(0o600)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == f"Error: {config}: smtp.password: must be a non-empty string"


def test_a_password_env_that_is_not_set_is_a_config_error(invoke, tmp_path, smtp_server, smtp_ca, monkeypatch):
    server = smtp_server("starttls")
    monkeypatch.delenv("DIGEST_TEST_SMTP_PASSWORD")
    config = smtp_config(tmp_path, server, smtp_ca.file)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == (f"Error: {config}: smtp.password_env: the environment variable "
                                      "DIGEST_TEST_SMTP_PASSWORD is not set")
    assert sent_count(tmp_path) == 0


def test_a_password_command_that_fails_marks_nothing(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    command = f"{sys.executable} -c \"import sys; sys.exit('gpg: decryption failed: No secret key')\""
    config = smtp_config(tmp_path, server, smtp_ca.file, password_env=None, password_command=command)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 1
    assert one_line_error(result) == (f"Error: smtp.password_command {command!r} exited 1: gpg: decryption "
                                      "failed: No secret key")
    missing = smtp_config(tmp_path, server, smtp_ca.file, password_env=None, password_command="no-such-pass show x")
    result = invoke("--config", str(missing), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == (f"Error: {missing}: smtp.password_command: cannot run 'no-such-pass show x': "
                                      "no-such-pass not found")
    assert server.arrived == [] and sent_count(tmp_path) == 0


# ------------------------------------------------------------ config


@pytest.mark.parametrize(("keys", "error"), [
    ({"host": "smtp.example.org", "security": "none"},
     'smtp.security: "none" would send the mail (and any password) in the clear; it is allowed only for a server '
     'on this machine (localhost, 127.0.0.1, ::1), not smtp.example.org: use "starttls" or "tls"'),
    ({"security": "ssl"}, "smtp.security: must be one of 'starttls', 'tls', 'none', not 'ssl'"),
    ({"host": None}, "smtp.host: is missing"),
    ({"port": 70000}, "smtp.port: must be between 1 and 65535, not 70000"),
    ({"password_env": None}, 'smtp.username: needs a password: set password_command (e.g. "pass show mail"), '
                             "password_env or password"),
    ({"username": None}, "smtp.username: is missing (smtp.password_env is set)"),
    ({"password_command": "pass show mail"},
     "smtp.password_env: give one of password_command, password_env and password, not password_command and "
     "password_env"),
    ({"ca_file": "no-such-ca.pem"}, "smtp.ca_file: no such file: {tmp}/no-such-ca.pem"),
    ({"timeout": "soon"}, "smtp.timeout: not a duration: 'soon' (use e.g. 24h, 3d, 90m, 15s)"),
    ({"passwrd": "x"}, "smtp.passwrd: unknown key (did you mean 'password'?)"),
], ids=["none-remote", "security", "host", "port", "no-password", "no-username", "two-sources", "ca-file",
        "timeout", "typo"])
def test_a_bad_smtp_table_is_one_line_exit_2(invoke, tmp_path, smtp_server, smtp_ca, keys, error):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, **keys)
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == f"Error: {config}: {error.format(tmp=tmp_path)}"


def test_two_ways_of_sending_in_the_config_are_refused(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, email='command = "sendmail -t"')
    result = invoke("--config", str(config), "build", "--now", NOW)
    assert result.exit_code == 2
    assert one_line_error(result) == (f"Error: {config}: [smtp] and email.command both say where the mail goes; "
                                      "keep one")


@pytest.mark.parametrize("flag", ["--stdout", "-o", "--pipe"])
def test_a_flag_wins_over_smtp_so_one_can_look_first(invoke, tmp_path, smtp_server, smtp_ca, flag):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file)
    kept = tmp_path / "kept.eml"
    extra = {"--stdout": [], "-o": [str(kept)],
             "--pipe": [f"{sys.executable} -c \"import sys; open({str(kept)!r}, 'wb').write(sys.stdin.buffer.read())\""]}
    result = invoke("--config", str(config), "build", "--now", NOW, flag, *extra[flag])
    assert result.exit_code == 0, result.stderr
    data = result.stdout_bytes if flag == "--stdout" else kept.read_bytes()
    message = parse_email(data)
    assert "Café owners" in message.get_body(("plain",)).get_content()
    assert server.arrived == []


# ------------------------------------------------------------ digest check


def test_check_logs_in_and_sends_nothing(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, email='bcc = ["archive@example.org"]')
    result = invoke("--config", str(config), "check")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"config: {config}",
        f"state: {tmp_path / 'state.db'}",
        "feeds: 1",
        "mail: from Morning Brief <brief@example.org> to me@example.org; bcc archive@example.org",
        f"delivery: the SMTP server 127.0.0.1:{server.port} (STARTTLS, login as {USER})",
        f"smtp: connected to 127.0.0.1:{server.port}, TLSv1.3 with a verified certificate, logged in as {USER}; "
        "ready to send",
    ]
    assert server.arrived == [] and server.recorder.rcpt_commands == 0


def test_check_send_test_mails_a_short_message(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, email='cc = ["team@example.org"]')
    result = invoke("--config", str(config), "check", "--send-test", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (f"test message: delivered to the SMTP server 127.0.0.1:{server.port} "
                                              "for me@example.org, team@example.org")
    [arrived] = server.arrived
    assert arrived.rcpt_tos == ["me@example.org", "team@example.org"]
    message = parse_email(arrived.content)
    assert message["Subject"] == "Test message from digest: Morning Brief"
    assert message["Auto-Submitted"] == "auto-generated" and message["List-Id"]
    assert "digest check --send-test" in message.get_content()
    assert sent_count(tmp_path) == 0 if (tmp_path / "state.db").exists() else True


def test_check_names_a_refusing_server_with_exit_1(invoke, tmp_path, smtp_server, smtp_ca, monkeypatch):
    server = smtp_server("starttls")
    monkeypatch.setenv("DIGEST_TEST_SMTP_PASSWORD", "wrong")
    result = invoke("--config", str(smtp_config(tmp_path, server, smtp_ca.file)), "check")
    assert result.exit_code == 1
    assert one_line_error(result).startswith(f"Error: the SMTP server 127.0.0.1:{server.port} refused the login: 535")
    assert result.stdout.splitlines()[-1].startswith("delivery: the SMTP server")


def test_check_lists_every_config_problem_with_exit_2(invoke, tmp_path):
    config = tmp_path / "digest.toml"
    config.write_text('[email]\ncommand = "no-such-sendmail -t"\n')
    result = invoke("--config", str(config), "check")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "warning: the From address 'digest <digest@localhost>' is one only this machine knows: most mail providers "
        "(Gmail, Fastmail...) refuse or rewrite mail from it; set `from` in the [email] table to an address of yours",
        f"Error: {config}: no [[feeds]] to read (add one with `digest feeds add URL`)",
        f"Error: {config}: no recipient: set `to` in the [email] table",
        "Error: cannot run the mail command 'no-such-sendmail -t': no-such-sendmail not found",
    ]
    assert "delivery: the mail command 'no-such-sendmail -t'" in result.stdout


def test_check_of_a_config_that_does_not_load_is_one_line(invoke, tmp_path):
    config = tmp_path / "digest.toml"
    config.write_text('[smtp]\nhost = "smtp.example.org"\nsecurity = "none"\n')
    result = invoke("--config", str(config), "check")
    assert result.exit_code == 2
    assert one_line_error(result).startswith(f'Error: {config}: smtp.security: "none" would send the mail')
    assert result.stdout == ""


def test_check_send_test_with_nothing_to_send_through(invoke, tmp_path):
    config = feeds_config(tmp_path, ["https://e.example/rss"], email='from = "Brief <brief@example.org>"')
    result = invoke("--config", str(config), "check", "--send-test")
    assert result.exit_code == 2
    assert one_line_error(result) == (f"Error: {config}: --send-test: nothing to send through; the digest goes to "
                                      "stdout (set [smtp], or command, maildir or mbox in [email])")
    assert "delivery: stdout (for `digest build | sendmail -t`)" in result.stdout


def test_the_config_file_keeps_its_owner_only_mode_through_feed_edits(invoke, tmp_path, smtp_server, smtp_ca):
    server = smtp_server("starttls")
    config = smtp_config(tmp_path, server, smtp_ca.file, password_env=None, password="in-the-file")
    config.chmod(0o600)
    feed = tmp_path / "other.xml"
    feed.write_text(rss(rss_item("Other", "https://e.example/other"), title="Other"))
    assert invoke("--config", str(config), "feeds", "add", str(feed)).exit_code == 0
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert 'password = "in-the-file"' in config.read_text()
