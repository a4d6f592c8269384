"""init, feeds add/remove/list/import/export: real files, a real HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import FEEDS, rss, rss_item, write_config
from digest.config import _TOP_KEYS, EMAIL_KEYS, SMTP_KEYS, load_config
from digest.feeds import STARTER

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My subscriptions</title></head><body>
  <outline text="News" title="News">
    <outline type="rss" text="Kyiv Wire" title="Kyiv Wire" xmlUrl="https://news.example.org/rss" htmlUrl="https://news.example.org/"/>
    <outline type="rss" text="World" xmlUrl="https://world.example.com/feed.xml"/>
    <outline text="Local">
      <outline type="rss" text="City Desk" xmlUrl="https://citydesk.example.com/feed.atom"/>
    </outline>
  </outline>
  <outline type="rss" text="Tech Notes" xmlUrl="https://technotes.example.net/rss"/>
  <outline type="rss" text="Dup of World" xmlUrl="https://world.example.com/feed.xml"/>
  <outline type="link" text="Just a bookmark" url="https://example.org/"/>
</body></opml>
"""


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(STARTER.read_text())
    return path


def feeds_of(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text()).get("feeds", [])


# ------------------------------------------------------------ init


def test_init_writes_a_valid_commented_config_and_refuses_to_overwrite(invoke, tmp_path):
    result = invoke("init", str(tmp_path / "conf"))
    path = tmp_path / "conf" / "digest.toml"
    assert result.exit_code == 0
    assert list((tmp_path / "conf").iterdir()) == [path]
    assert "build | /usr/sbin/sendmail -t" in result.stdout
    assert str(path.resolve()) in result.stdout
    load_config(path)  # valid as written
    before = path.read_text()
    again = invoke("init", str(tmp_path / "conf"))
    assert again.exit_code == 2
    assert again.stderr.strip() == f"Error: {path} already exists; not overwriting it (edit it, or pick another DIR)"
    assert path.read_text() == before


def test_starter_config_shows_every_key_with_a_comment():
    text = STARTER.read_text()
    lines = text.splitlines()

    def commented(key: str, start: int = 0) -> None:
        index = next(i for i, line in enumerate(lines) if i >= start and line.lstrip("# ").startswith(f"{key} ="))
        assert lines[index - 1].startswith("#") and not lines[index - 1].lstrip("# ").startswith(
            tuple(f"{other} =" for other in (*EMAIL_KEYS, *SMTP_KEYS))), f"{key} has no comment above it"

    for key in _TOP_KEYS:
        if key in ("email", "smtp", "lead", "rank", "fetch", "articles", "feeds", "authors", "digests", "web"):
            assert f"[{key}]" in text or f"[[{key}]]" in text or f"[{key}." in text, key
            continue
        commented(key)
    for table, keys in (("[email]", EMAIL_KEYS), ("# [smtp]", SMTP_KEYS)):
        start = lines.index(table)
        for key in keys:
            commented(key, start)


# ------------------------------------------------------------ add / remove


def test_add_a_feed_url_fills_the_name_and_keeps_comments(httpserver, invoke, config):
    httpserver.expect_request("/rss.xml").respond_with_data(rss(rss_item("A", "https://e.org/a"), title="Example News"),
                                                            content_type="application/rss+xml")
    url = httpserver.url_for("/rss.xml")
    result = invoke("--config", str(config), "feeds", "add", url, "--tag", "news", "--tag", "world", "--weight", "1.5")
    assert result.exit_code == 0, result.stderr
    assert feeds_of(config) == [{"url": url, "name": "Example News", "weight": 1.5, "tags": ["news", "world"]}]
    assert "# How far back a first build looks." in config.read_text()
    assert result.stdout == ""


