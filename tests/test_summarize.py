"""Reading time, sentences, summaries and leads."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from digest.errors import ConfigError
from digest.models import AlsoCovered, AuthorBlurb, Item, Story
from digest.stories.summarize import LeadWriter, reading_minutes, split_sentences, summarize


def test_reading_time_is_ceil_words_over_230_at_least_one():
    assert reading_minutes("") == 1
    assert reading_minutes("word " * 230) == 1
    assert reading_minutes("word " * 231) == 2
    assert reading_minutes("word " * 320) == 2


def test_sentences_do_not_break_at_abbreviations_initials_or_decimals():
    text = ("The U.S. Federal Reserve held rates at 4.5 percent on Dec. 27, officials said. "
            "Mr. Powell spoke at No. 10 Main St. in Washington, D.C. before noon. "
            "J. R. Smith disagreed! Markets rose 1.2% by 3 p.m. Eastern time.")
    assert split_sentences(text) == [
        "The U.S. Federal Reserve held rates at 4.5 percent on Dec. 27, officials said.",
        "Mr. Powell spoke at No. 10 Main St. in Washington, D.C. before noon.",
        "J. R. Smith disagreed!",
        "Markets rose 1.2% by 3 p.m. Eastern time.",
    ]


def test_summary_stops_at_a_sentence_boundary_and_skips_boilerplate():
    text = ("Continue reading below. First sentence has five words. Second one is here too. "
            "Third sentence would pass the limit of words for sure.")
    assert summarize(text, max_words=12) == "First sentence has five words. Second one is here too."


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis():
    summary = summarize("one, two three four five six seven eight nine ten.", max_words=4)
    assert summary == "one, two three four…"


def _story(**item_fields) -> Story:
    item = Item(feed_url="f", key="k", title="A title", link="https://e.example/",
                author="Ann Author", published=datetime(2025, 1, 2, tzinfo=timezone.utc), **item_fields)
    return Story(item=item, feed="The Feed", summary="It happened.", reading_minutes=3,
                 author_blurb=AuthorBlurb(name="Ann Author", role="Editor"))


def test_lead_template_sees_the_item_fields():
    writer = LeadWriter("{{ item.author }} ({{ item.author_role }}) for {{ item.feed }}: {{ item.summary }} "
                        "{{ item.reading_minutes }} min")
    assert writer.lead(_story()) == "Ann Author (Editor) for The Feed: It happened. 3 min"


def test_lead_template_failure_falls_back_to_the_summary_and_warns_once():
    warnings = []
    writer = LeadWriter("{{ item.nope }}", warn=warnings.append)
    assert writer.lead(_story()) == "It happened."
    assert writer.lead(_story()) == "It happened."
    assert len(warnings) == 1 and "nope" in warnings[0]


def test_lead_template_is_sandboxed():
    warnings = []
    writer = LeadWriter("{{ item.__class__.__mro__ }}", warn=warnings.append)
    assert writer.lead(_story()) == "It happened."
    assert warnings


# A real news paragraph (Associated Press style, from public reporting of
# 31 Jan 2018) full of abbreviations, initials, times and decimals.
AP_PARAGRAPH = (
    "An Amtrak train carrying more than 100 Republican members of Congress to a retreat in "
    "White Sulphur Springs, W.Va., struck a garbage truck near Crozet, Va., on Wednesday. "
    "Rep. Jason Lewis of Minnesota said the lawmakers were unhurt. The train left Washington, D.C. "
    "at about 9 a.m. and was due at 2 p.m. on Jan. 31, according to the U.S. Capitol Police. "
    "Sen. John Barrasso, an orthopedic surgeon, and Dr. Brad Wenstrup helped the injured. "
    "Shares of the operator fell 2.5 percent, to $11.40, by 3:15 p.m. Eastern time."
)


def test_sentence_splitter_on_a_real_news_paragraph():
    assert split_sentences(AP_PARAGRAPH) == [
        "An Amtrak train carrying more than 100 Republican members of Congress to a retreat in "
        "White Sulphur Springs, W.Va., struck a garbage truck near Crozet, Va., on Wednesday.",
        "Rep. Jason Lewis of Minnesota said the lawmakers were unhurt.",
        "The train left Washington, D.C. at about 9 a.m. and was due at 2 p.m. on Jan. 31, "
        "according to the U.S. Capitol Police.",
        "Sen. John Barrasso, an orthopedic surgeon, and Dr. Brad Wenstrup helped the injured.",
        "Shares of the operator fell 2.5 percent, to $11.40, by 3:15 p.m. Eastern time.",
    ]


def test_boilerplate_bylines_captions_and_share_lines_never_reach_the_summary():
    text = ("By Dana Whitfield\n\nPhotograph: Steve Helber/AP\n\n"
            "The train struck a truck near Crozet on Wednesday.\n\n"
            "Share this: Twitter, Facebook\n\nRead more\n\nContinue reading...\n\n"
            "The post Train hits truck appeared first on Capitol Wire.")
    assert summarize(text, 45) == "The train struck a truck near Crozet on Wednesday."


def test_a_standfirst_without_a_full_stop_gets_one_and_short_headings_are_dropped():
    text = ("Officials say the line will reopen within days of the repairs\n\nQuick summary\n\n"
            "Crews replaced two spans of the bridge.")
    assert summarize(text, 45) == ("Officials say the line will reopen within days of the repairs. "
                                   "Crews replaced two spans of the bridge.")


def test_the_lead_reads_from_the_opening_in_order_and_skips_no_sentence():
    text = ("Residents woke to snow on Tuesday. "
            "It was a quiet morning in the town. "
            "The council closed every school because of the snow storm.")
    assert summarize(text, max_words=16) == "Residents woke to snow on Tuesday. It was a quiet morning in the town."
    assert summarize(text, max_words=12) == "Residents woke to snow on Tuesday."


def test_the_summary_never_passes_the_word_budget_and_ends_at_a_sentence():
    summary = summarize(AP_PARAGRAPH, max_words=30)
    assert len(summary.split()) <= 30
    assert summary.endswith(".") and summary in AP_PARAGRAPH


def test_a_cut_sentence_never_ends_on_an_abbreviation_or_mid_word():
    text = "The senators met officials of the U.S. Department of Transportation on Friday to talk."
    summary = summarize(text, max_words=7)
    assert summary == "The senators met officials…"  # not "…of the U.S.…"
    assert all(word in text.split() for word in summary.rstrip("…").split())


def test_lead_templates_per_tag_with_the_default_for_other_tags():
    writer = LeadWriter("{{ item.feed }}: {{ item.summary }}",
                        templates={"blogs": "{{ item.author }} writes: {{ item.summary }}"})
    blog, news = _story(), _story()
    blog.tags, news.tags = ["blogs"], ["news"]
    assert writer.lead(blog) == "Ann Author writes: It happened."
    assert writer.lead(news) == "The Feed: It happened."


def test_a_lead_template_sees_also_and_updated():
    story = _story()
    story.also = [AlsoCovered(feed="Wire", link="https://w/1"), AlsoCovered(feed="Post", link="https://p/1")]
    writer = LeadWriter("{{ 'Updated: ' if item.updated }}{{ item.summary }} Also in {{ item.also | join(' and ') }}.")
    assert writer.lead(story) == "It happened. Also in Wire and Post."


def test_a_syntax_error_in_a_tag_template_names_the_file_and_key():
    with pytest.raises(ConfigError) as error:
        LeadWriter("{{ item.summary }}", templates={"news": "{{ item.summary "}, config_path="/etc/digest.toml")
    assert str(error.value).startswith("/etc/digest.toml: lead.templates.news:")


# ------------------------------------------------------------ bounded work


def test_a_summary_splits_only_the_start_of_a_long_text(monkeypatch):
    """Six sentences are all a summary keeps; splitting a whole 10 MB body
    to find them made one item cost more than a day of feeds."""
    import digest.stories.summarize

    seen = []
    real = digest.stories.summarize.split_sentences
    monkeypatch.setattr(digest.stories.summarize, "split_sentences", lambda text: seen.append(len(text)) or real(text))
    text = "The council approved the bridge budget on Thursday. " * 20_000
    assert summarize(text, 20).startswith("The council approved the bridge budget")
    assert seen and sum(seen) <= digest.stories.summarize.SUMMARY_CHARS


def test_a_text_cut_for_its_summary_loses_the_half_sentence_at_the_cut():
    from digest.stories.summarize import SUMMARY_CHARS

    tail = "Crews worked through the night on the bridge. "
    # Two sentences far past the summary's 45 words, then the cut falls
    # right after "... the night on".
    first = "Alpha " * 830 + "ends here. "
    room = SUMMARY_CHARS - len(first) - len("Crews worked through the night on") - len(" ends. ")
    head = first + ("Beta " * 1000)[:room] + " ends. "
    cut_inside = head + tail + "More text follows. " * 50
    assert cut_inside[:SUMMARY_CHARS].endswith("the night on")
    assert "Crews worked" not in summarize(cut_inside, 45)  # "... the night on." is no sentence
    from digest.stories.summarize import _leading_sentences

    assert not _leading_sentences(cut_inside)[-1].startswith("Crews worked")
    assert _leading_sentences(first + tail)[-1] == tail.strip()  # uncut, the whole sentence is there


def test_the_splitter_looks_at_each_word_once(monkeypatch):
    """Each stop is checked against its own word, never the sentence so
    far: "U.S. " x 10,000 (one sentence of abbreviations) took 20 s, and
    20 KB of "." 10 s."""
    import digest.stories.summarize

    looked_at = []
    real = digest.stories.summarize._is_abbreviation
    monkeypatch.setattr(digest.stories.summarize, "_is_abbreviation", lambda word: looked_at.append(len(word)) or real(word))
    text = "U.S. " * 10_000 + "Senate votes. Then J. Smith spoke."
    assert split_sentences(text) == [("U.S. " * 10_000 + "Senate votes.").strip(), "Then J. Smith spoke."]
    assert sum(looked_at) <= len(text)
    assert split_sentences("." * 20_000) == ["." * 20_000]
    assert split_sentences("Wait... What? Yes!! No.") == ["Wait...", "What?", "Yes!!", "No."]
