"""How the web edition is written (issue 25's review): one write at a time
(a `publish` racing a build's own write lost the new edition), a page per
edition even two in one second, Atom ids of this installation, text the
XML can hold, an unusable folder or one holding the state file said in one
line, and a symlink planted in the folder replaced rather than written
through."""

from __future__ import annotations

import mailbox
import re
import threading
from pathlib import Path
from xml.etree import ElementTree

from conftest import email_parts, parse_email, rss, rss_item, write_config

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = "2025-01-03T12:00:00Z"


def _site(tmp_path: Path, *, web: str = 'dir = "site"', title: str = "Morning Brief", digests: str = "") -> Path:
    (tmp_path / "wire.xml").write_text(rss(
        rss_item("The bridge at Zaporizhzhia reopens", "https://news.example.org/bridge",
                 date="Fri, 03 Jan 2025 09:00:00 +0000")), encoding="utf-8")
    return write_config(tmp_path, f"""
        title = "{title}"
        timezone = "UTC"
        state = "state.db"

        [email]
        from = "Brief <brief@example.org>"
        to = ["me@example.org"]
        mbox = "mail.mbox"

        [web]
        {web}

        {digests}

        [[feeds]]
        url = "{tmp_path / 'wire.xml'}"
        name = "Kyiv Wire"
    """)


def _add_item(tmp_path: Path, title: str, slug: str, date: str = "Fri, 03 Jan 2025 10:00:00 +0000") -> None:
    feed = tmp_path / "wire.xml"
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text.replace("<item>", rss_item(title, f"https://news.example.org/{slug}", date=date) + "<item>",
                                 1), encoding="utf-8")


