"""Issue 22, read by eye (second round): reading time only where true,
pictures, links, and entries lost or doubled. Each class on a written
sibling and on the captured feed that showed it."""

from __future__ import annotations

import pytest
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


def test_a_blogger_jump_break_teaser_has_no_reading_time():
    jump = '<a href="https://sibling.example.org/jump#more">Did You Click to Read the Whole Story?</a>'
    items = by_title(parse_text(channel(item("Jump", f"<p>{WORDS * 5}</p>{jump}"))))
    assert items["Jump"].excerpt
    quilts = by_title(parse_file("atom/blogger-quiltville.atom"))
    assert quilts["Red Birthday Tractors for the Win!"].excerpt  # 130 words: was "1 min read"
    assert all(i.excerpt for i in quilts.values())


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


# ---------------------------------------------------------------- pictures

PHOTO = "https://cdn.example.org/photos/{}.jpg"


def test_a_caption_or_alt_that_only_says_picture_or_repeats_the_title_is_none():
    names = iter(range(100))

    def picture(alt: str, title_attr: str = "") -> str:
        return f'<p><img src="{PHOTO.format(next(names))}" alt="{alt}" title="{title_attr}"/></p><p>{WORDS}</p>'
    items = by_title(parse_text(channel(
        item("Thumbnail", picture("Thumbnail image of graphical abstract", "Thumbnail image of graphical abstract")),
        item("The lake at dawn", picture("The lake at dawn", "The lake at dawn")),
        item("Episode 12", picture("Episode image for Episode 12")),
        item("Size", picture("62705 B")),
        item("File", picture("WeekInReview_thumb_thumb_thumb[2]")),
        item("Run together", picture("AppleWatchSeries3-FitnessSportUse")),
        item("Click", picture("图片点击可在新窗口打开查看")),
        item("Click English", picture("Click image to open in a new window")),
        item("Real", picture("Fishermen on the lake at dawn", "Fishermen set out before the storm")),
    )))
    for title in ("Thumbnail", "The lake at dawn", "Episode 12", "Size", "File", "Run together", "Click",
                  "Click English"):
        image = items[title].image
        assert image and image.caption == "" and image.alt == "", (title, image)
    real = items["Real"].image
    assert real.caption == "Fishermen set out before the storm" and real.alt == "Fishermen on the lake at dawn"


def test_captured_captions_and_alts_that_say_nothing():
    wiley = parse_file("rdf/wiley-ns-on-channel.rdf").items
    assert all(i.image and not i.image.caption and not i.image.alt for i in wiley)
    reddit = by_title(parse_file("atom/reddit-frontpage-xhtml.atom"))["How the British as seen by Americans and Europeans"]
    assert reddit.image and reddit.image.caption == "" and reddit.image.alt == ""
    for name, bad in (("realworld-2/10e-org-shift-jis.rdf", " B"), ("podcast/cre-podlove-chapters.xml", "Episode image"),
                      ("encodings/gb2312-kc0011.rss", "点击")):
        alts = [i.image.alt for i in parse_file(name).items if i.image]
        assert alts and not any(bad in alt for alt in alts), name
    rainmaker = by_title(parse_file("rss2/dcrainmaker-wordpress-long-content.xml"))
    assert rainmaker["Week in Review–Nov 5th, 2017"].image.alt == ""


def test_an_items_own_episode_art_stands():
    art = "https://cdn.example.org/{}/images/ad5453f1-3ccc-4384-be03-9a4a7558370b/episode{}.jpg"
    episodes = [item(f"Episode {n}", f"<p>{WORDS}</p>", f'<itunes:image href="{art.format(n, n)}"/>'
                     f"<itunes:duration>20:00</itunes:duration>") for n in range(1, 5)]
    xml = channel(*episodes).replace(
        "<channel><title>Sibling</title>", f'<channel><title>Sibling</title><itunes:image href="{art.format(1, 1)}"/>')
    items = by_title(parse_text(xml))
    # The channel's image is episode 1's own art (a UUID beginning "ad5" is no ad).
    assert {t: i.image and i.image.url for t, i in items.items()} == {f"Episode {n}": art.format(n, n) for n in range(1, 5)}
    logo = "https://cdn.example.org/logo.jpg"
    repeated = channel(*[item(f"Show {n}", f"<p>{WORDS}</p>", f'<itunes:image href="{logo}"/>') for n in range(4)])
    assert not any(i.image for i in parse_text(repeated.replace(
        "<channel><title>Sibling</title>", f'<channel><title>Sibling</title><itunes:image href="{logo}"/>')).items)
    night_vale = parse_file("podcast/welcome-to-night-vale.xml").items
    assert night_vale[2].image.url.endswith("/episodes58.jpg")
    no_agenda = parse_file("realworld-2/no-agenda-broken-entity.rss").items
    assert no_agenda[0].image.url == "https://noagendaassets.com/enc/1635105347.022_na-1393-art-feed.png"


