"""Clustering quality: B-cubed precision/recall/F1 (Bagga & Baldwin 1998) and pairwise F1 against gold
labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClusteringScores:
    b3_precision: float
    b3_recall: float
    b3_f1: float
    pair_precision: float
    pair_recall: float
    pair_f1: float
    n_items: int
    n_predicted: int
    n_gold: int


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_clustering(predicted: Sequence[str], gold: Sequence[str]) -> ClusteringScores:
    """Compare two labelings of the same items (position i = item i).

    B³: for each item, precision = |its predicted cluster ∩ its gold cluster| / |predicted cluster|, recall
    the
    same over the gold cluster; both averaged over items. Pairwise: over all unordered pairs of items.
    """
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted labels for {len(gold)} gold labels")
    n = len(gold)
    if n == 0:
        return ClusteringScores(0, 0, 0, 0, 0, 0, 0, 0, 0)
    joint = Counter(zip(predicted, gold, strict=True))
    pred_size, gold_size = Counter(predicted), Counter(gold)
    precision = sum(c * c / pred_size[p] for (p, _), c in joint.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in joint.items()) / n

    def pairs(count: int) -> int:
        return count * (count - 1) // 2

    together = sum(pairs(c) for c in joint.values())
    pred_pairs = sum(pairs(c) for c in pred_size.values())
    gold_pairs = sum(pairs(c) for c in gold_size.values())
    pair_p = together / pred_pairs if pred_pairs else 1.0
    pair_r = together / gold_pairs if gold_pairs else 1.0
    return ClusteringScores(
        precision,
        recall,
        _f1(precision, recall),
        pair_p,
        pair_r,
        _f1(pair_p, pair_r),
        n,
        len(pred_size),
        len(gold_size),
    )
