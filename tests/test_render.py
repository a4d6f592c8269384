"""The email's design and its templates: overrides along the chain, errors
that name the file and line, the Gmail size guard, the text part, and the
`templates` and `preview` commands."""

from __future__ import annotations

import html
import json
import os
import re
import stat
import sys
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE_NOW, FEEDS, email_parts, news_config, news_feed, parse_email, rss, rss_item

from digest.models import AuthorBlurb, Digest, Image, Item, Story
from digest.output.render import HTML_BUDGET, ImageBox, Renderer, fit_image
from digest.output.templates import builtin_template_dir
from digest.output.wrap import wrap

REPLACE = DATA / "templates-replace"
EXTEND = DATA / "templates-extend"
GMAIL_CLIP = 102_000  # bytes; Gmail's clip is "102 KB", whichever K it means


class Page(HTMLParser):
    """What a reader gets from the HTML: headlines (h2 links), compact-list
    links, images, the <html> attributes, <meta> tags."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html_attrs: dict = {}
        self.images: list[dict] = []
        self.metas: list[dict] = []
        self.headlines: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._in_h2 = False
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_attrs = attrs
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "meta":
            self.metas.append(attrs)
        elif tag == "h2":
            self._in_h2 = True
        elif tag == "a":
            self._href, self._text = attrs.get("href"), []

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False
        elif tag == "a" and self._href is not None:
            text = " ".join("".join(self._text).split())
            self.links.append((self._href, text))
            if self._in_h2:
                self.headlines.append(text)
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)


@pytest.fixture
def news(tmp_path):
    """Build a digest of `count` items from a feed file, in any format."""

    def build(count: int, *args: str, config_extra: str = "", state: str = "state.db"):
        from click.testing import CliRunner

        from digest.cli import cli

        feed = tmp_path / f"wire-{count}.xml"
        feed.write_text(news_feed(count), encoding="utf-8")
        config = news_config(tmp_path, feed, count, config_extra)
        return CliRunner().invoke(
            cli,
            ["--state", str(tmp_path / state), "build", "--config", str(config), "--now", EXAMPLE_NOW,
             "--no-mark-sent", *args],
            catch_exceptions=False,
        )

    return build


# ---------------------------------------------------------------- the design


def test_html_has_lang_alt_text_sized_images_and_dark_mode(news):
    result = news(6, "--format", "html")
    assert result.exit_code == 0, result.stderr
    html = result.stdout
    page = Page(html)
    assert page.html_attrs.get("lang") == "en"
    assert page.images, "the feed has pictures and an avatar"
    # Every picture has an alt; none repeats the headline next to it (the
    # feed gives no alt of its own: the pictures are decoration, alt="").
    assert all("alt" in img for img in page.images)
    assert not {img["alt"] for img in page.images} & set(page.headlines)
    pictures = {re.search(r"photo-(\d+)", img["src"]).group(1): img for img in page.images if "/photo-" in img["src"]}
    assert sorted(pictures) == ["0", "2", "4"]
    # Story 4 is a card (the second story): its 1200x675 picture across the
    # 552 px column, fluid below it. Story 0 is a compact row: a thumbnail
    # in the same shape. Story 2's size is unknown: a thumbnail of a stated
    # width whose height follows the picture.
    card, row, unknown = pictures["4"], pictures["0"], pictures["2"]
    assert (card["width"], card["height"]) == ("552", "310")
    assert "width:100%" in card["style"] and "height:auto" in card["style"]
    assert (row["width"], row["height"]) == ("96", "54")
    assert unknown["width"] == "96" and "height" not in unknown and "height:auto" in unknown["style"]
    assert {"name": "color-scheme", "content": "light dark"} in page.metas
    assert "prefers-color-scheme: dark" in html


def test_lead_cards_and_rows(news):
    """The first story leads, the next three are cards, the rest compact
    rows: a smaller headline, the lead's first sentence, no "Read more"."""
    html = news(6, "--format", "html").stdout
    sizes = re.findall(r'<h2 style="margin:0;font-size:(\d+)px', html)
    assert sizes == ["26", "20", "20", "20", "17", "17"]
    assert html.count("Read more →") == 4
    rows = " ".join(html[html.index("Story 1: rail line"):].split())
    assert "Crews worked through the night to finish the repairs, officials said on Thursday, and the first trains" \
        in rows
    assert "Passengers were told" not in rows  # the second sentence is for the lead and the cards only


