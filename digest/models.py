"""The plain data that flows between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Image:
    """The picture shown with an item."""

    url: str
    caption: str = ""
    credit: str = ""
    width: int | None = None
    height: int | None = None
    alt: str = ""


UNTITLED = "(untitled)"  # the title of an entry with neither title nor text


@dataclass(slots=True)
class Item:
    """One entry of one feed, cleaned: the unit the store keeps. Slotted:
    a build holds every candidate of its window (100,000 at 5,000 feeds),
    and an instance __dict__ was 40% of each one's size."""

    feed_url: str
    key: str  # identity inside the feed: guid, else canonical link, else a content hash
    title: str
    link: str  # canonical: tracking parameters and fragment removed
    author: str = ""
    published: datetime | None = None  # aware, UTC; None when the feed gives no date
    content_html: str = ""  # sanitized with nh3; the fullest text the item has
    text: str = ""  # the story's plain text (captions, promo, bylines out), for reading time
    lead_text: str = ""  # where its lead begins: a standfirst, else its opening paragraphs
    image: Image | None = None
    tags: list[str] = field(default_factory=list)
    # The text is not the whole of what the entry stands for: a teaser of an
    # article ("Continue reading…", a one-sentence dek), or the notes of an
    # episode or a video. Its words tell nothing of a reading time.
    excerpt: bool = False
    duration_seconds: int | None = None  # an episode's or a video's length, as the feed states it
    date_only: bool = False  # the feed gives a day, not a time: `published` is that day's 00:00 UTC
    # Set by the store:
    id: int | None = None
    first_seen: datetime | None = None
    updated: bool = False  # sent before under another title; this is the new version
    # Set by the store when it left text, lead_text and image unread (a
    # build reads them for the stories it shows only): the text's length.
    unread_text_length: int | None = None

    @property
    def text_length(self) -> int:
        """Characters of its text, read or not."""
        return len(self.text) if self.unread_text_length is None else self.unread_text_length

    @property
    def dated(self) -> bool:
        return self.published is not None

    @property
    def when(self) -> datetime:
        """Published time, else the time digest first saw the item."""
        when = self.published or self.first_seen
        assert when is not None, "an item from the store always has first_seen"
        return when


@dataclass(frozen=True)
class AuthorBlurb:
    name: str
    role: str = ""
    bio: str = ""
    avatar: str = ""


@dataclass(frozen=True)
class AlsoCovered:
    feed: str
    link: str


# Languages written right to left, and the script subtags that are (a tag
# naming its script, as ku-Arab or sd-Deva, goes by the script).
_RIGHT_TO_LEFT = frozenset("ar fa ur he iw yi ps sd ug dv ckb".split())
_RIGHT_TO_LEFT_SCRIPTS = frozenset("arab hebr thaa syrc nkoo adlm rohg".split())


def text_direction(tag: str) -> str:
    """"rtl" for a BCP 47 tag of a language written right to left, else ""."""
    subtags = (tag or "").lower().split("-")
    script = next((subtag for subtag in subtags[1:] if len(subtag) == 4 and subtag.isalpha()), None)
    right_to_left = script in _RIGHT_TO_LEFT_SCRIPTS if script else subtags[0] in _RIGHT_TO_LEFT
    return "rtl" if right_to_left else ""


@dataclass(slots=True)
class Story:
    """An item as the digest shows it: ranked, summarized, with its lead.
    Slotted: a build of 5,000 feeds makes one for each of some 80,000
    candidates, and an instance __dict__ was half of each one's size."""

    item: Item
    feed: str  # display name of the feed
    score: float = 0.0
    summary: str = ""
    lead: str = ""
    reading_minutes: int | None = 1  # None: not shown (an excerpt, or audio/video: see duration_seconds)
    author_blurb: AuthorBlurb | None = None
    also: list[AlsoCovered] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    others: list[Item] = field(default_factory=list)  # the same story from other sources
    site: str = ""  # the publisher's site name, from its article page (og:site_name), when it was read
    language: str = ""  # the article's language, from its page (BCP 47), when it was read

    @property
    def items(self) -> list[Item]:
        """Every item of the story: all of them are marked sent together, so
        a later build does not send the story again from another feed."""
        return [self.item, *self.others]

    @property
    def updated(self) -> bool:
        return self.item.updated

    @property
    def direction(self) -> str:
        """"rtl" for a story in a language written right to left, else ""."""
        return text_direction(self.language)

    # Shortcuts so templates can say story.title rather than story.item.title.
    @property
    def title(self) -> str:
        return self.item.title

    @property
    def link(self) -> str:
        return self.item.link

    @property
    def author(self) -> str:
        return self.item.author

    @property
    def published(self) -> datetime:
        return self.item.when

    @property
    def dated(self) -> bool:
        return self.item.dated

    @property
    def date_only(self) -> bool:
        return self.item.date_only

    @property
    def duration_seconds(self) -> int | None:
        return self.item.duration_seconds

    @property
    def image(self) -> Image | None:
        return self.item.image


