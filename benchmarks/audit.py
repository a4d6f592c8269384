"""Reader audit: what a demanding reader sees wrong in digest's story cards.

Builds every story of every captured feed the way a user would, then counts,
per defect class of issue 12, the stories with that defect, and prints a
table, examples of each class (feed file, title, the offending value) and one
figure: stories with at least one defect per 100 stories. Run on demand (it
is not a test); nothing leaves the machine.

    python benchmarks/audit.py                    # tests/data/feeds (without realworld-2) and realworld-2
    python benchmarks/audit.py --shared           # the same split of ../shared/feeds, when present
    python benchmarks/audit.py FOLDER [FOLDER...]  # each folder a corpus (a folder given inside another is its own)
    python benchmarks/audit.py --examples 10      # examples per class (default 5)
    python benchmarks/audit.py --only picture     # one class: 1-8 or picture, caption, lead, byline, links, size, cjk, noise
    python benchmarks/audit.py --json > after.json   # machine-readable, every finding: diff before/after

How each feed is built: one feed file per config, through the real `digest
build` (click's CliRunner in this process), keeping every item (top and
max_per_feed 100000, `--since 1970-01-02 --now 2027-01-01T00:00:00Z`):
`--format json` for the stories, `--format text` for the plain-text part, and
a next-day build on the same state file for the stderr a cron job would
mail. The feeds' own entries are read apart, in a child process
(audit_feeds.py), to compare with. The same blog subscribed twice
(dustri-same-blog.rss/.atom, golem-2013*) is also built as one config; the
size check builds 50-story days generated from rbc-ru (Cyrillic) and
bbc-chinese and sanwenji (CJK) as `--format email` and measures the HTML
part as mailed. The classes and what counts: audit_checks.py.

Classes 1-5 and 7 count stories; 6 counts generated days over 102,400 bytes
as mailed; 8 counts feeds whose unchanged file is warned about again the
next day. The per-100 figure is over the story classes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import audit_build  # noqa: E402
import audit_checks  # noqa: E402
from audit_checks import CLASSES, STORY_CLASSES, Case, Finding  # noqa: E402
from audit_feeds import read_feeds  # noqa: E402

FEEDS = ROOT / "tests" / "data" / "feeds"
SHARED_FEEDS = ROOT.parent / "shared" / "feeds"
SECOND = "realworld-2"
# The same blog as RSS and Atom: subscribed together, a story must not be
# "Also covered by" itself.
SAME_BLOG = [("dustri-same-blog.rss", "dustri-same-blog.atom"), ("golem-2013-feedsportal.rss", "golem-2013.atom")]
# 50-story days for the size check: (name, the capture their items come from).
DAYS = [
    ("Cyrillic: rbc-ru", "rbc-ru-caption-descriptions.rss"),
    ("CJK: bbc-chinese", "bbc-chinese-2013.atom"),
    ("CJK: sanwenji (Big5 blog)", "sanwenji-big5-blogger-atom03.xml"),
]
DAY_STORIES = 50
GMAIL_CLIP = 102_400  # bytes of HTML past which Gmail clips the message
TEMPLATE_CHECK = "lead repeats the meta line"  # one template change fixes it for every story
NOT_FEEDS = {".md", ".txt", ".py", ".json", ".csv"}


@dataclass
class Corpus:
    name: str
    folder: Path
    files: list[Path]
    cases: list[Case] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    empty: list[str] = field(default_factory=list)  # files with no entries: no stories, no failure
    noisy: list[tuple[str, str]] = field(default_factory=list)  # (file, the warning repeated)
    days: list[audit_build.Day] = field(default_factory=list)
    built_feeds: int = 0


def feed_files(folder: Path, inner: list[Path]) -> list[Path]:
    """Feed files under folder, recursively, leaving out licences, READMEs
    and the folders that are corpora of their own."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() in NOT_FEEDS or path.name.startswith(".") or path.name == "SHA256SUMS":
            continue
        if "licenses" in path.relative_to(folder).parts or any(path.is_relative_to(i) for i in inner):
            continue
        found.append(path)
    return found


def corpora_of(args) -> list[Corpus]:
    if args.folders:
        folders = [Path(f).resolve() for f in args.folders]
        names = [str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in folders]
    else:
        base = SHARED_FEEDS if args.shared else FEEDS
        if not base.is_dir():
            sys.exit(f"audit: {base} is not there")
        folders, names = [base, base / SECOND], ["first corpus", SECOND]
    corpora = []
    for name, folder in zip(names, folders):
        if not folder.is_dir():
            sys.exit(f"audit: {folder} is not a folder")
        inner = [f for f in folders if f != folder and f.is_relative_to(folder)]
        corpora.append(Corpus(name, folder, feed_files(folder, inner)))
    return corpora