def test_card_shows_meta_line_caption_credit_blurb_and_links(news):
    html = news(3, "--format", "html").stdout
    page = Page(html)
    flowing = " ".join(html.split())
    text = re.sub(r"<[^>]+>", "", flowing)
    assert "Kyiv Wire · Martin Fornusek · 2 Jan 09:00 · 1 min read" in text
    # A time and a reading time never break inside ("2 Jan / 09:00").
    assert '<span style="white-space:nowrap">2 Jan 09:00</span> · <span style="white-space:nowrap">1 min read</span>' \
        in flowing
    assert "Workers on the bridge, picture 0. Photo: Jane Doe / Wire" in text  # the feed's "Photo:", not twice
    assert "Senior News Editor" in flowing
    assert ("https://news.example.org/2025/01/02/story-0", "Read more →") in page.links
    assert "3 stories · ~3 min · 1 source" in text
    assert "In this issue" not in flowing  # no sections: it would only repeat the headlines below it
    assert page.headlines == [f"Story {i}: rail line to Kharkiv reopens after weeks of repairs" for i in (2, 1, 0)]


def test_fit_image_scales_down_never_up():
    assert fit_image(Image("x", width=1200, height=675)) == ImageBox(552, 310)
    assert fit_image(Image("x", width=200, height=100)) == ImageBox(200, 100)
    assert fit_image(Image("x", width=900)) == ImageBox(None, None)  # a width alone: drawn at its own size
    assert fit_image(Image("x")) == ImageBox(None, None)


def test_sections_get_headings_in_html_and_text(monkeypatch):
    now = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    stories = [
        Story(item=Item("f", str(i), f"Headline {i}", f"https://e.org/{i}", published=now, first_seen=now),
              feed="Feed", lead=f"Lead {i}.", author_blurb=AuthorBlurb("A. Writer", "Editor") if i == 0 else None)
        for i in range(3)
    ]
    digest = Digest("Brief", now, now - timedelta(days=1), stories)
    monkeypatch.setattr(Digest, "sections", property(lambda d: [("news", d.stories[:2]), ("tech", d.stories[2:])]))
    renderer = Renderer()
    mjml = renderer.mjml(digest)
    cards = [mjml.index(f">Headline {i}</a></h2>") for i in range(3)]
    assert mjml.index(">news</h3>") < cards[0] < cards[1] < mjml.index(">tech</h3>") < cards[2]
    text = renderer.text(digest)
    assert "NEWS\n----\n\n 1. Headline 0" in text and "TECH\n----\n\n 3. Headline 2" in text


# ---------------------------------------------------------------- size guard


@pytest.mark.parametrize("count", [30, 200])
def test_html_stays_under_gmail_clip_with_every_story(news, count):
    result = news(count, "--format", "email")
    assert result.exit_code == 0, result.stderr
    message = parse_email(result.stdout_bytes)
    html = email_parts(message)["text/html"]
    size = len(html.encode("utf-8"))
    assert size <= HTML_BUDGET < GMAIL_CLIP
    html_part = [p for p in message.iter_parts() if p.get_content_type() == "text/html"][0]
    assert len(html_part.get_payload()) < GMAIL_CLIP  # as sent: quoted-printable
    page = Page(html)
    titles = {f"Story {i}: rail line to Kharkiv reopens after weeks of repairs" for i in range(count)}
    cards = set(page.headlines)
    compact = {text for _, text in page.links} & titles - cards
    assert cards | compact == titles
    if count == 30:
        assert len(cards) == 30  # thirty cards fit: no compact list
    else:
        assert 20 <= len(cards) < 200  # cards while they fit, then the list
        assert f"{200 - len(cards)} more stories" in html
    print(f"{count} items: {size} bytes of HTML, {len(cards)} cards")


def a_day_in(script_feed: str, count: int, tmp_path: Path) -> Path:
    """A feed of `count` stories of a day, their titles and texts taken from
    a real capture in another script (a Russian, Chinese... day)."""
    from digest.sources.parse import parse_feed

    source = FEEDS / script_feed
    real = [i for i in parse_feed(source.read_bytes(), source.as_uri()).items if i.text]
    items = []
    for n in range(count):
        item = real[n % len(real)]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in item.text.split("\n\n")[:3])
        items.append(rss_item(f"{html.escape(item.title)} ({n})", f"https://news.example.org/{n}",
                              date=f"Thu, 02 Jan 2025 {8 + n % 12:02d}:{n % 60:02d}:00 +0000", body=body,
                              extra=f'<media:content url="https://img.example.org/{n}.jpg" medium="image" '
                                    'width="1200" height="800"><media:description>Фото дня</media:description>'
                                    "<media:credit>Агентство</media:credit></media:content>"))
    path = tmp_path / "day.xml"
    path.write_text(rss(*items), encoding="utf-8")
    return path


@pytest.mark.parametrize("script_feed", ["realworld-2/rbc-ru-caption-descriptions.rss",
                                         "realworld-2/bbc-chinese-2013.atom",
                                         "realworld-2/sanwenji-big5-blogger-atom03.xml"])
