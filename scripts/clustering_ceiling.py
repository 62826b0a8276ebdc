"""How far can any threshold on our similarities go? An optimistic upper bound for the story engine.

    .venv/bin/python scripts/clustering_ceiling.py [--data ../shared/data] [SET ...]

For each shared clustering set this reads the whole set at once (no online order), builds the article ×
article similarity from the same signals the engine uses (USE embedding of `embed_text`, USE embedding of the
title, TF-IDF over the full text) and reports:

- `nn`: the share of articles (in stories of two or more) whose nearest neighbour is in their own story;
- the best B³ F1 of offline agglomerative clustering (average and complete linkage) over a sweep of
  thresholds, the threshold chosen *per set on the gold labels*. No shipped configuration may do that, so
  the figure is a ceiling for these representations, not a result.

If the ceiling is far below a target, the target needs better evidence (a stronger encoder, dates), not a
better decision rule.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from storyweave.cluster.batch import article_from_record, read_jsonl
from storyweave.cluster.engine import embed_text
from storyweave.embed import USEEmbedder
from storyweave.embed.cache import CachedEmbedder
from storyweave.eval.clustering import score_clustering

ROOT = Path(__file__).resolve().parents[1]
SETS = ["allsides", "giveme5w1h", "wikinews", "uci_headlines"]
THRESHOLDS = np.arange(0.05, 0.86, 0.05)


def nearest_neighbour_rate(similarity: np.ndarray, gold: list[str]) -> float:
    sims = similarity.copy()
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    sizes = {g: gold.count(g) for g in set(gold)}
    hits = [gold[i] == gold[j] for i, j in enumerate(nearest) if sizes[gold[i]] > 1]
    return float(np.mean(hits)) if hits else float("nan")


def best_agglomerative(similarity: np.ndarray, gold: list[str]) -> tuple[float, str, float]:
    distance = np.clip(1.0 - similarity, 0.0, None)
    best = (0.0, "", 0.0)
    for linkage in ("average", "complete"):
        for threshold in THRESHOLDS:
            labels = AgglomerativeClustering(
                n_clusters=None, metric="precomputed", linkage=linkage, distance_threshold=1.0 - threshold
            ).fit_predict(distance)
            f1 = score_clustering([str(x) for x in labels], gold).b3_f1
            best = max(best, (f1, linkage, round(float(threshold), 2)))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sets", nargs="*", default=SETS)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    cache = Path.home() / ".cache" / "storyweave" / "ceiling-use.npz"
    parser.add_argument("--cache", type=Path, default=cache)
    args = parser.parse_args()
    embedder = CachedEmbedder(USEEmbedder(), args.cache)
    for name in args.sets:
        path = args.data / "clustering" / f"{name}.jsonl"
        if not path.exists():
            print(f"{name}: {path} not found; skipped", file=sys.stderr)
            continue
        records = [record for _, record in read_jsonl(path)]
        articles = [article_from_record(r, f"{path}:{i}") for i, r in enumerate(records, 1)]
        gold = [str(r["cluster_id"]) for r in records]
        body = embedder.embed([embed_text(a) for a in articles])
        title = embedder.embed([a.title or embed_text(a) for a in articles])
        embedder.save()
        tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform([a.body for a in articles])
        views = {
            "use": body @ body.T,
            "tfidf": (tfidf @ tfidf.T).toarray(),
            "use+title": (body @ body.T + title @ title.T) / 2.0,
        }
        views["use+tfidf"] = (views["use"] + views["tfidf"]) / 2.0
        views["use+title+tfidf"] = (2.0 * views["use+title"] + views["tfidf"]) / 3.0
        for view, similarity in views.items():
            f1, linkage, threshold = best_agglomerative(similarity, gold)
            nn = nearest_neighbour_rate(similarity, gold)
            print(f"{name:14s} {view:16s} nn={nn:.3f}  best B3 F1={f1:.3f} ({linkage}, {threshold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
