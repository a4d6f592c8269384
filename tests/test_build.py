"""digest build end to end: config -> feeds -> store -> email on stdout."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EXAMPLE_NOW, EXAMPLES, INSTALLED, email_parts, feeds_config, parse_email, rss, rss_item

from digest.files import file_path


class _Collect(HTMLParser):
    """Visible text, links and images of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.links, self.images, self.html_attrs = [], [], [], {}
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "title", "script"):
            self._skip += 1
        if tag == "html":
            self.html_attrs = attrs
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("style", "title", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(" ".join(data.split()))


def collect(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_example_email_has_both_parts_with_the_example_content(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.stderr
    message = parse_email(result.stdout_bytes)

    assert message["From"] == "Morning Brief <brief@example.org>"
    assert message["To"] == "me@example.org"
    assert message["Subject"] == "Morning Brief: Rail line to Kharkiv reopens after three weeks of repairs + 5 more"
    assert message["Date"] == "Thu, 02 Jan 2025 20:00:00 +0000"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["MIME-Version"] == "1.0"
    # The HTML travels with the example's pictures (local files) as one multipart/related.
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "multipart/related"]
    assert all(message.get_body((kind,)).get_content_charset() == "utf-8" for kind in ("plain", "html"))
    parts = email_parts(message)
    text, html = parts["text/plain"], parts["text/html"]

    page = collect(html)
    visible = " ".join(page.text)
    for headline in (
        "Rail line to Kharkiv reopens after three weeks of repairs",
        "Night buses return to six routes as the city adds drivers",
        "SQLite's WAL mode, explained with one diagram",
    ):
        assert headline in text
        assert headline in visible
    # The item older than a day stays out.
    assert "Lviv" not in text and "Lviv" not in visible
    # Author blurb, image caption + credit, reading time, in both parts.
    flowing = " ".join(text.split())
    for needle in ("Senior News Editor", "pulls into Kharkiv station", "Olena Kovalenko", "2 min read"):
        assert needle in flowing
        assert needle in visible
    assert page.images[1]["src"].startswith("cid:picture-") and page.images[1]["src"].endswith(".fornusek.png@example.org")
    # Links are canonical: tracking parameters and fragments are gone.
    assert "https://news.example.org/2025/01/02/kharkiv-rail-reopens" in page.links
    assert "https://citydesk.example.com/transport/night-buses-return?page=1" in page.links
    assert not [link for link in page.links if "utm_" in link or "fbclid" in link or "#" in link]
    # Responsive HTML from MJML, with a language.
    assert "@media" in html
    assert page.html_attrs.get("lang") == "en"
    assert result.stderr == ""


def test_text_part_is_wrapped_and_links_are_numbered(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "text")
    text = result.stdout
    assert max(len(line) for line in text.splitlines() if not line.startswith("[")) <= 72
    assert "1. Rail line to Kharkiv reopens after three weeks of repairs [1]" in text
    links = text.split("\nLinks\n", 1)[1].splitlines()
    assert links[0] == "[1] https://news.example.org/2025/01/02/kharkiv-rail-reopens"
    assert len(links) == 6


def test_feed_text_is_data_never_template_source(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html")
    visible = " ".join(collect(result.stdout).text)
    assert "Ten years of {{ templates }}: what we learned" in visible


def test_second_email_build_sends_nothing_new(invoke, example_config):
    first = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert first.exit_code == 0 and first.stdout
    second = invoke("build", "--config", str(example_config), "--now", "2025-01-02T21:00:00Z")
    assert second.exit_code == 0
    assert second.stdout == ""
    assert "Nothing new" in second.stderr


def test_non_email_formats_do_not_mark_sent_by_default(invoke, example_config):
    invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html")
    again = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "json")
    assert len(json.loads(again.stdout)["items"]) == 6


def test_json_output_carries_the_item_fields(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) >= {"title", "generated_at", "since", "items", "errors"}
    first = data["items"][0]
    assert first["title"] == "Rail line to Kharkiv reopens after three weeks of repairs"
    assert first["feed"] == "Kyiv Wire"
    assert first["reading_minutes"] == 2
    assert first["lead"].startswith("Passenger trains are running")
    assert first["author_blurb"]["role"] == "Senior News Editor"
    assert first["image"]["credit"] == "Olena Kovalenko / Kyiv Wire"  # the name, without the "Photo:" label
    assert first["image"]["width"] == 1200
    # A feed without a configured name shows its own title.
    assert "The City Desk" in {item["feed"] for item in data["items"]}
    # Ranked best first.
    scores = [item["score"] for item in data["items"]]
    assert scores == sorted(scores, reverse=True)


def test_output_file_is_written_and_marks_sent_only_for_email(invoke, example_config, tmp_path):
    target = tmp_path / "out.eml"
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert parse_email(target.read_bytes())["Subject"].startswith("Morning Brief")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.eml")] == []


def test_unwritable_output_marks_nothing(invoke, example_config, tmp_path):
    target = tmp_path / "missing-dir" / "out.eml"
    failed = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "-o", str(target))
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: cannot write")
    assert len(failed.stderr.strip().splitlines()) == 1
    retry = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert "Rail line to Kharkiv" in retry.stdout


def test_output_through_a_symlink_writes_its_target_and_keeps_the_link(invoke, example_config, tmp_path):
    (tmp_path / "mail").mkdir()
    target = tmp_path / "mail" / "today.eml"
    target.write_text("yesterday's digest")
    target.chmod(0o640)
    link = tmp_path / "today.eml"
    link.symlink_to(target)
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--no-mark-sent", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target
    assert parse_email(target.read_bytes())["Subject"].startswith("Morning Brief")
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["today.eml"]  # no temp file left behind
    dangling = tmp_path / "new.eml"
    dangling.symlink_to(tmp_path / "mail" / "new.eml")
    made = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "json",
                  "-o", str(dangling))
    assert made.exit_code == 0 and dangling.is_symlink()
    assert json.loads((tmp_path / "mail" / "new.eml").read_text())["items"]