def test_a_50_story_day_in_another_script_stays_under_the_clip_as_mailed(invoke, tmp_path, script_feed):
    feed = a_day_in(script_feed, 50, tmp_path)
    config = news_config(tmp_path, feed, 50)
    result = invoke("build", "--config", str(config), "--now", "2025-01-02T20:00:00Z")
    assert result.exit_code == 0, result.stderr
    message = parse_email(result.stdout_bytes)
    html_part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    mailed = len(html_part.get_payload().replace("\n", "\r\n").encode("ascii"))  # the encoded part, as sent
    assert mailed < GMAIL_CLIP, f"{mailed} bytes as mailed ({html_part['Content-Transfer-Encoding']})"
    page = Page(html_part.get_content())
    titles = {title for title in page.headlines} | {text for _, text in page.links if text.endswith(")")}
    assert sum(title.endswith(tuple(f"({n})" for n in range(50))) for title in titles) == 50  # cards + the list
    assert len(page.headlines) < 50  # all 50 as cards would pass the clip: the rest are listed


def test_a_picture_with_a_credit_and_no_caption_reads_as_its_credit(tmp_path, invoke):
    """The text part said "Picture: Photo: Cath Virginia / The Verge": a
    label on a label. A credit alone is its own line."""
    from conftest import feeds_config, rss, rss_item

    feed = tmp_path / "feed.xml"
    media = ('<media:content url="https://img.example.org/a.jpg" medium="image" width="1200" height="800">'
             "<media:credit>Cath Virginia / The Verge</media:credit></media:content>")
    feed.write_text(rss(rss_item("Meta won't face the next trial", "https://news.example.org/a", extra=media,
                                 body="Less than a week before the trial, the plaintiff dropped the case."))
                    .replace("<rss ", '<rss xmlns:media="http://search.yahoo.com/mrss/" ', 1))
    config = feeds_config(tmp_path, [str(feed)], extra="[articles]\nenabled = false")
    text = invoke("--config", str(config), "build", "--format", "text", "--no-mark-sent",
                  "--now", "2025-01-02T20:00:00Z").stdout
    assert "    Photo: Cath Virginia / The Verge" in text.splitlines()
    assert "Picture: Photo:" not in text


def test_mjml_format_prints_the_fitted_source(news):
    result = news(200, "--format", "mjml")
    assert result.stdout.startswith('<mjml lang="en">')
    assert "more stories</h3>" in result.stdout


# ---------------------------------------------------------------- text part


def test_text_part_reads_alone_and_wraps_at_72(news):
    text = news(4, "--format", "text").stdout
    lines = text.splitlines()
    assert lines[:3] == ["Morning Brief", "Thursday 2 January 2025 · 4 stories · ~4 min · 1 source", "=" * 72]
    assert max(len(line) for line in lines if not line.startswith("[")) <= 72
    assert " 1. Story 3: rail line to Kharkiv reopens after weeks of repairs [1]" in lines
    assert "    Kyiv Wire · Martin Fornusek · 2 Jan 09:03 · 1 min read" in lines
    assert "    Picture: Workers on the bridge, picture 2. Photo: Jane Doe / Wire" in lines
    assert lines[-5:] == ["Links"] + [f"[{n}] https://news.example.org/2025/01/02/story-{3 - n + 1}" for n in range(1, 5)]
    assert "<" not in text  # no markup leaks into the text part


def test_the_text_part_is_mailed_8bit_so_the_raw_message_reads_as_text(news):
    raw = news(3, "--format", "email").stdout_bytes
    message = parse_email(raw)
    text_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/plain")
    assert text_part["Content-Transfer-Encoding"] == "8bit"
    # The text as the terminal shows it: no =C2=B7 for "·", no line of =3D.
    assert "Thursday 2 January 2025 · 3 stories · ~3 min · 1 source\n".encode() in raw and b"\n" + b"=" * 72 + b"\n" in raw
    assert text_part.get_content() == parse_email(raw).get_body(("plain",)).get_content()
    html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
    assert html_part["Content-Transfer-Encoding"] == "quoted-printable"
    assert max(len(line) for line in raw.splitlines()) <= 998


def test_text_part_keeps_every_story_at_one_indent_and_no_link_number_alone(news):
    text = news(12, "--format", "text").stdout
    lines = text.splitlines()
    headlines = [line for line in lines if re.match(r"^ ?\d+\. ", line)]
    assert len(headlines) == 12
    assert {line.index("Story") for line in headlines} == {4}  # " 9. Story" and "10. Story" alike
    assert all(line.startswith("    ") for line in lines if "Kyiv Wire ·" in line)
    # A headline whose link number would wrap alone takes its last word along.
    long = "Night buses return to six routes as the city adds drivers for winter"  # 72 columns with " 1. "
    assert len(f" 1. {long}") == 72
    wrapped = wrap(f" 1. {long} [12]", hang=4, glue=True).splitlines()
    assert len(wrapped) == 2 and wrapped[1] == "    winter [12]", wrapped
    assert wrap(f" 1. {long} [12]", hang=4).splitlines()[1] == "    [12]"  # what glue prevents


