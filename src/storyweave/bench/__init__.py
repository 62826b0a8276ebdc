"""Scale benchmark of the clustering step: stream synthetic articles into a store up to 10k/100k/1M articles.

Encoding a million texts is out of reach on a laptop, so synthetic articles are derived from real ones: a
handful of shared texts are embedded once; each synthetic event perturbs one of those vectors, each report
perturbs its event's vector again and keeps a random 70% of the base words plus event-specific names and
numbers; dates advance at `per_day` articles a day. Between checkpoints the store is filled through the
engine's replay path (`StoryEngine.replay`, the restart path: store write and state update, no search);
at each checkpoint `sample` further articles go through the full `Pipeline.add` and are timed (after a
`gc.freeze()`, as a long-running server does once its state is loaded).
"""

from __future__ import annotations

import gc
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from storyweave.cluster import StoryEngine
from storyweave.cluster.batch import article_from_record, read_jsonl
from storyweave.cluster.engine import embed_text
from storyweave.embed import Embedder
from storyweave.models import Article, Story
from storyweave.pipeline import Pipeline
from storyweave.store import SQLiteStore


@dataclass
class Checkpoint:
    articles: int
    active_stories: int
    p50_ms: float
    p99_ms: float
    pipeline_p99_ms: float
    rss_mb: float
    fill_seconds: float


def rss_mb() -> float:
    """Current resident set size of this process (Linux), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_bases(data_dir: Path, limit: int) -> list[Article]:
    """Real articles with text from the shared clustering sets, in file order."""
    bases: list[Article] = []
    for path in sorted((data_dir / "clustering").glob("*.jsonl")):
        for number, record in read_jsonl(path):
            article = article_from_record(record, f"{path}:{number}")
            if len(article.text.split()) >= 40:
                bases.append(article)
            if len(bases) >= limit:
                return bases
    if not bases:
        raise FileNotFoundError(f"no articles with text under {data_dir / 'clustering'}")
    return bases


class SyntheticStream:
    """Endless synthetic reports; `story_of` holds the event each report was generated from."""

    def __init__(self, bases: list[Article], vectors: np.ndarray, per_day: int = 5000, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = [embed_text(b).split()[:80] for b in bases]
        self.vectors = vectors.astype(np.float32)
        self.step = timedelta(days=1) / per_day
        self.start = datetime(2024, 1, 1, tzinfo=UTC)
        self.events: list[tuple[int, int, np.ndarray]] = []
        self.count = 0

    def _noise(self, scale: float) -> np.ndarray:
        noise = self.rng.standard_normal(self.vectors.shape[1]).astype(np.float32)
        return noise * (scale / np.linalg.norm(noise))

    def _event(self) -> tuple[int, int, np.ndarray]:
        if not self.events or self.rng.random() < 0.2:
            base = int(self.rng.integers(len(self.vectors)))
            vector = self.vectors[base] + self._noise(0.6)
            self.events.append((len(self.events), base, vector / np.linalg.norm(vector)))
        recent = self.events[-40:]
        return recent[int(self.rng.integers(len(recent)))]

    def __iter__(self) -> Iterator[tuple[Article, np.ndarray, str]]:
        while True:
            event, base, event_vector = self._event()
            vector = event_vector + self._noise(0.25)
            words = self.words[base]
            kept = [w for w in words if self.rng.random() < 0.7]
            marker = [f"Place{event}", f"Person{event % 9973}", str(1000 + event % 90000)]
            text = " ".join(kept[:6] + marker + kept[6:])
            self.count += 1
            article = Article(
                id=f"syn-{self.count}",
                title=" ".join(kept[:8] + marker[:1]),
                text=text,
                lang="en",
                source=f"outlet-{int(self.rng.integers(300))}",
                published=self.start + self.step * self.count,
            )
            yield article, (vector / np.linalg.norm(vector)).astype(np.float32), f"syn-story-{event}"


def run_bench(
    sizes: list[int],
    embedder: Embedder,
    data_dir: Path,
    *,
    sample: int = 1000,
    bases: int = 200,
    index: str = "usearch",
    per_day: int = 5000,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[Checkpoint]:
    """Grow a fresh store to each size in `sizes` and time `sample` full placements at each."""
    base_articles = load_bases(data_dir, bases)
    stream = iter(
        SyntheticStream(base_articles, embedder.embed([embed_text(b) for b in base_articles]), per_day)
    )
    results: list[Checkpoint] = []
    with tempfile.TemporaryDirectory(prefix="storyweave-bench-") as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        engine = StoryEngine(store, embedder, index=index, snapshot_every=0)
        pipeline = Pipeline(store, engine)
        stored = 0
        for size in sorted(sizes):
            fill_start = time.perf_counter()
            target = max(stored, size - sample)
            while stored < target:
                chunk = min(5000, target - stored)
                with store.transaction():
                    for _ in range(chunk):
                        article, vector, story_id = next(stream)
                        article.story_id = story_id
                        store.add_article(article)
                        if engine.stories.get(story_id) is None:
                            store.save_story(Story(story_id, [], article.published, article.published))
                        engine.prepare([article], {article.id: vector})
                        engine.replay(article)
                    engine.evict()
                stored += chunk
                if on_progress:
                    on_progress(f"filling to {size:,}", stored, size)
            fill_seconds = time.perf_counter() - fill_start
            # As a long-running server does after loading its state: move the long-lived objects out of the
            # cyclic collector's full scans, which otherwise pause one placement in a few hundred.
            gc.collect()
            gc.freeze()
            engine_ms, pipeline_ms = [], []
            timed = _TimedEngine(engine, engine_ms)
            pipeline.engine = timed
            for _ in range(size - stored):
                article, vector, _ = next(stream)
                engine.prepare([article], {article.id: vector})
                start = time.perf_counter()
                pipeline.add(article)
                pipeline_ms.append((time.perf_counter() - start) * 1000)
            stored = size
            gc.unfreeze()
            pipeline.engine = engine
            if on_progress:
                on_progress(f"filling to {size:,}", stored, size)
            results.append(
                Checkpoint(
                    size,
                    len(engine.stories),
                    float(np.percentile(engine_ms, 50)) if engine_ms else 0.0,
                    float(np.percentile(engine_ms, 99)) if engine_ms else 0.0,
                    float(np.percentile(pipeline_ms, 99)) if pipeline_ms else 0.0,
                    rss_mb(),
                    fill_seconds,
                )
            )
        store.close()
    return results


class _TimedEngine:
    """Times `engine.add` (the clustering step, including writing its decision) for each placement."""

    def __init__(self, engine: StoryEngine, sink: list[float]) -> None:
        self.engine, self.sink = engine, sink

    def add(self, article: Article, vector: np.ndarray | None = None) -> object:
        start = time.perf_counter()
        decision = self.engine.add(article, vector)
        self.sink.append((time.perf_counter() - start) * 1000)
        return decision
