"""The write path every way of adding articles goes through: store the article, then the engine places it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from storyweave.models import Article
from storyweave.store import Store


class Placer(Protocol):
    """What the pipeline needs from the story engine: place one stored article into a story (with its
    embedding when it was computed ahead)."""

    def add(self, article: Article, vector: np.ndarray | None = None) -> object: ...


@dataclass
class AddResult:
    article_id: str
    added: bool
    """False when the store already held this article (same id, canonical URL or content hash)."""
    duplicate_of: str | None = None


class Pipeline:
    """Store + story engine, atomically per article: a kill leaves either both writes or neither."""

    def __init__(
        self,
        store: Store,
        engine: Placer | None = None,
        on_added: Callable[[list[Article]], None] | None = None,
    ) -> None:
        """`on_added` sees each batch of newly stored articles, after they are placed (e.g. the web server
        prepares their analysis in the background)."""
        self.store = store
        self.engine = engine
        self.on_added = on_added
        self._batch = False

    def add(self, article: Article, vector: np.ndarray | None = None) -> AddResult:
        """Store one article and place it. `vector`, its embedding computed ahead (see `add_many`), is kept
        with it in the same transaction, so that a restarted engine replays it without embedding again."""
        with self.store.transaction():
            existing = self.store.find_duplicate(article)
            if existing is not None:
                return AddResult(article.id, False, existing)
            if not self.store.add_article(article):  # a concurrent writer stored it since the check
                return AddResult(article.id, False, self.store.find_duplicate(article))
            if self.engine is not None:
                self.engine.add(article, vector)
            space = getattr(self.engine, "embedder_name", None)
            if vector is not None and space is not None:
                self.store.put_vectors(space, {article.id: vector})
        if self.on_added is not None and not self._batch:
            self.on_added([article])
        return AddResult(article.id, True)

    def embed(self, articles: Sequence[Article]) -> dict[str, np.ndarray]:
        """Embed the articles not yet stored in one batch and hand the vectors to the engine (`prepare`);
        empty when the engine embeds nothing ahead. Runs outside any transaction: it is the slow part."""
        prepare = getattr(self.engine, "prepare", None)
        embed = getattr(self.engine, "embed_articles", None)
        if prepare is None:
            return {}
        new = [a for a in articles if self.store.find_duplicate(a) is None]
        vectors = embed(new) if embed is not None else None
        prepare(new, vectors)
        return vectors or {}

    def add_many(
        self, articles: Sequence[Article], vectors: dict[str, np.ndarray] | None = None
    ) -> list[AddResult]:
        """Add a batch in one transaction, embedded first in one go (see `embed`) unless `vectors` (by
        article id) were computed elsewhere (Ray workers); vectors are stored."""
        if vectors is None:
            vectors = self.embed(articles)
        self._batch = True
        try:
            with self.store.transaction():
                results = [self.add(article, vectors.get(article.id)) for article in articles]
        finally:
            self._batch = False
        if self.on_added is not None:
            self.on_added([a for a, r in zip(articles, results, strict=True) if r.added])
        return results
