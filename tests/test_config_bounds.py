"""digest never writes a config it then refuses to read, and what a list
from someone else names stays within what the user chose (issue 23,
classes 2, 9 and 13): real files, a real HTTP server, the CLI in-process."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import rss, rss_item

from digest.feeds import STARTER

OUTLINE = '<outline type="rss" text="{name}" xmlUrl="{url}"/>'


def opml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<opml version="2.0"><head><title>x</title></head>'
            f"<body>{body}</body></opml>").encode()


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(STARTER.read_text())
    return path


def feeds_of(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text()).get("feeds", [])


def test_a_feed_with_a_huge_title_is_added_under_a_short_name(invoke, config, httpserver):
    title = "Breaking " + "news and more news " * 5000  # ~95 KB of channel title
    httpserver.expect_request("/feed").respond_with_data(
        rss(rss_item("One", "https://example.org/1"), title=title), content_type="application/rss+xml")
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/feed"))
    assert result.exit_code == 0, result.stderr
    (feed,) = feeds_of(config)
    assert feed["name"].startswith("Breaking news and more news")
    assert len(feed["name"]) <= 120 and feed["name"].endswith("…")
    assert config.stat().st_size < 10_000
    listed = invoke("--config", str(config), "feeds", "list")
    assert listed.exit_code == 0


def test_an_import_that_would_outgrow_the_config_cap_changes_nothing(invoke, config, monkeypatch):
    import digest.feeds

    monkeypatch.setattr(digest.feeds, "CONFIG_MAX_BYTES", len(config.read_bytes()) + 2_000)
    before = config.read_bytes()
    outlines = "".join(OUTLINE.format(name=f"Feed {n}", url=f"https://feeds.example.org/{n}") for n in range(200))
    source = config.parent / "big.opml"
    source.write_bytes(opml(outlines))
    result = invoke("--config", str(config), "feeds", "import", str(source))
    assert result.exit_code == 2
    assert "not changed" in result.stderr and "MB a config may have" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert config.read_bytes() == before
    # what fits still goes in
    source.write_bytes(opml(OUTLINE.format(name="One", url="https://feeds.example.org/one")))
    assert invoke("--config", str(config), "feeds", "import", str(source)).exit_code == 0
    assert [f["url"] for f in feeds_of(config)] == ["https://feeds.example.org/one"]


def test_an_opml_declaring_entities_is_refused(invoke, config, tmp_path):
    doctype = ('<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    source = tmp_path / "entities.opml"
    source.write_bytes(opml(OUTLINE.format(name="&c;", url="https://feeds.example.org/a"), doctype))
    before = config.read_bytes()
    result = invoke("--config", str(config), "feeds", "import", str(source))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {source}: not imported: it declares XML entities (<!ENTITY>), " \
                                    "which OPML has no use for"
    assert config.read_bytes() == before


def test_an_opml_nested_thousands_deep_is_read_like_a_flat_one(invoke, config, tmp_path):
    depth = 5000
    body = "".join(f'<outline text="F{n}">' for n in range(depth))
    body += OUTLINE.format(name="Deep", url="https://feeds.example.org/deep") + "</outline>" * depth
    body += OUTLINE.format(name="Top", url="https://feeds.example.org/top")
    source = tmp_path / "deep.opml"
    source.write_bytes(opml(body))
    result = invoke("--config", str(config), "feeds", "import", str(source))
    assert result.exit_code == 0, result.stderr
    deep, top = feeds_of(config)
    assert (deep["name"], top["name"]) == ("Deep", "Top")
    assert deep["tags"] == [f"F{n}" for n in range(8)]
    assert "tags" not in top


def test_an_opml_naming_files_on_this_machine_adds_only_its_web_feeds(invoke, config, tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(rss(rss_item("Private", "https://example.org/p")))
    body = (OUTLINE.format(name="Mine", url=secret.as_uri()) + OUTLINE.format(name="Path", url=str(secret))
            + OUTLINE.format(name="Web", url="https://feeds.example.org/web"))
    source = tmp_path / "list.opml"
    source.write_bytes(opml(body))
    result = invoke("--config", str(config), "feeds", "import", str(source))
    assert result.exit_code == 0, result.stderr
    assert [f["url"] for f in feeds_of(config)] == ["https://feeds.example.org/web"]
    assert "2" in result.stderr  # the two skipped outlines are counted


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Le Monde.fr - Actualités", 120, "Le Monde.fr - Actualités"),
    ("  two\n\tlines \x1b[31m red ", 120, "two lines [31m red"),
    ("word " * 40, 20, "word word word word…"),
    ("x" * 50, 10, "xxxxxxxxx…"),
])
def test_a_config_label_is_one_short_line(text, limit, expected):
    from digest.feeds import config_label

    assert config_label(text, limit) == expected


def test_a_local_feed_may_show_pictures_beside_it_but_not_hidden_or_far_below(tmp_path):
    from digest.sources.media import _local_picture

    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    for place in ["a.png", "images/b.png", "images/2026/c.png", "images/2026/12/d.png", ".cache/e.png",
                  "images/.private/f.png"]:
        (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / place).write_bytes(png)
    shown = {name: bool(_local_picture(name, tmp_path)) for name in
             ["a.png", "images/b.png", "images/2026/c.png", "images/2026/12/d.png", ".cache/e.png",
              "images/.private/f.png", "../x.png"]}
    assert shown == {"a.png": True, "images/b.png": True, "images/2026/c.png": True,
                     "images/2026/12/d.png": False, ".cache/e.png": False, "images/.private/f.png": False,
                     "../x.png": False}


@pytest.mark.parametrize("where", [["feeds", "add", b"http://\xff.example/", "--no-check"],
                                   ["build", "--subject", b"\xff\xfe caf\xe9", "--no-mark-sent"],
                                   ["feeds", "add", b"https://feeds.example.org/a", "--no-check", "--name", b"Caf\xe9"]])
def test_arguments_that_are_not_utf8_get_one_line_and_change_nothing(config, tmp_path, where):
    import os
    import subprocess
    import sys

    before = config.read_bytes()
    command = [sys.executable, "-m", "digest", "--config", str(config), "--state", str(tmp_path / "s.db"), *where]
    run = subprocess.run([os.fsencode(arg) if isinstance(arg, str) else arg for arg in command],
                         capture_output=True, timeout=60, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert run.returncode == 2
    (line,) = run.stderr.decode().splitlines()
    assert line.startswith("Error: argument ") and "is not UTF-8 text: " in line
    assert "\\xff" in line or "\\xe9" in line
    assert run.stdout == b""
    assert config.read_bytes() == before


def test_names_and_hosts_match_however_they_are_written(invoke, config):
    """"Café" composed or decomposed is one name; bücher.example and its
    ASCII form xn--bcher-kva.example are one host."""
    config.write_text(config.read_text() + '\n[[feeds]]\nurl = "https://bücher.example/feed"\nname = "Caf\\u00e9"\n')
    again = invoke("--config", str(config), "feeds", "add", "https://xn--bcher-kva.example/feed", "--no-check")
    assert again.exit_code == 2 and "is already in" in again.stderr
    removed = invoke("--config", str(config), "feeds", "remove", "CAFE\u0301")
    assert removed.exit_code == 0, removed.stderr
    assert feeds_of(config) == []
    config.write_text(STARTER.read_text() + '\n[[feeds]]\nurl = "https://bücher.example/feed"\n'
                      '\n[[feeds]]\nurl = "https://XN--BCHER-KVA.example/feed"\n')
    listed = invoke("--config", str(config), "feeds", "list")
    assert listed.exit_code == 2
    assert "is listed twice" in listed.stderr


def test_a_feed_title_of_megabytes_is_one_short_line_in_the_mail(invoke, tmp_path):
    """No `name` in the config (what `feeds add --no-check` writes): the
    feed's own title is the source on every card and in the footer. A
    3 MB channel title made a 37 MB email."""
    import json

    from conftest import feeds_config

    feed = tmp_path / "feed.xml"
    feed.write_text(rss(*(rss_item(f"Story {n} of the day", f"https://b.example/{n}",
                                   date=f"Thu, 02 Jan 2025 1{n}:00:00 +0000") for n in range(5)),
                        title="Big title word " * 200_000))
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    mail = invoke("--config", str(config), "build", "--no-mark-sent", "--now", "2025-01-02T20:00:00Z")
    assert mail.exit_code == 0, mail.stderr
    assert len(mail.stdout_bytes) < 60_000
    data = json.loads(invoke("--config", str(config), "build", "--format", "json", "--no-mark-sent",
                             "--now", "2025-01-02T20:00:00Z").stdout)
    assert all(item["feed"].startswith("Big title word") and len(item["feed"]) <= 301 for item in data["items"])
    listed = invoke("--config", str(config), "feeds", "list")
    assert listed.exit_code == 0 and len(listed.stdout) < 5_000
