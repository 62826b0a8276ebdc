"""Pair-similarity quality on SemEval-2022 Task 8 style data: Pearson with `overall` and same-event P/R."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SAME_EVENT_MAX_OVERALL = 2.0
"""Human `overall` ratings 1 (very similar) … 4 (very dissimilar); ≤ 2 counts as the same event."""


@dataclass(frozen=True)
class PairScores:
    pearson: float
    """Correlation of our score with `overall`, sign flipped so that higher is better (1 = perfect)."""
    precision: float
    recall: float
    f1: float
    n: int
    by_lang: dict[str, tuple[float, int]]
    """Per language pair ("en", "de-en", …): (pearson, count)."""


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def lang_pair(lang1: str | None, lang2: str | None) -> str:
    a, b = lang1 or "?", lang2 or "?"
    return a if a == b else f"{a}-{b}"


def score_pairs(
    scores: Sequence[float], overall: Sequence[float], langs: Sequence[str], threshold: float = 0.5
) -> PairScores:
    """`scores` in [0, 1] (higher = same event); `threshold` is the engine's default decision point."""
    s, o = np.asarray(scores, dtype=np.float64), np.asarray(overall, dtype=np.float64)
    predicted, actual = s >= threshold, o <= SAME_EVENT_MAX_OVERALL
    hits = int(np.sum(predicted & actual))
    precision = hits / int(predicted.sum()) if predicted.any() else 0.0
    recall = hits / int(actual.sum()) if actual.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    groups: dict[str, list[int]] = defaultdict(list)
    for i, lang in enumerate(langs):
        groups[lang].append(i)
    by_lang = {k: (-pearson(s[idx], o[idx]), len(idx)) for k, idx in sorted(groups.items())}
    return PairScores(-pearson(s, o), precision, recall, f1, len(s), by_lang)
