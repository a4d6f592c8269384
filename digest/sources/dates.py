"""An entry's date as the feed states it: when, and whether it gave a time.

feedparser reads RFC 822 and ISO 8601 well, but (6.0) reads a date written
any other way ("Friday, January 29, 2021 04:54 PM") as no date at all, and
a zone abbreviation it does not know (BST, CEST, AEST...) as UTC: a British
feed's every item an hour off. Here the feed's own string is read again
where feedparser's reading is missing or cannot be right, with dateutil.
"""

from __future__ import annotations

import calendar
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# The abbreviations feeds write, at their offsets (hours). Left out are
# those that name two zones (IST: India or Ireland; CST: US Central or
# China): feedparser's reading of them stands.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1, "MEZ": 1,
    "CEST": 2, "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "SAST": 2, "CAT": 2, "EAT": 3, "WAT": 1,
    "PKT": 5, "NPT": 5.75, "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "AWST": 8, "PHT": 8, "JST": 9,
    "KST": 9, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8,
    "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "BRT": -3, "ART": -3,
}
_TZINFOS = {name: int(hours * 3600) for name, hours in _ZONES.items()}
# Those feedparser's own table has right: no second reading needed (dateutil
# costs ~60 us a date, and most feeds write GMT or an offset).
_FEEDPARSER_KNOWS = frozenset("UT UTC GMT Z EST EDT CDT MST MDT PST PDT AST ADT MET MEST".split())
_ABBREVIATION = re.compile(r"(?<![A-Za-z])\(?([A-Z]{2,5})\)?\s*$")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_TIME = re.compile(r"\d{1,2}\s*:\s*\d{2}|T\d{2}|\d{1,2}\s*(?:[ap]\.?m\b|h\d{2})", re.I)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|2\d)\d{2}(?!\d)")


@dataclass(frozen=True)
class Stamp:
    moment: datetime  # aware, UTC
    date_only: bool  # the feed gave a day and no time: moment is that day's 00:00 UTC


def entry_stamp(entry, zone: timezone | None = None) -> Stamp | None:
    """The entry's published, else updated, else created date. A time
    written without a zone is in `zone`, the one the feed's own channel
    dates state (NBC: "Sat, Dec 16 2023 02:02:33 PM" beside "-0500"); a
    stamp at midnight in its own zone ("00:00:00 +0300") is a day, not a
    time: that day, as the feed wrote it."""
    for key in ("published", "updated", "created"):
        # dict.get: FeedParserDict's own lookup remaps these keys with a warning.
        raw = dict.get(entry, key) or ""
        parsed = dict.get(entry, f"{key}_parsed")
        raw = raw.strip() if isinstance(raw, str) else ""
        moment = read_date(raw, parsed)
        if moment is None:
            continue
        has_time = bool(_TIME.search(raw))
        if has_time and zone is not None and stated_zone(raw) is None and not _names_a_zone(raw):
            moment = _in_zone(raw, zone) or moment
        if has_time and _MIDNIGHT.search(raw) and (day := _local_day_at_midnight(raw)) is not None:
            return Stamp(day, date_only=True)
        return Stamp(moment, date_only=bool(raw) and not has_time)
    return None


# A day in an article's address ("/news/2017/01/07/business/…"), as
# newspapers' and WordPress's permalinks write it.
_DAY_IN_PATH = re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?:/|$)")


def day_in_link(link: str) -> Stamp | None:
    """The day an undated entry's permalink names, as a day without a time
    (Japan Times' items have no date; their addresses say it)."""
    found = _DAY_IN_PATH.search(link.split("?", 1)[0])
    if not found:
        return None
    try:
        return Stamp(datetime(*map(int, found.groups()), tzinfo=timezone.utc), date_only=True)
    except ValueError:
        return None  # 31 February


def feed_zone(feed) -> timezone | None:
    """The zone the channel's own dates state (its pubDate or updated), if any."""
    for key in ("published", "updated"):
        raw = dict.get(feed, key) or ""
        if isinstance(raw, str) and (zone := stated_zone(raw.strip())) is not None:
            return zone
    return None


_STATED_ZONE = re.compile(r"(?:([+-])(\d{2}):?(\d{2})|(?<![A-Za-z])([A-Z]{1,5}))\)?\s*$")
_MIDNIGHT = re.compile(r"(?<![\d:])00:00(?::00(?:[.,]0+)?)?(?![\d:])")


def _names_a_zone(raw: str) -> bool:
    """Whether the date ends in a zone's name, known or not ("IST": India
    or Ireland): it is in that zone, not the channel's."""
    found = _ABBREVIATION.search(raw)
    return bool(found) and found.group(1) not in ("AM", "PM")


def stated_zone(raw: str) -> timezone | None:
    """The offset a date string ends with ("+0300", "-05:00", "Z", "BST"), or None."""
    match = _STATED_ZONE.search(raw)
    if not match:
        return None
    if match.group(4):
        seconds = _TZINFOS.get(match.group(4))
        return None if seconds is None else timezone(timedelta(seconds=seconds))
    if not _TIME.search(raw[:match.start()]):
        return None  # "2024-01-05": the "-05" is the day
    hours, minutes = int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if match.group(1) == "-" else offset)


def _in_zone(raw: str, zone: timezone) -> datetime | None:
    local = _dateutil_local(raw)
    return None if local is None else local.replace(tzinfo=zone).astimezone(timezone.utc)


