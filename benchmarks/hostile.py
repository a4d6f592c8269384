"""What one hostile input costs a whole `digest build`: the cases of issue 13
(items 4 and 5), each in a fresh process with a fresh state file.

Run on demand (not part of the test suite); everything is local files:

    python benchmarks/hostile.py                      # every case, this checkout
    python benchmarks/hostile.py --only titles        # or: bodies, same-feed, local, opml, round3 (repeatable)
    python benchmarks/hostile.py --code /tmp/old      # the same cases against another checkout
    python benchmarks/hostile.py --limit 120          # kill a case after 120 s (default 200)
    python benchmarks/hostile.py --memory 2048        # address space cap per case (default 4096 MB)

Each row: the case, the child's exit code, wall seconds, the child's CPU
seconds (user + system, from wait4), its peak RSS, and the last line it
wrote to stderr. A case still running at --limit is killed and says so.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

NOW = "2025-01-02T20:00:00Z"
DATE = "Thu, 02 Jan 2025 12:00:00 +0000"
WORDS = ("Officials said the regional council would review the plan for the new bridge "
         "over the River Dnipro before Kyiv approves its budget next spring").split()


@dataclass
class Run:
    code: int | None  # None: killed at the limit
    wall: float
    cpu: float
    rss_mb: float
    said: str  # the last line on stderr


def run_child(command: list[str], limit: float, env: dict, cwd: Path, memory_mb: int) -> Run:
    """A fresh process; its CPU seconds and peak RSS come from wait4. Its
    address space is capped (RLIMIT_AS): on main, `--config /dev/zero` took
    12 GB in 30 s on a machine others share."""
    cap = memory_mb * 1024 * 1024
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                 env=env, cwd=cwd,
                                 preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)))
        killed = threading.Event()
        timer = threading.Timer(limit, lambda: (killed.set(), child.kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
        code = None if killed.is_set() else os.waitstatus_to_exitcode(status)
        return Run(code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines[-1] if lines else "")


# ---------------------------------------------------------------- inputs


def words(size: int) -> str:
    """Headline-like words, `size` characters."""
    text, i = [], 0
    total = 0
    while total < size:
        word = WORDS[i % len(WORDS)]
        text.append(word)
        total += len(word) + 1
        i += 1
    return " ".join(text)[:size]


def item(title: str, link: str, body: str, guid: str) -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
            f"<pubDate>{DATE}</pubDate><description>{body}</description></item>")


def feed(*items: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Hostile</title>'
            "<link>https://hostile.example/</link>" + "".join(items) + "</channel></rss>")


def config(folder: Path, feed_path: Path) -> Path:
    path = folder / "digest.toml"
    path.write_text(f'timezone = "UTC"\n[email]\nto = ["me@example.org"]\n[fetch]\ntimeout = "5s"\n'
                    f'[[feeds]]\nurl = "{feed_path}"\n')
    return path


def one_item_feed(title: str, body: str = "Some text.") -> str:
    return feed(item(title, "https://hostile.example/1", body, "1"))


def same_feed(count: int, distinct: bool = False) -> str:
    """One feed's `count` items: near-identical titles, or (to compare with)
    titles of distinct words."""
    import random

    rng = random.Random(count)
    vocabulary = [f"{rng.choice(WORDS).lower()}{n}" for n in range(5_000)]

    def title(n: int) -> str:
        if distinct:
            return " ".join(rng.sample(vocabulary, 8)).capitalize()
        return f"Russia-Ukraine war: latest update on the front line {n}"

    return feed(*(item(title(n), f"https://hostile.example/live/{n}", "Fighting continued overnight.", f"live-{n}")
                  for n in range(count)))


# name -> (part, feed text or None for the special local cases)
def cases() -> dict[str, tuple[str, object]]:
    found: dict[str, tuple[str, object]] = {}
    for label, size in (("20 KB", 20_000), ("40 KB", 40_000), ("80 KB", 80_000), ("5 MB", 5_000_000)):
        found[f"title of {label}"] = ("titles", lambda size=size: one_item_feed(words(size)))
    for count in (2_500, 5_000, 10_000, 20_480):
        label = "100 KB" if count == 20_480 else f"x {count:,}"
        found[f'body "U.S. " {label}'] = ("bodies", lambda count=count: one_item_feed("A story", "U.S. " * count))
    found['body of 20 KB of "."'] = ("bodies", lambda: one_item_feed("A story", "." * 20_480))
    for count in (2_000, 4_000, 8_000):
        found[f"{count:,} near-identical titles, one feed"] = ("same-feed", lambda count=count: same_feed(count))
        found[f"{count:,} distinct titles, one feed (to compare)"] = (
            "same-feed", lambda count=count: same_feed(count, distinct=True))
    for count in (1_000, 4_000):
        found[f"feeds import of {count:,} outlines (OPML)"] = ("opml", ("opml", count))
    # Issue 23 (the third hostile round): the stalls and blow-ups it found.
    found["47,000 DOCTYPEs with no ] (520 KB)"] = ("round3", lambda: one_item_feed("A story") + "<!DOCTYPE [" * 47_000)
    found["200,000 nested divs in one entry"] = ("round3", lambda: one_item_feed(
        "A story", "&lt;div&gt;" * 200_000 + "deep text"))
    found["feed title of 3 MB, no name in the config"] = ("round3", lambda: one_item_feed("A story").replace(
        "<title>Hostile</title>", "<title>" + "Big title word " * 200_000 + "</title>", 1))
    found["channel title of 180 KB unclosed tags"] = ("round3", lambda: one_item_feed("A story").replace(
        "<title>Hostile</title>", "<title><![CDATA[" + "<a" * 90_000 + "]]></title>", 1))
    found["five stories with 100 KB links"] = ("round3", lambda: feed(*(item(
        f"Story {n}", "https://hostile.example/" + "a" * 100_000 + str(n), "Some text.", f"long-{n}")
        for n in range(5))))
    found["subject {{ 'x' * 100000000 }}"] = ("round3", ("subject", "{{ 'x' * 100000000 }}"))
    found["subject: two nested range(100000) loops"] = ("round3", (
        "subject", "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"))
    found["OPML of 585 B nested entities (5 MB)"] = ("round3", ("opml-entities", 0))
    found["OPML nested 5,000 deep"] = ("round3", ("opml-deep", 5_000))
    found["feed file is a FIFO nobody writes"] = ("local", "fifo-feed")
    found["config is a FIFO nobody writes"] = ("local", "fifo-config")
    found["--config /dev/zero"] = ("local", "dev-zero")
    return found


def command_for(folder: Path, what: object) -> list[str]:
    digest = [sys.executable, "-c", "from digest.cli import main; main()", "--state", str(folder / "state.db")]
    build = ["build", "--now", NOW, "--format", "json", "--no-mark-sent"]
    if what == "fifo-feed":
        os.mkfifo(folder / "feed.xml")
        return [*digest, "--config", str(config(folder, folder / "feed.xml")), *build]
    if what == "fifo-config":
        os.mkfifo(folder / "digest.toml")
        return [*digest, "--config", str(folder / "digest.toml"), *build]
    if what == "dev-zero":
        return [*digest, "--config", "/dev/zero", *build]
    if isinstance(what, tuple) and what[0] == "subject":
        (folder / "feed.xml").write_text(one_item_feed("A story"))
        return [*digest, "--config", str(config(folder, folder / "feed.xml")), *build, "--subject", what[1]]
    if isinstance(what, tuple) and what[0].startswith("opml-"):
        if what[0] == "opml-deep":
            body = "".join(f'<outline text="F{n}">' for n in range(what[1]))
            body += '<outline type="rss" text="Deep" xmlUrl="https://deep.example/rss"/>' + "</outline>" * what[1]
            doctype = ""
        else:
            entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10 if n else "x" * 50}">' for n in range(6))
            doctype, body = f"<!DOCTYPE opml [{entities}]>", '<outline type="rss" text="&e5;" xmlUrl="https://a.example/"/>'
        (folder / "subs.opml").write_text(f'<?xml version="1.0"?>{doctype}<opml version="2.0"><body>{body}</body></opml>')
        (folder / "digest.toml").write_text('[email]\nto = ["me@example.org"]\n')
        return [*digest, "--config", str(folder / "digest.toml"), "feeds", "import", str(folder / "subs.opml")]
    if isinstance(what, tuple):  # ("opml", count): import into a fresh config
        outlines = "".join(f'<outline type="rss" text="Feed {n}" xmlUrl="https://feed{n}.example/rss"/>'
                           for n in range(what[1]))
        (folder / "subs.opml").write_text(f'<opml version="2.0"><body>{outlines}</body></opml>')
        (folder / "digest.toml").write_text('[email]\nto = ["me@example.org"]\n')
        return [*digest, "--config", str(folder / "digest.toml"), "feeds", "import", str(folder / "subs.opml")]
    (folder / "feed.xml").write_text(what())
    return [*digest, "--config", str(config(folder, folder / "feed.xml")), *build]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["titles", "bodies", "same-feed", "local", "opml", "round3"])
    parser.add_argument("--code", type=Path, help="run the digest package of this checkout instead")
    parser.add_argument("--limit", type=float, default=200.0, help="seconds before a case is killed")
    parser.add_argument("--memory", type=int, default=4096, help="address space cap of each case, MB")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.code:
        env["PYTHONPATH"] = str(args.code.resolve())
    # Children start in a temp folder: `python -c` puts the working
    # directory first on sys.path, ahead of PYTHONPATH.
    where = subprocess.run([sys.executable, "-c", "import digest; print(digest.__file__)"], env=env,
                           capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.strip()
    print(f"digest from {where}; {os.cpu_count()} cores; limit {args.limit:g} s, {args.memory} MB")
    print(f"  {'case':44} {'exit':>5} {'wall s':>8} {'CPU s':>8} {'RSS MB':>7}  last line on stderr")
    for name, (part, what) in cases().items():
        if args.only and part not in args.only:
            continue
        with tempfile.TemporaryDirectory() as folder:
            run = run_child(command_for(Path(folder), what), args.limit, env, Path(folder), args.memory)
        code = "kill" if run.code is None else str(run.code)
        print(f"  {name:44} {code:>5} {run.wall:8.2f} {run.cpu:8.2f} {run.rss_mb:7.1f}  {run.said[:110]}", flush=True)


if __name__ == "__main__":
    main()
