"""The one protocol every destination is used through when stories are
marked sent (`send`): claim the digest's items in the store, deliver, then
confirm them as sent, or release them when delivery failed. A build killed
in between is settled by the next one (`settle_unfinished`), and one
sending build runs at a time (`build_lock`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import DigestError
from ..models import Digest
from ..store import Store, this_host
from .base import Destination, Outgoing


def send(store: Store, digest: Digest, snapshot: str, outgoing: Outgoing, destination: Destination) -> list[str]:
    """Claim the digest's items, deliver, then confirm them as sent.

    If delivery fails, the claim is released and the next build sends the
    same stories. If the process dies in between, the next build settles the
    claim (settle_unfinished). `snapshot` is the digest as history keeps
    it (its JSON, for a replay). Returns the destination's warnings.
    """
    items = [item for story in digest.stories for item in story.items]
    proof = destination.proof
    build = store.claim(
        items, digest.generated_at, digest.since, digest.subject, snapshot,
        output=str(Path(proof).resolve()) if proof else None,
        output_sha256=hashlib.sha256(outgoing.data).hexdigest() if proof else None,
    )
    try:
        notes = destination.deliver(outgoing)
    except BaseException:
        store.release(build)
        raise
    store.confirm(build)
    return notes


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