def test_a_text_line_too_long_for_8bit_goes_quoted_printable():
    from digest.output.mail import text_transfer_encoding

    assert text_transfer_encoding("Kyiv · Kharkiv\n" + "x" * 998 + "\n") == "8bit"
    assert text_transfer_encoding("Kyiv · Kharkiv\n" + "x" * 999 + "\n") == "quoted-printable"
    assert text_transfer_encoding("https://example.org/" + "é" * 500) == "quoted-printable"  # 1,020 bytes
    assert text_transfer_encoding("plain ASCII\n") == "7bit"


def test_wrap_keeps_urls_whole_and_indents():
    url = "https://example.org/" + "x" * 80
    wrapped = wrap(f"see {url} and then some more words to wrap around", width=30, indent=4)
    assert url in wrapped.split()
    assert all(line.startswith("    ") for line in wrapped.splitlines())
    assert all(len(line) <= 30 for line in wrapped.splitlines() if url not in line)


def test_the_text_parts_meta_line_never_splits_a_date_or_a_reading_time():
    from digest.output.wrap import together

    meta = " · ".join(["Le Figaro - Culture : Cinéma, théâtre, arts", "Valérie Sasportas",
                       together("11 Jan 2018 13:20"), together("12 min read")])
    for width in range(40, 73):
        lines = wrap(meta, width=width, indent=4).splitlines()
        assert any("11 Jan 2018 13:20" in line for line in lines), (width, lines)  # was "11 Jan" / "2018 13:20"
        assert any("12 min read" in line for line in lines), (width, lines)
        assert "\u00a0" not in "".join(lines)


def test_wrap_mixes_latin_words_and_cjk_by_display_width():
    """Latin words go whole (the fast path for ASCII), CJK may break
    between characters, and a word mixing both counts each by its width."""
    text = "The AI芯片 maker said 台积电将在明年扩大在美国的生产规模 on Tuesday, ahead of schedule"
    wrapped = wrap(text, width=20)
    from wcwidth import wcswidth

    assert all(wcswidth(line) <= 20 for line in wrapped.splitlines())
    assert "".join(wrapped.split()) == "".join(text.split())
    assert "Tuesday," in wrapped.split() and "schedule" in wrapped.split()


def test_the_narrow_characters_wrap_counts_without_wcwidth_are_one_column_each():
    """wrap counts text of Latin, Greek, Cyrillic, dashes, quotes and
    currency signs one column a character without asking wcwidth: every
    such character, and random strings of them, measure so in wcwidth too."""
    import random

    from wcwidth import wcswidth

    from digest.output.wrap import _NARROW, _display_width

    narrow = [chr(c) for c in range(0x20, 0x3000) if _NARROW.fullmatch(chr(c))]
    assert len(narrow) > 1000 and "—" in narrow and "’" in narrow and "я" in narrow and "€" in narrow
    assert all(wcswidth(ch) == 1 for ch in narrow)
    pick = random.Random(26)
    for _ in range(2000):
        text = "".join(pick.choice(narrow) for _ in range(pick.randint(1, 20)))
        assert _display_width(text) == wcswidth(text) == len(text)
    assert _display_width("台积电 é") == wcswidth("台积电 é") == 8  # anything else still asks wcwidth


def test_a_build_compiles_the_fitting_digest_once(monkeypatch):
    """Checking that every card compiles (unrenderable) and then fitting
    the digest compile the same source: the second is not compiled again."""
    from digest.output import render

    now = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    stories = [Story(item=Item("f", str(i), f"Headline {i}", f"https://e.org/{i}", published=now, first_seen=now),
                     feed="Feed", lead=f"Lead {i}.") for i in range(5)]
    digest = Digest("Brief", now, now - timedelta(days=1), stories)
    compiled = []
    real = render._mjml_compiled
    monkeypatch.setattr(render, "_mjml_compiled", lambda source: compiled.append(source) or real(source))
    renderer = Renderer()
    assert renderer.unrenderable(digest) == []
    html_text = renderer.html(digest)
    assert len(compiled) == 1 and "Headline 4" in html_text


# ---------------------------------------------------------------- overrides


def _common_affixes(a: str, b: str) -> tuple[int, int]:
    prefix = len(os.path.commonprefix([a, b]))
    suffix = len(os.path.commonprefix([a[prefix:][::-1], b[prefix:][::-1]]))
    return prefix, suffix


