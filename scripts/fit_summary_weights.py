"""Fit the extractive summariser's sentence-scoring weights on NeuS train (never on val or test).

Each lead sentence is labelled with its own ROUGE-L F-measure against the editors' roundup; a ridge
regression over `storyweave.analyse.summary.FEATURE_NAMES` predicts it. The word budget and sentence cap are
then chosen by ROUGE on a slice of train. Writes src/storyweave/analyse/summary_weights.json.

    .venv/bin/python scripts/fit_summary_weights.py ../shared/data/summaries/neus_train.jsonl

"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer
from sklearn.linear_model import Ridge

from storyweave.analyse.summary import (
    FEATURE_NAMES,
    ExtractiveSummarizer,
    SourceText,
    candidates,
    sentence_features,
)

LOADED_PENALTY = 0.05
"""At least this much score is lost by a sentence with a loaded word (ROUGE on train is unchanged by it)."""
OUT = Path(__file__).resolve().parents[1] / "src" / "storyweave" / "analyse" / "summary_weights.json"


def main(path: str) -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    stories = [[SourceText(a.get("title") or "", a.get("text") or "") for a in r["articles"]] for r in rows]
    features, targets = [], []
    for row, docs in zip(rows, stories, strict=True):
        cands = candidates(docs)
        if not cands:
            continue
        features.append(sentence_features(docs, cands)[0])
        targets += [scorer.score(row["reference"], c.text)["rougeL"].fmeasure for c in cands]
    model = Ridge(alpha=1.0).fit(np.vstack(features), np.array(targets))
    weights = dict(zip(FEATURE_NAMES, (float(round(w, 5)) for w in model.coef_), strict=True))
    weights["bias"] = float(round(model.intercept_, 5))
    # Neutral wording is a requirement, not only what the references reward: loaded words always cost.
    weights["loaded"] = min(weights["loaded"], -LOADED_PENALTY)
    best = None
    tune = list(zip(rows, stories, strict=True))[:800]
    for budget in (40, 50, 60, 70):
        for cap in (2, 3):
            config = {"weights": weights, "word_budget": budget, "max_sentences": cap}
            summarizer = ExtractiveSummarizer(config)
            total = np.zeros(3)
            for row, docs in tune:
                score = scorer.score(row["reference"], summarizer.summarize(docs).text)
                total += [score[k].fmeasure for k in ("rouge1", "rouge2", "rougeL")]
            mean = total / len(tune) * 100
            print(f"budget {budget} cap {cap}: R1 {mean[0]:.2f} R2 {mean[1]:.2f} RL {mean[2]:.2f}")
            if best is None or mean[1] + mean[2] > best[0]:
                best = (mean[1] + mean[2], config)
    best[1]["fitted_on"] = Path(path).name
    OUT.write_text(json.dumps(best[1], indent=2) + "\n")
    print(f"wrote {OUT}: budget {best[1]['word_budget']}, cap {best[1]['max_sentences']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/summaries/neus_train.jsonl")