# ---------------------------------------------------------------- links

FEEDBURNER = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'


def test_a_redirector_that_spells_out_its_target_links_the_target():
    items = by_title(parse_text(channel(
        item("Alert", link="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example.org/2019/07/story/"
                           "&amp;ct=ga&amp;cd=CAIy&amp;usg=AFQj"),
        item("Search", link="https://www.google.com/search?q=slack"),
        item("BBC", link="http://www.bbc.co.uk/go/wsy/pub/rss/1.0/-/hungarian/news/story/2005/06/050627_iraq.shtml"),
    )))
    assert items["Alert"].link == "https://news.example.org/2019/07/story/"
    assert items["Search"].link == "https://www.google.com/search?q=slack"
    assert items["BBC"].link == "http://www.bbc.co.uk/hungarian/news/story/2005/06/050627_iraq.shtml"
    alerts = parse_file("atom/google-alerts.atom").items
    assert not any("google.com/url" in i.link for i in alerts)
    assert alerts[-1].link == "https://mspoweruser.com/latest-research-shows-microsoft-teams-is-stomping-slack/"
    hungarian = parse_file("encodings/windows-1250-bbc-hungarian.rdf").items
    assert hungarian[0].link == "http://www.bbc.co.uk/hungarian/news/story/2005/06/050627_rumsfeldiraq.shtml"


def test_an_empty_item_inside_an_item_takes_nothing_from_it():
    orig = (f"<item /><feedburner:origLink {FEEDBURNER}>https://www.sibling.example.org/article/2525649.asp"
            "?kc=PCRSS03079TX1K0000584</feedburner:origLink>")
    feed = parse_text(channel(
        item("Nested", f"<p>{WORDS}</p>", orig, link="http://feedproxy.google.com/~r/sibling/~3/0O-eU/2525649.asp"),
        item("Plain", f"<p>{WORDS}</p>"),
        "<item></item>",
    ))
    assert [i.title for i in feed.items] == ["Nested", "Plain"]
    assert feed.items[0].link == "https://www.sibling.example.org/article/2525649.asp"
    pcmag = parse_file("realworld-2/pcmag-dvorak-nested-items.rss").items
    assert len(pcmag) == 10 and all(i.link.startswith("http://www.pcmag.com/article2/0,2817,") for i in pcmag)
    assert pcmag[0].link == "http://www.pcmag.com/article2/0,2817,2525649,00.asp"


def test_a_posts_anchor_on_a_page_of_several_is_kept():
    day = "https://sibling.example.org/2017/06/20.html"
    items = by_title(parse_text(channel(
        item("Morning", f"<p>{WORDS}</p>", link=f"{day}#a100647", guid=f"{day}#a100647"),
        item("Evening", f"<p>{WORDS} Later.</p>", link=f"{day}#a190312", guid=f"{day}#a190312"),
        item("Tracked", f"<p>{WORDS} Other.</p>", link="https://sibling.example.org/t.php#xtor=RSS-1",
             guid="https://sibling.example.org/t.php#xtor=RSS-1"),
        item("Jump", f"<p>{WORDS} Jump.</p>", link="https://sibling.example.org/j.html#comments", guid="j-1"),
    )))
    assert items["Morning"].link == f"{day}#a100647" and items["Evening"].link == f"{day}#a190312"
    assert items["Tracked"].link == "https://sibling.example.org/t.php"
    assert items["Jump"].link == "https://sibling.example.org/j.html"  # the guid does not name the anchor
    scripting = parse_file("rss2/scripting-news-untitled-items.rss").items
    assert all("#a" in i.link for i in scripting)
    assert any(i.link == "http://scripting.com/2017/06/20.html#a100647" for i in scripting)