def test_one_overridden_file_changes_only_that_part(news, tmp_path):
    only_header = tmp_path / "mine"
    only_header.mkdir()
    (only_header / "header.mjml").write_text((REPLACE / "header.mjml").read_text())
    builtin = news(5, "--format", "mjml").stdout
    custom = news(5, "--format", "mjml", "--template-dir", str(only_header)).stdout
    prefix, suffix = _common_affixes(builtin, custom)
    changed_builtin = builtin[prefix:len(builtin) - suffix]
    changed_custom = custom[prefix:len(custom) - suffix]
    assert "CUSTOM MASTHEAD for Morning Brief" in changed_custom
    assert "5 stories · ~5 min · 1 source" in re.sub(r"<[^>]+>", "", changed_builtin) and "5 stories" not in custom
    # Everything else — head, every card, the footer — is byte for byte the same.
    assert "<mj-head>" in builtin[:prefix]
    assert "Read more" not in changed_builtin and "Read more" not in changed_custom
    assert builtin[len(builtin) - suffix:].count("Read more →") == 4  # the lead and three cards; the fifth is a row
    assert "Built by digest" in builtin[len(builtin) - suffix:]


def test_a_layout_from_before_the_tiers_still_builds_every_story_as_a_card(news, tmp_path):
    from digest.output.templates import builtin_template_dir

    old = tmp_path / "old"
    old.mkdir()
    layout = (builtin_template_dir() / "layout.mjml").read_text()
    without_tiers = re.sub(r"\{% set tier = [^%]*%\}", "", layout)
    assert without_tiers != layout
    (old / "layout.mjml").write_text(without_tiers)
    built = news(5, "--format", "html", "--template-dir", str(old))
    assert built.exit_code == 0, built.stderr  # was exit 2: "item.mjml:11: 'tier' is undefined"
    assert re.findall(r'<h2 style="margin:0;font-size:(\d+)px', built.stdout) == ["20"] * 5


def test_replaced_and_extended_templates_along_the_chain(news, tmp_path):
    """--template-dir (replace) first, then the config's template_dir
    (extend, whose files extend the built-ins with `default:`)."""
    extra = f'template_dir = "{EXTEND}"'
    message = parse_email(news(3, "--template-dir", str(REPLACE), config_extra=extra).stdout_bytes)
    # subject.txt is in both folders: --template-dir wins.
    assert message["Subject"] == "Replaced subject: Morning Brief"
    parts = email_parts(message)
    html, text = parts["text/html"], parts["text/plain"]
    assert "CUSTOM MASTHEAD for Morning Brief" in html  # replaced whole
    # item.mjml extends the built-in card: both its own line and the built-in links.
    assert html.count("EXTENDED CARD from Kyiv Wire") == 3
    assert html.count("Read more →") == 3
    assert ".extended { font-style: italic; }" in html  # layout block with super()
    assert "prefers-color-scheme" in html  # ...which kept the built-in style
    assert text.startswith("EXTENDED TEXT HEADER: Morning Brief\n")
    assert "1. Story 2: rail line to Kharkiv reopens after weeks of repairs [1]" in text
    assert "\nLinks\n[1] " in text


def test_footer_override_alone_keeps_the_builtin_header(news, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "footer.mjml").write_text(
        '{% extends "default:footer.mjml" %}{% block colophon %}<mj-text>MY FOOTER</mj-text>{% endblock %}'
    )
    html = news(3, "--format", "html", "--template-dir", str(mine)).stdout
    assert "MY FOOTER" in html and "Built by digest" not in html
    assert "3 stories · ~3 min · 1 source" in re.sub(r"<[^>]+>", "", html)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name, source, line, fmt, message",
    [
        ("item.mjml", "<mj-text>\n{{ story.title }}\n{% if %}\n</mj-text>\n", 3, "html", "Expected an expression"),
        ("item.mjml", "<mj-text>\n{{ story.title }}\n{{ story.titel }}\n</mj-text>\n", 3, "html", "has no attribute 'titel'"),
        ("layout.mjml", '{% extends "default:layout.mjml" %}\n{% block style %}\n{% endblok %}\n', 3, "html",
         "Encountered unknown tag 'endblok'"),
        ("text.txt", "{{ digest.title }}\n\n{{ digest.nope }}\n", 3, "text", "has no attribute 'nope'"),
    ],
    ids=["syntax-in-included-card", "undefined-in-card", "syntax-in-layout", "undefined-in-text"],
)
def test_broken_user_template_exits_2_with_file_and_line(news, tmp_path, name, source, line, fmt, message):
    mine = tmp_path / "broken"
    mine.mkdir()
    (mine / name).write_text(source)
    result = news(3, "--format", fmt, "--template-dir", str(mine))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {mine / name}:{line}: ")
    assert message in result.stderr


