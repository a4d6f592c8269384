"""Entries that stand for a scholarly paper: what the feed carries of it is
the abstract, not the paper, so the card has no reading time.

A journal's or a preprint server's feed names each paper's DOI (PRISM's
prism:doi, or dc:identifier "doi:10.1101/743294"), and its text is the
abstract (bioRxiv's description) or the abstract under its own heading
(Wiley's content:encoded opens with <h3>Abstract</h3>).
"""

from __future__ import annotations

import re

from .blocks import Taken

_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", re.IGNORECASE)
# The heading an abstract opens with, in the languages of journals' feeds.
_ABSTRACT_HEADING = re.compile(r"^(?:abstract|résumé|resumen|resumo|аннотация|摘要|要旨|초록)"
                               r"\s*:?$", re.IGNORECASE)
# An abstract runs to 150-500 words; a paper's text past this many is the
# paper itself (a blog that gives its posts DOIs carries them whole).
ABSTRACT_WORDS = 1000


def is_paper_abstract(entry, raw: Taken, words: int) -> bool:
    """Whether the entry's text is a paper's abstract: no longer than an
    abstract runs, and it opens with an "Abstract" heading or the entry
    names a DOI. `raw` is the text taken apart before anything was
    dropped; `words` the words of the text kept."""
    if words >= ABSTRACT_WORDS:
        return False
    first = raw.blocks[0] if raw.blocks else None
    return bool(first is not None and first.kind == "h" and _ABSTRACT_HEADING.match(first.text)) or names_a_doi(entry)


def names_a_doi(entry) -> bool:
    """prism:doi, or a dc:identifier that is a DOI."""
    stated = [entry.get("prism_doi") or "", entry.get("dc_identifier") or ""]
    return any(_DOI.match(value.strip()) for value in stated if isinstance(value, str))