# ---------------------------------------------------------------- entries lost or doubled


def test_two_posts_a_generator_gave_one_guid_are_both_stories():
    day = "https://sibling.example.org/2017/06/25.html#a080631"
    feed = parse_text(channel(
        item("Good morning", "Good morning Internet guzzlers!", link=day, guid=day, date="Sun, 25 Jun 2017 12:27:31 GMT"),
        item("Dropbox", f"<p>{WORDS}</p>", link=day, guid=day, date="Sun, 25 Jun 2017 12:32:31 GMT"),
        item("Edited", f"<p>{WORDS}</p>", guid="e-1", date="Sun, 25 Jun 2017 10:00:00 GMT"),
        item("Edited", f"<p>{WORDS} And one line more.</p>", guid="e-1", date="Sun, 25 Jun 2017 11:00:00 GMT"),
    ))
    by_key = {i.key: i.title for i in feed.items}
    assert by_key[f"guid:{day}"] == "Good morning"  # the earlier keeps its identity
    assert sorted(by_key.values()) == ["Dropbox", "Edited", "Good morning"]  # the edited post shows once
    scripting = parse_file("rss2/scripting-news-untitled-items.rss").items
    assert len(scripting) == 50
    titles = [i.title for i in scripting]
    assert "Good morning Internet guzzlers! 🍺" in titles and "Republican-inspired art" in titles
    assert any(t.startswith("In 2015 I wrote that Dropbox") for t in titles)
    assert any(t.startswith("I get my health insurance through the ACA") for t in titles)


def test_a_stub_that_links_to_another_entry_of_its_title_is_that_entry():
    whole = "https://sibling.example.org/wild-flavors-80e0"
    stub = ("<p>Fallen leaves and chilly temperatures.</p><p><strong><em>This story is now unlocked and available to "
            f"all of our readers:</em></strong></p><p><a href='{whole}'>Wild Flavors</a></p>")
    feed = parse_text(channel(
        item("Wild Flavors", f"<p>{WORDS * 10}</p>", link=f"{whole}?source=rss", guid="p-80e0"),
        item("Wild Flavors", stub, link="https://sibling.example.org/wild-flavors-7176", guid="p-7176"),
        item("Other title", f"<p>{WORDS}</p><p><a href='{whole}'>see this</a></p>", guid="p-9"),
    ))
    assert sorted((i.title, i.link) for i in feed.items) == [
        ("Other title", "https://sibling.example.org/other-title"), ("Wild Flavors", whole)]
    medium = parse_file("realworld-2/medium-invironment-figcaption.rss").items
    wild = [i for i in medium if i.title == "Wild Flavors All Year Round"]
    assert len(medium) == 6 and len(wild) == 1
    assert wild[0].link == "https://medium.com/invironment/wild-flavors-all-year-round-80e0fcbaf18d"


def test_an_episode_without_a_link_links_its_own_file_without_download_counters():
    counted = ("https://dts.podtrac.com/redirect.mp3/chrt.fm/track/9EE2G/pdst.fm/e/"
               "cdn.example.org/episodes/42.mp3")
    items = by_title(parse_text(channel(
        item("Episode", "<p>An hour on the history of the council.</p>", link="",
             extra=f'<enclosure url="{counted}" type="audio/mpeg" length="1000"/>'),
        item("Article", "<p>Text.</p>", link="https://sibling.example.org/article",
             extra=f'<enclosure url="{counted}" type="audio/mpeg" length="1000"/>'),
        item("Nothing", "<p>Text.</p>", link="", guid="tag:x,2021:1"),
    )))
    assert items["Episode"].link == "https://cdn.example.org/episodes/42.mp3"  # was no link at all
    assert items["Article"].link == "https://sibling.example.org/article"  # the page, where there is one
    assert items["Nothing"].link == ""
    wondery = parse_file("realworld-2/wondery-1865-no-item-links.rss").items
    assert wondery and all(i.link.startswith("https://rss.art19.com/episodes/") for i in wondery)