def test_mjml_that_does_not_compile_is_a_template_error(news, tmp_path):
    mine = tmp_path / "bad"
    mine.mkdir()
    (mine / "item.mjml").write_text("<mj-text><p>unclosed</mj-text>\n")
    result = news(2, "--format", "html", "--template-dir", str(mine))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the MJML from the templates does not compile")


# ---------------------------------------------------------------- commands


def test_templates_list_names_each_part_and_marks_overrides(invoke):
    result = invoke("templates", "list", "--template-dir", str(REPLACE))
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert list(rows) == ["layout.mjml", "header.mjml", "item.mjml", "author.mjml", "footer.mjml",
                          "text.txt", "subject.txt"]
    assert "overridden  The masthead: " in rows["header.mjml"] and str(REPLACE / "header.mjml") in rows["header.mjml"]
    assert "built-in    One story card: " in rows["item.mjml"]
    assert "overridden" in rows["subject.txt"] and "overridden" not in rows["footer.mjml"]


def test_templates_export_copies_builtins_and_refuses_to_overwrite(invoke, news, tmp_path):
    target = tmp_path / "exported"
    result = invoke("templates", "export", str(target))
    assert result.exit_code == 0, result.stderr
    builtin = builtin_template_dir()
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(p.name for p in builtin.iterdir() if p.suffix in (".mjml", ".txt"))
    assert all((target / n).read_bytes() == (builtin / n).read_bytes() for n in names)
    mask = os.umask(0o022)
    os.umask(mask)
    assert {oct(stat.S_IMODE((target / n).stat().st_mode)) for n in names} == {oct(0o666 & ~mask)}  # not mkstemp's 600

    (target / "header.mjml").write_text("mine")
    again = invoke("templates", "export", str(target))
    assert again.exit_code == 2
    assert "already has" in again.stderr and "--force" in again.stderr
    assert (target / "header.mjml").read_text() == "mine"
    assert invoke("templates", "export", "--force", str(target)).exit_code == 0
    # An exported copy renders exactly what the built-ins do.
    assert news(3, "--format", "mjml", "--template-dir", str(target)).stdout == news(3, "--format", "mjml").stdout


@pytest.mark.parametrize("force", [False, True])
def test_templates_export_never_writes_through_a_link(invoke, tmp_path, force):
    target = tmp_path / "exported"
    target.mkdir()
    outside = tmp_path / "outside.txt"  # a dangling link: exists() says no file is there
    (target / "text.txt").symlink_to(outside)
    (target / "layout.mjml").symlink_to(tmp_path / "kept.mjml")
    (tmp_path / "kept.mjml").write_text("mine")
    result = invoke("templates", "export", *(["--force"] if force else []), str(target))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {target}/") and "is a symlink; not writing through it" in result.stderr
    assert not outside.exists() and (tmp_path / "kept.mjml").read_text() == "mine"
    assert sorted(p.name for p in target.iterdir()) == ["layout.mjml", "text.txt"]


def test_preview_writes_html_opens_it_and_marks_nothing(tmp_path, monkeypatch):
    import click
    from click.testing import CliRunner

    from digest.cli import cli

    feed = tmp_path / "wire.xml"
    feed.write_text(news_feed(3), encoding="utf-8")
    config = news_config(tmp_path, feed, 3)
    # A browser stand-in where preview looks for one (xdg-open on Linux, else
    # click.launch): it notes what it was asked to open and complains on
    # stderr, as xdg-open does on a machine without a browser.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    noted = tmp_path / "opened.txt"
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\necho "$1" > {noted}\necho "no browser here" >&2\n')
    (bin_dir / "xdg-open").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    launched = []
    monkeypatch.setattr(click, "launch", lambda url, **kw: launched.append(url))
    common = ["--state", str(tmp_path / "state.db")]

    result = CliRunner().invoke(cli, [*common, "preview", "--config", str(config), "--now", EXAMPLE_NOW])
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    if sys.platform.startswith("linux"):
        for _ in range(100):  # the browser is started, not waited for
            if noted.exists() and noted.read_text():
                break
            time.sleep(0.05)
        assert noted.read_text().strip() == str(path) and launched == []
        assert "no browser here" not in result.stderr  # its complaints are not ours to print
    else:
        assert launched == [str(path)]
    assert path.read_text().startswith("<!doctype html>") and "Story 0" in path.read_text()
    path.unlink()
    noted.unlink(missing_ok=True)

    out = tmp_path / "preview.html"
    quiet = CliRunner().invoke(cli, [*common, "preview", "--config", str(config), "--now", EXAMPLE_NOW,
                                     "--no-open", "-o", str(out)])
    assert quiet.stdout == f"{out.resolve()}\n"
    time.sleep(0.2)
    assert not noted.exists() and launched == [] and "Story 2" in out.read_text()  # --no-open opened nothing
    # Nothing was marked sent: a real build still has all three stories.
    email = CliRunner().invoke(cli, [*common, "build", "--config", str(config), "--now", EXAMPLE_NOW])
    assert email_parts(parse_email(email.stdout_bytes))["text/plain"].count("rail line to Kharkiv") == 3


