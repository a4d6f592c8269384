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


@dataclass
class Item:
    """One entry of one feed, cleaned: the unit the store keeps."""

    feed_url: str
    key: str  # identity inside the feed: guid, else canonical link, else a content hash
    title: str
    link: str  # canonical: tracking parameters and fragment removed
    author: str = ""
    published: datetime | None = None  # aware, UTC; None when the feed gives no date
    content_html: str = ""  # sanitized with nh3; the fullest text the item has
    text: str = ""  # plain text of content_html, for summaries and reading time
    image: Image | None = None
    tags: list[str] = field(default_factory=list)
    # Set by the store:
    id: int | None = None
    first_seen: datetime | None = None

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


@dataclass
class Story:
    """An item as the digest shows it: ranked, summarized, with its lead."""

    item: Item
    feed: str  # display name of the feed
    score: float = 0.0
    summary: str = ""
    lead: str = ""
    reading_minutes: int = 1
    author_blurb: AuthorBlurb | None = None
    also: list[AlsoCovered] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

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
    def image(self) -> Image | None:
        return self.item.image


@dataclass(frozen=True)
class FeedFailure:
    """A feed that could not be read in this run."""

    feed: str  # display name, or the URL when there is none
    url: str
    error: str


@dataclass
class Digest:
    """Everything the renderers need, and nothing about how it was fetched."""

    title: str
    generated_at: datetime
    since: datetime
    stories: list[Story]
    errors: list[FeedFailure] = field(default_factory=list)
    subject: str = ""

    @property
    def window(self) -> timedelta:
        return self.generated_at - self.since

    @property
    def sections(self) -> list[tuple[str, list[Story]]]:
        """Stories grouped for display as (tag, stories). Minimal stand-in
        until grouping by tag lands (issue 4): one untitled group."""
        return [("", self.stories)]
