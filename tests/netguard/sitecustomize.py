"""The test suite's network guard: nothing a test runs may reach past
127.0.0.x (the captured feeds link to real sites, and a build reads the
article pages of thin stories by default: without this, a test would fetch
theguardian.com, and on a machine without network stall on DNS).

conftest.py installs it in the test process and puts this folder on
PYTHONPATH, so every Python subprocess a test starts (the installed
`digest` command) imports it as its sitecustomize too. A name lookup or a
connection to anything but loopback fails at once with OSError (what
digest meets on a machine without network: the page is left unread, the
card as the feed has it) and is written to the file named by
$DIGEST_TEST_NET_LOG, which conftest reads at the end of the session and
reports; with DIGEST_TEST_NET_STRICT=1 the test that tried fails.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}
attempts: list[str] = []


def _local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _refuse(what: str) -> OSError:
    attempts.append(what)
    log = os.environ.get("DIGEST_TEST_NET_LOG")
    if log:
        try:
            with open(log, "a", encoding="utf-8") as file:
                file.write(f"{os.getpid()} {what}\n")
        except OSError:
            pass
    return OSError(f"test network guard: {what} refused (tests reach only 127.0.0.x)")


def install() -> None:
    if getattr(socket, "_digest_guarded", False):
        return
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            raise _refuse(f"name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) \
                and not _local(address[0]):
            raise _refuse(f"connection to {address[0]}:{address[1]}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket._digest_guarded = True


install()