# ---------------------------------------------------------------- running


def audit_corpus(corpus: Corpus, raws: dict[Path, dict], only: int | None) -> None:
    wants = (lambda n: only is None or only == n)
    cases_by_url: dict[str, list[Case]] = {}
    for path in corpus.files:
        name = str(path.relative_to(corpus.folder))
        built = audit_build.build_feed(path, next_day=wants(8), text=wants(2) or wants(7))
        if built.error and "Nothing new" in built.error:
            corpus.empty.append(name)  # no entries at all: nothing to build, rightly
            continue
        if built.error:
            corpus.failed.append((name, built.error))
            continue
        corpus.built_feeds += 1
        cases = feed_cases(name, built, raws[path], wants)
        corpus.cases += cases
        for case in cases:
            cases_by_url.setdefault(case.story.get("feed_url", ""), []).append(case)
        if wants(8):
            first = {about_feed(w, path) for w in built.warnings_first} - {None}
            again = [w for w in built.warnings_next_day if about_feed(w, path) in first]
            if again:
                corpus.noisy.append((name, again[0]))
    if wants(5):
        for pair in SAME_BLOG:
            paths = [corpus.folder / name for name in pair]
            if all(p in corpus.files for p in paths):
                audit_checks.check_also_self(cases_by_url, audit_build.build_together(paths))
    if wants(6):
        for title, source in DAYS:
            path = next((p for p in corpus.files if p.name == source), None)
            if path is not None:
                entries = [e for e in raws[path]["entries"] if e["title"]]
                corpus.days.append(audit_build.build_day(audit_build.Day(title, source), entries, title, DAY_STORIES))


def feed_cases(name: str, built: audit_build.Built, raw: dict, wants) -> list[Case]:
    """The stories of one feed file, each beside its entry and its block of
    the text part, with what the story checks found."""
    entries = audit_checks.match_entries(built.stories, raw["entries"])
    blocks = audit_checks.text_blocks(built.text)
    cases = [Case(name, story, entry, raw, blocks[index] if index < len(blocks) else [])
             for index, (story, entry) in enumerate(zip(built.stories, entries))]
    for case in cases:
        for check in audit_checks.STORY_CHECKS:
            case.findings += [f for f in check(case) if wants(f.cls)]
    if wants(5):
        audit_checks.check_repeats(cases)
    return cases


def about_feed(warning: str, path: Path) -> str | None:
    """What a warning says about this feed file, without the feed's name
    (the first run knows only the file name, the next the feed's title);
    None when it is not about this feed."""
    _, found, rest = warning.partition(str(path))
    return rest.strip(" )") if found else None


def run(args) -> tuple[list[Corpus], float]:
    corpora = corpora_of(args)
    started = time.perf_counter()
    every = [p for c in corpora for p in c.files]
    raws = dict(zip(every, read_feeds(every)))
    for corpus in corpora:
        print(f"audit: building {len(corpus.files)} feeds of {corpus.name} ...", file=sys.stderr)
        audit_corpus(corpus, raws, args.only)
    return corpora, time.perf_counter() - started


# ---------------------------------------------------------------- summing up


@dataclass
class Tally:
    stories: int = 0
    matched: int = 0
    feeds: int = 0
    by_class: Counter = field(default_factory=Counter)
    by_check: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    defective: int = 0
    defective_without_template: int = 0
    noisy: int = 0
    days: list = field(default_factory=list)

    def per_100(self, count: int) -> float:
        return 100.0 * count / self.stories if self.stories else 0.0


def tally(corpora: list[Corpus]) -> Tally:
    total = Tally()
    for corpus in corpora:
        total.feeds += corpus.built_feeds
        total.noisy += len(corpus.noisy)
        total.days += corpus.days
        for case in corpus.cases:
            total.stories += 1
            total.matched += case.entry is not None
            classes = {f.cls for f in case.findings if f.cls in STORY_CLASSES}
            total.by_class.update(classes)
            for cls in classes:
                total.by_check[cls].update({f.check for f in case.findings if f.cls == cls})
            total.defective += bool(classes)
            total.defective_without_template += bool({f.cls for f in case.findings
                                                      if f.cls in STORY_CLASSES and f.check != TEMPLATE_CHECK})
    return total


