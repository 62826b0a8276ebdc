"""The driver of a distributed run: the same stages as one process, spread over a Ray cluster.

Readers, extraction, language id and embedding run on `PrepareWorker` actors (one per CPU of the cluster),
at most `depth` units queued per worker (back-pressure: the driver never reads far ahead of the decisions).
Results are taken back in input order and handed to the one `EngineWorker`, which places them exactly as a
single-process run does. Touched stories can then be analysed as Ray tasks. A killed worker is restarted and
its calls retried by Ray; a store that refuses what it already holds makes a retried batch harmless.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storyweave.distributed.runtime import alive_nodes, connect, store_location
from storyweave.distributed.workers import (
    EngineWorker,
    Placed,
    Prepared,
    PrepareWorker,
    Unit,
    analyse_stories,
)
from storyweave.embed import default_spec, embedder_name
from storyweave.ingest.readers import IngestError, Source, jsonl_lines
from storyweave.ingest.run import BATCH_SIZE, Ingestor, IngestSummary
from storyweave.models import Article
from storyweave.pipeline import AddResult
from storyweave.store import Store

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
    in the cluster) and the story-engine actor, all on the store at `store` (a PostgreSQL URL, or a SQLite
    path for a single-node Ray)."""

    def __init__(
        self,
        store: str | Path,
        *,
        address: str | None = None,
        workers: int | None = None,
        allow_private: bool = False,
        depth: int = 2,
        engine: bool = True,
    ) -> None:
        self.store = store_location(store)
        self.ray = ray = connect(address, self.store if engine else None)
        spec = default_spec()
        embedder_name(spec)  # a bad spec fails here, not in every worker
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        preparer = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=RETRIES)(PrepareWorker)
        self.preparers = [preparer.remote(spec, allow_private) for _ in range(count)]
        self._analyse = ray.remote(num_cpus=1, max_retries=RETRIES)(analyse_stories)
        self.depth = depth
        self.stats = RunStats(workers=count, nodes=alive_nodes(ray))
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
        self._release([*self.preparers, *([self.engine] if self.engine else [])])
        self.preparers = []

    def _release(self, actors: list) -> None:
        for actor in actors:
            self.ray.kill(actor)

    # -- stages ------------------------------------------------------------------------------------------
    def prepare(self, units: Iterable[Unit | IngestError]) -> Iterator[Prepared]:
        """Each unit read and embedded by the least busy worker; results in input order, at most `depth`
        units per worker submitted ahead of the one being consumed."""
        ray = self.ray
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
                    pending.append((unit, self.preparers[worker].read.remote(unit), worker))
            if not pending:
                return
            unit, ref, worker = pending.popleft()
            if ref is None:
                yield Prepared([unit])
                continue
            load[worker] -= 1
            try:
                prepared = ray.get(ref)
            except ray.exceptions.RayActorError as exc:  # died more often than Ray retries
                yield Prepared(list(unit.lost(f"worker lost ({type(exc).__name__})")))
                continue
            except ray.exceptions.RayTaskError as exc:  # a reader bug: this unit fails, the run goes on
                yield Prepared(list(unit.lost(f"worker error: {type(exc.cause).__name__}: {exc.cause}")))
                continue
            self.stats.stages.read += prepared.read_seconds
            self.stats.stages.embed += prepared.embed_seconds
            self.stats.cpu.read += prepared.read_cpu
            self.stats.cpu.embed += prepared.embed_cpu
            yield prepared

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
        """Comparison reports of `story_ids` as Ray tasks, `per_task` stories each, bounded in flight. The
        last stage of a run: the preparers are let go first, so the tasks get their CPUs."""
        ray = self.ray
        slots = self.depth * max(1, len(self.preparers))
        self._release(self.preparers)
        self.preparers = []
        ids = sorted(story_ids)
        chunks = deque(ids[i : i + per_task] for i in range(0, len(ids), per_task))
        running: dict[object, int] = {}
        while chunks or running:
            while chunks and len(running) < slots:
                chunk = chunks.popleft()
                running[self._analyse.remote(self.store, chunk)] = len(chunk)
            done, _ = ray.wait(list(running), num_returns=1)
            count = running.pop(done[0])
            self.stats.stages.analyse += ray.get(done[0])
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


class RayEmbedder:
    """An `Embedder` whose batches are shared among the Ray workers. `watch --ray` and `serve --ray` keep the
    story engine in their own process (the one owner of decisions, answering the API at once) and send it the
    costly part of placing an article: embedding."""

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

