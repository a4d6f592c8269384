"""Every way the product leaves digest, and the one protocol they share.

The destinations: stdout, `-o FILE`, a mail command (`--pipe`, `[email]
command`), an SMTP server (`[smtp]`), a Maildir (`--maildir`, `[email]
maildir`) and an mbox file (`--mbox`, `[email] mbox`). Each delivers the
whole product or raises an OutputError; none is left half done.

Around them, one protocol (`send`): claim the digest's items in the store,
deliver, then confirm them as sent, or release them when delivery failed. A
build killed in between is settled by the next one (`settle_unfinished`),
and one sending build runs at a time (`build_lock`).
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import select
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO, TypeVar

from .config import Config, SmtpConfig
from .errors import ConfigError, DeliveryError, DigestError, OutputError, UsageError
from .models import Digest
from .store import Store, this_host

# ---------------------------------------------------------------- what leaves


@dataclass(frozen=True)
class Outgoing:
    """The product, ready to leave: its bytes, and for --format email the
    message they were made from (SMTP and the mailboxes need its parts)."""

    data: bytes
    message: EmailMessage | None = None

    @classmethod
    def email(cls, message: EmailMessage) -> Outgoing:
        return cls(message.as_bytes(), message)


class Destination:
    """Where the product goes. `deliver` takes all of it or raises
    OutputError, and returns warnings for the user (a refused recipient)."""

    name = ""
    needs_message = False  # takes an email only, not --format html/json/...
    proof: Path | None = None  # a file whose whole presence proves delivery (-o)

    def describe(self) -> str:
        return self.name

    def deliver(self, outgoing: Outgoing) -> list[str]:
        raise NotImplementedError

    def check(self) -> str | None:
        """`digest check`: a line saying the destination is usable, or a
        DigestError saying why not. Sends nothing."""
        return None


@dataclass(frozen=True)
class Asked:
    """The destination flags of the command line; at most one is given."""

    output: Path | None = None
    pipe: str | None = None
    maildir: Path | None = None
    mbox: Path | None = None
    stdout: bool = False


_FLAGS = {"output": "-o/--output", "pipe": "--pipe", "maildir": "--maildir", "mbox": "--mbox", "stdout": "--stdout"}


def choose_destination(config: Config, fmt: str, asked: Asked, stdout: BinaryIO, *,
                       configured: bool = True) -> Destination:
    """A flag wins; else, for an email, what the config names ([smtp],
    [email] command, maildir or mbox); else stdout. `configured=False`
    ignores the config (a replay is looked at, not sent again)."""
    given = [name for name in _FLAGS if getattr(asked, name)]
    if len(given) > 1:
        raise UsageError(f"{_FLAGS[given[0]]} and {_FLAGS[given[1]]} exclude each other: the digest goes to one place")
    if given:
        destination = {
            "output": lambda: OutputFile(asked.output),
            "pipe": lambda: MailCommand(asked.pipe),
            "maildir": lambda: Maildir(asked.maildir),
            "mbox": lambda: Mbox(asked.mbox),
            "stdout": lambda: Stdout(stdout),
        }[given[0]]()
        if destination.needs_message and fmt != "email":
            raise UsageError(f"{_FLAGS[given[0]]} takes an email, not --format {fmt}")
        return destination
    if fmt == "email" and configured:
        return configured_destination(config) or Stdout(stdout)
    return Stdout(stdout)


def configured_destination(config: Config) -> Destination | None:
    """The one destination the config names, None when it names none."""
    email = config.email
    named = [(key, make) for key, value, make in (
        ("[smtp]", config.smtp, lambda: Smtp(config.smtp, config.path)),
        ("email.command", email.command, lambda: MailCommand(email.command)),
        ("email.maildir", email.maildir, lambda: Maildir(email.maildir)),
        ("email.mbox", email.mbox, lambda: Mbox(email.mbox)),
    ) if value]
    if len(named) > 1:
        raise ConfigError(f"{named[0][0]} and {named[1][0]} both say where the mail goes; keep one", path=config.path)
    return named[0][1]() if named else None


# ---------------------------------------------------------------- digest check


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)  # what digest would do
    problems: list[DigestError] = field(default_factory=list)  # one line each


def check_setup(config: Config, now: datetime, send_test: bool = False) -> CheckReport:
    """What a build would do with this config, and what stops it: feeds,
    recipients, the destination (an SMTP server is logged in to, sending
    nothing unless send_test)."""
    from .render import Addressing, check_email

    report = CheckReport()
    email = config.email
    report.lines.append(f"feeds: {len(config.feeds)}")
    if not config.feeds:
        report.problems.append(ConfigError("no [[feeds]] to read (add one with `digest feeds add URL`)",
                                           path=config.path))
    copies = "".join(f"; {name} {', '.join(listed)}" for name, listed in (("cc", email.cc), ("bcc", email.bcc))
                     if listed)
    report.lines.append(f"mail: from {email.from_} to {', '.join(email.to) or 'nobody'}{copies}")
    if not email.recipients:
        report.problems.append(ConfigError("no recipient: set `to` in the [email] table", path=config.path))
    try:
        destination = configured_destination(config) or Stdout(None)
        report.lines.append(f"delivery: {destination.describe()}")
        line = destination.check()
        if line:
            report.lines.append(line)
        if send_test and email.recipients:
            if isinstance(destination, Stdout):
                raise ConfigError("--send-test: nothing to send through; the digest goes to stdout (set [smtp], "
                                  "or command, maildir or mbox in [email])", path=config.path)
            message = check_email(Addressing(config.title, email.from_, email.to, email.cc, email.bcc,
                                             email.unsubscribe), now, destination.name)
            notes = destination.deliver(Outgoing.email(message))
            report.lines.append(f"test message: delivered to {destination.name} for {', '.join(email.recipients)}")
            report.lines += [f"test message: {note}" for note in notes]
    except DigestError as exc:
        report.problems.append(exc)
    return report


# ---------------------------------------------------------------- the protocol


def send(store: Store, digest: Digest, outgoing: Outgoing, destination: Destination) -> list[str]:
    """Claim the digest's items, deliver, then confirm them as sent.

    If delivery fails, the claim is released and the next build sends the
    same stories. If the process dies in between, the next build settles the
    claim (settle_unfinished). Returns the destination's warnings.
    """
    from .render import digest_as_dict

    items = [item for story in digest.stories for item in story.items]
    snapshot = json.dumps(digest_as_dict(digest), ensure_ascii=False)
    proof = destination.proof
    build = store.claim(
        items, digest.generated_at, digest.since, digest.subject, snapshot,
        output=str(Path(proof).resolve()) if proof else None,
        output_sha256=hashlib.sha256(outgoing.data).hexdigest() if proof else None,
    )
    try:
        notes = destination.deliver(outgoing)
    except BaseException:
        store.release(build)
        raise
    store.confirm(build)
    return notes


def settle_unfinished(store: Store) -> list[str]:
    """Builds that died between claiming and confirming: a build that wrote
    its -o file in full counts as sent (the file is the delivery); any other
    releases its stories to be sent again. Returns a note per build."""
    notes = []
    for pending in store.pending_builds():
        if pending.output and _sha256_of(Path(pending.output)) == pending.output_sha256:
            store.confirm(pending.id)
            notes.append(f"build {pending.id} was interrupted after writing {pending.output}; "
                         "its stories count as sent")
        else:
            store.release(pending.id)
            notes.append(f"build {pending.id} was interrupted before its digest was delivered; "
                         "its stories will be sent again")
    return notes


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class BuildLocked(DigestError):
    """Another build is sending; this one wrote nothing. Not a failure."""

    exit_code = 0


@contextmanager
def build_lock(store: Store, wait: timedelta) -> Iterator[None]:
    """Hold the store's build lock, waiting at most `wait` for another
    sending build to finish. A holder that died is taken over."""
    pid, host = os.getpid(), this_host()
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        holder = store.try_lock(pid, host, datetime.now(timezone.utc), LOCK_STALE_AFTER)
        if holder is None:
            break
        if time.monotonic() >= deadline:
            raise BuildLocked(
                f"another build (pid {holder.pid} on {holder.hostname}, since "
                f"{holder.since:%Y-%m-%d %H:%M:%S} UTC) holds the lock; nothing written"
            )
        time.sleep(0.2)
    try:
        yield
    finally:
        store.unlock(pid, host)


# A lock older than this is taken over even when its holder cannot be
# checked (another host sharing the state file).
LOCK_STALE_AFTER = timedelta(hours=6)


# ---------------------------------------------------------------- stdout and files

# Seconds a reader (the mail command, whatever reads our stdout pipe) gets
# to take the whole digest; sendmail normally takes well under one.
DELIVERY_TIMEOUT = 300


class Stdout(Destination):
    name = "stdout"

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def describe(self) -> str:
        return "stdout (for `digest build | sendmail -t`)"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        write_output(outgoing.data, None, self.stream)
        return []


class OutputFile(Destination):
    def __init__(self, path: Path):
        self.path = self.proof = Path(path)
        self.name = f"the file {path}"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        write_atomically(self.path, outgoing.data)
        return []


class NotReceived(Exception):
    """The reader of a pipe left (or stalled) before it read every byte."""


def write_output(data: bytes, path: Path | None, stdout: BinaryIO) -> None:
    """Write the whole product, or raise OutputError. A file is written
    atomically (temp file + rename), so a reader never sees half a digest."""
    if path is None:
        try:
            send_all(stdout, data, time.monotonic() + DELIVERY_TIMEOUT)
        except (OSError, NotReceived) as exc:
            raise OutputError(f"could not write the digest to stdout: {_reason(exc)}") from None
        return
    write_atomically(Path(path), data)


def send_all(stream: BinaryIO, data: bytes, deadline: float) -> None:
    """Every byte of data into the stream, or OSError / NotReceived.

    A raw stream (`python -u`, PYTHONUNBUFFERED) may take only part of a
    write without raising: 65,536 of 130,438 bytes into a pipe. Into a pipe,
    "written" is not "received" either: a reader that exits 0 after 100
    bytes leaves the rest in the pipe, so wait until the pipe is empty.
    """
    fd = _fileno(stream)
    if fd is not None and stat.S_ISFIFO(os.fstat(fd).st_mode):
        stream.flush()
        _write_pipe(fd, data, deadline)
        _wait_until_read(fd, len(data), deadline)
        return
    view = memoryview(data)
    while view:
        taken = stream.write(view)
        if not taken:
            raise OSError(errno.EIO, "the output took none of the data")
        view = view[taken:]
    stream.flush()
    if fd is not None and stat.S_ISREG(os.fstat(fd).st_mode):
        os.fsync(fd)  # a full disk may only say so now (NFS, quotas)


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _fileno(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _write_pipe(fd: int, data: bytes, deadline: float) -> None:
    """Into a pipe, never blocked past the deadline: wait until it has room,
    then write at most PIPE_BUF bytes, which a pipe with room takes whole."""
    view = memoryview(data)
    while view:
        _wait_for(fd, select.POLLOUT, deadline)
        try:
            view = view[os.write(fd, view[: select.PIPE_BUF]):]
        except BlockingIOError:  # someone made the pipe non-blocking; wait again
            continue


def _wait_until_read(fd: int, size: int, deadline: float) -> None:
    """Return once the pipe's reader has read everything we wrote."""
    while (unread := _unread(fd)):
        left = deadline - time.monotonic()
        if left <= 0:
            raise NotReceived(f"the reader took {size - unread:,} of {size:,} bytes "
                              f"in {DELIVERY_TIMEOUT}s and no more")
        # With no events asked, poll wakes only for POLLERR: the reader is gone.
        gone = _poll(fd, 0, min(left, 0.05))
        if gone and (unread := _unread(fd)):
            raise NotReceived(f"the reader exited after {size - unread:,} of {size:,} bytes")


