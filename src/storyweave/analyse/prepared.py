"""An article's own share of every story analysis, computed once when it is stored and kept in the store.

Splitting, the statement filter, the spaCy parse (names, quotes, what each figure measures) and the sentence
vectors depend on one article alone, and they are almost all of an analysis' cost (about 1 s of CPU per
article). `prepare_articles` computes them for a batch (one parse batch, one embedding batch), the store keeps
them as `analysis:<article id>` state records (`save_prepared` / `load_prepared`), and `analyse_story` then
only compares: a 30-report story takes well under 2 s, and a story that grows by one report prepares only
that report. The record is compact JSON plus float16 vectors (cosines move by < 1e-3);
`version.PREPARED_FORMAT` changes whenever what is prepared changes, and a record of another format, article
text or vector space is ignored (prepared again).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from storyweave.analyse.nlp import embed_cached, is_english, parse, remember_vectors
from storyweave.analyse.numbers import Figure, extract_figures
from storyweave.analyse.quotes import Quote, extract_quotes
from storyweave.analyse.version import PREPARED_FORMAT
from storyweave.models import Article
from storyweave.store.base import Store

KEY = "analysis:{}"
_MAGIC = b"SWA"


@dataclass
class PreparedArticle:
    """What the analysis needs of one article: its language, its statements (headline first), its body
    statements (for quotes), the summary's candidate lead sentences, names, quotes, figures and vectors."""

    article_id: str
    hash: str
    lang: str | None
    statements: list[str]
    body: list[str]
    leads: list[str]
    names: list[tuple[str, str]]
    quotes: list[Quote]
    figures: dict[str, list[Figure]]
    """Sentence -> its figures, for the sentences that have any."""
    space: str = ""
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    """One row per text of `texts()` (statements, then leads not among them), in vector space `space`."""

    def texts(self) -> list[str]:
        return list(dict.fromkeys(self.statements + self.leads))

    def fits(self, article: Article, space: str) -> bool:
        """Whether this record was prepared from this text of the article, in this vector space."""
        return self.hash == article.hash and self.space == space

    def to_bytes(self) -> bytes:
        head = {
            "format": PREPARED_FORMAT, "id": self.article_id, "hash": self.hash, "lang": self.lang,
            "statements": self.statements, "body": self.body, "leads": self.leads,
            "names": self.names, "quotes": [[q.text, q.speaker, q.kind, q.sentence] for q in self.quotes],
            "figures": {s: [[f.text, f.value, f.unit, f.quantity, f.context, f.bound] for f in fs]
                        for s, fs in self.figures.items()},
            "space": self.space, "dims": list(self.vectors.shape),
        }  # fmt: skip
        encoded = json.dumps(head, ensure_ascii=False).encode()
        vectors = np.ascontiguousarray(self.vectors, dtype="<f2").tobytes()
        return _MAGIC + struct.pack("<BI", PREPARED_FORMAT, len(encoded)) + encoded + vectors

    @classmethod
    def from_bytes(cls, raw: bytes) -> PreparedArticle | None:
        """The record, or None when it is of another format (or not one at all)."""
        if raw[:3] != _MAGIC or len(raw) < 8 or raw[3] != PREPARED_FORMAT:
            return None
        (size,) = struct.unpack("<I", raw[4:8])
        head = json.loads(raw[8 : 8 + size])
        rows, dims = head["dims"]
        vectors = np.frombuffer(raw[8 + size :], dtype="<f2").astype(np.float32).reshape(rows, dims)
        return cls(
            head["id"], head["hash"], head["lang"], head["statements"], head["body"], head["leads"],
            [tuple(n) for n in head["names"]],
            [Quote(text, speaker, kind, head["id"], sentence)
             for text, speaker, kind, sentence in head["quotes"]],
            {s: [Figure(*f) for f in fs] for s, fs in head["figures"].items()},
            head["space"], vectors,
        )  # fmt: skip

    def remember(self) -> None:
        """Put the vectors in the process's sentence-vector cache, where fact matching reads them."""
        if self.space and len(self.vectors):
            remember_vectors(self.space, self.texts(), self.vectors)


def prepare_articles(articles: Iterable[Article], embedder) -> list[PreparedArticle]:
    """Prepare a batch: one spaCy parse batch for every English sentence, one embedding batch (`embedder`:
    the analysis' USE encoder) for every statement and lead sentence."""
    from storyweave.analyse.entities import recognise
    from storyweave.analyse.report import article_statements
    from storyweave.analyse.summary import MAX_LEAD_SENTENCES

    split = []
    for article in articles:
        lang, statements, body = article_statements(article)
        split.append((article, lang, statements, body, body[:MAX_LEAD_SENTENCES]))  # = lead_sentences
    parse([s for _, lang, statements, _, leads in split if is_english(lang) for s in statements + leads])
    texts = list(dict.fromkeys(t for _, _, statements, _, leads in split for t in statements + leads))
    vectors = dict(zip(texts, embed_cached(embedder, texts), strict=True)) if texts else {}
    out = []
    for article, lang, statements, body, leads in split:
        figures = {s: found for s in statements if (found := extract_figures(s, lang))}
        prepared = PreparedArticle(
            article.id, article.hash, lang, statements, body, leads, recognise(statements, lang),
            extract_quotes(body, article.id, lang), figures, getattr(embedder, "name", ""),
        )  # fmt: skip
        rows = [vectors[t] for t in prepared.texts()]
        prepared.vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), np.float32)
        out.append(prepared)
    return out


def analysis_embedder():
    """USE, whatever `--embedder` the story engine runs with: fact-matching thresholds live in its space."""
    from storyweave.embed import DEFAULT_SPEC, shared_embedder

    return shared_embedder(DEFAULT_SPEC)


def analysis_space() -> str:
    """The vector space of `analysis_embedder`, without loading it."""
    from storyweave.embed import DEFAULT_SPEC, embedder_name

    return embedder_name(DEFAULT_SPEC)


def load_prepared(
    store: Store, articles: Iterable[Article], space: str | None = None
) -> dict[str, PreparedArticle]:
    """The stored records of those `articles` that have one that fits (same text, vector space `space`,
    default the analysis')."""
    space = space or analysis_space()
    found = {}
    for article in articles:
        raw = store.get_state(KEY.format(article.id))
        prepared = PreparedArticle.from_bytes(raw) if raw else None
        if prepared is not None and prepared.fits(article, space):
            found[article.id] = prepared
    return found


def save_prepared(store: Store, prepared: Iterable[PreparedArticle]) -> None:
    """Keep the records (one transaction)."""
    with store.transaction():
        for record in prepared:
            store.put_state(KEY.format(record.article_id), record.to_bytes())


def prepared_for(store: Store, articles: list[Article], *, save: bool = True) -> dict[str, PreparedArticle]:
    """The records of `articles`: read from the store, the missing ones prepared now (one batch) and, with
    `save`, kept for the next analysis."""
    found = load_prepared(store, articles)
    missing = [a for a in articles if a.id not in found]
    fresh = prepare_articles(missing, analysis_embedder()) if missing else []
    if fresh and save:
        save_prepared(store, fresh)
    return found | {p.article_id: p for p in fresh}
