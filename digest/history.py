"""Past digests: what was sent, read back.

Each build that marks items sent keeps its digest in the JSON form of
`--format json`, so `digest build --replay N` renders exactly what was
mailed, whatever the feeds or the ranking say today.
"""

from __future__ import annotations

import json
from datetime import datetime

from .models import AlsoCovered, AuthorBlurb, Digest, FeedFailure, Image, Item, Story
from .store import Store


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
        # Snapshots from before `failing` existed kept the footer's list as `errors`.
        errors=[_failure(e) for e in data["failing" if "failing" in data else "errors"]],
        failures=[_failure(e) for e in data["errors"]] if "failing" in data else [],
        subject=data.get("subject", ""),
        group_by=data.get("group_by"),
        cards=data.get("cards", Digest.cards),
    )


def _failure(entry: dict) -> FeedFailure:
    return FeedFailure(feed=entry["feed"], url=entry.get("url", ""), error=entry["error"], runs=entry.get("runs", 1))


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
