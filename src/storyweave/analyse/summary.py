"""Neutral cited multi-source summaries.

The default `ExtractiveSummarizer` runs offline on CPU. Gradient-boosted regression trees, fitted on NeuS
train and shipped as JSON arrays, predict each lead sentence's ROUGE-L against a neutral roundup from features
a roundup rewards — support by the other outlets (TF-IDF similarity to their sentences and titles, shared
content words and word pairs, centrality), position in the article, length, and wording (quotes, questions,
first/second person, attributions); a loaded word always costs a fixed penalty. The best non-redundant
sentences are picked within a word budget (a fitted share of the input's length). Each is compressed first:
datelines, "Why it matters:" labels and short parentheticals go, and so do clauses no other outlet supports
(relative and adverbial clauses, appositives, trailing phrases, "X said"), found with spaCy's dependency
parse, never part of a quotation nor a modifier the rest needs; what remains is the source sentence's own
words in order. The model, the clause kinds to cut and the
budget are fitted by scripts/fit_summary_weights.py into summary_weights.json. Every sentence cites its
article and every other article that states the same content, so the summary stays traceable.

`LLMSummarizer` sends numbered source sentences to an OpenAI-compatible chat-completions endpoint and maps
the answer's [n] citations back to articles; uncited answer sentences are aligned to their most similar
source sentence and dropped when nothing supports them.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Protocol

import httpx
import numpy as np

from storyweave.analyse.facts import Sentence, content_terms, own_statements, similarity_matrix
from storyweave.analyse.nlp import MAX_PARSE_CHARS, embed_cached, is_english, parse
from storyweave.analyse.numbers import figure_keys
from storyweave.analyse.statements import dateline_length
from storyweave.analyse.text import is_statement, words

log = logging.getLogger(__name__)

MAX_LEAD_SENTENCES = 12
"""Only opening sentences compete: roundups restate the leads, and long articles would swamp short ones."""
SUPPORT_SIMILARITY = 0.35
"""TF-IDF cosine at which another article's sentence counts as stating the same content (a citation)."""
REDUNDANCY_SIMILARITY = 0.5
SAME_FIGURE_DICE = 0.3
SAME_FIGURE_WORDS = 3
"""Two sentences state one fact when they are TF-IDF redundant, or give the same distinctive figure (money,
a count of thousands) and their content words overlap this much (Dice), or share this many content words
besides the figure ("Broadcom", "Qualcomm", "Monday" in two long sentences on the $121 billion bid). The
summary keeps one and cites both."""
_MAGNITUDES = content_terms("thousand million billion trillion percent")  # in content_terms' own form
ONE_FACT_SIMILARITY = 0.55
"""Blended similarity (`facts.similarity_matrix`) at which two candidates state one fact in other words.
Chosen on NeuS train (first 400 stories; ROUGE-1/2/L without this check 40.01/18.58/27.87, at 0.48 (the fact
matrix's threshold) 40.37/18.68/28.69, at 0.55 41.00/19.08/28.79, at 0.62 40.33/18.71/28.10); the seeds'
paraphrased leads score 0.63."""
LATEST_SPAN = timedelta(days=1)
"""A story whose reports span more than this gets a sentence from its latest report (its latest
development), in place of the lowest-scored pick."""
_UNANCHORED = (
    "two days ago", "three days ago", "days ago", "a day ago", "yesterday", "the day before", "last week",
    "earlier this week", "earlier this month", "on the same day", "that day", "the next day", "hours later",
    "he ", "she ", "they ", "it ", "this ", "these ", "those ", "his ", "her ", "their ", "its ", "that ",
    "that's ", "that’s ", "in subsequent ", "subsequently", "later that", "the same ",
)  # fmt: skip
"""Openings that need the sentence before them (a relative date, a pronoun): such a sentence is not
self-contained in a summary of several reports."""
LOADED_PENALTY = 0.05
"""Predicted ROUGE-L a sentence with a loaded word loses: neutral wording is a requirement, whatever the
references reward (sentence scores are mostly 0.1–0.35)."""
LOADED_WORDS = frozenset(
    [
        "slammed",
        "slams",
        "blasted",
        "blasts",
        "lashed",
        "ripped",
        "destroyed",
        "radical",
        "extremist",
        "disastrous",
        "shocking",
        "outrageous",
        "disgraceful",
        "stunning",
        "bombshell",
        "brazen",
        "chaos",
        "chaotic",
        "meltdown",
        "panic",
        "scandal",
        "furious",
        "rant",
        "rants",
        "absurd",
        "ridiculous",
        "insane",
        "horrific",
        "devastating",
        "crushing",
        "humiliating",
        "unhinged",
        "shameful",
    ]
)
_FIRST_SECOND = re.compile(r"\b(I|we|our|my|me|us|you|your)\b", re.IGNORECASE)
_QUOTE_MARKS = re.compile(r"[“”\"«»„]")
_LABELS = (
    "Why it matters|The big picture|Driving the news|The latest|What's new|Details|Catch up quick|"
    "By the numbers|Between the lines|The bottom line|Go deeper|Context|Original story|Payload|Update|"
    "Updated|Editor's note|Related|Read more|Watch|Background|Breaking news|Breaking|Exclusive|Live updates"
)
_LABEL = re.compile(rf"^(?:{_LABELS})\s*:\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*\([^()]{1,60}\)")
CLAUSE_SUPPORT = 0.25
"""Share of a clause's content words other articles must hold for it to stay (set on NeuS train)."""
CLAUSE_DEPS = frozenset(["advcl", "relcl", "acl", "appos", "npadvmod", "prep"])
"""Modifier relations whose subtree may be cut (never a subject, object or complement, so the rest still says
who did what); which (relation, place) pairs are cut is fitted on train."""
_SAY_VERBS = frozenset(
    ["say", "said", "says", "tell", "told", "tells", "report", "reported", "reports", "announce", "announced",
     "claim", "claimed", "claims", "argue", "argued", "argues", "write", "wrote", "writes", "note", "noted",
     "notes", "add", "added", "adds", "warn", "warned", "warns", "insist", "insisted", "state", "stated"]
)  # fmt: skip
_BREAKS = frozenset([",", "—", "–", "-", ";"])
MIN_COMPRESSED_WORDS = 6
FEATURE_NAMES = (
    "position", "first", "relative_position", "article_sentences", "length", "characters", "centrality",
    "max_support", "mean_support", "mean_best_support", "min_best_support", "other_titles",
    "best_other_title", "own_title", "terms_shared", "terms_shared_min", "terms_shared_max", "bigrams_shared",
    "bigrams_shared_max",
    "article_centrality", "article_words", "input_words", "candidates", "quote_marks", "opens_quote",
    "question", "first_person", "digits", "loaded", "attribution", "parenthesis", "dateline", "capitalised",
    "weekday",
)  # fmt: skip
"""Sentence features the fitted scorer reads; order = the columns of `sentence_features`."""
_ATTRIBUTION = re.compile(r"\b(said|says|told|according to|reported)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")


