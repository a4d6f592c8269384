"""Issue 22, read by eye (second round): reading time only where true,
pictures, links, and entries lost or doubled. Each class on a written
sibling and on the captured feed that showed it."""

from __future__ import annotations

from test_cards import WORDS, by_title, channel, item, parse_file, parse_text

# ---------------------------------------------------------------- reading time


def test_a_papers_abstract_has_no_reading_time():
    abstract = f"<p>{WORDS * 8}</p>"  # 240 words: an abstract's length
    items = by_title(parse_text(channel(
        item("Preprint", abstract, "<dc:identifier>doi:10.1101/743294</dc:identifier>"),
        item("Journal", "A dek.", '<content:encoded><![CDATA[<h3>Abstract</h3><h4>Question</h4>'
                                  f"{abstract}]]></content:encoded>"),
        item("Paper in full", f"<p>{WORDS * 40}</p>", "<dc:identifier>doi:10.5555/12345</dc:identifier>"),
        item("Blog post", abstract, "<dc:identifier>urn:uuid:1234</dc:identifier>"),
        item("Summary first", f"<h3>Summary</h3>{abstract}"),
    )))
    assert items["Preprint"].excerpt and items["Journal"].excerpt
    # 1,200 words is the paper, not its abstract; a non-DOI identifier or a "Summary" heading says nothing.
    assert not items["Paper in full"].excerpt and not items["Blog post"].excerpt
    assert not items["Summary first"].excerpt


def test_captured_abstracts_have_no_reading_time():
    for name in ("rdf/biorxiv-plant-biology.rdf", "rdf/wiley-ns-on-channel.rdf"):
        items = parse_file(name).items
        assert items and all(i.excerpt for i in items), name


def test_a_teaser_ending_to_read_this_article_in_full_has_no_reading_time():
    jump = "<p class='jumpTag'><a href='/a#jump'>To read this article in full, please click here</a></p>"
    items = by_title(parse_text(channel(item("Jump", f"<p>{WORDS * 5}</p>{jump}"))))
    assert items["Jump"].excerpt
    macworld = by_title(parse_file("rss2/macworld-enclosure-images.rss"))
    assert macworld["Google Docs, Sheets, and Slides updates add support for iPhone X, iOS 11 drag-and-drop"].excerpt
    assert all(i.excerpt for i in macworld.values())


def test_style_rules_in_the_text_are_no_words():
    css = ".share-link a {\n margin: 0 10px 0 0;\n background: url(http://x.example.org/i.png) no-repeat 0 0;\n}\n" * 12
    items = by_title(parse_text(channel(
        item("Styled", f"<p>{WORDS * 2}</p>\n\n{css}"),
        item("Braces in prose", f"<p>{WORDS * 5} Write a {{ color: red }} rule, or the set {{1, 2}}.</p>"),
    )))
    styled = items["Styled"]
    assert "{" not in styled.text and "margin" not in styled.text and styled.excerpt
    assert "{ color: red }" in items["Braces in prose"].text
    neverwinter = by_title(parse_file("rss2/neverwinter-relative-urls.xml"))["2x Underdark Currency & 15% off Bags!"]
    assert "share-link" not in neverwinter.text and "Demogorgon!" in neverwinter.text
    assert neverwinter.excerpt  # 74 words kept: a teaser of its page


def test_a_writers_own_ellipsis_and_an_embedded_video_keep_the_reading_time():
    habit = f"<p>{WORDS * 2} Well.... {WORDS * 2} So.... {WORDS * 2} Maybe later....</p>"
    cut = f"<p>{WORDS * 5} And then the ...</p>"
    picture = '<media:content url="https://cdn.example.org/p.jpg" medium="image"/>'
    clip = '<media:content url="https://cdn.example.org/clip.mp4" medium="video"/>'
    items = by_title(parse_text(channel(
        item("Habit", habit), item("Cut", cut),
        item("Article with a clip", f"<p>{WORDS * 12}</p>", picture + clip),
        item("Video first", f"<p>{WORDS * 12}</p>", clip + picture),
    )))
    assert not items["Habit"].excerpt and items["Cut"].excerpt
    assert not items["Article with a clip"].excerpt and items["Video first"].excerpt
    chisato = by_title(parse_file("realworld-2/chisato-korean-euc-kr.rss"))
    assert not chisato["얌냠짭짭"].excerpt
    huffpost = by_title(parse_file("realworld-2/huffpost-canada-media-credit.rss"))
    assert not huffpost["Winnipeg High School Orders Custom Hijabs For Muslim Athletes"].excerpt
    # A teaser cut with "..." stays one (davidbau's content ends "CombinedStats....", its only ellipsis).
    davidbau = by_title(parse_file("realworld-2/davidbau-movabletype-iso-8859-1.rdf"))
    assert davidbau["Running Statistics for Pytorch"].excerpt
