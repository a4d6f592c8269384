"""Mailboxes on this machine (Maildir, mbox), and the message as it is stored or sent."""

from __future__ import annotations

import copy
import os
import time
from email.message import EmailMessage
from pathlib import Path

from ..errors import OutputError, UsageError
from ..files import fsync_folder, make_private_folders, missing_folders, regular_file_mode
from .base import Destination, Outgoing, reason

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
            key = box.add(stored_bytes(outgoing.message))
            os.chmod(self.path / "new" / key, 0o600)  # its folders are 700; the message its owner's alone too
            fsync_folder(self.path / "new")
        except (OSError, mailbox.Error) as exc:
            raise OutputError(f"cannot deliver into the Maildir {self.path}: {reason(exc)}") from None
        return []

    def preflight(self) -> None:
        self._is_new()

    def check(self) -> str:
        if self._is_new():
            missing = missing_folders(self.path.absolute().parent)
            made = f" (and {', '.join(str(m) for m in missing)})" if missing else ""
            return f"maildir: {self.path} will be made on the first delivery{made}"
        if not os.access(self.path / "new", os.W_OK | os.X_OK) or not os.access(self.path / "tmp", os.W_OK | os.X_OK):
            raise OutputError(f"cannot deliver into the Maildir {self.path}: Permission denied")
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
        _writable_ancestor(self.path, "Maildir")
        return True

    def _prepare(self) -> None:
        if not self._is_new():
            return
        try:
            # Mail readers expect a mail folder to be the user's alone.
            make_private_folders(self.path.absolute())
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(mode=0o700, exist_ok=True)
            fsync_folder(self.path)
        except OSError as exc:
            raise OutputError(f"cannot make the Maildir {self.path}: {exc.strerror}") from None



def _writable_ancestor(path: Path, kind: str) -> None:
    """UsageError unless the nearest existing folder above `path` is a
    folder digest may write in (the rest is made on the first delivery)."""
    missing = missing_folders(path.absolute().parent)
    existing = (missing[0] if missing else path.absolute()).parent
    if not existing.is_dir():
        raise UsageError(f"cannot make the {kind} {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot make the {kind} {path}: Permission denied (in {existing})")


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
            raise OutputError(f"cannot append to the mbox {self.path}: {reason(exc)}") from None
        size = None
        try:
            _lock_mbox(box, self.path, time.monotonic() + MBOX_LOCK_WAIT)
            size = os.path.getsize(self.path)
            sender, _ = envelope(outgoing.message)
            # mailbox takes a leading "From " line of bytes as the envelope line.
            from_line = f"From {sender if ' ' not in sender else 'MAILER-DAEMON'} {time.asctime(time.gmtime())}\n"
            box.add(from_line.encode("ascii", "replace") + stored_bytes(outgoing.message))
            box.flush()  # fsyncs the file
            if created:
                fsync_folder(self.path.absolute().parent)
        except (OSError, mailbox.Error) as exc:
            if size is not None:
                _cut_back(box, self.path, size)  # no half message for a mail reader to find
            raise OutputError(f"cannot append to the mbox {self.path}: {reason(exc)}") from None
        finally:
            try:
                box.close()  # unlocks
            except (OSError, mailbox.Error):
                pass  # after a failure (said above), or with the message whole and synced
        return []

    def preflight(self) -> None:
        self._usable()

    def check(self) -> str:
        self._usable()
        if self.path.exists():
            return f"mbox: {self.path} is there and writable"
        return f"mbox: {self.path} will be made on the first delivery"

    def _usable(self) -> None:
        regular_file_mode(self.path, Path(os.path.realpath(self.path)), doing="appending to")
        if self.path.exists():
            if not os.access(self.path, os.W_OK):
                raise OutputError(f"cannot append to the mbox {self.path}: Permission denied")
            return
        parent = self.path.absolute().parent
        if not parent.is_dir():
            raise UsageError(f"cannot make the mbox {self.path}: the folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(f"cannot make the mbox {self.path}: Permission denied (in {parent})")

    def _create(self) -> bool:
        """A new mbox readable by its owner alone, like the mail spool."""
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(f"cannot make the mbox {self.path}: {exc.strerror}") from None
        return True


def _cut_back(box, path: Path, size: int) -> None:
    """An append that failed half-way (a full disk): the mbox back to the
    size it had, still under its lock, and the mailbox object told nothing
    is pending, so closing it writes nothing more."""
    try:
        os.truncate(path, size)
    except OSError:
        pass
    box._pending = box._pending_sync = False  # stdlib mailbox: nothing left for close() to flush


# A dot lock older than this was left by a program that died holding it
# (mutt, procmail and lockfile(1) break theirs after 5 minutes as well).
STALE_DOT_LOCK = 300


def _lock_mbox(box, path: Path, deadline: float) -> None:
    """The mbox's lock, waiting a bounded time for a reader that holds it;
    a stale dot lock is broken."""
    import mailbox

    while True:
        try:
            box.lock()
            return
        except mailbox.ExternalClashError:
            if _broke_stale_dot_lock(path):
                continue
            if time.monotonic() >= deadline:
                raise OutputError(f"the mbox {path} stayed locked by another program for {MBOX_LOCK_WAIT}s; "
                                  "nothing appended") from None
            time.sleep(0.2)




def _broke_stale_dot_lock(path: Path) -> bool:
    """Remove `path.lock` when no one has touched it for STALE_DOT_LOCK
    seconds; whether it was removed."""
    lock = Path(f"{path}.lock")
    try:
        if abs(time.time() - lock.lstat().st_mtime) < STALE_DOT_LOCK:  # from the future: a clock that stepped back
            return False
        lock.unlink()
    except OSError:  # gone meanwhile, or not ours to remove: wait as for a live one
        return False
    return True
