"""Sentence-selection variants of the extractive summariser, measured on NeuS train only (never val).

The scorer is refitted on train stories 0–1800 (as scripts/fit_summary_weights.py does, same settings); each
variant is scored on 1800–2150 (where its settings were chosen) and 2150–2452 (held out). Candidates, the
one-fact matrix and compressed texts are computed once per story and shared by every variant.

    .venv/bin/python scripts/try_summary_selection.py ../shared/data/summaries/neus_train.jsonl

"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter

import numpy as np
from fit_summary_weights import rouge, story_rows, to_docs
from nltk.stem import porter
from rouge_score import tokenize
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from storyweave.analyse.facts import content_terms
from storyweave.analyse.summary import (
    FEATURE_NAMES,
    LOADED_PENALTY,
    ExtractiveSummarizer,
    _load_weights,
    _same_facts,
    _self_contained,
    compress,
    sentence_features,
)
from storyweave.analyse.text import words

FIT, TUNE, HELD = slice(0, 1800), slice(1800, 2150), slice(2150, 2452)
STEM = porter.PorterStemmer()


def fit(features: np.ndarray, labels: np.ndarray):
    return HistGradientBoostingRegressor(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, random_state=0
    ).fit(features, labels)


def story(summarizer: ExtractiveSummarizer, row: dict) -> dict:
    """What every variant reads: candidates, their features, similarity, one-fact pairs, compressed texts."""
    docs = to_docs(row)
    cands, _, sim = summarizer.scores(docs)
    features = sentence_features(docs, cands)[0] if cands else np.zeros((0, len(FEATURE_NAMES)))
    same = _same_facts(cands, sim) | summarizer._one_fact(docs, cands) if cands else np.zeros((0, 0), bool)
    terms = [content_terms(f"{d.title} {d.text}") for d in docs]
    short = [compress(c.text, set().union(*terms[: c.doc], *terms[c.doc + 1 :]), summarizer.cut_clauses)
             for c in cands]  # fmt: skip
    return {"row": row, "cands": cands, "features": features, "sim": sim, "same": same, "short": short,
            "titles": [d.title for d in docs]}  # fmt: skip


def greedy(st, scores, cap=2, budget=0, cut=True, lead_bonus=0.0, mmr=0.0) -> str:
    """The shipped selection (best-scored self-contained, one per fact, `cap` sentences, a third only within
    `budget` words), with an optional bonus for an article's first sentence and an MMR similarity penalty."""
    cands = st["cands"]
    scores = scores + lead_bonus * np.array([c.position == 0 for c in cands])
    left = [int(k) for k in np.argsort(-scores, kind="stable") if _self_contained(cands[int(k)].text)]
    chosen: list[int] = []
    used = 0
    while left and len(chosen) < cap:
        if mmr and chosen:
            left.sort(key=lambda k: -(scores[k] - mmr * max(st["sim"][k, c] for c in chosen)))
        k = left.pop(0)
        if any(st["same"][k, c] for c in chosen):
            continue
        length = len(words(st["short"][k] if cut else cands[k].text))
        if len(chosen) >= 2 and used + length > budget:
            continue
        chosen.append(k)
        used += length
    chosen.sort(key=lambda k: (cands[k].position, -scores[k]))
    return " ".join(st["short"][k] if cut else cands[k].text for k in chosen)


def _bigrams(text: str) -> set[tuple[str, str]]:
    tokens = [STEM.stem(w) for w in tokenize.tokenize(text, None)]
    return {(a, b) for a, b in itertools.pairwise(tokens) if not {a, b} <= ENGLISH_STOP_WORDS}


def bigram_pair(st, scores, alpha=10.0, beta=0.5, cut=False) -> str:
    """The pair maximising alpha × predicted scores + (outlets beyond the first stating each of its stemmed
    bigrams, titles included) / words^beta: concept coverage as in Gillick & Favre's ILP summariser."""
    cands = st["cands"]
    texts = [st["short"][k] if cut else c.text for k, c in enumerate(cands)]
    per_doc = [_bigrams(t) for t in st["titles"]]
    for c in cands:
        per_doc[c.doc] |= _bigrams(c.text)
    weight = Counter(b for found in per_doc for b in found)
    grams = [_bigrams(t) for t in texts]
    ok = [k for k, c in enumerate(cands) if _self_contained(c.text)]
    best, pick = -np.inf, None
    for i, j in itertools.combinations(ok, 2):
        if st["same"][i, j]:
            continue
        value = alpha * (scores[i] + scores[j]) + sum(weight[b] - 1 for b in grams[i] | grams[j]) / (
            len(words(texts[i])) + len(words(texts[j]))) ** beta  # fmt: skip
        if value > best:
            best, pick = value, (i, j)
    if pick is None:
        return greedy(st, scores, cut=cut)
    return " ".join(texts[k] for k in sorted(pick, key=lambda k: (cands[k].position, -scores[k])))


def mean_rouge(stories, scores, select, **options) -> np.ndarray:
    return np.mean([rouge(st["row"]["reference"], select(st, s, **options) if st["cands"] else "")
                    for st, s in zip(stories, scores, strict=True)], axis=0) * 100  # fmt: skip


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    parts = [story_rows(row) for row in rows[FIT]]
    features = np.vstack([f for f, _ in parts])
    groups = np.concatenate([np.full(len(f), i) for i, (f, _) in enumerate(parts)])
    rl = np.concatenate([t for _, t in parts])
    centred = rl - np.bincount(groups, rl)[groups] / np.bincount(groups)[groups]
    summarizer = ExtractiveSummarizer(_load_weights())
    loaded = FEATURE_NAMES.index("loaded")
    for name, part in (("tune 1800-2150", TUNE), ("held 2150-2452", HELD)):
        stories = [story(summarizer, row) for row in rows[part]]
        stacked = np.vstack([st["features"] for st in stories if st["cands"]])
        for label_name, label in (("ROUGE-L label", rl), ("story-centred ROUGE-L label", centred)):
            predicted = fit(features, label).predict(stacked) - LOADED_PENALTY * stacked[:, loaded]
            scores, at = [], 0
            for st in stories:
                scores.append(predicted[at : at + len(st["cands"])])
                at += len(st["cands"])
            variants = [("shipped selection", greedy, {})] if label_name != "ROUGE-L label" else [
                ("shipped selection", greedy, {}), ("no clause cuts", greedy, {"cut": False}),
                ("3rd sentence within 40 words", greedy, {"cap": 3, "budget": 40}),
                ("3rd sentence within 60 words", greedy, {"cap": 3, "budget": 60}),
                ("3rd sentence within 80 words", greedy, {"cap": 3, "budget": 80}),
                ("lead sentence +0.05", greedy, {"lead_bonus": 0.05}), ("MMR 0.2", greedy, {"mmr": 0.2}),
                ("bigram-coverage pair", bigram_pair, {}),
            ]  # fmt: skip
            for variant, select, options in variants:
                r1, r2, rl_ = mean_rouge(stories, scores, select, **options)
                print(f"{name}  {label_name:28s} {variant:30s} {r1:.2f} / {r2:.2f} / {rl_:.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/summaries/neus_train.jsonl")
