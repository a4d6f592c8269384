"""Delivery benchmark: what one `digest build` costs to put its mail into a
mailbox that has grown, and to send it to an SMTP server on loopback.

Run on demand (not part of the test suite):

    python benchmarks/deliver.py [--mbox-mb 0 50 200] [--maildir-messages 0 20000]

Each build is the real `digest build` in a fresh process over the shipped
example feeds (--offline after a first fetch, --no-mark-sent so every run
delivers); printed: wall seconds and the child's CPU seconds. The stdlib
mbox reads the whole file on every append (its table of contents), so an
mbox costs in proportion to its size; a Maildir does not.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-01-02T20:00:00Z"
DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]
MESSAGE = b"From: a@example.org\nSubject: old mail\n\n" + b"a line of an old message, some sixty bytes long......\n" * 180


def build(config: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `digest build` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([*DIGEST, "--config", str(config), "build", "--now", NOW, "--offline",
                    "--no-mark-sent", *args], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def example_config(folder: Path) -> Path:
    text = (ROOT / "examples" / "digest.toml").read_text(encoding="utf-8")
    text = text.replace('state = "/tmp/digest-example-state.db"', f'state = "{folder / "state.db"}"')
    text = text.replace('"feeds/', f'"{ROOT / "examples"}/feeds/')
    config = folder / "digest.toml"
    config.write_text(text, encoding="utf-8")
    subprocess.run([*DIGEST, "--config", str(config), "-q", "fetch", "--now", NOW],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox-mb", type=int, nargs="*", default=[0, 50, 200])
    parser.add_argument("--maildir-messages", type=int, nargs="*", default=[0, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        config = example_config(folder)
        wall, cpu = build(config, "-o", str(folder / "out.eml"))
        print(f"-o FILE (baseline)                 {wall:6.2f} s wall  {cpu:6.2f} s CPU")
        for size in args.mbox_mb:
            box = folder / f"box-{size}.mbox"
            with box.open("wb") as out:
                for _ in range(size * 1_000_000 // (len(MESSAGE) + 40)):
                    out.write(b"From a@example.org Thu Jan  2 20:00:00 2025\n" + MESSAGE + b"\n")
            wall, cpu = build(config, "--mbox", str(box))
            print(f"--mbox, {size:4d} MB before            {wall:6.2f} s wall  {cpu:6.2f} s CPU")
        for count in args.maildir_messages:
            maildir = folder / f"maildir-{count}"
            for sub in ("tmp", "new", "cur"):
                (maildir / sub).mkdir(parents=True)
            for number in range(count):
                (maildir / "cur" / f"{number}.old:2,S").write_bytes(MESSAGE)
            wall, cpu = build(config, "--maildir", str(maildir))
            print(f"--maildir, {count:6d} messages before {wall:6.2f} s wall  {cpu:6.2f} s CPU")


if __name__ == "__main__":
    main()