@dataclass
class SourceText:
    """One article as the summariser sees it."""

    title: str
    text: str
    lang: str | None = None
    published: datetime | None = None
    leads: list[str] | None = None
    """Its candidate sentences when prepared ahead (`lead_sentences`); else they are found here."""


@dataclass
class SummarySentence:
    """A summary sentence and the indexes of the articles that support it (its own source first)."""

    text: str
    sources: list[int]
    origin: tuple[int, int] | None = None  # (article index, sentence index) it was extracted from

    def to_dict(self) -> dict:
        data: dict = {"text": self.text, "sources": self.sources}
        if self.origin is not None:
            data["origin"] = {"article": self.origin[0], "sentence": self.origin[1]}
        return data


@dataclass
class Summary:
    sentences: list[SummarySentence] = field(default_factory=list)
    method: str = "extractive"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class Summarizer(Protocol):
    def summarize(self, docs: list[SourceText]) -> Summary: ...


@dataclass
class Candidate:
    doc: int
    position: int
    text: str


class SummaryError(RuntimeError):
    """The summary backend failed (unreachable endpoint, bad answer)."""


def lead_sentences(text: str, lang: str | None) -> list[str]:
    """An article's candidate sentences: its first MAX_LEAD_SENTENCES statements (captions, furniture and
    repeats out, as for the story's facts)."""
    return own_statements(text, lang, MAX_LEAD_SENTENCES)