def test_add_a_website_discovers_its_advertised_feed(httpserver, invoke, config):
    httpserver.expect_request("/").respond_with_data(
        '<html><head><title>Site</title><link rel="alternate" type="application/atom+xml" href="/posts.atom">'
        "</head><body>Hi</body></html>", content_type="text/html")
    httpserver.expect_request("/posts.atom").respond_with_data(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Site Posts</title></feed>', content_type="application/atom+xml")
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/"))
    assert result.exit_code == 0, result.stderr
    assert f"Using the feed {httpserver.url_for('/posts.atom')} (advertised by the page)." in result.stderr
    assert feeds_of(config) == [{"url": httpserver.url_for("/posts.atom"), "name": "Site Posts"}]


def test_add_a_website_falls_back_to_the_usual_paths(httpserver, invoke, config):
    httpserver.expect_request("/").respond_with_data("<html><body>No links</body></html>", content_type="text/html")
    httpserver.expect_request("/index.xml").respond_with_data(rss(title="Hugo Site"), content_type="application/xml")
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/"), "--name", "Mine")
    assert result.exit_code == 0, result.stderr
    assert "(found at a usual path)" in result.stderr
    assert feeds_of(config) == [{"url": httpserver.url_for("/index.xml"), "name": "Mine"}]


def test_add_a_page_without_any_feed_exits_2(httpserver, invoke, config):
    httpserver.expect_request("/").respond_with_data("<html><body>Nothing</body></html>", content_type="text/html")
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/"))
    assert result.exit_code == 2
    assert "no feed found" in result.stderr
    assert feeds_of(config) == []


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was just freed)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


@pytest.mark.parametrize("down", ["nothing listening", "HTTP 503"])
def test_add_an_unreachable_url_says_what_failed_and_how_to_add_it_anyway(httpserver, invoke, config, down):
    if down == "HTTP 503":
        httpserver.expect_request("/feed.xml").respond_with_data("down for maintenance", status=503)
        url = httpserver.url_for("/feed.xml")
    else:
        url = closed_port_url()
    before = config.read_text()
    result = invoke("--config", str(config), "feeds", "add", url)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot read {url}: ")
    assert ("cannot connect" if down == "nothing listening" else "HTTP 503") in lines[0]
    assert lines[0].endswith(f"digest feeds add --no-check {url}")
    assert config.read_text() == before


def test_add_with_no_check_adds_the_url_as_given_without_fetching_it(httpserver, invoke, config):
    url = closed_port_url()
    result = invoke("--config", str(config), "feeds", "add", "--no-check", url, "--tag", "news")
    assert result.exit_code == 0, result.stderr
    assert feeds_of(config)[-1] == {"url": url, "tags": ["news"]}
    assert "not fetched" in result.stderr
    path = FEEDS / "rss2" / "substack-heated.xml"
    assert invoke("--config", str(config), "feeds", "add", "--no-check", str(path)).exit_code == 0
    assert feeds_of(config)[-1] == {"url": str(path)}
    assert httpserver.log == []


@pytest.mark.parametrize("bad", ["gopher://example.org/feed", "https:///no-host", "/no/such/feed.xml", "not a url"])
def test_add_with_no_check_still_refuses_what_is_not_a_url_or_a_file(invoke, config, bad):
    before = config.read_text()
    result = invoke("--config", str(config), "feeds", "add", "--no-check", bad)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert config.read_text() == before


def test_add_twice_is_refused_with_already(httpserver, invoke, config):
    httpserver.expect_request("/rss.xml").respond_with_data(rss(title="X"), content_type="application/rss+xml")
    url = httpserver.url_for("/rss.xml")
    invoke("--config", str(config), "feeds", "add", url)
    again = invoke("--config", str(config), "feeds", "add", url)
    assert again.exit_code == 2
    assert again.stderr.strip() == f"Error: {url} is already in {config}"


def test_add_a_local_file(invoke, config):
    path = FEEDS / "rss2" / "substack-heated.xml"
    result = invoke("--config", str(config), "feeds", "add", str(path))
    assert result.exit_code == 0, result.stderr
    assert feeds_of(config)[0]["url"] == str(path)
    assert feeds_of(config)[0]["name"]


