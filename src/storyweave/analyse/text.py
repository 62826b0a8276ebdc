"""Sentence splitting and light text normalisation shared by the analysis steps."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import urlsplit

import pysbd
from pysbd.languages import LANGUAGE_CODES

from storyweave.analyse.statements import caption_paragraph, clean_statement, dateline_length, wordset
from storyweave.analyse.statements import is_statement as decide

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
_FALLBACK_SPLIT = re.compile(r"(?<=[.!?。！？])\s+(?=[\"“«„'‘(\[]?[A-Z0-9À-ÖØ-Þ\u0400-\u042f])")
_QUOTE_AFTER_QUOTE = re.compile(r"(?<=[.!?][”\"»]) (?=[“\"«][A-ZÀ-ÖØ-Þ\u0400-\u042f])")
"""A quotation that ends a sentence, then one that opens the next: pysbd keeps `deliver.” “I’m` together."""


@lru_cache(maxsize=32)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang, clean=False)


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Sentences of `text` (see `_split`); cached, since the report and the summary split the same texts."""
    return list(_split(text or "", lang))


@lru_cache(maxsize=4096)
def _split(text: str, lang: str | None) -> tuple[str, ...]:
    """Sentences of `text`: paragraphs first (newlines are hard breaks), then pysbd rules for the language.

    Languages pysbd does not know use English rules, which still break on `. ! ?` followed by a capital.
    """
    code = (lang or "en").split("-")[0].lower()
    segmenter = _segmenter(code if code in LANGUAGE_CODES else "en")
    out: list[str] = []
    for paragraph in (text or "").split("\n"):
        paragraph = _SPACE.sub(" ", paragraph).strip()
        if not paragraph:
            continue
        try:
            pieces = segmenter.segment(paragraph)
        except Exception:  # pysbd has rare regex failures on odd input; a plain split keeps the text
            pieces = _FALLBACK_SPLIT.split(paragraph)
        out.extend(q.strip() for p in pieces for q in _QUOTE_AFTER_QUOTE.split(p) if q.strip())
    return tuple(out)


def statement_sentences(text: str, lang: str | None = None) -> list[str]:
    """The article's own statements in `text`, in order: paragraphs that are photo captions dropped, each
    sentence cleaned of the furniture glued to it, furniture sentences dropped (rules in `statements`)."""
    return list(_statements(text, lang))


def first_statement(text: str, lang: str | None = None) -> str | None:
    """The first of `statement_sentences`, splitting only the paragraphs up to it (a story card's title
    fallback, one per listed report, must not split whole articles)."""
    return next(_statements(text, lang), None)


def _statements(text: str, lang: str | None) -> Iterator[str]:
    """A paragraph's opening sentences (up to its first statement) lose their dateline ("DALLAS — …",
    "SAO PAULO (AP) — …", "TOKYO/SEOUL - …"): a place is no part of what the article states, and no
    speaker of what it quotes."""
    for paragraph in (text or "").split("\n"):
        if paragraph.strip() and not caption_paragraph(paragraph):
            opening = True
            for sentence in _rejoined(split_sentences(paragraph, lang)):
                cleaned = clean_statement(sentence[dateline_length(sentence) :] if opening else sentence)
                if is_statement(sentence, lang) and is_statement(cleaned, lang):
                    opening = False
                    yield cleaned


_CLOCK_ENDS = ("a.m.", "p.m.", "A.M.", "P.M.")
_TIME_ZONES = wordset(
    "PST PDT EST EDT CST CDT MST MDT AKST AKDT HST ET PT CT MT GMT UTC BST IST CET CEST EET EEST WET WEST "
    "MSK KST JST HKT SGT AEST AEDT AWST NZST NZDT WIB BRT ART"
)
"""Zones written after a clock time ("11:36 a.m. PST, the plane …"): the splitter takes "a.m." for an end."""
_WEEKDAYS = wordset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_GOING_ON = wordset("and or but at in on to from before after when local morning afternoon evening night")
"""Words after a weekday that show the clause goes on ("at 11:36 a.m." + "Tuesday and returned at …")."""


def _goes_on(sentence: str) -> bool:
    """Whether `sentence` continues a clock time the sentence before it ended with: it opens with a time zone,
    with "… time" ("North Korean time", "local time") or with a weekday the clause goes on after."""
    head = sentence.split(maxsplit=3)
    first = head[0].strip(",.;:()") if head else ""
    if first in _TIME_ZONES or "time" in words(" ".join(head[:3])):
        return True
    return first in _WEEKDAYS and (head[0].endswith(",") or (len(head) > 1 and head[1] in _GOING_ON))


def _rejoined(sentences: list[str]) -> list[str]:
    """The splitter's cuts after a clock time undone where the sentence goes on with its time zone or day:
    "… the rocket, launched at 9 a.m." + "North Korean time from a launch pad …", "After taking off at 11:36
    a.m." + "PST, the plane returned …" are one statement each."""
    out: list[str] = []
    for sentence in sentences:
        if out and out[-1].endswith(_CLOCK_ENDS) and _goes_on(sentence):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def is_statement(sentence: str, lang: str | None = None) -> bool:
    """Whether `sentence` is the article's own statement, not page furniture: the one entry point facts,
    quotes, summaries and story-card leads use (rules in `storyweave.analyse.statements`)."""
    return decide(sentence, lang)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """Spelling-insensitive key: accents, case, hyphens and spaces removed (Kim Jong-un = Kim Jong Un)."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"^(the|la|le|el|der|die|das)\s+", "", folded)
    folded = re.sub(r"['’`]s$", "", folded)
    return re.sub(r"[\W_]+", "", folded)


def outlet_column(source: str | None, url: str | None, ident: str) -> str:
    """The outlet column an article is counted under: its source, else its URL's host, else its own id, so
    that articles without a source (pasted texts, seeds) are each their own column, never one "unknown"."""
    return source or (urlsplit(url).hostname if url else None) or ident