def test_example_override_replaces_only_the_masthead(invoke, example_config):
    from conftest import EXAMPLES

    args = ["build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html"]
    builtin = invoke(*args).stdout
    custom = invoke(*args, "--template-dir", str(EXAMPLES / "templates")).stdout
    assert "Thursday 2 January 2025 · 6 stories picked for you" in custom
    assert "picked for you" not in builtin
    # Every card and the footer are the built-in ones.
    assert Page(custom).headlines == Page(builtin).headlines and len(Page(builtin).headlines) == 6
    assert custom[custom.index("<h2"):] == builtin[builtin.index("<h2"):]


def test_the_text_part_of_a_chinese_day_wraps_at_72_columns_of_display(invoke, tmp_path):
    from wcwidth import wcswidth

    feed = a_day_in("realworld-2/bbc-chinese-2013.atom", 6, tmp_path)
    result = invoke("build", "--config", str(news_config(tmp_path, feed, 6)), "--now", "2025-01-02T20:00:00Z",
                    "--format", "text")
    lines = [line for line in result.stdout.splitlines() if not line.startswith("[")]
    widths = [wcswidth(line) for line in lines]
    assert max(widths) <= 72, max(zip(widths, lines))
    wide = [line for line in lines if any(wcswidth(ch) == 2 for ch in line)]
    assert sum(wcswidth(line) > 60 for line in wide) >= 3  # lines are filled, not broken only at spaces
    assert not any(line.lstrip().startswith(("。", "，", "、")) for line in lines)


# ---------------------------------------------------------------- what the email cannot carry

# Characters the MJML compiler refuses or XML 1.0 forbids: one of them used
# to fail the whole digest (exit 2), on every run.
FORBIDDEN = "\uffff\ufffe\ufdd0\U0001fffe\U0010ffff\x01"


def test_parse_strips_every_forbidden_character_and_their_references():
    from conftest import rss, rss_item

    from digest.sources.parse import parse_feed

    body = f"<p>Body{FORBIDDEN} and &#xFFFF;&#xFDD0;&#1;text</p>"
    feed = rss(rss_item(f"Bridge{FORBIDDEN} reopens &#xFFFE;", "https://e.example/1", body=body,
                        extra=f"<dc:creator>Ann{FORBIDDEN}</dc:creator><category>news{FORBIDDEN}</category>"),
               title=f"Wire{FORBIDDEN}")
    parsed = parse_feed(feed.encode("utf-8", "surrogatepass"), "https://e.example/feed")
    [item] = parsed.items
    everything = " ".join([parsed.title, item.title, item.author, item.text, item.content_html, *item.tags])
    assert not set(everything) & set(FORBIDDEN)
    assert (item.title, item.author, item.tags, parsed.title) == ("Bridge reopens", "Ann", ["news"], "Wire")
    assert "Body and text" in item.text


