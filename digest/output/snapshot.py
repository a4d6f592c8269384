"""A digest as the JSON of `--format json`, and back: what history keeps.

Each build that marks items sent keeps its digest in that form, so
`digest build --replay N` renders exactly what was mailed, whatever the
feeds or the ranking say today.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from ..models import AlsoCovered, AuthorBlurb, Digest, FeedFailure, Image, Item, Story
from ..store import Store


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
        name=data.get("digest") or "",
        web_url=data.get("web_url") or "",
        not_shown={str(feed): int(count) for feed, count in (data.get("not_shown") or {}).items()},
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
        duration_seconds=entry.get("duration_seconds"),
        date_only=entry.get("date_only", False),
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
        site=entry.get("site") or "",
        language=entry.get("language") or "",
    )


def _printable(value):
    """Every value a template prints, without the characters the email
    cannot carry (text.strip_control): items stored before ingestion
    stripped them, config text, error messages holding a feed's URL."""
    from markupsafe import Markup

    from ..text import strip_control

    if isinstance(value, Markup):
        return Markup(strip_control(value))
    return strip_control(value) if isinstance(value, str) else value


def story_as_dict(story: Story) -> dict:
    return {
        "title": story.title,
        "link": story.link,
        "feed": story.feed,
        "feed_url": story.item.feed_url,
        "author": story.author or None,
        "author_blurb": (
            {"role": story.author_blurb.role, "bio": story.author_blurb.bio, "avatar": story.author_blurb.avatar}
            if story.author_blurb
            else None
        ),
        "published": story.published.isoformat(),
        "dated": story.dated,
        "score": round(story.score, 6),
        "lead": story.lead,
        "summary": story.summary,
        "reading_minutes": story.reading_minutes,
        "duration_seconds": story.duration_seconds,
        "date_only": story.date_only,
        "image": asdict(story.image) if story.image else None,
        "also": [{"feed": a.feed, "link": a.link} for a in story.also],
        "tags": story.tags,
        "updated": story.updated,
        "site": story.site or None,  # the publisher's site name, when its article page was read
        "language": story.language or None,
    }


def digest_as_dict(digest: Digest) -> dict:
    return {
        "title": digest.title,
        "subject": digest.subject,
        "generated_at": digest.generated_at.isoformat(),
        "since": digest.since.isoformat(),
        "group_by": digest.group_by,
        "cards": digest.cards,  # the layout's tiers, so a replay draws what was sent
        "digest": digest.name or None,  # [digests.NAME]; null for the top-level digest
        "web_url": digest.web_url or None,  # its page in the web edition, when [web] base_url is set
        "items": [story_as_dict(s) for s in digest.stories],
        # Stories ranking left out (over top or max_per_feed), by feed: the "+N more not shown" line.
        "not_shown": digest.not_shown,
        # This run's failures, as DESIGN.md promises; `failing` is what the
        # footer names (failing `failing_after` runs in a row, or retired).
        "errors": [_failure_as_dict(f) for f in digest.failures],
        "failing": [_failure_as_dict(f) for f in digest.errors],
    }


def _failure_as_dict(failure) -> dict:
    return {"feed": failure.feed, "url": failure.url, "error": failure.error, "runs": failure.runs}


def snapshot_of(digest: Digest) -> str:
    """The digest as a build's history row keeps it."""
    return json.dumps(digest_as_dict(digest), ensure_ascii=False)
