"""Reading time, sentences, summaries and leads."""

from __future__ import annotations

from datetime import datetime, timezone

from digest.models import AuthorBlurb, Item, Story
from digest.summarize import LeadWriter, reading_minutes, split_sentences, summarize


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
