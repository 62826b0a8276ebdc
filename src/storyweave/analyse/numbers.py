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
    r"(?P<currency>[$€£¥])?\s?(?P<num>(?<![\w.])\d+(?:[.,]\d+)*"  # not the 4 of "PS4"
    r"|\b(?:" + _WORDS + r")(?:-(?:" + _WORDS + r"))?\b)"
    r"(?:\s?(?P<scale>" + "|".join(_SCALE) + r")\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|por ciento\b|pour cent\b|prozent\b))?"
    r"(?:[\s-](?:(?P<part>new|more|additional|other|further)\s+)?(?P<unit>[^\W\d_]{3,}))?",
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


TIME_UNITS = frozenset(["date", "weekday", "calendar year"])
"""Time references: a report's "Friday" is relative to its own date, and two dates in one fact row are
more often two events than a disagreement; they are shown with the fact, never as a conflict."""
_BOUNDS = {
    "min": ["more than", "over", "at least", "above", "upwards of", "in excess of", "no fewer than",
            "no less than"],
    "max": ["less than", "fewer than", "under", "up to", "at most", "below"],
    "near": ["nearly", "almost", "close to", "just under"],
    "about": ["about", "around", "roughly", "approximately", "some", "an estimated", "estimated", "circa",
              "more or less", "perhaps", "~"],
}  # fmt: skip
ABOUT_TOLERANCE = 0.1
NEAR_TOLERANCE = 0.15


@dataclass(frozen=True)
class Figure:
    """One figure: `text` as written, numeric `value`, the `unit` key, the `quantity` it measures, the
    `context` word it hangs on (the verb or adjective: "killed", "tall") and its `bound` as written ("min"
    for "more than", "at least"; "max" for "up to"; "near" for "nearly"; "about"; "" for an exact figure)."""

    text: str
    value: float | str
    unit: str
    quantity: str = ""
    context: str = ""
    bound: str = ""

    def to_dict(self) -> dict:
        return {"text": self.text, "value": self.value, "unit": self.unit, "quantity": self.quantity,
                "context": self.context, "bound": self.bound}  # fmt: skip

    def interval(self) -> tuple[float, float]:
        """The values the figure allows (numbers only): an exact one within VALUE_TOLERANCE."""
        value = float(self.value)  # type: ignore[arg-type]
        low, high = sorted((value * (1 - VALUE_TOLERANCE), value * (1 + VALUE_TOLERANCE)))
        if self.bound == "min":
            return low, float("inf")
        if self.bound == "max":
            return float("-inf"), high
        if self.bound == "near":
            return value * (1 - NEAR_TOLERANCE), high
        if self.bound == "about":
            return value * (1 - ABOUT_TOLERANCE), value * (1 + ABOUT_TOLERANCE)
        return low, high


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
    in_what = [g for c in head.children if c.lower_ == "in" for g in c.children
               if g.dep_ == "pobj" and g.pos_ == "NOUN"]  # fmt: skip
    if in_what and not event:  # "$1.9 billion in earnings"
        return in_what[0].lemma_.casefold()
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


