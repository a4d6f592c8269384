"""direct.py's mapping of an entry straight from the lxml tree, on written
cases where feedparser's handlers do something particular: each entry is
mapped (or, for what the mapping does not restate, replayed) and comes out
as feedparser.parse makes it, key by key, and parse_feed's Items are the
same as on the feedparser path."""

from __future__ import annotations

import pytest
from conftest import rss, rss_item
from test_fastparse import differences, replayed_only

from digest.sources import parse as parse_module
from digest.sources import xmlfeed
from digest.sources.parse import parse_feed

URL = "https://example.org/feed.xml"


def read_three_ways(body: str, content_type: str = "application/xml"):
    """(xmlfeed.parse with direct.py, the replay alone, feedparser.parse) of the body."""
    feedparser = parse_module._feedparser()
    data, headers = parse_module.parser_input(body.encode(), URL, content_type)[:2]
    fast = xmlfeed.parse(data, headers)
    slow = replayed_only(pytest.MonkeyPatch.context, data, headers)
    reference = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False, response_headers=headers)
    assert fast is not None and slow is not None
    return fast, slow, reference


def assert_same_entries(body: str, mapped: int) -> list:
    """The entries, after asserting `mapped` of them took direct.py's path and
    all equal feedparser's own, and parse_feed's Items equal on both paths."""
    fast, slow, reference = read_three_ways(body)
    assert fast["direct"] == mapped
    assert len(fast.entries) == len(reference.entries)
    for ours, replayed, theirs in zip(fast.entries, slow.entries, reference.entries):
        assert dict(ours) == dict(replayed)
        assert dict(ours) == dict(theirs)
    assert differences(parse_feed(body.encode(), URL, "application/xml", fast=False),
                       parse_feed(body.encode(), URL, "application/xml")) == []
    return fast.entries


def atom(*entries: str, extra: str = "") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xmlns:media="http://search.yahoo.com/mrss/"{extra}><title>Atom test</title>'
            '<link rel="alternate" href="https://example.org/"/><id>tag:example.org,2025:feed</id>'
            "<updated>2025-01-02T12:00:00Z</updated>" + "".join(entries) + "</feed>")


def test_an_entry_with_an_unknown_element_is_replayed_and_reads_as_feedparser():
    odd = rss_item("Odd one", "https://example.org/odd",
                   extra='<source url="https://example.net/feed">Elsewhere</source>')
    body = rss(rss_item("Plain", "https://example.org/plain"), odd)
    entries = assert_same_entries(body, mapped=1)  # <source> has a handler direct.py does not restate
    assert entries[1]["source"]["title"] == "Elsewhere"
    assert entries[0]["title"] == "Plain" and entries[0]["link"] == "https://example.org/plain"


def test_xml_base_on_an_entry_resolves_its_links():
    entry = ('<entry xml:base="https://example.org/blog/2025/"><title>Based</title>'
             '<link rel="alternate" href="post.html"/><id>post-1</id><updated>2025-01-02T10:00:00Z</updated>'
             '<content type="html">&lt;p&gt;Hello&lt;/p&gt;</content></entry>')
    (entry,) = assert_same_entries(atom(entry), mapped=1)
    assert entry["link"] == "https://example.org/blog/2025/post.html"
    assert entry["id"] == "https://example.org/blog/2025/post-1"  # an Atom id is resolved as a guid that is a link
    assert entry["content"][0]["base"] == "https://example.org/blog/2025/"


def test_xml_base_on_an_element_inside_an_entry():
    item = ('<item><title>Scoped</title><link xml:base="https://other.example.org/x/">thread/1</link>'
            '<comments xml:base="https://comments.example.org/">c/1</comments></item>')
    (entry,) = assert_same_entries(rss(item), mapped=1)
    assert entry["link"] == "https://other.example.org/x/thread/1"
    # An element feedparser has no handler for keeps its attributes, not its text.
    assert entry["comments"] == {"xml:base": "https://comments.example.org/"}