def candidates(docs: list[SourceText]) -> list[Candidate]:
    """Lead sentences of every article that are statements (at least a few words)."""
    out = []
    for d, doc in enumerate(docs):
        leads = doc.leads if doc.leads is not None else lead_sentences(doc.text or "", doc.lang)
        out.extend(Candidate(d, p, s) for p, s in enumerate(leads))
    return out


def _vectorise(docs: list[SourceText], cands: list[Candidate]):
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazily: sklearn slows every CLI start

    titles = [doc.title or "" for doc in docs]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    try:
        vectorizer.fit([c.text for c in cands] + titles)
    except ValueError:  # only stop words: nothing to compare
        return None, None
    return vectorizer.transform([c.text for c in cands]), vectorizer.transform(titles)


def _similarities(docs: list[SourceText], cands: list[Candidate]):
    """Sentence × sentence, sentence × title and article × article TF-IDF cosines, and centrality."""
    n, n_docs = len(cands), len(docs)
    sent_vectors, title_vectors = _vectorise(docs, cands)
    if sent_vectors is None:
        return np.eye(n), np.zeros((n, n_docs)), np.eye(n_docs), np.zeros(n)
    sim = (sent_vectors @ sent_vectors.T).toarray()
    title_sim = (sent_vectors @ title_vectors.T).toarray()
    centroid = np.asarray(sent_vectors.mean(axis=0)).ravel()
    centrality = sent_vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    art = np.array([c.doc for c in cands])
    doc_vectors = np.vstack([np.asarray(sent_vectors[art == d].sum(axis=0)).ravel() for d in range(n_docs)])
    doc_vectors /= np.linalg.norm(doc_vectors, axis=1, keepdims=True) + 1e-9
    return sim, title_sim, doc_vectors @ doc_vectors.T, np.asarray(centrality).ravel()


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def _shared_share(parts: list[set], wholes: list[set]) -> np.ndarray:
    """parts × wholes: the share of each part's items that the whole holds (0 for an empty part), as one
    sparse product rather than a set intersection per pair."""
    from scipy.sparse import csr_matrix

    index: dict = {}
    rows, cols = [], []
    for i, part in enumerate(parts):
        for item in part:
            rows.append(i)
            cols.append(index.setdefault(item, len(index)))
    width = max(len(index), 1)
    left = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(parts), width))
    rows, cols = [], []
    for j, whole in enumerate(wholes):
        for item in whole:
            if item in index:
                rows.append(j)
                cols.append(index[item])
    right = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(wholes), width))
    sizes = np.array([max(len(part), 1) for part in parts], dtype=float)
    return (left @ right.T).toarray() / sizes[:, None]


