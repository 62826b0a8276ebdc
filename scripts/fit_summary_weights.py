"""Fit the extractive summariser on NeuS train (never on val or test): sentence weights, clause cuts, length.

1. Each lead sentence is labelled with its own ROUGE-L F-measure against the editors' roundup;
   gradient-boosted regression trees over `storyweave.analyse.summary.FEATURE_NAMES` predict it
   (exported as JSON arrays).
2. Clause cuts: in the summaries of a slice of train, every clause `clause_spans` finds that the other
   articles do not support is cut on its own; kinds (relation and place) whose cut raises ROUGE-2 + ROUGE-L
   on average become `cut_clauses`.
3. The word budget (a base plus a share of the input's words) and the sentence cap are chosen by ROUGE on
   another slice of train.

Writes src/storyweave/analyse/summary_weights.json. Uses every core (one worker process each).

    .venv/bin/python scripts/fit_summary_weights.py ../shared/data/summaries/neus_train.jsonl

"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer
from sklearn.ensemble import HistGradientBoostingRegressor

from storyweave.analyse.facts import content_terms
from storyweave.analyse.nlp import parse
from storyweave.analyse.summary import (
    FEATURE_NAMES,
    ExtractiveSummarizer,
    SourceText,
    TreeEnsemble,
    _cut,
    _unsupported,
    candidates,
    clause_spans,
    sentence_features,
)

MIN_CUTS = 10
"""A clause kind needs this many observed cuts before its average gain is trusted."""
CUT_SLICE, LENGTH_SLICE = slice(0, 700), slice(1000, 1600)
OUT = Path(__file__).resolve().parents[1] / "src" / "storyweave" / "analyse" / "summary_weights.json"
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def rouge(reference: str, text: str) -> np.ndarray:
    score = SCORER.score(reference, text)
    return np.array([score[k].fmeasure for k in ("rouge1", "rouge2", "rougeL")])


def to_docs(row: dict) -> list[SourceText]:
    return [SourceText(a.get("title") or "", a.get("text") or "") for a in row["articles"]]


def clause_gains(job: tuple[dict, dict]) -> list[tuple[str, float]]:
    """(kind, ROUGE-2 + ROUGE-L change) for cutting each unsupported clause of one story's summary alone."""
    config, row = job
    docs = to_docs(row)
    sentences = ExtractiveSummarizer(config).summarize(docs).sentences
    texts = [s.text for s in sentences]
    base = rouge(row["reference"], " ".join(texts))[1:].sum()
    terms = [content_terms(f"{doc.title} {doc.text}") for doc in docs]
    gains = []
    for i, sentence in enumerate(sentences):
        own = sentence.origin[0]
        others = set().union(*terms[:own], *terms[own + 1 :])
        doc = parse([sentence.text])[0]
        for kind, lo, hi in clause_spans(doc):
            if not _unsupported(doc, lo, hi, others):
                continue
            cut = " ".join([*texts[:i], _cut(doc, set(range(lo, hi + 1))), *texts[i + 1 :]])
            gains.append((kind, rouge(row["reference"], cut)[1:].sum() - base))
    return gains


def summary_rouge(job: tuple[dict, dict]) -> np.ndarray:
    config, row = job
    return rouge(row["reference"], ExtractiveSummarizer(config).summarize(to_docs(row)).text)


def story_rows(row: dict) -> tuple[np.ndarray, list[float]]:
    """Sentence features of one story and each sentence's own ROUGE-L F-measure against the roundup."""
    docs = to_docs(row)
    cands = candidates(docs)
    if not cands:
        return np.zeros((0, len(FEATURE_NAMES))), []
    return sentence_features(docs, cands)[0], [
        SCORER.score(row["reference"], c.text)["rougeL"].fmeasure for c in cands
    ]


def fit_scorer(pool, rows: list[dict]) -> dict:
    parts = pool.map(story_rows, rows, chunksize=32)
    features = np.vstack([f for f, _ in parts])
    targets = np.concatenate([t for _, t in parts])
    model = HistGradientBoostingRegressor(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, random_state=0
    ).fit(features, targets)
    exported = TreeEnsemble.export(model)
    sample = features[:500]
    assert np.allclose(TreeEnsemble(exported).predict(sample), model.predict(sample), atol=1e-5)
    print(f"scorer: {len(exported['trees'])} trees on {len(targets)} sentences")
    return exported


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    with Pool(os.cpu_count()) as pool:
        config: dict = {
            "features": list(FEATURE_NAMES), "scorer": fit_scorer(pool, rows),
            "budget": {"base": 0, "per_input_word": 0.0}, "max_sentences": 3, "cut_clauses": [],
        }  # fmt: skip
        by_kind = defaultdict(list)
        for gains in pool.map(clause_gains, [(config, row) for row in rows[CUT_SLICE]], chunksize=16):
            for kind, gain in gains:
                by_kind[kind].append(gain)
        for kind, gains in sorted(by_kind.items()):
            print(f"cut {kind:16s} n {len(gains):5d} mean ROUGE-2+L change {np.mean(gains) * 100:+.3f}")
        config["cut_clauses"] = sorted(k for k, g in by_kind.items() if len(g) >= MIN_CUTS and np.mean(g) > 0)
        print("cut clauses:", ", ".join(config["cut_clauses"]))
        best = None
        for base, per_word in ((0, 0.0), (0, 0.2), (0, 0.3), (0, 0.4), (20, 0.2), (20, 0.3)):
            for cap in (2, 3):
                trial = {**config, "budget": {"base": base, "per_input_word": per_word}, "max_sentences": cap}
                scores = pool.map(summary_rouge, [(trial, row) for row in rows[LENGTH_SLICE]], chunksize=16)
                mean = np.mean(scores, axis=0) * 100
                print(f"budget {base} + {per_word}×input, cap {cap}: R1 {mean[0]:.2f} R2 {mean[1]:.2f}"
                      f" RL {mean[2]:.2f}")  # fmt: skip
                if best is None or mean[1] + mean[2] > best[0]:
                    best = (mean[1] + mean[2], trial)
    best[1]["fitted_on"] = Path(path).name
    OUT.write_text(json.dumps(best[1]) + "\n")
    print(f"wrote {OUT}: budget {best[1]['budget']}, cap {best[1]['max_sentences']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/summaries/neus_train.jsonl")