def _local_day_at_midnight(raw: str) -> datetime | None:
    """00:00 UTC of the day a stamp at midnight in its own stated, non-UTC
    zone names ("Wed, 25 Jan 2017 00:00:00 +0300" -> 25 January), or None."""
    zone = stated_zone(raw)
    if zone is None or zone.utcoffset(None) == timedelta(0):
        return None  # 00:00 UTC: the feed-wide rule decides (_dates_are_days)
    local = _dateutil_local(raw)
    if local is None or (local.hour, local.minute, local.second) != (0, 0, 0):
        return None
    return datetime(local.year, local.month, local.day, tzinfo=timezone.utc)


# The two shapes feedparser reads right: RFC 822 and ISO 8601 (W3C-DTF).
_RFC822 = re.compile(r"^(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
                     r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$", re.I)


def read_date(raw: str, parsed=None) -> datetime | None:
    """The moment a date string states. feedparser's reading (`parsed`, a
    UTC struct_time) where the string is RFC 822 or ISO 8601 and its zone
    one feedparser knows; else dateutil's, which reads what feedparser
    misreads ("Sat, Dec 16 2023 02:02:33 PM" at 02:02, "2020/1/10 14:33"
    as 1 December) or reads as none. None when neither can."""
    if raw.startswith("-"):
        return None  # a year before year 1 (-0001-01-01): feedparser reads it as 2000
    if _CJK_DATE.search(raw):
        # "2024年2月20日 10:00": feedparser reads it as 1 December; read it as written, or not at all.
        return _dateutil(_CJK_DATE.sub(r"\1-\2-\3 ", raw).replace("時", ":").replace("시", ":").rstrip("分분 "))
    zone = _ABBREVIATION.search(raw)
    well_formed = bool(_RFC822.match(raw) or _ISO.match(raw))
    if not well_formed or (zone and zone.group(1) in _TZINFOS and zone.group(1) not in _FEEDPARSER_KNOWS):
        moment = _dateutil(raw)
        if moment is not None:
            return moment
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            pass
    return _dateutil(raw) if raw else None


def _dateutil(raw: str) -> datetime | None:
    """A date dateutil can read in full: with a year (else it fills the
    gap from today), at most a day off from its stated zone. A time without
    a zone is taken as UTC."""
    moment = _dateutil_local(raw)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    offset = moment.utcoffset()
    if offset is None or abs(offset) > timedelta(hours=14):
        return None
    return moment.astimezone(timezone.utc)


def _dateutil_local(raw: str) -> datetime | None:
    """dateutil's reading of a date with a year, in the zone it states
    (naive when it states none), or None."""
    if not _YEAR.search(raw) or len(raw) > 80:
        return None
    from dateutil import parser

    text = _in_english(_ABBREVIATION.sub(lambda m: f" {m.group(1)}", raw))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "tzname IST identified but not understood": on stderr, mailed by cron
            return parser.parse(text, tzinfos=_TZINFOS, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError, parser.ParserError):
        return None


# Month names of the languages feeds write RFC 822 dates in by mistake
# ("mer, 16 nov 2022", "Seg, 24 Set 2018"): Italian, Portuguese, Spanish,
# French, German, Dutch. A weekday before a comma is dropped (dateutil
# knows English ones only, and the date says the day anyway).
_MONTHS = {
    1: "gen gennaio ene enero janv janvier janeiro januar jänner januari", 2: "fev fevereiro febbraio febrero févr fevr février fevrier februar februari",
    3: "marzo março marco mars märz mär mrz maart", 4: "abr abril aprile avr avril", 5: "mag maggio mai maio mayo mei",
    6: "giu giugno junho junio juin juni", 7: "lug luglio julho julio juil juillet juli",
    8: "ago agosto août aout", 9: "set settembre setembro septiembre sept septembre",
    10: "ott ottobre out outubro octubre okt oktober", 11: "novembre novembro noviembre",
    12: "dic dicembre dez dezembro diciembre déc dec décembre decembre dezember",
}
# Russian months as dates write them (genitive: "29 января 2021").
_RUSSIAN = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
for _number, _name in enumerate(_RUSSIAN, 1):
    _MONTHS[_number] += f" {_name}"
_MONTH_NAMES = {name: month for month, names in _MONTHS.items() for name in names.split()}
_ENGLISH = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_WORD = re.compile(r"[^\W\d_]+\.?")
_LEADING_WEEKDAY = re.compile(r"^\s*[^\W\d_]{2,12}\.?,\s*")


# Weekdays a date may open with, without a comma ("lundi 2 décembre 2024"),
# and the little words between its parts ("29 de enero de 2021", "à 16h54").
_WEEKDAYS = re.compile(
    r"^\s*(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|jueves|viernes|"
    r"sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)"
    r"\b[,.]?\s*", re.I)
_LINKING_WORDS = re.compile(r"\s(?:de|del|à|a las|um|alle|às|в)\s", re.I)
_FRENCH_HOURS = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})\b")


def _in_english(text: str) -> str:
    text = _LEADING_WEEKDAY.sub("", _WEEKDAYS.sub("", text))
    text = _FRENCH_HOURS.sub(r"\1:\2", _LINKING_WORDS.sub(" ", text))
    if text.isascii() and not any(w.lower().rstrip(".") in _MONTH_NAMES for w in _WORD.findall(text)):
        return text
    return _WORD.sub(lambda m: _ENGLISH[_MONTH_NAMES[m.group().lower().rstrip(".")] - 1]
                     if m.group().lower().rstrip(".") in _MONTH_NAMES else m.group(), text)
