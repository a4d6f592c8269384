"""Bylines: the person an entry names, not the desk, the site or the mailbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..text import clean_text, key_text, repair_text
from .htmltext import html_to_text

# ---------------------------------------------------------------- bylines

# Mailboxes of a newsroom or a site, not of a person (RFC 2142 and kin).
# (noreply@ is not one: Blogger and WordPress.com relay every author's
# name through it.)
_ROLE_MAILBOX = re.compile(
    r"^(?:info|editor|editors|editorial|news|newsroom|newsdesk|redaktion|redaccion|redazione|redactie|"
    r"webmaster|web|admin|administrator|contact|press|desk|feed|feeds|rss|online|office|mail|team|"
    r"hello|support|community|digital|internet)$", re.I)
# Words that make a name a desk's, not a person's: "Staff and agencies",
# "Ars Contributors", "DealPost Team", "derStandard.at Redaktion". The whole
# name goes, never the word alone ("Staff and agencies" once became
# "and agencies").
_DESK_WORDS = frozenset("""redaktion redaction rédaction redacción redazione redactie staff staffs editors
    editorial newsroom desk team agencies agency agence agencia agenzia agentur webmaster admin administrator
    contributors contributor writers reporters correspondents wires wire bureau agències agencias agenzie""".split())
# A news agency's own name is a byline as it stands ("Agence France-Presse").
_AGENCY = re.compile(r"^(?:agence|agencia|agenzia|agentur)\s+\S", re.I)
# "Agence" alone, a list's leftover ("agence, AFP"): nothing.
_PARTICLES = frozenset("de da di do dos das du del della der den van von la le ten ter zu bin al el y e".split())
# A place after the name: "David Smith in Washington", "AP in Palm Beach, Florida".
_DATELINE = re.compile(r"\s+in\s+[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:(?:\s+|,\s*)(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*|de|of|the|la|el))*$")
# A job after the name: "Damian Carrington Environment editor", "Jason
# Burke Africa correspondent", "Julian Borger World affairs editor".
_ROLE = re.compile(
    r"\s+(?:[A-ZÀ-ÖØ-Þ][\w-]*(?:\s+[a-z]+)?\s+)?(?:(?:chief|senior|deputy|associate|assistant|contributing|staff|"
    r"special|political|economics|foreign|sports?)\s+)?(?:editor|correspondent|reporter|writer|columnist|critic|"
    r"analyst|commentator|presenter|producer)(?:\s+at\s+large)?$")
# The same inside a list, before it is split at its commas: "Ashifa Kassam
# in Stanstead, Quebec", "Sam Jones in Madrid and Stephen Burgen in Barcelona".
_PLACE = r"[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:\s+(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*|de|of|the|la|el))*"
_DATELINES = re.compile(rf"\s+in\s+{_PLACE}(?:,\s*{_PLACE})?(?=\s+(?:and|&)\s+|$)")
_DOMAIN = re.compile(r"\w\.(?:com|net|org|fr|de|at|ch|es|it|co\.uk|ru|br|info|io)\b", re.I)
_CONJUNCTION = re.compile(r"(\s+(?:and|&|und|et|y|e)\s+)")
_ORG_WORDS = frozenset("""for the of and podcast podcasts show radio media news inc inc. llc ltd ltd. network
    studios studio productions records press magazine blog channel official""".split())
# A title that is "<host name> Podcast" names the host, not the publisher.
_SHOW_WORDS = frozenset("podcast podcasts show radio hour live tv daily weekly talk cast pod".split())
_TITLE_PARTS = re.compile(r"\s+[|:–—·-]\s+|\s*[|»›]\s*")
_PLATFORM_TITLE = re.compile(r"^(?:stories|posts|articles) by (.+?) on \w+$|^(.+?) on (?:medium|substack|tumblr)$", re.I)
_EMAIL_NAME = re.compile(r"^\s*(?:mailto:)?([^\s@()<>]+@[^\s@()<>]+)\s*\((.*)\)\s*$")
_NAME_EMAIL = re.compile(r"^\s*(.*?)\s*[<(]\s*(?:mailto:)?([^\s@<>()]+@[^\s@<>()]+)\s*[>)]\s*$")
_BARE_EMAIL = re.compile(r"^\s*(?:mailto:)?([^\s@()<>]+@[^\s@()<>]+)\s*$")


@dataclass(frozen=True)
class Publisher:
    """The feed's own names: a byline that is one of them is no byline
    ("DC Rainmaker · DC Rainmaker")."""

    keys: frozenset[str]  # the title and each part of it, the title's initials
    site: frozenset[str]  # the site's name ("dw.com", "derstandard")
    title_words: tuple[str, ...]

    @classmethod
    def of(cls, title: str, host: str) -> Publisher:
        parts = [title, *_TITLE_PARTS.split(title)]
        platform = _PLATFORM_TITLE.match(title.strip())
        if platform:
            parts.append(platform.group(1) or platform.group(2))
        labels = [label for label in host.lower().split(".") if label not in ("www", "feeds", "rss", "m", "blog")]
        words = tuple(w.casefold() for w in re.findall(r"[\w'’]+", title))
        initials = "".join(w[0] for w in words if w not in ("the", "of", "and", "a")) if len(words) >= 3 else ""
        keys = {key_text(part) for part in parts} | {initials}
        site = {key_text(".".join(labels)), *(labels[:-1] or labels)}
        return cls(keys=frozenset(k for k in keys if len(k) >= 2), site=frozenset(k for k in site if len(k) >= 2),
                   title_words=words)

    def names(self, name: str, site: bool = True) -> bool:
        """Whether name is the feed's own (its title, a part of it, its
        initials; with site, also the site's name: a personal site is
        named after the person whose blog or show it is)."""
        key = key_text(name)
        if not key:
            return False
        if key in self.keys or (site and key in self.site):
            return True
        words = tuple(w.casefold() for w in re.findall(r"[\w'’]+", name))
        if words and self.title_words[:len(words)] == words:
            rest = self.title_words[len(words):]
            return not any(word in _SHOW_WORDS for word in rest)
        return False


# Of an author string's markup, what is read: names and a mailbox fit in
# far less; the rest never reaches the HTML parser.
MAX_BYLINE_MARKUP = 2000


# byline() is remembered: a feed names the same few authors entry after
# entry (the captured feeds' 3,473 entries have 1,927 author strings to
# read, most of them repeats), and reading one (an HTML parse, a dozen
# regexes) cost more than all the rest of the entry's byline. The answer
# depends on its arguments alone; Publisher is frozen, so hashable.


@lru_cache(maxsize=4096)
def byline(raw: str, publisher: Publisher | None = None, site: bool = True) -> str:
    """The name a reader should see for an author string: "email (Name)"
    and "Name <email>" give the Name (read from the raw string: feedparser's
    own split cuts non-ASCII names at the wrong offset), "mailto:" and bare
    addresses give nothing, "Last, First" turns round, and a newsroom's
    mailbox, a desk or the publisher's own name is no byline."""
    text = repair_text(clean_text(html_to_text((raw or "")[:MAX_BYLINE_MARKUP])))
    if not text:
        return ""
    mailbox = ""
    for pattern, name_group, mail_group in ((_EMAIL_NAME, 2, 1), (_NAME_EMAIL, 1, 2)):
        found = pattern.match(text)
        if found:
            text, mailbox = found.group(name_group).strip(), found.group(mail_group)
            break
    else:
        if _BARE_EMAIL.match(text):
            return ""
    if mailbox and _ROLE_MAILBOX.match(mailbox.split("@")[0]):
        return ""
    if re.match(r"(?i)(?:https?://|www\.)", text):
        return ""  # the site's address
    if re.match(r"^/?u/[\w-]+$", text):
        return text  # a Reddit user, as Reddit writes it
    text = _BY.sub("", text)  # "By Jane Smith", "by Jane Smith": the name
    text = _FOR_PUBLICATION.sub("", text)  # "… for Reuters": the people, not where they wrote
    names = [_people(part) for part in _byline_parts(text)]
    kept = [name for name in names if name and not (publisher and publisher.names(name, site))]
    return _listed(list(dict.fromkeys(kept)))


