"""Issue 22, the card's lead: each class on a sibling entry written here and
on the captured feed that showed it."""

from __future__ import annotations

import pytest
from test_cards import by_title, channel, item, lead_of, parse_file, parse_text

from digest.stories.summarize import summarize

WORDS = "The council met on Tuesday to weigh the plan, and members from both sides said the vote would come soon."


def test_a_lead_ends_before_a_paragraph_whose_list_or_code_was_dropped():
    items = by_title(parse_text(channel(
        item("Code", "<p>The interface is low level, but workable:</p><pre>x = 1</pre><p>Note: it is optional.</p>"),
        item("Links", f"<p>{WORDS} All charts are listed here, including these:</p><ul><li><a href='https://a.example/1'>"
                      "One chart</a></li><li><a href='https://a.example/2'>Two charts</a></li></ul>"
                      "<p>This section contains disclaimers about the data.</p>"),
        item("Quote", "<p>The minister said:</p><p>We will build the line by spring.</p>"),
    )))
    assert lead_of(items["Code"]) == "The interface is low level, but workable…"
    assert lead_of(items["Links"]) == WORDS
    assert lead_of(items["Quote"]) == "The minister said: We will build the line by spring."
    sam = by_title(parse_file("atom/sam-ruby-xhtml.atom"))
    assert lead_of(sam["Inhibiting Suspend"]) == "The interface is a bit low level, but workable…"
    gn = by_title(parse_file("realworld-2/gamersnexus-byline-in-body.rss"))
    assert lead_of(gn["GN Mega Charts: CPU Benchmarks & Comparison"]) == (
        "This article is an entry in our GN Mega Charts series.")
    testing = by_title(parse_file("realworld-2/blogger-google-testing-s72c.atom"))
    assert "set up: The problem" not in lead_of(testing["Testing on the Toilet: Keep Cause and Effect Clear"])
    dustri = by_title(parse_file("realworld-2/dustri-same-blog.atom"))
    assert "package: Can you spot" not in lead_of(dustri["A sneaky Golang bug"])


def test_a_lead_does_not_repeat_the_headline():
    items = by_title(parse_text(channel(
        item("Parse podcast categories", "<pre>Parse podcast categories\n\nThe parser now reads itunes:category.</pre>"),
        item("Happy new year", "<p>Happy new year. We wish you all the best for the months ahead.</p>"),
        item("", "<p>Anyone want to debate XML and JSON? I have used both for years and know them well.</p>",
             link="https://sibling.example.org/n", guid="n"),
    )))
    assert lead_of(items["Parse podcast categories"]) == "The parser now reads itunes:category."
    assert lead_of(items["Happy new year"]) == "We wish you all the best for the months ahead."
    assert lead_of(items["Anyone want to debate XML and JSON?"]) == "I have used both for years and know them well."
    commits = by_title(parse_file("atom/github-commits-miniflux.atom"))
    lead = lead_of(commits["First steps towards trusted-types support"])
    assert lead.startswith("Refactor away some trival usages") and lead.endswith("/issues/277")  # no "." after a URL
    overcube = parse_file("encodings/euc-jp-overcube-atom03.xml").items[0]
    assert lead_of(overcube).startswith("今年もよろしくお願いします。") and "クリック" not in lead_of(overcube)
    gb = by_title(parse_file("encodings/gb2312-kc0011.rss"))
    assert lead_of(gb["收三盒泰山"]) == "要求原盒好品 18.8元/枚"
    scripting = by_title(parse_file("rss2/scripting-news-untitled-items.rss"))
    assert lead_of(scripting["Anyone want to blog-debate about XML vs JSON?"]).startswith("I've spent years using both")
    assert lead_of(scripting["This is the human side of Health care is socialist."])  # was "(untitled)", no lead


def test_a_text_cut_at_a_set_length_ends_in_an_ellipsis_not_a_full_stop():
    cut = ("No one needs to go to this annual gadget tradeshow when it's already over-covered by every media out")
    assert len(cut) == 100
    assert summarize(cut) == "No one needs to go to this annual gadget tradeshow when it's already over-covered by every media…"
    assert summarize(cut[:-4]) == cut[:-4] + "."  # 96 characters: a dek the feed ended without a stop
    bomb = [i for i in parse_file("podcast/giant-bombcast-730-episodes.rss").items if i.title.endswith("08/27/2013")][0]
    assert lead_of(bomb).endswith("and all the Dota 2 that you can…")
    pcmag = by_title(parse_file("realworld-2/pcmag-dvorak-nested-items.rss"))
    assert lead_of(pcmag["Apple Is Ready to Ditch the Mac"]).endswith("being poised to utterly…")


