"""Clustering quality: B-cubed precision/recall/F1 (Bagga & Baldwin 1998) and pairwise F1 against gold
labels.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from storyweave.models import Article


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


TFIDF_BASELINE_THRESHOLD = 0.3


def tfidf_single_pass(articles: Sequence[Article], threshold: float = TFIDF_BASELINE_THRESHOLD) -> list[str]:
    """The simplest strong baseline, reported beside the engine: TF-IDF of title + text (weights from the
    file itself), one pass in input order, each article joins the story whose centroid is most similar when
    the cosine reaches `threshold`, else opens a story.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not articles:
        return []
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform([a.body or "-" for a in articles]).tocsr()
    centroids: list[dict[int, float]] = []
    squares: list[float] = []
    postings: dict[int, list[int]] = defaultdict(list)
    labels: list[str] = []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        terms, weights = matrix.indices[start:end], matrix.data[start:end]
        dots: Counter = Counter()
        for term, weight in zip(terms, weights, strict=True):
            for story in postings[term]:
                dots[story] += weight * centroids[story][term]
        best = max(dots, key=lambda s: dots[s] / math.sqrt(squares[s]), default=-1)
        if best < 0 or dots[best] / math.sqrt(squares[best]) < threshold:
            best = len(centroids)
            centroids.append({})
            squares.append(0.0)
        centroid = centroids[best]
        for term, weight in zip(terms, weights, strict=True):
            if term not in centroid:
                postings[term].append(best)
            centroid[term] = centroid.get(term, 0.0) + float(weight)
        squares[best] = sum(v * v for v in centroid.values()) or 1.0
        labels.append(f"tfidf-{best}")
    return labels
