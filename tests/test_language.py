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
