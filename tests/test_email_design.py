"""The email's details a demanding reader checks: a visible unsubscribe
link, a meta line that states only what is true, sections kept in every
tier (also in the headline list past Gmail's clip), titleless posts as
notes, a subject naming the lead story."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

from conftest import EXAMPLE_NOW, email_parts, parse_email
from digest.models import Digest, Item, Story
from digest.output.present import not_shown_line
from digest.output.render import Renderer
from test_render import Page
from digest.output.mail import mailed_size

NOW = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)


def story(n: int, *, title: str | None = None, lead: str = "", published: datetime | None = NOW,
          minutes: int | None = 2, tags=("news",)) -> Story:
    item = Item("https://feed.example.org/", str(n), f"Headline number {n}" if title is None else title,
                f"https://news.example.org/{n}", published=published, first_seen=NOW - timedelta(hours=1))
    return Story(item=item, feed="Wire", lead=lead or f"Lead of story {n}. A second sentence.",
                 reading_minutes=minutes, tags=list(tags))


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_unsubscribe_link_is_visible_in_both_parts_when_the_config_gives_one(invoke, example_config):
    plain = email_parts(parse_email(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                                           "--no-mark-sent").stdout_bytes))
    assert "Unsubscribe" not in plain["text/html"] and "Unsubscribe" not in plain["text/plain"]
    example_config.write_text(example_config.read_text().replace(
        'to = ["me@example.org"]',
        'to = ["me@example.org"]\nunsubscribe = ["mailto:leave@example.org", "https://example.org/leave?u=1"]'))
    parts = email_parts(parse_email(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW).stdout_bytes))
    assert '<a class="link" href="https://example.org/leave?u=1"' in parts["text/html"]  # the https page first
    assert "Unsubscribe: https://example.org/leave?u=1" in parts["text/plain"]
    assert "You get this email because Morning Brief is set up" in text_of(parts["text/html"])


def test_the_meta_line_states_no_time_for_an_undated_item_and_no_reading_time_it_does_not_have():
    digest = Digest("Brief", NOW, NOW - timedelta(days=1), [
        story(0, published=None, minutes=None), story(1, published=datetime(2024, 9, 25, 10, 29, tzinfo=timezone.utc))])
    renderer = Renderer(zone=timezone.utc)
    html = text_of(renderer.html(digest))
    assert "Headline number 0 Wire Lead of story 0." in html  # no time, no "min read"
    assert "Wire · 25 Sep 2024 10:29 · 2 min read" in html  # last year's date says its year
    text = renderer.text(digest)
    assert "    Wire\n" in text and "    Wire · 25 Sep 2024 10:29 · 2 min read\n" in text


def test_sections_keep_their_headings_in_every_tier_and_in_the_list_past_the_clip():
    stories = [story(n, tags=("news",) if n % 2 else ("tech",), lead="word " * 60 + ".") for n in range(24)]
    digest = Digest("Brief", NOW, NOW - timedelta(days=1), stories, group_by="tag")
    renderer = Renderer(zone=timezone.utc)
    whole = renderer.fit(digest)
    assert whole.compact == 0
    html = whole.html
    assert html.count(">tech</h3>") == 1 and html.count(">news</h3>") == 1
    # The lead, the cards and the rows of each section under its heading.
    tech, news = html.index(">tech</h3>"), html.index(">news</h3>")
    assert tech < html.index(">Headline number 0<") < html.index(">Headline number 22<") < news
    assert news < html.index(">Headline number 1<") < html.index(">Headline number 23<")
    assert "In this issue" in html and "tech (12)" in html and "news (12)" in html
    # Past the size guard, the headline list keeps the sections too.
    small = renderer.fit(digest, budget=mailed_size(html) - 6_000)
    assert 0 < small.compact < 24
    listed = small.html[small.html.index("more stories</h3>"):]
    headings = re.findall(r"letter-spacing:0.08em;text-transform:uppercase;color:#57606a\">(\w+)</p>", listed)
    assert headings == sorted(set(headings), key=headings.index) and set(headings) <= {"tech", "news"}
    assert len(headings) >= 1


def test_a_post_without_a_title_is_a_note_its_text_once():
    note = story(0, title="Just shipped the new release of our", lead="Just shipped the new release of our "
                 "little feed reader; thanks to everyone who tested it.")
    digest = Digest("Brief", NOW, NOW - timedelta(days=1), [note, story(1)])
    html = Renderer(zone=timezone.utc).html(digest)
    assert "<h2" in html and html.count("<h2") == 1  # only the other story has a headline
    assert text_of(html[html.index("<h1"):]).count("Just shipped the new release") == 1  # the preheader aside
    text = Renderer(zone=timezone.utc).text(digest)
    assert text.count("Just shipped the new release") == 1 and " 1. Just shipped the new release" in text


def test_a_one_sentence_post_without_a_title_is_said_once_in_both_parts():
    # The feed's made-up title is the post's whole text (Scripting News): no headline over the same sentence.
    sentence = "This is the human side of Health care is socialist."
    digest = Digest("Brief", NOW, NOW - timedelta(days=1), [story(0, title=sentence, lead=sentence), story(1)])
    renderer = Renderer(zone=timezone.utc)
    html = renderer.html(digest)
    assert html.count("<h2") == 1 and text_of(html[html.index("<h1"):]).count(sentence) == 1
    assert renderer.text(digest).count(sentence) == 1


def test_how_many_cards_is_the_configs_default_and_a_replay_keeps_it(invoke, example_config):
    example_config.write_text(example_config.read_text().replace('to = ["me@example.org"]',
                                                                 'to = ["me@example.org"]\ncards = 1'))
    sent = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW)
    assert sent.exit_code == 0, sent.stderr
    html = email_parts(parse_email(sent.stdout_bytes))["text/html"]
    assert re.findall(r'<h2 style="margin:0;font-size:(\d+)px', html) == ["26", "20", "17", "17", "17", "17"]
    replay = invoke("build", "--config", str(example_config), "--replay", "1")
    assert email_parts(parse_email(replay.stdout_bytes))["text/html"] == html


def test_stories_top_leaves_out_are_counted_by_source_in_both_parts_and_a_replay_keeps_it(invoke, example_config):
    full = json.loads(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "json").stdout)
    assert full["not_shown"] == {}
    kept = full["items"][:2]
    left = Counter(item["feed"] for item in full["items"][2:])
    sent = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--top", "2")
    assert sent.exit_code == 0, sent.stderr
    parts = email_parts(parse_email(sent.stdout_bytes))
    counted = ", ".join(f"{n} from {feed}" for feed, n in sorted(left.items(), key=lambda p: (-p[1], p[0])))
    line = f"+{sum(left.values())} more stories not shown: {counted}."
    assert line in text_of(parts["text/html"])
    assert line in " ".join(parts["text/plain"].split())
    assert [h for h in Page(parts["text/html"]).headlines] == [item["title"] for item in kept]
    replay = invoke("build", "--config", str(example_config), "--replay", "1")
    assert email_parts(parse_email(replay.stdout_bytes))["text/html"] == parts["text/html"]
    # Nothing left out: no such line.
    whole = email_parts(parse_email(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                                           "--since", "1970-01-02", "--no-mark-sent").stdout_bytes))
    assert "not shown" not in whole["text/html"] and "not shown" not in whole["text/plain"]


def test_the_not_shown_line_names_the_biggest_sources_and_counts_the_rest():
    digest = Digest("Brief", NOW, NOW - timedelta(days=1), [story(0)],
                    not_shown={"Guardian": 5, "NPR": 4, "BBC": 3, "NYT": 2, "Verge": 1, "Ars": 1})
    assert not_shown_line(digest) == ("+16 more stories not shown: 5 from Guardian, 4 from NPR, 3 from BBC, "
                                      "2 from NYT, 2 from 2 other sources.")
    assert not_shown_line(Digest("Brief", NOW, NOW, [], not_shown={"NPR": 1})) == "+1 more story not shown: 1 from NPR."
    long_title = "LE FIGARO - Le Figaro - Culture : Cinéma, théâtre, arts, expositions, musique et télévision"
    assert len(not_shown_line(Digest("Brief", NOW, NOW, [], not_shown={long_title: 2}))) < 80
    # Past the size guard too: the headline list, then the line.
    many = Digest("Brief", NOW, NOW - timedelta(days=1), [story(n, lead="word " * 60 + ".") for n in range(24)],
                  not_shown={"Wire": 7})
    renderer = Renderer(zone=timezone.utc)
    small = renderer.fit(many, budget=mailed_size(renderer.fit(many).html) - 6_000)
    assert 0 < small.compact
    assert small.html.index("more stories</h3>") < small.html.index("+7 more stories not shown: 7 from Wire.")


def test_the_masthead_gives_the_issues_reading_time_only_when_most_stories_have_one():
    from digest.output.present import day_summary

    def day(minutes):
        return Digest("Brief", NOW, NOW - timedelta(days=1), [story(n, minutes=m) for n, m in enumerate(minutes)])

    assert day_summary(day([2, None, None, None, None, None])) == "6 stories · 1 source"  # was "~2 min"
    assert day_summary(day([2, 3, 4, None, None, None])) == "6 stories · ~9 min · 1 source"
    assert day_summary(day([None])) == "1 story · 1 source"


def test_the_authors_avatar_says_nothing_its_name_beside_it_does_not(invoke, example_config):
    html = email_parts(parse_email(invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW,
                                          "--no-mark-sent").stdout_bytes))["text/html"]
    avatars = re.findall(r'<img[^>]*border-radius:22px[^>]*>', html)
    assert avatars and all('alt=""' in img for img in avatars)  # was alt="Martin Fornusek" beside "Martin Fornusek"


def test_the_default_subject_keeps_its_count_where_a_phone_shows_it():
    long = story(0, title="The council voted on Tuesday night to approve the long-delayed plan for the new bridge "
                          "across the river, after a debate that ran past midnight")
    digest = Digest("Morning Brief", NOW, NOW - timedelta(days=1), [long, story(1), story(2)])
    subject = Renderer(zone=timezone.utc).subject(digest, "")
    assert subject.endswith("… + 2 more") and len(subject) <= 15 + 61 + 10, subject  # was 103 characters