def _unread(fd: int) -> int:
    """Bytes in the pipe nobody has read yet (Linux FIONREAD works on either
    end); 0 where the system cannot tell."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, count, True)
    except OSError:
        return 0
    return count[0]


def _wait_for(fd: int, events: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0 or not _poll(fd, events, left):
        raise NotReceived(f"the reader took nothing more for {DELIVERY_TIMEOUT}s")


def _poll(fd: int, events: int, seconds: float) -> bool:
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(max(seconds, 0.001) * 1000))


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a reader sees the old
    file or the whole new one. An existing file keeps its permissions.

    A symlink is written through (dotfiles managers link the config in),
    and anything but a regular file is refused, never replaced: as root,
    `-o /dev/sda` would otherwise swap a device node for a digest.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = _regular_file_mode(path, target)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644 & ~_umask() if mode is None else mode)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def _regular_file_mode(path: Path, target: Path, doing: str = "replacing") -> int | None:
    """The permissions of the file at target, None when there is none yet;
    UsageError when something other than a regular file is there."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        through = f" (a link to {target})" if target != Path(os.path.abspath(path)) else ""
        raise UsageError(f"{path}{through} is {_file_kind(info.st_mode)}, not a regular file; not {doing} it")
    return info.st_mode & 0o777


def _file_kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_folder(folder: Path) -> None:
    """A new name in a folder is on disk only once the folder is synced."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# ---------------------------------------------------------------- a mail command


class MailCommand(Destination):
    def __init__(self, command: str):
        self.command = command
        self.name = f"the mail command {command!r}"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        pipe_to_command(self.command, outgoing.data)
        return []

    def check(self) -> str:
        import shlex
        import shutil

        program = shlex.split(self.command)[0]
        found = shutil.which(program)
        if not found:
            raise ConfigError(f"cannot run the mail command {self.command!r}: {program} not found")
        return f"mail command: {found} is there"


def pipe_to_command(command: str, data: bytes) -> None:
    """Run the mail command (no shell), feed it the message on stdin, and
    raise OutputError unless it read all of it and exited 0; with what it
    said on stderr. A command that exits 0 but left part of the message
    unread (a broken pipe) did not get the mail."""
    import subprocess

    from .config import command_words

    words = command_words(command)  # checked where the command came from: a flag or the config
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    # stderr into a file, not a pipe: a command that says a lot before it
    # reads its stdin would otherwise block, with us waiting on its stdin.
    with tempfile.TemporaryFile() as said:
        try:
            child = subprocess.Popen(words, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=said, bufsize=0)
        except FileNotFoundError:
            raise OutputError(f"cannot run the mail command {command!r}: {words[0]} not found") from None
        except PermissionError:
            raise OutputError(f"cannot run the mail command {command!r}: {words[0]} is not executable") from None
        refused = None
        try:
            send_all(child.stdin, data, deadline)
        except (OSError, NotReceived) as exc:
            refused = _reason(exc)
        finally:
            child.stdin.close()
        try:
            code = child.wait(timeout=max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise OutputError(f"the mail command {command!r} did not finish in {DELIVERY_TIMEOUT}s") from None
        said.seek(0)
        text = _one_line(said.read(4096).decode("utf-8", "replace")) or "nothing on stderr"
    if code != 0:
        raise OutputError(f"the mail command {command!r} exited {code}: {text}")
    if refused:
        raise OutputError(f"the mail command {command!r} exited 0 without reading the whole message ({refused})")


def _one_line(text: str, limit: int = 500) -> str:
    return " ".join(text.split())[:limit]


# ---------------------------------------------------------------- the message as delivered


def stored_bytes(message: EmailMessage, linesep: str = "\n") -> bytes:
    """The message as a mailbox or an SMTP server gets it: without Bcc
    (kept for `sendmail -t`, which strips it itself), with these line ends."""
    if "Bcc" in message:
        message = copy.deepcopy(message)
        del message["Bcc"]
    return message.as_bytes(policy=message.policy.clone(linesep=linesep))


def seven_bit(message: EmailMessage) -> EmailMessage:
    """A copy whose 8-bit text parts are quoted-printable, for a server
    that does not offer 8BITMIME (RFC 6152): to such a server a mail must
    be 7-bit, and smtplib sends the bytes as they are."""
    clone = copy.deepcopy(message)
    for part in clone.walk():
        if part.get_content_maintype() == "text" and part.get("Content-Transfer-Encoding", "").lower() == "8bit":
            part.set_content(part.get_content(), subtype=part.get_content_subtype(),
                             charset=part.get_content_charset("utf-8"), cte="quoted-printable")
    return clone


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope sender and recipients: From, and To + Cc + Bcc, each once."""
    senders = [a.addr_spec for a in message["From"].addresses if a.addr_spec] if message["From"] else []
    if not senders:
        raise UsageError(f"the From address {str(message['From'])!r} has no address to send from")
    recipients = [address.addr_spec for name in ("To", "Cc", "Bcc") for header in message.get_all(name, [])
                  for address in header.addresses if address.addr_spec]
    return senders[0], list(dict.fromkeys(recipients))


