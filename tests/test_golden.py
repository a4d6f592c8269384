"""Golden files: each captured feed, built end to end, against what a reader
expects to see in it (tests/data/golden/README.md). The golden files were
written by reading the feeds, never from digest's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DATA, write_config

GOLDEN = DATA / "golden"
FEEDS = DATA / "feeds"
CASES = sorted(GOLDEN.rglob("*.json"))
NOW = "2027-01-01T00:00:00Z"


def folded(text: str | None) -> str:
    return " ".join((text or "").split())


def built_stories(invoke, tmp_path: Path, feed: Path) -> list[dict]:
    """Every story digest makes of one feed file, as `--format json` says."""
    config = write_config(tmp_path, f"""
        top = 100000
        max_per_feed = 100000
        timezone = "UTC"
        [email]
        to = ["me@example.org"]
        [[feeds]]
        url = "{feed}"
    """)
    result = invoke("--config", str(config), "build", "--now", NOW, "--since", "1970-01-02", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["items"]


def story_for(stories: list[dict], expected: dict) -> dict:
    if expected["link"]:
        found = [s for s in stories if s["link"] == expected["link"]]
        if len(found) > 1:  # different items may share one link (a section page): the title tells them apart
            found = [s for s in found if folded(s["title"]) == folded(expected["title"])] or found
        what = f"link {expected['link']}"
    else:
        found = [s for s in stories if folded(s["title"]) == folded(expected["title"])]
        what = f"title {expected['title']!r}"
    assert found, f"no story with {what}; digest made: " + "; ".join(
        f"{s['title'][:50]!r} <{s['link']}>" for s in stories[:8])
    assert len(found) == 1, f"{len(found)} stories with {what}: one story must show once"
    return found[0]


def one_of(value) -> list:
    """A golden value, or the list of values a reader accepts equally."""
    return value if isinstance(value, list) else [value]


def mismatches(story: dict, expected: dict) -> list[str]:
    """What a reader would see wrong in this story, one line each."""
    wrong = []

    def check(field: str, ok: bool, got, want):
        if not ok:
            wrong.append(f"{field}: got {got!r}, want {want!r}")

    check("title", folded(story["title"]) == folded(expected["title"]), story["title"], expected["title"])
    author = story["author"] or ""
    check("author", folded(author) == folded(expected["author"]), author, expected["author"])
    image, want_image = story["image"], expected["image"]
    if want_image is None:
        check("image", image is None, image and image["url"], None)
    elif image is None:
        wrong.append(f"image: got none, want {want_image['url']!r}")
    else:
        check("image.url", image["url"] in one_of(want_image["url"]), image["url"], want_image["url"])
        for part in ("caption", "credit"):
            got = folded(image.get(part))
            check(f"image.{part}", any(got.startswith(folded(want)) if want else not got
                                       for want in one_of(want_image.get(part, ""))), got, want_image.get(part, ""))
    lead = folded(story["summary"])
    if expected["lead_starts"] is None:
        check("lead", not lead, lead[:80], None)
    else:
        wants = [folded(want) for want in one_of(expected["lead_starts"])]
        check("lead", any(lead.startswith(want) for want in wants), lead[:len(wants[0]) + 40], expected["lead_starts"])
    for noise in expected.get("lead_must_not_contain", []):
        check("lead", noise not in story["lead"], story["lead"][:120], f"no {noise!r}")
    if "reading" in expected:
        shown = ({"minutes": story["reading_minutes"]} if story["reading_minutes"]
                 else {"duration_seconds": story["duration_seconds"]} if story.get("duration_seconds") else None)
        check("reading", shown == expected["reading"], shown, expected["reading"])
    return wrong


@pytest.mark.parametrize("golden", CASES, ids=[str(p.relative_to(GOLDEN)) for p in CASES])
def test_a_reader_sees_what_the_golden_file_says(invoke, tmp_path, golden):
    expected = json.loads(golden.read_text(encoding="utf-8"))
    stories = built_stories(invoke, tmp_path, FEEDS / expected["feed"])
    wrong = []
    for item in expected["items"]:
        for line in mismatches(story_for(stories, item), item):
            wrong.append(f"{item['title'][:40]!r}: {line}")
    assert not wrong, "\n".join(wrong)


def test_there_are_golden_files_for_at_least_thirty_feeds_of_both_corpora():
    feeds = [json.loads(p.read_text(encoding="utf-8"))["feed"] for p in CASES]
    assert len(set(feeds)) >= 30
    assert any(f.startswith("realworld-2/") for f in feeds) and any(not f.startswith("realworld-2/") for f in feeds)
    for feed in feeds:
        assert (FEEDS / feed).is_file(), feed