def day_defective(day: audit_build.Day) -> bool:
    return bool(day.error) or day.html_mailed > GMAIL_CLIP


# ---------------------------------------------------------------- printing


def version_line() -> str:
    import digest

    try:
        # The code measured: the last commit that changed digest/ or templates/.
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", "digest", "templates"],
                                capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "digest", "templates"],
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    where = f"digest/ and templates/ as of git {commit}{' + uncommitted changes' if dirty else ''}" if commit else "no git"
    return f"digest {digest.__version__} ({where}), {time.strftime('%Y-%m-%d %H:%M')}, Python {sys.version.split()[0]}"


def print_report(corpora: list[Corpus], seconds: float, examples: int, only: int | None) -> None:
    columns = [(c.name, tally([c])) for c in corpora]
    if len(corpora) > 1:
        columns.append(("together", tally(corpora)))
    print(f"Reader audit: {version_line()}")
    for corpus in corpora:
        empty = f"; no entries in {', '.join(corpus.empty)}" if corpus.empty else ""
        print(f"  {corpus.name}: {corpus.folder} ({len(corpus.files)} files, {corpus.built_feeds} built{empty})")
    print()
    name_width, cell = 58, 20

    def row(label: str, cells: list[str]) -> None:
        print(f"{label[:name_width]:<{name_width}}" + "".join(f"{c:>{cell}}" for c in cells))

    def counts(count_of) -> list[str]:
        return [f"{count_of(t):>9,}{t.per_100(count_of(t)):>9.1f}" for _, t in columns]

    row("", [name[:cell - 2] for name, _ in columns])
    row("class", [f"{'stories':>9}{'per 100':>9}" for _ in columns])
    for cls, name in CLASSES.items():
        if only is not None and cls != only:
            continue
        if cls in STORY_CLASSES:
            row(f"{cls} {name}", counts(lambda t: t.by_class[cls]))
            together = columns[-1][1].by_check[cls]
            for check in sorted({c for _, t in columns for c in t.by_check[cls]}, key=lambda c: -together[c]):
                row(f"    {check}", [f"{t.by_check[cls][check]:>9,}{'':>9}" for _, t in columns])
        elif cls == 6:
            row("6 size: 50-story days over 102 KB as mailed",
                [f"{sum(map(day_defective, t.days))} of {len(t.days)} days" if t.days else "-" for _, t in columns])
        elif cls == 8:
            row("8 noise: feeds warned about again next day", [f"{t.noisy} of {t.feeds} feeds" for _, t in columns])
    row("stories", [f"{t.stories:>9,}{'':>9}" for _, t in columns])
    row("  matched to their entry in the feed", [f"{t.matched:>9,}{'':>9}" for _, t in columns])
    if only is None or only in STORY_CLASSES:
        row("stories with at least one defect (1-5, 7)", counts(lambda t: t.defective))
        if only in (None, 4):
            row(f"  the same, not counting '{TEMPLATE_CHECK}'", counts(lambda t: t.defective_without_template))
    print()
    days = [d for c in corpora for d in c.days]
    if days:
        print("6 size: 50-story days built as `--format email` (HTML part as mailed; Gmail clips past 102,400 bytes)")
        for day in days:
            if day.error:
                print(f"  {day.name:<28} build failed: {day.error}")
                continue
            verdict = "OVER the clip" if day_defective(day) else "under the clip"
            print(f"  {day.name:<28} {day.html_mailed:>9,} bytes mailed ({day.encoding}), {day.html_decoded:>9,} decoded;"
                  f" {day.cards} of {day.stories} stories as cards: {verdict}")
        print()
    failed = [(c.name, f, why) for c in corpora for f, why in c.failed]
    if failed:
        print("builds that failed (their stories are not counted):")
        for corpus, name, why in failed:
            print(f"  {corpus}/{name}: {why}")
        print()
    print_examples(corpora, examples, only)
    print(f"({seconds:.0f} s)")


