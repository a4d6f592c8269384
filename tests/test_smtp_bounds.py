"""SMTP exchanges are bounded whole (issue 23, class 3): a server that
trickles its greeting, one that floods a reply, and a password command
that prints without end each end in one line, in time, in little memory.
The servers are raw sockets on 127.0.0.1 speaking just enough SMTP."""

from __future__ import annotations

import socket
import sys
import threading
import time

from conftest import EXAMPLE_NOW, feeds_config, rss, rss_item


class RawServer:
    """Accepts connections and hands each to `talk(conn)` in a thread."""

    def __init__(self, talk):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.talk = talk
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        try:
            self.talk(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


def trickle_greeting(conn, stop):
    while not stop.is_set():  # "220-" lines one a second, never the last one
        conn.sendall(b"220-still greeting you\r\n")
        time.sleep(1)


def flood_ehlo(conn, stop):
    conn.sendall(b"220 hello\r\n")
    conn.recv(1024)  # EHLO
    line = b"250-" + b"x" * 900 + b"\r\n"
    sent = 0
    while not stop.is_set() and sent < 200 * 1024 * 1024:  # bounded: 200 MB at most
        conn.sendall(line * 64)
        sent += len(line) * 64


def _config(tmp_path, port, extra=""):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("A story", "https://e.example/a")))
    config = feeds_config(tmp_path, [feed.as_uri()], email='from = "Brief <brief@example.org>"')
    config.write_text(config.read_text() + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                      f'timeout = "3s"\n{extra}')
    return config


def test_a_trickled_greeting_ends_at_the_deadline_and_marks_nothing(invoke, tmp_path):
    server = RawServer(trickle_greeting)
    try:
        started = time.monotonic()
        result = invoke("--config", str(_config(tmp_path, server.port)), "build", "--now", EXAMPLE_NOW)
        took = time.monotonic() - started
    finally:
        server.close()
    assert result.exit_code == 1 and took < 20, (took, result.stderr)
    assert "did not finish within 3s (smtp.timeout)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    history = invoke("--config", str(_config(tmp_path, 9)), "history", "--json")
    assert history.stdout.strip() == "[]"


def test_a_flooded_reply_is_cut_at_its_cap(invoke, tmp_path):
    import resource

    server = RawServer(flood_ehlo)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        result = invoke("--config", str(_config(tmp_path, server.port)), "check")
    finally:
        server.close()
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.exit_code == 1
    assert "reply ran past 64 KB" in result.stderr, result.stderr
    assert grown_mb < 50, grown_mb


def test_a_password_command_that_prints_without_end_costs_no_memory(invoke, tmp_path):
    import resource

    loud = f"{sys.executable} -c \\\"import sys; [sys.stdout.write('x' * 1048576) for _ in range(300)]\\\""
    config = _config(tmp_path, 9, extra=f'username = "me"\npassword_command = "{loud}"\n')
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = invoke("--config", str(config), "check")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.exit_code == 1
    assert "printed a first line over 64 KB: not a password" in result.stderr, result.stderr
    assert grown_mb < 50, grown_mb
