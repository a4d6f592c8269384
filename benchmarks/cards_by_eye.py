"""Cards to read by eye: for each feed file of a corpus, its first, middle
and last entry as the feed wrote it (the raw XML), beside the card digest
made of it (the fields the email shows, and the card as the text part
prints it).

A regex audit finds only what it was written to find; this file is for a
person (or a helper) reading card against entry and writing down what a
demanding reader would notice. It prints Markdown, one section per feed:

    python benchmarks/cards_by_eye.py ../shared/feeds/realworld-2 > rw2.md
    python benchmarks/cards_by_eye.py --code /path/to/old/checkout ... > before.md

`--code` builds with another checkout's `digest` package (the same venv),
so a before and an after can be read side by side.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

RAW_CHARS = 3500  # of each raw entry: enough to judge, short enough to read
HEAD_CHARS = 1200  # of the channel's own elements before the first entry
SHOWN = ("title", "feed", "site", "author", "author_blurb", "published", "dated", "date_only",
         "reading_minutes", "duration_seconds", "lead", "image", "link", "also", "updated", "language")
_ENTRY = re.compile(rb"<(?:\w+:)?(?:item|entry)[\s>].*?</(?:\w+:)?(?:item|entry)\s*>", re.S | re.I)
_CARD_START = re.compile(r"^ {0,3}(\d+)\. ", re.M)  # " 1." and "  1." (a day of 100 stories or more)
_SPACE = re.compile(r"\s+")


def raw_entries(path: Path) -> tuple[str, list[str]]:
    """The channel's head and each entry's XML, in document order (bytes
    decoded leniently: this is for reading, not parsing)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    entries = [match.group(0) for match in _ENTRY.finditer(data)]
    first = _ENTRY.search(data)
    head = data[: first.start()] if first else data[:HEAD_CHARS]
    return _text(head)[-HEAD_CHARS:], [_text(entry) for entry in entries]


def _text(data: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sample(count: int) -> list[int]:
    """First, middle and last index of `count` entries, each once."""
    return sorted({0, count // 2, count - 1}) if count else []


def _fold(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip().casefold()


def story_of(entry_xml: str, stories: list[dict]) -> int | None:
    """Which story was made of this entry: its link, else its title, named in the XML."""
    folded = _fold(entry_xml.replace("&amp;", "&"))
    for index, story in enumerate(stories):
        link = story.get("link") or ""
        if link and _fold(link) in folded:
            return index
    for index, story in enumerate(stories):
        title = _fold(story.get("title"))
        if len(title) > 12 and title[:40] in folded:
            return index
    return None


def text_cards(text: str) -> dict[int, str]:
    """The text part's card blocks by story number (1-based)."""
    body = text.split("\n" + "-" * 72, 1)[0]
    starts = list(_CARD_START.finditer(body))
    cards = {}
    for at, match in enumerate(starts):
        end = starts[at + 1].start() if at + 1 < len(starts) else len(body)
        cards[int(match.group(1))] = body[match.start():end].rstrip()
    return cards


def feed_section(path: Path) -> str:
    import audit_build

    built = audit_build.build_feed(path.resolve(), next_day=False)
    head, entries = raw_entries(path)
    lines = [f"## {path.parent.name}/{path.name}", "",
             f"{len(entries)} entries in the file, {len(built.stories)} stories built."]
    if built.error:
        lines.append(f"BUILD FAILED: {built.error}")
    lines += ["", "Channel head:", "```xml", head.strip(), "```", ""]
    cards = text_cards(built.text)
    for index in sample(len(entries)):
        lines += [f"### entry {index + 1} of {len(entries)}", "", "Raw:", "```xml",
                  entries[index][:RAW_CHARS] + (" …[cut]" if len(entries[index]) > RAW_CHARS else ""), "```"]
        found = story_of(entries[index], built.stories)
        if found is None:
            lines += ["", "Card: none matched (left out, merged into another story, or its link/title changed)", ""]
            continue
        story = built.stories[found]
        lines += ["", f"Card (story {found + 1} of {len(built.stories)}), fields:", "```"]
        lines += [f"{key}: {story.get(key)!r}" for key in SHOWN if key in story]
        lines += ["```", "Text part:", "```", cards.get(found + 1, "(not found)"), "```", ""]
    return "\n".join(lines)


def feed_files(folder: Path) -> list[Path]:
    skip = {"README.md", "licenses"}
    return sorted(path for path in folder.rglob("*") if path.is_file() and not skip & set(path.parts)
                  and path.name != "README.md" and "realworld-2" not in path.relative_to(folder).parts[:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--code", type=Path, help="a checkout whose digest package builds the cards")
    parser.add_argument("--only", nargs="*", default=[], help="file names to keep")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import digest

    print(f"<!-- digest from {Path(digest.__file__).parent} -->\n")
    for folder in args.folders:
        for path in feed_files(folder):
            if args.only and path.name not in args.only:
                continue
            print(feed_section(path))
            print()


if __name__ == "__main__":
    main()
