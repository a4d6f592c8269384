"""A picture's width and height from its header (imagesize): of a local
file, or of the first bytes of a remote one. Never the whole file."""

from __future__ import annotations

import os
import stat


def local_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """(width, height) of a local picture from its header, or None when the
    file is missing, not a regular file (a named pipe must not hold the
    build), or not a picture imagesize knows."""
    import imagesize

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        width, height = imagesize.get(str(path))
    except Exception:  # noqa: BLE001 - an unreadable or hostile file is no size, whatever imagesize raises
        return None
    return (width, height) if width > 0 and height > 0 else None


def size_of_bytes(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a picture, or None when they
    do not say (not a picture, or its header lies past them)."""
    import io

    import imagesize

    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - a truncated or hostile header is no size, whatever imagesize raises
        return None
    return (width, height) if width > 0 and height > 0 else None


