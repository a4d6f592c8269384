"""Each story card says its own language where digest can tell it (issue
20): screen readers read Ukrainian with Ukrainian rules, Chinese gets
Chinese glyph forms. A local feed, the CLI, the HTML read back."""

from __future__ import annotations

import json
import re

import pytest

from conftest import feeds_config, rss, rss_item
from digest.stories.language import language_tag, script_language

STORIES = {
    "Залізниця до Харкова знову працює": ("Перший потяг вирушив зранку з Києва, квитки розкупили за годину.", "uk"),
    "中国发布新的经济数据": ("国家统计局周一公布的数据显示，工业产出增长放缓。", "zh"),
    "日本の首相が新しい政策を発表した": ("首相は記者会見で、物価対策の新しい政策を説明した。", "ja"),
    "Rail line to Kharkiv reopens": ("The first train left Kyiv in the morning; tickets sold out in an hour.", ""),
    "Le gouvernement annonce un plan": ("Le plan prévoit des aides pour les ménages les plus modestes.", ""),
}


def test_cards_carry_the_language_their_script_names(tmp_path, invoke):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(*(rss_item(title, f"https://news.example.org/{n}", body=body,
                                   date=f"Thu, 02 Jan 2025 1{n}:00:00 +0000")
                          for n, (title, (body, _)) in enumerate(STORIES.items()))), encoding="utf-8")
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    html = invoke("--config", str(config), "build", "--format", "html", "--no-mark-sent", "--now", "2025-01-02T20:00:00Z")
    assert html.exit_code == 0, html.stderr
    for title, (_, tag) in STORIES.items():
        card = html.stdout[:html.stdout.index(f"{title}</a>")]  # the headline's link, not the preheader
        opening = card[card.rindex("<table "):]
        found = re.search(r' lang="([^"]+)"', opening[:opening.index(">")])
        assert (found.group(1) if found else "") == tag, title
    assert '<html lang="en"' in html.stdout or 'lang="en"' in html.stdout[:400]
    data = json.loads(invoke("--config", str(config), "build", "--format", "json", "--no-mark-sent",
                             "--now", "2025-01-02T20:00:00Z").stdout)
    assert {item["title"]: item["language"] for item in data["items"]} == {t: tag or None for t, (_, tag) in STORIES.items()}


@pytest.mark.parametrize(("text", "tag"), [
    ("Путін заявив про нові переговори", "uk"), ("Путин заявил о новых переговорах, сообщил Кремль", "ru"),
    ("Путин заявил", ""),  # no letter tells Russian from Bulgarian or Ukrainian here
    ("Η κυβέρνηση ανακοίνωσε νέα μέτρα", "el"), ("한국 정부가 새 정책을 발표했다", "ko"),
    ("وزیر خارجه ایران گفت که پیشنهاد", "fa"), ("قال وزير الخارجية", "ar"), ("12 345 — !", ""),
    ("پاکستان کے لیے امریکی امداد کی بہار و خزاں", "ur"),  # BBC Urdu's headline: was "fa"
    ("وزیراعظم نے کہا کہ حکومت بجٹ پیش کرے گی", "ur"),
])
def test_script_language(text, tag):
    assert script_language(text) == tag


def test_language_tags_from_pages_are_bcp47_or_nothing():
    assert [language_tag(t) for t in ("en_US", "fr", "zh-Hans", "unknown", "", 'en" onload="x')] == \
           ["en-US", "fr", "zh-Hans", "", "", ""]


# ---------------------------------------------------------------- the feed's own word (issue 20)

NOW = "2025-01-02T20:00:00Z"


def _channel_rss(*items: str, language: str = "", title: str = "Test Feed") -> str:
    """An RSS document whose channel declares `language`."""
    declared = f"<language>{language}</language>" if language else ""
    return rss(*items, title=title).replace("<link>https://example.org/</link>",
                                            f"<link>https://example.org/</link>{declared}", 1)


def _card_tag(html: str, title: str) -> str:
    """The opening tag of the card whose headline is `title`."""
    card = html[:html.index(f"{title}</a>")]  # the headline's link, not the preheader
    opening = card[card.rindex("<table "):]
    return opening[:opening.index(">")]


def _attribute(tag: str, name: str) -> str:
    found = re.search(fr' {name}="([^"]+)"', tag)
    return found.group(1) if found else ""


def _build(invoke, config, *args: str):
    html = invoke("--config", str(config), "build", "--format", "html", "--no-mark-sent", "--now", NOW, *args)
    assert html.exit_code == 0, html.stderr
    data = invoke("--config", str(config), "build", "--format", "json", "--no-mark-sent", "--now", NOW, *args)
    assert data.exit_code == 0, data.stderr
    return html.stdout, {item["title"]: item["language"] for item in json.loads(data.stdout)["items"]}


FRENCH = {"Le gouvernement annonce un plan": "Le plan prévoit des aides pour les ménages les plus modestes.",
          "Le pont rouvre après deux ans": "Les travaux ont duré plus longtemps que prévu."}


def _french_rss() -> str:
    return _channel_rss(*(rss_item(title, f"https://news.example.org/{n}", body=body,
                                   date=f"Thu, 02 Jan 2025 1{n}:00:00 +0000")
                          for n, (title, body) in enumerate(FRENCH.items())), language="fr")


def _french_atom() -> str:
    entries = "".join(
        f'<entry><title>{title}</title><id>urn:fr:{n}</id><link href="https://news.example.org/{n}"/>'
        f"<updated>2025-01-02T1{n}:00:00Z</updated><summary>{body}</summary></entry>"
        for n, (title, body) in enumerate(FRENCH.items()))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">'
            '<title>Test Feed</title><id>urn:fr</id><link href="https://example.org/"/>'
            f"<updated>2025-01-02T12:00:00Z</updated>{entries}</feed>")