def _cli(runner, config: Path, *args: str):
    from digest.cli import cli

    return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_a_publish_racing_a_builds_web_write_keeps_the_new_edition(tmp_path):
    """The interleaving the review hit, made certain: publish reads the
    history, then a build is sent; publish writes last. Before the lock it
    wrote the index from its stale history and the new edition was gone."""
    import digest

    config = _site(tmp_path)
    publish_read, publish_go, build_waits = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            with digest.open(config) as d:
                reads = d._editions_of

                def paused(name, limit=None):
                    listed = reads(name, limit)
                    if name == "":
                        publish_read.set()
                        publish_go.wait(60)  # a stall guard, not a timing: set as soon as the build waits or ends
                    return listed

                d._editions_of = paused
                d.publish()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    def build() -> None:
        try:
            with digest.open(config) as d:
                lock = d._web_lock if hasattr(d, "_web_lock") else None
                if lock is not None:
                    import contextlib

                    @contextlib.contextmanager
                    def told():
                        build_waits.set()  # about to wait for publish's lock
                        with lock():
                            yield

                    d._web_lock = told
                d.send(d.build(now=digest_now()))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            build_waits.set()

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert publish_read.wait(60)
    builder = threading.Thread(target=build)
    builder.start()
    assert build_waits.wait(60)
    publish_go.set()
    publisher.join(60)
    builder.join(60)
    assert not errors, errors
    index = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert "editions/2025-01-03-120000.html" in index
    feed = ElementTree.parse(tmp_path / "site/feed.xml").getroot()
    assert [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")] != []


def digest_now():
    from datetime import datetime, timezone

    return datetime(2025, 1, 3, 12, 0, tzinfo=timezone.utc)


def test_two_editions_of_a_digest_in_one_second_get_two_pages(tmp_path, runner):
    config = _site(tmp_path, web='dir = "site"\nbase_url = "https://me.example/brief/"',
                   digests='[digests.weekly]\ntitle = "The Week"\nsince = "7d"')
    result = _cli(runner, config, "build", "--digest", "weekly", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    _add_item(tmp_path, "Second new Kyiv story", "second")
    result = _cli(runner, config, "build", "--digest", "weekly", "--now", NOW, "--since", "7d")
    assert result.exit_code == 0, result.stderr
    site = tmp_path / "site"
    pages = sorted(p.name for p in (site / "digests/weekly").glob("*.html"))
    assert pages == ["2025-01-03-120000-2.html", "2025-01-03-120000.html"]
    assert "Second new Kyiv story" in (site / "digests/weekly/2025-01-03-120000-2.html").read_text()
    assert "Second new Kyiv story" not in (site / "digests/weekly/2025-01-03-120000.html").read_text()
    links = re.findall(r'href="(digests/weekly/[^"]+\.html)"', (site / "index.html").read_text())
    assert sorted(links) == ["digests/weekly/2025-01-03-120000-2.html", "digests/weekly/2025-01-03-120000.html"]
    ids = [e.findtext(f"{ATOM}id") for e in ElementTree.parse(site / "digests/weekly/feed.xml").iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)) == 2
    # The second mail's "View in browser" is the second page.
    second = [parse_email(m.as_bytes()) for m in mailbox.mbox(str(tmp_path / "mail.mbox"))][-1]
    assert "https://me.example/brief/digests/weekly/2025-01-03-120000-2.html" in email_parts(second)["text/plain"]
    # publish makes the same pages again.
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert _cli(runner, config, "publish").exit_code == 0
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_atom_ids_without_base_url_are_this_installations_and_stable(tmp_path, runner):
    ids = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        config = _site(folder)
        assert _cli(runner, config, "build", "--now", NOW).exit_code == 0
        feed = folder / "site/feed.xml"
        first = feed.read_bytes()
        assert _cli(runner, config, "publish").exit_code == 0
        assert feed.read_bytes() == first  # publishing again keeps the ids
        root = ElementTree.fromstring(first)
        ids.append([root.findtext(f"{ATOM}id"), *(e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry"))])
    assert all(i.startswith("urn:uuid:") for i in ids[0] + ids[1])
    assert not set(ids[0]) & set(ids[1])


def test_a_control_character_in_a_title_leaves_the_feed_well_formed(tmp_path, runner):
    config = _site(tmp_path, title="A\\u0001B\\uFFFEC")
    assert _cli(runner, config, "build", "--now", NOW).exit_code == 0
    root = ElementTree.parse(tmp_path / "site/feed.xml").getroot()  # raised "not well-formed"
    assert root.findtext(f"{ATOM}title") == "ABC"
    for page in (tmp_path / "site").rglob("*.html"):
        assert "\x01" not in page.read_text(encoding="utf-8") and "\ufffe" not in page.read_text(encoding="utf-8")


def test_publish_into_a_folder_that_cannot_be_one_is_one_line(tmp_path, runner):
    config = _site(tmp_path, web='dir = "sitefile"')
    (tmp_path / "sitefile").write_text("not a folder")
    assert _cli(runner, config, "build", "--now", NOW).exit_code == 0
    result = _cli(runner, config, "publish")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], lines
    assert "web.dir" in lines[0] and "sitefile" in lines[0]


def test_a_web_folder_holding_the_state_file_is_refused(tmp_path, runner):
    config = _site(tmp_path, web='dir = "."')
    result = _cli(runner, config, "build", "--now", NOW)
    assert result.exit_code == 2
    assert "web.dir" in result.stderr and "state" in result.stderr
    assert not (tmp_path / "mail.mbox").exists()  # refused before anything was sent
    result = _cli(runner, config, "publish")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "web.dir" in result.stderr
    assert not (tmp_path / "index.html").exists()


def test_a_symlink_inside_the_web_folder_is_replaced_not_written_through(tmp_path, runner):
    config = _site(tmp_path)
    (tmp_path / "site").mkdir()
    target = tmp_path / "target.txt"
    target.write_text("mine")
    (tmp_path / "site/index.html").symlink_to(target)
    assert _cli(runner, config, "build", "--now", NOW).exit_code == 0
    assert _cli(runner, config, "publish").exit_code == 0
    assert target.read_text() == "mine"
    index = tmp_path / "site/index.html"
    assert not index.is_symlink() and "editions/2025-01-03-120000.html" in index.read_text()


def test_publish_before_any_build_makes_the_state_folder_for_its_lock(tmp_path, runner):
    """The lock file sits beside the state file: a first `publish` (no
    state yet, its folder missing) said "cannot lock", not what was wrong."""
    config = _site(tmp_path, web='dir = "sitefile"')
    config.write_text(config.read_text().replace('state = "state.db"', 'state = "st/state.db"'))
    (tmp_path / "sitefile").write_text("not a folder")
    result = _cli(runner, config, "publish")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot write the web edition (web.dir) into {tmp_path / 'sitefile'}: File exists"]