MAX_NAMES = 5  # a paper's thirteen authors are its first three "and 10 others"


def _listed(names: list[str]) -> str:
    if len(names) <= MAX_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} others"


def _people(part: str) -> str:
    """One part of a byline ("Nadeem Badshah and agencies", "Sam Jones in
    Madrid and Stephen Burgen in Barcelona") as the people it names, each
    without a dateline or a job title; desks and labels out."""
    part = _DATELINES.sub("", part)
    agency = re.match(r"(?i)(?:agence|agency|agencia|agenzia|agentur),\s*(\S.*)$", part)
    if agency:
        return _person(agency.group(1))  # Le Figaro's "agence, AFP"
    if _turned_round(part) != part:
        return _person(part)  # "Scappaticci, Elena"
    if ", " in part:  # "Macworld Staff, Glenn Fleishman": a list, each name on its own
        return ", ".join(filter(None, (_people(piece) for piece in part.split(", "))))
    pieces = _CONJUNCTION.split(part)
    people, joins = pieces[0::2], pieces[1::2]
    kept: list[tuple[str, str]] = []
    for at, person in enumerate(people):
        name = _person(person)
        if name:
            kept.append((joins[at - 1].strip() if at and kept else "", name))
    return " ".join(f"{join} {name}" if join else name for join, name in kept).strip()


def _person(text: str) -> str:
    """A person's name as a reader should see it, or "" for a desk, a
    site, a label."""
    name = _turned_round(text.strip())
    name = re.sub(r"\s*\([^()]*\)\s*$", "", name).strip()  # "(now)", "(earlier)", "(news)"
    name = _DATELINE.sub("", name)
    role = _ROLE.search(name)
    if role and len(name[:role.start()].split()) >= 2:
        name = name[:role.start()]
    words = name.split()
    if not words or _DOMAIN.search(name):
        return ""
    folded = [w.casefold().strip(".,:;") for w in words]
    if any(w in _DESK_WORDS for w in folded) and not (_AGENCY.match(name) and len(words) >= 2):
        return ""
    if (len(words) >= 2 and words[-1][:1].islower() and folded[-1] not in _PARTICLES) or (
            len(words) >= 3 and words[0][:1].islower() and folded[0] not in _PARTICLES):
        return ""  # a label ("Guardian sport", "know how", "illustration by ..."), not a name
    return name