def test_forbidden_characters_already_stored_or_in_the_config_never_reach_the_mjml(invoke, tmp_path):
    """Items stored before the strip at ingestion (an --offline build of
    them), the config's own text and a feed error in the footer all go
    through one filter on everything the templates print."""
    from conftest import feeds_config

    from digest.models import CacheHeaders
    from digest.store import Store

    now = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    feed, broken = "https://a.example/feed", "https://down.example/feed"
    config = feeds_config(tmp_path, [feed, broken], extra='title = "Brief \\uffff"\nfailing_after = 1\n')
    with Store.open(tmp_path / "state.db") as store:
        store.record_success(feed, f"Wire{FORBIDDEN}", CacheHeaders(), [
            Item(feed_url=feed, key="guid:1", title=f"Bridge{FORBIDDEN} reopens", link="https://a.example/1",
                 author=f"Ann{FORBIDDEN}", text=f"Crews{FORBIDDEN} worked all night.", published=now)], now)
        store.record_failure(broken, f"HTTP 500 at {broken}/{FORBIDDEN}", now)
    result = invoke("--config", str(config), "build", "--offline", "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.stderr
    html = email_parts(parse_email(result.stdout_bytes))["text/html"]
    assert "Bridge reopens" in html and "HTTP 500 at https://down.example/feed/" in html
    assert "Brief " in html and not set(html) & set(FORBIDDEN)


def test_a_story_whose_card_does_not_compile_is_left_out_named_and_not_marked_sent(news, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    # A user's card that breaks for one story only (an unclosed <p>).
    (mine / "item.mjml").write_text('{% extends "default:item.mjml" %}{% block lead %}'
                                    '{% if story.title.startswith("Story 1:") %}<p>{{ story.lead }}'
                                    '{% else %}{{ super() }}{% endif %}{% endblock %}')
    result = news(3, "--template-dir", str(mine), "--mark-sent")
    assert result.exit_code == 0, result.stderr
    text = email_parts(parse_email(result.stdout_bytes))["text/plain"]
    assert "Story 0:" in text and "Story 2:" in text and "Story 1:" not in text
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("warning: left out the story 'Story 1: rail line to Kharkiv reopens")
    assert line.endswith("it is not marked sent")
    again = news(3, "--format", "json")  # the built-in card renders it, and it was never sent
    assert [item["title"][:8] for item in json.loads(again.stdout)["items"]] == ["Story 1:"]


def test_a_story_without_a_link_is_never_an_empty_href():
    """A link dropped at ingestion (javascript:, data:) left href="" in "In
    this issue", the compact list, around the picture and in "Also covered
    by"; and an empty [n] reference in the text part."""
    from digest.models import AlsoCovered
    from digest.output.render import compile_mjml

    now = datetime(2025, 1, 2, 20, tzinfo=timezone.utc)
    image = Image(url="https://e.org/p.jpg", width=600, height=400)
    stories = [Story(item=Item("f", str(i), f"Headline {i}", "" if i % 2 else f"https://e.org/{i}", published=now,
                               first_seen=now, image=image),
                     feed="Feed", lead=f"Lead {i}.", also=[AlsoCovered("Other", ""), AlsoCovered("Third", "https://t/1")])
               for i in range(6)]
    digest = Digest("Brief", now, now - timedelta(days=1), stories)
    renderer = Renderer()
    for page in (compile_mjml(renderer.layout_mjml(digest, cards=3)), renderer.html(digest)):
        anchors = [attrs for tag, attrs in _start_tags(page) if tag == "a"]
        assert anchors and all(attrs.get("href") for attrs in anchors), [a for a in anchors if not a.get("href")]
        assert "Headline 1" in page and "Other" in page
    text = renderer.text(digest)
    assert "Headline 1\n" in text or "Headline 1 " in text
    assert "Also covered by Other, Third [" in text
    references = [line for line in text.splitlines() if line.startswith("[")]
    assert references and all(line.split("] ", 1)[1].startswith("https://") for line in references)


def _start_tags(html: str) -> list[tuple[str, dict]]:
    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Tags().feed(html)
    return found


def test_bidi_overrides_and_zero_width_characters_never_reach_the_mail(invoke, tmp_path):
    """U+202E turns "Invoice gpj.exe" into "Invoice exe.jpg" on screen;
    zero-width characters hide words from a reader's search and filters.
    The joiners that scripts and emoji need stay."""
    from conftest import feeds_config, rss, rss_item

    hidden = "\u202e\u202a\u2066\u2069\u200b\u2060\ufeff"
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(rss_item(f"Invoice{hidden} gpj.exe paid", "https://e.example/1",
                                 body=f"<p>Pay{hidden}ment due. Family: \U0001F468\u200d\U0001F469 and "
                                      "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.</p>",
                                 extra=f"<dc:creator>Mal{hidden}lory</dc:creator>")), encoding="utf-8")
    config = feeds_config(tmp_path, [feed], extra=f'title = "Brief{hidden}"')
    result = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW)
    assert result.exit_code == 0, result.stderr
    parts = email_parts(parse_email(result.stdout_bytes))
    for part in parts.values():
        assert not set(part) & set(hidden)
        assert "Invoice gpj.exe paid" in part and "Mallory" in part and "Brief" in part
    assert "\U0001F468\u200d\U0001F469" in parts["text/plain"] and "\u0645\u06cc\u200c" in parts["text/plain"]


@pytest.mark.parametrize("subject", ["{{ ''.__class__.__mro__[1].__subclasses__() | length }} classes",
                                     "{{ now.__class__.__init__.__globals__ }}"])
def test_the_subject_template_is_sandboxed_like_the_lead(news, subject):
    result = news(2, "--subject", subject)
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: email.subject: ") and "unsafe" in line


def test_a_sandboxed_subject_still_has_its_context_and_filters(news):
    result = news(2, "--subject", "{{ title }} for {{ now.strftime('%A') }}, {{ digest.generated_at | longdate }}")
    assert result.exit_code == 0, result.stderr
    assert parse_email(result.stdout_bytes)["Subject"] == "Morning Brief for Thursday, Thursday 2 January 2025"