# ---------------------------------------------------------------- Maildir and mbox


class _Mailbox(Destination):
    """A mailbox on this machine that the message is put into."""

    needs_message = True
    kind = ""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = f"the {self.kind} {path}"


class Maildir(_Mailbox):
    """One message file: written in tmp/ and fsynced, then linked into new/
    (stdlib mailbox, per the Maildir rules); new/ is synced before the
    stories are marked."""

    kind = "Maildir"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        import mailbox

        self._prepare()
        try:
            box = mailbox.Maildir(self.path, factory=None, create=False)
            box.add(stored_bytes(outgoing.message))
            _fsync_folder(self.path / "new")
        except (OSError, mailbox.Error) as exc:
            raise OutputError(f"cannot deliver into the Maildir {self.path}: {_reason(exc)}") from None
        return []

    def check(self) -> str:
        if self._is_new():
            return f"maildir: {self.path} will be made on the first delivery"
        return f"maildir: {self.path} is a Maildir"

    def _is_new(self) -> bool:
        """True when the Maildir is still to be made (nothing there, or an
        empty folder); UsageError when something else is there."""
        if all((self.path / sub).is_dir() for sub in ("tmp", "new", "cur")):
            return False
        if self.path.exists():
            if self.path.is_dir() and not any(self.path.iterdir()):
                return True
            raise UsageError(f"{self.path} is not a Maildir (no tmp/, new/ and cur/ in it); not delivering into it")
        parent = self.path.absolute().parent
        if not parent.is_dir():
            raise UsageError(f"cannot make the Maildir {self.path}: the folder {parent} does not exist")
        return True

    def _prepare(self) -> None:
        if not self._is_new():
            return
        try:
            self.path.mkdir(mode=0o700, exist_ok=True)
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(mode=0o700, exist_ok=True)
            _fsync_folder(self.path)
        except OSError as exc:
            raise OutputError(f"cannot make the Maildir {self.path}: {exc.strerror}") from None


