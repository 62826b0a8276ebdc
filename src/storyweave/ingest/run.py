"""The ingest run: read sources, add articles through the Pipeline in batches, count and report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from storyweave.fetch import Fetcher
from storyweave.ingest.readers import AlreadyStored, IngestError, Source, one_line, read_source
from storyweave.models import Article, Outlet
from storyweave.outlets import registered_domain
from storyweave.pipeline import AddResult, Pipeline

BATCH_SIZE = 32
"""At most this many articles are embedded and stored together (one transaction); a batch that fails is
retried one by one."""
BATCH_SECONDS = 2.0
"""A commit unit is also bounded by time: batches are sized from the measured cost per article so that each
takes about this long, and a batch is flushed once its records took this long to read. A kill loses at most
one unit, and a restart (after its start-up) commits new articles within seconds."""
SNAPSHOT_SECONDS = 30.0
"""The story engine's state is snapshotted at least this often during a run, so that a restart replays at
most this much work (with the stored vectors: no embedding)."""


@dataclass
class IngestSummary:
    added: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[IngestError] = field(default_factory=list)

    @property
    def ingested(self) -> bool:
        """Something was read successfully (stored now or already stored): the run did not fail as a whole."""
        return self.added + self.duplicates > 0


def domain_of(article: Article) -> str | None:
    url = article.canonical_url or article.url
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _names_by_domain(outlets: list[Outlet]) -> dict[str, str]:
    """Registered domain -> the name a user gave its outlet (`storyweave outlets import`, PATCH), so articles
    from that domain are named by it; a name the user chose wins over one that is just the domain."""
    names: dict[str, str] = {}
    for outlet in outlets:
        domain = registered_domain(outlet.domain) if outlet.domain else None
        if domain and (domain not in names or names[domain] == domain):
            names[domain] = outlet.name
    return names


class Ingestor:
    """Feeds readers' output into a Pipeline. `on_error` sees each failure, `on_record` each record read."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        fetcher: Fetcher | None = None,
        batch_size: int = BATCH_SIZE,
        on_error: Callable[[IngestError], None] | None = None,
        on_record: Callable[[], None] | None = None,
        source: str | None = None,
    ) -> None:
        """`source` names the outlet of every article read (e.g. two text files compared as two outlets)."""
        self.pipeline = pipeline
        self.source = " ".join((source or "").split()) or None
        self.store = pipeline.store
        self._names = _names_by_domain(self.store.list_outlets())
        self.fetcher = fetcher
        self.batch_size = batch_size
        self.on_error = on_error
        self.on_record = on_record
        self.summary = IngestSummary()
        self._seen: dict[str, tuple[str, str]] = {}
        self._outlets: set[str] = set()
        self._per_article: float | None = None
        """Measured seconds per article of the last batch (embedding and placing), to size the next."""
        self._snapshot_at = time.monotonic()
        self._added_at_snapshot = 0

    def _known(self, article_id: str, where: str) -> bool:
        return self.store.raw_refs([article_id]).get(article_id) == where

    def _target(self) -> int:
        """Articles in the next batch: as many as fit in `BATCH_SECONDS` (a small first one: commit early)."""
        if self._per_article is None:
            return min(self.batch_size, 4)
        return max(1, min(self.batch_size, int(BATCH_SECONDS / max(self._per_article, 1e-6))))

    def run(self, sources: Iterable[Source | IngestError]) -> IngestSummary:
        batch: list[Article] = []
        started = time.monotonic()
        for source in sources:
            if isinstance(source, IngestError):
                items: Iterable = [source]
            else:
                items = read_source(source, self.fetcher, self._known)
            for item in items:
                if isinstance(item, IngestError):
                    self._fail(item)
                elif isinstance(item, AlreadyStored):
                    self.summary.duplicates += 1
                elif self._first_time(item):
                    if not batch:
                        started = time.monotonic()
                    item.source = self.source or self._names.get(item.source or "", item.source)
                    batch.append(item)
                if self.on_record is not None:
                    self.on_record()
                if batch and (len(batch) >= self._target() or time.monotonic() - started >= BATCH_SECONDS):
                    self._flush(batch)
                    batch = []
                    self._maybe_snapshot(SNAPSHOT_SECONDS)
        self._flush(batch)
        self._maybe_snapshot(0.0)
        return self.summary

    def _maybe_snapshot(self, every: float) -> None:
        """Snapshot the engine's state when articles were added since the last one and `every` s passed."""
        snapshot = getattr(self.pipeline.engine, "snapshot", None)
        due = time.monotonic() - self._snapshot_at >= every
        if snapshot is not None and due and self.summary.added > self._added_at_snapshot:
            snapshot()
            self._snapshot_at, self._added_at_snapshot = time.monotonic(), self.summary.added

    def _fail(self, error: IngestError) -> None:
        self.summary.failed += 1
        self.summary.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _first_time(self, article: Article) -> bool:
        """False (and an error) when this run already read a different article under the same id."""
        where = article.raw_ref or article.id
        seen = self._seen.setdefault(article.id, (article.hash, where))
        if seen[0] != article.hash:
            reason = f"duplicate id {article.id!r} with different content (first at {seen[1]})"
            self._fail(IngestError(where, reason))
            return False
        return True

    def _flush(self, batch: list[Article]) -> None:
        if not batch:
            return
        started = time.monotonic()
        try:
            results = self.pipeline.add_many(batch)
        except Exception:  # the batch rolled back as a whole: isolate the article at fault
            for article in batch:
                self._add_one(article)
            return
        self._per_article = (time.monotonic() - started) / len(batch)
        for article, result in zip(batch, results, strict=True):
            self._count(article, result)

    def _add_one(self, article: Article) -> None:
        try:
            result = self.pipeline.add(article)
        except Exception as exc:  # one article the store or engine rejects must not end the run
            where = article.raw_ref or article.id
            reason = f"could not store {article.id!r}: {type(exc).__name__}: {one_line(exc)}"
            self._fail(IngestError(where, reason))
            return
        self._count(article, result)

    def _count(self, article: Article, result: AddResult) -> None:
        where = article.raw_ref or article.id
        if result.added:
            self.summary.added += 1
            self._register_outlet(article)
            return
        stored = self.store.get_article(article.id) if result.duplicate_of == article.id else None
        if stored is not None and stored.hash != article.hash:
            self._fail(IngestError(where, f"id {article.id!r} is already stored with different content"))
        else:
            self.summary.duplicates += 1

    def _register_outlet(self, article: Article) -> None:
        """Record the outlet once; never overwrite what a user set (country, lean, tags)."""
        name = article.source
        if not name or name in self._outlets:
            return
        self._outlets.add(name)
        existing = self.store.get_outlet(name)
        domain = domain_of(article)
        if existing is None:
            self.store.upsert_outlet(Outlet(name=name, domain=domain, language=article.lang))
        elif existing.domain is None and domain:
            existing.domain = domain
            self.store.upsert_outlet(existing)
