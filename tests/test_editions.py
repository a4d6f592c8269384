"""Several digests from one config ([digests.NAME], --digest), each with its
own sent log and history; a state file of before migrating to them.

Feeds are files in tmp_path; the digests are delivered into an mbox (a
real file, read back with the stdlib mailbox and email packages) so that
they are marked sent as a cron build's are."""

from __future__ import annotations

import mailbox

import pytest

from conftest import parse_email, rss, rss_item, write_config

NOW = "2025-01-02T20:00:00Z"
NEXT_DAY = "2025-01-03T20:00:00Z"


def _feeds(tmp_path):
    news = tmp_path / "news.xml"
    news.write_text(rss(
        rss_item("Ceasefire talks resume in Geneva", "https://news.example.org/ceasefire",
                 body="Negotiators met again on Thursday."),
        rss_item("Rail line to Kharkiv reopens", "https://news.example.org/rail",
                 date="Thu, 02 Jan 2025 10:00:00 +0000", body="Crews finished the repairs overnight."),
        title="Wire"), encoding="utf-8")
    essays = tmp_path / "essays.xml"
    essays.write_text(rss(
        rss_item("The long history of the Kursk salient", "https://essays.example.org/kursk",
                 date="Thu, 02 Jan 2025 08:00:00 +0000", body="An essay on a battlefield and its memory."),
        title="Essays"), encoding="utf-8")
    return news, essays


def _config(tmp_path, extra: str = "") -> object:
    news, essays = _feeds(tmp_path)
    return write_config(tmp_path, f"""
        title = "Daily Brief"
        timezone = "UTC"
        state = "state.db"

        [email]
        from = "Brief <brief@example.org>"
        to = ["me@example.org"]
        mbox = "daily.mbox"

        [digests.weekly]
        title = "The Week"
        tags = ["longreads"]
        since = "7d"
        top = 5

        [digests.weekly.email]
        to = ["weekly@example.org"]
        mbox = "weekly.mbox"

        [digests.alerts]
        title = "Alerts"
        match = ["ceasefire"]

        [digests.alerts.email]
        mbox = "alerts.mbox"
        {extra}

        [[feeds]]
        url = "{news}"
        name = "Wire"
        tags = ["news"]

        [[feeds]]
        url = "{essays}"
        name = "Essays"
        tags = ["longreads"]
    """)


def _mails(path) -> list:
    if not path.exists():
        return []
    return [parse_email(message.as_bytes()) for message in mailbox.mbox(str(path))]


