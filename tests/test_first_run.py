"""The first five minutes (issue 21): what a newcomer meets between
`pip install` and the first real digest, each trap as a test."""

from __future__ import annotations

import html as htmllib
import re

from conftest import EXAMPLE_NOW, feeds_config, rss, rss_item


def _heading_of_each_title(lines: list[str], headings: list[str], titles: list[str]) -> dict[str, str]:
    """For each title, the heading above its last mention in `lines` (its
    card; a table of contents comes first)."""
    under, current = {}, None
    for line in lines:
        if line in headings:
            current = line
        for title in titles:
            if title in line:
                under[title] = current
    return under


def test_untagged_feeds_are_not_shown_under_the_tag_above_them(invoke, tmp_path):
    tagged = tmp_path / "tech.xml"
    tagged.write_text(rss(rss_item("Kernel 7.1 ships a new scheduler", "https://tech.example/kernel",
                                   date="Thu, 02 Jan 2025 18:00:00 +0000"), title="Tech Notes"))
    untagged = tmp_path / "ars.xml"
    untagged.write_text(rss(rss_item("Rocket lands on a barge at night", "https://ars.example/rocket",
                                     date="Thu, 02 Jan 2025 17:00:00 +0000"), title="Ars"))
    config = feeds_config(tmp_path, [], extra='[rank]\ngroup_by = "tag"\n')
    config.write_text(config.read_text() + f'[[feeds]]\nurl = "{tagged.as_uri()}"\ntags = ["tech"]\n'
                      f'[[feeds]]\nurl = "{untagged.as_uri()}"\n')
    titles = ["Kernel 7.1 ships a new scheduler", "Rocket lands on a barge at night"]

    text = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "text")
    assert text.exit_code == 0, text.stderr
    under = _heading_of_each_title(text.stdout.splitlines(), ["TECH", "OTHER STORIES"], titles)
    assert under == {titles[0]: "TECH", titles[1]: "OTHER STORIES"}

    page = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "html")
    assert page.exit_code == 0, page.stderr
    pieces = [htmllib.unescape(re.sub(r"<[^>]+>", "", piece)).strip()
              for piece in re.split(r"(?=<h3)|(?=<h2)|(?<=</h3>)|(?<=</h2>)", page.stdout)]
    headings = [p for p in pieces if p.casefold() in ("tech", "other stories")]
    assert [h.casefold() for h in headings] == ["tech", "other stories"]
    under = _heading_of_each_title(pieces, headings, titles)
    assert {title: (heading or "").casefold() for title, heading in under.items()} == {
        titles[0]: "tech", titles[1]: "other stories"}