def test_boilerplate_credits_and_greetings_are_not_the_lead():
    items = by_title(parse_text(channel(
        item("Forum", "<p>Two sets for sale, forty each.</p><p>此主题相关图片如下：</p><p>此主题相关图片如下：</p>"),
        item("Greeting", f"<p>Dear all,</p><p>{WORDS}</p>"),
        item("Wire", f"<p>BAGHDAD (Reuters) - {WORDS}</p>"),
        item("Speakers", f"<p>{WORDS}</p><p>Speakers: Ann Lee, Bo Chan</p>"),
        item("Credits only", "<p>Executive Producers:</p><p>Sir Ann of Leeds, Duke of the North</p>"
                             "<p>Dame Bo of the Lost Pines County</p><p>Cy Dunn, Baron of the Clay Pitts</p>"
                             "<p>Sir Di Evans of the Main Line</p>"
                             "<p>Get the Show App for your iPhone</p>"),
    )))
    assert lead_of(items["Forum"]) == "Two sets for sale, forty each."
    assert lead_of(items["Greeting"]) == WORDS
    assert lead_of(items["Wire"]) == WORDS
    assert lead_of(items["Speakers"]) == WORDS
    assert lead_of(items["Credits only"]) == ""
    gb = by_title(parse_file("encodings/gb2312-kc0011.rss"))
    assert lead_of(gb["建国35周年纪念，华表，和平鸽"]).startswith("35周年1套520")
    reuters = parse_file("realworld-2/reuters-world-datelines-feedburner.rss").items
    assert not any("(Reuters) -" in lead_of(i) for i in reuters)
    no_agenda = parse_file("realworld-2/no-agenda-broken-entity.rss").items
    assert not any("Executive Producers" in lead_of(i) or "News App" in lead_of(i) for i in no_agenda)
    peertube = by_title(parse_file("realworld-2/peertube-noagendatube.rss"))
    assert "Podfriend" not in lead_of(peertube["Animated No Agenda - Defining Sexual Harassment [Remastered]"])
    medium = by_title(parse_file("rss2/medium-hodlhodl.rss"))
    assert lead_of(medium["Introducing a new feature: offer balance"]).startswith("Today we introduce")


def test_sentences_split_and_closed_as_their_script_writes_them():
    assert summarize("Han har fået en kontrakt i klubben.AC Horsens ser et stort lys i ham.").startswith(
        "Han har fået en kontrakt i klubben. AC Horsens")
    assert summarize("What.CD has been dead since 2016.") == "What.CD has been dead since 2016."
    assert summarize("ประมาณ 5 ปีที่ผ่านมา หลายหน่วยงานยอมรับ").endswith("ยอมรับ")  # no Latin "." after Thai
    bold = by_title(parse_file("malformed/bold-dk-wrong-encoding-bare-ampersand.xml"))
    assert lead_of(bold["U19-profil får kontrakt i AC Horsens"]).endswith("seniorkontrakt i klubben.")
    thai = parse_file("realworld-2/opentle-thai-tis-620-undated.rss").items
    assert lead_of(thai[0]).endswith("ยอมรับ") and lead_of(thai[-1]).endswith("อีกด้วย")


def test_the_lead_comes_from_a_whole_text_and_keeps_a_line_with_an_address():
    items = by_title(parse_text(channel(
        item("Cut", "Ann and guests discuss the man who, according to Machiavelli...",
             '<itunes:subtitle>Ann and guests discuss the life of the last good emperor.</itunes:subtitle>'),
        item("Invite", "<p>I have an invite or two for OiNK ( http://oink.me.uk )</p><p>Leave your mail here.</p>"),
    )))
    assert lead_of(items["Cut"]) == "Ann and guests discuss the life of the last good emperor."
    assert lead_of(items["Invite"]).startswith("I have an invite or two for OiNK.")
    bbc = by_title(parse_file("podcast/bbc-in-our-time.xml"))
    assert lead_of(bbc["Marcus Aurelius"]).startswith("Melvyn Bragg and guests discuss the life and meditations")
    df = by_title(parse_file("atom/daringfireball.atom"))
    assert lead_of(df["★ Update on The Talk Show Live From WWDC 2017"]).startswith("On Wednesday I put the first 500")
    hebrew = by_title(parse_file("encodings/windows-1255-hebrew-exego.xml"))
    assert lead_of(hebrew["oink invites / יותם הדר"]).startswith("יש לי הזמנה או 2 לאוינק")