@pytest.mark.parametrize("document", [_french_rss, _french_atom], ids=["rss-language", "atom-xml-lang"])
def test_a_french_feeds_cards_are_french_also_offline_from_the_store(tmp_path, invoke, document):
    """Latin text gives no script guess: the feed's <language> (Atom: its
    xml:lang) is the cards' lang, in the HTML and the JSON, and an
    --offline build, which reads only the store, still knows it."""
    feed = tmp_path / "feed.xml"
    feed.write_text(document(), encoding="utf-8")
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    for args in ((), ("--offline",)):
        html, languages = _build(invoke, config, *args)
        assert languages == {title: "fr" for title in FRENCH}, args
        for title in FRENCH:
            assert _attribute(_card_tag(html, title), "lang") == "fr", (args, title)
            assert _attribute(_card_tag(html, title), "dir") == "", (args, title)
        feed.unlink(missing_ok=True)  # the offline build has the store alone


def test_a_script_that_contradicts_the_declared_language_wins(tmp_path, invoke):
    """A feed declaring "en" whose item is all Ukrainian: the item is not
    English. Its English items are."""
    items = {"Залізниця до Харкова знову працює": ("Перший потяг вирушив зранку з Києва.", "uk"),
             "Rail line to Kharkiv reopens": ("The first train left Kyiv in the morning.", "en")}
    feed = tmp_path / "feed.xml"
    feed.write_text(_channel_rss(*(rss_item(title, f"https://news.example.org/{n}", body=body,
                                            date=f"Thu, 02 Jan 2025 1{n}:00:00 +0000")
                                   for n, (title, (body, _)) in enumerate(items.items())), language="en"),
                    encoding="utf-8")
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    html, languages = _build(invoke, config)
    assert languages == {title: tag for title, (_, tag) in items.items()}
    for title, (_, tag) in items.items():
        assert _attribute(_card_tag(html, title), "lang") == tag, title


@pytest.mark.parametrize("language", ["", "he"])
def test_a_hebrew_card_reads_right_to_left(tmp_path, invoke, language):
    """From its script or from its feed's word, a Hebrew story's card is
    dir="rtl"; its English neighbour's is not."""
    items = {"הממשלה אישרה את התקציב": ("הכנסת תצביע על התקציב בשבוע הבא.", "he", "rtl"),
             "The budget passes": ("Parliament votes next week.", "", "")}  # English in a Hebrew feed: no guess
    feed = tmp_path / "feed.xml"
    feed.write_text(_channel_rss(*(rss_item(title, f"https://news.example.org/{n}", body=body,
                                            date=f"Thu, 02 Jan 2025 1{n}:00:00 +0000")
                                   for n, (title, (body, _, _)) in enumerate(items.items())), language=language),
                    encoding="utf-8")
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    html, languages = _build(invoke, config)
    for title, (_, tag, direction) in items.items():
        card = _card_tag(html, title)
        assert (_attribute(card, "lang"), _attribute(card, "dir")) == (tag, direction), title
        assert languages[title] == (tag or None), title


@pytest.mark.parametrize(("page", "declared", "text", "tag"), [
    ("de", "fr", "Le pont rouvre", "de"),  # the article's page says best
    ("", "fr", "Le pont rouvre", "fr"),
    ("", "fr_CA", "Le pont rouvre", "fr-CA"),
    ("", "français", "Le pont rouvre", ""),  # not a tag: nothing rather than a guess
    ("", "", "Le pont rouvre", ""),
    ("", "en", "Залізниця до Харкова знову працює", "uk"),
    ("", "en-US", "وزیر خارجه ایران گفت که پیشنهاد", "fa"),
    ("", "fr", "הממשלה אישרה את התקציב", "he"),
    ("", "ru", "Залізниця до Харкова знову працює", "ru"),  # one script: the feed's word stands
    ("", "kk", "Қазақстан үкіметі жаңа бағдарлама қабылдады, ол іске асады", "kk"),  # a Kazakh і is no Ukrainian
    ("", "ja", "首相官邸", "ja"),  # kanji alone is Japanese too
    ("", "zh-Hant", "日本の首相が新しい政策を発表した", "ja"),
    ("", "sr-Latn", "Београд данас, ђаци и љубав", "sr"),  # the script subtag decides
    ("", "sr-Cyrl", "Београд данас, ђаци и љубав", "sr-Cyrl"),
    ("", "he", "The budget passes", ""),  # Latin letters are no Hebrew, and no guess is made
    ("", "zh-Hant", "Apple unveils a new iPhone", ""),
    ("", "sr", "Beograd danas", "sr"),  # Serbian is written in both
    ("", "sr-Latn", "Beograd danas", "sr-Latn"),
])
def test_story_language(page, declared, text, tag):
    from digest.stories.language import story_language

    assert story_language(page, declared, text) == tag


@pytest.mark.parametrize(("tag", "direction"), [
    ("ar", "rtl"), ("fa-IR", "rtl"), ("he", "rtl"), ("yi", "rtl"), ("ur", "rtl"), ("ps", "rtl"), ("ug", "rtl"),
    ("dv", "rtl"), ("sd", "rtl"), ("sd-Deva", ""), ("ku-Arab", "rtl"), ("ku", ""), ("en", ""), ("", ""),
    ("arn", ""),  # Mapudungun is not Arabic
])
def test_text_direction(tag, direction):
    from digest.models import text_direction

    assert text_direction(tag) == direction
