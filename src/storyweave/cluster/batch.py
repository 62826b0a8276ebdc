"""Batch use of the engine: read articles from JSON Lines and cluster a whole file through the normal
pipeline.

Records are read in file order and `cluster_id` is never looked at. Embedding runs one batch ahead in a worker
thread (numpy releases the GIL), so the encoder and the clustering step use both cores.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storyweave.cluster.engine import StoryEngine
from storyweave.models import Article
from storyweave.pipeline import Pipeline
from storyweave.store import Store

log = logging.getLogger("storyweave.cluster")

BATCH = 64


@dataclass
class Record:
    """One input line: its position, the article read from it, or None when the line was unusable."""

    line: int
    article: Article | None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Objects of a JSON Lines file with their line numbers; bad lines are reported and skipped."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                log.warning("%s:%d: not JSON (%s); skipped", path, number, exc.msg)
                continue
            if not isinstance(value, dict):
                log.warning("%s:%d: not a JSON object; skipped", path, number)
                continue
            yield number, value


def parse_date(value: object, where: str) -> datetime | None:
    """ISO 8601 (a trailing Z is fine) or epoch seconds/milliseconds; anything else is reported and
    dropped.
    """
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 1e11 else value
            moment = datetime.fromtimestamp(seconds, UTC)
        else:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        log.warning("%s: unreadable date %r; treated as undated", where, value)
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def article_from_record(record: dict, where: str) -> Article:
    """An `Article` from one record of the shared article schema (id, lang, title, text, published, source,
    url).
    """
    article_id = record.get("id")
    if article_id in (None, ""):
        article_id = where
        log.warning("%s: record without id; using %r", where, article_id)

    def text_of(key: str) -> str:
        value = record.get(key)
        return value if isinstance(value, str) else ("" if value is None else str(value))

    return Article(
        id=str(article_id),
        title=text_of("title"),
        text=text_of("text"),
        url=record.get("url") or None,
        source=record.get("source") or None,
        lang=record.get("lang") or None,
        published=parse_date(record.get("published"), where),
    )


def read_articles(path: str | Path) -> list[Record]:
    return [Record(n, article_from_record(rec, f"{path}:{n}")) for n, rec in read_jsonl(path)]


def cluster_articles(
    articles: Iterable[Article],
    store: Store,
    engine: StoryEngine,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """Place every article (via `Pipeline.add_many`) and return its story id, in input order.

    Exact copies the store refuses get the story of the stored original; a repeated id gets its first story.
    """
    pipeline = Pipeline(store, engine)
    articles = list(articles)
    batches = [articles[i : i + BATCH] for i in range(0, len(articles), BATCH)]
    seen: set[str] = set()
    story_ids: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(engine.embed_articles, batches[0]) if batches else None
        for number, batch in enumerate(batches):
            vectors = ahead.result() if ahead is not None else None
            ahead = (
                pool.submit(engine.embed_articles, batches[number + 1]) if number + 1 < len(batches) else None
            )
            engine.prepare(batch, vectors)
            for article in batch:
                if article.id in seen:
                    log.warning("duplicate id %s; it keeps the story of its first occurrence", article.id)
                seen.add(article.id)
            results = pipeline.add_many(batch, vectors or {})  # embedded ahead: not again
            for result in results:
                placed = store.get_article(result.duplicate_of or result.article_id)
                story_ids.append(placed.story_id if placed and placed.story_id else "")
            if on_batch is not None:
                on_batch(len(batch))
    engine.snapshot()
    return story_ids
