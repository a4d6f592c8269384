"""The entry reader's shortcuts give what the longer way gave: each is a
cheaper test that must agree with the one it stands in front of (or for)."""

from __future__ import annotations

import re
import string
import sys

import pytest

from digest.sources import boilerplate, sanitize
from digest.sources.boilerplate import is_promo, text_words
from digest.sources.bylines import Publisher, byline
from digest.sources.parse import _stored_fields, parse_feed
from digest.text import _ASTRAL_NONCHARACTERS, _CONTROL, repair_text, strip_control


def test_every_character_strip_control_takes_out_is_one_isprintable_refuses():
    # strip_control hands back a printable text untouched: that is only
    # right while no character it strips counts as printable.
    stripped = [chr(code) for code in range(sys.maxunicode + 1)
                if _CONTROL.match(chr(code)) or _ASTRAL_NONCHARACTERS.match(chr(code))]
    assert len(stripped) > 2000
    assert [char for char in stripped if char.isprintable()] == []


@pytest.mark.parametrize("text, kept", [
    ("Plain headline", "Plain headline"),
    ("tab\tand\x0bvertical tab", "tab\tandvertical tab"),
    ("no\u00a0break and zero\u200bwidth", "no\u00a0break and zerowidth"),
    ("bidi \u202eexe.jpg", "bidi exe.jpg"),
    ("astral \U0001fffe noncharacter \U0001f600", "astral  noncharacter \U0001f600"),
])
def test_strip_control_with_and_without_the_printable_shortcut(text, kept):
    assert strip_control(text) == kept


def _folds_of(letter: str) -> set[str]:
    """Every character re.IGNORECASE matches to the letter, among those
    whose case mapping starts with an ASCII letter."""
    candidates = (chr(code) for code in range(sys.maxunicode + 1))
    near = (char for char in candidates
            if char.lower()[:1] in string.ascii_letters or char.upper()[:1] in string.ascii_letters)
    pattern = re.compile(letter, re.IGNORECASE)
    return {char for char in near if pattern.fullmatch(char)}


def test_the_case_classes_of_the_promo_regex_are_the_letters_foldings():
    found = {letter: _folds_of(letter) for letter in string.ascii_lowercase}
    expected = {letter: set(boilerplate._FOLDS.get(letter, letter.upper() + letter)) for letter in found}
    assert found == expected


_PLAIN_PROMO = re.compile(
    rf"^(?:{'|'.join(boilerplate._PROMO_AT_START)})|"
    rf"\b(?:{'|'.join(boilerplate._PROMO_AT_WORD + boilerplate._CONSENT)})|"
    rf"{'|'.join(boilerplate._PROMO_ANYWHERE)}", re.IGNORECASE)


@pytest.mark.parametrize("text", [
    "Subscribe to our newsletter", "ſubſcribe now", "Follow us on Twitter: @x", "İnstagram: @x",
    "Our website uses cookies to improve it", "The show is produced by Jane", "Full transcript at example.org",
    "Transcript here", "New episodes drop every Monday", "This episode is brought to you by Acme",
    "KO-FI page", "Ko-fi page", "\u212ao-fi page", "\u0130nstagram: @x", "\u0131nstagram: @x", "Get yourself the Acme Deluxe app today", "privacy & terms",
    "The minister said talks would go on after the vote.", "Apple shares rose on Tuesday", "unsubscribed",
    "A sponsorship deal with the club", "we are out now in stores", "The satsuma harvest", "sats",
])
def test_the_grouped_promo_regex_matches_where_the_plain_alternation_does(text):
    assert bool(boilerplate._PROMO.search(text)) == bool(_PLAIN_PROMO.search(text))


def test_is_promo_still_tells_promo_from_story():
    assert is_promo("Support the show on Patreon")
    assert is_promo("Listen on Apple Podcasts, wherever you get your podcasts")
    assert not is_promo("The council approved the budget after a long debate.")


def _each_url_absolute(html: str) -> bool:
    """The test _only_absolute_urls replaced: the value after each href and src."""
    value = re.compile(r"""\s*=\s*["']?\s*(?:https?|mailto):""", re.I)
    return all(value.match(html, word.end()) for word in sanitize._URL_ATTRIBUTE.finditer(html))


@pytest.mark.parametrize("html", [
    '<a href="https://example.org/a">a</a>', '<a HREF = "/relative">a</a>', "<img src='pic.jpg'>",
    '<img ſrc="pic.jpg">', '<a href="mailto:x@example.org">x</a><img src="HTTPS://cdn.example/p.png">',
    "the word href in a sentence", "no links at all", '<img srcset="a.jpg 2x" src="http://a.example/b.jpg">',
])
def test_only_absolute_urls_answers_as_the_test_of_each_value_did(html):
    assert sanitize._only_absolute_urls(html) == _each_url_absolute(html)


@pytest.mark.parametrize("text", ["plain ASCII words here", "CJK 漢字を含む文", "Café au lait", ""])
def test_text_words_of_ascii_and_other_text(text):
    cjk = len(boilerplate._CJK_CHAR.findall(text))
    expected = len(boilerplate._CJK_CHAR.sub(" ", text).split()) + (cjk + 1) // 2 if cjk else len(text.split())
    assert text_words(text) == expected


def test_repair_text_still_repairs_and_leaves_ascii_alone():
    assert repair_text("CafÃ© society") == "Café society"
    ascii_text = "Ordinary text, 100% ASCII."
    assert repair_text(ascii_text) is ascii_text


def test_byline_remembered_gives_the_same_answer_for_each_publisher():
    guardian = Publisher.of("The Guardian", "theguardian.com")
    other = Publisher.of("Jane Doe", "janedoe.example")
    assert byline("Jane Doe", guardian) == "Jane Doe"
    assert byline("Jane Doe", other) == ""  # the feed's own name is no byline
    assert byline("Jane Doe", guardian) == "Jane Doe"


def test_stored_fields_carry_the_enclosures_feedparser_derives_from_links():
    feedparser = pytest.importorskip("feedparser")
    entry = feedparser.FeedParserDict(
        id="1", links=[feedparser.FeedParserDict(rel="enclosure", href="https://a.example/e.mp3", type="audio/mpeg"),
                       feedparser.FeedParserDict(rel="alternate", href="https://a.example/post")])
    fields = _stored_fields(entry)
    assert type(fields) is dict
    assert [e["href"] for e in fields["enclosures"]] == ["https://a.example/e.mp3"]
    assert fields["id"] == "1"


def test_an_episode_read_through_the_plain_fields_is_still_an_episode():
    body = b"""<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
    <channel><title>Show</title><link>https://show.example/</link>
    <item><title>Episode 1</title><link>https://show.example/1</link><guid>ep1</guid>
    <description>Notes of the first episode.</description>
    <enclosure url="https://show.example/1.mp3" type="audio/mpeg" length="1"/></item></channel></rss>"""
    (item,) = parse_feed(body, "https://show.example/feed", "application/rss+xml").items
    assert item.excerpt  # an episode: its notes have no reading time
