"""Feed bytes -> Items, on real captured feeds and small written ones."""

from __future__ import annotations

import pytest

from conftest import FEEDS, rss, rss_item
from digest.errors import FeedError
from digest.sources.links import canonical_url
from digest.text import clean_text
from digest.sources.htmltext import html_to_text
from digest.sources.parse import parse_feed
from digest.sources.sanitize import sanitize_html


def parse_file(relative: str):
    path = FEEDS / relative
    return parse_feed(path.read_bytes(), path.as_uri(), "application/xml")


def test_guardian_media_content_picks_the_largest_image_with_its_credit():
    feed = parse_file("rss2/guardian-international.rss")
    assert len(feed.items) == 55
    item = feed.items[0]
    assert item.author == "David Smith"  # the dateline ("in Washington") is no part of the name
    assert "w=460" in item.image.url and item.image.width is None  # the larger rendition; no height given, so no size
    assert item.image.url.startswith("https://i.guim.co.uk/")
    assert item.image.credit == "Networ/Sipa USA/REX/Shutterstock"  # without the "Photograph:" label
    assert item.link == "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord"


def test_enclosure_image_is_used_and_tracking_fragment_dropped():
    item = parse_file("rss2/macworld-enclosure-images.rss").items[0]
    assert item.image.url == "https://images.idgesg.net/images/article/2017/08/best-smart-locks-100730768-medium.jpg"
    assert item.link == "https://www.techhive.com/article/3212828/connected-home/best-smart-lock.html"


def test_medium_tracking_pixel_is_never_the_image():
    for item in parse_file("rss2/medium-hodlhodl.rss").items:
        assert "/_/stat" not in (item.image.url if item.image else "")
        assert "/_/stat" not in item.content_html


def test_youtube_description_becomes_the_text_not_a_caption():
    item = parse_file("atom/youtube-channel.atom").items[0]
    assert item.text.startswith("A question is the most powerful force in the world.")
    assert item.image.url == "https://i2.ytimg.com/vi/5shykyfmb28/hqdefault.jpg"
    assert item.image.caption == ""


def test_media_description_is_the_caption_whatever_the_element_order():
    caption_first = rss_item(
        "A", "https://example.org/a", body="The real description.",
        extra='<media:content url="https://example.org/a.jpg" medium="image">'
              "<media:description>Caption A</media:description></media:content>")
    description_last = (
        '<item><title>B</title><link>https://example.org/b</link>'
        '<media:content url="https://example.org/b.jpg" medium="image">'
        "<media:description>Caption B</media:description></media:content>"
        "<description>The other description.</description></item>")
    items = parse_feed(rss(caption_first, description_last).encode(), "https://example.org/feed").items
    assert [(i.image.caption, i.text) for i in items] == [
        ("Caption A", "The real description."), ("Caption B", "The other description.")]


def test_feed_level_author_is_copied_down_and_relative_links_resolved():
    feed = parse_file("atom/russcox-feed-level-author.atom")
    assert {item.author for item in feed.items} == {"Russ Cox"}
    gulp = parse_file("atom/github-releases-gulp.atom")
    assert gulp.items[0].link.startswith("https://github.com/gulpjs/gulp/releases/tag/")


def test_untitled_items_get_their_first_words():
    feed = parse_file("rss2/scripting-news-untitled-items.rss")
    assert all(item.title for item in feed.items)


def test_bozo_feed_keeps_its_items_and_carries_a_warning():
    feed = parse_file("rss2/techcrunch-wordpress.xml")
    assert len(feed.items) == 20
    assert feed.warning


def test_heise_items_without_dates_have_no_published_time():
    feed = parse_file("rdf/heise-rss090-no-dates.rdf")
    assert len(feed.items) == 60
    assert all(item.published is None for item in feed.items)


def test_not_a_feed_and_empty_body_raise_feed_error():
    with pytest.raises(FeedError, match="empty response"):
        parse_feed(b"", "https://example.org/x")
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", "https://example.org/x", "text/html")


def test_duplicate_entries_in_one_feed_collapse():
    item = rss_item("Same", "https://example.org/same", guid="g1")
    assert len(parse_feed(rss(item, item).encode(), "https://example.org/f").items) == 1


def test_identity_falls_back_from_guid_to_link_to_hash():
    items = parse_feed(rss(
        rss_item("G", "https://example.org/g", guid="the-guid"),
        rss_item("L", "https://example.org/l?utm_source=x"),
        "<item><title>H</title><description>Only text.</description></item>",
    ).encode(), "https://example.org/f").items
    assert items[0].key == "guid:the-guid"
    assert items[1].key == "link:https://example.org/l"
    assert items[2].key.startswith("hash:")


def test_entity_expansion_in_a_doctype_is_stripped():
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 1000 + b'">]>'
            + rss(rss_item("Title &a;&a;", "https://example.org/e")).split("?>", 1)[1].encode())
    items = parse_feed(body, "https://example.org/f").items
    assert "x" * 100 not in items[0].title


@pytest.mark.parametrize("raw, expected", [
    ("HTTPS://Example.ORG/a/b?utm_source=x&id=3&fbclid=1#top", "https://example.org/a/b?id=3"),
    ("/rel/path?b=2&a=1&gclid=z", "https://base.example/rel/path?b=2&a=1"),
    ("https://example.org:443/x?mc_cid=1&mc_eid=2", "https://example.org/x"),
    ("https://example.org", "https://example.org/"),
    ("", ""),
])
def test_canonical_url(raw, expected):
    assert canonical_url(raw, "https://base.example/") == expected