def _counted(doc, start: int, end: int) -> tuple[str, str]:
    """(noun counted, word it hangs on) for a count at characters [start, end): "21 captive Chibok
    schoolgirls" → (schoolgirl, free), "nearly 200 captives" → (captive, hold), "200 feet tall" → (foot,
    tall), "20 of their vessels" → (vessel, …); ("", "") when the parse has no number there."""
    numbers = [t for t in doc if start <= t.idx < end and (t.like_num or t.pos_ == "NUM")]
    if not numbers:
        return "", ""
    number = numbers[-1]
    of = [g for c in number.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
    counts = number.dep_ == "nummod" and number.head.pos_ in ("NOUN", "PROPN")
    noun = of[0] if of else (number.head if counts else None)
    names = ("NOUN", "PROPN")
    for _ in range(3):  # "a two-run homer": the run is the homer's; "the 29-year-old singer": the singer's
        if noun is None:
            break
        if noun.dep_ in ("compound", "amod") and noun.head.pos_ in names:
            noun = noun.head
        elif noun.head.pos_ == "ADJ" and noun.head.dep_ == "amod" and noun.head.head.pos_ in names:
            noun = noun.head.head
        else:
            break
    node = noun if noun is not None else number
    for _ in range(5):
        if node.head is node:
            break
        node = node.head
        if node.pos_ in ("VERB", "AUX", "ADJ"):
            return (noun.lemma_.casefold() if noun is not None else ""), node.lemma_.casefold()
    return (noun.lemma_.casefold() if noun is not None else ""), ""


def _bound(sentence: str, start: int) -> str:
    """How the words before a figure bound it ("more than 100", "nearly 200", "about $121 billion"); the
    longest phrase decides ("just under 200" is near 200, "no fewer than 50" at least 50)."""
    before = " ".join(sentence[max(0, start - 24) : start].casefold().split())
    found = [(len(w), kind) for kind, words in _BOUNDS.items() for w in words
             if before == w or before.endswith(" " + w)]  # fmt: skip
    return max(found)[1] if found else ""


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
        counted = figure.unit not in TIME_UNITS and figure.unit != "%" and figure.unit not in _MONEY
        noun, context = _counted(docs[0], start, end) if docs and counted else ("", "")
        if counted:
            quantity = " ".join(filter(None, (figure.quantity, noun or figure.unit)))  # "other defendant"
        else:
            quantity = _measured(docs[0], start, end, figure.unit in TIME_UNITS) if docs else ""
        bound = _bound(sentence, start)
        out.append(Figure(figure.text, figure.value, figure.unit, quantity, context, bound))
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
            unit = "calendar year"  # 1975, never "42 years"
        if not unit:
            continue  # a bare number (an ordinal, a list item) cannot be compared across outlets
        last = "pct" if match["pct"] else ("scale" if match["scale"] else "num")
        text = match.group(0) if match["unit"] and not (match["pct"] or match["currency"]) else (
            sentence[match.start() : match.end(last)]
        )
        part = (match["part"] or "").lower() if match["unit"] else ""  # "five other defendants": a part
        figures.append((Figure(text.strip(), value, unit, part), match.span()))
    for match in _DATE.finditer(sentence):
        if match["day"]:
            figures.append((Figure(match["day"], match["day"].lower(), "weekday"), match.span()))
        else:
            value = f"{match['month'][:3].lower()} {int(match['mday'])}"
            figures.append((Figure(match.group(0), value, "date"), match.span()))
    return figures


def _agree(a: Figure, b: Figure) -> bool:
    """Whether two figures can state the same value: their intervals (bounds as written) overlap."""
    if isinstance(a.value, str) or isinstance(b.value, str):
        return a.value == b.value
    (low_a, high_a), (low_b, high_b) = a.interval(), b.interval()
    return low_a <= high_b and low_b <= high_a


def _same_context(a: Figure, b: Figure) -> bool:
    return not a.context or not b.context or a.context == b.context


def find_conflicts(figures_by_outlet: dict[str, list[Figure]]) -> list[dict]:
    """Same unit and quantity stated by at least two outlets, with no figure of one compatible with a figure
    of the other ("more than 200 feet" agrees with "229 feet", "at least four" with "at least six", "40
    months" not with "36 months"), and two of them hanging on the same word (for counts: the verb or
    adjective, "killed", "tall"; so "one season at Alabama" and "spent six seasons at Temple" do not).

    Each conflict reads {unit, quantity, values: {outlet: "as written, …"}}; a figure whose quantity is
    unknown is never in conflict (it may measure something else), nor is a time reference (TIME_UNITS)."""
    by_key: dict[tuple[str, str], dict[str, list[Figure]]] = {}
    for outlet, figures in figures_by_outlet.items():
        for figure in figures:
            if figure.unit and figure.quantity and figure.unit not in TIME_UNITS:
                by_key.setdefault((figure.unit, figure.quantity), {}).setdefault(outlet, []).append(figure)
    conflicts = []
    for (unit, quantity), stated in by_key.items():
        if len(stated) < 2:
            continue
        outlets = sorted(stated)
        pairs = [(x, y) for i, a in enumerate(outlets) for b in outlets[i + 1 :]
                 for x in stated[a] for y in stated[b]]  # fmt: skip
        if not any(_agree(x, y) for x, y in pairs) and any(_same_context(x, y) for x, y in pairs):
            values = {o: ", ".join(dict.fromkeys(f.text for f in stated[o])) for o in outlets}
            conflicts.append({"unit": unit, "quantity": quantity, "values": values})
    return conflicts
