"""What runs inside Ray: reader/embedder workers, the one story-engine actor, and story analysis.

Plain classes and functions; `RayRunner` wraps them with `ray.remote`, so importing this module needs no
Ray. Each reuses the single-process stages as they are: the readers, extraction and language id of
`storyweave.ingest`, the feed poller's item fetching (`ItemFetcher`), `article_vectors` (the engine's own
batch embedding), `StoryEngine` + `Pipeline` on the store, and `analyse_story` with the web server's report
format.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from storyweave.cluster.engine import article_vectors
from storyweave.embed import ENV_VAR, Embedder, make_embedder
from storyweave.feeds.parse import FeedItem
from storyweave.feeds.poller import ItemError, ItemFetcher, PollSettings
from storyweave.feeds.sources import Feed
from storyweave.fetch import Fetcher
from storyweave.ingest.readers import IngestError, Item, Source, read_source, record_item
from storyweave.models import Article
from storyweave.pipeline import AddResult


@dataclass(frozen=True)
class Unit:
    """One batch of work for a worker, in input order: JSON Lines records shipped by the driver (`lines`,
    as (`path:line`, bytes)), files or URLs read on the worker (`sources`: paths must be visible there),
    articles already read (`articles`: embedding only), or new items of one feed (`feed_items` of `feed`,
    fetched and extracted as the poller does)."""

    lines: tuple[tuple[str, bytes], ...] = ()
    sources: tuple[Source, ...] = ()
    articles: tuple[Article, ...] = ()
    feed: Feed | None = None
    feed_items: tuple[FeedItem, ...] = ()

    def lost(self, reason: str) -> list[IngestError | ItemError]:
        """One error per record, for a unit whose worker died more often than Ray retries (a feed item's
        error is transient: the poller tries it again later)."""
        places = [w for w, _ in self.lines] + [s.location for s in self.sources]
        places += [a.raw_ref or a.id for a in self.articles]
        lost: list[IngestError | ItemError] = [IngestError(where, reason) for where in places]
        return lost + [ItemError(reason, transient=True) for _ in self.feed_items]


@dataclass
class Prepared:
    """A unit's records read and embedded: articles or errors in input order, vectors by article id."""

    items: list[Item | ItemError]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    read_seconds: float = 0.0
    embed_seconds: float = 0.0
    read_cpu: float = 0.0
    """CPU seconds of the worker process (wall seconds depend on what else the machine runs)."""
    embed_cpu: float = 0.0


@dataclass
class Placed:
    """The engine actor's answer for a batch: the pipeline's results and each article's story id."""

    results: list[AddResult]
    story_ids: list[str]
    seconds: float
    cpu: float
    """CPU seconds of the engine actor's process (the database server's are not counted)."""


def _use_spec(spec: str) -> None:
    """Workers are processes of their own: make `spec` their embedder, as the CLI's --embedder does."""
    os.environ[ENV_VAR] = spec


class PrepareWorker:
    """Reads or fetches, extracts, identifies the language and embeds, one unit at a time (one CPU each);
    also analyses stories. `fetcher` and `poll` (the feed poller's per-host limits) are the driver's
    settings."""

    def __init__(self, spec: str, fetcher: Fetcher, poll: PollSettings) -> None:
        _use_spec(spec)
        self.embedder: Embedder = make_embedder(spec, threads=1)
        self.fetcher = fetcher
        self.items = ItemFetcher(fetcher, poll)
        self._pool: ThreadPoolExecutor | None = None

    def _item_pool(self) -> ThreadPoolExecutor:
        """Requests in flight for feed items (I/O: threads, as in the poller)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.items.settings.workers, thread_name_prefix="item")
        return self._pool

    def read(self, unit: Unit) -> Prepared:
        start, start_cpu = time.perf_counter(), time.process_time()
        items: list[Item | ItemError] = [record_item(raw, where) for where, raw in unit.lines]
        for source in unit.sources:
            items.extend(read_source(source, self.fetcher if source.kind == "url" else None))
        items.extend(unit.articles)
        if unit.feed is not None:
            items.extend(self.items.articles(unit.feed, unit.feed_items, self._item_pool()))
        read, read_cpu = time.perf_counter(), time.process_time()
        vectors = article_vectors(self.embedder, [i for i in items if isinstance(i, Article)])
        return Prepared(
            items, vectors, read - start, time.perf_counter() - read,
            read_cpu - start_cpu, time.process_time() - read_cpu,
        )  # fmt: skip

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def analyse(self, store: str, story_ids: list[str]) -> float:
        """`analyse_stories` as a task of this worker (its CPU: no deadlock with workers holding them all)."""
        return analyse_stories(store, story_ids)

    def dim(self) -> int:
        return self.embedder.dim

    def pid(self) -> int:
        return os.getpid()


class EngineWorker:
    """The one owner of story decisions: `StoryEngine` + `Pipeline` on the shared store, fed precomputed
    vectors in arrival order. Its state is persisted as in a single-process run (decisions with each article,
    snapshots in the store), so a restarted actor continues from the snapshot plus the stored decisions."""

    def __init__(self, store: str, spec: str) -> None:
        from storyweave.cluster import StoryEngine
        from storyweave.pipeline import Pipeline
        from storyweave.store import open_store

        _use_spec(spec)
        self.store = open_store(store)
        self.engine = StoryEngine(self.store)
        self.pipeline = Pipeline(self.store, self.engine)

    def add_batch(self, articles: list[Article], vectors: dict[str, np.ndarray]) -> Placed:
        """Place a batch in one transaction, as `Ingestor` and `cluster_articles` do in one process."""
        start, start_cpu = time.perf_counter(), time.process_time()
        results = self.pipeline.add_many(articles, vectors)
        story_ids = []
        for result in results:
            placed = self.store.get_article(result.duplicate_of or result.article_id)
            story_ids.append(placed.story_id if placed and placed.story_id else "")
        return Placed(results, story_ids, time.perf_counter() - start, time.process_time() - start_cpu)

    def snapshot(self) -> None:
        self.engine.snapshot()

    def pid(self) -> int:
        return os.getpid()


def analyse_stories(store: str, story_ids: list[str]) -> float:
    """Compute and keep the comparison report of each story (`report:<id>`, the web server's format), so
    `serve` shows them at once. Returns the seconds spent."""
    from storyweave.analyse import analyse_story, prepared_for
    from storyweave.api import story_outlets
    from storyweave.serve.views import Reports
    from storyweave.store import open_store

    start = time.perf_counter()
    with open_store(store) as opened:
        reports = Reports(opened)
        for story_id in story_ids:
            story = opened.get_story(story_id)
            if story is None or not story.article_ids:
                continue
            articles = list(opened.iter_articles(story_id=story_id))
            prepared = prepared_for(opened, articles)  # kept for the story's next report
            report = analyse_story(articles, outlets=story_outlets(opened, articles), prepared=prepared)
            reports.put(story, report.to_dict())
        reports.close()
    return time.perf_counter() - start
