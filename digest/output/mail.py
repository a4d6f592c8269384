"""The email around the rendered parts: addresses, List-Id, the test
message of `digest check`, and how each part travels (8-bit, quoted-printable, base64)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr


@dataclass(frozen=True)
class Addressing:
    """Who a mail is from and to, and what list it belongs to."""

    title: str  # the digest's title: the List-Id is made from it
    sender: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()  # written for `sendmail -t`, which strips it; the mailboxes and SMTP drop it (delivery/mailboxes.py)
    unsubscribe: tuple[str, ...] = ()  # https:// and mailto: URLs


def address_headers(message: EmailMessage, who: Addressing, date: datetime) -> str:
    """From, To, Cc, Bcc, Date, Message-ID and the headers of a good
    automated mail: Auto-Submitted (RFC 3834: vacation responders stay
    quiet), List-Id (RFC 2919: a stable name to filter on), and
    List-Unsubscribe only when the config gives a target. Returns the
    domain the Message-ID was made in."""
    message["From"] = who.sender
    for name, addresses in (("To", who.to), ("Cc", who.cc), ("Bcc", who.bcc)):
        if addresses:
            message[name] = ", ".join(addresses)
    message["Date"] = format_datetime(date)
    domain = parseaddr(who.sender)[1].rpartition("@")[2] or "digest.invalid"
    message["Message-ID"] = make_msgid(idstring="digest", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Id"] = list_id(who.title, domain)
    if who.unsubscribe:
        message["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in who.unsubscribe)
        # RFC 8058 one-click unsubscribing is defined for an https URL only.
        if any(target.lower().startswith("https://") for target in who.unsubscribe):
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return domain


def list_id(title: str, domain: str) -> str:
    """`"Title" <slug.domain>`: the same title gives the same id, run after
    run. A title with no ASCII letters or digits is named by its hash."""
    import hashlib
    import unicodedata
    from email.utils import formataddr

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    slug = slug or "digest-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:12]
    namespace = domain if re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain) else "localhost"
    return formataddr((" ".join(title.split())[:200], f"{slug}.{namespace}"))


def check_email(who: Addressing, now: datetime, through: str) -> EmailMessage:
    """The short test message `digest check --send-test` mails."""
    message = EmailMessage()
    message["Subject"] = f"Test message from digest: {' '.join(who.title.split())}"
    address_headers(message, who, now)
    text = (f"This is a test message from `digest check --send-test`.\n\n"
            f"It came through {through}, the way the digest \"{who.title}\" will come.\n")
    message.set_content(text, charset="utf-8", cte=text_transfer_encoding(text))
    return message


# RFC 5322 2.1.1: a line of a message is at most 998 bytes, CRLF excluded.
MAX_LINE_BYTES = 998


def text_transfer_encoding(text: str) -> str:
    """The text part goes 8-bit, so the mail reads as plain text anywhere it
    is shown raw (a terminal, `digest build | less`, a mail log), unless a
    line is too long for that; then quoted-printable. sendmail -t and every
    MTA in use take 8-bit bodies (RFC 6152), and they convert the part
    themselves for a next hop that does not. The HTML part stays
    quoted-printable: the compiled MJML has lines past the limit."""
    encoded = text.encode("utf-8")
    if any(len(line) > MAX_LINE_BYTES for line in encoded.splitlines()):
        return "quoted-printable"
    return "7bit" if encoded.isascii() else "8bit"


def html_transfer_encoding(html: str) -> tuple[str, int]:
    """The HTML part's transfer encoding, the smaller as mailed of
    quoted-printable and base64, and that size in bytes (CRLF line ends
    counted; quoted-printable estimated from above)."""
    data = html.encode("utf-8")
    escaped = len(data) - len(data.translate(None, _QP_ESCAPED))
    encoded = len(data) + 2 * escaped
    quoted = encoded + 3 * (encoded // 75 + 1) + data.count(b"\n")  # soft breaks "=" CRLF, and CR per line
    base64 = (len(data) + 2) // 3 * 4
    base64 += 2 * (base64 // 76 + 1)
    return ("quoted-printable", quoted) if quoted <= base64 else ("base64", base64)


# Bytes quoted-printable writes as =XX: all but printable ASCII, space, tab and line ends.
_QP_ESCAPED = bytes(b for b in range(256) if not (33 <= b <= 126 and b != 61) and b not in (9, 10, 32))


def mailed_size(html: str) -> int:
    return html_transfer_encoding(html)[1]