@pytest.mark.parametrize("text, lead", [
    ("✍️ | Town have completed the signing of Barry Cotter.", "Town have completed the signing of Barry Cotter."),
    ("🚀 Launch day is here for the new reader.", "Launch day is here for the new reader."),
    ("−5 °C is expected overnight in the valleys.", "−5 °C is expected overnight in the valleys."),
    ("“Never again,” the minister said on Tuesday.", "“Never again,” the minister said on Tuesday."),
    ("#MeToo founder speaks at the conference.", "#MeToo founder speaks at the conference."),
])
def test_a_lead_does_not_open_with_emoji_or_bars(text, lead):
    from digest.stories.summarize import story_sentences

    assert story_sentences(text)[0] == lead


def test_the_guardian_live_blog_lead_opens_with_words():
    from digest.stories.summarize import summarize

    items = {i.title: i for i in parse_file("rss2/guardian-international.rss").items}
    moura = next(i for t, i in items.items() if t.startswith("Moura joins Spurs"))
    assert summarize(moura.lead_text or moura.text)[:1].isalnum()  # was "✍️ | Town have completed…"


def test_a_platform_title_glued_from_two_paragraphs_is_the_first_one():
    body = ("<p><b>United States, 1973: The Sierra</b></p><p>A three-bedroom ranch house with a large chimney "
            "sheltering the front porch.</p>")
    glued = parse_text(channel(item("United States, 1973: The SierraA three-bedroom ranch house with...", body)))
    [story] = glued.items
    assert story.title == "United States, 1973: The Sierra"  # was the glued, cut title
    assert story.lead_text.startswith("A three-bedroom ranch house")
    cut = parse_text(channel(item("A title the feed cut short in the middle of...", "<p>Its own text.</p><p>More.</p>")))
    assert cut.items[0].title == "A title the feed cut short in the middle of..."  # no glue: left as it is
    homes = {i.title for i in parse_file("realworld-2/tumblr-vintagehomeplans.rss").items}
    assert "United States, 1973: The Sierra" in homes and not any(t.endswith("...") for t in homes if "SierraA" in t)


def test_a_made_up_title_over_a_lead_that_lost_its_greeting_is_a_note():
    from digest.models import Story
    from digest.output.present import is_note

    posts = {i.title: i for i in parse_file("rss2/tumblr-sarahs-scribbles.rss").items}
    hi = posts["Hi friends!I am so happy to announce that my latest book,..."]
    assert not hi.lead_text.startswith("Hi friends")  # the greeting is no lead
    story = Story(item=hi, feed="Sarah's Scribbles", lead=summarize(hi.lead_text))
    assert is_note(story)  # so the sentence is said once, with no headline over it
    titled = posts[next(t for t in posts if t.startswith("Hey friends!"))]
    assert is_note(Story(item=titled, feed="Sarah's Scribbles", lead=summarize(titled.lead_text)))


@pytest.mark.parametrize("description, lead", [
    ("The council adopted a cycling plan on Tuesday, despite criticism over its cost. [&#8230;]",
     "The council adopted a cycling plan on Tuesday, despite criticism over its cost."),
    ("The council adopted a cycling plan on Tuesday, despite criticism over its cost [&#8230;]",
     "The council adopted a cycling plan on Tuesday, despite criticism over its cost…"),
    ("Le conseil a adopté mardi un plan vélo ambitieux, malgré les critiques sur son coût. [...]",
     "Le conseil a adopté mardi un plan vélo ambitieux, malgré les critiques sur son coût."),
])
def test_a_wordpress_excerpt_keeps_its_sentence_without_the_more_mark(description, lead):
    # WordPress's default excerpt: the sentence went with its "[…]" (no lead at all).
    [story] = parse_text(channel(item("Cycling plan", f"<p>{description}</p>"))).items
    assert summarize(story.lead_text) == lead


def test_a_real_title_the_post_repeats_stays_its_headline():
    from digest.models import Story
    from digest.output.present import is_note

    [post] = [i for i in parse_file("encodings/euc-jp-overcube-atom03.xml").items
              if i.title == "あけましておめでとうございます"]
    story = Story(item=post, feed="overcube", lead=summarize(post.lead_text))
    assert not story.lead.startswith("あけましておめでとうございます")  # the lead drops the repeat
    assert not is_note(story)  # so the greeting stays as the headline: it was in the email nowhere


def test_a_list_after_a_colon_is_read_whole_in_one_sentence():
    body = ("<p>Here is what changed in the new release:</p><ul><li>Faster startup</li><li>New dark mode</li></ul>"
            "<p>Upgrade with the package manager of your system.</p>")
    [story] = parse_text(channel(item("Release", body))).items
    # was "…the new release: Faster startup. Upgrade with…", as if the first item were the only one
    assert summarize(story.lead_text).startswith("Here is what changed in the new release: Faster startup; New dark mode.")