def _others(values: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max of each row over the columns of the other articles (0 when there are none)."""
    mask = np.ones(values.shape, dtype=bool)
    mask[np.arange(len(own)), own] = False
    if values.shape[1] < 2:
        zero = np.zeros(len(own))
        return zero, zero, zero
    count = values.shape[1] - 1
    mean = np.where(mask, values, 0).sum(axis=1) / count
    return mean, np.where(mask, values, np.inf).min(axis=1), np.where(mask, values, -np.inf).max(axis=1)


def sentence_features(docs: list[SourceText], cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows (see FEATURE_NAMES) and the sentence × sentence TF-IDF similarity matrix.

    Most features measure how far the other outlets state the same thing (TF-IDF similarity to their
    sentences and titles, shared content words and word pairs); the rest are place, length and wording.
    Cross-article features are matrix operations: a 30-report story has ~360 candidates.
    """
    n, n_docs = len(cands), len(docs)
    sim, title_sim, doc_sim, centrality = _similarities(docs, cands)
    art = np.array([c.doc for c in cands])
    full_words = [words(f"{doc.title} {doc.text}") for doc in docs]
    doc_terms = [content_terms(f"{doc.title} {doc.text}") for doc in docs]
    doc_bigrams = [_bigrams(tokens) for tokens in full_words]
    per_doc = np.bincount(art, minlength=n_docs)
    doc_words = [len(words(doc.text or "")) for doc in docs]
    tokens = [words(c.text) for c in cands]
    # best support per other article: the most similar of its sentences (0 for one without candidates)
    best = np.zeros((n, n_docs))
    for d in range(n_docs):
        if per_doc[d]:
            best[:, d] = sim[:, art == d].max(axis=1)
    best_mean, best_min, _ = _others(best, art)
    cand_terms = [content_terms(c.text) for c in cands]
    terms_mean, terms_min, terms_max = _others(_shared_share(cand_terms, doc_terms), art)
    pairs_mean, _, pairs_max = _others(_shared_share([_bigrams(t) for t in tokens], doc_bigrams), art)
    titles_mean, _, titles_max = _others(title_sim, art)
    other_sents = art[:, None] != art[None, :]
    has_other = other_sents.any(axis=1)
    support_max = np.where(has_other, np.where(other_sents, sim, -np.inf).max(axis=1), 0.0)
    support_mean = np.where(has_other, np.where(other_sents, sim, 0).sum(axis=1) / np.maximum(
        other_sents.sum(axis=1), 1), 0.0)  # fmt: skip
    article_centrality = (doc_sim.sum(axis=1) - 1) / max(n_docs - 1, 1)
    rows = []
    for k, cand in enumerate(cands):
        rows.append([
            cand.position, cand.position == 0, cand.position / max(per_doc[cand.doc], 1), per_doc[cand.doc],
            len(tokens[k]), len(cand.text), centrality[k], support_max[k], support_mean[k],
            best_mean[k], best_min[k], titles_mean[k], titles_max[k], title_sim[k, cand.doc],
            terms_mean[k], terms_min[k], terms_max[k], pairs_mean[k], pairs_max[k],
            article_centrality[cand.doc], doc_words[cand.doc], sum(doc_words), n,
            len(_QUOTE_MARKS.findall(cand.text)), cand.text.lstrip()[:1] in "“\"«„",
            cand.text.rstrip().endswith("?"),
            bool(_FIRST_SECOND.search(cand.text)), bool(re.search(r"\d", cand.text)),
            bool(set(tokens[k]) & LOADED_WORDS), bool(_ATTRIBUTION.search(cand.text)), "(" in cand.text,
            dateline_length(cand.text) > 0,
            sum(1 for w in cand.text.split() if w[:1].isupper()) / max(len(tokens[k]), 1),
            bool(_WEEKDAY.search(cand.text)),
        ])  # fmt: skip
    return np.asarray(rows, dtype=float).reshape(n, len(FEATURE_NAMES)), sim


class TreeEnsemble:
    """A gradient-boosted regression tree ensemble fitted by scikit-learn, evaluated from plain arrays.

    The fit script exports each tree's nodes (feature, threshold, children, leaf value) to JSON, so the
    shipped model is data, not a pickle, and prediction needs only numpy: rows go left when
    feature <= threshold (NaN follows the node's `missing_left`).
    """

    KEYS = ("feature", "threshold", "left", "right", "value", "leaf", "missing_left")

    def __init__(self, model: dict) -> None:
        self.baseline = float(model["baseline"])
        width = max(len(tree["value"]) for tree in model["trees"])
        arrays = {key: np.zeros((len(model["trees"]), width)) for key in self.KEYS}
        for t, tree in enumerate(model["trees"]):
            for key in self.KEYS:
                arrays[key][t, : len(tree[key])] = tree[key]
        self.feature = arrays["feature"].astype(int)
        self.threshold = arrays["threshold"]
        self.left, self.right = arrays["left"].astype(int), arrays["right"].astype(int)
        self.value, self.leaf = arrays["value"], arrays["leaf"].astype(bool)
        self.missing_left = arrays["missing_left"].astype(bool)
        self.depth = int(model["max_depth"])

    def predict(self, features: np.ndarray) -> np.ndarray:
        trees = np.arange(len(self.feature))[:, None]
        rows = np.arange(len(features))[None, :]
        node = np.zeros((len(self.feature), len(features)), dtype=int)
        for _ in range(self.depth):
            values = features[rows, self.feature[trees, node]]
            go_left = np.where(
                np.isnan(values), self.missing_left[trees, node], values <= self.threshold[trees, node]
            )
            child = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, child)
        return self.baseline + self.value[trees, node].sum(axis=0)

    @classmethod
    def export(cls, fitted) -> dict:
        """The JSON form of a fitted `HistGradientBoostingRegressor` (by scripts/fit_summary_weights.py)."""
        trees, depth = [], 0
        for (predictor,) in fitted._predictors:
            nodes = predictor.nodes
            depth = max(depth, int(nodes["depth"].max()))
            trees.append({
                "feature": nodes["feature_idx"].tolist(), "threshold": nodes["num_threshold"].tolist(),
                "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                "value": [round(float(v), 7) for v in nodes["value"]],
                "leaf": nodes["is_leaf"].astype(int).tolist(),
                "missing_left": nodes["missing_go_to_left"].astype(int).tolist(),
            })  # fmt: skip
        return {"baseline": float(fitted._baseline_prediction.ravel()[0]), "max_depth": depth, "trees": trees}


