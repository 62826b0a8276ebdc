"""Fit the story engine's decision model (src/storyweave/cluster/engine_model.json); report it honestly.

    .venv/bin/python scripts/fit_engine.py [--data ../shared/data] [--embedder use|e5|st:PATH]
                                           [--cache FILE.npz] [--embed-only] [--no-write]
    experiments (see --help): [--model trees|monotone|logistic] [--drop FEATURES] [--window DAYS]
                              [--rows-cache FILE] [--only SETS] [--sweep THRESHOLDS]

Join model: logistic regression over `profile.FEATURE_NAMES` and their products with `short` (headline-only
reports), on standardised columns, from replays of labelled streams with gold stories (Miranda et al. 2018):
every article is compared with its nearest gold stories so far (same-topic stories are the nearest, so the
negatives are hard ones), label = "this is its story". Streams: the five clustering sets (with undated and
headline-only copies of the full-text ones), the NeuS train stories (three articles each, AllSides) and the
cross-language SemEval pairs. Each stream weighs the same. (`--model trees` fits the boosted trees shipped
before: LOSO mean 0.729 against 0.773.) Pair model: logistic regression with soft labels (4 - overall) / 3 on
SemEval-2022 pairs.

Reported (and written into the model's `fit_report`):
- `loso`: leave-one-set-out B3 F1: for each clustering set, the join model is fitted on every *other*
  stream and the engine scores the set it never saw. NeuS stories sharing an article with allsides.jsonl
  (321 stories; titles equal once NeuS's added final period is ignored) are never used, so nothing leaks.
- `semeval_kfold`: Pearson of out-of-fold pair scores, 5 folds split by article (the connected components
  of the pair graph), so no article is on both sides.
- `in_sample`: the shipped model (fitted on everything) on each set: not a result, shown for the gap.
- `tfidf`: the TF-IDF single-pass baseline (`eval.clustering.tfidf_single_pass`) on each set.
The decision thresholds are one shared default, never tuned per set. The logistic join's threshold, 0.35,
was picked among 0.3 / 0.35 / 0.4 by the LOSO mean (0.771 / 0.773 / 0.764: `try_join_variants.py
--thresholds`), so the held-out sets did see that one choice; each of the three beats the trees' 0.729.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from storyweave.cluster.batch import article_from_record, cluster_articles, read_jsonl
from storyweave.cluster.dates import text_date
from storyweave.cluster.engine import StoryEngine, embed_text
from storyweave.cluster.index import ExactIndex
from storyweave.cluster.model import EngineModel, model_file
from storyweave.cluster.profile import (
    FEATURE_NAMES,
    Profile,
    background,
    features,
    gap_hours,
    text_features,
)
from storyweave.cluster.similarity import pair_feature_rows
from storyweave.embed import embedder_name, make_embedder
from storyweave.embed.cache import CachedEmbedder
from storyweave.eval.clustering import score_clustering, tfidf_single_pass
from storyweave.eval.pairs import lang_pair, score_pairs
from storyweave.models import Article
from storyweave.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SETS = ["allsides", "wikinews", "giveme5w1h", "uci_headlines", "ecbplus_dev"]
CANDIDATES = 10
TREES, DEPTH = 100, 4
MODEL_KIND = "logistic"
FOLDS = 5
THRESHOLDS = {
    "join_threshold": 0.35,  # the trees' (--model trees|monotone) is JOIN_THRESHOLD_TREES
    "thread_threshold": 0.15,
    "merge_threshold": 0.7,
    "pair_threshold": 0.5,
    "time_window_days": 7.0,
}

JOIN_THRESHOLD_TREES = 0.4

Stream = tuple[list[Article], list[str]]


def load_set(path: Path) -> Stream:
    articles, gold = [], []
    for number, record in read_jsonl(path):
        articles.append(article_from_record(record, f"{path}:{number}"))
        gold.append(str(record["cluster_id"]))
    return articles, gold


def _title_key(title: str) -> str:
    return " ".join(title.split()).rstrip(".").strip().casefold()


def load_neus(path: Path, exclude: Stream) -> Stream:
    """NeuS train stories in file order, without those sharing an article (title) with `exclude`."""
    taken = {_title_key(a.title) for a in exclude[0]}
    articles, gold = [], []
    for _, record in read_jsonl(path):
        members = record.get("articles") or []
        if any(_title_key(m.get("title") or "") in taken for m in members):
            continue
        for i, member in enumerate(members):
            articles.append(
                Article(
                    id=f"{record['id']}/{i}",
                    title=member.get("title") or "",
                    text=member.get("text") or "",
                    lang="en",
                )
            )
            gold.append(str(record["id"]))
    return articles, gold


def variants(name: str, stream: Stream) -> list[tuple[str, Stream]]:
    """The stream as given, plus undated and headline-only copies of full-text streams, so that undated
    feeds and headline-only feeds are decided at the level of events too. (Not copies of headline-only sets:
    their gold stories are broad topics, which without dates would teach "same topic = same story".)
    """
    articles, gold = stream
    out = [(name, stream)]
    if not any(a.text for a in articles):
        return out
    if any(a.published for a in articles):
        out.append((f"{name}/undated", ([dataclasses.replace(a, published=None) for a in articles], gold)))
    headlines = [dataclasses.replace(a, text="", published=None) for a in articles]
    out.append((f"{name}/headlines", (headlines, gold)))
    return out


def join_rows(stream: Stream, embedder, window_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Replay with gold stories: features of each article against its nearest stories (and its own story).
    Stories outside the time window are left out, as the engine never scores them.
    """
    articles, gold = stream
    vectors = embedder.embed([embed_text(a) for a in articles])
    df, index = background(), ExactIndex(vectors.shape[1])
    stories: dict[str, Profile] = {}
    keys: dict[str, int] = {}
    by_key: dict[int, str] = {}
    rows, labels = [], []
    for article, vector, label in zip(articles, vectors, gold, strict=True):
        feats = text_features(article.title, article.text)
        moment = article.published or text_date(article.text)
        profile = Profile.of_article(vector, feats, moment, article.lang, article.source)
        candidates = [by_key[k] for k, _ in index.search(profile.unit, CANDIDATES)]
        if label in stories and label not in candidates:
            candidates.append(label)
        for candidate in candidates:
            gap = gap_hours(profile, stories[candidate])
            if gap is not None and gap > window_days * 24.0:
                continue
            rows.append(features(profile, stories[candidate], df))
            labels.append(candidate == label)
        if label in stories:
            stories[label].absorb(profile)
        else:
            stories[label] = profile
            keys[label] = len(keys)
            by_key[keys[label]] = label
        index.upsert(keys[label], stories[label].unit)
    return np.array(rows), np.array(labels, dtype=int)


