"""The entry reader (parse.entry_parts) checked and timed on real and generated feeds.

    python benchmarks/reader_equal.py dump OUT.json      # every output, as JSON
    python benchmarks/reader_equal.py compare BASE.json  # the same, compared with a dump made before
    python benchmarks/reader_equal.py time [--runs 5]    # CPU ms per entry, per corpus, best of runs
    python benchmarks/reader_equal.py profile CORPUS     # cProfile of entry_parts over one corpus

Corpora:
- real: every feed captured from a publisher (tests/data/feeds, tests/data/day,
  /work/shared/feeds and its realworld-2), each file once (by its bytes);
- fpt: feedparser's own test documents (tests/data/feedparser-tests), the
  corner cases (sanitizer, bases, encodings), checked but timed apart;
- generated: benchmarks/newsgen.py's realistic feeds, 20 items each, at a
  fixed `now` (feed k depends only on k, the item count and now).

A dump holds, per feed and reading (the file's own URI and a web URL; fast
and feedparser paths), every ParsedFeed field, every Item field and every
EntryParts that entry_parts returned: a change to the reader that changes
any output shows up in `compare`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from newsgen import feed_xml  # noqa: E402

from digest.errors import FeedError  # noqa: E402
from digest.sources import parse  # noqa: E402

ROOT = HERE.parent
SHARED = Path("/work/shared/feeds")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
GENERATED = 300  # feeds dumped; the first 200 are timed (bench.py's size)
TIMED_GENERATED = 200
ITEMS = 20
_NOT_FEEDS = {".md", ".txt", ".py", ".json", ".csv"}


def real_files() -> list[Path]:
    """Captured feeds, each distinct body once."""
    folders = [ROOT / "tests/data/feeds", ROOT / "tests/data/day", SHARED, SHARED / "realworld-2"]
    return _distinct(path for folder in folders for path in sorted(folder.rglob("*")))


def fpt_files() -> list[Path]:
    return _distinct(sorted((ROOT / "tests/data/feedparser-tests").rglob("*")))


def _distinct(paths) -> list[Path]:
    seen, found = set(), []
    for path in paths:
        if not path.is_file() or path.suffix in _NOT_FEEDS or "licenses" in path.parts or path.name == "SHA256SUMS":
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        if digest not in seen:
            seen.add(digest)
            found.append(path)
    return found


def _body(path: Path) -> bytes:
    import gzip

    body = path.read_bytes()
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def readings(corpus: str, generated: int = GENERATED):
    """(name, body, url, fast) for every reading of the corpus."""
    if corpus == "generated":
        for number in range(generated):
            yield f"gen/{number}", feed_xml(number, ITEMS, NOW), f"https://feed{number}.example/feed.xml", True
        return
    files = real_files() if corpus == "real" else fpt_files()
    for path in files:
        body = _body(path)
        name = str(path)
        yield name, body, path.as_uri(), True
        yield name, body, f"https://example.org/feeds/{path.name}", True
        if corpus == "real":
            yield name, body, f"https://example.org/feeds/{path.name}", False


def plain(value):
    """Outputs as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class Recorder:
    """entry_parts, wrapped: keeps what it was given and what it returned."""

    def __init__(self):
        self.real = parse.entry_parts
        self.calls: list[tuple[object, object]] = []
        self.results: list[object] = []

    def __call__(self, entry, context):
        self.calls.append((entry, context))
        try:
            result = self.real(entry, context)
        except Exception as error:
            self.results.append({"raised": f"{type(error).__name__}: {error}"})
            raise
        self.results.append(result)
        return result

    def __enter__(self):
        parse.entry_parts = self
        return self

    def __exit__(self, *exc):
        parse.entry_parts = self.real


