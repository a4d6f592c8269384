"""Draws the example feeds' pictures: flat illustrations, made here, so the
examples show real pictures offline and carry nobody's copyright.

    python3 examples/feeds/images/make_images.py   # rewrites the PNGs beside it

Standard library only (a PNG is zlib-compressed rows plus three chunks), so
nothing needs installing to remake them.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Canvas:
    """RGB pixels with the few shapes an illustration needs."""

    def __init__(self, width: int, height: int, color=(255, 255, 255)):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(color) * width) for _ in range(height)]

    def pixel(self, x: int, y: int, color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][3 * x:3 * x + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color) -> None:
        x0, x1 = max(0, x0), min(self.width, x1)
        for y in range(max(0, y0), min(self.height, y1)):
            self.rows[y][3 * x0:3 * x1] = bytes(color) * (x1 - x0)

    def vertical_gradient(self, y0: int, y1: int, top, bottom) -> None:
        for y in range(y0, y1):
            t = (y - y0) / max(1, y1 - y0 - 1)
            self.rect(0, y, self.width, y + 1, tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))

    def circle(self, cx: float, cy: float, r: float, color) -> None:
        for y in range(int(cy - r), int(cy + r) + 1):
            half = math.sqrt(max(0.0, r * r - (y - cy) ** 2))
            self.rect(int(cx - half), y, int(cx + half) + 1, y + 1, color)

    def polygon(self, points: list[tuple[float, float]], color) -> None:
        """Scanline fill of a simple polygon."""
        ys = [p[1] for p in points]
        for y in range(int(min(ys)), int(max(ys)) + 1):
            crossings = []
            for (xa, ya), (xb, yb) in zip(points, points[1:] + points[:1]):
                if (ya <= y < yb) or (yb <= y < ya):
                    crossings.append(xa + (y - ya) * (xb - xa) / (yb - ya))
            crossings.sort()
            for left, right in zip(crossings[::2], crossings[1::2]):
                self.rect(int(left), y, int(right) + 1, y + 1, color)

    def rounded_rect(self, x0: int, y0: int, x1: int, y1: int, radius: int, color) -> None:
        self.rect(x0 + radius, y0, x1 - radius, y1, color)
        self.rect(x0, y0 + radius, x1, y1 - radius, color)
        for cx, cy in ((x0 + radius, y0 + radius), (x1 - radius, y0 + radius),
                       (x0 + radius, y1 - radius), (x1 - radius, y1 - radius)):
            self.circle(cx, cy, radius, color)

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def train_at_dawn() -> Canvas:
    """A passenger train on a rail line across the steppe at sunrise."""
    c = Canvas(1200, 675)
    c.vertical_gradient(0, 420, (250, 190, 120), (253, 232, 190))
    c.circle(880, 360, 70, (255, 244, 214))
    c.polygon([(0, 380), (260, 330), (520, 372), (800, 318), (1200, 366), (1200, 675), (0, 675)], (126, 150, 104))
    c.polygon([(0, 440), (400, 410), (760, 436), (1200, 402), (1200, 675), (0, 675)], (96, 124, 82))
    c.rect(0, 520, 1200, 528, (70, 62, 58))
    c.rect(0, 548, 1200, 556, (70, 62, 58))
    for x in range(0, 1200, 36):
        c.rect(x, 526, x + 14, 552, (110, 86, 64))
    for car, x0 in enumerate(range(110, 1000, 300)):
        c.rounded_rect(x0, 400, x0 + 280, 520, 18, (30, 82, 140) if car else (200, 60, 50))
        c.rect(x0, 486, x0 + 280, 496, (245, 205, 70))
        for wx in range(x0 + 24, x0 + 260, 52):
            c.rounded_rect(wx, 424, wx + 34, 462, 6, (222, 238, 248))
        for wheel in (x0 + 50, x0 + 230):
            c.circle(wheel, 522, 16, (40, 40, 44))
    return c


def night_bus() -> Canvas:
    """A night bus leaving the depot under the stars."""
    rng = random.Random(7)
    c = Canvas(800, 533)
    c.vertical_gradient(0, 360, (14, 22, 52), (44, 60, 110))
    for _ in range(90):
        c.circle(rng.randrange(800), rng.randrange(300), rng.choice((1, 1, 1.6)), (240, 240, 210))
    c.circle(640, 80, 34, (250, 246, 220))
    c.circle(654, 72, 30, (22, 32, 66))
    c.rect(0, 360, 800, 533, (46, 48, 56))
    for x in range(20, 800, 120):
        c.rect(x, 450, x + 60, 458, (230, 220, 160))
    c.rounded_rect(150, 230, 650, 420, 26, (222, 84, 44))
    c.rect(150, 380, 650, 392, (250, 210, 90))
    for wx in range(180, 600, 70):
        c.rounded_rect(wx, 256, wx + 52, 320, 8, (255, 226, 140))
    c.rounded_rect(604, 256, 636, 360, 6, (255, 226, 140))
    c.circle(638, 396, 10, (255, 250, 220))
    for wheel in (240, 560):
        c.circle(wheel, 420, 28, (26, 26, 30))
        c.circle(wheel, 420, 11, (120, 120, 128))
    return c


def wal_diagram() -> Canvas:
    """A database file, its write-ahead log, and readers: boxes and arrows."""
    c = Canvas(800, 450, (246, 248, 250))
    c.rounded_rect(60, 140, 270, 320, 16, (48, 110, 190))
    c.rounded_rect(330, 170, 470, 290, 14, (236, 160, 48))
    for row in range(4):
        c.rect(350, 190 + row * 24, 450, 204 + row * 24, (252, 224, 170))
    for y in (150, 225, 300):
        c.rounded_rect(560, y - 28, 740, y + 28, 12, (70, 160, 110))
    c.rect(270, 228, 330, 236, (90, 96, 104))
    c.polygon([(318, 218), (336, 232), (318, 246)], (90, 96, 104))
    for y in (150, 225, 300):
        c.polygon([(470, 230), (560, y - 4), (560, y + 4), (470, 238)], (150, 156, 164))
    for row in range(5):
        c.rect(84, 164 + row * 30, 246, 176 + row * 30, (150, 190, 236))
    return c


def portrait(background, skin, hair, shirt) -> Canvas:
    """A round-avatar-friendly head and shoulders."""
    c = Canvas(176, 176, background)
    c.circle(88, 196, 70, shirt)
    c.circle(88, 78, 40, hair)
    c.circle(88, 86, 34, skin)
    c.rect(54, 44, 122, 66, hair)
    return c


PICTURES = {
    "kharkiv-train.png": train_at_dawn,
    "night-bus.png": night_bus,
    "wal-diagram.png": wal_diagram,
    "fornusek.png": lambda: portrait((210, 226, 240), (236, 196, 164), (92, 64, 44), (40, 70, 120)),
    "okafor.png": lambda: portrait((246, 222, 200), (150, 100, 70), (30, 24, 22), (180, 60, 80)),
}


if __name__ == "__main__":
    for name, draw in PICTURES.items():
        (HERE / name).write_bytes(draw().png())
        print(f"wrote {HERE / name}")
