"""Sentence-scorer variants of the extractive summariser, measured on NeuS train only (never val).

Each story's candidates, shipped features, similarity and one-fact matrices, compressed texts, USE vectors
(candidates and headlines) and each candidate's own ROUGE against the roundup are computed once and cached
(`--cache`, default /work/cache/summary/train.pkl; ~0.5 s a story). Every variant is then a refit of the
gradient-boosted scorer (the shipped settings) plus the shipped selection (two non-redundant self-contained
sentences), scored three ways: fit on train 0–1800 and score 1800–2150 (`tune`) and 2150–2452 (`held`), as
scripts/try_summary_selection.py does, and 5-fold cross-validation over all 2,452 stories (`cv`, contiguous
folds), whose larger sample tells a real gain from slice noise. Variants: the sentence label (ROUGE-L F, as
shipped; ROUGE-2 F or recall; sums), 16 USE features (similarity to the own / other / centroid headlines
and to the story centroid, how many other reports hold a close paraphrase, second sentence, lengths), no
clause cuts, and a pair-level model that predicts the ROUGE-2 of every candidate pair directly; labels from
the compressed text, six in-fold copy-rate features (how often a word or word pair of a candidate reached the
roundup in training stories), a third sentence for long inputs, and the pair that best covers the bigrams
several outlets share. Upper bounds: the shipped selection over the true sentence labels, and the best pair.

    .venv/bin/python scripts/try_summary_scorers.py ../shared/data/summaries/neus_train.jsonl
    .venv/bin/python scripts/try_summary_scorers.py --cache /tmp/train.pkl --shipped-only  # the shipped code

"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
from fit_summary_weights import SCORER, rouge
from rouge_score import tokenize
from try_summary_selection import STEM, _bigrams, fit, story

from storyweave.analyse.nlp import embed_cached
from storyweave.analyse.summary import (
    FEATURE_NAMES,
    LOADED_PENALTY,
    ExtractiveSummarizer,
    _load_weights,
    _self_contained,
)
from storyweave.analyse.text import words

FIT, TUNE, HELD = slice(0, 1800), slice(1800, 2150), slice(2150, 2452)
LOADED = FEATURE_NAMES.index("loaded")
METRICS = [(t, m) for t in ("rouge1", "rouge2", "rougeL") for m in ("precision", "recall", "fmeasure")]
R1F, R2R, R2F, RLF = 2, 4, 5, 8
R1F_SHORT, R2F_SHORT, RLF_SHORT = 11, 14, 17
LONG_INPUT = 150
"""Columns of a candidate's label row: its own text's ROUGE P/R/F ×(1, 2, L), then the compressed text's."""


def build(rows: list[dict]) -> list[dict]:
    summarizer = ExtractiveSummarizer(_load_weights())
    stories = []
    for row in rows:
        st = story(summarizer, row)
        cands = st.pop("cands")
        st["text"] = [c.text for c in cands]
        st["doc"] = np.array([c.doc for c in cands], int)
        st["pos"] = np.array([c.position for c in cands], int)
        if cands:
            st["vec"] = embed_cached(summarizer.embedder, st["text"]).astype(np.float16)
        st["tvec"] = embed_cached(summarizer.embedder, [t or "." for t in st["titles"]]).astype(np.float16)
        labels = []
        for raw, short in zip(st["text"], st["short"], strict=True):
            scores = SCORER.score(row["reference"], raw), SCORER.score(row["reference"], short)
            labels.append([getattr(s[t], m) for s in scores for t, m in METRICS])
        st["lab"] = np.array(labels).reshape(len(cands), 2 * len(METRICS))
        stories.append(st)
    return stories


def _unit(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float32)
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-9)