def test_editing_a_linked_config_writes_through_the_link(invoke, config, tmp_path):
    """The usual dotfiles setup: ~/.config/digest/digest.toml is a link into a repository."""
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "digest.toml"
    config.rename(real)
    config.symlink_to(real)
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("A", "https://e.org/a"), title="Local"))
    assert invoke("--config", str(config), "feeds", "add", str(feed)).exit_code == 0
    assert config.is_symlink() and feeds_of(real) == [{"url": str(feed), "name": "Local"}]
    assert invoke("--config", str(config), "feeds", "remove", "Local").exit_code == 0
    assert config.is_symlink() and feeds_of(real) == []
    assert "# How far back a first build looks." in real.read_text()
    assert sorted(p.name for p in dotfiles.iterdir()) == ["digest.toml"]


def test_remove_by_name_or_url_and_unknown_exits_2(invoke, config):
    config.write_text(config.read_text() + '\n[[feeds]]\nurl = "https://a.example/rss"\nname = "Alpha"\n'
                      '\n[[feeds]]\nurl = "https://b.example/rss"\n')
    assert invoke("--config", str(config), "feeds", "remove", "alpha").exit_code == 0
    assert invoke("--config", str(config), "feeds", "remove", "https://b.example/rss").exit_code == 0
    assert feeds_of(config) == []
    unknown = invoke("--config", str(config), "feeds", "remove", "Gamma")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip().startswith("Error: no feed 'Gamma' in")


# ------------------------------------------------------------ list


def test_list_shows_health_from_the_store(httpserver, invoke, tmp_path):
    httpserver.expect_request("/ok.xml").respond_with_data(rss(rss_item("A", "https://e.org/a"), title="Okay Feed"))
    httpserver.expect_request("/bad.xml").respond_with_data("no", status=500)
    ok, bad = httpserver.url_for("/ok.xml"), httpserver.url_for("/bad.xml")
    config = write_config(tmp_path, f"""\
        [email]
        to = ["me@example.org"]
        [[feeds]]
        url = "{ok}"
        tags = ["a", "b"]
        [[feeds]]
        url = "{bad}"
        name = "Bad One"
        weight = 2.0
        """)
    invoke("--config", str(config), "build", "--now", "2025-01-02T20:00:00Z", "--format", "json")
    rows = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)
    assert rows[0]["name"] == "Okay Feed" and rows[0]["tags"] == ["a", "b"]
    assert rows[0]["failures"] == 0 and rows[0]["last_success"] == "2025-01-02T20:00:00+00:00"
    assert rows[1]["name"] == "Bad One" and rows[1]["weight"] == 2.0
    assert rows[1]["failures"] == 1 and rows[1]["last_error"] == "HTTP 500 Internal Server Error"
    table = invoke("--config", str(config), "feeds", "list").stdout.splitlines()
    assert [rows[0]["status"], rows[1]["status"]] == ["ok", "failing"]
    assert table[0].split() == ["NAME", "URL", "TAGS", "WEIGHT", "STATUS", "NEWEST", "ITEM", "LAST", "FETCHED",
                                "FAILS", "LAST", "ERROR"]
    assert "Okay Feed" in table[1] and "a,b" in table[1]
    assert "Bad One" in table[2] and "HTTP 500 Internal Server Error" in table[2]


def test_list_shows_a_moved_feed_at_its_new_url_and_a_retired_one(httpserver, invoke, tmp_path):
    from werkzeug import Response

    httpserver.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/new.xml")}))
    httpserver.expect_request("/new.xml").respond_with_data(rss(rss_item("A", "https://e.org/a"), title="Moved"))
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=410)
    old, gone = httpserver.url_for("/old.xml"), httpserver.url_for("/gone.xml")
    config = write_config(tmp_path, f"""\
        [[feeds]]
        url = "{old}"
        [[feeds]]
        url = "{gone}"
        name = "Gone"
        """)
    invoke("--config", str(config), "fetch", "--now", "2025-01-02T20:00:00Z")
    moved, retired = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)
    assert (moved["url"], moved["moved_from"], moved["status"]) == (httpserver.url_for("/new.xml"), old, "moved")
    assert (retired["status"], retired["retired"]) == ("retired", "2025-01-02T20:00:00+00:00")
    # Removing and adding it again starts afresh.
    invoke("--config", str(config), "feeds", "remove", "Gone")
    httpserver.clear()
    httpserver.expect_request("/gone.xml").respond_with_data(rss(title="Back"), content_type="application/rss+xml")
    assert invoke("--config", str(config), "feeds", "add", gone).exit_code == 0
    back = json.loads(invoke("--config", str(config), "feeds", "list", "--json").stdout)[1]
    assert (back["name"], back["status"], back["retired"], back["failures"]) == ("Back", "new", None, 0)


