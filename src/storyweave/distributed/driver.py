"""The driver of a distributed run: the same stages as one process, spread over a Ray cluster.

Readers, fetching, extraction, language id and embedding run on `PrepareWorker` actors (one per CPU of the
cluster), at most `depth` units queued per worker (back-pressure: the driver never reads far ahead of the
decisions). Results are taken back in input order and handed to the one `EngineWorker`, which places them
exactly as a single-process run does. Touched stories are analysed as tasks of the workers. A killed worker
is restarted and its calls retried by Ray; a store that refuses what it already holds makes a retried batch
harmless. Two drivers use these stages: `RayIngestor`/`cluster_on_ray` (files) and `RayFeedStages` (the
feed poller of `watch` and `serve`, whose own story engine decides).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from storyweave.distributed.runtime import alive_nodes, connect, store_location
from storyweave.distributed.workers import EngineWorker, Placed, Prepared, PrepareWorker, Unit
from storyweave.embed import default_spec, embedder_name
from storyweave.feeds.parse import FeedItem
from storyweave.feeds.poller import ItemError, PollSettings
from storyweave.feeds.sources import Feed
from storyweave.fetch import Fetcher
from storyweave.ingest.readers import IngestError, Source, jsonl_lines
from storyweave.ingest.run import BATCH_SIZE, Ingestor, IngestSummary
from storyweave.models import Article
from storyweave.pipeline import AddResult
from storyweave.store import Store

log = logging.getLogger("storyweave.distributed")

RETRIES = 3
"""Ray retries a call this often on a restarted actor before the driver reports its records as failed."""


@dataclass
class StageTimes:
    """Seconds spent per stage, summed over the workers that ran it (so they can exceed the wall time)."""

    read: float = 0.0
    """Readers, fetching, extraction and language id."""
    embed: float = 0.0
    decide: float = 0.0
    """The engine actor: placement decisions and their store writes."""
    analyse: float = 0.0


@dataclass
class RunStats:
    workers: int
    nodes: int
    stages: StageTimes = field(default_factory=StageTimes)
    cpu: StageTimes = field(default_factory=StageTimes)
    """CPU seconds per stage (read, embed, decide): what the work costs whatever else the machine runs."""
    placed: int = 0
    """Articles the engine actor was given (its per-article cost is `stages.decide / placed`)."""
    touched: set[str] = field(default_factory=set)
    """Stories that took an article in this run."""


class RayRunner:
    """Actors of one distributed run (use as a context manager): `workers` preparers (default: one per CPU
    in the cluster) and the story-engine actor (unless `engine` is false: the caller decides), all on the
    store at `store` (a PostgreSQL URL, or a SQLite path for a single-node Ray). Workers fetch with a copy of
    `fetcher` (default: public addresses only) within the per-host limits of `poll`."""

    def __init__(
        self,
        store: str | Path,
        *,
        address: str | None = None,
        workers: int | None = None,
        fetcher: Fetcher | None = None,
        poll: PollSettings | None = None,
        depth: int = 2,
        engine: bool = True,
    ) -> None:
        self.store = store_location(store)
        self.ray = ray = connect(address, self.store)
        spec = default_spec()
        embedder_name(spec)  # a bad spec fails here, not in every worker
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        preparer = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=RETRIES)(PrepareWorker)
        settings = (fetcher or Fetcher(), poll or PollSettings())
        self.preparers = [preparer.remote(spec, *settings) for _ in range(count)]
        self.depth = depth
        self.stats = RunStats(workers=count, nodes=alive_nodes(ray))
        self._stats_lock = threading.Lock()
        self.engine = None
        if engine:
            actor = ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=RETRIES)(EngineWorker)
            self.engine = actor.remote(self.store, spec)
            ray.get(self.engine.pid.remote())  # engine state loaded, store reachable: before any work

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for actor in [*self.preparers, *([self.engine] if self.engine else [])]:
            self.ray.kill(actor)
        self.preparers = []

    # -- stages ------------------------------------------------------------------------------------------
    def prepare(self, units: Iterable[Unit | IngestError]) -> Iterator[Prepared]:
        """Each unit read and embedded by the least busy worker; results in input order, at most `depth`
        units per worker submitted ahead of the one being consumed."""
        pending: deque[tuple[Unit | IngestError, object, int]] = deque()
        load = [0] * len(self.preparers)
        source = iter(units)
        exhausted = False
        while True:
            while not exhausted and sum(load) < self.depth * len(self.preparers):
                unit = next(source, None)
                if unit is None:
                    exhausted = True
                elif isinstance(unit, IngestError):
                    pending.append((unit, None, -1))
                else:
                    worker = min(range(len(load)), key=load.__getitem__)
                    load[worker] += 1
                    pending.append((unit, self.start(unit, worker), worker))
            if not pending:
                return
            unit, ref, worker = pending.popleft()
            if ref is None:
                yield Prepared([unit])
                continue
            load[worker] -= 1
            yield self.take(unit, ref)

    def start(self, unit: Unit, worker: int) -> object:
        """Queue `unit` on worker number `worker`; `take` its result."""
        return self.preparers[worker].read.remote(unit)

    def take(self, unit: Unit, ref: object, stop: threading.Event | None = None) -> Prepared:
        """A unit's result, or one error per record when its worker failed (the run goes on) or `stop` was
        set first (shutdown: the records are tried again by the next run)."""
        ray = self.ray
        while stop is not None and not ray.wait([ref], timeout=0.5)[0]:
            if stop.is_set():
                return Prepared(list(unit.lost("stopped")))
        try:
            prepared = ray.get(ref)
        except ray.exceptions.RayActorError as exc:  # died more often than Ray retries
            return Prepared(list(unit.lost(f"worker lost ({type(exc).__name__})")))
        except ray.exceptions.RayTaskError as exc:  # a reader bug: this unit fails, the run goes on
            return Prepared(list(unit.lost(f"worker error: {type(exc.cause).__name__}: {exc.cause}")))
        with self._stats_lock:
            self.stats.stages.read += prepared.read_seconds
            self.stats.stages.embed += prepared.embed_seconds
            self.stats.cpu.read += prepared.read_cpu
            self.stats.cpu.embed += prepared.embed_cpu
        return prepared

    def place(self, articles: list[Article], vectors: dict[str, np.ndarray]) -> Placed:
        """The engine actor places a batch (one transaction); errors raised there are raised here as is."""
        return self.collect(self.submit(articles, vectors), len(articles))

    def submit(self, articles: list[Article], vectors: dict[str, np.ndarray]) -> object:
        """Queue a batch on the engine actor (which places batches one at a time, in submission order)."""
        return self.engine.add_batch.remote(articles, vectors)

    def collect(self, ref: object, count: int) -> Placed:
        try:
            placed = self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            raise exc.cause from None
        self.stats.stages.decide += placed.seconds
        self.stats.cpu.decide += placed.cpu
        self.stats.placed += count
        self.stats.touched.update(
            s for s, r in zip(placed.story_ids, placed.results, strict=True) if r.added and s
        )
        return placed

    def snapshot(self) -> None:
        self.ray.get(self.engine.snapshot.remote())

    def analyse(
        self, story_ids: Iterable[str], per_task: int = 4, on_done: Callable[[int], None] | None = None
    ) -> None:
        """Comparison reports of `story_ids` as tasks of the workers (which hold the cluster's CPUs),
        `per_task` stories each, at most `depth` queued per worker."""
        ray = self.ray
        ids = sorted(story_ids)
        chunks = deque(ids[i : i + per_task] for i in range(0, len(ids), per_task))
        running: dict[object, tuple[int, int]] = {}
        load = [0] * len(self.preparers)
        while chunks or running:
            while chunks and len(running) < self.depth * len(self.preparers):
                worker = min(range(len(load)), key=load.__getitem__)
                chunk = chunks.popleft()
                load[worker] += 1
                running[self.preparers[worker].analyse.remote(self.store, chunk)] = (worker, len(chunk))
            done, _ = ray.wait(list(running), num_returns=1)
            worker, count = running.pop(done[0])
            load[worker] -= 1
            seconds = ray.get(done[0])
            with self._stats_lock:
                self.stats.stages.analyse += seconds
            if on_done is not None:
                on_done(count)


# -- ingest --------------------------------------------------------------------------------------------------
def ingest_units(
    sources: Iterable[Source | IngestError], size: int = BATCH_SIZE
) -> Iterator[Unit | IngestError]:
    """Work units in input order: JSON Lines split into `size` records (read here, parsed on a worker), other
    files and URLs in groups of `size` (read on a worker)."""
    group: list[Source] = []
    for source in sources:
        if group and (isinstance(source, IngestError) or source.kind == "jsonl"):
            yield Unit(sources=tuple(group))
            group = []
        if isinstance(source, IngestError):
            yield source
        elif source.kind == "jsonl":
            lines: list[tuple[str, bytes]] = []
            for line in jsonl_lines(Path(source.location)):
                if isinstance(line, IngestError):
                    yield line
                    continue
                lines.append(line)
                if len(lines) >= size:
                    yield Unit(lines=tuple(lines))
                    lines = []
            if lines:
                yield Unit(lines=tuple(lines))
        else:
            group.append(source)
            if len(group) >= size:
                yield Unit(sources=tuple(group))
                group = []
    if group:
        yield Unit(sources=tuple(group))


class _RemotePipeline:
    """What `Ingestor` needs of a `Pipeline`, with the engine actor doing the adds: `vectors` holds the
    current unit's embeddings."""

    def __init__(self, store: Store, runner: RayRunner) -> None:
        self.store = store
        self.runner = runner
        self.engine = None  # on the actor: `runner.place`, `runner.snapshot`
        self.vectors: dict[str, np.ndarray] = {}

    def add_many(self, articles: list[Article]) -> list[AddResult]:
        vectors = {a.id: self.vectors[a.id] for a in articles if a.id in self.vectors}
        return self.runner.place(articles, vectors).results

    def add(self, article: Article) -> AddResult:
        return self.add_many([article])[0]


class RayIngestor(Ingestor):
    """`Ingestor` with reading and embedding on the workers and the decisions on the engine actor: the same
    counting, per-record errors, duplicate-id checks and outlet registration as a single-process run."""

    def __init__(
        self,
        store: Store,
        runner: RayRunner,
        *,
        on_error: Callable[[IngestError], None] | None = None,
        on_record: Callable[[], None] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(
            _RemotePipeline(store, runner),  # type: ignore[arg-type]
            batch_size=batch_size,
            on_error=on_error,
            on_record=on_record,
        )
        self.runner = runner

    def run(self, sources: Iterable[Source | IngestError]) -> IngestSummary:
        """The engine actor places one batch while the driver takes in the next (so it never waits for the
        driver); results are counted in input order."""
        placing = None
        for prepared in self.runner.prepare(ingest_units(sources, self.batch_size)):
            batch = []
            for item in prepared.items:
                if isinstance(item, IngestError):
                    self._fail(item)
                elif self._first_time(item):
                    batch.append(item)
                if self.on_record is not None:
                    self.on_record()
            vectors = prepared.vectors
            submitted = (batch, vectors, self.runner.submit(batch, vectors)) if batch else None
            if placing is not None:
                self._settle(*placing)
            placing = submitted
        if placing is not None:
            self._settle(*placing)
        if self.summary.added:
            self.runner.snapshot()
        return self.summary

    def _settle(self, batch: list[Article], vectors: dict[str, np.ndarray], ref: object) -> None:
        """Count a placed batch; one that failed as a whole (rolled back) is added article by article, as
        `Ingestor` does (after the batch queued behind it, the one case where arrival order changes)."""
        try:
            results = self.runner.collect(ref, len(batch)).results
        except Exception:
            self.pipeline.vectors = vectors  # type: ignore[attr-defined]
            for article in batch:
                self._add_one(article)
            return
        for article, result in zip(batch, results, strict=True):
            self._count(article, result)


class RayFeedStages:
    """The feed poller's item stages on Ray (`watch --ray`, `serve --ray`; see `feeds.poller.ItemStages`):
    a feed's new items are fetched, extracted, language-identified and embedded on the workers; the poller's
    own story engine places them in arrival order (one owner of decisions, which also answers the API at
    once); at the end of each poll pass the stories they touched are analysed on the workers. All items of
    one host go to one worker, so the per-host limits hold across the cluster."""

    def __init__(self, runner: RayRunner, store: Store) -> None:
        self.runner = runner
        self.store = store
        self._hosts: dict[str, int] = {}
        self._placed: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def _worker(self, url: str) -> int:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            if host not in self._hosts:
                taken = [list(self._hosts.values()).count(w) for w in range(len(self.runner.preparers))]
                self._hosts[host] = taken.index(min(taken))
            return self._hosts[host]

    def prepare(
        self, feed: Feed, items: list[FeedItem], pool: ThreadPoolExecutor
    ) -> tuple[list[Article | ItemError], dict[str, np.ndarray] | None]:
        by_worker: dict[int, list[int]] = {}
        for i, item in enumerate(items):
            by_worker.setdefault(self._worker(item.link or feed.url), []).append(i)
        units = {w: Unit(feed=feed, feed_items=tuple(items[i] for i in idx)) for w, idx in by_worker.items()}
        refs = {w: self.runner.start(unit, w) for w, unit in units.items()}  # all workers at once
        outcomes: list = [None] * len(items)
        vectors: dict[str, np.ndarray] = {}
        for worker, indices in by_worker.items():
            done = self.runner.take(units[worker], refs[worker], self._stopping)
            for i, outcome in zip(indices, done.items, strict=True):
                outcomes[i] = outcome
            vectors.update(done.vectors)
        return outcomes, vectors

    def placed(self, article_ids: list[str]) -> None:
        with self._lock:
            self._placed += article_ids

    def settle(self) -> None:
        """Analyse the stories that took articles in this pass (their reports are then ready in `serve`)."""
        with self._lock:
            placed, self._placed = self._placed, []
        if self._stopping.is_set():
            return
        articles = (self.store.get_article(a) for a in placed)
        stories = {a.story_id for a in articles if a is not None and a.story_id}
        if not stories:
            return
        self.runner.stats.touched |= stories
        try:
            self.runner.analyse(stories)
        except Exception:  # the articles are placed; their comparison is computed on demand instead
            log.exception("analysis of %d touched stories failed on the workers", len(stories))

    def abort(self) -> None:
        self._stopping.set()


class RayEmbedder:
    """An `Embedder` whose batches are shared among the Ray workers: what the story engine of `watch --ray`
    and `serve --ray` embeds itself (articles posted to the API)."""

    def __init__(self, runner: RayRunner) -> None:
        self.runner = runner
        self.name = embedder_name(default_spec())
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.runner.ray.get(self.runner.preparers[0].dim.remote()))
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        workers = self.runner.preparers[: len(texts)]
        shares = [texts[i :: len(workers)] for i in range(len(workers))]  # interleaved: long and short mixed
        blocks = self.runner.ray.get([w.embed.remote(s) for w, s in zip(workers, shares, strict=True)])
        out = np.empty((len(texts), blocks[0].shape[1]), dtype=np.float32)
        for i, block in enumerate(blocks):
            out[i :: len(workers)] = block
        return out


# -- batch clustering ----------------------------------------------------------------------------------------
def cluster_on_ray(
    articles: list[Article], runner: RayRunner, on_batch: Callable[[int], None] | None = None, batch: int = 64
) -> list[str]:
    """`cluster_articles` on Ray: the story id of every article, in input order (embedding on the workers)."""
    story_ids: list[str] = []
    units = (Unit(articles=tuple(articles[i : i + batch])) for i in range(0, len(articles), batch))
    for prepared in runner.prepare(units):
        chunk = [a for a in prepared.items if isinstance(a, Article)]
        if len(chunk) < len(prepared.items):
            raise RuntimeError(f"workers lost a batch: {prepared.items[0]}")
        story_ids += runner.place(chunk, prepared.vectors).story_ids
        if on_batch is not None:
            on_batch(len(chunk))
    runner.snapshot()
    return story_ids