def use_features(st: dict) -> np.ndarray:
    """16 columns: USE cosine to the own headline, the best and mean other headline, the headlines' and the
    story's centroid; best cosine to another report's sentence; other reports with a paraphrase at 0.5 / 0.6;
    second sentence; words, compressed words and their ratio; reports; reports with candidates; centroid ×
    first sentence; input words."""
    n = len(st["text"])
    if not n:
        return np.zeros((0, 16))
    v, t = _unit(st["vec"]), _unit(st["tvec"])
    doc, pos, reports = st["doc"], st["pos"], len(t)
    vs, ts = v @ v.T, v @ t.T
    other = doc[:, None] != np.arange(reports)[None, :]
    title_max = np.where(other, ts, -1).max(1) if reports > 1 else np.zeros(n)
    title_mean = np.where(other, ts, 0).sum(1) / max(reports - 1, 1)
    title_centroid, story_centroid = v @ _unit(t.mean(0)), v @ _unit(v.mean(0))
    other_sent = doc[:, None] != doc[None, :]
    support = np.where(other_sent, vs, -1).max(1) if other_sent.any() else np.zeros(n)
    best = np.zeros((n, reports))
    for d in range(reports):
        if (doc == d).any():
            best[:, d] = vs[:, doc == d].max(1)
    paraphrased = np.where(other, best, 0)
    long_ = np.array([len(words(x)) for x in st["text"]])
    short = np.array([len(words(x)) for x in st["short"]])
    return np.column_stack([
        ts[np.arange(n), doc], title_max, title_mean, title_centroid, story_centroid, support,
        (paraphrased >= 0.5).sum(1), (paraphrased >= 0.6).sum(1), pos == 1, long_, short,
        short / np.maximum(long_, 1), np.full(n, reports), np.full(n, len(set(doc.tolist()))),
        title_centroid * (pos == 0), np.full(n, long_.sum()),
    ])  # fmt: skip


def greedy(st: dict, scores: np.ndarray, cut: bool = True, size: int = 2) -> str:
    """The shipped selection: the two best-scored self-contained candidates that state different facts."""
    texts = st["short"] if cut else st["text"]
    chosen: list[int] = []
    for k in (int(k) for k in np.argsort(-scores, kind="stable")):
        if len(chosen) == size:
            break
        if _self_contained(st["text"][k]) and not any(st["same"][k, c] for c in chosen):
            chosen.append(k)
    return " ".join(texts[k] for k in sorted(chosen, key=lambda k: (st["pos"][k], -scores[k])))


def third_if_long(st: dict, scores: np.ndarray, cut: bool = True) -> str:
    """Three sentences when the reports' texts hold over LONG_INPUT words (longer roundups), else two."""
    long_input = sum(len(words(a["text"])) for a in st["row"]["articles"]) > LONG_INPUT
    return greedy(st, scores, cut, 3 if long_input else 2)


def coverage_pair(st: dict, scores: np.ndarray, cut: bool = True) -> str:
    """The pair maximising 10 × its predicted scores + (outlets beyond the first stating each of its stemmed
    content bigrams, titles included) / √words, as try_summary_selection's `bigram_pair` on cached texts."""
    texts = st["short"] if cut else st["text"]
    per_doc = [_bigrams(t) for t in st["titles"]]
    for text, d in zip(st["text"], st["doc"], strict=True):
        per_doc[d] |= _bigrams(text)
    weight = Counter(b for found in per_doc for b in found)
    grams = [_bigrams(t) for t in texts]
    ok = [k for k in range(len(texts)) if _self_contained(st["text"][k])]
    value = {(i, j): 10 * (scores[i] + scores[j]) + sum(weight[b] - 1 for b in grams[i] | grams[j])
             / (len(words(texts[i])) + len(words(texts[j]))) ** 0.5
             for i, j in itertools.combinations(ok, 2) if not st["same"][i, j]}  # fmt: skip
    if not value:
        return greedy(st, scores, cut)
    pick = max(value, key=value.get)
    return " ".join(texts[k] for k in sorted(pick, key=lambda k: (st["pos"][k], -scores[k])))


