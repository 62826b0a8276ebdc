"""Summaries of articles and stories, and the similarity features the join decision is made from.

An article and a story share one representation, `Profile`: a dense vector sum, sparse term/name/number
counts and a time span. A story's profile is the sum of its articles' profiles, so joining, merging and
comparing stories all use the same code (Miranda et al., EMNLP 2018: dense + sparse + time features beat
any one of them).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_SENTENCE_END = re.compile(r"[.!?:;\"“”«»]\s*$")
MAX_TERMS = 300
"""Terms kept per story summary (the most frequent), which bounds memory and scoring cost per story."""
MAX_MEMBERS = 8
"""Recent member vectors kept per story for the nearest-member similarity."""
TIME_SCALE_HOURS = 24.0 * 30
"""Time gaps are scored on a log scale saturating at about a month."""


@dataclass
class TextFeatures:
    """Sparse evidence extracted from one article's text: words, capitalised names and numbers."""

    terms: Counter
    names: Counter
    numbers: Counter
    n_words: int


def text_features(title: str, text: str) -> TextFeatures:
    """Words (lower-cased), capitalised names not opening a sentence, and numbers with two or more digits."""
    body = f"{title or ''}.\n{text or ''}"
    terms: Counter = Counter()
    names: Counter = Counter()
    n_words = 0
    previous_end = 0
    for match in _WORD.finditer(body):
        word = match.group()
        n_words += 1
        if word.isdigit():
            continue
        lower = word.casefold()
        if len(lower) > 1:
            terms[lower] += 1
        gap = body[previous_end : match.start()]
        starts_sentence = previous_end == 0 or "\n" in gap or bool(_SENTENCE_END.search(gap))
        if (
            word[0].isupper()
            and len(word) > 2
            and not starts_sentence
            and not word.isupper()
            or (word.isupper() and 2 <= len(word) <= 6 and word.isalpha())
        ):
            names[lower] += 1
        previous_end = match.end()
    numbers = Counter(digits for raw in _NUMBER.findall(body) if len(digits := re.sub(r"[.,]", "", raw)) >= 2)
    return TextFeatures(terms, names, numbers, n_words)


