"""Chart geometry for the story page's inline SVG: reports per outlet (bars) and reports over time (columns).

Only numbers and labels leave this module; the template draws them, so labels are escaped like any text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta


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


def outlet_bars(counts: list[tuple[str, int]], *, limit: int = 12, width: int = 560) -> Chart | None:
    """Horizontal bars, one per outlet, most reports first; the rest folded into 'other outlets'."""
    if not counts:
        return None
    shown = counts[:limit]
    rest = sum(c for _, c in counts[limit:])
    if rest:
        shown.append((f"{len(counts) - limit} other outlets", rest))
    row, label_w, pad = 26, 190, 40
    top = max(c for _, c in shown)
    span = width - label_w - pad
    bars = [
        Bar(name, n, label_w, i * row + 4, max(2.0, span * n / top), row - 8)
        for i, (name, n) in enumerate(shown)
    ]
    desc = "; ".join(f"{name}: {n}" for name, n in shown)
    return Chart(width, len(shown) * row + 4, bars, [], f"Reports per outlet. {desc}")


def _step(span: timedelta) -> tuple[timedelta, str]:
    for step, fmt in (
        (timedelta(hours=1), "%d %b %H:%M"),
        (timedelta(hours=6), "%d %b %H:%M"),
        (timedelta(days=1), "%d %b"),
        (timedelta(days=7), "%d %b"),
        (timedelta(days=30), "%b %Y"),
    ):
        if span / step <= 24:
            return step, fmt
    return timedelta(days=365), "%Y"


def time_columns(times: list[datetime], *, width: int = 560, height: int = 170) -> Chart | None:
    """Reports per time bin (hour, 6 h, day, week, month or year, whichever gives at most 24 bins); the bin
    holding the first report is highlighted."""
    if not times:
        return None
    times = sorted(times)
    step, fmt = _step(times[-1] - times[0])
    epoch = datetime(2000, 1, 1, tzinfo=times[0].tzinfo)
    index = Counter(int((t - epoch) / step) for t in times)
    first, last = min(index), max(index)
    bins = list(range(first, last + 1))
    left, bottom, top_pad = 28, 34, 16
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    slot = min(plot_w / len(bins), 64.0)
    peak = max(index.values())
    bars = []
    for i, b in enumerate(bins):
        n = index.get(b, 0)
        h = plot_h * n / peak
        bars.append(
            Bar(
                (epoch + b * step).strftime(fmt),
                n,
                left + i * slot + slot * 0.12,
                top_pad + plot_h - h,
                slot * 0.76,
                h,
                highlight=(b == first),
            )
        )
    every = max(1, len(bins) // 6)
    ticks = [(bar.x + bar.width / 2, bar.label) for i, bar in enumerate(bars) if i % every == 0]
    span = f"{times[0]:%d %b %Y %H:%M} to {times[-1]:%d %b %Y %H:%M} UTC"
    desc = f"Reports over time, {len(times)} reports from {span}"
    return Chart(width, height, bars, ticks, desc)