def copy_rates(stories: list[dict], train: list[int], test: list[int]) -> dict[int, np.ndarray]:
    """6 columns per candidate: how often its stemmed words and word pairs reached the roundup when they
    stood in a candidate of a training story (mean, min, share under half the base rate; pair mean and max;
    mean log). Training stories get rates from the other half of the training set, never their own."""

    def rates(stories_in: list[int]):
        seen1, hit1, seen2, hit2 = Counter(), Counter(), Counter(), Counter()
        for i in stories_in:
            st = stories[i]
            ref = _stems(st["row"]["reference"])
            one = {w for text in st["text"] for w in _stems(text)}
            two = {p for text in st["text"] for p in itertools.pairwise(_stems(text))}
            seen1.update(one)
            hit1.update(one & set(ref))
            seen2.update(two)
            hit2.update(two & set(itertools.pairwise(ref)))
        base1, base2 = sum(hit1.values()) / sum(seen1.values()), sum(hit2.values()) / sum(seen2.values())
        return ({w: (hit1[w] + 5 * base1) / (n + 5) for w, n in seen1.items()}, base1,
                {w: (hit2[w] + 5 * base2) / (n + 5) for w, n in seen2.items()}, base2)  # fmt: skip

    def columns(i: int, fitted) -> np.ndarray:
        one, base1, two, base2 = fitted
        rows = []
        for text in stories[i]["text"]:
            stems = _stems(text)
            a = np.array([one.get(w, base1) for w in stems] or [base1])
            b = np.array([two.get(p, base2) for p in itertools.pairwise(stems)] or [base2])
            rows.append([a.mean(), a.min(), (a < base1 / 2).mean(), b.mean(), b.max(), np.log(a).mean()])
        return np.array(rows).reshape(len(rows), 6)

    halves = train[0::2], train[1::2]
    fitted = rates(halves[1]), rates(halves[0]), rates(train)
    out = {i: columns(i, fitted[0]) for i in halves[0]} | {i: columns(i, fitted[1]) for i in halves[1]}
    return out | {i: columns(i, fitted[2]) for i in test}


def _stems(text: str) -> list[str]:
    return [STEM.stem(w) for w in tokenize.tokenize(text, None)]


