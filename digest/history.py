"""Past digests: recording what was sent, and reading a sent digest back.

Each build that marks items sent keeps its digest in the JSON form of
`--format json`, so `digest build --replay N` renders exactly what was
mailed, whatever the feeds or the ranking say today.
"""

from __future__ import annotations

import json
from datetime import datetime

from .models import AlsoCovered, AuthorBlurb, Digest, FeedFailure, Image, Item, Story
from .store import Store


def record_sent(store: Store, digest: Digest) -> int:
    """Mark the digest's items sent and keep a copy of it. Returns the build id."""
    from .render import digest_as_dict

    items = [item for story in digest.stories for item in sent_items(story)]
    snapshot = json.dumps(digest_as_dict(digest), ensure_ascii=False)
    return store.mark_sent(items, digest.generated_at, digest.since, digest.subject, snapshot)


def sent_items(story: Story) -> list[Item]:
    """Every stored item a story stands for."""
    return story.items


def replayed_digest(store: Store, build_id: int) -> Digest:
    """The digest build `build_id` sent, as it was."""
    return digest_from_dict(json.loads(store.build_snapshot(build_id)))


def digest_from_dict(data: dict) -> Digest:
    """The inverse of render.digest_as_dict, for everything the templates show."""
    return Digest(
        title=data["title"],
        generated_at=datetime.fromisoformat(data["generated_at"]),
        since=datetime.fromisoformat(data["since"]),
        stories=[_story(entry) for entry in data["items"]],
        errors=[FeedFailure(feed=e["feed"], url=e.get("url", ""), error=e["error"]) for e in data["errors"]],
        subject=data.get("subject", ""),
        group_by=data.get("group_by"),
    )


def _story(entry: dict) -> Story:
    published = datetime.fromisoformat(entry["published"])
    dated = entry.get("dated", True)
    item = Item(
        feed_url=entry.get("feed_url", ""),
        key="",
        title=entry["title"],
        link=entry["link"],
        author=entry.get("author") or "",
        published=published if dated else None,
        first_seen=published,
        image=Image(**entry["image"]) if entry.get("image") else None,
        updated=entry.get("updated", False),
    )
    blurb = entry.get("author_blurb")
    return Story(
        item=item,
        feed=entry["feed"],
        score=entry.get("score", 0.0),
        summary=entry.get("summary", ""),
        lead=entry.get("lead", ""),
        reading_minutes=entry.get("reading_minutes", 1),
        author_blurb=AuthorBlurb(name=item.author, **blurb) if blurb else None,
        also=[AlsoCovered(feed=a["feed"], link=a["link"]) for a in entry.get("also", [])],
        tags=entry.get("tags", []),
    )