def clause_spans(doc) -> list[tuple[str, int, int]]:
    """Cuttable spans of a parsed sentence as (kind, first token, last token).

    A span is the subtree of a CLAUSE_DEPS token, or the attribution around a reported statement ("X said" /
    "according to X" is `prep:…`). Its kind is the relation plus its place: `end` (it closes the sentence),
    `start` (it opens it, before a comma) or `inner` (set off by commas or dashes on both sides), so cutting
    it leaves a well-formed remainder made only of the sentence's own words, in order. A closing span must
    be set off by a comma or dash, or modify the main clause's verb (not a noun or a verb further down,
    whose complement it may be), and no span takes part of a quotation: both would change what the
    sentence says.
    """
    end = len(doc)
    while end and doc[end - 1].is_punct:
        end -= 1
    quotes = _quote_regions(doc)
    main = {t.i for t in doc if t.dep_ == "ROOT" or (t.dep_ == "conj" and t.head.dep_ == "ROOT")}
    spans = []
    for token in doc:
        if token.dep_ not in CLAUSE_DEPS or token.head.i == token.i:
            continue
        lo, hi = token.left_edge.i, token.right_edge.i
        if lo == 0 and hi >= end - 1:
            continue
        if hi >= end - 1:
            if token.head.i not in main and (lo == 0 or doc[lo - 1].text not in _BREAKS):
                continue  # restrictive or needed: "a message tailored to their bases" is not "a message"
            spans.append((f"{token.dep_}:end", lo, end - 1))
        elif lo == 0 and doc[hi + 1].text in _BREAKS:
            spans.append((f"{token.dep_}:start", lo, hi))
        elif lo > 0 and doc[lo - 1].text in _BREAKS and doc[hi + 1].text in _BREAKS:
            spans.append((f"{token.dep_}:inner", lo - 1, hi + 1))  # with both separators
    for root in (t for t in doc if t.dep_ == "ROOT" and t.lower_ in _SAY_VERBS):
        reported = next((c for c in root.children if c.dep_ == "ccomp"), None)
        if reported is None:
            continue
        lo, hi = reported.left_edge.i, reported.right_edge.i
        if lo > 0 and hi >= end - 1:  # "Officials said (that) Y."
            spans.append(("said:start", 0, lo if doc[lo].dep_ == "mark" else lo - 1))
        elif lo == 0 and hi < end - 1:  # "Y, officials said."
            spans.append(("said:end", hi + 1, end - 1))
    return [span for span in spans if not _splits_quote(span[1], span[2], quotes)]


def _quote_regions(doc) -> list[tuple[int, int]]:
    """Token ranges from an opening to its matching closing quotation mark (an unclosed one runs to the
    end); a ’ that closes no ‘ is an apostrophe."""
    regions: list[tuple[int, int]] = []
    opened, closers = -1, ""
    for token in doc:
        if opened < 0 and token.text in _QUOTE_PAIRS:
            opened, closers = token.i, _QUOTE_PAIRS[token.text]
        elif opened >= 0 and token.text in closers:
            regions.append((opened, token.i))
            opened = -1
    if opened >= 0:
        regions.append((opened, len(doc) - 1))
    return regions


def _splits_quote(lo: int, hi: int, quotes: list[tuple[int, int]]) -> bool:
    """A cut that takes part of a quotation and leaves the rest misquotes the speaker."""
    return any(lo <= b and hi >= a and not (lo <= a and hi >= b) for a, b in quotes)


_QUOTE_PAIRS = {"“": "”", "«": "»", "„": "“”", "‘": "’", '"': '"', "``": "''", "''": "''"}


_SEPARATORS = " \t\n,;:—–-"


def _trim_end(text: str) -> str:
    """Separators left before the final punctuation and closing quote go: "…, said ,." → "…, said."."""
    tail = ""
    if text[-1:] in ("\"", "”", "’", "'"):
        text, tail = text[:-1], text[-1]
    if text[-1:] in (".", "!", "?"):
        text, tail = text[:-1], text[-1] + tail
    stripped = text.rstrip(_SEPARATORS)
    return stripped + tail if stripped != text else text + tail