STORY_FILES = ("twitter-ceo-musk-court.jpg facebook-whistleblower-hearing.jpg social-media-ban-australia.jpg "
               "share-prices-fall.jpg counter-protest-berlin.jpg police-badge-closeup.jpg fashion-icon-dies-at-90.jpg "
               "signature-dish-paris.jpg blank-ballot-papers.jpg reddit-ipo-trading-floor.jpg headshot-new-ceo.jpg "
               "linkedin-layoffs.jpg buttons-sewing-workshop.jpg ad-revenue-chart.png ad_hoc_meeting.jpg").split()
FURNITURE_FILES = "twitter.png share-button.png facebook-icon.png social-share.png donate.gif emoji_smile.png".split()


def test_a_photo_named_for_its_story_is_kept_whatever_words_its_name_holds():
    def pictures(names, size=""):
        items = [item(f"Story {n}", "<p>Text.</p>",
                      f'<media:content url="https://w.example.org/uploads/2024/12/{name}" medium="image"{size}/>')
                 for n, name in enumerate(names)]
        return {name: story.image for name, story in zip(names, parse_text(channel(*items)).items)}

    declared = pictures(STORY_FILES, ' width="1600" height="900"')
    assert all(declared.values()), [n for n, image in declared.items() if not image]  # 16 of them were dropped
    undeclared = pictures(STORY_FILES)
    assert undeclared["twitter-ceo-musk-court.jpg"] and undeclared["ad-revenue-chart.png"]  # a story's slug
    assert not any(pictures(FURNITURE_FILES).values())  # the page's own buttons and icons stay out


def test_an_item_linking_a_video_page_is_a_video_not_a_read():
    notes = "<p>" + "In this talk we walk through the new release and answer questions from the audience. " * 40 + "</p>"
    items = by_title(parse_text(channel(
        item("Talk", notes, link="https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        item("Clip", notes, link="https://vimeo.com/123456789"),
        item("Article about YouTube", notes, link="https://news.example.org/youtube-policy"),
    )))
    assert items["Talk"].excerpt and items["Clip"].excerpt  # was "3 min read" over the video's notes
    assert not items["Article about YouTube"].excerpt


@pytest.mark.parametrize("more", ["Läs mer", "Læs mere", "Devamını oku", "Czytaj więcej", "Baca selengkapnya",
                                  "Xem thêm", "Lue lisää", "Číst dál", "Olvass tovább", "Leer más"])
def test_a_teaser_ending_in_read_more_in_any_language_has_no_reading_time(more):
    body = f'<p>{WORDS * 10}</p><p><a href="https://sibling.example.org/teaser">{more}</a></p>'
    [story] = parse_text(channel(item("Teaser", body))).items
    assert story.excerpt  # 300 words and a "read more" link: was "2 min read"
    from digest.stories.summarize import summarize

    assert more not in summarize(story.lead_text)


@pytest.mark.parametrize("line, caption, credit", [
    ("Jane Doe/AP", "", "Jane Doe/AP"),  # was caption "Jane", credit "Doe/AP"
    ("El rey en Madrid el martes. Foto: Juan Pérez (EFE)", "El rey en Madrid el martes.", "Juan Pérez (EFE)"),
    ("Le président à l'Assemblée nationale. Crédit photo : Jean Dupont / AFP",
     "Le président à l'Assemblée nationale.", "Jean Dupont / AFP"),  # was "… nationale. Crédit"
    ("The bridge at dawn. © 2024 Jane Doe. All rights reserved.", "The bridge at dawn.", "Jane Doe"),
    ("Protesters in the square [Jane Doe/Al Jazeera]", "Protesters in the square", "Jane Doe/Al Jazeera"),
    ("A train at dawn. Photo: Jane Doe", "A train at dawn.", "Jane Doe"),  # as before
    ("Talks in Vienna (Photo by Jane Doe/AFP via Getty Images)", "Talks in Vienna", "Jane Doe/AFP via Getty Images"),
])
def test_captions_and_credits_split_where_a_reader_would(line, caption, credit):
    from digest.sources.blocks import split_caption

    assert split_caption(line) == (caption, credit)