def outputs(corpus: str) -> dict:
    found = {}
    for name, body, url, fast in readings(corpus):
        with Recorder() as recorder:
            try:
                parsed = plain(parse.parse_feed(body, url, "application/xml", fast=fast))
            except FeedError as error:
                parsed = {"FeedError": str(error)}
        found[f"{name} | {url} | fast={fast}"] = {"feed": parsed, "entries": plain(recorder.results)}
    return found


def dump() -> dict:
    return {corpus: outputs(corpus) for corpus in ("real", "fpt", "generated")}


def compare(base: dict, now: dict) -> int:
    differences = 0
    for corpus, feeds in base.items():
        for key, value in feeds.items():
            other = now.get(corpus, {}).get(key)
            if other != value:
                differences += 1
                print(f"DIFFERS {corpus} {key}")
                _show(value, other)
    for corpus, feeds in now.items():
        for key in feeds.keys() - base.get(corpus, {}).keys():
            differences += 1
            print(f"NEW {corpus} {key}")
    return differences


def _show(a, b, path: str = "", shown: list | None = None) -> None:
    """The first few places where two JSON values differ."""
    shown = [0] if shown is None else shown
    if shown[0] >= 6:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            if a.get(key) != b.get(key):
                _show(a.get(key), b.get(key), f"{path}.{key}", shown)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                _show(x, y, f"{path}[{i}]", shown)
    else:
        shown[0] += 1
        print(f"  {path}:\n    before {str(a)[:300]!r}\n    after  {str(b)[:300]!r}")


def calls(corpus: str) -> list[tuple[object, object]]:
    """The (entry, feed context) pairs parse_feed hands entry_parts over
    the corpus (fast path, web URLs: what a build reads)."""
    found = []
    for name, body, url, fast in readings(corpus, TIMED_GENERATED):
        if corpus != "generated" and (url.startswith("file:") or not fast):
            continue
        with Recorder() as recorder:
            try:
                parse.parse_feed(body, url, "application/xml")
            except FeedError:
                pass
        found += recorder.calls
    return found


def forget_remembered() -> None:
    """Empties the reader's caches, so that each timed pass reads as a
    build does, once (not the same entries a fifth time)."""
    from digest.sources import bylines

    for function in (getattr(bylines.byline, "cache_clear", None),):
        if function is not None:
            function()


def cpu_seconds(pairs) -> float:
    forget_remembered()
    entry_parts = parse.entry_parts
    start = time.process_time()
    for entry, context in pairs:
        try:
            entry_parts(entry, context)
        except Exception:  # noqa: BLE001 - parse_feed counts these too
            pass
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["dump", "compare", "time", "profile"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    if options.command == "dump":
        Path(options.path).write_text(json.dumps(dump(), sort_keys=True, ensure_ascii=False))
    elif options.command == "compare":
        base = json.loads(Path(options.path).read_text())
        now = json.loads(json.dumps(dump(), sort_keys=True, ensure_ascii=False))
        count = compare(base, now)
        readings_count = sum(len(feeds) for feeds in base.values())
        print(f"{count} of {readings_count} readings differ")
        sys.exit(1 if count else 0)
    elif options.command == "time":
        corpora = {corpus: calls(corpus) for corpus in ("generated", "real", "fpt")}
        for corpus, pairs in corpora.items():
            cpu_seconds(pairs)  # warm: imports, compiled regexes
        best = {corpus: [] for corpus in corpora}
        for _ in range(options.runs):  # round robin: a burst of load hits every corpus alike
            for corpus, pairs in corpora.items():
                best[corpus].append(cpu_seconds(pairs))
        for corpus, pairs in corpora.items():
            seconds = min(best[corpus])
            print(f"{corpus:10} {len(pairs):6} entries  best of {options.runs}: {seconds:7.3f} s CPU  "
                  f"{seconds / len(pairs) * 1000:6.3f} ms/entry  (all: {' '.join(f'{s:.3f}' for s in best[corpus])})")
    else:
        import cProfile
        import pstats

        pairs = calls(options.path or "generated")
        cpu_seconds(pairs)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        cpu_seconds(pairs)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
