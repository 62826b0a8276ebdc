"""The AEB extraction metric (Zyte/ScrapingHub article-extraction-benchmark), implemented here.

Semantics follow the benchmark's `evaluate.py`: tokens are `\\w+` runs, a text becomes the multiset of
its 4-token shingles (a text shorter than 4 tokens is one shorter shingle), each page's TP/FP/FN counts are
normalised to sum to 1 so that long pages do not weigh more, precision and recall are averaged over the pages
where they are defined, and F1 is the harmonic mean of those averages.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"\w+")

PageCounts = tuple[float, float, float]
"""Normalised (true positives, false positives, false negatives) of one page."""


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(truth: str, predicted: str, n: int = 4) -> PageCounts:
    expected, got = shingles(truth, n), shingles(predicted, n)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _ratio(hit: float, miss: float, other_miss: float) -> float:
    if miss == other_miss == 0:
        return 1.0
    return hit / (hit + miss) if hit + miss else 0.0


@dataclass(frozen=True)
class ExtractionScore:
    precision: float
    recall: float
    f1: float
    pages: int
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def score(counts: Iterable[PageCounts]) -> ExtractionScore:
    """Average per-page counts as the benchmark does (pages where a ratio is undefined are skipped)."""
    counts = list(counts)
    precisions = [_ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [_ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ExtractionScore(precision, recall, f1, len(counts))


def evaluate_dir(
    directory: Path,
    extract: Callable[[bytes, str | None], str],
    progress: Callable[[], None] | None = None,
) -> ExtractionScore:
    """Run `extract(html_bytes, url) -> body` over an AEB folder (ground-truth.json + html/ID.html.gz).

    A page the extractor fails on counts as an empty prediction, as in the benchmark.
    """
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    counts: list[PageCounts] = []
    seconds = 0.0
    for page_id, expected in truth.items():
        raw = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
        started = time.perf_counter()
        predicted = extract(raw, expected.get("url"))
        seconds += time.perf_counter() - started
        counts.append(page_counts(expected.get("articleBody", ""), predicted))
        if progress is not None:
            progress()
    result = score(counts)
    return ExtractionScore(result.precision, result.recall, result.f1, result.pages, seconds)
