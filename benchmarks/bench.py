"""digest against a one-at-a-time feed reader: speed, scaling, memory, parsing.

Run on demand (not part of the test suite); everything stays on 127.0.0.x:

    python benchmarks/bench.py                  # all parts, ~6 minutes on 2 cores (most of it 5,000 feeds)
    python benchmarks/bench.py --quick          # 50 feeds, small scaling table, a few minutes
    python benchmarks/bench.py --only target    # or: daily, scaling, grouping, parse, startup (repeatable)
    python benchmarks/bench.py --only target --profile prof/   # pyinstrument reports (pip install '.[bench]')
    python benchmarks/bench.py --generator pseudo   # the first generator's feeds (default: realistic)

Feeds come from benchmarks/newsgen.py by default ("realistic": headlines
and bodies from a Zipf vocabulary, stories carried by 2-5 feeds under
reworded titles); "zipf" is the same without names of a story's own, and
"pseudo" the first generator, whose pseudo-words rarely repeat (see
feedserver.py). Every part uses the one chosen. Each child's wall time
stands beside its CPU seconds (user + system, from wait4) and the load
average when it finished: on a shared machine, wall time alone says little.

Parts:
- target: N feeds (default 200) x 20 items, fixed latency (100 ms), two
  feeds to a loopback host. Baseline: a sequential `feedparser.parse(url)`
  loop over the same feeds, in its own process. digest cold (empty store)
  and warm (every feed answers 304): the real `digest build` in a fresh
  process. Wall time, ratio to the baseline, CPU seconds and the child's
  peak RSS. Every feed body is generated before the first child starts.
- daily: the build a user runs every morning. N feeds as in target; day
  0 is a cold build that marks everything sent; then every feed moves on
  by 3 items (3 new on top, 3 of the oldest gone, a new ETag, the whole
  document again), and the morning build (as cron runs it) is timed
  against the sequential feedparser loop over the moved-on feeds.
- scaling: cold and warm `digest build` for N = 50, 200, 1000, 5000 at one
  small latency (the same for every row, so per-feed times compare).
- grouping: cluster() alone on 4,000, 20,000 and 100,000 generated items
  (benchmarks/grouping.py in a fresh process per row): seconds, peak RSS,
  and the pairs grouped rightly and wrongly against the generator's truth.
- parse: feedparser on a 2 MB feed with its sanitizer and relative-URI
  resolver on (its defaults) and off (as digest runs it), and digest's whole
  parse_feed (parser + nh3 + text) on its feedparser path (fast=False) and
  with the lxml reader (digest/sources/xmlfeed.py), in MB/s and ms per item;
  and the reader alone (bytes -> feedparser's entry dicts) with its entries
  replayed into feedparser's handlers and mapped by direct.py.
- startup: `digest --help` and `digest --version`, best of 5.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedserver import GENERATORS, Feeds, config_text, feed_xml, serve  # noqa: E402

ITEMS = 20
CHILD_TIMEOUT = 900  # seconds; a child past this is killed and the row says so
DIGEST = [sys.executable, "-c", "from digest.cli import main; main()"]
BASELINE = (
    "import sys, feedparser\n"
    "urls = open(sys.argv[1]).read().split()\n"
    "items = sum(len(feedparser.parse(u).entries) for u in urls)\n"
    "assert items == len(urls) * %d, items\n" % ITEMS
)


@dataclass
class Run:
    """One child process: wall seconds, CPU seconds (user + system), peak
    RSS (MB), exit code, stderr, the 1-minute load average as it ended."""

    seconds: float
    cpu: float
    rss_mb: float
    code: int
    stderr: str
    load: float = 0.0


# Linux counts in a process's peak RSS the memory of the process it was
# forked from, as it was when the child exec'd: every child of this process
# (which holds every feed body it serves: 150 MB at 5,000 feeds) would show
# at least this process's size. So children start from a small launcher
# that forks them, waits for them and reports their own rusage on a pipe.
_LAUNCHER = (
    "import os, sys, time\n"
    "report = int(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.close(report)\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "os.write(report, repr((time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)).encode())\n"
    "sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)\n"
)


def run_child(command: list[str], stdout=subprocess.DEVNULL) -> Run:
    """Run `command` in a fresh process; its wall time, its CPU time (with
    its reaped children's: parse workers) and its own peak RSS come from
    wait4 in the launcher. A run past CHILD_TIMEOUT is killed, with its
    process group, and says so (exit -9)."""
    read, write = os.pipe()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(write), *command], stdout=stdout,
                                 stderr=err, pass_fds=(write,), start_new_session=True)
        os.close(write)
        killed = threading.Event()
        killer = threading.Timer(CHILD_TIMEOUT, lambda: (killed.set(), os.killpg(child.pid, 9)))
        killer.start()
        try:
            report = b""
            while chunk := os.read(read, 4096):
                report += chunk
            child.wait()
        finally:
            killer.cancel()
            os.close(read)
        err.seek(0)
        said = err.read().decode(errors="replace")
    if killed.is_set() or not report:
        return Run(CHILD_TIMEOUT, 0.0, 0.0, -9, said, os.getloadavg()[0])
    seconds, cpu, rss_kb = ast.literal_eval(report.decode())
    # ru_maxrss is in kilobytes on Linux.
    return Run(seconds, cpu, rss_kb / 1024, child.returncode, said, os.getloadavg()[0])


def digest_command(config: Path, args: list[str], profile: Path | None = None) -> list[str]:
    if profile is None:
        return [*DIGEST, "-q", "--config", str(config), *args]
    return [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(profile),
            "-c", "from digest.cli import main; main()", "-q", "--config", str(config), *args]


BUILD = ["build", "--format", "email", "--no-mark-sent", "--allow-empty"]


class Site:
    """N generated feeds on loopback plus a config for them."""

    def __init__(self, folder: Path, count: int, latency: float, per_host: int, generator: str, moves: int = 0):
        self.feeds = Feeds(latency=latency, items=ITEMS, generator=generator, moves=moves)
        # Made before any child runs: generated on demand, the bodies took
        # this process a core's seconds while the cold build was timed.
        for number in range(count):
            self.feeds.body(number)
        self.urls = serve(self.feeds, count, per_host=per_host)
        self.count = count
        self.config = folder / f"digest-{count}.toml"
        self.state = folder / f"state-{count}.db"
        self.config.write_text(config_text(self.urls, timeout=60, state=self.state))
        self.url_list = folder / f"urls-{count}.txt"
        self.url_list.write_text("\n".join(self.urls))

    def statuses_since(self, mark: int) -> list[int]:
        return self.feeds.statuses[mark:]

    def build(self, profile: Path | None = None, args: list[str] = BUILD) -> tuple[Run, list[int]]:
        mark = len(self.feeds.statuses)
        run = run_child(digest_command(self.config, args, profile))
        return run, self.statuses_since(mark)

    def next_day(self) -> None:
        """Every feed moves on (see Feeds.day); the new bodies are made now, not while a build is timed."""
        self.feeds.day = 1
        for number in range(self.count):
            self.feeds.body(number)

    def close(self) -> None:
        self.feeds.stop.set()


def _check(run: Run, statuses: list[int], want: int, count: int, what: str) -> str:
    """'' when the run did what it should, else a short complaint."""
    problems = []
    if run.code != 0:
        problems.append(f"exit {run.code}")
    if statuses.count(want) != count:
        problems.append(f"{statuses.count(want)}/{count} answered {want}")
    if run.stderr.strip():
        problems.append("stderr: " + run.stderr.strip().splitlines()[-1][:100])
    return f"  !! {what}: " + "; ".join(problems) if problems else ""


# ---------------------------------------------------------------- parts


def part_target(folder: Path, count: int, latency: float, per_host: int, profile: Path | None,
                generator: str) -> None:
    print(f"== target: {count} feeds x {ITEMS} items ({generator}), {latency * 1000:.0f} ms latency, "
          f"{per_host} feeds per loopback host, {os.cpu_count()} cores")
    site = Site(folder, count, latency, per_host, generator)
    try:
        baseline = run_child([sys.executable, "-c", BASELINE, str(site.url_list)])
        if baseline.code:
            print(f"  !! baseline failed: {baseline.stderr.strip()[-300:]}")
        cold, cold_statuses = site.build(profile and profile / "cold.txt")
        warm, warm_statuses = site.build(profile and profile / "warm.txt")
        print_runs(baseline, [("digest build, cold (empty store)", cold), (f"digest build, warm ({count} x 304)", warm)])
        for line in (_check(cold, cold_statuses, 200, count, "cold"), _check(warm, warm_statuses, 304, count, "warm")):
            if line:
                print(line)
        ok = not any(_check(*row) for row in ((cold, cold_statuses, 200, count, ""), (warm, warm_statuses, 304, count, "")))
        print(f"  targets{'' if ok else ' (runs FAILED, see above)'}: "
              f"cold <= 0.08 x baseline: {_met(cold.seconds <= 0.08 * baseline.seconds, ok)}; "
              f"warm <= 0.05 x baseline: {_met(warm.seconds <= 0.05 * baseline.seconds, ok)}; "
              f"peak RSS <= 64 MB: {_met(max(cold.rss_mb, warm.rss_mb) <= 64, ok)}")
        if profile:
            print(f"  profiles: {profile / 'cold.txt'}, {profile / 'warm.txt'}")
    finally:
        site.close()


def print_runs(baseline, runs: list[tuple[str, object]]) -> None:
    """The sequential baseline and each run beside it: wall, its ratio to
    the baseline, CPU, peak RSS and load."""
    print(f"  {'':38} {'wall s':>8} {'x baseline':>11} {'CPU s':>7} {'peak RSS MB':>12} {'load':>5}")
    for label, run in [("baseline: sequential feedparser.parse", baseline), *runs]:
        print(f"  {label:38} {run.seconds:8.2f} {run.seconds / baseline.seconds:11.3f} {run.cpu:7.2f} "
              f"{run.rss_mb:12.1f} {run.load:5.2f}")


MOVES = 3  # items each feed gains overnight in the daily part


def part_daily(folder: Path, count: int, latency: float, per_host: int, profile: Path | None,
               generator: str) -> None:
    print(f"\n== daily: {count} feeds x {ITEMS} items ({generator}), {latency * 1000:.0f} ms latency, "
          f"{per_host} feeds per loopback host: day 0 cold and sent, then every feed moves on by {MOVES} items "
          f"(new ETag, whole document), then the morning build")
    if generator == "pseudo":
        print("  !! the pseudo generator has no day-to-day feeds; skipped")
        return
    site = Site(folder, count, latency, per_host, generator, moves=MOVES)
    try:
        day0, day0_statuses = site.build(args=["build", "--format", "email", "--mark-sent", "--allow-empty"])
        site.next_day()
        baseline = run_child([sys.executable, "-c", BASELINE, str(site.url_list)])
        if baseline.code:
            print(f"  !! baseline failed: {baseline.stderr.strip()[-300:]}")
        morning, morning_statuses = site.build(profile and profile / "morning.txt")
        print_runs(baseline, [("digest build, day 0 (cold, mark sent)", day0),
                              (f"digest build, morning ({count} x 200)", morning)])
        checks = (_check(day0, day0_statuses, 200, count, "day 0"),
                  _check(morning, morning_statuses, 200, count, "morning"))
        for line in checks:
            if line:
                print(line)
        ok = not any(checks)
        print(f"  targets{'' if ok else ' (runs FAILED, see above)'}: "
              f"morning <= 0.06 x baseline: {_met(morning.seconds <= 0.06 * baseline.seconds, ok)}; "
              f"peak RSS <= 64 MB: {_met(max(day0.rss_mb, morning.rss_mb) <= 64, ok)}")
        if profile:
            print(f"  profile: {profile / 'morning.txt'}")
    finally:
        site.close()


def part_scaling(folder: Path, sizes: list[int], latency: float, per_host: int, generator: str) -> None:
    print(f"\n== scaling: cold and warm `digest build`, {ITEMS} items per feed ({generator}), "
          f"{latency * 1000:.0f} ms latency, {per_host} feeds per host")
    print(f"  {'feeds':>6} {'cold s':>8} {'CPU s':>7} {'items/s':>8} {'ms/feed':>8} {'RSS MB':>7}   "
          f"{'warm s':>7} {'CPU s':>6} {'ms/feed':>8} {'RSS MB':>7} {'load':>5}")
    rows = {}
    for count in sizes:
        site = Site(folder, count, latency, per_host, generator)
        try:
            cold, cold_statuses = site.build()
            warm, warm_statuses = site.build()
        finally:
            site.close()
        rows[count] = cold
        print(f"  {count:6d} {cold.seconds:8.2f} {cold.cpu:7.2f} {count * ITEMS / cold.seconds:8.0f} "
              f"{cold.seconds / count * 1000:8.2f} {cold.rss_mb:7.1f}   "
              f"{warm.seconds:7.2f} {warm.cpu:6.2f} {warm.seconds / count * 1000:8.2f} {warm.rss_mb:7.1f} "
              f"{warm.load:5.2f}", flush=True)
        for line in (_check(cold, cold_statuses, 200, count, "cold"), _check(warm, warm_statuses, 304, count, "warm")):
            if line:
                print(line)
    if 200 in rows and max(rows) > 200 and all(rows[n].code == 0 for n in (200, max(rows))):
        big = max(rows)
        ratio = (rows[big].seconds / big) / (rows[200].seconds / 200)
        print(f"  linear: per-feed time at {big} is {ratio:.2f}x that at 200 (target <= 2): {_met(ratio <= 2)}; "
              f"peak RSS at {big}: {rows[big].rss_mb:.0f} MB (target <= 300 at 5000): "
              f"{_met(rows[big].rss_mb <= 300)}")


GROUPING = Path(__file__).resolve().parent / "grouping.py"


def part_grouping(sizes: list[int], generator: str) -> None:
    import json

    print(f"\n== grouping: cluster() alone on generated items ({generator}), a fresh process per row")
    print(f"  {'items':>7} {'wall s':>7} {'CPU s':>6} {'RSS MB':>7} {'stories':>8} {'largest':>7} "
          f"{'pairs right':>11} {'wrong':>7} {'missed':>7} {'load':>5}")
    for count in sizes:
        with tempfile.TemporaryFile() as out:
            run = run_child([sys.executable, str(GROUPING), str(count), "--generator", generator], stdout=out)
            out.seek(0)
            text = out.read().decode()
        if run.code:
            print(f"  {count:7d}  !! exit {run.code}: {run.stderr.strip()[-200:]}")
            continue
        row = json.loads(text)
        print(f"  {count:7d} {row['wall']:7.2f} {row['cpu']:6.2f} {row['rss_mb']:7.1f} {row['stories']:8d} "
              f"{row['largest_story']:7d} {row['pairs_right']:11d} {row['pairs_wrong']:7d} "
              f"{row['pairs_missed']:7d} {run.load:5.2f}", flush=True)
        if count == 100_000:
            print(f"  target: 100,000 items in <= 5 s: {_met(row['wall'] <= 5)}")


def part_parse(megabytes: float, generator: str) -> None:
    import feedparser

    from digest.sources import parse as parse_module
    from digest.sources import xmlfeed
    from digest.sources.parse import parse_feed

    now = datetime.now(timezone.utc)
    sample = len(feed_xml(1, 64, now, paragraphs=8, generator=generator))
    items = max(1, round(64 * megabytes * 1_000_000 / sample))  # items are about the same size
    body = feed_xml(1, items, now, paragraphs=8, generator=generator)
    size = len(body) / 1_000_000
    print(f"\n== parse: one {size:.1f} MB feed ({items} items, {generator}), best of 5 round robin, "
          f"load {os.getloadavg()[0]:.2f}")
    parse_module._feedparser()
    data, headers = parse_module.parser_input(body, "https://feed1.example/feed.xml", "application/rss+xml")[:2]

    def replayed() -> None:
        """xmlfeed.parse with direct.py off: every entry replayed into feedparser's handlers."""
        mapped, xmlfeed._mapped_directly = xmlfeed._mapped_directly, lambda *args: {}
        try:
            xmlfeed.parse(data, headers)
        finally:
            xmlfeed._mapped_directly = mapped

    runs = (
        ("feedparser, defaults (sanitizer + resolver on)", lambda: feedparser.parse(body)),
        ("bytes -> entry dicts: lxml, entries replayed", replayed),
        ("bytes -> entry dicts: lxml, entries mapped (direct)", lambda: xmlfeed.parse(data, headers)),
        ("feedparser, sanitize_html/resolve_relative_uris off",
         lambda: feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)),
        ("digest parse_feed, feedparser path (fast=False)",
         lambda: parse_feed(body, "https://feed1.example/feed.xml", "application/rss+xml", fast=False)),
        ("digest parse_feed (lxml reader + extract.py)",
         lambda: parse_feed(body, "https://feed1.example/feed.xml", "application/rss+xml")),
    )
    # Round robin: a burst of load from elsewhere on the machine hits every row alike.
    best = [min(times) for times in zip(*([_timed(work) for _, work in runs] for _ in range(5)))]
    for (label, _), seconds in zip(runs, best):
        print(f"  {label:52} {seconds:6.3f} s CPU {size / seconds:7.1f} MB/s {seconds / items * 1000:6.2f} ms/item")


