"""The vendored captures (tests/data/feeds) are what ../shared/feeds holds,
and tests/data/feedparser-tests what ../shared/feedparser-tests holds, byte
for byte, and every file's provenance and licence is written down."""

from __future__ import annotations

import hashlib
import re

import pytest

from conftest import FEEDPARSER_TESTS, FEEDS, SHARED

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


def files_matching_their_checksums(folder, unlisted: tuple[str, ...]) -> dict:
    """The folder's files ("./relative/path" -> path), asserting that its
    SHA256SUMS lists exactly them (but `unlisted` names) and that each
    still has the checksum taken when it was copied in."""
    sums = dict(reversed(line.split(maxsplit=1)) for line in (folder / "SHA256SUMS").read_text().splitlines())
    ours = {f"./{p.relative_to(folder)}": p for p in folder.rglob("*")
            if p.is_file() and p.name not in (*unlisted, "SHA256SUMS")}
    assert set(sums) == set(ours)
    for name, path in ours.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sums[name], name
    return ours


def test_the_vendored_copies_are_byte_for_byte_the_captures():
    """Against the checksums taken when they were copied (a bare clone: git
    changed no byte, no line end), and against ../shared itself where it is."""
    ours = files_matching_their_checksums(FEEDS, unlisted=("README.md",))
    assert len(ours) > 100
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


def test_feedparser_test_data_is_vendored_whole_with_its_source_and_licence():
    """feedparser's own test-suite data (BSD-2-Clause): its README names the
    upstream repository and commit, its LICENSE is beside it, the checksums
    taken at copying hold (a bare clone), and ../shared's copy is the same."""
    readme = (FEEDPARSER_TESTS / "README.md").read_text(encoding="utf-8")
    assert "https://github.com/kurtmckee/feedparser" in readme and re.search(r"commit\s+[0-9a-f]{40}", readme)
    licence = (FEEDPARSER_TESTS / "LICENSE").read_text(encoding="utf-8")
    assert "Redistribution and use in source and binary forms" in licence
    ours = files_matching_their_checksums(FEEDPARSER_TESTS, unlisted=("README.md", "LICENSE"))
    assert len(ours) >= 2100
    shared = SHARED / "feedparser-tests"
    if shared.is_dir():
        theirs = {f"./{p.relative_to(shared)}": p for p in shared.rglob("*") if p.is_file()}
        assert set(theirs) == set(ours) | {"./README.md", "./LICENSE"}
        for name, path in theirs.items():
            assert path.read_bytes() == (FEEDPARSER_TESTS / name).read_bytes(), name
