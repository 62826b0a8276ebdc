"""The write path every way of adding articles goes through: store the article, then the engine places it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storyweave.models import Article
from storyweave.store import Store


class Placer(Protocol):
    """What the pipeline needs from the story engine: place one stored article into a story."""

    def add(self, article: Article) -> object: ...


@dataclass
class AddResult:
    article_id: str
    added: bool
    """False when the store already held this article (same id, canonical URL or content hash)."""
    duplicate_of: str | None = None


class Pipeline:
    """Store + story engine, atomically per article: a kill leaves either both writes or neither."""

    def __init__(self, store: Store, engine: Placer | None = None) -> None:
        self.store = store
        self.engine = engine

    def add(self, article: Article) -> AddResult:
        with self.store.transaction():
            existing = self.store.find_duplicate(article)
            if existing is not None:
                return AddResult(article.id, False, existing)
            if not self.store.add_article(article):  # a concurrent writer stored it since the check
                return AddResult(article.id, False, self.store.find_duplicate(article))
            if self.engine is not None:
                self.engine.add(article)
        return AddResult(article.id, True)

    def add_many(self, articles: Sequence[Article]) -> list[AddResult]:
        """Add a batch in one transaction; an engine with `prepare` first embeds the new ones in one go."""
        prepare = getattr(self.engine, "prepare", None)
        if prepare is not None:
            prepare([a for a in articles if self.store.find_duplicate(a) is None])
        with self.store.transaction():
            return [self.add(article) for article in articles]