UNSEEN_LANGUAGE_PAIR = "de-fr"
"""Left out of the join's SemEval rows, so the de-fr join test reads a language pair the model never saw."""


def pair_join_rows(
    pairs: list[tuple[Article, Article]], overall: np.ndarray, langs: list[str], embedder
) -> tuple[np.ndarray, np.ndarray]:
    """The rated cross-language SemEval pairs as two-report replays: the second report against a story of the
    first, "same story" when rated similar (overall <= 2), "another story" when dissimilar (>= 3), the middle
    left out. The clustering sets have no joins across languages; same-language pairs are left to them (with
    those too, the pairs' looser notion of "similar" lowered the LOSO mean from 0.771 to 0.754 at threshold
    0.3).
    """
    kept = [
        (pair, rating)
        for pair, rating, lang in zip(pairs, overall, langs, strict=True)
        if not 2.0 < rating < 3.0 and "-" in lang and lang != UNSEEN_LANGUAGE_PAIR
    ]
    articles = [a for pair, _ in kept for a in pair]
    vectors = embedder.embed([embed_text(a) for a in articles])  # one batch, not one call per article
    profiles = [
        Profile.of_article(v, text_features(a.title, a.text), a.published or text_date(a.text), a.lang)
        for a, v in zip(articles, vectors, strict=True)
    ]
    df = background()
    rows = [features(profiles[i + 1], profiles[i], df) for i in range(0, len(profiles), 2)]
    return np.array(rows), np.array([rating <= 2.0 for _, rating in kept], dtype=int)


