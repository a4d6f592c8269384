"""Fetch benchmark: N generated feeds on loopback, each answering after a delay.

Run on demand (not part of the test suite):

    python benchmarks/fetch.py [--feeds 40] [--latency 0.2] [--timeout 3]

Each feed gets its own loopback address (127.0.0.2, 127.0.0.3, ...; the
server is feedserver.py, shared with bench.py), so it is its own host and the
per-host limit does not serialise the run, as with real feeds from many sites.
Every response, 304s included, waits `latency`.

Prints digest's cold fetch (fetch + parse + store into a fresh state file),
its warm fetch (every feed answers 304), a sequential one-at-a-time GET of the
same feeds (fetch only, no parsing: a baseline that flatters the sequential
side), and their ratios. Then the issue's acceptance run: the real `digest
build` in a fresh process over the same feeds plus one that never answers,
cold and then warm, with the timeout, exit code and 304 count.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedserver import Feeds, config_text, serve  # noqa: E402


def digest_fetch(urls: list[str], timeout: float, state: Path):
    """One `digest fetch` in this process; returns (seconds, Refresh)."""
    from digest.config import config_from_dict
    from digest.report import SilentReporter
    from digest.sources.refresh import fetch_feeds
    from digest.store import Store

    import tomllib

    config = config_from_dict(tomllib.loads(config_text(urls, timeout, state)))
    now = datetime.now(timezone.utc)
    with Store.open(state) as store:
        started = time.perf_counter()
        refresh = fetch_feeds(config, store, now, SilentReporter())
        return time.perf_counter() - started, refresh


def sequential(urls: list[str], timeout: float) -> float:
    import httpx

    started = time.perf_counter()
    with httpx.Client(timeout=timeout) as client:
        for url in urls:
            client.get(url).raise_for_status()
    return time.perf_counter() - started


def cli_build(config: Path) -> tuple[float, subprocess.CompletedProcess]:
    command = [sys.executable, "-c", "from digest.cli import main; main()",
               "build", "--config", str(config), "--format", "text", "--no-mark-sent", "--allow-empty"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds before each response")
    parser.add_argument("--items", type=int, default=20, help="items per feed")
    parser.add_argument("--timeout", type=float, default=3.0, help="digest's [fetch] timeout for the hang run")
    args = parser.parse_args()

    feeds = Feeds(latency=args.latency, items=args.items)
    urls = serve(feeds, args.feeds, per_host=1)
    hang_url = serve(feeds, 1, hang=True)[0]
    n, ms = args.feeds, args.latency * 1000
    print(f"{n} feeds x {args.items} items, {ms:.0f} ms latency each, one loopback host per feed")

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        cold, refresh = digest_fetch(urls, args.timeout, folder / "fetch.db")
        assert refresh.updated == n and not refresh.failures, refresh
        warm, refresh = digest_fetch(urls, args.timeout, folder / "fetch.db")
        assert refresh.unchanged == n, refresh
        seq = sequential(urls, args.timeout)
        print(f"  digest cold fetch (GET + parse + store): {cold:6.2f} s")
        print(f"  digest warm fetch ({n} x 304):            {warm:6.2f} s")
        print(f"  sequential GET, one at a time, no parse:  {seq:6.2f} s  (floor {n} x {ms:.0f} ms = {n * args.latency:.2f} s)")
        print(f"  sequential / digest cold: {seq / cold:5.1f}x    sequential / digest warm: {seq / warm:5.1f}x    "
              f"cold / warm: {cold / warm:4.1f}x")

        config = folder / "digest.toml"
        config.write_text(config_text([*urls, hang_url], args.timeout, folder / "build.db"))
        print(f"\n{n} feeds + 1 that never answers, timeout {args.timeout:g} s, `digest build` in a fresh process:")
        before = len(feeds.statuses)
        took, done = cli_build(config)
        named = hang_url in done.stderr
        print(f"  cold build: {took:6.2f} s  = timeout + {took - args.timeout:.2f} s "
              f"(sequential feeds alone would add {n * args.latency:.2f} s); exit {done.returncode}; "
              f"hanging feed named on stderr: {'yes' if named else 'NO'}")
        after_cold = len(feeds.statuses)
        took, done = cli_build(config)
        answers = feeds.statuses[after_cold:]
        print(f"  warm build: {took:6.2f} s; {answers.count(304)}/{n} answered 304 "
              f"({len(answers)} responses; {after_cold - before} in the cold build); exit {done.returncode}")
        for line in done.stderr.strip().splitlines():
            print(f"  stderr: {line}")
    feeds.stop.set()


if __name__ == "__main__":
    main()
