"""Building stories the way a user does, for the reader audit: the real
`digest build` (click's CliRunner, in this process) on a config of one feed
file that keeps every item, once as JSON (the stories), once as text (the
plain-text part), and once more a day later on the same state file (what
cron would mail on stderr the next morning). Also the generated 50-story
days of the size check and their `--format email` output.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = "2027-01-01T00:00:00Z"
LATER = "2027-01-02T00:00:00Z"  # the next morning's cron run
SINCE = "1970-01-02"
EVERYTHING = 100_000  # top and max_per_feed: no item is left out


@dataclass
class Built:
    """One feed file through `digest build`."""

    path: Path
    code: int = 0
    error: str = ""  # why the build failed (exit code, last stderr line)
    stories: list[dict] = field(default_factory=list)
    text: str = ""
    warnings_first: list[str] = field(default_factory=list)
    warnings_next_day: list[str] = field(default_factory=list)


def config_text(feeds: list[Path], top: int = EVERYTHING) -> str:
    lines = [
        'title = "Reader audit"',
        f"top = {top}",
        f"max_per_feed = {top}",
        'timezone = "UTC"',
        "[email]",
        'from = "Reader audit <audit@example.org>"',
        'to = ["reader@example.org"]',
    ]
    for feed in feeds:
        lines += ["[[feeds]]", f"url = {json.dumps(str(feed))}"]
    return "\n".join(lines) + "\n"


class Digest:
    """`digest --config C --state S build ...` in this process."""

    def __init__(self, folder: Path, feeds: list[Path], top: int = EVERYTHING):
        from click.testing import CliRunner

        from digest.cli import cli

        self.cli, self.runner = cli, CliRunner()
        self.config = folder / "digest.toml"
        self.config.write_text(config_text(feeds, top), encoding="utf-8")
        self.state = folder / "state.db"

    def build(self, fmt: str, now: str = NOW, *extra: str):
        args = ["--config", str(self.config), "--state", str(self.state), "build",
                "--format", fmt, "--now", now, "--since", SINCE, *extra]
        return self.runner.invoke(self.cli, args, catch_exceptions=True)


def _failure(result) -> str:
    if result.exception and not isinstance(result.exception, SystemExit):
        return f"{type(result.exception).__name__}: {result.exception}"
    lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
    return f"exit {result.exit_code}: {lines[-1] if lines else 'no message'}"


def warnings_of(stderr: str) -> list[str]:
    return [line for line in (stderr or "").splitlines() if line.lower().startswith("warning")]


def build_feed(path: Path, next_day: bool = True, text: bool = True) -> Built:
    """Stories (JSON), the text part, and the warnings of a first and a
    next-day build of one feed file on one state file."""
    built = Built(path)
    with tempfile.TemporaryDirectory(prefix="audit-") as folder:
        digest = Digest(Path(folder), [path])
        first = digest.build("json")
        if first.exit_code != 0 or not first.stdout.strip():
            built.code, built.error = first.exit_code or 1, _failure(first)
            return built
        built.stories = json.loads(first.stdout)["items"]
        built.warnings_first = warnings_of(first.stderr)
        if text:
            part = digest.build("text")
            built.text = part.stdout if part.exit_code == 0 else ""
        if next_day:
            later = digest.build("json", LATER)
            built.warnings_next_day = warnings_of(later.stderr)
    return built


def build_together(paths: list[Path]) -> list[dict]:
    """The stories of several feed files subscribed in one config."""
    with tempfile.TemporaryDirectory(prefix="audit-") as folder:
        result = Digest(Path(folder), paths).build("json")
        return json.loads(result.stdout)["items"] if result.exit_code == 0 and result.stdout.strip() else []


# ---------------------------------------------------------------- size days


@dataclass
class Day:
    """A generated day of stories, built as the email that would be mailed."""

    name: str
    source: str  # the captured feed its items come from
    stories: int = 0
    cards: int = 0
    html_decoded: int = 0  # bytes of the HTML part once decoded
    html_mailed: int = 0  # bytes of the HTML part as it travels (quoted-printable or base64)
    encoding: str = ""
    error: str = ""


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def day_feed(entries: list[dict], title: str, count: int, now: datetime) -> str:
    """An RSS 2.0 feed of `count` items made from the captured entries,
    cycled with distinct titles, links and guids, one every 20 minutes
    before `now` (a day's worth), with their own HTML and pictures."""
    items, links = [], set()
    for n in range(count):
        entry = entries[n % len(entries)]
        round_ = n // len(entries)
        suffix = f" ({round_ + 1})" if round_ else ""
        link = (entry["link"] or "https://example.org/story").rstrip("/")
        if link in links:  # captures where two items share a link would merge into one story
            link += f"-{n}"
        links.add(link)
        media = "".join(
            f'<media:content url="{html.escape(m["url"])}" medium="image"'
            + (f' width="{m["width"]}"' if m["width"] else "") + (f' height="{m["height"]}"' if m["height"] else "")
            + "/>"
            for m in _pictures(entry)[:1]
        )
        when = (now - timedelta(minutes=20 * (n + 1))).strftime("%a, %d %b %Y %H:%M:%S +0000")
        author = f"<dc:creator>{html.escape(entry['authors'][0])}</dc:creator>" if entry["authors"] else ""
        items.append(
            f"<item><title>{html.escape(entry['title'] + suffix)}</title><link>{html.escape(link)}</link>"
            f'<guid isPermaLink="false">audit-day-{n}</guid><pubDate>{when}</pubDate>{author}'
            f"<description>{_cdata(entry['html'])}</description>{media}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{html.escape(title)}</title><link>https://example.org/</link>"
        + "".join(items) + "</channel></rss>\n"
    )


def _pictures(entry: dict) -> list[dict]:
    """The entry's media images, largest declared first."""
    images = [m for m in entry["media"] if m["url"] and ((m["type"] or "").startswith("image/")
                                                          or m["medium"] == "image" or m["source"] == "media_thumbnail")]
    return sorted(images, key=lambda m: -int(m["width"] or 0) if str(m["width"] or "0").isdigit() else 0)


def _cards(html_part: str) -> int:
    # Each card's headline is an <h2>; the compact "more stories" list has none.
    return len(re.findall(r"<h2[\s>]", html_part))


def build_day(day: Day, entries: list[dict], title: str, count: int = 50) -> Day:
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00")).astimezone(timezone.utc)
    with tempfile.TemporaryDirectory(prefix="audit-day-") as folder:
        feed = Path(folder) / "day.rss"
        feed.write_text(day_feed(entries, title, count, now), encoding="utf-8")
        result = Digest(Path(folder), [feed], top=count).build("email", NOW, "--no-mark-sent")
        if result.exit_code != 0:
            day.error = _failure(result)
            return day
        message = email.message_from_bytes(result.stdout_bytes, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                day.encoding = str(part.get("Content-Transfer-Encoding", ""))
                day.html_mailed = len(part.get_payload(decode=False).encode("ascii", errors="replace"))
                decoded = part.get_content()
                day.html_decoded = len(decoded.encode("utf-8"))
                day.cards = _cards(decoded)
            elif part.get_content_type() == "text/plain":
                day.stories = len(re.findall(r"^\d+\. ", part.get_content(), re.M))
    return day
