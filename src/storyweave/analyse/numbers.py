"""Figures, dates and counts in sentences, and conflicts when outlets give different values for one fact.

A figure is a value with a unit key: the word after it ("40 months", "15,000 cases"), `%` for percentages,
the currency for money, or the weekday/month for dates. Two outlets conflict on a fact when both state a
figure with the same unit key and their value sets do not overlap ("35 percent" vs "36 percent" of staff).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {
    **{
        w: i
        for i, w in enumerate(
            [
                "one",
                "two",
                "three",
                "four",
                "five",
                "six",
                "seven",
                "eight",
                "nine",
                "ten",
                "eleven",
                "twelve",
            ],
            1,
        )
    },
    **{"dozen": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100},
}
_WORDS = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6, "bn": 1e9}
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_FIGURE = re.compile(
    r"(?P<currency>[$€£¥])?\s?(?P<num>\d+(?:[.,]\d+)*|\b(?:" + _WORDS + r")(?:-(?:" + _WORDS + r"))?\b)"
    r"(?:\s?(?P<scale>" + "|".join(_SCALE) + r")\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|por ciento\b|pour cent\b|prozent\b))?"
    r"(?:[\s-](?:(?:new|more|additional|other|further)\s+)?(?P<unit>[^\W\d_]{3,}))?",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\b(?P<day>{_WEEKDAYS})\b|\b(?P<month>{_MONTHS})\.?\s+(?P<mday>\d{{1,2}})\b", re.IGNORECASE
)
_UNIT_STOP = set(
    [
        "the",
        "and",
        "for",
        "that",
        "with",
        "from",
        "who",
        "was",
        "were",
        "are",
        "has",
        "had",
        "have",
        "of",
        "than",
        "per",
        "in",
        "on",
        "at",
        "to",
    ]
)


@dataclass(frozen=True)
class Figure:
    """One figure: `text` as written, numeric `value`, and the `unit` key used to compare figures."""

    text: str
    value: float | str
    unit: str

    def to_dict(self) -> dict:
        return {"text": self.text, "value": self.value, "unit": self.unit}


def _value(raw: str) -> float | None:
    low = raw.lower()
    if low[0].isalpha():
        return float(sum(_NUMBER_WORDS[part] for part in low.split("-")))
    digits = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw) else raw.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def _unit(match: re.Match) -> str:
    if match["pct"]:
        return "%"  # the word after a percentage says what it is a share of, not its unit
    if match["currency"]:
        return match["currency"]
    unit = (match["unit"] or "").lower()
    if unit in _UNIT_STOP:
        return ""
    return unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit


def extract_figures(sentence: str) -> list[Figure]:
    """Numbers with units, percentages, money and dates in `sentence`, in reading order."""
    figures: list[Figure] = []
    for match in _FIGURE.finditer(sentence):
        value = _value(match["num"])
        if value is None:
            continue
        if match["scale"]:
            value *= _SCALE[match["scale"].lower()]
        unit = _unit(match)
        if not unit and value.is_integer() and 1900 <= value <= 2100:
            unit = "year"
        if not unit:
            continue  # a bare number (an ordinal, a list item) cannot be compared across outlets
        text = match.group(0)[: match.end("pct") - match.start()] if match["pct"] else match.group(0)
        figures.append(Figure(text.strip(), value, unit))
    for match in _DATE.finditer(sentence):
        if match["day"]:
            figures.append(Figure(match["day"], match["day"].lower(), "weekday"))
        else:
            figures.append(
                Figure(match.group(0), f"{match['month'][:3].lower()} {int(match['mday'])}", "date")
            )
    return figures


def find_conflicts(figures_by_outlet: dict[str, list[Figure]]) -> list[dict]:
    """Unit keys for which at least two outlets state figures and no value is common to them."""
    by_unit: dict[str, dict[str, set]] = {}
    for outlet, figures in figures_by_outlet.items():
        for figure in figures:
            if figure.unit:
                by_unit.setdefault(figure.unit, {}).setdefault(outlet, set()).add(figure.value)
    conflicts = []
    for unit, values in by_unit.items():
        if len(values) < 2 or set.intersection(*values.values()):
            continue
        conflicts.append({"unit": unit, "values": {o: sorted(v, key=str) for o, v in sorted(values.items())}})
    return conflicts