def _cut(doc, drop: set[int]) -> str:
    pieces: list[str] = []
    for token in doc:
        if token.i in drop:
            continue
        if token.i - 1 in drop and pieces and not pieces[-1].endswith(" ") and not token.is_punct:
            pieces.append(" ")
        pieces.append(token.text_with_ws)
    text = "".join(pieces).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"^[\s,;:—–-]+", "", text)
    text = _trim_end(text)
    text = re.sub(r"([,;—–])(\s*[,;—–])+", r"\1", text)
    if text and text[-1] not in ".!?\"”’'":
        text += "."
    return text[:1].upper() + text[1:]


def _unsupported(doc, lo: int, hi: int, other_terms: set[str]) -> bool:
    terms = content_terms(doc[lo : hi + 1].text)
    return bool(terms) and len(terms & other_terms) / len(terms) < CLAUSE_SUPPORT


def compress(
    sentence: str,
    other_terms: set[str] | None = None,
    kinds: frozenset[str] | None = None,
    lang: str | None = None,
) -> str:
    """Drop a dateline, a newsletter label, short parentheticals and clauses no other article supports.

    A clause (see `clause_spans`) of a kind fitted on train (`kinds`, default the shipped ones) is cut when
    under CLAUSE_SUPPORT of its content words occur in the other articles (`other_terms`): the summary keeps
    the shared core and leaves one outlet's detail, attribution or framing out. What stays is verbatim.
    """
    text = _PAREN.sub("", _LABEL.sub("", sentence[dateline_length(sentence) :])).strip()
    text = text[:1].upper() + text[1:] if text else sentence
    kinds = _load_weights().get("cut_clauses", []) if kinds is None else kinds
    short = len(text) <= MAX_PARSE_CHARS  # a longer "sentence" is not a statement: left as it is
    docs = parse([text]) if other_terms and kinds and short and is_english(lang) else None
    if docs is None:
        return text
    doc = docs[0]
    drop: set[int] = set()
    for kind, lo, hi in sorted(clause_spans(doc), key=lambda span: span[1] - span[2]):  # widest first
        if kind not in kinds or drop.issuperset(range(lo, hi + 1)):
            continue
        if _unsupported(doc, lo, hi, other_terms):
            kept = [t for t in doc if t.i not in drop and not lo <= t.i <= hi and not t.is_punct]
            if len(kept) >= MIN_COMPRESSED_WORDS:
                drop.update(range(lo, hi + 1))
    return _cut(doc, drop) if drop else text


@lru_cache(maxsize=1)
def _load_weights() -> dict:
    return json.loads(resources.files("storyweave.analyse").joinpath("summary_weights.json").read_text())


