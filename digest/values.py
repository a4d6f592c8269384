"""Values as a person writes them, read or refused in one line: durations
(90s, 3d, 1h30m), instants and --since, command lines, mail addresses."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta, timezone

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


# Longer than any window or half-life means anything; past it, a date
# minus the duration leaves the calendar ("999999d": OverflowError).
MAX_DURATION = timedelta(days=365_000)  # 1,000 years
# A timeout or wait past this overflows the socket and clock APIs
# (nanoseconds in 64 bits: 292 years).
MAX_TIMEOUT = timedelta(days=36_500)  # 100 years
# Dates before this are refused: a window reaching back from 0001-01-01
# left the calendar too.
EARLIEST_YEAR = 1900


def parse_duration(text: str, longest: timedelta = MAX_DURATION) -> timedelta:
    """'24h', '3d', '1h30m', '15s', '2w' -> timedelta. Raises ValueError."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(f"not a duration: {text!r} (use e.g. 24h, 3d, 90m, 15s)")
    seconds = sum(
        float(number) * _UNIT_SECONDS[unit]
        for number, unit in _DURATION_PART.findall(compact)
    )
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    if seconds > longest.total_seconds():
        raise ValueError(f"duration too long: {text!r} (at most {longest.days}d)")
    return timedelta(seconds=seconds)


def parse_instant(text: str, *, default_tz: timezone = timezone.utc) -> datetime:
    """ISO-8601 date or date-time -> aware datetime. Raises ValueError."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO-8601 date or time: {text!r}") from None
    if moment.year < EARLIEST_YEAR:
        raise ValueError(f"{text!r} is before {EARLIEST_YEAR}")
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def command_words(text: str) -> list[str]:
    """A mail command as the words it runs (no shell). Raises ValueError."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split {text!r} into words ({exc})") from None
    if not words:
        raise ValueError("is empty")
    return words


def one_line(text: str) -> str:
    """A header value (an address): CR or LF would start another header."""
    if "\r" in text or "\n" in text:
        raise ValueError(f"must be one line, not {text!r}")
    return text


def mail_address(text: str) -> str:
    """One address as a mail header carries it ("name@example.org" or
    "Name <name@example.org>"), checked with the stdlib's header parser and
    written back in the form mail servers take: a domain in another script
    as its ASCII (IDNA) name, a display name quoted where it must be
    ("Dr. Smith"). ValueError saying what is wrong otherwise."""
    from email.errors import HeaderParseError, ObsoleteHeaderDefect
    from email.headerregistry import Address
    from email.policy import default

    one_line(text)
    hint = "write it as name@example.org or \"Name <name@example.org>\""
    try:
        header = default.header_factory("To", text)
        addresses, defects = header.addresses, header.defects
    except (HeaderParseError, IndexError, ValueError):
        raise ValueError(f"{text!r} is not an email address ({hint})") from None
    if len(addresses) != 1:
        raise ValueError(f"{text!r} is {len(addresses)} addresses, not one (list them one by one)")
    address = addresses[0]
    # An obsolete form (an unquoted dot in the name) is still one address: written back quoted.
    if any(not isinstance(defect, ObsoleteHeaderDefect) for defect in defects) \
            or not address.username or not address.domain:
        raise ValueError(f"{text!r} is not an email address ({hint})")
    if not address.username.isascii():
        raise ValueError(f"{text!r}: a mailbox name in another script ({address.username!r}) needs SMTPUTF8, "
                         "which digest does not send; use an ASCII address")
    try:
        domain = address.domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{text!r}: {address.domain!r} is not a domain name") from None
    if domain == address.domain and not defects:
        return text
    return str(Address(address.display_name, address.username, domain))


def is_local_only(address: str) -> bool:
    """An address whose domain only this machine knows (localhost, no dot):
    mail from it is refused or rewritten by most providers."""
    from email.policy import default

    try:
        domain = default.header_factory("From", address).addresses[0].domain.lower().rstrip(".")
    except Exception:  # noqa: BLE001 - mail_address already said what is wrong with it
        return False
    return domain in ("localhost", "localhost.localdomain") or domain.endswith(".localhost") or "." not in domain


def parse_since(text: str, now: datetime) -> datetime:
    """--since accepts a duration back from now, or a date/time."""
    compact = text.strip().lower().replace(" ", "")
    if compact and not _DURATION_PART.sub("", compact):
        return now - parse_duration(text)  # a duration: its own message if it is too long
    try:
        return parse_instant(text, default_tz=now.tzinfo or timezone.utc)
    except ValueError as exc:
        if f"before {EARLIEST_YEAR}" in str(exc):
            raise
        raise ValueError(
            f"not a duration or date: {text!r} (use e.g. 24h, 3d or 2026-11-24)"
        ) from None


