"""What grouping costs and how right it is, on generated days (run by
bench.py's `grouping` part in a fresh process per row, or by hand):

    python benchmarks/grouping.py 4000                    # items, realistic generator
    python benchmarks/grouping.py 100000 --generator zipf
    python benchmarks/grouping.py 4000 --pairs            # the labelled pairs amid the day
    python benchmarks/grouping.py 4000 --groups before.json   # and the stories made, to compare
    python benchmarks/grouping.py 4000 --tracemalloc      # and the peak Python allocation inside cluster()

Items are built straight from the generator's entries (no fetch, no
parse), 20 to a feed, and grouped by digest.stories.cluster.cluster(). Prints one
line of JSON: wall and CPU seconds of cluster() alone, peak RSS (and, as
rss_items_mb, the peak before cluster() ran: the items alone), the
stories made, and, against the generator's own truth (which entries are
one story), the pairs of items grouped rightly and wrongly and the true
pairs missed. With --pairs, every labelled title pair of
tests/data/title_pairs*.csv is added to the day as two items of two new
feeds an hour apart, and precision and recall are counted on whether the
two ended up in one story. With --groups FILE, the stories made (each
as its items' keys, in cluster()'s order) and the similarity of every
labelled pair on its own are written to FILE as JSON: a change that must
not change grouping is checked by comparing two such files. With
--tracemalloc, tracemalloc runs during cluster() (slower: its times are
not the ones to quote) and "traced_peak_mb" is its peak.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import newsgen  # noqa: E402
from feedserver import GENERATORS  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
ITEMS = 20
PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data"


def day(count: int, generator: str):
    """`count` items (a multiple of 20) and each one's story in the truth."""
    from digest.models import Item

    items, truth = [], {}
    for number in range((count + ITEMS - 1) // ITEMS):
        for entry, story in _entries(number, generator):
            item = Item(feed_url=f"https://feed{number}.example/feed.xml", key=entry[0], title=entry[1],
                        link=entry[2], published=entry[3], text=entry[4])
            items.append(item)
            truth[id(item)] = story
    return items[:count], truth


def _entries(number: int, generator: str):
    """((guid, title, link, published, text), story) for one feed."""
    if generator == "pseudo":
        import random

        import feedserver

        for n in range(ITEMS):
            shared = n % 5 == 0
            rng = random.Random(((number // 2) * 1000 + n) if shared else (number * 1000 + n + 10**7))
            title = feedserver._headline(rng)
            if shared:
                title += " " + feedserver._word(random.Random(number * 1000 + n))
            when = NOW - timedelta(minutes=7 * n + number % 60)
            yield ((f"feed{number}-{n}", title, f"https://feed{number}.example/{n}", when, "x" * 900),
                   ("shared", number // 2, n) if shared else ("own", number, n))
        return
    names = 0.0 if generator == "zipf" else newsgen.NAMES
    shared = {f"feed{number}-{n}": story[0] for n, story in
              enumerate(newsgen.shared_stories(number, NOW, names)[: ITEMS // 3])}
    for entry in newsgen.entries(number, ITEMS, NOW, names=names):
        story = ("shared", shared[entry.guid]) if entry.guid in shared else ("own", entry.guid)
        yield (entry.guid, entry.title, entry.link, entry.when, "x" * len(entry.body)), story


def labelled_pairs() -> list[dict]:
    rows = []
    for name in ("title_pairs.csv", "title_pairs_holdout.csv"):
        with open(PAIRS / name, encoding="utf-8", newline="") as handle:
            rows += [dict(row, set=name) for row in csv.DictReader(l for l in handle if not l.startswith("#"))]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("items", type=int)
    parser.add_argument("--generator", choices=GENERATORS, default="realistic")
    parser.add_argument("--pairs", action="store_true", help="add the labelled pairs and score them")
    parser.add_argument("--groups", type=Path, help="write the stories made (item keys) to this JSON file")
    parser.add_argument("--tracemalloc", action="store_true", help="measure the traced peak inside cluster()")
    args = parser.parse_args()
    from digest.stories.cluster import cluster
    from digest.models import Item

    items, truth = day(args.items, args.generator)
    added = []
    if args.pairs:
        for n, row in enumerate(labelled_pairs()):
            pair = [Item(feed_url=f"https://pairs{n}-{side}.example/feed.xml", key=f"{n}{side}", title=row[side],
                         link=f"https://pairs{n}-{side}.example/story", published=NOW - timedelta(hours=2 + k),
                         text="x" * 900) for k, side in enumerate("ab")]
            items += pair
            added.append((row, pair))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the day's items, before grouping
    if args.tracemalloc:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    stories = cluster(items)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    tracemalloc.stop()
    home = {id(item): index for index, story in enumerate(stories) for item in story.items}
    right = wrong = 0
    for story in stories:
        kinds = Counter(truth.get(id(item)) for item in story.items if id(item) in truth)
        together = sum(kinds.values())
        same = sum(c * (c - 1) // 2 for c in kinds.values())
        right += same
        wrong += together * (together - 1) // 2 - same
    sizes = Counter(truth.values())
    result = {
        "items": len(items), "generator": args.generator, "wall": round(wall, 3), "cpu": round(cpu, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "rss_items_mb": round(before, 1),
        "stories": len(stories), "true_stories": len(sizes),
        "pairs_right": right, "pairs_wrong": wrong,
        "pairs_missed": sum(c * (c - 1) // 2 for c in sizes.values()) - right,
        "largest_story": max(len(s.items) for s in stories),
    }
    if args.pairs:
        scores = defaultdict(Counter)
        for row, (a, b) in added:
            together, same = home[id(a)] == home[id(b)], row["same"] == "1"
            scores[row["set"]]["tp" if together and same else "fp" if together else "fn" if same else "tn"] += 1
        result["labelled"] = {name: dict(score) for name, score in scores.items()}
    if traced is not None:
        result["traced_peak_mb"] = round(traced, 1)
    if args.groups:
        write_groups(args.groups, stories)
    print(json.dumps(result))


def write_groups(path: Path, stories) -> None:
    """The stories as their items' keys (in cluster()'s order), and every
    labelled pair's similarity computed alone: what a change to grouping's
    speed must leave exactly as it was."""
    from digest.stories.cluster import similarity

    keys = [[item.key for item in story.items] for story in stories]
    assert len({key for story in keys for key in story}) == sum(map(len, keys)), "item keys are unique"
    similarities = [[row["a"], row["b"], similarity(row["a"], row["b"])] for row in labelled_pairs()]
    path.write_text(json.dumps({"stories": keys, "similarities": similarities}))


if __name__ == "__main__":
    main()