def test_atom_xhtml_content_is_replayed_and_reads_as_feedparser():
    entry = ('<entry><title>X</title><link href="https://example.org/x"/><id>tag:example.org,2025:x</id>'
             '<updated>2025-01-02T10:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
             "<p>Hello <b>world</b></p></div></content></entry>")
    (entry,) = assert_same_entries(atom(entry), mapped=0)
    assert entry["content"][0]["type"] == "application/xhtml+xml" and "<b>world</b>" in entry["content"][0]["value"]


def test_escaped_html_and_cdata_descriptions_read_alike():
    escaped = ("<item><title>Escaped</title><link>https://example.org/e</link>"
               "<description>&lt;p&gt;Council &amp;amp; mayor&lt;/p&gt;</description></item>")
    cdata = ("<item><title>CDATA</title><link>https://example.org/c</link>"
             "<description><![CDATA[<p>Council &amp; mayor</p>]]></description></item>")
    plain = "<item><title>Plain</title><link>https://example.org/p</link><description>Just words</description></item>"
    first, second, third = assert_same_entries(rss(escaped, cdata, plain), mapped=3)
    assert first["summary"] == second["summary"] == "<p>Council &amp; mayor</p>"
    assert first["summary_detail"]["type"] == "text/html" == third["summary_detail"]["type"]


def test_a_title_that_looks_like_html_is_typed_html():
    (entry,) = assert_same_entries(rss(rss_item("Fish &amp;amp; chips &lt;b&gt;now&lt;/b&gt;", "https://example.org/f")),
                                   mapped=1)
    assert entry["title_detail"]["type"] == "text/html"


def test_rss_author_email_and_name():
    item = rss_item("By line", "https://example.org/b", extra="<author>jane@example.org (Jane Doe)</author>")
    (entry,) = assert_same_entries(rss(item), mapped=1)
    assert entry["author"] == "jane@example.org (Jane Doe)"
    assert entry["author_detail"] == {"name": "Jane Doe", "email": "jane@example.org"}
    assert parse_feed(rss(item).encode(), URL, "application/xml").items[0].author == "Jane Doe"


def test_atom_author_name_email_uri():
    entry = ('<entry><title>A</title><link href="https://example.org/a"/><id>tag:example.org,2025:a</id>'
             "<updated>2025-01-02T10:00:00Z</updated><author><name>Ann Lee</name><email>ann@example.org</email>"
             "<uri>/people/ann</uri></author></entry>")
    (entry,) = assert_same_entries(atom(entry), mapped=1)
    assert entry["author_detail"]["href"] == "https://example.org/people/ann"


def test_several_categories_with_domains():
    item = rss_item("Tagged", "https://example.org/t",
                    extra='<category domain="https://example.org/sections">Politics</category>'
                          '<category domain="https://example.org/sections">Politics</category>'
                          "<category>Budget</category><category/>")
    (entry,) = assert_same_entries(rss(item), mapped=1)
    assert [tag["term"] for tag in entry["tags"]] == ["Politics", "Politics", "Budget"]
    assert entry["tags"][0]["scheme"] == "https://example.org/sections"


def test_media_group_content_thumbnail_credit_and_caption():
    group = ('<media:group><media:content url="https://example.org/big.jpg" medium="image" width="1200">'
             '<media:title type="plain">Ignored</media:title><media:credit role="photographer">A. Lens</media:credit>'
             "<media:description>The bridge at dawn</media:description></media:content>"
             '<media:content url="https://example.org/clip.mp4" type="Video/MP4" duration="95"/>'
             '<media:thumbnail url="https://example.org/small.jpg" width="120"/></media:group>')
    (entry,) = assert_same_entries(rss(rss_item("Pictured", "https://example.org/m", extra=group)), mapped=1)
    first, second = entry["media_content"]
    assert first["digest_caption"] == "The bridge at dawn" and first["digest_credit"] == "A. Lens"
    assert second["type"] == "video/mp4"  # feedparser lowercases type and rel values
    assert entry["media_thumbnail"][0]["url"] == "https://example.org/small.jpg"
    assert entry["title"] == "Pictured"


