"""SMTP: connect, secure, log in, send; a refusal said in one line, retried when temporary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

from ..config import SmtpConfig
from ..errors import ConfigError, DeliveryError
from .base import Destination, Outgoing, folded, reason
from .mailboxes import envelope, seven_bit, stored_bytes

# Seconds before the 2nd, 3rd and 4th try after a temporary failure (a 4xx
# answer, a dropped connection); never past the [smtp] timeout.
SMTP_RETRY_DELAYS = (1, 5, 15)
PASSWORD_COMMAND_TIMEOUT = 30  # seconds

T = TypeVar("T")


class _Refusal(Exception):
    """One SMTP exchange failed; temporary ones are tried again."""

    def __init__(self, text: str, temporary: bool):
        super().__init__(text)
        self.text = text
        self.temporary = temporary


class Smtp(Destination):
    """The mail server itself, over smtplib: TLS verified (STARTTLS or
    implicit), a login when the config has a username, the whole delivery
    (retries included) under [smtp] timeout."""

    needs_message = True

    def __init__(self, settings: SmtpConfig, config_path: Path | None = None):
        self.settings = settings
        self.config_path = config_path
        self.name = f"the SMTP server {settings.address}"

    def describe(self) -> str:
        how = {"starttls": "STARTTLS", "tls": "TLS", "none": "no TLS"}[self.settings.security]
        login = f", login as {self.settings.username}" if self.settings.username else ""
        return f"{self.name} ({how}{login})"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        """Delivered once the server accepted the message for at least one
        recipient; the ones it refused are named in the returned warnings."""
        message = outgoing.message
        sender, recipients = envelope(message)
        password = self._password()
        started = time.monotonic()
        deadline = started + self.settings.timeout
        for tries in range(1, len(SMTP_RETRY_DELAYS) + 2):
            try:
                refused = self._exchange(deadline, password, lambda client: _transfer(client, message, sender,
                                                                                      recipients))
                return [f"{self.name} refused the recipient {address} ({_reply(*answer)}); the others got the "
                        "digest, so its stories count as sent" for address, answer in refused.items()]
            except _Refusal as refusal:
                delay = SMTP_RETRY_DELAYS[tries - 1] if tries <= len(SMTP_RETRY_DELAYS) else None
                if not refusal.temporary or delay is None or time.monotonic() + delay >= deadline:
                    if refusal.temporary:
                        raise DeliveryError(f"{refusal.text} (a temporary failure; {tries} "
                                            f"{'try' if tries == 1 else 'tries'} in "
                                            f"{time.monotonic() - started:.0f}s)") from None
                    raise DeliveryError(refusal.text) from None
                if self.notify is not None:
                    left = len(SMTP_RETRY_DELAYS) - tries + 1
                    self.notify(f"{refusal.text}; trying again in {delay}s "
                                f"({left} more {'try' if left == 1 else 'tries'} within {self.settings.timeout:g}s)")
                time.sleep(delay)
        raise AssertionError("unreachable")

    def check(self) -> str:
        """Connect, start TLS and log in; send nothing."""
        password = self._password()
        deadline = time.monotonic() + self.settings.timeout
        try:
            return "smtp: " + self._exchange(deadline, password, self._greeting)
        except _Refusal as refusal:
            raise DeliveryError(refusal.text) from None

    def _greeting(self, client) -> str:
        sock = client.sock
        tls = f"{sock.version()} with a verified certificate" if hasattr(sock, "version") else "no TLS"
        login = f", logged in as {self.settings.username}" if self.settings.username else ""
        return f"connected to {self.settings.address}, {tls}{login}; ready to send"

    def _exchange(self, deadline: float, password: str | None, work: Callable[[object], T]) -> T:
        """Connect, say EHLO, start TLS, log in, do the work, QUIT: all of it
        cut off at the deadline, which a socket timeout alone would not do
        (it bounds each read, and a server may trickle)."""
        import smtplib
        import threading

        settings = self.settings
        left = max(deadline - time.monotonic(), 0.001)
        context = self._tls_context() if settings.security != "none" else None
        plain, implicit_tls = _client_classes()
        # Made without a host, so that connecting and the greeting (a server
        # may trickle "220-" lines for ever) happen under the watchdog.
        client = implicit_tls(context=context, timeout=left) if settings.security == "tls" else plain(timeout=left)
        client._host = settings.host  # what SMTP(host) would set: TLS checks the certificate against it
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _cut, (client,))
        watchdog.daemon = True
        watchdog.start()
        try:
            client.connect(settings.host, settings.port)
            client.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                if not client.has_extn("starttls"):
                    raise _Refusal(f'{self.name} does not offer STARTTLS (security = "starttls"); for a server '
                                   'that speaks TLS from the start (port 465) set security = "tls"', False)
                client.starttls(context=context)
                client.ehlo_or_helo_if_needed()
            if settings.username:
                self._login(client, password)
            result = work(client)
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the server has the message; a lost goodbye changes nothing
            return result
        except _Refusal:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failure(exc, deadline) from None
        finally:
            watchdog.cancel()
            client.close()

    def _failure(self, exc: Exception, deadline: float) -> _Refusal:
        if isinstance(exc, TimeoutError) or time.monotonic() >= deadline - 0.05:
            return _Refusal(f"{self.name} did not finish within {self.settings.timeout:g}s (smtp.timeout)", False)
        return _refusal(self.name, exc)

    def _login(self, client, password: str | None) -> None:
        import base64
        import smtplib

        user = self.settings.username
        if not client.has_extn("auth"):
            raise _Refusal(f"{self.name} offers no login (no AUTH after EHLO); remove smtp.username if it needs "
                           "none", False)
        if (user + (password or "")).isascii():
            client.login(user, password)
            return
        # smtplib encodes logins as ASCII; AUTH PLAIN (RFC 4616) is UTF-8.
        token = base64.b64encode(f"\0{user}\0{password}".encode("utf-8")).decode("ascii")
        code, answer = client.docmd("AUTH", "PLAIN " + token)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, answer)

    def _tls_context(self):
        import ssl

        try:
            return ssl.create_default_context(cafile=str(self.settings.ca_file) if self.settings.ca_file else None)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"cannot read {self.settings.ca_file} as PEM certificates: {reason(exc)}",
                              path=self.config_path, key="smtp.ca_file") from None

    def _password(self) -> str | None:
        """From the command, the environment or the file, read when it is
        needed and kept only in memory."""
        settings = self.settings
        if settings.password_command:
            return _run_password_command(settings.password_command, self.config_path)
        if settings.password_env:
            value = os.environ.get(settings.password_env)
            if not value:
                raise ConfigError(f"the environment variable {settings.password_env} is "
                                  f"{'empty' if value == '' else 'not set'}", path=self.config_path,
                                  key="smtp.password_env")
            return value
        return settings.password


def _run_password_command(command: str, config_path: Path | None) -> str:
    """The first line the command prints (as `pass show` puts the password
    first); run without a shell, its stdin closed, its output capped."""
    import shlex

    words = shlex.split(command)
    try:
        returncode, out, err = _run_capped(words, PASSWORD_COMMAND_TIMEOUT, PASSWORD_COMMAND_MAX_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"cannot run {command!r}: {words[0]} not found", path=config_path,
                          key="smtp.password_command") from None
    except PermissionError:
        raise ConfigError(f"cannot run {command!r}: {words[0]} is not executable", path=config_path,
                          key="smtp.password_command") from None
    except TimeoutError:
        raise DeliveryError(f"smtp.password_command {command!r} did not finish in "
                            f"{PASSWORD_COMMAND_TIMEOUT}s") from None
    if returncode != 0:
        said = folded(err.decode("utf-8", "replace"), 300) or "nothing on stderr"
        raise DeliveryError(f"smtp.password_command {command!r} exited {returncode}: {said}")
    if b"\n" not in out and len(out) >= PASSWORD_COMMAND_MAX_BYTES:
        raise DeliveryError(f"smtp.password_command {command!r} printed a first line over "
                            f"{PASSWORD_COMMAND_MAX_BYTES // 1024} KB: not a password")
    password = out.decode("utf-8", "replace").split("\n", 1)[0].rstrip("\r")
    if not password:
        raise DeliveryError(f"smtp.password_command {command!r} printed no password")
    return password


# One reply of the server, all its lines: a real EHLO reply is under 1 KB;
# a server that floods one must not fill memory.
MAX_REPLY_BYTES = 64 * 1024


class _CappedReader:
    """The reply side of the connection, counting what one reply reads."""

    def __init__(self, raw):
        self.raw = raw
        self.used = 0

    def readline(self, size: int = -1) -> bytes:
        line = self.raw.readline(size)
        self.used += len(line)
        if self.used > MAX_REPLY_BYTES:
            raise OSError(f"its reply ran past {MAX_REPLY_BYTES // 1024} KB")
        return line

    def close(self) -> None:
        self.raw.close()


_CLIENTS: list = []


def _client_classes():
    """smtplib's SMTP and SMTP_SSL, each reply capped at MAX_REPLY_BYTES
    (smtplib caps a line, not how many lines a reply has)."""
    if not _CLIENTS:
        import smtplib

        class Capped:
            def getreply(self):
                if self.file is None:  # made anew after STARTTLS, as smtplib does
                    self.file = _CappedReader(self.sock.makefile("rb"))
                self.file.used = 0
                return super().getreply()

        _CLIENTS[:] = [type("SMTP", (Capped, smtplib.SMTP), {}), type("SMTP_SSL", (Capped, smtplib.SMTP_SSL), {})]
    return _CLIENTS


PASSWORD_COMMAND_MAX_BYTES = 64 * 1024  # of its output kept: the password is its first line


def _run_capped(words: list[str], timeout: float, limit: int) -> tuple[int, bytes, bytes]:
    """Run a command (no shell, stdin closed) and keep at most `limit`
    bytes of its stdout and of its stderr; what is past that is read and
    dropped, so a command that prints gigabytes costs no memory. Kills it
    at the timeout (TimeoutError)."""
    import subprocess
    import threading

    child = subprocess.Popen(words, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    kept: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        head = stream.read(limit)
        while stream.read(65536):
            pass
        kept[name] = head

    readers = [threading.Thread(target=drain, args=(name, stream), daemon=True)
               for name, stream in (("out", child.stdout), ("err", child.stderr))]
    for reader in readers:
        reader.start()
    try:
        returncode = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise TimeoutError from None
    finally:
        for reader in readers:
            reader.join(timeout=5)
    return returncode, kept.get("out", b""), kept.get("err", b"")


def _cut(client) -> None:
    """The deadline: shut the connection under smtplib's feet, so a read
    that is waiting returns at once (on the plain socket: the TLS layer of
    an SSLSocket is left to the thread using it)."""
    import socket

    sock = client.sock
    if sock is not None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


def _transfer(client, message: EmailMessage, sender: str, recipients: list[str]) -> dict:
    """MAIL, RCPT, DATA. smtplib sends the bytes as they are and never says
    BODY=8BITMIME itself: an 8-bit body says so to a server that offers it
    and goes quoted-printable to one that does not."""
    data = stored_bytes(message, "\r\n")
    options = []
    if not data.isascii():
        if client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        else:
            data = stored_bytes(seven_bit(message), "\r\n")
    return client.sendmail(sender, recipients, data, mail_options=options)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return folded(f"{code} {text}", 300)


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _refusal(server: str, exc: Exception) -> _Refusal:
    """What went wrong, in the server's words, on one line; and whether
    trying again later may help."""
    import smtplib
    import ssl

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = exc.recipients.values()
        listed = ", ".join(f"{address} ({_reply(*answer)})" for address, answer in exc.recipients.items())
        return _Refusal(f"{server} refused every recipient: {listed}", any(_temporary(c) for c, _ in answers))
    if isinstance(exc, smtplib.SMTPResponseException):
        what = {smtplib.SMTPAuthenticationError: "refused the login",
                smtplib.SMTPSenderRefused: f"refused the sender {getattr(exc, 'sender', '')}",
                smtplib.SMTPDataError: "refused the message",
                smtplib.SMTPConnectError: "refused the connection",
                smtplib.SMTPHeloError: "refused EHLO"}.get(type(exc), "answered")
        return _Refusal(f"{server} {what}: {_reply(exc.smtp_code, exc.smtp_error)}", _temporary(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPServerDisconnected) and "reply ran past" in str(exc):
        return _Refusal(f"{server}: {str(exc).rpartition(': ')[2]}; not a reply a mail server sends", False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _Refusal(f"{server} closed the connection before it accepted the message", True)
    if isinstance(exc, smtplib.SMTPException):  # e.g. no login method both sides know
        return _Refusal(f"{server}: {exc}", False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = " (set smtp.ca_file to the CA that signed it)" if exc.verify_code in (18, 19, 20, 21) else ""
        return _Refusal(f"the TLS certificate of {server} does not verify: {exc.verify_message}{hint}", False)
    if isinstance(exc, ssl.SSLError):
        return _Refusal(f"TLS with {server} failed: {exc.reason or exc} (is smtp.security right for port "
                        f"{server.rpartition(':')[2]}? 465 takes \"tls\", 587 \"starttls\")", False)
    if isinstance(exc, ConnectionRefusedError):
        return _Refusal(f"{server} refused the connection (is anything listening there?)", True)
    return _Refusal(f"cannot reach {server}: {reason(exc)}", True)