def test_sanitize_removes_active_content_and_resolves_relative_urls():
    dirty = ('<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">j</a>'
             '<a href="/rel">r</a><img src="data:image/png;base64,AAAA"><iframe src="https://e.vil"></iframe>'
             '<form action="/x"><input name="q"></form><style>p{}</style>'
             '<img src="https://t.example/p.gif" width="1" height="1"><img src="/pic.jpg" alt="pic"></p>')
    clean = sanitize_html(dirty, "https://example.org/post")
    for bad in ("onclick", "<script", "javascript:", "data:", "<iframe", "<form", "<input", "<style", "p.gif"):
        assert bad not in clean
    assert 'href="https://example.org/rel"' in clean
    assert 'src="https://example.org/pic.jpg"' in clean


def test_text_extraction_keeps_paragraphs_and_drops_captions_and_control_characters():
    html = "<p>One\x07 two.</p><figure><img src='x'><figcaption>Cap</figcaption></figure><p>Three &amp; four.</p>"
    assert html_to_text(html) == "One two.\n\nThree & four."
    assert clean_text("  a\x00b \n c ") == "ab c"


def test_xml_base_still_resolves_links_after_many_feeds():
    # feedparser's base-URI helper is cached (it was a quarter of parsing);
    # each element's xml:base must still count, feed after feed.
    from digest.sources.parse import parse_feed

    def atom(base: str) -> bytes:
        return (f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}"><title>T</title>'
                '<entry xml:base="posts/"><title>One</title><id>1</id><link href="one.html"/></entry>'
                '<entry><title>Two</title><id>2</id><link href="/two.html"/></entry></feed>').encode()

    for site in ("https://a.example/blog/", "https://b.example/news/", "https://a.example/blog/"):
        items = parse_feed(atom(site), "https://feeds.example/atom.xml", "application/atom+xml").items
        host = site.split("/")[2]
        assert [i.link for i in items] == [f"{site}posts/one.html", f"https://{host}/two.html"]


def test_a_title_is_a_line_cut_at_a_word():
    """A 1 MB title (any size past MAX_TITLE_CHARS) is cut at a word, with
    an ellipsis, before it reaches the store, the grouping and the mail."""
    from digest.sources.parse import MAX_TITLE_CHARS

    huge = "Officials approve the bridge budget " * 30_000
    for title in (huge, "<b>" + huge + "</b>", "x" * (MAX_TITLE_CHARS + 5)):
        [item] = parse_feed(rss(rss_item(title, "https://e.example/1")).encode(), "https://e.example/feed").items
        assert len(item.title) <= MAX_TITLE_CHARS + 1 and item.title.endswith("…")
    assert item.title == "x" * MAX_TITLE_CHARS + "…"
    [short] = parse_feed(rss(rss_item("Officials approve the bridge budget", "https://e.example/1")).encode(),
                         "https://e.example/feed").items
    assert short.title == "Officials approve the bridge budget"


@pytest.mark.parametrize("declaration, content_type", [
    ('<?xml version="1.0" encoding="UTF-8"?>', ""),
    ("", "application/rss+xml; charset=utf-8"),
    ('<?xml version="1.0"?>', "text/xml"),
    ("", ""),
], ids=["xml-declaration", "content-type", "nothing-declared-text-xml", "nothing-declared"])
def test_one_stray_byte_in_a_utf8_feed_is_replaced_not_a_reason_for_mojibake(declaration, content_type):
    """One \\xff made feedparser re-read the whole feed as windows-1252:
    "Grüße" came out "GrÃ¼ÃŸe", in every item."""
    body = (f'{declaration}<rss version="2.0"><channel><title>Café Zeitung</title>'
            "<item><title>Grüße aus Köln, Straße</title><link>https://e.example/1</link>"
            "<description>Déjà vu: ").encode() + b"\xff" + (
            " naïve façade, Привет.</description></item></channel></rss>").encode()
    feed = parse_feed(body, "https://e.example/feed", content_type)
    [item] = feed.items
    assert (feed.title, item.title) == ("Café Zeitung", "Grüße aus Köln, Straße")
    assert item.text == "Déjà vu: \ufffd naïve façade, Привет."
    assert "were replaced" in feed.warning
    # A short feed: a few accents, one stray byte (two valid characters per invalid one are enough).
    short = parse_feed(f'{declaration}<rss version="2.0"><channel><title>Köln</title><item><title>Grüße'.encode()
                       + b"\xff</title><link>https://e.example/1</link></item></channel></rss>",
                       "https://e.example/feed", content_type)
    assert (short.title, short.items[0].title) == ("Köln", "Grüße\ufffd")


def test_a_byte_invalid_in_a_declared_single_byte_encoding_is_replaced_in_that_encoding():
    body = ('<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Новости</title>'
            "<item><title>В Киеве открыли новую линию метро</title><link>https://e.example/1</link>"
            "<description>Первые поезда пошли утром.</description></item></channel></rss>").encode("cp1251")
    body = body.replace(" утром".encode("cp1251"), b"\x98 " + "утром".encode("cp1251"))  # 0x98: no cp1251 character
    feed = parse_feed(body, "https://e.example/feed")
    [item] = feed.items
    assert (feed.title, item.title) == ("Новости", "В Киеве открыли новую линию метро")
    assert item.text == "Первые поезда пошли\ufffd утром."
    assert feed.warning == "bytes that are not windows-1251 were replaced"
