"""The Python API: one object over a store, the story engine and the analysis.

    from storyweave import StoryWeave
    with StoryWeave("news.db") as sw:
        sw.ingest("../shared/seeds")
        for story in sw.stories(sort="size"):
            report = sw.report(story.id)      # facts × outlets, quotes, entities, cited summary
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyweave.models import Article, Outlet, Story
from storyweave.pipeline import AddResult, Pipeline
from storyweave.store import Store, open_store

if TYPE_CHECKING:
    from storyweave.analyse import StoryReport
    from storyweave.embed import Embedder
    from storyweave.ingest import IngestSummary


class NothingIngested(ValueError):
    """`StoryWeave.ingest` read nothing it could store (no inputs found, or every one failed)."""

    def __init__(self, summary: IngestSummary, inputs: tuple[str | Path, ...]) -> None:
        self.summary = summary
        reasons = "; ".join(str(e) for e in summary.errors[:3]) or "no articles found"
        more = f" (and {len(summary.errors) - 3} more)" if len(summary.errors) > 3 else ""
        names = ", ".join(str(i) for i in inputs) or "no inputs"
        super().__init__(f"nothing ingested from {names}: {reasons}{more}")


def story_outlets(store: Store, articles: list[Article]) -> dict[str, Outlet]:
    """User-supplied metadata of the outlets that published `articles`, for the coverage view."""
    return {a.source: o for a in articles if a.source and (o := store.get_outlet(a.source))}


class StoryWeave:
    """Ingest, place and compare news reports. `store` is a path, a `postgresql://` URL or an open `Store`."""

    def __init__(
        self,
        store: str | Path | Store | None = None,
        *,
        allow_private: bool = False,
        embedder: str | Embedder | None = None,
    ) -> None:
        """`embedder`: a spec ("use", "e5", "st:/path") or an `Embedder`; default: `STORYWEAVE_EMBEDDER`."""
        if isinstance(embedder, str):
            from storyweave.embed import embedder_name

            embedder_name(embedder)  # a bad spec fails here, not at the first write
        self._owns_store = not isinstance(store, Store)
        self.store: Store = open_store(store) if self._owns_store else store  # type: ignore[arg-type]
        self.allow_private = allow_private
        self._embedder = embedder
        self._pipeline: Pipeline | None = None

    @property
    def pipeline(self) -> Pipeline:
        """Store + story engine, created on first write (loading the engine restores its state)."""
        if self._pipeline is None:
            from storyweave.cluster import StoryEngine
            from storyweave.embed import shared_embedder

            embedder = shared_embedder(self._embedder) if isinstance(self._embedder, str) else self._embedder
            self._pipeline = Pipeline(self.store, StoryEngine(self.store, embedder))
        return self._pipeline

    def ingest(self, *inputs: str | Path, source: str | None = None) -> IngestSummary:
        """Add files, folders or URLs (as `storyweave ingest` does; `source` names the outlet of all of them).
        Errors of single inputs are collected in the summary; `NothingIngested` (a ValueError saying why) when
        nothing could be read at all, as `storyweave ingest` exits 1 then. Re-ingesting stored articles is
        not an error."""
        from storyweave.fetch import Fetcher
        from storyweave.ingest import Ingestor, expand

        with Fetcher(allow_private=self.allow_private) as fetcher:
            ingestor = Ingestor(self.pipeline, fetcher=fetcher, source=source)
            summary = ingestor.run(expand([str(i) for i in inputs]))
        if not summary.ingested:
            raise NothingIngested(summary, inputs)
        return summary

    def add(self, article: Article) -> AddResult:
        """Store one article and place it in a story (nothing new if it is already stored)."""
        return self.pipeline.add(article)

    def stories(self, **filters: Any) -> list[Story]:
        """Stories matching `Store.list_stories` filters (query, lang, source, since, until, sort, limit…)."""
        return self.store.list_stories(**filters)

    def story(self, story_id: str) -> Story | None:
        return self.store.get_story(story_id)

    def articles(self, story_id: str) -> list[Article]:
        return list(self.store.iter_articles(story_id=story_id))

    def search(self, query: str, *, limit: int = 20) -> list[Article]:
        return self.store.search(query, limit=limit)

    def report(self, story_id: str) -> StoryReport:
        """The cross-outlet comparison of one story; KeyError for an unknown story."""
        from storyweave.analyse import analyse_story, prepared_for

        if self.store.get_story(story_id) is None:
            raise KeyError(story_id)
        articles = self.articles(story_id)
        prepared = prepared_for(self.store, articles)  # kept: the next report reads them back
        return analyse_story(articles, outlets=story_outlets(self.store, articles), prepared=prepared)

    def close(self) -> None:
        """Persist the engine's state and close the store if this object opened it."""
        if self._pipeline is not None and self._pipeline.engine is not None:
            self._pipeline.engine.snapshot()  # type: ignore[attr-defined]
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> StoryWeave:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
