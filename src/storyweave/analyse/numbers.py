"""Figures, dates and counts in sentences, and conflicts when outlets give different values for one fact.

A figure is a value with a unit key — the word after it ("40 months", "15,000 cases"), `%` for percentages,
the currency for money, the weekday/month for dates — and the quantity it measures: the unit itself for
counts, else (English, from the dependency parse) the noun the figure modifies or the one its verb or
preposition hangs on ("a $121 billion bid", "raised its bid to $121 billion" → bid; "the deal amounts to
$148.9 billion" → deal; "a 50 percent premium" → premium; "launched on Tuesday" → launch). Two outlets
conflict on a fact only when both state figures of the same unit *and* quantity and no value of one is
within VALUE_TOLERANCE of a value of the other ("40 months" vs "36 months"; not $148.9bn for the deal vs
$121bn for the bid, not "about 1,200 km" vs "1,180 km").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from storyweave.analyse.nlp import MAX_PARSE_CHARS, is_english, parse

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


VALUE_TOLERANCE = 0.03
"""Relative difference under which two values are the same figure rounded differently."""
_MONEY = frozenset("$€£¥")
_SCALE_WORDS = frozenset(["thousand", "million", "billion", "trillion", "mn", "bn", "percent", "per", "cent"])


@dataclass(frozen=True)
class Figure:
    """One figure: `text` as written, numeric `value`, the `unit` key and the `quantity` it measures."""

    text: str
    value: float | str
    unit: str
    quantity: str = ""

    def to_dict(self) -> dict:
        return {"text": self.text, "value": self.value, "unit": self.unit, "quantity": self.quantity}


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


def _measured(doc, start: int, end: int, event: bool) -> str:
    """What a figure written at characters [start, end) measures (see module docstring), or "": the
    event's verb for a date (`event`), else a noun."""
    inside = [t for t in doc if start <= t.idx < end]
    if not inside:
        return ""
    head = inside[-1]
    for _ in range(6):  # out of the figure's own tokens ("$", "121", "billion", "percent")
        if head.head is head or not (start <= head.head.idx < end or head.head.lower_ in _SCALE_WORDS):
            break
        head = head.head
    share_of = [g for c in head.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
    if share_of and not event:  # "35 percent of the staff"
        return share_of[0].lemma_.casefold()
    node = head.head if head.head is not head else head
    for _ in range(4):
        outside = not (start <= node.idx < end)
        if node.pos_ in ("VERB", "AUX") and event:
            return node.lemma_.casefold()
        if node.pos_ in ("NOUN", "PROPN") and outside and not event:
            return node.lemma_.casefold()
        if node.pos_ in ("VERB", "AUX") and node.dep_ == "relcl":  # "the deal, which amounts to $…"
            node = node.head
            continue
        if node.pos_ in ("VERB", "AUX"):
            nouns = [c for c in node.children if c.dep_ in ("dobj", "nsubj", "nsubjpass") and c.pos_ == "NOUN"
                     and not start <= c.idx < end]  # fmt: skip
            return nouns[0].lemma_.casefold() if nouns else node.lemma_.casefold()
        if node.head is node:
            break
        node = node.head
    return ""


def extract_figures(sentence: str, lang: str | None = None) -> list[Figure]:
    """Numbers with units, percentages, money and dates in `sentence`, in reading order, each with the
    quantity it measures (English; elsewhere a count's unit is its quantity, other figures have none)."""
    return list(_extract(sentence, lang))


@lru_cache(maxsize=65536)
def _extract(sentence: str, lang: str | None) -> tuple[Figure, ...]:
    raw = _figures(sentence)
    if not raw:
        return ()
    docs = parse([sentence]) if is_english(lang) and len(sentence) <= MAX_PARSE_CHARS else None
    out = []
    for figure, (start, end) in raw:
        counted = figure.unit not in ("%", "date", "weekday", "year") and figure.unit not in _MONEY
        event = figure.unit in ("date", "weekday")
        quantity = figure.unit if counted else (_measured(docs[0], start, end, event) if docs else "")
        out.append(Figure(figure.text, figure.value, figure.unit, quantity))
    return tuple(out)


@lru_cache(maxsize=65_536)
def figure_keys(sentence: str) -> frozenset[tuple[str, float | str]]:
    """(unit, value) of each figure in `sentence`, values rounded to 2 significant digits: a cheap test
    of whether two sentences state the same figure ("$121 billion" = "$121bn"), no parse needed."""
    keys = set()
    for figure, _ in _figures(sentence):
        value = figure.value if isinstance(figure.value, str) else float(f"{figure.value:.2g}")
        keys.add((figure.unit, value))
    return frozenset(keys)


def _figures(sentence: str) -> list[tuple[Figure, tuple[int, int]]]:
    figures: list[tuple[Figure, tuple[int, int]]] = []
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
        last = "pct" if match["pct"] else ("scale" if match["scale"] else "num")
        text = match.group(0) if match["unit"] and not (match["pct"] or match["currency"]) else (
            sentence[match.start() : match.end(last)]
        )
        figures.append((Figure(text.strip(), value, unit), match.span()))
    for match in _DATE.finditer(sentence):
        if match["day"]:
            figures.append((Figure(match["day"], match["day"].lower(), "weekday"), match.span()))
        else:
            value = f"{match['month'][:3].lower()} {int(match['mday'])}"
            figures.append((Figure(match.group(0), value, "date"), match.span()))
    return figures


def _same(a: float | str, b: float | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(a - b) <= VALUE_TOLERANCE * max(abs(a), abs(b))


def find_conflicts(figures_by_outlet: dict[str, list[Figure]]) -> list[dict]:
    """Same unit and quantity stated by at least two outlets with no value in common (within tolerance).

    Each conflict reads {unit, quantity, values: {outlet: "as written, …"}}; a figure whose quantity is
    unknown is never in conflict (it may measure something else)."""
    by_key: dict[tuple[str, str], dict[str, list[Figure]]] = {}
    for outlet, figures in figures_by_outlet.items():
        for figure in figures:
            if figure.unit and figure.quantity:
                by_key.setdefault((figure.unit, figure.quantity), {}).setdefault(outlet, []).append(figure)
    conflicts = []
    for (unit, quantity), stated in by_key.items():
        if len(stated) < 2:
            continue
        outlets = sorted(stated)
        agree = any(
            _same(x.value, y.value)
            for i, a in enumerate(outlets) for b in outlets[i + 1 :]
            for x in stated[a] for y in stated[b]
        )  # fmt: skip
        if not agree:
            values = {o: ", ".join(dict.fromkeys(f.text for f in stated[o])) for o in outlets}
            conflicts.append({"unit": unit, "quantity": quantity, "values": values})
    return conflicts