def to_hours(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp() / 3600.0


@dataclass
class Profile:
    """Summary state of one article or one story: enough to score a join without reading the members back."""

    vec_sum: np.ndarray
    n: int
    terms: Counter
    names: Counter
    numbers: Counter
    t_first: float | None = None
    t_last: float | None = None
    langs: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    members: list[np.ndarray] = field(default_factory=list)
    member_titles: list[str] = field(default_factory=list)
    """Headlines of `members`, in the same order: the candidates for the story's representative title."""
    short: bool = False
    published: int = 0
    """How many of the reports carry a publication date (a date stated in an undated text does not count)."""
    norm_cache: tuple[int, float] = (-1, 0.0)
    """(n, tf-idf norm): the norm is reused until the profile changes."""

    def tfidf_norm(self, idf: DocumentFrequencies) -> float:
        n, norm = self.norm_cache
        if n != self.n:
            norm = math.sqrt(sum((math.log1p(c) * idf.idf(t)) ** 2 for t, c in self.terms.items()))
            self.norm_cache = (self.n, norm)
        return norm

    @classmethod
    def of_article(
        cls,
        vector: np.ndarray,
        feats: TextFeatures,
        published: datetime | None,
        lang: str | None,
        source: str | None = None,
        title: str = "",
        *,
        has_published: bool = False,
    ) -> Profile:
        """`published` is the article's date (its publication date, else one its text states);
        `has_published` says which."""
        hours = to_hours(published)
        return cls(
            vec_sum=np.asarray(vector, dtype=np.float32).copy(),
            n=1,
            terms=feats.terms,
            names=feats.names,
            numbers=feats.numbers,
            t_first=hours,
            t_last=hours,
            langs=Counter([lang]) if lang else Counter(),
            sources=Counter([source]) if source else Counter(),
            members=[np.asarray(vector, dtype=np.float16)],
            member_titles=[title],
            short=feats.n_words < 40,
            published=int(has_published),
        )

    @property
    def unit(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.vec_sum))
        return self.vec_sum / norm if norm > 0 else self.vec_sum

    @property
    def cohesion(self) -> float:
        """How tightly the reports agree, 0..1: the mean pairwise cosine of their (unit) embeddings, exact
        from the vector sum alone (|sum|^2 = n + sum of pairwise cosines); 1.0 for a single report."""
        if self.n <= 1:
            return 1.0
        square = float(self.vec_sum @ self.vec_sum)
        return min(1.0, max(0.0, (square - self.n) / (self.n * (self.n - 1))))

    def absorb(self, other: Profile) -> None:
        """Fold `other` (an article or a whole story) into this summary."""
        self.vec_sum = self.vec_sum + other.vec_sum
        self.n += other.n
        for mine, theirs, cap in (
            (self.terms, other.terms, MAX_TERMS),
            (self.names, other.names, MAX_TERMS // 3),
            (self.numbers, other.numbers, MAX_TERMS // 6),
        ):
            mine.update(theirs)
            if len(mine) > 2 * cap:
                kept = mine.most_common(cap)
                mine.clear()
                mine.update(dict(kept))
        times = [t for t in (self.t_first, self.t_last, other.t_first, other.t_last) if t is not None]
        if times:
            self.t_first, self.t_last = min(times), max(times)
        self.published += other.published
        self.langs.update(other.langs)
        self.sources.update(other.sources)
        if len(self.sources) > MAX_TERMS:
            kept = self.sources.most_common(MAX_TERMS // 2)
            self.sources.clear()
            self.sources.update(dict(kept))
        self.members = (self.members + other.members)[-MAX_MEMBERS:]
        self.member_titles = (self.member_titles + other.member_titles)[-MAX_MEMBERS:]
        self.short = self.short and other.short


class DocumentFrequencies:
    """Word weights (idf) from a fixed background corpus, so that rare shared words and names weigh more than
    common ones, and the same article pair scores the same in every input. Terms the corpus lacks get the
    rarest weight.
    """

    def __init__(self, df: dict[str, int], n_docs: int) -> None:
        self.n_docs = n_docs
        self._idf = {t: math.log((n_docs + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self._unseen = math.log(n_docs + 1) + 1.0

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen)


BACKGROUND_FILE = "background_df.json.gz"
"""Built by scripts/build_background.py from news outside every benchmark set."""


@lru_cache(maxsize=1)
def background() -> DocumentFrequencies:
    """The shipped background word weights, loaded once per process."""
    raw = resources.files("storyweave.cluster").joinpath(BACKGROUND_FILE).read_bytes()
    data = json.loads(gzip.decompress(raw))
    return DocumentFrequencies(data["df"], int(data["n_docs"]))


FEATURE_NAMES = [
    "dense_centroid",
    "dense_member",
    "tfidf",
    "names",
    "numbers",
    "has_numbers",
    "time_gap",
    "has_time",
    "log_size",
    "same_lang",
    "cross_lang",
    "short",
    "dense_x_cross",
    "dense_sq",
    "tfidf_sqrt",
    "same_source",
]


def _tfidf_cosine(query: Profile, story: Profile, idf: DocumentFrequencies) -> float:
    if not query.terms or not story.terms:
        return 0.0
    norms = query.tfidf_norm(idf) * story.tfidf_norm(idf)
    if not norms:
        return 0.0
    small, large = query.terms, story.terms
    if len(small) > len(large):
        small, large = large, small
    dot = 0.0
    for term, count in small.items():
        other = large.get(term)
        if other:
            weight = idf.idf(term)
            dot += math.log1p(count) * math.log1p(other) * weight * weight
    return min(1.0, dot / norms)


def _containment(query: Counter, target: Counter, idf: DocumentFrequencies) -> float:
    """Share of the query's (idf-weighted) items that also occur in the target."""
    if not query:
        return 0.0
    total = sum(idf.idf(t) for t in query)
    shared = sum(idf.idf(t) for t in query if t in target)
    return shared / total if total else 0.0


def gap_hours(query: Profile, story: Profile) -> float | None:
    """Hours between the two time spans (0 when they overlap); None when either is undated."""
    if query.t_first is None or story.t_first is None:
        return None
    return max(0.0, story.t_first - query.t_last, query.t_first - story.t_last)


def features(query: Profile, story: Profile, idf: DocumentFrequencies) -> np.ndarray:
    """Similarity features of placing `query` (usually one article) into `story`; order = FEATURE_NAMES."""
    q_unit = query.unit
    dense = float(q_unit @ story.unit)
    member = float(np.max(np.asarray(story.members, dtype=np.float32) @ q_unit)) if story.members else dense
    tfidf = _tfidf_cosine(query, story, idf)
    names = _containment(query.names, story.names, idf)
    has_numbers = float(bool(query.numbers) and bool(story.numbers))
    numbers = len(query.numbers.keys() & story.numbers.keys()) / max(1, min(len(query.numbers), 5))
    hours = gap_hours(query, story)
    if hours is None:
        gap, has_time = 0.0, 0.0
    else:
        gap, has_time = min(1.0, math.log1p(hours) / math.log1p(TIME_SCALE_HOURS)), 1.0
    known = bool(query.langs) and bool(story.langs)
    same_lang = float(known and bool(query.langs.keys() & story.langs.keys()))
    cross_lang = float(known and not same_lang)
    return np.array(
        [
            dense,
            member,
            tfidf,
            names,
            min(numbers, 1.0),
            has_numbers,
            gap,
            has_time,
            math.log1p(story.n) / 5.0,
            same_lang,
            cross_lang,
            float(query.short),
            dense * cross_lang,
            dense * dense,
            math.sqrt(tfidf),
            float(bool(query.sources.keys() & story.sources.keys())),
        ],
        dtype=np.float64,
    )
