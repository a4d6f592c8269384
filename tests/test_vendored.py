"""The vendored captures (tests/data/feeds) are what ../shared/feeds holds,
byte for byte, and every file's provenance and licence is written down."""

from __future__ import annotations

import hashlib
import re

import pytest

from conftest import FEEDS, SHARED

CORPORA = {FEEDS: FEEDS / "README.md", FEEDS / "realworld-2": FEEDS / "realworld-2" / "README.md"}


def feed_files(corpus):
    return sorted(p for p in corpus.iterdir() if p.is_file() and p.suffix != ".md") if corpus.name == "realworld-2" \
        else sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md" and p.name != "SHA256SUMS"
                    and "licenses" not in p.parts and "realworld-2" not in p.parts)


@pytest.mark.parametrize("corpus", list(CORPORA), ids=lambda p: p.name)
def test_every_vendored_feed_has_its_source_and_licence_written_down(corpus):
    readme = CORPORA[corpus].read_text(encoding="utf-8")
    files = feed_files(corpus)
    assert len(files) >= 49
    licences = [p.name.lower() for p in (corpus / "licenses").iterdir()]
    for path in files:
        rows = [line for line in readme.splitlines() if line.startswith("|") and f"`{path.name}`" in line]
        assert rows, f"{path.name} is not in {CORPORA[corpus].name}'s table"
        repos = re.findall(r"github\.com/([\w.-]+)/([\w.-]+)\)", rows[0])
        assert repos, f"{path.name}: no source repository in its row"
        owner, repo = repos[0]
        assert any(owner.lower() in name and repo.lower() in name for name in licences), \
            f"{path.name}: no licence file for {owner}/{repo} in {corpus / 'licenses'}"


def test_the_vendored_copies_are_byte_for_byte_the_captures():
    """Against the checksums taken when they were copied (a bare clone: git
    changed no byte, no line end), and against ../shared itself where it is."""
    sums = dict(reversed(line.split(maxsplit=1)) for line in (FEEDS / "SHA256SUMS").read_text().splitlines())
    ours = {f"./{p.relative_to(FEEDS)}": p for p in FEEDS.rglob("*")
            if p.is_file() and p.name not in ("README.md", "SHA256SUMS")}
    assert set(sums) == set(ours) and len(ours) > 100
    for name, path in ours.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sums[name], name
    shared = SHARED / "feeds"
    if shared.is_dir():
        theirs = {f"./{p.relative_to(shared)}": p for p in shared.rglob("*") if p.is_file()}
        assert set(theirs) == set(ours) | {"./README.md", "./realworld-2/README.md"}
        for name, path in theirs.items():
            mine = (FEEDS / name).read_bytes()
            if name == "./README.md":  # ours puts a note on vendoring above the upstream text
                assert mine.endswith(path.read_bytes())
            else:
                assert path.read_bytes() == mine, name