def print_examples(corpora: list[Corpus], examples: int, only: int | None) -> None:
    if examples <= 0:
        return
    for cls, name in CLASSES.items():
        if only is not None and cls != only:
            continue
        if cls == 8:
            noisy = [(c, f, w) for c in corpora for f, w in c.noisy]
            if noisy:
                print(f"8 {name}: examples")
                for corpus, feed, warning in noisy[:examples]:
                    print(f"  {corpus.name}/{feed}: {audit_checks.short(warning, 150)}")
                print()
            continue
        if cls not in STORY_CLASSES:
            continue
        shown = spread(corpora, cls, examples)
        if not shown:
            continue
        print(f"{cls} {name}: examples")
        for corpus, case, finding in shown:
            print(f"  {corpus.name}/{case.feed_file}: {audit_checks.short(case.story.get('title'), 70)!r}")
            print(f"      {finding.check}: {audit_checks.short(finding.value, 200)}")
        print()


def spread(corpora: list[Corpus], cls: int, limit: int) -> list[tuple[Corpus, Case, Finding]]:
    """Up to `limit` findings of a class, spread over its checks and feeds:
    the first of each check's first feed, then of its second feed, ...,
    so that one feed or one check does not fill the list."""
    found = [(corpus, case, f) for corpus in corpora for case in corpus.cases for f in case.findings if f.cls == cls]
    checks = Counter(f.check for _, _, f in found)
    rank = {check: i for i, (check, _) in enumerate(checks.most_common())}
    feeds_of: dict[str, list[str]] = defaultdict(list)
    seen: Counter = Counter()
    keyed = []
    for corpus, case, finding in found:
        feed = corpus.name + "/" + case.feed_file
        if feed not in feeds_of[finding.check]:
            feeds_of[finding.check].append(feed)
        depth = seen[(finding.check, feed)]
        seen[(finding.check, feed)] += 1
        keyed.append(((depth, feeds_of[finding.check].index(feed), rank[finding.check]), (corpus, case, finding)))
    shown, cases = [], set()
    for _, item in sorted(keyed, key=lambda pair: pair[0]):
        if id(item[1]) not in cases and len(shown) < limit:
            shown.append(item)
            cases.add(id(item[1]))
    return shown


def as_json(corpora: list[Corpus], seconds: float) -> dict:
    def summary(name: str, t: Tally) -> dict:
        return {
            "name": name, "stories": t.stories, "matched": t.matched, "feeds": t.feeds,
            "classes": {str(cls): {"name": CLASSES[cls], "stories": t.by_class[cls],
                                   "per_100": round(t.per_100(t.by_class[cls]), 2),
                                   "checks": dict(t.by_check[cls])} for cls in STORY_CLASSES},
            "defective": t.defective, "per_100": round(t.per_100(t.defective), 2),
            "defective_without_template": t.defective_without_template,
            "noisy_feeds": t.noisy,
            "days_over_clip": sum(map(day_defective, t.days)), "days": len(t.days),
        }

    result = {
        "version": version_line(), "seconds": round(seconds, 1),
        "corpora": [summary(c.name, tally([c])) | {"folder": str(c.folder), "failed": c.failed} for c in corpora],
        "together": summary("together", tally(corpora)),
        "days": [asdict(d) for c in corpora for d in c.days],
        "noise": [{"corpus": c.name, "feed": f, "warning": w} for c in corpora for f, w in c.noisy],
        "findings": [
            {"corpus": c.name, "feed": case.feed_file, "title": case.story.get("title"), "link": case.story.get("link"),
             "class": f.cls, "check": f.check, "value": f.value}
            for c in corpora for case in c.cases for f in case.findings
        ],
    }
    return result


def parse_class(text: str) -> int:
    if text.isdigit() and int(text) in CLASSES:
        return int(text)
    if text.lower() in audit_checks.CLASS_NAMES:
        return audit_checks.CLASS_NAMES[text.lower()]
    names = ", ".join(sorted(audit_checks.CLASS_NAMES))
    raise argparse.ArgumentTypeError(f"unknown class {text!r}: give 1-8 or one of {names}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", help="folders of feed files, each a corpus (default: tests/data/feeds "
                                                   "without realworld-2, and realworld-2)")
    parser.add_argument("--shared", action="store_true", help=f"audit {SHARED_FEEDS} the default way instead")
    parser.add_argument("--examples", type=int, default=5, metavar="N", help="examples per class (default 5)")
    parser.add_argument("--only", type=parse_class, metavar="CLASS", help="one class: 1-8 or its name")
    parser.add_argument("--json", action="store_true", help="print the result as JSON, every finding included")
    args = parser.parse_args()
    if args.shared and args.folders:
        parser.error("--shared or folders, not both")
    corpora, seconds = run(args)
    if args.json:
        json.dump(as_json(corpora, seconds), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_report(corpora, seconds, args.examples, args.only)


if __name__ == "__main__":
    main()