# ------------------------------------------------------------ OPML


def test_import_turns_folders_into_tags_and_counts_duplicates(invoke, config, tmp_path):
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    result = invoke("--config", str(config), "feeds", "import", str(opml))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"Imported 4 feeds into {config} (1 already present)."
    assert feeds_of(config) == [
        {"url": "https://news.example.org/rss", "name": "Kyiv Wire", "tags": ["News"]},
        {"url": "https://world.example.com/feed.xml", "name": "World", "tags": ["News"]},
        {"url": "https://citydesk.example.com/feed.atom", "name": "City Desk", "tags": ["News", "Local"]},
        {"url": "https://technotes.example.net/rss", "name": "Tech Notes"},
    ]
    again = invoke("--config", str(config), "feeds", "import", str(opml))
    assert again.stderr.strip() == f"Imported 0 feeds into {config} (5 already present)."


def test_import_of_a_broken_file_is_one_line(invoke, config, tmp_path):
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    result = invoke("--config", str(config), "feeds", "import", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}: not an OPML file")


def test_export_then_import_reproduces_the_feed_list(invoke, config, tmp_path):
    (tmp_path / "subs.opml").write_text(OPML)
    invoke("--config", str(config), "feeds", "import", str(tmp_path / "subs.opml"))
    config.write_text(config.read_text().replace('name = "Tech Notes"', 'name = "Tech Notes"\nweight = 0.5'))
    exported = invoke("--config", str(config), "feeds", "export")
    assert exported.exit_code == 0
    assert exported.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    second = tmp_path / "second.toml"
    second.write_text(STARTER.read_text())
    imported = invoke("--config", str(second), "feeds", "import", "-", input=exported.stdout)
    assert imported.exit_code == 0, imported.stderr
    assert load_config(second).feeds == load_config(config).feeds


def test_export_then_import_survives_control_characters_and_keeps_every_tag(invoke, config, tmp_path):
    config.write_text(config.read_text() + '\n[[feeds]]\nurl = "https://a.example.org/feed"\n'
                      'name = "Night\\u0007 desk\\tnews"\ntags = ["news", "world/europe", "bell\\u0007"]\n'
                      '\n[[feeds]]\nurl = "https://b.example.org/feed"\nname = "Caf\u00e9"\ntags = ["food"]\n')
    exported = invoke("--config", str(config), "feeds", "export")
    assert exported.exit_code == 0
    second = tmp_path / "second.toml"
    second.write_text(STARTER.read_text())
    imported = invoke("--config", str(second), "feeds", "import", "-", input=exported.stdout)
    assert imported.exit_code == 0, imported.stderr
    a, b = load_config(second).feeds
    assert (a.name, a.tags) == ("Night desk news", ("news", "world/europe", "bell"))
    assert (b.name, b.tags) == ("Caf\u00e9", ("food",))


def test_shared_feed_file_as_a_config_path_round_trips(invoke, config):
    path = str(FEEDS / "atom" / "daringfireball.atom")
    invoke("--config", str(config), "feeds", "add", path)
    exported = invoke("--config", str(config), "feeds", "export").stdout
    assert f'xmlUrl="{Path(path).as_uri()}"' in exported


# ------------------------------------------------------------ as installed