def _titles(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_daily_of_all_feeds_and_a_weekly_of_one_tag(tmp_path, runner):
    from digest.cli import cli

    config = _config(tmp_path)

    def run(*args):
        return runner.invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    daily = run("build", "--now", NOW)
    assert daily.exit_code == 0, daily.stderr
    [mail] = _mails(tmp_path / "daily.mbox")
    text = _titles(mail)
    for title in ("Ceasefire talks resume in Geneva", "Rail line to Kharkiv reopens",
                  "The long history of the Kursk salient"):
        assert title in text
    assert mail["To"] == "me@example.org"

    # The weekly is of the longreads feed only, and shows the essay the daily already sent.
    weekly = run("build", "--digest", "weekly", "--now", NOW)
    assert weekly.exit_code == 0, weekly.stderr
    [mail] = _mails(tmp_path / "weekly.mbox")
    assert mail["To"] == "weekly@example.org"
    assert mail["Subject"].startswith("The Week")
    text = _titles(mail)
    assert "The long history of the Kursk salient" in text
    assert "Ceasefire" not in text and "Rail line" not in text

    # Once sent, nothing new for either of them.
    for args in (("--digest", "weekly"), ()):
        again = run("build", *args, "--now", NOW)
        assert again.exit_code == 0 and again.stdout == ""
        assert "Nothing new" in again.stderr
    assert len(_mails(tmp_path / "weekly.mbox")) == 1 and len(_mails(tmp_path / "daily.mbox")) == 1

    # The keyword digest takes the one story with its word, though the daily sent it.
    alerts = run("build", "--digest", "alerts", "--now", NOW)
    assert alerts.exit_code == 0, alerts.stderr
    [mail] = _mails(tmp_path / "alerts.mbox")
    assert "Ceasefire talks resume in Geneva" in _titles(mail)
    assert "Rail line" not in _titles(mail) and "Kursk" not in _titles(mail)

    # Each digest has its own history, and replays only its own builds.
    history = run("history", "--json", "--digest", "weekly")
    import json

    [row] = json.loads(history.stdout)
    assert row["subject"].startswith("The Week")
    top = json.loads(run("history", "--json").stdout)
    assert [r["subject"].split(":")[0] for r in top] == ["Daily Brief"]
    replay = run("build", "--replay", str(row["build"]), "--digest", "weekly", "--format", "text")
    assert replay.exit_code == 0 and "The long history of the Kursk salient" in replay.stdout
    wrong = run("build", "--replay", str(row["build"]), "--format", "text")
    assert wrong.exit_code == 2
    assert wrong.stderr.strip().splitlines() == [
        f"Error: --replay: no build {row['build']} in {tmp_path / 'state.db'} (see `digest history`)"]


def test_explain_and_preview_take_the_digest(tmp_path, runner):
    from digest.cli import cli

    config = _config(tmp_path)
    result = runner.invoke(cli, ["--config", str(config), "explain", "--json", "--digest", "weekly", "--now", NOW],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    import json

    assert [s["title"] for s in json.loads(result.stdout)["stories"]] == ["The long history of the Kursk salient"]
    preview = runner.invoke(cli, ["--config", str(config), "preview", "--no-open", "-o", str(tmp_path / "p.html"),
                                  "--digest", "alerts", "--now", NOW], catch_exceptions=False)
    assert preview.exit_code == 0, preview.stderr
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "Ceasefire talks resume in Geneva" in html and "Kharkiv" not in html


@pytest.mark.parametrize("command", [("build",), ("explain",), ("preview", "--no-open"), ("history",),
                                     ("publish",)])
def test_an_unknown_digest_is_one_line_exit_2(tmp_path, runner, command):
    from digest.cli import cli

    config = _config(tmp_path)
    result = runner.invoke(cli, ["--config", str(config), *command, "--digest", "monthly"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: {config}: no digest 'monthly' (no [digests.monthly] table; its digests: alerts, weekly)"]


@pytest.mark.parametrize("extra, said", [
    ('[digests.weekly.rank]\nhalf_lfe = "3d"', "digests.weekly.rank.half_lfe: unknown key (did you mean 'half_life'?)"),
    ("[digests.monthly]\ncolour = \"red\"", "digests.monthly.colour: unknown key"),
    ('[digests.monthly]\ntop = 0', "digests.monthly.top: must be at least 1, not 0"),
    ('[digests.monthly]\ntags = ["poetry"]', "digests.monthly.tags: no feed has one of the tags 'poetry'"),
    ('[digests."my digest"]\ntop = 3', "digests.my digest: a digest's name is letters, digits, - and _"),
])
def test_a_bad_digest_table_is_named(tmp_path, runner, extra, said):
    from digest.cli import cli

    config = _config(tmp_path, extra)
    result = runner.invoke(cli, ["--config", str(config), "build", "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {config}: {said}")


def test_the_library_builds_and_sends_a_named_digest(tmp_path):
    import digest
    from digest.errors import UsageError

    config = _config(tmp_path)
    with digest.open(config) as d:
        weekly = d.build(now=NOW, digest="weekly")
        assert weekly.name == "weekly"
        assert [s.title for s in weekly.stories] == ["The long history of the Kursk salient"]
        with pytest.raises(UsageError, match="this edition is of digest 'weekly', not 'alerts'"):
            d.send(weekly, digest="alerts")
        d.send(weekly, digest="weekly")
        assert [m["To"] for m in _mails(tmp_path / "weekly.mbox")] == ["weekly@example.org"]
        assert d.build(now=NOW, digest="weekly").stories == []
        # The top-level digest has sent nothing: the essay is still news to it.
        assert "The long history of the Kursk salient" in [s.title for s in d.build(now=NOW).stories]
        assert [b.subject[:8] for b in d.history(digest="weekly")] == ["The Week"]
        assert d.history() == []
        with pytest.raises(UsageError, match="no digest 'nope'"):
            d.build(now=NOW, digest="nope")


def test_a_state_file_of_before_keeps_its_history_for_the_top_level_digest(tmp_path):
    """A state file at schema 9 (before several digests): its builds and
    sent marks are the top-level digest's; the weekly starts afresh."""
    from conftest import state_at_schema

    from digest.store import Store

    path = tmp_path / "old.db"
    db = state_at_schema(path, 9)
    db.execute("INSERT INTO builds (id, at, since, item_count, subject, state) "
               "VALUES (1, 1735848000, 1735761600, 1, 'Daily Brief: old', 'sent')")
    db.execute("INSERT INTO items (feed_url, key, title, link, first_seen, published, sent_build, sent_title) "
               "VALUES ('file:///feed.xml', 'k', 'An old story', 'https://x.example/old', 1735840000, 1735840000, 1,"
               " 'An old story')")
    db.commit()
    db.close()
    from datetime import datetime, timezone

    since, now = datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 3, tzinfo=timezone.utc)
    with Store.open(path) as store:
        assert [b.subject for b in store.builds()] == ["Daily Brief: old"]
        assert store.unsent_items(["file:///feed.xml"], since, now) == []
        weekly = store.for_digest("weekly")
        assert weekly.builds() == [] and weekly.last_build_time() is None
        assert [i.title for i in weekly.unsent_items(["file:///feed.xml"], since, now)] == ["An old story"]
        weekly.mark_sent(weekly.unsent_items(["file:///feed.xml"], since, now), now, since, "The Week")
        assert weekly.unsent_items(["file:///feed.xml"], since, now) == []
        assert [b.subject for b in store.builds()] == ["Daily Brief: old"]
        assert [b.subject for b in weekly.builds()] == ["The Week"]


def test_a_new_title_sends_a_story_again_as_updated_to_the_digest_that_sent_it_only(tmp_path):
    from datetime import datetime, timezone

    from digest.models import CacheHeaders, Item
    from digest.store import Store

    since, now = datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 3, tzinfo=timezone.utc)
    url = "file:///feed.xml"

    def item(title: str) -> Item:
        return Item(feed_url=url, key="k", title=title, link="https://x.example/a",
                    published=datetime(2025, 1, 2, tzinfo=timezone.utc))

    with Store.open(tmp_path / "s.db") as store:
        store.record_success(url, "Feed", CacheHeaders(), [item("Talks begin")], since)
        weekly, alerts = store.for_digest("weekly"), store.for_digest("alerts")
        weekly.mark_sent(weekly.unsent_items([url], since, now), now, since, "The Week")
        assert weekly.unsent_items([url], since, now) == []
        store.record_success(url, "Feed", CacheHeaders(), [item("Talks collapse")], now)
        [again] = weekly.unsent_items([url], since, now)
        assert (again.title, again.updated) == ("Talks collapse", True)
        # Never sent by the alerts digest nor the top-level one: new to them, not an update.
        assert [(i.title, i.updated) for i in alerts.unsent_items([url], since, now)] == [("Talks collapse", False)]
        assert [(i.title, i.updated) for i in store.unsent_items([url], since, now)] == [("Talks collapse", False)]


def test_a_named_digests_window_and_empty_build_quote_its_own_since(tmp_path):
    """The weekly looks back 7 days; its messages said the top-level 24 hours."""
    from datetime import datetime, timedelta, timezone

    import digest

    config = _config(tmp_path)
    later = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    with digest.open(config) as d:
        text = d.window_text(later - timedelta(days=7), later, digest="weekly")
        assert "`since`, 7 days" in text and "24 hours" not in text
        empty = d.build(now=later, digest="weekly")
        assert not empty.stories
        said = d.why_empty(empty)
        assert "Nothing new in the last 7 days" in said and "24 hours" not in said


def test_keywords_match_whatever_unicode_form_the_feed_wrote(tmp_path):
    """A feed's decomposed "Cafe\u0301" is the "CAFÉ" of the config (NFC),
    and no longer the unaccented "cafe" (the combining accent had ended the
    word there)."""
    import unicodedata

    import digest

    feed = tmp_path / "cafe.xml"
    feed.write_text(rss(rss_item(unicodedata.normalize("NFD", "Café culture returns"), "https://news.example.org/c",
                                 body="Tables are out again.")), encoding="utf-8")
    config = write_config(tmp_path, f"""
        title = "Daily"
        timezone = "UTC"
        state = "state.db"
        [digests.accented]
        match = ["CAFÉ"]
        [digests.bare]
        match = ["cafe"]
        [[feeds]]
        url = "{feed}"
    """)
    with digest.open(config) as d:
        assert len(d.build(now=datetime_now(), digest="accented").stories) == 1
        assert d.build(now=datetime_now(), digest="bare").stories == []


def datetime_now():
    from datetime import datetime, timezone

    return datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)