@dataclass(frozen=True)
class FeedFailure:
    """A feed that could not be read in this run."""

    feed: str  # display name, or the URL when there is none
    url: str
    error: str
    runs: int = 1  # runs in a row the feed has failed, this one included


# The heading of the stories whose feed has no tag, when the digest is grouped by tag.
UNTAGGED_HEADING = "Other stories"


@dataclass
class Digest:
    """Everything the renderers need, and nothing about how it was fetched."""

    title: str
    generated_at: datetime
    since: datetime
    stories: list[Story]
    # The feeds the footer names: failing `failing_after` runs in a row, or
    # retired (templates know this as digest.errors).
    errors: list[FeedFailure] = field(default_factory=list)
    # Every feed that failed in this run, the one-off failures too (JSON `errors`).
    failures: list[FeedFailure] = field(default_factory=list)
    subject: str = ""
    group_by: str | None = None  # "tag": sections by the feeds' tags
    unsubscribe: tuple[str, ...] = ()  # [email] unsubscribe: the footer's visible link (set by Renderer.email)
    cards: int = 3  # [email] cards: stories after the lead drawn as cards (the layout's default)
    name: str = ""  # the digest it is of: a [digests.NAME] table's name; "" for the top-level one
    web_url: str = ""  # its page in the web edition ([web] base_url): the mail's "view in browser"
    # Stories of the window that ranking left out (over `top` or `max_per_feed`;
    # not the muted ones): feed display name -> how many, most first. They are
    # not sent later either, so the email says so ("+12 more stories not shown").
    not_shown: dict[str, int] = field(default_factory=dict)

    @property
    def sections(self) -> list[tuple[str, list[Story]]]:
        """(heading, stories) in rank order. Ungrouped: one section with an
        empty heading. By tag: each story under its first tag, sections
        ordered by their best story; the stories of untagged feeds last,
        under UNTAGGED_HEADING (with no heading they would read as part of
        the section above them)."""
        if self.group_by != "tag":
            return [("", list(self.stories))]
        sections: dict[str, list[Story]] = {}
        untagged = [story for story in self.stories if not story.tags]
        for story in self.stories:
            if story.tags:
                sections.setdefault(story.tags[0], []).append(story)
        if untagged:
            sections.setdefault(UNTAGGED_HEADING, []).extend(untagged)
        return list(sections.items())

    @property
    def window(self) -> timedelta:
        return self.generated_at - self.since


@dataclass(frozen=True)
class PictureFile:
    """A picture's bytes, for a format that carries its pictures (EPUB)."""

    data: bytes
    media_type: str  # image/png, image/jpeg or image/gif

    @property
    def extension(self) -> str:
        return {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}[self.media_type]


@dataclass(frozen=True)
class CacheHeaders:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class BuildRequest:
    """What the command line asks of one build."""

    now: datetime
    since: datetime | None = None  # None: since the last build, else the config window
    top: int | None = None
    offline: bool = False  # build from the store alone




@dataclass(frozen=True)
class EntryMark:
    """What the store remembers of one raw entry of a feed, so that the
    next fetch can skip it unread when its bytes are the same: its
    fingerprint, and what the feed-wide decisions need of it (its date,
    as an epoch, its picture candidates as (url, in the text), and its
    title's mark)."""

    fingerprint: str
    published: float | None = None
    pictures: tuple[tuple[str, bool], ...] = ()
    # A short hash of its title as the feed's repeats are told by
    # (parse.title_mark): a new entry under the title of one skipped may
    # be a copy of it, and is then judged with every entry read.
    title: str = ""


@dataclass(frozen=True)
class KnownEntries:
    """A feed's entries as its last parse left them (sources/known.py):
    entry id (guid, else link, else a hash of its bytes) -> its mark, and
    the feed-wide verdicts those entries gave (the pictures most items
    repeat; whether its dates are days only). An entry whose mark is the
    same is skipped; a verdict that changes has every entry read again."""

    entries: dict[str, EntryMark] = field(default_factory=dict)
    feed_wide: frozenset[str] = frozenset()
    days_only: bool = False
