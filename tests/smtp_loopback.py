"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd in a thread, with
STARTTLS or implicit TLS under certificates from a CA made in the test
(trustme), a login, and answers a test scripts: 451, 550, a dropped
connection after DATA, a stall.

Run it on its own to try digest by hand (prints the [smtp] table to use):
    python tests/smtp_loopback.py [--tls] [--port 8587] [--refuse]
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd logs each session's deprecation notes at WARNING; the tests read the envelope instead.
logging.getLogger("mail.log").setLevel(logging.ERROR)

USER = "digest"
PASSWORD = "correct horse battery staple"


@dataclass
class Arrived:
    """One message the server accepted, with its envelope."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    content: bytes
    tls: bool
    login: str | None


@dataclass
class Script:
    """How the server answers. Each list is consumed one answer per use;
    when it is empty the server accepts."""

    rcpt: list[str] = field(default_factory=list)  # answers to RCPT TO, in order
    data: list[str] = field(default_factory=list)  # answers to the end of DATA; "drop", "stall" too
    refuse: dict[str, str] = field(default_factory=dict)  # address -> its answer, every time
    eight_bit: bool = True  # offer 8BITMIME after EHLO


class Recorder:
    """The aiosmtpd handler: keeps what arrived and every attempt."""

    def __init__(self, script: Script):
        self.script = script
        self.arrived: list[Arrived] = []
        self.data_commands = 0
        self.rcpt_commands = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.script.eight_bit:
            return responses
        return [line for line in responses if "8BITMIME" not in line]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_commands += 1
        if address in self.script.refuse:
            return self.script.refuse[address]
        if self.script.rcpt:
            return self.script.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        answer = self.script.data.pop(0) if self.script.data else None
        if answer == "drop":
            server.transport.abort()  # the message in, no answer: the connection is gone
            return "250 never seen"
        if answer == "stall":
            await asyncio.sleep(120)
            return "451 4.4.2 too late"
        if answer:
            return answer
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self.lock:
            self.arrived.append(Arrived(envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options),
                                        envelope.original_content or envelope.content,
                                        server.transport.get_extra_info("ssl_object") is not None,
                                        login))
        return "250 2.0.0 queued as 1"


class _Controller(Controller):
    """aiosmtpd's Controller on a port the system picks (port 0)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class LoopbackSmtp:
    controller: _Controller
    recorder: Recorder
    security: str

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def arrived(self) -> list[Arrived]:
        return self.recorder.arrived

    def stop(self) -> None:
        if self.controller._thread is not None:  # not stopped yet
            self.controller.stop()


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        good = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode("utf-8")
                and auth_data.password == password.encode("utf-8"))
        # handled=False: aiosmtpd answers a failure (535) itself only then.
        return AuthResult(success=good, handled=False, auth_data=auth_data if good else None)

    return check


def server_context(cert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


def start_smtp(security: str = "starttls", cert=None, script: Script | None = None, user: str | None = USER,
               password: str = PASSWORD, port: int = 0) -> LoopbackSmtp:
    """security: "starttls" (STARTTLS required before AUTH and MAIL),
    "tls" (TLS from the first byte), or "none" (plain, no login)."""
    recorder = Recorder(script or Script())
    options: dict = {"hostname": "127.0.0.1", "port": port, "server_hostname": "mail.test"}
    if security == "starttls":
        options.update(tls_context=server_context(cert), require_starttls=True)
    elif security == "tls":
        options.update(ssl_context=server_context(cert))
    if user is not None:
        # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too.
        options.update(auth_required=True, authenticator=authenticator(user, password),
                       auth_require_tls=security == "starttls")
    controller = _Controller(recorder, **options)
    controller.start()
    return LoopbackSmtp(controller, recorder, security)


def main() -> None:
    import argparse
    import tempfile
    import time

    import trustme

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tls", action="store_true", help="implicit TLS instead of STARTTLS")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--refuse", action="store_true", help="answer 550 to every recipient")
    parser.add_argument("--save", type=Path, help="write each message that arrives into this folder")
    args = parser.parse_args()
    ca = trustme.CA()
    folder = Path(tempfile.mkdtemp(prefix="smtp-loopback-"))
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    script = Script(rcpt=["550 5.1.1 no such mailbox"] * 10**6 if args.refuse else [])
    server = start_smtp("tls" if args.tls else "starttls", ca.issue_cert("127.0.0.1", "localhost"), script,
                        port=args.port)
    print(f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "{"tls" if args.tls else "starttls"}"\n'
          f'username = "{USER}"\npassword_env = "SMTP_PASSWORD"   # {PASSWORD}\nca_file = "{ca_file}"', flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for message in server.arrived[seen:]:
                seen += 1
                print(f"-- arrived: MAIL FROM {message.mail_from} {' '.join(message.mail_options)}; "
                      f"RCPT TO {', '.join(message.rcpt_tos)}; TLS {message.tls}; login {message.login}",
                      flush=True)
                if args.save:
                    (args.save / f"{seen}.eml").write_bytes(message.content)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