MONOTONE = {
    "dense_centroid": 1,
    "dense_member": 1,
    "tfidf": 1,
    "names": 1,
    "numbers": 1,
    "time_gap": -1,
    "dense_sq": 1,
    "tfidf_sqrt": 1,
}
"""More similar never means less likely the same event: the constraint keeps the trees from learning one
set's quirks (a dip at some cosine), which did not carry over to the sets left out."""


def fit_join(
    parts: list[tuple[np.ndarray, np.ndarray]],
    drop: list[int],
    kind: str = "trees",
    interact: Sequence[str] = ("short",),
    c: float = 1.0,
) -> dict:
    """The join model of `kind`, each stream weighing the same, exported for `model.scorer`: the logistic one
    (`interact`, `c`: see `fit_logistic_join`) or boosted trees as plain arrays. Columns in `drop` are held
    constant, so the model never uses them (ablation)."""
    parts = [p for p in parts if len(p[1])]
    x = np.vstack([p[0] for p in parts])
    x[:, drop] = 0.0
    y = np.concatenate([p[1] for p in parts])
    weights = np.concatenate([np.full(len(p[1]), 1.0 / len(p[1])) for p in parts]) * len(y)
    if kind == "logistic":
        return fit_logistic_join(x, y, weights, interact, c)
    monotone = [MONOTONE.get(f, 0) for f in FEATURE_NAMES] if kind == "monotone" else None
    gbm = HistGradientBoostingClassifier(
        max_iter=TREES,
        max_depth=DEPTH,
        learning_rate=0.1,
        early_stopping=False,
        random_state=0,
        monotonic_cst=monotone,
    ).fit(x, y, sample_weight=weights)
    return export_trees(gbm)


def fit_logistic_join(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, interact: Sequence[str] = ("short",), c: float = 1.0
) -> dict:
    """Logistic regression over the features and their products with the `interact` columns, on standardised
    columns (so the one regularisation strength treats every feature alike); the scaling is folded into the
    exported coefficients, so `model.Logistic` needs no scaler."""
    columns = [FEATURE_NAMES.index(name) for name in interact]
    extended = np.hstack([x] + [x * x[:, [column]] for column in columns])
    scaler = StandardScaler().fit(extended)
    fitted = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(extended), y, weights)
    coef = fitted.coef_[0] / scaler.scale_
    intercept = float(fitted.intercept_[0] - coef @ scaler.mean_)
    return {
        "kind": "logistic",
        "interact": list(interact),
        "coef": [round(float(c), 6) for c in coef],
        "intercept": round(intercept, 6),
    }


def export_trees(gbm: HistGradientBoostingClassifier) -> dict:
    nodes = [predictor[0].nodes for predictor in gbm._predictors]
    width = max(len(n) for n in nodes)

    def padded(field: str, cast) -> list[list]:
        return [[cast(v) for v in n[field]] + [cast(0)] * (width - len(n)) for n in nodes]

    return {
        "kind": "trees",
        "feature": padded("feature_idx", int),
        "threshold": padded("num_threshold", lambda v: round(float(v), 6)),
        "left": padded("left", int),
        "right": padded("right", int),
        "value": padded("value", lambda v: round(float(v), 6)),
        "leaf": padded("is_leaf", int),
        "baseline": round(float(np.ravel(gbm._baseline_prediction)[0]), 6),
        "depth": max(int(n["depth"].max()) for n in nodes) + 1,
    }


def fit_pair(x: np.ndarray, overall: np.ndarray) -> LogisticRegression:
    """Soft labels: each pair counts as 'same' with weight t and 'different' with 1 - t, t = (4 - overall)
    / 3.
    """
    target = np.clip((4.0 - overall) / 3.0, 0.0, 1.0)
    xx = np.vstack([x, x])
    yy = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
    ww = np.concatenate([target, 1.0 - target]) + 1e-6
    return LogisticRegression(C=10.0, max_iter=5000).fit(xx, yy, sample_weight=ww)


