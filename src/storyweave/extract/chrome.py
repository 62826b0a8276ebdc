"""Trailing page chrome extractors keep: trust/newsletter/copyright trailers and unrelated-headline sidebars.

Works on the article's lines from the end backwards, because chrome accumulates after the story: a line is
removed only while everything after it has been removed too, so a phrase inside the article is never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TRAILER = re.compile(
    r"""
    trust\ project
    | ©|\(c\)\s*\d{4}|copyright\b[^.\n]{0,40}\d{4}
    | all\ rights\ reserved | todos\ los\ derechos\ reservados | tous\ droits\ réservés
    | alle\ rechte\ vorbehalten | tutti\ i\ diritti\ riservati | todos\ os\ direitos\ reservados
    | (sign(ing)?\ up|subscrib|suscr[ií]b|inscr[ií]b|abonn|iscriv|register|delivered|receive)
        [^\n]{0,80}(newsletter|boletín|infolettre|inbox|e-?mails?|alerts)
    | ^(subscribe|suscríbete|abonnez-vous|jetzt\ abonnieren)(\ now|\ today)?\W*$
    | ^(our\ |daily\ |weekly\ )?(newsletters?|boletín|infolettre)\W*$
    | follow\ us\ on | síguenos\ en | suivez-nous | folgen\ sie\ uns | seguici\ su
    | ^(read\ or\ )?share\ (this|on)\b | ^comparte\ esta | ^partager\ cet
    | ^(related|read\ (more|also|next)|more\ (stories|news|from|on\ this)|most\ (read|popular|viewed)|trending
        |recommended(\ for\ you)?|you\ (may|might)\ also\ like|lo\ más\ leído|más\ noticias
        |te\ puede\ interesar
        |lire\ aussi|à\ lire\ aussi|les\ plus\ lus|mehr\ zum\ thema|meistgelesen|leggi\ anche|i\ più\ letti
        |leia\ também|mais\ lidas)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TRAILER_MAX_CHARS = 220
"""A trailer is a short line; a long paragraph that mentions a newsletter is article text."""

_SENTENCE_END = re.compile(r"[.!:;…。！？]['\"’”»)\]]*$")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)
_ROW_START = re.compile(r"^[-•*\s]*\d|://|www\.")
"""Numbered items and URLs belong to lists in the article (rankings, listings), not to headline links."""
_SEPARATOR = re.compile(r" [-–—] |--|[:;,(@/]")
"""Field separators of table-like rows ("June 9 -- Venue, City"; "Team (Group A): 3rd"). Not "|", which joins
a section name to a headline in sidebars ("Design Week | Seiko's show")."""
STRUCTURED_SHARE = 0.8
RELATED_SHARE = 0.5
"""A run whose words mostly occur in the article above it (a key-points box) belongs to the article."""
_MINOR_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "over", "the",
     "to", "up", "via", "vs", "with", "amid", "after", "before"]
)

HEADLINE_MIN_WORDS, HEADLINE_MAX_WORDS = 3, 22
HEADLINE_MAX_CHARS = 160
MIN_HEADLINE_RUN = 3
"""Fewer trailing headline-shaped lines than this are kept: one or two short lines may end a real article."""


@dataclass
class Cleaned:
    text: str
    chrome: list[str] = field(default_factory=list)


def is_trailer(line: str) -> bool:
    return len(line) <= _TRAILER_MAX_CHARS and _TRAILER.search(line) is not None


def is_title_case(line: str) -> bool:
    """Most significant words capitalised, as in an English-style headline (not a sentence)."""
    words = [w for w in _WORD.findall(line) if w.lower() not in _MINOR_WORDS]
    if len(words) < 3:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised / len(words) >= 0.75


def is_headline_shaped(line: str) -> bool:
    """Short, a few words, no sentence-final punctuation: how a link to another story looks once flattened."""
    words = _WORD.findall(line)
    return (
        len(line) <= HEADLINE_MAX_CHARS
        and HEADLINE_MIN_WORDS <= len(words) <= HEADLINE_MAX_WORDS
        and _SENTENCE_END.search(line) is None
        and _ROW_START.search(line) is None
    )


def is_structured_list(lines: list[str]) -> bool:
    """Rows sharing a field separator are a table of the article; headlines of other stories vary in shape."""
    counts: dict[str, int] = {}
    for line in lines:
        for separator in {m.group() for m in _SEPARATOR.finditer(line)}:
            counts[separator] = counts.get(separator, 0) + 1
    return any(n >= STRUCTURED_SHARE * len(lines) for n in counts.values())


def _stems(text: str) -> set[str]:
    return {w.lower()[:5] for w in _WORD.findall(text) if len(w) >= 4}


def is_related(lines: list[str], article: list[str]) -> bool:
    """Most of the run's words also occur in the article: a summary or key points, not links elsewhere."""
    vocabulary = _stems(" ".join(article))
    shares = [len(s & vocabulary) / len(s) for s in map(_stems, lines) if s]
    return bool(shares) and sum(shares) / len(shares) >= RELATED_SHARE


def _headline_run(lines: list[str]) -> int:
    """Length of the run of headline-shaped lines ending `lines` that reads as a sidebar, else 0.

    A sidebar is a run of at least MIN_HEADLINE_RUN such lines, mostly in title case; or, for scripts and
    styles without title case, a longer run (twice the minimum) that is longer than what precedes it is prose.
    """
    run = 0
    for line in reversed(lines):
        if not is_headline_shaped(line):
            break
        run += 1
    if run < MIN_HEADLINE_RUN or run == len(lines):
        return 0
    tail = lines[-run:]
    if is_structured_list(tail) or is_related(tail, lines[:-run]):
        return 0
    titled = sum(1 for line in tail if is_title_case(line))
    if titled >= 0.6 * run or run >= 2 * MIN_HEADLINE_RUN:
        return run
    return 0


def strip_chrome(text: str) -> Cleaned:
    """Split `text` into the article and the chrome that trails it (kept in order of appearance)."""
    lines = [line.strip() for line in text.splitlines()]
    chrome: list[str] = []
    while lines:
        if not lines[-1]:
            lines.pop()
            continue
        if is_trailer(lines[-1]):
            chrome.insert(0, lines.pop())
            continue
        content = [line for line in lines if line]
        run = _headline_run(content)
        if not run:
            break
        removed = 0
        while removed < run:
            line = lines.pop()
            if line:
                chrome.insert(0, line)
                removed += 1
    return Cleaned("\n".join(lines).strip(), chrome)