class ExtractiveSummarizer:
    """Default summariser: fitted sentence scores, compression, non-redundant selection (offline)."""

    def __init__(
        self,
        weights: dict | None = None,
        *,
        word_budget: int | None = None,
        min_sentences: int = 2,
        max_sentences: int | None = None,
        compress: bool = True,
        embedder=None,
    ) -> None:
        """`embedder` (default: USE, the space of the fact-matching threshold) tells two sentences that state
        one fact in other words."""
        config = weights or _load_weights()
        self.embedder = embedder
        if list(config["features"]) != list(FEATURE_NAMES):
            raise ValueError(
                "summary model was fitted on other features; rerun scripts/fit_summary_weights.py"
            )
        self.scorer = TreeEnsemble(config["scorer"])
        self.word_budget = word_budget
        self.budget_base, self.budget_per_word = config["budget"]["base"], config["budget"]["per_input_word"]
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences or config.get("max_sentences", 3)
        self.cut_clauses = frozenset(config.get("cut_clauses", [])) if compress else frozenset()

    def scores(self, docs: list[SourceText]) -> tuple[list[Candidate], np.ndarray, np.ndarray]:
        """Candidates, their predicted ROUGE-L against a neutral roundup, and their similarity matrix."""
        cands = candidates(docs)
        if not cands:
            return cands, np.zeros(0), np.zeros((0, 0))
        features, sim = sentence_features(docs, cands)
        loaded = features[:, FEATURE_NAMES.index("loaded")]
        return cands, self.scorer.predict(features) - LOADED_PENALTY * loaded, sim

    def budget(self, docs: list[SourceText]) -> float:
        """Words the summary may use: a fitted share of the input (roundups of longer leads are longer)."""
        if self.word_budget:
            return self.word_budget
        return self.budget_base + self.budget_per_word * sum(len(words(doc.text or "")) for doc in docs)

    def summarize(self, docs: list[SourceText]) -> Summary:
        """Best-scored self-contained sentences, compressed, each a different fact, while they fit the word
        budget (at least `min_sentences`); the latest report's best sentence for a story of several days."""
        cands, scores, sim = self.scores(docs)
        terms = [content_terms(f"{doc.title} {doc.text}") for doc in docs]
        same = _same_facts(cands, sim) | self._one_fact(docs, cands)
        budget = self.budget(docs)
        chosen: dict[int, str] = {}
        budget_used = 0
        order = [int(k) for k in np.argsort(-scores, kind="stable") if _self_contained(cands[int(k)].text)]
        for k in _latest_first(docs, cands, order):
            if len(chosen) >= self.max_sentences:
                break
            if any(same[k, c] for c in chosen):
                continue
            own = cands[k].doc
            text = compress(cands[k].text, set().union(*terms[:own], *terms[own + 1 :]), self.cut_clauses,
                            docs[own].lang)  # fmt: skip
            length = len(words(text))
            if len(chosen) >= self.min_sentences and budget_used + length > budget:
                continue
            chosen[k] = text
            budget_used += length
        sentences = []
        for k in sorted(chosen, key=lambda k: (cands[k].position, -scores[k])):
            supporters = sorted({cands[j].doc for j in range(len(cands))
                                 if sim[k, j] >= SUPPORT_SIMILARITY or same[k, j]})  # fmt: skip
            sources = [cands[k].doc] + [d for d in supporters if d != cands[k].doc]
            sentences.append(SummarySentence(chosen[k], sources, (cands[k].doc, cands[k].position)))
        return Summary(sentences, "extractive")


    def _one_fact(self, docs: list[SourceText], cands: list[Candidate]) -> np.ndarray:
        """Candidate pairs that state one fact in other words: the story page's fact matrix would put them in
        one row (the same blended similarity and threshold), so the summary says it once and cites both."""
        if self.embedder is None:
            from storyweave.embed import DEFAULT_SPEC, shared_embedder

            self.embedder = shared_embedder(DEFAULT_SPEC)
        if not cands:
            return np.zeros((0, 0), dtype=bool)
        vectors = embed_cached(self.embedder, [c.text for c in cands])
        sentences = [Sentence(c.text, "", n, 0, docs[c.doc].lang) for n, c in enumerate(cands)]
        return similarity_matrix(sentences, vectors) >= ONE_FACT_SIMILARITY


class LeadSummarizer:
    """The baseline a summariser must beat: the first statement of each of the first `reports` reports (two
    sentences, as the extractive summary's), each citing its own report."""

    def __init__(self, reports: int = 2) -> None:
        self.reports = reports

    def summarize(self, docs: list[SourceText]) -> Summary:
        firsts = [c for c in candidates(docs) if c.position == 0][: self.reports]
        return Summary([SummarySentence(c.text, [c.doc], (c.doc, 0)) for c in firsts], "lead")


def _self_contained(text: str) -> bool:
    """Whether the sentence, past its dateline and label ("Payload: Earlier this week…"), needs no context."""
    return not _LABEL.sub("", text[dateline_length(text) :]).casefold().startswith(_UNANCHORED)


def _distinctive(keys: set[tuple[str, float | str]]) -> set[tuple[str, float | str]]:
    """Figures two outlets seldom share by chance: money, and counts of a thousand or more (not years)."""
    return {
        (unit, value) for unit, value in keys
        if unit in "$€£¥" or (not isinstance(value, str) and value >= 1000 and unit != "year")
    }  # fmt: skip


