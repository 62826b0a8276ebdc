"""Group sentences of different reports that state the same fact, across languages.

Similarity of two sentences is the multilingual embedding cosine blended with content-word overlap (Dice
over 5-character word prefixes, a cheap stemmer that also matches names and figures across languages).
Groups are built greedily from the most similar pair down, with average linkage, and hold at most one
sentence per voice (an article or a bundle of wire copies): one report states one fact once, and the cap
stops long sentences from chaining unrelated facts together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from storyweave.analyse.text import statement_sentences, words

LINK_THRESHOLD = 0.48
"""Blended similarity at which two sentences state the same fact (on the seeds: 0.50–0.64 for the
shared facts, at most 0.44 for sentences that only share a setting)."""
EMBED_WEIGHT = 0.6
CROSS_LANGUAGE_MARGIN = 0.15
"""Sentences in different languages share few words, so their score is the cosine minus this margin."""


@dataclass
class Sentence:
    """One sentence of one voice (a unique report), with its position in the article."""

    text: str
    article_id: str
    voice: int
    position: int
    lang: str | None = None


@dataclass
class FactGroup:
    members: list[int] = field(default_factory=list)
    voices: set[int] = field(default_factory=set)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, imported on first use (sklearn costs ~0.7 s at CLI start)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


@lru_cache(maxsize=16_384)
def content_terms(text: str) -> frozenset[str]:
    """Content words cut to 5 letters (cached: fact matching, the summary and its checks read the same
    sentences and articles many times)."""
    stop = _stop_words()
    return frozenset(w[:5] for w in words(text) if len(w) > 2 and w not in stop)


SAME_STATEMENT_SHARE = 0.8
"""Share of a sentence's content words an earlier sentence of the same report holds for it to be a repeat
(a caption restating the lead, a headline restating it): one statement, one fact row."""


def repeats(sentence: str, earlier: list[set[str]]) -> bool:
    """Whether an earlier sentence (its content terms in `earlier`) already states `sentence`."""
    terms = content_terms(sentence)
    return bool(terms) and any(len(terms & e) >= SAME_STATEMENT_SHARE * len(terms) for e in earlier)


def own_statements(text: str, lang: str | None, limit: int) -> list[str]:
    """The article's first `limit` statements (`text.statement_sentences`) without its repeats: what facts,
    quotes and the summary's candidates are all drawn from."""
    out: list[str] = []
    seen: list[set[str]] = []
    for sentence in statement_sentences(text, lang):
        if len(out) >= limit:
            break
        if not repeats(sentence, seen):
            out.append(sentence)
            seen.append(content_terms(sentence))
    return out


def similarity_matrix(sentences: list[Sentence], vectors: np.ndarray) -> np.ndarray:
    """Blended sentence similarity: embedding cosine and content-word Dice (see module docstring), computed
    as matrix products (a 30-report story compares ~1,800 sentences: 1.6 M pairs)."""
    from scipy.sparse import csr_matrix

    n = len(sentences)
    if not n:
        return np.zeros((0, 0), dtype=np.float32)
    cosine = (vectors @ vectors.T).astype(np.float32)
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, sentence in enumerate(sentences):
        for term in content_terms(sentence.text):
            rows.append(i)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
    ones = np.ones(len(rows), dtype=np.float32)
    terms = csr_matrix((ones, (rows, cols)), shape=(n, max(len(vocabulary), 1)))
    shared = (terms @ terms.T).toarray()
    sizes = np.asarray(terms.sum(axis=1), dtype=np.float32).ravel()
    union = sizes[:, None] + sizes[None, :]
    dice = np.divide(2 * shared, union, out=np.zeros_like(shared), where=union > 0)
    scores = (EMBED_WEIGHT * cosine + (1 - EMBED_WEIGHT) * dice).astype(np.float32)
    codes: dict[str, int] = {"": -1}
    langs = np.array([codes.setdefault(s.lang or "", len(codes)) for s in sentences])
    if len(set(langs.tolist()) - {-1}) > 1:  # several languages: compare across them by meaning alone
        crossed = (langs[:, None] != langs[None, :]) & (langs[:, None] >= 0) & (langs[None, :] >= 0)
        scores = np.where(crossed, np.maximum(scores, cosine - CROSS_LANGUAGE_MARGIN), scores)
        scores = scores.astype(np.float32)
    np.fill_diagonal(scores, 0.0)
    return scores


def group_facts(
    sentences: list[Sentence], scores: np.ndarray, threshold: float = LINK_THRESHOLD
) -> list[list[int]]:
    """Sentence indexes grouped into facts, each in reading order, facts ordered by first appearance."""
    groups = {i: FactGroup([i], {s.voice}) for i, s in enumerate(sentences)}
    owner = list(range(len(sentences)))
    voice = np.array([s.voice for s in sentences])
    upper = np.triu(np.ones(scores.shape, dtype=bool), k=1) if len(sentences) else np.zeros((0, 0), bool)
    first, second = np.nonzero(upper & (voice[:, None] != voice[None, :]) & (scores >= threshold))
    order = np.lexsort((-second, -first, -scores[first, second]))  # most similar first, as sorted tuples
    for i, j in zip(first[order].tolist(), second[order].tolist(), strict=True):
        a, b = owner[i], owner[j]
        if a == b or groups[a].voices & groups[b].voices:
            continue
        linkage = float(np.mean(scores[np.ix_(groups[a].members, groups[b].members)]))
        if linkage < threshold:
            continue
        groups[a].members += groups[b].members
        groups[a].voices |= groups[b].voices
        for member in groups.pop(b).members:
            owner[member] = a
    ordered = [
        sorted(g.members, key=lambda m: (sentences[m].voice, sentences[m].position)) for g in groups.values()
    ]
    return sorted(
        ordered, key=lambda members: min((sentences[m].position, sentences[m].voice) for m in members)
    )