def part_startup() -> None:
    print("\n== startup: best of 5 (target <= 0.3 s)")
    for flag in ("--help", "--version"):
        best = min(run_child([*DIGEST, flag]).seconds for _ in range(5))
        print(f"  digest {flag:10} {best:6.3f} s  {_met(best <= 0.3)}")


def _timed(work) -> float:
    """CPU seconds of this process (parsing is all CPU; a busy machine inflates wall time)."""
    started = time.process_time()
    work()
    return time.process_time() - started


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _met(ok: bool, judged: bool = True) -> str:
    """A target's verdict; a run that failed is not judged (it exits at once)."""
    if not judged:
        return "not judged"
    return "met" if ok else "NOT MET"


PARTS = ("target", "daily", "scaling", "grouping", "parse", "startup")


def compiled_bytecode() -> str:
    """Compile digest's modules to bytecode, as `pip install` does. From a
    checkout (an editable install) with PYTHONDONTWRITEBYTECODE set, every
    child, and every parse worker it starts, compiled all of digest from
    source again: 0.1-0.2 s a process that no installed digest pays."""
    import compileall
    import importlib.util

    package = Path(importlib.util.find_spec("digest").origin).parent
    ok = compileall.compile_dir(str(package), quiet=1, force=False)
    return f"digest's bytecode {'compiled' if ok else 'NOT compiled'} in {package}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute instead of several")
    parser.add_argument("--feeds", type=int, help="feeds in the target run (default 200; --quick 50)")
    parser.add_argument("--latency", type=float, default=0.1, help="target run: seconds before each response")
    parser.add_argument("--per-host", type=int, default=2, help="feeds per loopback host")
    parser.add_argument("--generator", choices=GENERATORS, default="realistic", help="the feeds' generator")
    parser.add_argument("--sizes", help="scaling: comma-separated feed counts (default 50,200,1000,5000)")
    parser.add_argument("--grouping-sizes", help="grouping: comma-separated item counts (default 4000,20000,100000)")
    parser.add_argument("--scaling-latency", type=float, default=0.02, help="scaling: seconds before each response")
    parser.add_argument("--parse-mb", type=float, default=2.0, help="parse: feed size in MB")
    parser.add_argument("--profile", type=Path,
                        help="target and daily runs: write pyinstrument reports of cold, warm and morning here")
    args = parser.parse_args()
    parts = args.only or PARTS
    count = args.feeds or (50 if args.quick else 200)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([50, 200] if args.quick else [50, 200, 1000, 5000])
    grouping = ([int(s) for s in args.grouping_sizes.split(",")] if args.grouping_sizes
                else [4000] if args.quick else [4000, 20000, 100000])
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    print(f"digest benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, feeds: {args.generator}; load average {_load()}")
    print(f"  {compiled_bytecode()}")
    with tempfile.TemporaryDirectory() as folder:
        if "target" in parts:
            part_target(Path(folder), count, args.latency, args.per_host, args.profile, args.generator)
        if "daily" in parts:
            part_daily(Path(folder), count, args.latency, args.per_host, args.profile, args.generator)
        if "scaling" in parts:
            part_scaling(Path(folder), sizes, args.scaling_latency, args.per_host, args.generator)
    if "grouping" in parts:
        part_grouping(grouping, args.generator)
    if "parse" in parts:
        part_parse(0.5 if args.quick else args.parse_mb, args.generator)
    if "startup" in parts:
        part_startup()


if __name__ == "__main__":
    main()