# Seconds to wait for a mail reader that holds the mbox's lock.
MBOX_LOCK_WAIT = 30


class Mbox(_Mailbox):
    """One message appended under the mbox's locks (fcntl and a dot lock,
    stdlib mailbox), then fsynced."""

    kind = "mbox"

    def deliver(self, outgoing: Outgoing) -> list[str]:
        import mailbox

        self._usable()
        created = self._create()
        try:
            box = mailbox.mbox(self.path, factory=None, create=False)
        except (OSError, mailbox.Error) as exc:
            raise OutputError(f"cannot append to the mbox {self.path}: {_reason(exc)}") from None
        try:
            _lock_mbox(box, self.path, time.monotonic() + MBOX_LOCK_WAIT)
            sender, _ = envelope(outgoing.message)
            # mailbox takes a leading "From " line of bytes as the envelope line.
            from_line = f"From {sender if ' ' not in sender else 'MAILER-DAEMON'} {time.asctime(time.gmtime())}\n"
            box.add(from_line.encode("ascii", "replace") + stored_bytes(outgoing.message))
            box.flush()  # fsyncs the file
            if created:
                _fsync_folder(self.path.absolute().parent)
        except (OSError, mailbox.Error) as exc:
            raise OutputError(f"cannot append to the mbox {self.path}: {_reason(exc)}") from None
        finally:
            box.close()  # unlocks
        return []

    def check(self) -> str:
        self._usable()
        if self.path.exists():
            return f"mbox: {self.path} is there and writable"
        return f"mbox: {self.path} will be made on the first delivery"

    def _usable(self) -> None:
        _regular_file_mode(self.path, Path(os.path.realpath(self.path)), doing="appending to")
        if self.path.exists():
            if not os.access(self.path, os.W_OK):
                raise OutputError(f"cannot append to the mbox {self.path}: Permission denied")
            return
        parent = self.path.absolute().parent
        if not parent.is_dir():
            raise UsageError(f"cannot make the mbox {self.path}: the folder {parent} does not exist")

    def _create(self) -> bool:
        """A new mbox readable by its owner alone, like the mail spool."""
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(f"cannot make the mbox {self.path}: {exc.strerror}") from None
        return True


