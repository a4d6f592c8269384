"""What a story card states, worked out once for every template: the time
on its meta line, a one-sentence lead for a compact row, alt text that does
not repeat what is printed next to it, whether a post is a titleless note,
and the masthead's one-line summary of the day. Pure functions over the
models; the templates decide where (and whether) to show them."""

from __future__ import annotations

import re
from datetime import datetime

from ..models import Digest, Image, Story
from ..text import cut_line


def story_time(local: datetime, dated: bool, today: datetime, date_only: bool = False) -> str:
    """"25 Sep 10:29"; with the year when it is not this year ("25 Sep
    2024 10:29"); "25 Sep" for a feed that gives a day and no time (never
    a made-up "00:00"); "" for an undated item (its time is only when
    digest first saw it, which is no news). Both moments already in the
    reader's zone (a date-only day as the feed gave it)."""
    if not dated:
        return ""
    year = f" {local.year}" if local.year != today.year else ""
    return f"{local.day} {local:%b}{year}" + ("" if date_only else f" {local:%H:%M}")


def duration_text(seconds: int | None) -> str:
    """An episode's or a video's length as a meta line says it: "1 h 50 min",
    "14 min", "45 s"; "" when there is none."""
    if not seconds or seconds <= 0:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-ZÀ-ÖØ-Þ\u0400-\u042f\u0370-\u03ff0-9])")


_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "lt", "col", "sgt",
                  "capt", "no", "vs", "etc", "inc", "ltd", "co", "corp", "u.s", "u.k", "e.g", "i.e", "approx"}


def first_sentence(text: str, limit: int = 180) -> str:
    """The first sentence of a lead, for a compact row; cut at a word with
    an ellipsis when it runs past `limit` characters."""
    text = " ".join(str(text or "").split())
    sentence = text
    for match in _SENTENCE_END.finditer(text):
        before = text[:match.start()].rstrip()
        last = before.rsplit(" ", 1)[-1].rstrip(".").casefold()
        if last in _ABBREVIATIONS or len(last) == 1:  # "Dr. Smith", "J. R. R. Tolkien", "U.S. troops"
            continue
        sentence = before
        break
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def _folded(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", str(text or "").casefold()).split())


def alt_text(image: Image, title: str) -> str:
    """The feed's alt text, or "" when it would only repeat the headline or
    the caption printed beside the picture (images off, a screen reader
    would say the same words twice). With no alt of its own a picture is
    decoration next to its headline: ""."""
    alt = _folded(image.alt)
    if not alt or alt in (_folded(title), _folded(image.caption)):
        return ""
    return image.alt


def is_note(story: Story) -> bool:
    """A post without a real title (a micro-blog note): no title, or a title
    that is only the opening words of its own lead."""
    title = _folded(story.title.rstrip("….").rstrip())
    if not title:
        return True
    if len(title) < 12:
        return False
    if _folded(story.lead or story.summary).startswith(title):
        return True
    # A title the platform made and cut ("Hi friends!I am so happy…,...") is
    # the post's opening even where the lead lost it (a greeting); a real
    # title the text repeats ("あけましておめでとうございます") stays a headline.
    made_up = story.title.rstrip().endswith(("...", "…"))
    return made_up and _folded(story.item.text[:2000]).startswith(title)


def day_summary(digest: Digest) -> str:
    """"19 stories · ~25 min · 10 sources": how much is in the issue."""
    count = len(digest.stories)
    parts = [f"{count} {'story' if count == 1 else 'stories'}"]
    timed = [s.reading_minutes for s in digest.stories if s.reading_minutes]
    if timed and 2 * len(timed) >= count:
        # Only where most stories have a true reading time: one story's
        # minutes are no issue's ("~2 min" over six stories, five teasers).
        parts.append(f"~{sum(timed)} min")
    sources = len({s.feed for s in digest.stories})
    if sources:
        parts.append(f"{sources} {'source' if sources == 1 else 'sources'}")
    return " · ".join(parts)


NOT_SHOWN_FEEDS = 4  # feeds named in the "not shown" line; the rest are counted
NOT_SHOWN_NAME = 40  # characters of a feed's name there (a raw feed title can run to a sentence)


def not_shown_line(digest: Digest) -> str:
    """"+12 more stories not shown: 5 from The Guardian, 4 from NPR, 3 from
    BBC News", for the stories ranking left out; "" when none were."""
    total = sum(digest.not_shown.values())
    if not total:
        return ""
    named = [f"{count} from {cut_line(feed, NOT_SHOWN_NAME)}"
             for feed, count in list(digest.not_shown.items())[:NOT_SHOWN_FEEDS]]
    others = len(digest.not_shown) - NOT_SHOWN_FEEDS
    if others > 0:
        rest = sum(list(digest.not_shown.values())[NOT_SHOWN_FEEDS:])
        named.append(f"{rest} from {others} other {'source' if others == 1 else 'sources'}")
    return f"+{total} more {'story' if total == 1 else 'stories'} not shown: {', '.join(named)}."


def unsubscribe_link(targets) -> str:
    """The unsubscribe target a reader can follow: an https:// page first,
    else a mailto: (both are what `[email] unsubscribe` takes); "" for none."""
    targets = [str(t) for t in targets or ()]
    for scheme in ("https://", "mailto:", "http://"):
        for target in targets:
            if target.lower().startswith(scheme):
                return target
    return ""


_CREDIT_WORD = re.compile(r"^(photo|photograph|picture|image|illustration|video|credit|foto|фото)s?\b", re.I)


def credit_line(credit: str) -> str:
    """A picture's credit as it reads on the caption's line: "Photo: Jane
    Doe", keeping the feed's own word when it has one ("Illustration: …"),
    never a lone "(…)"."""
    credit = " ".join(str(credit or "").split()).strip("() ")
    if not credit:
        return ""
    return credit if _CREDIT_WORD.match(credit) else f"Photo: {credit}"
