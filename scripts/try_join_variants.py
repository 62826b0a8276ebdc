"""Variants of the logistic join model, scored leave-one-set-out exactly as `fit_engine.py` scores the shipped
one (experiments; the figures of README's "tried and not kept" come from here).

    .venv/bin/python scripts/try_join_variants.py --rows-cache FILE [--cache FILE.npz] [--only SETS]
        [--interact short,has_time] [--C 1.0] [--thresholds 0.3,0.4] [--merge 0.7] [--candidates 10]
        [--semeval none|cross|all]

`--rows-cache` is the replay-row file `fit_engine.py --rows-cache` writes, so no replay is recomputed.
`--semeval`: which SemEval pairs become join rows (the shipped model: `cross`, cross-language ones only).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit_engine  # noqa: E402

from storyweave.cluster.model import EngineModel, scorer  # noqa: E402
from storyweave.embed import make_embedder  # noqa: E402
from storyweave.embed.cache import CachedEmbedder  # noqa: E402
from storyweave.eval.clustering import score_clustering  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=fit_engine.ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "storyweave" / "fit-use.npz")
    parser.add_argument("--rows-cache", type=Path, required=True)
    parser.add_argument("--only", default=",".join(fit_engine.SETS))
    parser.add_argument("--interact", default="short", help="comma-separated; '' for none")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--thresholds", default=str(fit_engine.THRESHOLDS["join_threshold"]))
    parser.add_argument("--merge", type=float, default=fit_engine.THRESHOLDS["merge_threshold"])
    parser.add_argument("--candidates", type=int, default=10, help="stories the engine scores per article")
    parser.add_argument("--semeval", default="cross", choices=["none", "cross", "all"])
    args = parser.parse_args()
    with open(args.rows_cache, "rb") as handle:
        rows = pickle.load(handle)
    embedder = CachedEmbedder(make_embedder("use"), args.cache)
    if args.semeval != "none":
        pairs, overall, langs, _ = fit_engine.load_pairs(args.data / "pairs" / "semeval2022_dev.jsonl")
        if args.semeval == "all":  # every language pair counts as "cross" for pair_join_rows' filter
            langs = [lang if "-" in lang else f"{lang}-{lang}" for lang in langs]
        rows["semeval"] = ("semeval", fit_engine.pair_join_rows(pairs, overall, langs, embedder))
    interact = [name for name in args.interact.split(",") if name]
    thresholds = [float(t) for t in args.thresholds.split(",")]
    scores: dict[float, list[float]] = {t: [] for t in thresholds}
    for held in args.only.split(","):
        articles, gold = fit_engine.load_set(args.data / "clustering" / f"{held}.jsonl")
        parts = [part for name, part in rows.values() if name != held]
        join = scorer(fit_engine.fit_join(parts, [], "logistic", interact, args.C))
        for threshold in thresholds:
            decisions = {"join_threshold": threshold, "merge_threshold": args.merge}
            model = EngineModel(join=join, pair=join, **{**fit_engine.THRESHOLDS, **decisions})
            result = score_clustering(
                fit_engine.run_engine(articles, model, embedder, args.candidates), gold
            )
            scores[threshold].append(result.b3_f1)
            print(
                f"{held} threshold {threshold}: B3 F1 {result.b3_f1:.4f} (P {result.b3_precision:.3f} "
                f"R {result.b3_recall:.3f}, {result.n_predicted} stories / {result.n_gold})",
                flush=True,
            )
    for threshold, values in scores.items():
        print(f"threshold {threshold}: mean {np.mean(values):.4f}")


if __name__ == "__main__":
    main()