def _lock_mbox(box, path: Path, deadline: float) -> None:
    """The mbox's lock, waiting a bounded time for a reader that holds it."""
    import mailbox

    while True:
        try:
            box.lock()
            return
        except mailbox.ExternalClashError:
            if time.monotonic() >= deadline:
                raise OutputError(f"the mbox {path} stayed locked by another program for {MBOX_LOCK_WAIT}s; "
                                  "nothing appended") from None
            time.sleep(0.2)


# ---------------------------------------------------------------- SMTP

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
        try:
            # Connecting (and for "tls" the handshake) is bounded by the socket
            # timeout; from there on the watchdog holds the deadline too.
            if settings.security == "tls":
                client = smtplib.SMTP_SSL(settings.host, settings.port, context=context, timeout=left)
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=left)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failure(exc, deadline) from None
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _cut, (client,))
        watchdog.daemon = True
        watchdog.start()
        try:
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
            raise ConfigError(f"cannot read {self.settings.ca_file} as PEM certificates: {_reason(exc)}",
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
    first); run without a shell, its stdin closed."""
    import shlex
    import subprocess

    words = shlex.split(command)
    try:
        done = subprocess.run(words, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=PASSWORD_COMMAND_TIMEOUT)
    except FileNotFoundError:
        raise ConfigError(f"cannot run {command!r}: {words[0]} not found", path=config_path,
                          key="smtp.password_command") from None
    except PermissionError:
        raise ConfigError(f"cannot run {command!r}: {words[0]} is not executable", path=config_path,
                          key="smtp.password_command") from None
    except subprocess.TimeoutExpired:
        raise DeliveryError(f"smtp.password_command {command!r} did not finish in "
                            f"{PASSWORD_COMMAND_TIMEOUT}s") from None
    if done.returncode != 0:
        said = _one_line(done.stderr.decode("utf-8", "replace"), 300) or "nothing on stderr"
        raise DeliveryError(f"smtp.password_command {command!r} exited {done.returncode}: {said}")
    password = done.stdout.decode("utf-8", "replace").split("\n", 1)[0].rstrip("\r")
    if not password:
        raise DeliveryError(f"smtp.password_command {command!r} printed no password")
    return password


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
    return _one_line(f"{code} {text}", 300)


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
    return _Refusal(f"cannot reach {server}: {_reason(exc)}", True)
