"""Past digests: sending one without losing or repeating a story, recording
what was sent, and reading a sent digest back.

Each build that marks items sent keeps its digest in the JSON form of
`--format json`, so `digest build --replay N` renders exactly what was
mailed, whatever the feeds or the ranking say today.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import DigestError
from .models import AlsoCovered, AuthorBlurb, Digest, FeedFailure, Image, Item, Story
from .store import Store, this_host


def deliver_and_record(
    store: Store, digest: Digest, data: bytes, deliver: Callable[[], None], output: Path | None = None
) -> int:
    """Claim the digest's items, deliver it, then confirm them as sent.

    If delivery fails, the claim is released and the next build sends the
    same stories. If the process dies in between, the next build settles the
    claim (settle_unfinished). Returns the build id.
    """
    from .render import digest_as_dict

    items = [item for story in digest.stories for item in story.items]
    snapshot = json.dumps(digest_as_dict(digest), ensure_ascii=False)
    build = store.claim(
        items, digest.generated_at, digest.since, digest.subject, snapshot,
        output=str(Path(output).resolve()) if output else None,
        output_sha256=hashlib.sha256(data).hexdigest() if output else None,
    )
    try:
        deliver()
    except BaseException:
        store.release(build)
        raise
    store.confirm(build)
    return build


def settle_unfinished(store: Store) -> list[str]:
    """Builds that died between claiming and confirming: a build that wrote
    its -o file in full counts as sent (the file is the delivery); any other
    releases its stories to be sent again. Returns a note per build."""
    notes = []
    for pending in store.pending_builds():
        if pending.output and _sha256_of(Path(pending.output)) == pending.output_sha256:
            store.confirm(pending.id)
            notes.append(f"build {pending.id} was interrupted after writing {pending.output}; "
                         "its stories count as sent")
        else:
            store.release(pending.id)
            notes.append(f"build {pending.id} was interrupted before its digest was delivered; "
                         "its stories will be sent again")
    return notes


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class BuildLocked(DigestError):
    """Another build is sending; this one wrote nothing. Not a failure."""

    exit_code = 0


@contextmanager
def build_lock(store: Store, wait: timedelta) -> Iterator[None]:
    """Hold the store's build lock, waiting at most `wait` for another
    sending build to finish. A holder that died is taken over."""
    pid, host = os.getpid(), this_host()
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        holder = store.try_lock(pid, host, datetime.now(timezone.utc), LOCK_STALE_AFTER)
        if holder is None:
            break
        if time.monotonic() >= deadline:
            raise BuildLocked(
                f"another build (pid {holder.pid} on {holder.hostname}, since "
                f"{holder.since:%Y-%m-%d %H:%M:%S} UTC) holds the lock; nothing written"
            )
        time.sleep(0.2)
    try:
        yield
    finally:
        store.unlock(pid, host)


# A lock older than this is taken over even when its holder cannot be
# checked (another host sharing the state file).
LOCK_STALE_AFTER = timedelta(hours=6)


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
