"""Bylines: the person an entry names, not the desk, the site or the mailbox."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
# Words that make a name a desk's, not a person's.
_DESK_WORDS = frozenset("""redaktion redaction rédaction redacción redazione redactie staff editors editor
    editorial newsroom desk team agence agency agencia agenzia webmaster admin administrator""".split())
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


def byline(raw: str, publisher: Publisher | None = None, site: bool = True) -> str:
    """The name a reader should see for an author string: "email (Name)"
    and "Name <email>" give the Name (read from the raw string: feedparser's
    own split cuts non-ASCII names at the wrong offset), "mailto:" and bare
    addresses give nothing, "Last, First" turns round, and a newsroom's
    mailbox, a desk or the publisher's own name is no byline."""
    text = repair_text(clean_text(html_to_text(raw or "")))
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
    names = [_turned_round(part) for part in _byline_parts(text)]
    kept = [name for name in names if name and not (publisher and publisher.names(name, site))]
    return ", ".join(dict.fromkeys(kept))


def _byline_parts(text: str) -> list[str]:
    """"Last, First" pairs ("Scappaticci, Elena"; "Boudisseau, Julien,
    Jouin-Claude, Allyson") joined; other lists split at "|" and "/"."""
    pieces = [p.strip() for p in re.split(r"\s*[|/]\s*", text) if p.strip()]
    parts = []
    for piece in pieces:
        commas = [c.strip() for c in piece.split(",")]
        if len(commas) >= 2 and len(commas) % 2 == 0 and all(c and " " not in c for c in commas):
            parts.extend(f"{commas[i]}, {commas[i + 1]}" for i in range(0, len(commas), 2))
        else:
            parts.append(piece)
    return parts


def _turned_round(name: str) -> str:
    last, comma, first = name.partition(", ")
    if comma and " " not in last and " " not in first and "," not in first:
        name = f"{first} {last}"
    return " ".join(w for w in name.split() if w.casefold() not in _DESK_WORDS)


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