@pytest.mark.parametrize("through_link", [False, True], ids=["fifo", "link-to-fifo"])
def test_output_onto_something_not_a_regular_file_is_refused_and_left_alone(invoke, example_config, tmp_path,
                                                                          through_link):
    """A named pipe stands in for a device node (which only root can make):
    replacing either with a regular file breaks whatever used it."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    given = fifo
    if through_link:
        given = tmp_path / "link"
        given.symlink_to(fifo)
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "-o", str(given))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {given}{f' (a link to {fifo})' if through_link else ''} "
                                     "is a named pipe, not a regular file; not replacing it")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    retry = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert "Rail line to Kharkiv" in retry.stdout  # nothing was marked sent


def test_top_and_since_limit_the_digest(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                    "--format", "json", "--top", "2", "--since", "3d")
    items = json.loads(result.stdout)["items"]
    assert len(items) == 2
    wide = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                  "--format", "json", "--since", "2024-12-29")
    assert "Lviv opens its first heat shelter network for the homeless" in [
        i["title"] for i in json.loads(wide.stdout)["items"]]


def test_to_from_subject_flags_override_the_config(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--to", "a@x.org",
                    "--to", "b@x.org", "--from", "Me <me@x.org>", "--subject", "{{ title }}!", "--no-mark-sent")
    message = parse_email(result.stdout_bytes)
    assert message["To"] == "a@x.org, b@x.org"
    assert message["From"] == "Me <me@x.org>"
    assert message["Subject"] == "Morning Brief!"


def test_mute_drops_items(invoke, example_config):
    text = example_config.read_text().replace('mute = ["horoscope"]', 'mute = ["library"]')
    example_config.write_text(text)
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "json")
    titles = [i["title"] for i in json.loads(result.stdout)["items"]]
    assert len(titles) == 5
    assert not [t for t in titles if "Library" in t]


@pytest.mark.parametrize("rank, shown", [
    ("", ["Council meets", "Harbour opens", "Match report"]),
    ('mute = ["zeppelin"]', ["Council meets", "Match report"]),
    ('boost = { "zeppelin" = 50 }', ["Harbour opens", "Council meets", "Match report"]),
])
def test_mute_and_boost_find_words_in_the_text_of_stories_not_shown(invoke, tmp_path, rank, shown):
    """A build reads the texts of the stories it shows only, unless
    ranking looks for words: then every candidate's text counts, and the
    word only in a text (not in any title) mutes or lifts its story."""
    feed = tmp_path / "wire.xml"
    feed.write_text(rss(
        rss_item("Council meets", "https://e.org/1", date="Thu, 02 Jan 2025 19:00:00 +0000", body="A vote on roads."),
        rss_item("Harbour opens", "https://e.org/2", date="Thu, 02 Jan 2025 10:00:00 +0000",
                 body="A zeppelin flew over the new quay."),
        rss_item("Match report", "https://e.org/3", date="Thu, 02 Jan 2025 18:00:00 +0000", body="A late goal."),
    ), encoding="utf-8")
    config = feeds_config(tmp_path, [str(feed)], extra=f"[rank]\n{rank}\n" if rank else "")
    result = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "json")
    assert result.exit_code == 0, result.stderr
    stories = json.loads(result.stdout)["items"]
    assert sorted(s["title"] for s in stories) == sorted(shown)
    if "boost" in rank:
        assert stories[0]["title"] == "Harbour opens"
    assert all(s["summary"] for s in stories)  # texts read for what is shown


# ------------------------------------------------------------ over HTTP


def http_config(tmp_path: Path, urls: list[str], extra: str = "") -> Path:
    return feeds_config(tmp_path, urls, extra=f'title = "HTTP Brief"\nstate = "{tmp_path / "http.db"}"\n{extra}',
                        email='from = "brief@example.org"')


def test_feeds_over_http_and_a_failing_feed_is_named(httpserver, invoke, tmp_path):
    httpserver.expect_request("/good.xml").respond_with_data(
        rss(rss_item("Good news travels fast", "https://example.org/good")),
        content_type="application/rss+xml")
    httpserver.expect_request("/broken.xml").respond_with_data("nope", status=500)
    # failing_after = 1: the footer names a feed on its first failure (the
    # default, 3 runs in a row, is tested in test_fetch.py).
    config = http_config(tmp_path, [httpserver.url_for("/good.xml"), httpserver.url_for("/broken.xml")],
                         extra="failing_after = 1")
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z")
    assert result.exit_code == 0
    parts = email_parts(parse_email(result.stdout_bytes))
    assert "Good news travels fast" in parts["text/plain"]
    broken = httpserver.url_for("/broken.xml")
    assert f"{broken}) failed: HTTP 500 Internal Server Error" in result.stderr
    assert result.stderr.count(broken) == 1
    # ... and in the digest footer, both parts.
    assert "HTTP 500 Internal Server Error" in parts["text/plain"]
    assert "HTTP 500 Internal Server Error" in " ".join(collect(parts["text/html"]).text)


def test_every_feed_failing_exits_1(httpserver, invoke, tmp_path):
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    config = http_config(tmp_path, [httpserver.url_for("/gone.xml")])
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Error: every feed failed" in result.stderr


def test_html_page_is_not_a_feed(httpserver, invoke, tmp_path):
    httpserver.expect_request("/page").respond_with_data(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
        "<body>Hello</body></html>", content_type="text/html")
    httpserver.expect_request("/ok.xml").respond_with_data(rss(rss_item("Still here", "https://example.org/s")))
    config = http_config(tmp_path, [httpserver.url_for("/page"), httpserver.url_for("/ok.xml")])
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z", "--format", "text")
    assert result.exit_code == 0
    assert "Still here" in result.stdout
    assert f"not a feed (the page points to a feed at {httpserver.url_for('/feed.xml')})" in result.stderr


def test_empty_digest_only_with_allow_empty(httpserver, invoke, tmp_path):
    httpserver.expect_request("/old.xml").respond_with_data(
        rss(rss_item("Old story", "https://example.org/old", date="Mon, 01 Jan 2024 00:00:00 +0000")))
    config = http_config(tmp_path, [httpserver.url_for("/old.xml")])
    quiet = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z")
    assert quiet.exit_code == 0 and quiet.stdout == ""
    empty = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z", "--allow-empty")
    assert empty.exit_code == 0
    assert parse_email(empty.stdout_bytes)["Subject"].startswith("HTTP Brief")


def test_undated_items_use_first_fetch_time(httpserver, invoke, tmp_path):
    httpserver.expect_request("/undated.xml").respond_with_data(
        rss("<item><title>No date here</title><link>https://example.org/nd</link>"
            "<description>Text.</description></item>"))
    config = http_config(tmp_path, [httpserver.url_for("/undated.xml")])
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z", "--format", "json")
    item = json.loads(result.stdout)["items"][0]
    assert item["dated"] is False
    assert item["published"] == "2025-01-02T20:00:00+00:00"


# ------------------------------------------------------------ errors


def test_json_errors_list_this_runs_failures_and_failing_what_the_footer_names(httpserver, invoke, tmp_path):
    httpserver.expect_request("/ok.xml").respond_with_data(
        rss(rss_item("Trains run again", "https://example.org/trains")), content_type="application/rss+xml")
    httpserver.expect_request("/down.xml").respond_with_data("maintenance", status=503)
    config = http_config(tmp_path, [httpserver.url_for("/ok.xml"), httpserver.url_for("/down.xml")])
    runs = [json.loads(invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z",
                              "--format", "json").stdout) for _ in range(3)]
    url = httpserver.url_for("/down.xml")
    down = {"feed": url.split("/")[2], "url": url, "error": "HTTP 503 Service Unavailable"}
    assert [run["errors"] for run in runs] == [[{**down, "runs": n}] for n in (1, 2, 3)]
    # The footer names a feed only once it has failed `failing_after` (3) runs in a row.
    assert [len(run["failing"]) for run in runs] == [0, 0, 1]
    assert runs[2]["failing"][0]["runs"] == 3 and runs[2]["failing"][0]["url"] == down["url"]
    offline = json.loads(invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z",
                                "--format", "json", "--offline").stdout)
    assert offline["errors"] == [] and len(offline["failing"]) == 1  # nothing was fetched in this run



def test_missing_config_names_the_file(invoke, tmp_path):
    result = invoke("build", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {tmp_path / 'nope.toml'}: no such config file (create one with `digest init`)"


def test_bad_now_is_a_usage_error(invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", "tomorrowish")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: --now: not an ISO-8601 date or time: 'tomorrowish'"


def test_broken_lead_template_is_a_config_error(invoke, example_config):
    text = example_config.read_text().replace("{{ item.summary }}\"", "{{ item.summary \"")
    example_config.write_text(text)
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert result.exit_code == 2
    # One line naming the file and the key.
    assert result.stderr.startswith(f"Error: {example_config}: lead.template:")
    assert result.stderr.count("\n") == 1


def test_config_and_state_from_the_environment(runner, example_config, tmp_path, monkeypatch):
    from digest.cli import cli

    monkeypatch.setenv("DIGEST_CONFIG", str(example_config))
    monkeypatch.setenv("DIGEST_STATE", str(tmp_path / "env.db"))
    result = runner.invoke(cli, ["build", "--now", EXAMPLE_NOW, "--format", "json"])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / "example.db").exists()


# ------------------------------------------------------------ as installed




@pytest.mark.skipif(INSTALLED is None, reason="digest is not installed")
def test_installed_command_prints_an_email_from_another_directory(tmp_path, example_config):
    env = {**os.environ, "DIGEST_STATE": str(tmp_path / "sub.db")}
    done = subprocess.run(
        [INSTALLED, "build", "--config", str(example_config), "--now", EXAMPLE_NOW],
        cwd=tmp_path, capture_output=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    parts = email_parts(parse_email(done.stdout))
    assert "Rail line to Kharkiv" in parts["text/html"]
    assert done.stderr == b""


# ------------------------------------------------------------ local pictures


def test_example_email_carries_its_pictures_inside_itself(invoke, example_config):
    message = parse_email(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW).stdout_bytes)
    related = next(p for p in message.iter_parts() if p.get_content_type() == "multipart/related")
    html_part, *pictures = related.iter_parts()
    sources = [img["src"] for img in collect(html_part.get_content()).images]
    by_cid = {p["Content-ID"].strip("<>"): p for p in pictures}
    assert len(sources) == 5 and all(src.startswith("cid:") for src in sources)  # 3 pictures, 2 avatars
    assert sorted(src[4:] for src in sources) == sorted(by_cid)
    for part in by_cid.values():
        assert part.get_content_type() == "image/png" and part["Content-Disposition"].startswith("inline")
        assert part.get_content() == (EXAMPLES / "feeds" / "images" / part.get_filename()).read_bytes()


def test_example_html_shows_the_picture_files_themselves(invoke, example_config):
    html = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html").stdout
    sources = [img["src"] for img in collect(html).images]
    assert len(sources) == 5
    for src in sources:
        assert src.startswith("file://") and file_path(src).is_file()
        assert file_path(src).parent == EXAMPLES / "feeds" / "images"


def test_a_local_feed_names_only_picture_files_inside_its_own_folder(invoke, tmp_path):
    folder = tmp_path / "feeds"
    (folder / "pics").mkdir(parents=True)
    (folder / "pics" / "ok.png").write_bytes((EXAMPLES / "feeds" / "images" / "night-bus.png").read_bytes())
    (tmp_path / "outside.png").write_bytes((EXAMPLES / "feeds" / "images" / "night-bus.png").read_bytes())
    (folder / "pics" / "notes.txt").write_text("not a picture")
    references = {"ok": "pics/ok.png", "outside": "../outside.png", "absolute": str(tmp_path / "outside.png"),
                  "file-url": (tmp_path / "outside.png").as_uri(), "text": "pics/notes.txt",
                  "site-path": "/pics/ok.png"}
    items = [rss_item(f"Picture {name}", f"https://example.org/{name}",
                      extra=f'<media:content url="{ref}" medium="image" width="800" height="533"/>')
             for name, ref in references.items()]
    (folder / "local.xml").write_text(rss(*items), encoding="utf-8")
    config = feeds_config(tmp_path, [str(folder / "local.xml")], extra="max_per_feed = 10")
    stories = json.loads(invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z",
                                "--format", "json").stdout)["items"]
    images = {story["title"].split()[1]: (story["image"] or {}).get("url") for story in stories}
    assert images["ok"] == (folder / "pics" / "ok.png").as_uri()
    # Anything else is no local file: outside the folder, not a picture, or a path on the feed's web site.
    assert images["site-path"] == "https://example.org/pics/ok.png"
    for name in ("outside", "absolute", "file-url", "text"):
        assert not (images[name] or "").startswith("file:"), name


def test_a_local_picture_gone_by_mail_time_is_left_out_not_a_broken_box(invoke, tmp_path):
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "gone.png").write_bytes((EXAMPLES / "feeds" / "images" / "night-bus.png").read_bytes())
    (folder / "local.xml").write_text(rss(rss_item(
        "Night buses return", "https://example.org/buses",
        extra='<media:content url="gone.png" medium="image" width="800" height="533"/>')), encoding="utf-8")
    config = feeds_config(tmp_path, [str(folder / "local.xml")])
    invoke("fetch", "--config", str(config), "--now", "2025-01-02T20:00:00Z")
    (folder / "gone.png").unlink()
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z", "--offline")
    message = parse_email(result.stdout_bytes)
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert collect(email_parts(message)["text/html"]).images == []


def test_feeds_parsed_in_worker_processes_build_what_one_process_builds(httpserver, invoke, tmp_path, monkeypatch):
    """From PARALLEL_FROM feeds up, bodies are parsed in worker processes
    while the rest is fetched; the digest is the one a single process
    makes, and a body that is no feed is still one line naming the feed."""
    from conftest import FEEDS

    import digest.sources.refresh

    files = sorted((FEEDS / "rss2").iterdir())[:6] + sorted((FEEDS / "atom").iterdir())[:4]
    urls = []
    for n, path in enumerate(files):
        httpserver.expect_request(f"/{n}.xml").respond_with_data(path.read_bytes(), content_type="application/xml")
        urls.append(httpserver.url_for(f"/{n}.xml"))
    httpserver.expect_request("/page.xml").respond_with_data("<html><body>Hello</body></html>",
                                                             content_type="text/html")
    urls.append(httpserver.url_for("/page.xml"))
    assert len(urls) >= digest.sources.refresh.PARALLEL_FROM

    taken = []
    real_take = digest.sources.refresh._Parsing.take
    monkeypatch.setattr(digest.sources.refresh._Parsing, "take", lambda self, result, known: taken.append(result.url)
                        or real_take(self, result, known))

    def build(folder: str) -> tuple[dict, str]:
        (tmp_path / folder).mkdir()
        config = http_config(tmp_path / folder, urls)
        result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z", "--format", "json",
                        "--since", "100000d", "--top", "500", "--allow-empty", state=tmp_path / folder / "state.db")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout), result.stderr

    parallel, said_parallel = build("parallel")
    assert len(taken) == len(urls)
    monkeypatch.setattr(digest.sources.refresh, "PARALLEL_FROM", 10**9)
    alone, said_alone = build("alone")
    assert len(parallel["items"]) > 40 and parallel["items"] == alone["items"]
    assert parallel["errors"] == alone["errors"]
    page = httpserver.url_for("/page.xml")
    assert f"({page}) failed: not a feed" in said_parallel
    assert said_parallel.count(page) == said_alone.count(page) == 1


CRASH = "Worker-killing text."
NOW_FOR_FEEDS = "2025-01-02T20:00:00Z"
DISTINCT_TITLES = ["Harbour ferries resume", "Orchard frost warning", "Museum reopens east wing",
                   "Cyclists get new bridge", "Library extends hours", "Tram fares frozen",
                   "Glacier survey published", "Bakery wins award", "Chess club hosts final",
                   "Stadium roof repaired", "Choir tours abroad", "Market moves indoors"]


def _dies_on_the_crash_feed(body: bytes, url: str, content_type: str, known=None, deadline=None):
    """Stands in for parse_in_worker in the workers: the process dies (as one
    killed for its memory does) on the feed that carries CRASH."""
    import digest.sources.refresh

    if CRASH.encode() in body:
        os._exit(3)
    return digest.sources.refresh._parse_or_fail(body, url, content_type, known, deadline)


def serve_numbered_feeds(httpserver, count: int, bodies: dict[int, str]) -> list[str]:
    """`count` one-item feeds over HTTP, each its own story; feed n's item
    text is bodies[n] where given."""
    urls = []
    for n in range(count):
        item = rss_item(DISTINCT_TITLES[n], f"https://site{n}.example/story", body=bodies.get(n, "Some text."))
        httpserver.expect_request(f"/{n}.xml").respond_with_data(rss(item), content_type="application/rss+xml")
        urls.append(httpserver.url_for(f"/{n}.xml"))
    return urls


def test_a_worker_that_dies_loses_no_feed(httpserver, invoke, tmp_path, monkeypatch):
    """A dead worker breaks the pool and every parse still in it: those bodies
    are parsed in the build's own process, and every feed's story is there."""
    import digest.sources.refresh

    urls = serve_numbered_feeds(httpserver, digest.sources.refresh.PARALLEL_FROM + 2,
                                {0: CRASH, 5: CRASH})
    monkeypatch.setattr(digest.sources.refresh, "parse_in_worker", _dies_on_the_crash_feed)
    config = http_config(tmp_path, urls)
    result = invoke("build", "--config", str(config), "--now", NOW_FOR_FEEDS, "--format", "json", "--top", "50")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)
    titles = sorted(item["title"] for item in built["items"])
    assert titles == sorted(DISTINCT_TITLES[:len(urls)])
    assert built["errors"] == []


def test_a_body_taken_after_a_worker_died_is_parsed_here():
    """The sibling, as CI met it: the pool is already broken when the next
    body comes (a worker died between two batches), so submitting raises
    BrokenProcessPool. That body goes back to be parsed in the build's own
    process (it was the build's one-line 'internal error')."""
    from concurrent.futures import wait

    from digest.sources.fetch import FetchResult
    from digest.sources.refresh import PARALLEL_FROM, _Parsing

    body = rss(rss_item("A story", "https://example.org/a")).encode()
    with _Parsing(PARALLEL_FROM) as parsing:
        if not parsing._wanted:
            pytest.skip("one core: bodies are parsed here anyway")
        assert parsing.take(FetchResult(url="https://example.org/1.xml", body=body), None)
        wait([parsing._pool.submit(os._exit, 3)])  # the pool is broken from here on
        assert not parsing.take(FetchResult(url="https://example.org/2.xml", body=body), None)
        assert not parsing.take(FetchResult(url="https://example.org/3.xml", body=body), None)
        finished = parsing.finished(wait=True)
    assert [result.url for result, _, _ in finished] == ["https://example.org/1.xml"]


def test_a_parser_bug_on_one_feed_fails_that_feed_only(httpserver, invoke, tmp_path, monkeypatch):
    """Whatever parse_feed raises on one feed's bytes (a bug of ours, a
    MemoryError) is that feed's one-line failure; the rest is built."""
    import digest.sources.parse

    real = digest.sources.parse.parse_feed

    def breaks_on_one(body: bytes, url: str, content_type: str = "", **options):
        if b"Parser-breaking" in body:
            raise RecursionError("maximum recursion depth exceeded")
        return real(body, url, content_type, **options)

    monkeypatch.setattr(digest.sources.parse, "parse_feed", breaks_on_one)
    urls = serve_numbered_feeds(httpserver, 3, {1: "Parser-breaking text."})
    config = http_config(tmp_path, urls)
    result = invoke("build", "--config", str(config), "--now", NOW_FOR_FEEDS, "--format", "json", "--top", "50")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)
    assert sorted(item["title"] for item in built["items"]) == sorted([DISTINCT_TITLES[0], DISTINCT_TITLES[2]])
    assert [(error["url"], error["error"]) for error in built["errors"]] == [
        (urls[1], "could not be parsed (RecursionError in digest's parser: please report it with this feed)")]
    assert result.stderr.count("\n") == 1 and urls[1] in result.stderr and "Traceback" not in result.stderr