def _same_facts(cands: list[Candidate], sim: np.ndarray) -> np.ndarray:
    """Candidate pairs that state one fact: TF-IDF redundancy, or one figure and overlapping words."""
    terms = [content_terms(c.text) for c in cands]
    figures = [_distinctive(figure_keys(c.text)) for c in cands]
    same = sim >= REDUNDANCY_SIMILARITY
    with_figures = [i for i, found in enumerate(figures) if found]  # few: the pairs to check
    for a, i in enumerate(with_figures):
        for j in with_figures[a + 1 :]:
            shared = terms[i] & terms[j]
            dice = 2 * len(shared) / (len(terms[i]) + len(terms[j]) or 1)
            around = {t for t in shared if t not in _MAGNITUDES and not any(c.isdigit() for c in t)}
            if figures[i] & figures[j] and (dice >= SAME_FIGURE_DICE or len(around) >= SAME_FIGURE_WORDS):
                same[i, j] = same[j, i] = True
    return same


def _latest_first(docs: list[SourceText], cands: list[Candidate], order: list[int]) -> list[int]:
    """`order`, with the latest report's best candidate first when the reports span over LATEST_SPAN."""
    dated = [(d.published if d.published.tzinfo else d.published.replace(tzinfo=UTC), i)
             for i, d in enumerate(docs) if d.published is not None]  # fmt: skip
    if len(dated) < 2 or max(dated)[0] - min(dated)[0] <= LATEST_SPAN:
        return order
    latest = max(dated)[1]
    best = next((k for k in order if cands[k].doc == latest), None)
    return order if best is None else [best] + [k for k in order if k != best]


_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ANSWER_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[”\"’']?)?(?:\s*\[[\d,; ]+\])*")


class LLMSummarizer:
    """Summaries from an OpenAI-compatible chat-completions endpoint, with citations mapped back to articles.

    `base_url` is the API root (e.g. http://127.0.0.1:8000/v1); the key comes from STORYWEAVE_LLM_API_KEY
    unless given. Source sentences are numbered in the prompt; the model is asked to cite them as [n].
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("STORYWEAVE_LLM_API_KEY")
        self.client = client or httpx.Client(timeout=timeout)

    @classmethod
    def from_env(cls) -> LLMSummarizer | None:
        """The backend configured by STORYWEAVE_LLM_URL and STORYWEAVE_LLM_MODEL, or None when unset."""
        url = os.environ.get("STORYWEAVE_LLM_URL")
        return cls(url, os.environ.get("STORYWEAVE_LLM_MODEL", "default")) if url else None

    def prompt(self, cands: list[Candidate]) -> str:
        numbered = "\n".join(f"[{i + 1}] {c.text}" for i, c in enumerate(cands))
        return (
            "Below are numbered sentences from several news reports of one event.\n"
            "Write a neutral summary of 2 to 4 sentences covering the facts most reports share. Use plain, "
            "non-loaded wording and add nothing that the sentences do not state. End every summary sentence "
            "with the numbers of the sentences that support it, like [2][5].\n\n" + numbered
        )

    def _ask(self, prompt: str) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "temperature": 0, "messages": [{"role": "user", "content": prompt}]}
        try:
            response = self.client.post(self.url, json=body, headers=headers)
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
            raise SummaryError(f"LLM endpoint {self.url} failed: {error}") from error

    def summarize(self, docs: list[SourceText]) -> Summary:
        cands = candidates(docs)
        if not cands:
            return Summary([], "llm")
        answer = self._ask(self.prompt(cands))
        sentences = []
        for piece in _ANSWER_SENTENCE.findall(answer):
            cited = [int(n) - 1 for group in _CITATION.findall(piece) for n in re.split(r"[,;]", group)]
            text = _CITATION.sub("", piece).strip()
            if not is_statement(text):
                continue
            cited = [n for n in cited if 0 <= n < len(cands)] or self._align(text, cands)
            if cited:
                sources = list(dict.fromkeys(cands[n].doc for n in cited))
                sentences.append(SummarySentence(text, sources))
        if not sentences:
            raise SummaryError(f"LLM endpoint {self.url} returned no supported sentence")
        return Summary(sentences[:4], "llm")

    @staticmethod
    def _align(text: str, cands: list[Candidate]) -> list[int]:
        """The source sentence most similar to an uncited answer sentence, if any is similar enough."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=True).fit([c.text for c in cands] + [text])
        sim = (vectorizer.transform([text]) @ vectorizer.transform([c.text for c in cands]).T).toarray()[0]
        best = int(np.argmax(sim))
        return [best] if sim[best] >= SUPPORT_SIMILARITY else []