def test_installed_digest_in_an_empty_directory(tmp_path, httpserver):
    from test_build import INSTALLED

    if INSTALLED is None:
        pytest.skip("digest is not installed")
    httpserver.expect_request("/").respond_with_data("<html><body>Home</body></html>", content_type="text/html")
    httpserver.expect_request("/feed").respond_with_data(rss(title="Served"), content_type="application/rss+xml")
    env = {**os.environ, "DIGEST_STATE": str(tmp_path / "s.db")}
    env.pop("DIGEST_CONFIG", None)

    def run(*args):
        return subprocess.run([INSTALLED, *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)

    assert run("init").returncode == 0
    added = run("feeds", "add", httpserver.url_for("/"))
    assert added.returncode == 0, added.stderr
    assert "found at a usual path" in added.stderr
    (tmp_path / "subs.opml").write_text(OPML)
    imported = run("feeds", "import", "subs.opml")
    assert imported.stderr.strip() == "Imported 4 feeds into digest.toml (1 already present)."
    listed = run("feeds", "list")
    assert "Served" in listed.stdout and "Kyiv Wire" in listed.stdout
    exported = run("feeds", "export")
    assert exported.stdout.count("xmlUrl=") == 5
    assert run("feeds", "remove", "Tech Notes").returncode == 0
    assert "Tech Notes" not in run("feeds", "list").stdout
    history = run("history")
    assert (history.returncode, history.stderr.strip()) == (0, "No digest has been sent yet.")
    assert run("--version").stdout.startswith("digest, version ")


def test_import_skips_an_outline_the_config_would_refuse(invoke, config, tmp_path):
    opml = tmp_path / "odd.opml"
    opml.write_text('<opml version="2.0"><body><outline text="No host" xmlUrl="http:///x"/>'
                    '<outline text="Fine" xmlUrl="https://fine.example/rss"/></body></opml>')
    result = invoke("--config", str(config), "feeds", "import", str(opml))
    assert result.exit_code == 0
    assert result.stderr.strip() == f"Imported 1 feeds into {config} (0 already present, 1 without a usable URL skipped)."
    assert [f["url"] for f in feeds_of(config)] == ["https://fine.example/rss"]


def test_editing_a_config_that_is_not_utf8_is_one_line(invoke, tmp_path):
    config = tmp_path / "latin.toml"
    config.write_bytes('title = "Caf\xe9"\n'.encode("latin-1"))
    result = invoke("--config", str(config), "feeds", "remove", "x")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {config}: not UTF-8 text"


def test_init_into_a_path_under_a_file_is_one_line(invoke, tmp_path):
    (tmp_path / "file").write_text("x")
    result = invoke("init", str(tmp_path / "file" / "sub"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: cannot create {tmp_path / 'file' / 'sub'}: Not a directory"


def test_an_import_validates_the_config_once_not_after_each_feed(invoke, config, tmp_path, monkeypatch):
    """Validating the whole config after each added feed made an import
    quadratic: 1,000 feeds 11 s, 4,000 feeds 187 s (benchmarks/hostile.py)."""
    from digest.feeds import ConfigEditor

    validations = []
    real = ConfigEditor._validated
    monkeypatch.setattr(ConfigEditor, "_validated", lambda self: validations.append(1) or real(self))
    outlines = "".join(f'<outline type="rss" text="Feed {n}" xmlUrl="https://feed{n}.example/rss"/>' for n in range(300))
    broken = '<outline xmlUrl="http://[::1"/><outline xmlUrl="gopher://old.example/"/>'
    duplicate = '<outline text="Again" xmlUrl="https://feed7.example/rss"/>'
    opml = tmp_path / "big.opml"
    opml.write_text(f'<opml version="2.0"><body>{outlines}{broken}{duplicate}</body></opml>')
    result = invoke("--config", str(config), "feeds", "import", str(opml))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == (f"Imported 300 feeds into {config} (1 already present, "
                                     "2 without a usable URL skipped).")
    assert len(validations) <= 2  # reading the config, and once after the import
    assert [feed["url"] for feed in feeds_of(config)] == [f"https://feed{n}.example/rss" for n in range(300)]


def test_importing_dev_zero_is_one_line_not_all_memory(invoke, config):
    result = invoke("--config", str(config), "feeds", "import", "/dev/zero")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: /dev/zero: larger than 16 MB: not an OPML file"


# ------------------------------------------------------------ what a page may point to


def test_a_page_advertising_a_local_file_is_not_followed(httpserver, invoke, config, tmp_path):
    """A web page's <link rel="alternate"> to file:///... would have put that
    file into the config, and the next build would mail its content. A
    feed found on the web must be http(s)."""
    secret = tmp_path / "secret.xml"
    secret.write_text(rss(rss_item("Private notes", "https://e.org/private"), title="Private"))
    httpserver.expect_request("/").respond_with_data(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{secret.as_uri()}">'
        '<link rel="alternate" type="application/rss+xml" href="file:///etc/passwd"></head></html>',
        content_type="text/html")
    before = config.read_text()
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/"))
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: {httpserver.url_for('/')}: no feed found (the page advertises "
                                            "no http(s) feed")
    assert config.read_text() == before


def test_a_page_advertising_local_and_web_feeds_gets_the_web_one(httpserver, invoke, config, tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(rss(title="Private"))
    httpserver.expect_request("/").respond_with_data(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{secret.as_uri()}">'
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>', content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(rss(title="Public"), content_type="application/rss+xml")
    result = invoke("--config", str(config), "feeds", "add", httpserver.url_for("/"))
    assert result.exit_code == 0, result.stderr
    assert feeds_of(config) == [{"url": httpserver.url_for("/feed.xml"), "name": "Public"}]


@pytest.mark.parametrize("url, message", [
    ("gopher://old.example/feed", "unsupported URL scheme 'gopher'"),
    ("ftp://files.example/feed.xml", "unsupported URL scheme 'ftp'"),
    ("file://otherhost{path}", "names the host 'otherhost': only files on this machine are read"),
])
@pytest.mark.parametrize("check", [True, False], ids=["checked", "--no-check"])
def test_feeds_add_refuses_schemes_and_hosts_it_cannot_read(invoke, config, tmp_path, url, message, check):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(title="Local"))
    url = url.format(path=feed)
    before = config.read_text()
    result = invoke("--config", str(config), "feeds", "add", url, *([] if check else ["--no-check"]))
    assert result.exit_code == 2
    line = result.stderr.strip()
    expected = message if check or url.startswith("file:") else "not an http(s) URL or a local file"
    assert "\n" not in line and line.startswith("Error: ") and expected in line, line
    assert config.read_text() == before


def test_a_file_url_of_another_host_is_refused_in_the_config_and_never_read(tmp_path):
    from digest.config import FetchConfig
    from digest.errors import ConfigError
    from digest.sources.fetch import FetchRequest, fetch_all

    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item("Local story", "https://e.org/1"), title="Local"))
    config = write_config(tmp_path, f'[[feeds]]\nurl = "file://otherhost{feed}"\n')
    with pytest.raises(ConfigError, match="feeds\\[0\\].url: .* names the host 'otherhost'"):
        load_config(config)
    [result] = fetch_all([FetchRequest(f"file://otherhost{feed}")], FetchConfig())
    assert result.error and result.body == b""
    [local] = fetch_all([FetchRequest(f"file://localhost{feed}")], FetchConfig())
    assert local.error is None and b"Local story" in local.body


def test_a_page_advertising_a_thousand_stalling_feeds_ends_within_the_discovery_deadline(server, invoke, config):
    """Each advertised feed was tried in turn, each up to the fetch timeout:
    1,000 stalling links were about four hours. Now: the first few, all of
    it inside twice the timeout, and the message says what happened."""
    from loopback import respond

    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{n}.xml">' for n in range(1000))
    server.routes["/"] = lambda h: respond(h, 200, f"<html><head>{links}</head></html>".encode(),
                                           {"Content-Type": "text/html"})

    def stall(handler) -> int:
        server.stop.wait(30)
        return 0

    for n in range(1000):
        server.routes[f"/f{n}.xml"] = stall
    config.write_text(config.read_text().replace('timeout = "15s"', 'timeout = "1s"'))
    before = config.read_text()
    result = invoke("--config", str(config), "feeds", "add", server.url("/"))
    assert result.exit_code == 1  # it may work later: unreachable, not a usage error
    (line,) = result.stderr.strip().splitlines()
    assert line == (f"Error: cannot read {server.url('/')}: the page advertises 1000 feeds, none of which could be "
                    f"fetched now; check the address, or add it without fetching it now: digest feeds add --no-check "
                    f"{server.url('/')}")
    assert len(server.hits) <= 1 + 8  # the page and at most the first eight it names
    assert config.read_text() == before
