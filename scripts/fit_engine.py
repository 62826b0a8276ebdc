"""Fit the story engine's shipped decision model (src/storyweave/cluster/engine_model.json) deterministically.

    .venv/bin/python scripts/fit_engine.py [--data ../shared/data] [--embedder use|e5|st:PATH] [--cache FILE]

The default embedder's model goes to src/storyweave/cluster/engine_model.json; another embedder's model to
`engine_model-<embedder>.json` beside it, which the engine then picks when it runs with that embedder.

Join model: logistic regression over `profile.FEATURE_NAMES`, from a replay of each clustering set in file
order with gold stories (Miranda et al. 2018): every article is compared with its nearest gold stories so
far, label = "this is its story". Each set weighs the same. Pair model: logistic regression with soft labels
(4 - overall) / 3 on SemEval-2022 pairs. Both are first fitted on half of the data (split by story / by
article) and reported on the other half, then refitted on everything and written out. The decision
thresholds are one shared default, never tuned per set.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from storyweave.cluster.batch import article_from_record, cluster_articles, read_jsonl
from storyweave.cluster.engine import StoryEngine, embed_text
from storyweave.cluster.index import ExactIndex
from storyweave.cluster.model import EngineModel, model_file
from storyweave.cluster.profile import FEATURE_NAMES, DocumentFrequencies, Profile, features, text_features
from storyweave.cluster.similarity import pair_feature_rows
from storyweave.embed import embedder_name, make_embedder
from storyweave.embed.cache import CachedEmbedder
from storyweave.eval.clustering import score_clustering
from storyweave.eval.pairs import lang_pair, score_pairs
from storyweave.models import Article
from storyweave.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SETS = ["allsides", "giveme5w1h", "wikinews", "uci_headlines"]
CANDIDATES = 10
TREES, DEPTH = 100, 4
THRESHOLDS = {"join_threshold": 0.4, "thread_threshold": 0.15, "merge_threshold": 0.7, "pair_threshold": 0.5}


def fold(key: str) -> int:
    """Stable 2-way split (0 = fit, 1 = held out)."""
    return hashlib.sha1(key.encode("utf-8")).digest()[0] % 2


def load_set(path: Path) -> tuple[list[Article], list[str]]:
    articles, gold = [], []
    for number, record in read_jsonl(path):
        articles.append(article_from_record(record, f"{path}:{number}"))
        gold.append(str(record["cluster_id"]))
    return articles, gold


def variants(name: str, articles: list[Article]) -> list[tuple[str, list[Article]]]:
    """The set as given, plus undated and headline-only copies of full-text sets, so that undated feeds and
    headline-only feeds are decided at the level of events too. (Not copies of headline-only sets: their gold
    stories are broad topics, which without dates would teach "same topic = same story".)
    """
    out = [(name, articles)]
    if not any(a.text for a in articles):
        return out
    if any(a.published for a in articles):
        out.append((f"{name}/undated", [dataclasses.replace(a, published=None) for a in articles]))
    out.append((f"{name}/headlines", [dataclasses.replace(a, text="", published=None) for a in articles]))
    return out


def join_rows(articles: list[Article], gold: list[str], embedder) -> tuple[np.ndarray, np.ndarray]:
    """Replay with gold stories: features of each article against its nearest stories (and its own story)."""
    vectors = embedder.embed([embed_text(a) for a in articles])
    df, index = DocumentFrequencies(), ExactIndex(vectors.shape[1])
    stories: dict[str, Profile] = {}
    keys: dict[str, int] = {}
    by_key: dict[int, str] = {}
    rows, labels = [], []
    for article, vector, label in zip(articles, vectors, gold, strict=True):
        feats = text_features(article.title, article.text)
        df.add(feats)
        profile = Profile.of_article(vector, feats, article.published, article.lang, article.source)
        candidates = [by_key[k] for k, _ in index.search(profile.unit, CANDIDATES)]
        if label in stories and label not in candidates:
            candidates.append(label)
        for candidate in candidates:
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


def fit_join(parts: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """Boosted trees, each data set weighing the same; exported to plain arrays for `model.Trees`."""
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    weights = np.concatenate([np.full(len(p[1]), 1.0 / len(p[1])) for p in parts]) * len(y)
    gbm = HistGradientBoostingClassifier(
        max_iter=TREES, max_depth=DEPTH, learning_rate=0.1, early_stopping=False, random_state=0
    ).fit(x, y, sample_weight=weights)
    return export_trees(gbm)


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


def run_engine(articles: list[Article], model: EngineModel, embedder) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "fit.db")
        try:
            engine = StoryEngine(store, embedder, model=model)
            return cluster_articles(articles, store, engine)
        finally:
            store.close()


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
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    out = args.out or ROOT / "src" / "storyweave" / "cluster" / model_file(embedder_name(args.embedder))
    embedder = CachedEmbedder(make_embedder(args.embedder), args.cache)

    sets = {name: load_set(args.data / "clustering" / f"{name}.jsonl") for name in SETS}
    rows: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for name, (articles, gold) in sets.items():
        for variant, replayed in variants(name, articles):
            for part in (0, 1):
                chosen = [i for i, g in enumerate(gold) if fold(g) == part]
                picked = [replayed[i] for i in chosen]
                rows[variant, part] = join_rows(picked, [gold[i] for i in chosen], embedder)
            print(f"{variant}: {sum(len(rows[variant, p][1]) for p in (0, 1))} join rows", file=sys.stderr)

    pairs, overall, langs, pair_ids = [], [], [], []
    for number, record in read_jsonl(args.data / "pairs" / "semeval2022_dev.jsonl"):
        a = Article(
            id=f"{number}a",
            title=record.get("title1") or "",
            text=record.get("text1") or "",
            lang=record.get("lang1"),
        )
        b = Article(
            id=f"{number}b",
            title=record.get("title2") or "",
            text=record.get("text2") or "",
            lang=record.get("lang2"),
        )
        pairs.append((a, b))
        overall.append(float(record["overall"]))
        langs.append(lang_pair(record.get("lang1"), record.get("lang2")))
        pair_ids.append(str(record["pair_id"]))
    pair_fold = np.array([fold(p.split("_")[0]) for p in pair_ids])
    x_pairs = pair_feature_rows(pairs, embedder)
    overall_arr = np.array(overall)
    embedder.save()

    report: dict = {"held_out": {}, "in_sample": {}}
    # Held-out: fit on fold 0, report on fold 1 (stories, resp. first articles of pairs, never seen in
    # fitting).
    join_half = fit_join([rows[key] for key in rows if key[1] == 0])
    pair_half = fit_pair(x_pairs[pair_fold == 0], overall_arr[pair_fold == 0])
    half = EngineModel.from_dict(
        {"features": FEATURE_NAMES, "join": join_half, "pair": as_part(pair_half), **THRESHOLDS}
    )
    for name, (articles, gold) in sets.items():
        chosen = [i for i, g in enumerate(gold) if fold(g) == 1]
        predicted = run_engine([articles[i] for i in chosen], half, embedder)
        report["held_out"][name] = round(score_clustering(predicted, [gold[i] for i in chosen]).b3_f1, 4)
    test = pair_fold == 1
    held_scores = half.pair.probability(x_pairs[test])
    pair_report = score_pairs(held_scores, overall_arr[test], [langs[i] for i in np.flatnonzero(test)])
    report["held_out"]["semeval_pearson"] = round(pair_report.pearson, 4)
    print(json.dumps(report["held_out"]), file=sys.stderr)

    # Shipped default: the same recipe on all the data.
    join_all = fit_join(list(rows.values()))
    pair_all = fit_pair(x_pairs, overall_arr)
    shipped = {"features": FEATURE_NAMES, "join": join_all, "pair": as_part(pair_all), **THRESHOLDS}
    model = EngineModel.from_dict(shipped)
    for name, (articles, gold) in sets.items():
        report["in_sample"][name] = round(
            score_clustering(run_engine(articles, model, embedder), gold).b3_f1, 4
        )
    report["in_sample"]["semeval_pearson"] = round(
        score_pairs(model.pair.probability(x_pairs), overall_arr, langs).pearson, 4
    )
    shipped["fit_report"] = report
    lines = [f"{json.dumps(key)}: {json.dumps(value)}" for key, value in shipped.items()]
    out.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(json.dumps(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
