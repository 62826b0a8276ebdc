"""Chart geometry for the story page's inline SVG: reports per outlet (bars) and reports over time (columns).

Only numbers and labels leave this module; the template draws them, so labels are escaped like any text.
Charts are drawn at their natural size (`width` px) and only ever shrink to fit a narrow screen, so their text
stays at the sizes of the stylesheet on a desktop and shrinks little on a phone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

CHART_WIDTH = 380
"""Natural width of a chart in px; a 390 px phone shows it at about 0.88 of that."""
TICK_CHAR_PX = 7.5
"""Width of one character of a tick label (12 px system sans, digits and capitals), for spacing ticks."""


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    highlight: bool = False


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    """Axis labels: (position, text)."""
    description: str


def outlet_bars(counts: list[tuple[str, int]], *, limit: int = 10, width: int = CHART_WIDTH) -> Chart | None:
    """Horizontal bars, one per outlet, most reports first; the rest folded into 'other outlets'. Each bar
    has a fixed height, so one bar or three are drawn as thin as twelve."""
    if not counts:
        return None
    shown = counts[:limit]
    rest = sum(c for _, c in counts[limit:])
    if rest:
        others = len(counts) - limit
        shown.append((f"{others} other outlet{'s' if others != 1 else ''}", rest))
    row, label_w, pad = 26, 150, 30
    top = max(c for _, c in shown)
    span = width - label_w - pad
    bars = [
        Bar(name, n, label_w, i * row + 4, max(2.0, span * n / top), row - 8)
        for i, (name, n) in enumerate(shown)
    ]
    desc = "; ".join(f"{name}: {n}" for name, n in shown)
    return Chart(width, len(shown) * row + 4, bars, [], f"Reports per outlet. {desc}")


# Calendar units, finest first, with the label format of a bin.
UNITS = {"hour": "%d %b %H:00", "day": "%d %b", "month": "%b %Y", "year": "%Y"}
MAX_BINS = 24


def _floor(moment: datetime, unit: str) -> datetime:
    """The start of the calendar hour, day or month holding `moment` (UTC)."""
    moment = moment.astimezone(UTC)
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(start: datetime, unit: str) -> datetime:
    """The start of the bin after the one starting at `start` (calendar arithmetic: months and years vary)."""
    if unit == "hour":
        return start.replace(hour=start.hour + 1) if start.hour < 23 else _next(_floor(start, "day"), "day")
    if unit == "day":
        return datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def calendar_bins(times: list[datetime]) -> tuple[str, list[tuple[datetime, int]]]:
    """The finest calendar unit (hour, day, month, year) giving at most MAX_BINS bins from the first report
    to the last, and each bin's start with its report count (empty bins included). Spans of more than
    MAX_BINS years get bins of several whole years (unit `years`)."""
    first, last = min(times), max(times)
    for unit in ("hour", "day", "month"):
        starts = [_floor(first, unit)]
        end = _floor(last, unit)
        while starts[-1] < end and len(starts) <= MAX_BINS:
            starts.append(_next(starts[-1], unit))
        if len(starts) <= MAX_BINS:
            counts = Counter(_floor(t, unit) for t in times)
            return unit, [(s, counts.get(s, 0)) for s in starts]
    first_year, last_year = first.astimezone(UTC).year, last.astimezone(UTC).year
    step = -(-(last_year - first_year + 1) // MAX_BINS)
    years = range(first_year, last_year + 1, step)
    counts = Counter((t.astimezone(UTC).year - first_year) // step for t in times)
    return ("year" if step == 1 else "years"), [
        (datetime(y, 1, 1, tzinfo=UTC), counts.get(i, 0)) for i, y in enumerate(years)
    ]


def time_columns(times: list[datetime], *, width: int = CHART_WIDTH, height: int = 170) -> Chart | None:
    """Reports per calendar hour, day, month or year (whichever gives at most 24 bins), labelled by the
    calendar; the bin holding the first report is highlighted. Tick labels are spaced so none overlap."""
    if not times:
        return None
    times = sorted(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times)
    unit, bins = calendar_bins(times)
    fmt = UNITS.get(unit, "%Y")
    years = bins[1][0].year - bins[0][0].year if unit == "years" else 0
    left, bottom, top_pad = 28, 34, 16
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    slot = min(plot_w / len(bins), 64.0)
    peak = max(n for _, n in bins)
    bars = []
    for i, (start, n) in enumerate(bins):
        h = plot_h * n / peak
        label = f"{start.year}–{start.year + years - 1}" if years else start.strftime(fmt)
        x = left + i * slot + slot * 0.12
        bars.append(Bar(label, n, x, top_pad + plot_h - h, slot * 0.76, h, highlight=(i == 0)))
    label_w = max(len(b.label) for b in bars) * TICK_CHAR_PX + 8
    every = max(1, -(-int(label_w) // max(1, int(slot))))
    ticks = [(bar.x + bar.width / 2, bar.label) for i, bar in enumerate(bars) if i % every == 0]
    span = f"{times[0]:%d %b %Y %H:%M} to {times[-1]:%d %b %Y %H:%M} UTC"
    per = "period of years" if unit == "years" else unit
    desc = f"Reports per {per}, {len(times)} report{'s' if len(times) != 1 else ''} from {span}"
    return Chart(width, height, bars, ticks, desc)