def splits(count: int):
    """(protocol, train stories, test stories): tune, held, then the five cross-validation folds."""
    every = list(range(count))
    yield "tune", every[FIT], every[TUNE]
    yield "held", every[FIT], every[HELD]
    for f in range(5):
        test = every[f * count // 5 : (f + 1) * count // 5]
        yield "cv", [i for i in every if not test[0] <= i <= test[-1]], test


def label(stories: list[dict], train: list[int], columns: list[int]) -> np.ndarray:
    return np.concatenate([stories[i]["lab"][:, columns].sum(1) for i in train])


def report(name: str, results: dict[str, list[np.ndarray]]) -> None:
    parts = [f"{p} " + " / ".join(f"{x:.2f}" for x in np.vstack(results[p]).mean(0) * 100)
             for p in ("tune", "held", "cv")]  # fmt: skip
    print(f"{name:34s} " + " | ".join(parts), flush=True)


def sentence_variant(stories, feats, columns, name, cut=True, select=greedy, extra=None) -> None:
    """Refit the scorer per split (label: the sum of `columns`; `extra(stories, train, test)` adds in-fold
    feature columns) and score `select`'s summaries of the test stories."""
    results: dict[str, list[np.ndarray]] = {}
    for proto, train, test in splits(len(stories)):
        added = extra(stories, train, test) if extra else {}
        rows_of = {i: np.hstack([feats[i], added[i]]) if added else feats[i] for i in (*train, *test)}
        model = fit(np.vstack([rows_of[i] for i in train]), label(stories, train, columns))
        for i in test:
            st, rows = stories[i], rows_of[i]
            scores = model.predict(rows) - LOADED_PENALTY * rows[:, LOADED] if len(rows) else None
            text = select(st, scores, cut) if scores is not None else ""
            results.setdefault(proto, []).append(rouge(st["row"]["reference"], text))
    report(name, results)


def pairs(st: dict) -> list[tuple[int, int, np.ndarray]]:
    """Every pair of self-contained candidates stating different facts, with the ROUGE of its summary."""
    ok = [k for k in range(len(st["text"])) if _self_contained(st["text"][k])]
    out = []
    for i, j in itertools.combinations(ok, 2):
        if not st["same"][i, j]:
            a, b = sorted((i, j), key=lambda q: (st["pos"][q], q))
            out.append((i, j, rouge(st["row"]["reference"], f"{st['short'][a]} {st['short'][b]}")))
    return out


def pair_rows(st: dict, rows: np.ndarray, found: list) -> np.ndarray:
    """Per pair: the element-wise min and max of its sentences' features, their TF-IDF and USE cosines, one
    report or two, their words, and the USE cosine of the pair to the story's and the headlines' centroid."""
    v = _unit(st["vec"])
    story_centroid, title_centroid = _unit(v.mean(0)), _unit(_unit(st["tvec"]).mean(0))
    out = []
    for a, b, _ in found:
        both = _unit(v[a] + v[b])
        pair = [st["sim"][a, b], float(v[a] @ v[b]), st["doc"][a] == st["doc"][b],
                len(words(st["short"][a])) + len(words(st["short"][b])), float(both @ story_centroid),
                float(both @ title_centroid)]  # fmt: skip
        out.append(np.concatenate([np.minimum(rows[a], rows[b]), np.maximum(rows[a], rows[b]), pair]))
    return np.array(out)


def pair_variant(stories, feats, found) -> None:
    results: dict[str, list[np.ndarray]] = {}
    for proto, train, test in splits(len(stories)):
        have = [i for i in train if found[i]]
        x = np.vstack([pair_rows(stories[i], feats[i], found[i]) for i in have])
        model = fit(x, np.concatenate([[r[1] for _, _, r in found[i]] for i in have]))
        for i in test:
            st = stories[i]
            if found[i]:
                best = int(np.argmax(model.predict(pair_rows(st, feats[i], found[i]))))
                results.setdefault(proto, []).append(found[i][best][2])
            else:  # one fact or fewer: the most central candidate
                text = greedy(st, feats[i][:, FEATURE_NAMES.index("centrality")]) if len(st["text"]) else ""
                results.setdefault(proto, []).append(rouge(st["row"]["reference"], text))
    report("pair-level model, ROUGE-2 label", results)


def bounds(stories, found) -> None:
    for name, part in (("tune", TUNE), ("held", HELD)):
        texts = [greedy(st, st["lab"][:, R2F]) if len(st["text"]) else "" for st in stories[part]]
        by_label = np.mean(
            [rouge(st["row"]["reference"], t) for st, t in zip(stories[part], texts, strict=True)], 0
        )
        best_pair = np.mean([max((r for _, _, r in found[i]), key=lambda r: r[1], default=np.zeros(3))
                             for i in range(len(stories))[part]], 0)  # fmt: skip
        print(f"{name}: true-label selection {' / '.join(f'{x:.2f}' for x in by_label * 100)}; best pair "
              f"{' / '.join(f'{x:.2f}' for x in best_pair * 100)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", default="../shared/data/summaries/neus_train.jsonl")
    parser.add_argument("--cache", type=Path, default=Path("/work/cache/summary/train.pkl"))
    parser.add_argument("--shipped-only", action="store_true", help="score the shipped scorer only (fast)")
    args = parser.parse_args()
    if args.cache.exists():
        stories = pickle.loads(args.cache.read_bytes())  # written by this script, below
    else:
        with open(args.path, encoding="utf-8") as handle:
            stories = build([json.loads(line) for line in handle])
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_bytes(pickle.dumps(stories))
    base = [st["features"] if len(st["text"]) else np.zeros((0, len(FEATURE_NAMES))) for st in stories]
    sentence_variant(stories, base, [RLF], "shipped: ROUGE-L label")
    sentence_variant(stories, base, [RLF], "no clause cuts", cut=False)
    if args.shipped_only:
        return
    for name, columns, select, extra in (
        ("compressed text's ROUGE-L label", [RLF_SHORT], greedy, None),
        ("compressed text's R-1 + R-2 label", [R1F_SHORT, R2F_SHORT], greedy, None),
        ("+6 copy-rate features", [RLF], greedy, copy_rates),
        (f"3 sentences over {LONG_INPUT} input words", [RLF], third_if_long, None),
        ("bigram-coverage pair", [RLF], coverage_pair, None),
    ):  # fmt: skip
        sentence_variant(stories, base, columns, name, select=select, extra=extra)
    extended = [np.hstack([b, use_features(st)]) if len(b) else np.zeros((0, b.shape[1] + 16))
                for b, st in zip(base, stories, strict=True)]  # fmt: skip
    for name, feats, columns, cut in (
        ("ROUGE-2 F label", base, [R2F], True),
        ("ROUGE-2 recall label", base, [R2R], True), ("ROUGE-1 + ROUGE-2 label", base, [R1F, R2F], True),
        ("ROUGE-1 + 2 + L label", base, [R1F, R2F, RLF], True), ("+16 USE features", extended, [RLF], True),
        ("+16 USE features, R-1 + R-2 label", extended, [R1F, R2F], True),
        ("no clause cuts, R-1 + R-2 label", base, [R1F, R2F], False),
    ):  # fmt: skip
        sentence_variant(stories, feats, columns, name, cut)
    found = [pairs(st) for st in stories]
    pair_variant(stories, extended, found)
    bounds(stories, found)


if __name__ == "__main__":
    main()