def test_itunes_duration_and_the_episode():
    extra = ('<enclosure url="https://example.org/ep1.mp3" length="123" type="audio/mpeg"/>'
             "<itunes:duration>1:02:03</itunes:duration><itunes:explicit>no</itunes:explicit>"
             '<itunes:image href="https://example.org/ep1.jpg"/><itunes:keywords>news, bridges</itunes:keywords>')
    body = rss(rss_item("Episode 1", "https://example.org/ep1", extra=extra)).replace(
        "<rss ", '<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" ', 1)
    (entry,) = assert_same_entries(body, mapped=1)
    assert entry["itunes_duration"] == "1:02:03"
    assert entry["enclosures"][0]["href"] == "https://example.org/ep1.mp3"
    assert parse_feed(body.encode(), URL, "application/xml").items[0].duration_seconds == 3723


def test_content_encoded_before_and_after_the_description():
    before = ("<item><title>Before</title><link>https://example.org/1</link>"
              "<content:encoded><![CDATA[<p>Full text</p>]]></content:encoded><description>Short</description></item>")
    after = ("<item><title>After</title><link>https://example.org/2</link><description>Short</description>"
             "<content:encoded><![CDATA[<p>Full text</p>]]></content:encoded></item>")
    first, second = assert_same_entries(rss(before, after), mapped=2)
    assert first["summary"] == second["summary"] == "Short"
    assert first["content"][0]["value"] == "<p>Full text</p>"


def test_a_second_summary_is_content():
    item = ("<item><title>Podcast</title><link>https://example.org/p</link><description>Show notes</description>"
            "<itunes:summary>Longer notes &lt;b&gt;bold&lt;/b&gt;</itunes:summary></item>")
    body = rss(item).replace("<rss ", '<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" ', 1)
    (entry,) = assert_same_entries(body, mapped=1)
    assert entry["summary"] == "Show notes" and entry["content"][0]["value"] == "Longer notes <b>bold</b>"


def test_guid_as_link_and_a_relative_link():
    permalink = "<item><title>G</title><guid>https://example.org/g</guid></item>"
    relative = '<item><title>R</title><link>/r?a=1&amp;b=2</link><guid isPermaLink="false">r-1</guid></item>'
    first, second = assert_same_entries(rss(permalink, relative), mapped=2)
    assert first["link"] == "https://example.org/g" and first["guidislink"] is True
    assert second["link"] == "https://example.org/r?a=1&b=2" and second["id"] == "r-1"


def test_an_unknown_namespace_is_filed_under_the_documents_prefix():
    body = rss(rss_item("Ext", "https://example.org/x", extra="<ext:Lead>Photo by X</ext:Lead>")).replace(
        "<rss ", '<rss xmlns:ext="https://publisher.example/ns" ', 1)
    (entry,) = assert_same_entries(body, mapped=1)
    assert entry["ext_lead"] == "Photo by X"


def test_a_standard_prefix_bound_elsewhere_turns_the_mapping_off():
    # feedparser's prefix map is global: "media" bound to Dublin Core renames keys.
    body = rss(rss_item("Odd prefixes", "https://example.org/o", extra="<dc:creator>Kim</dc:creator>")).replace(
        'xmlns:media="http://search.yahoo.com/mrss/"', 'xmlns:media="http://purl.org/dc/terms/"')
    assert_same_entries(body, mapped=0)


def test_mojibake_and_cp1252_repaired_as_feedparser_does():
    # UTF-8 bytes read as Latin-1 are read again; C1 controls become cp1252's quotes.
    mojibake = rss_item("CafÃ© crÃ¨me", "https://example.org/c")
    quoted = rss_item("A \u0093quoted\u0094 title", "https://example.org/q")
    first, second = assert_same_entries(rss(mojibake, quoted), mapped=2)
    assert first["title"] == "Café crème"
    assert second["title"] == "A \u201cquoted\u201d title"
