"""The `Store` interface. All SQL lives behind it, so SQLite (default) and PostgreSQL are interchangeable."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Literal

import numpy as np

from storyweave.models import Article, Outlet, Story

StorySort = Literal["recency", "size", "velocity"]


class StoreError(RuntimeError):
    """A store could not be opened or used (bad URL, newer schema, server unreachable)."""


class QueryTimeout(StoreError):
    """A read ran past its time budget and was interrupted (an expensive full-text query)."""


MAX_QUERY_TERMS = 32
"""Full-text queries use at most this many distinct terms: each term costs a posting-list scan, and one term
repeated 20,000 times once froze every read for minutes."""
MAX_TERM_CHARS = 64
MAX_QUERY_CHARS = MAX_QUERY_TERMS * (MAX_TERM_CHARS + 1) * 4
SEARCH_BUDGET_S = 2.0
"""A full-text read taking longer than this is interrupted (`QueryTimeout`) instead of holding the reader."""


def search_terms(query: str) -> list[str]:
    """The distinct words of a user query (first occurrence order, case-folded duplicates dropped), at most
    `MAX_QUERY_TERMS`, each cut to `MAX_TERM_CHARS`; NUL and other control characters are dropped."""
    cleaned = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in query[:MAX_QUERY_CHARS])
    terms: dict[str, str] = {}
    for word in cleaned.split():
        word = word[:MAX_TERM_CHARS]
        terms.setdefault(word.casefold(), word)
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return list(terms.values())


class Store(ABC):
    """Persistent articles, outlets, stories and engine state.

    Writes are atomic per call; wrap several calls in `transaction()` to make them atomic together, so that
    a crash or a kill never leaves half an article or a story assignment without its article.
    """

    url: str

    # -- lifecycle ---------------------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them land, or none (nestable; the outermost block commits)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- articles ----------------------------------------------------------------------------------------
    @abstractmethod
    def find_duplicate(self, article: Article) -> str | None:
        """Id of a stored article with the same id, canonical URL or content hash, if any."""

    @abstractmethod
    def add_article(self, article: Article) -> bool:
        """Store `article` unless `find_duplicate` finds it; True when it was added."""

    @abstractmethod
    def get_article(self, article_id: str) -> Article | None: ...

    @abstractmethod
    def iter_articles(
        self,
        *,
        story_id: str | None = None,
        source: str | None = None,
        lang: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Article]:
        """Articles in insertion order, optionally filtered."""

    @abstractmethod
    def count_articles(self) -> int: ...

    @abstractmethod
    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> list[Article]:
        """Full-text search over title and text, best match first."""

    @abstractmethod
    def set_article_story(
        self, article_id: str, story_id: str | None, *, duplicate_of: str | None = None
    ) -> None:
        """Record the engine's decision for one article."""

    # -- outlets -----------------------------------------------------------------------------------------
    @abstractmethod
    def upsert_outlet(self, outlet: Outlet) -> None: ...

    @abstractmethod
    def get_outlet(self, name: str) -> Outlet | None: ...

    @abstractmethod
    def list_outlets(self) -> list[Outlet]: ...

    # -- stories -----------------------------------------------------------------------------------------
    @abstractmethod
    def save_story(self, story: Story) -> None:
        """Insert or update a story's own fields (membership comes from `set_article_story`)."""

    @abstractmethod
    def get_story(self, story_id: str) -> Story | None:
        """The story with `article_ids` filled in, in insertion order."""

    @abstractmethod
    def delete_story(self, story_id: str) -> None:
        """Remove an (emptied) story, e.g. after a merge."""

    @abstractmethod
    def list_stories(
        self,
        *,
        query: str | None = None,
        lang: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        thread_id: str | None = None,
        sort: StorySort = "recency",
        limit: int = 50,
        offset: int = 0,
    ) -> list[Story]:
        """Stories matching every given filter (`query` is full-text over their articles)."""

    @abstractmethod
    def count_stories(self) -> int: ...

    # -- engine state ------------------------------------------------------------------------------------
    @abstractmethod
    def put_state(self, key: str, value: bytes) -> None:
        """Opaque state of a pipeline component (e.g. the story engine's snapshot)."""

    @abstractmethod
    def get_state(self, key: str) -> bytes | None: ...

    # -- restart support ---------------------------------------------------------------------------------
    @abstractmethod
    def put_vectors(self, space: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep articles' embeddings (float32) in vector space `space` (the embedder's name), so that a
        restarted story engine replays them instead of embedding again."""

    @abstractmethod
    def get_vectors(self, space: str, article_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored embeddings in `space` of those of `article_ids` that have one."""

    @abstractmethod
    def raw_refs(self, article_ids: Iterable[str]) -> dict[str, str | None]:
        """`raw_ref` (where it was read from) of those of `article_ids` that are stored: lets a re-run skip
        records it stored before without extracting them again."""


def merged_key(story_id: str) -> str:
    """State key recording which story `story_id` was merged into."""
    return f"merged:{story_id}"


def merged_into(store: Store, story_id: str, hops: int = 8) -> str | None:
    """The story that `story_id` became through merges (following a chain of them), or None."""
    survivor = None
    for _ in range(hops):
        raw = store.get_state(merged_key(story_id))
        if raw is None:
            break
        survivor = story_id = raw.decode()
    return survivor
