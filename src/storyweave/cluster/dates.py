"""Dates stated in an article's text: "June 25, 2005", "25 June 2005", "2005-06-25".

Why: an undated article (a scraped page, a feed without dates) still says when it was written, usually in a
dateline; with that date the engine keeps it out of stories of other times. A small bounded-regex extractor
(English, German, French, Spanish, Italian and Portuguese month names, ISO dates) costs about a millisecond
per full text; general date parsers (dateparser's `search_dates`) are far slower and guess at every number.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_MONTH_NAMES = {
    1: "january jan januar janvier enero gennaio janeiro",
    2: "february feb februar février fevrier febrero febbraio fevereiro",
    3: "march mar märz maerz mars marzo março",
    4: "april apr avril abril aprile",
    5: "may mai mayo maggio maio",
    6: "june jun juni juin junio giugno junho",
    7: "july jul juli juillet julio luglio julho",
    8: "august aug août aout agosto",
    9: "september sep sept septembre septiembre settembre setembro",
    10: "october oct oktober octobre octubre ottobre outubro",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember décembre decembre diciembre dicembre dezembro",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s{{1,3}}(\d{{1,2}})(?:st|nd|rd|th)?,?\s{{1,3}}(\d{{4}})\Z", re.IGNORECASE
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.|er|º)?\s{{1,3}}(?:de\s)?({_MONTH})\.?,?\s{{1,3}}(?:de\s)?(\d{{4}})\Z",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")
_BEFORE_YEAR = 32
"""Written dates end with their year: the month patterns only run on the few characters before each year,
which keeps the scan linear and cheap (a year is rare in a text; most positions are never tried)."""
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
SCAN_CHARS = 20_000
"""Only the start of very long texts is scanned: bounded cost per article."""
MAX_DATES = 32
DATELINE_CHARS = 200
"""Where an undated article's own date is looked for (see `text_date`)."""
EARLIEST = date(1900, 1, 1)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if found >= EARLIEST else None


def explicit_dates(text: str) -> list[tuple[int, date]]:
    """(position, date) of every explicit full date in `text`, in text order (at most `MAX_DATES`)."""
    text = text[:SCAN_CHARS]
    found: list[tuple[int, date | None]] = []
    for year in _YEAR.finditer(text):
        window = text[max(0, year.start() - _BEFORE_YEAR) : year.end()]
        offset = year.end() - len(window)
        if match := _MONTH_DAY_YEAR.search(window):
            month, day, value = match.groups()
            found.append((offset + match.start(), _valid(int(value), MONTHS[month.casefold()], int(day))))
        elif match := _DAY_MONTH_YEAR.search(window):
            day, month, value = match.groups()
            found.append((offset + match.start(), _valid(int(value), MONTHS[month.casefold()], int(day))))
    for match in _ISO.finditer(text):
        year, month, day = match.groups()
        found.append((match.start(), _valid(int(year), int(month), int(day))))
    return sorted((p, d) for p, d in found if d is not None)[:MAX_DATES]


def text_date(text: str, now: datetime | None = None) -> datetime | None:
    """The date an undated article takes: the first explicit date in its opening (a dateline), unless that
    lies in the future; later dates are more often background or schedules. None when it states none there.
    """
    latest = (now or datetime.now(UTC)).date() + timedelta(days=1)
    for _, found in explicit_dates(text[:DATELINE_CHARS]):
        if found <= latest:
            return datetime(found.year, found.month, found.day, 12, tzinfo=UTC)
    return None