def _byline_parts(text: str) -> list[str]:
    """"Last, First" pairs ("Scappaticci, Elena"; "Boudisseau, Julien,
    Jouin-Claude, Allyson") joined; other lists split at "|" and "/"."""
    pieces = [p.strip() for p in re.split(r"\s*[|/;]\s*", text) if p.strip()]
    parts = []
    for piece in pieces:
        commas = [c.strip() for c in piece.split(",")]
        pairs = list(zip(commas[0::2], commas[1::2]))
        if len(commas) >= 2 and len(commas) % 2 == 0 and all(
                _INITIALS.match(first) and 1 <= len(last.split()) <= 4 for last, first in pairs):
            parts.extend(f"{first} {last}" for last, first in pairs)  # a paper's "Pereira Mendes, M."
        elif len(commas) >= 2 and len(commas) % 2 == 0 and all(
                _is_given_name(first) and _is_surname(last) for last, first in pairs):
            parts.extend(f"{commas[i]}, {commas[i + 1]}" for i in range(0, len(commas), 2))
        else:
            parts.append(piece)
    return parts


_INITIALS = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ]\.[\s-]?){1,4}$")


def _is_given_name(text: str) -> bool:
    """"Valérie", "K. K.": one word, or initials."""
    return bool(text) and (" " not in text or bool(_INITIALS.match(text)))


def _is_surname(text: str) -> bool:
    """"Sasportas", "de Rochebouët": a word, after particles."""
    words = text.split()
    return bool(words) and all(w in _PARTICLES for w in words[:-1])


def _turned_round(name: str) -> str:
    """"Last, First" as "First Last" ("de Rochebouët, Béatrice" too)."""
    last, comma, first = name.partition(", ")
    if comma and _is_given_name(first) and "," not in first and _is_surname(last):
        name = f"{first} {last}"
    return name


_CHANNEL_BYLINE = re.compile(rb"<(itunes:author|dc:creator|author)\b", re.I)


def _channel_byline(feed, body: bytes, publisher: Publisher) -> str:
    """The byline a channel gives all its items: the person who writes a
    blog or hosts a show. Not a publisher, a company or a webmaster (RSS's
    managingEditor and webMaster are the site's contacts, never a byline:
    feedparser files them as the feed's author when nothing else is)."""
    raw = clean_text(feed.get("author", "") or "")
    if not raw or not _is_person_like(re.sub(r"\s*[(<].*?@.*?[)>]\s*|\S+@\S+", "", raw)):
        return ""
    head = body[:body.find(b"<item")] if b"<item" in body else body[:body.find(b"<entry")] if b"<entry" in body \
        else body[:65536]
    if not _CHANNEL_BYLINE.search(head):
        return ""
    return byline(raw, publisher, site=False)


def _is_person_like(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in name) or re.search(r"[&|/+]", name):
        return False
    if any(w.casefold().strip(".,") in _ORG_WORDS for w in words):
        return False
    return not any(len(w) >= 2 and w.isupper() and w.isalpha() for w in words)  # BBC, NPR: acronyms are brands




# A blog platform's shared posting account, not a person: "Google Testing
# Bloggers", "The Chromium Team", "Engineering Staff".
_GROUP_ACCOUNT = re.compile(r"\b(?:bloggers|team|staff|editors|contributors|authors|writers|editorial|desk|"
                            r"admin|administrator|webmaster)\b", re.I)
_BY = re.compile(r"^(?i:(?:posted|written|submitted|published)\s+)?(?i:by|von|par|por|di|door|av|af)\s+")
_POSTED = re.compile(r"^(?i:posted|submitted)\s+by\s", re.I)  # a blog's own line ("Written by" credits a script)
_FOR_PUBLICATION = re.compile(r"\s+for\s+(?:the\s+)?[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3}\s*$")
_AFTER_NAMES = re.compile(r"\s+(?:on behalf of|for|of the|at)\s+.*$|\s*[(|–—-].*$|,\s*(?![A-Z][\w.'’-]*(?:\s|$)).*$")


def text_byline(account: str, line: str, publisher: Publisher | None = None) -> str:
    """The author a post names in its own opening line ("By Ben Yu", "By
    Dave Gladfelter (SETI, Google Drive)") when the feed gives only a
    platform's shared posting account; else the account's byline."""
    if not line or not (_GROUP_ACCOUNT.search(account) or (not account and _POSTED.match(line))):
        return account  # a person's byline stands; with none, a "By …" line may attribute a quote ("Posted by" cannot)
    names = _AFTER_NAMES.sub("", _BY.sub("", clean_text(line)).rstrip(". "))
    found = byline(names, publisher)
    return found or account