def as_part(model: LogisticRegression) -> dict:
    return {
        "coef": [round(float(c), 6) for c in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
    }


def run_engine(articles: list[Article], model: EngineModel, embedder, candidates: int = 10) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "fit.db")
        try:
            engine = StoryEngine(store, embedder, model=model, candidates=candidates)
            return cluster_articles(articles, store, engine)
        finally:
            store.close()


def load_pairs(path: Path) -> tuple[list[tuple[Article, Article]], np.ndarray, list[str], np.ndarray]:
    """SemEval pairs, ratings, language pairs and each pair's fold (by connected component of articles)."""
    pairs, overall, langs, ids = [], [], [], []
    for number, record in read_jsonl(path):
        sides = [
            Article(
                id=f"{number}{side}",
                title=record.get(f"title{side}") or "",
                text=record.get(f"text{side}") or "",
                lang=record.get(f"lang{side}"),
            )
            for side in "12"
        ]
        pairs.append((sides[0], sides[1]))
        overall.append(float(record["overall"]))
        langs.append(lang_pair(record.get("lang1"), record.get("lang2")))
        ids.append(str(record["pair_id"]).split("_"))
    return pairs, np.array(overall), langs, article_folds(ids, FOLDS)


def article_folds(pair_articles: list[list[str]], k: int) -> np.ndarray:
    """Fold of each pair such that an article never sits in two folds: whole components of the pair graph."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ids in pair_articles:
        for other in ids[1:]:
            parent[root(ids[0])] = root(other)
    return np.array([hashlib.sha1(root(ids[0]).encode()).digest()[0] % k for ids in pair_articles])


def semeval_kfold(x: np.ndarray, overall: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold scores: each fold scored by a pair model fitted on the other folds."""
    scores = np.zeros(len(overall))
    for f in range(FOLDS):
        test = folds == f
        model = fit_pair(x[~test], overall[~test])
        scores[test] = model.predict_proba(x[test])[:, 1]
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--embedder", default="use", help="use | e5 | st:/path/to/model")
    parser.add_argument(  # one file holds every embedder's vectors, each under its own name
        "--cache", type=Path, default=Path.home() / ".cache" / "storyweave" / "fit-use.npz"
    )
    parser.add_argument("--out", type=Path, help="model file (default: the packaged file for the embedder)")
    parser.add_argument("--embed-only", action="store_true", help="fill the cache and stop")
    parser.add_argument("--no-write", action="store_true", help="report only; leave the model file alone")
    parser.add_argument("--drop", default="", help="comma-separated features the join model may not use")
    parser.add_argument("--window", type=float, default=THRESHOLDS["time_window_days"], help="days")
    parser.add_argument("--model", default=MODEL_KIND, choices=["trees", "monotone", "logistic"])
    parser.add_argument("--rows-cache", type=Path, help="reuse replay features from this file (experiments)")
    parser.add_argument("--only", default="", help="comma-separated sets to report (experiments)")
    parser.add_argument("--sweep", default="", help="also report these join thresholds (experiments)")
    args = parser.parse_args()
    drop = [FEATURE_NAMES.index(f) for f in args.drop.split(",") if f]
    thresholds = {**THRESHOLDS, "time_window_days": args.window}
    if args.model != "logistic":
        thresholds["join_threshold"] = JOIN_THRESHOLD_TREES
    logging.basicConfig(level=logging.ERROR)
    out = args.out or ROOT / "src" / "storyweave" / "cluster" / model_file(embedder_name(args.embedder))
    embedder = CachedEmbedder(make_embedder(args.embedder), args.cache)

    sets = {name: load_set(args.data / "clustering" / f"{name}.jsonl") for name in SETS}
    streams = dict(sets)
    streams["neus"] = load_neus(args.data / "summaries" / "neus_train.jsonl", sets["allsides"])
    pairs, overall, langs, folds = load_pairs(args.data / "pairs" / "semeval2022_dev.jsonl")
    if args.embed_only:
        for name, stream in streams.items():
            for variant, (articles, _) in variants(name, stream):
                for start in range(0, len(articles), 256):
                    embedder.embed([embed_text(a) for a in articles[start : start + 256]])
                    embedder.save()
                print(f"{variant}: embedded", file=sys.stderr)
        embedder.embed([embed_text(a) for pair in pairs for a in pair])
        embedder.save()
        return 0

    rows: dict[str, tuple[str, tuple[np.ndarray, np.ndarray]]] = {}
    if args.rows_cache and args.rows_cache.exists():
        with open(args.rows_cache, "rb") as handle:
            rows = pickle.load(handle)
    cached = len(rows)
    for name, stream in streams.items():
        for variant, replayed in variants(name, stream):
            if variant not in rows:
                rows[variant] = (name, join_rows(replayed, embedder, args.window))
            print(f"{variant}: {len(rows[variant][1][1])} join rows", file=sys.stderr)
    if args.rows_cache and len(rows) > cached:
        with open(args.rows_cache, "wb") as handle:
            pickle.dump(rows, handle)
    rows["semeval"] = ("semeval", pair_join_rows(pairs, overall, langs, embedder))
    x_pairs = pair_feature_rows(pairs, embedder)
    embedder.save()

    report: dict = {"loso": {}, "in_sample": {}, "tfidf": {}}
    report["setup"] = {"window_days": args.window, "drop": args.drop, "model": args.model}
    pair_part = as_part(fit_pair(x_pairs, overall))
    for held in [s for s in SETS if not args.only or s in args.only.split(",")]:
        join = fit_join([part for name, part in rows.values() if name != held], drop, args.model)
        model = EngineModel.from_dict(
            {"features": FEATURE_NAMES, "join": join, "pair": pair_part, **thresholds}
        )
        articles, gold = sets[held]
        for value in [float(v) for v in args.sweep.split(",") if v]:
            swept = dataclasses.replace(model, join_threshold=value)
            result = score_clustering(run_engine(articles, swept, embedder), gold)
            print(f"{held} join_threshold {value}: B3 F1 {result.b3_f1:.4f}", file=sys.stderr)
        scores = score_clustering(run_engine(articles, model, embedder), gold)
        report["loso"][held] = round(scores.b3_f1, 4)
        report["tfidf"][held] = round(score_clustering(tfidf_single_pass(articles), gold).b3_f1, 4)
        print(
            f"{held}: B3 F1 {scores.b3_f1:.4f} (P {scores.b3_precision:.3f} R {scores.b3_recall:.3f}, "
            f"{scores.n_predicted} stories / {scores.n_gold}); tfidf {report['tfidf'][held]}",
            file=sys.stderr,
        )
    if args.only:
        print(json.dumps(report), file=sys.stderr)
        return 0
    report["loso"]["mean"] = round(float(np.mean([report["loso"][s] for s in SETS])), 4)
    report["tfidf"]["mean"] = round(float(np.mean([report["tfidf"][s] for s in SETS])), 4)
    out_of_fold = semeval_kfold(x_pairs, overall, folds)
    report["semeval_kfold"] = round(score_pairs(out_of_fold, overall, langs).pearson, 4)
    print(json.dumps(report), file=sys.stderr)

    # Shipped default: the same recipe on all the data.
    join_all = fit_join([part for _, part in rows.values()], drop, args.model)
    shipped = {"features": FEATURE_NAMES, "join": join_all, "pair": pair_part, **thresholds}
    model = EngineModel.from_dict(shipped)
    for name, (articles, gold) in sets.items():
        report["in_sample"][name] = round(
            score_clustering(run_engine(articles, model, embedder), gold).b3_f1, 4
        )
    report["in_sample"]["mean"] = round(float(np.mean([report["in_sample"][s] for s in SETS])), 4)
    report["in_sample"]["semeval_pearson"] = round(
        score_pairs(model.pair.probability(x_pairs), overall, langs).pearson, 4
    )
    print(json.dumps(report), file=sys.stderr)
    if not args.no_write:
        shipped["fit_report"] = report
        lines = [f"{json.dumps(key)}: {json.dumps(value)}" for key, value in shipped.items()]
        out.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
