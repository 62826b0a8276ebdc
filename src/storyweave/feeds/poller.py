"""Polling: fetch due feeds (conditionally), then each new item's page; extract it, add it via the pipeline.

Guarantees, whatever the network does: an item is stored at most once (its outcome is recorded in the same
transaction as the article); a transient failure (timeout, 5xx) is retried on later polls, a permanent one
(refused address, 404, no article in the page) is reported once and skipped; a feed's validators (ETag,
Last-Modified) are saved only after all its items were handled, so a kill mid-poll loses nothing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np

from storyweave.extract import ExtractionError, article_from_page
from storyweave.feeds.parse import FeedItem, FeedParseError, parse_feed
from storyweave.feeds.sources import (
    Feed,
    FeedState,
    ItemRecord,
    get_feed_state,
    get_item,
    list_feeds,
    put_feed_state,
    put_item,
)
from storyweave.fetch import Fetcher, FetchError
from storyweave.models import Article, utcnow
from storyweave.pipeline import Pipeline
from storyweave.store import Store

log = logging.getLogger("storyweave.feeds")

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "application/json",
    "application/x-rss+xml",
    "text/*",
)
"""Media types a feed may be served as (text/* covers the common text/xml and misconfigured text/html)."""
PAGE_TYPES = ("text/html", "application/xhtml+xml")
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
_HTTP_STATUS = re.compile(r"HTTP (\d{3})\b")
_TRANSIENT_REASONS = (
    "timed out", "cannot connect", "cannot resolve host", "ReadError", "WriteError", "RemoteProtocolError",
    "ReadTimeout", "WriteTimeout", "PoolTimeout", "NetworkError",
)  # fmt: skip
"""How `FetchError.reason` starts when the network, not the resource, failed."""


FIRST_BATCH = 4
"""Items in the first batch of a feed's pass (later ones have `PollSettings.batch`): a pass after a restart
stores its first new articles without waiting for a full batch to be fetched, extracted and embedded."""


@dataclass
class PollSettings:
    """Schedule and politeness. Times in seconds."""

    interval: float = 900.0
    """Between two polls of a healthy feed."""
    retry_base: float = 60.0
    """First retry after a feed error; doubled after each further error (exponential backoff)..."""
    max_backoff: float = 6 * 3600.0
    """...up to this."""
    workers: int = 8
    """Requests in flight overall."""
    per_domain: int = 2
    """Requests in flight to one host."""
    domain_delay: float = 1.0
    """Minimum gap between the starts of two requests to one host."""
    max_item_attempts: int = 3
    """A page that keeps failing transiently is given up (reported as bad) after this many tries."""
    batch: int = 16
    """Items fetched in parallel and embedded together before they are added."""


@dataclass
class PollReport:
    """Counts of one poll pass; `bad` items were reported in the log with their reason."""

    feeds: int = 0
    feeds_failed: int = 0
    not_modified: int = 0
    stored: int = 0
    duplicates: int = 0
    bad: int = 0
    retry: int = 0
    seen: int = 0

    def add(self, other: PollReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class _Fetched:
    """An item whose page was fetched and extracted, waiting to be added."""

    item: FeedItem
    article: Article
    attempts: int


class ItemError(Exception):
    """A feed item could not be turned into an article; `transient` ones are tried again later."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient

    def __reduce__(self) -> tuple:  # pickled by Ray workers: keep `transient`, a keyword-only argument
        return _item_error, (self.reason, self.transient)


def _item_error(reason: str, transient: bool) -> ItemError:
    return ItemError(reason, transient=transient)


class DomainLimiter:
    """At most `per_domain` requests in flight per host, their starts at least `delay` seconds apart."""

    def __init__(self, per_domain: int, delay: float) -> None:
        self.per_domain = per_domain
        self.delay = delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_domain))
        with semaphore:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, 0.0))
                self._next_start[host] = start + self.delay
            if start > now:
                time.sleep(start - now)
            yield


class ItemFetcher:
    """Fetch and extract a feed's new items, in parallel and within the per-host limits: in the poller's
    process, or on a Ray worker (built there from the poller's fetcher and settings)."""

    def __init__(self, fetcher: Fetcher, settings: PollSettings) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.limiter = DomainLimiter(settings.per_domain, settings.domain_delay)

    def articles(
        self, feed: Feed, items: Sequence[FeedItem], pool: ThreadPoolExecutor
    ) -> list[Article | ItemError]:
        """Each item's article, or why it has none (unexpected failures are logged and not retried)."""
        return list(pool.map(lambda item: self._article_or_error(feed, item), items))

    def _article_or_error(self, feed: Feed, item: FeedItem) -> Article | ItemError:
        try:
            return self.article(feed, item)
        except ItemError as exc:
            return exc
        except Exception as exc:  # an unexpected failure on one item: skip it, never the rest of the feed
            log.exception("item %s of feed %s failed unexpectedly", item.link, feed.url)
            return ItemError(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}", transient=False)

    def article(self, feed: Feed, item: FeedItem) -> Article:
        if not item.link:
            raise ItemError("item has no link to fetch", transient=False)
        try:
            with self.limiter.slot(item.link):
                result = self.fetcher.get(item.link, accept=PAGE_TYPES)
            article = article_from_page(result.page(), url=result.url, source=feed.title)
        except FetchError as exc:
            raise ItemError(exc.reason, transient=is_transient(exc)) from exc
        except ExtractionError as exc:
            raise ItemError(exc.reason, transient=False) from exc
        if article.published is None:
            article.published = item.published
        article.fetched = utcnow()
        return article


class ItemStages(Protocol):
    """Where a feed's new items become articles and vectors, and what follows their placing: the poller's own
    threads (`LocalStages`), or a Ray cluster (`storyweave.distributed.RayFeedStages`)."""

    def prepare(
        self, feed: Feed, items: list[FeedItem], pool: ThreadPoolExecutor
    ) -> tuple[list[Article | ItemError], dict[str, np.ndarray] | None]:
        """Per item its article or error, in order; the articles' vectors when embedded here (None: the
        story engine embeds them)."""
        ...

    def placed(self, article_ids: list[str]) -> None:
        """Articles just stored and placed."""
        ...

    def settle(self) -> None:
        """End of a poll pass."""
        ...

    def abort(self) -> None:
        """End the work in flight now (shutdown)."""
        ...


class LocalStages:
    """Fetching and extraction in the poller's thread pool; the story engine embeds."""

    def __init__(self, items: ItemFetcher) -> None:
        self.items = items

    def prepare(
        self, feed: Feed, items: list[FeedItem], pool: ThreadPoolExecutor
    ) -> tuple[list[Article | ItemError], dict[str, np.ndarray] | None]:
        return self.items.articles(feed, items, pool), None

    def placed(self, article_ids: list[str]) -> None:
        pass

    def settle(self) -> None:
        pass

    def abort(self) -> None:
        self.items.fetcher.abort()


def is_transient(exc: FetchError) -> bool:
    """Timeouts, dropped connections and 5xx/429 answers are worth retrying; a refused address, 404, a size
    cap or a wrong content type is not."""
    status = _HTTP_STATUS.match(exc.reason)
    if status:
        return int(status.group(1)) in _TRANSIENT_STATUS
    return exc.reason.startswith(_TRANSIENT_REASONS)


class Poller:
    """Polls the feeds listed in `store` and adds their new articles through `pipeline`."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        fetcher: Fetcher,
        settings: PollSettings | None = None,
        *,
        write_lock: threading.Lock | None = None,
        stages: ItemStages | None = None,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.fetcher = fetcher
        self.settings = settings or PollSettings()
        local = ItemFetcher(fetcher, self.settings)
        self.limiter = local.limiter
        """Feeds are fetched here, under the same per-host limits as their items."""
        self.stages: ItemStages = stages or LocalStages(local)
        self._write_lock = write_lock or threading.Lock()
        """The story engine places one article at a time: share the lock with other users of `pipeline`."""
        self._stopping = threading.Event()
        self._claimed: set[str] = set()  # item keys being handled now (feeds may share items)
        self._claims_lock = threading.Lock()

    # -- passes ------------------------------------------------------------------------------------------
    def poll_due(self, now: float | None = None) -> PollReport:
        """Poll the feeds whose time has come (new feeds at once, failing ones per their backoff)."""
        now = time.time() if now is None else now
        due = [f for f in list_feeds(self.store) if get_feed_state(self.store, f.url).next_due <= now]
        return self.poll(due)

    def poll_all(self) -> PollReport:
        """Poll every feed now, whatever its schedule (`watch --once`)."""
        return self.poll(list_feeds(self.store))

    def poll(self, feeds: list[Feed]) -> PollReport:
        report = PollReport()
        if not feeds:
            return report
        workers = self.settings.workers
        with (
            ThreadPoolExecutor(min(workers, len(feeds)), thread_name_prefix="feed") as feed_pool,
            ThreadPoolExecutor(workers, thread_name_prefix="item") as item_pool,
        ):
            try:
                for one in feed_pool.map(lambda feed: self.poll_feed(feed, item_pool), feeds):
                    report.add(one)
            except BaseException:  # Ctrl-C or SIGTERM: end the requests in flight before the pools join
                self.stop()
                raise
        self.stages.settle()
        return report

    def next_wakeup(self) -> float:
        """Seconds until the next feed is due (0 if one is due now)."""
        dues = [get_feed_state(self.store, f.url).next_due for f in list_feeds(self.store)]
        return max(0.0, min(dues, default=time.time() + self.settings.interval) - time.time())

    # -- one feed ----------------------------------------------------------------------------------------
    def poll_feed(self, feed: Feed, item_pool: ThreadPoolExecutor) -> PollReport:
        if self._stopping.is_set():
            return PollReport()
        report = PollReport(feeds=1)
        state = get_feed_state(self.store, feed.url)
        try:
            with self.limiter.slot(feed.url):
                result = self.fetcher.get(
                    feed.url, etag=state.etag, last_modified=state.last_modified, accept=FEED_TYPES
                )
            if result.not_modified:
                report.not_modified = 1
                fresh: list[FeedItem] = []
            else:
                parsed = parse_feed(
                    result.content, url=result.url, content_type=result.headers.get("content-type")
                )
                if parsed.warning:  # keep no validators: the next poll must get the whole feed again
                    log.warning("feed %s is malformed but partly readable (%s)", feed.url, parsed.warning)
                    result.etag = result.last_modified = None
                fresh = parsed.items
        except (FetchError, FeedParseError) as exc:
            if self._stopping.is_set():  # aborted by stop(): the feed is polled again next run, no backoff
                return report
            self._feed_failed(feed, state, exc.reason if isinstance(exc, FetchError) else str(exc))
            report.feeds_failed = 1
            return report
        except Exception as exc:  # whatever else breaks on this feed: back it off, never end the poller
            log.exception("feed %s failed unexpectedly", feed.url)
            self._feed_failed(feed, state, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
            report.feeds_failed = 1
            return report

        listed = [FeedItem.from_json(p) for p in state.pending] + fresh
        unique: dict[str, FeedItem] = {}
        for item in listed:  # pending first; a feed may list an item twice
            unique.setdefault(item.key, item)
        items = list(unique.values())
        outcomes: list[str] = []
        while len(outcomes) < len(items):  # a small first batch: a restarted watch commits within seconds
            size = self.settings.batch if outcomes else min(FIRST_BATCH, self.settings.batch)
            outcomes += self.process_items(feed, items[len(outcomes) : len(outcomes) + size], item_pool)
        for outcome in outcomes:
            counter = "retry" if outcome == "interrupted" else outcome
            setattr(report, counter, getattr(report, counter) + 1)
        if state.failures:
            log.info("feed %s is reachable again (after %d failed polls)", feed.url, state.failures)
        state.pending = [
            i.to_json() for i, o in zip(items, outcomes, strict=True) if o in ("retry", "interrupted")
        ]
        if not result.not_modified:
            state.etag, state.last_modified = result.etag, result.last_modified
        state.failures, state.last_error = 0, None
        state.last_ok = time.time()
        state.next_due = state.last_ok + self.settings.interval
        state.items_stored += report.stored
        put_feed_state(self.store, feed.url, state)
        return report

    def _feed_failed(self, feed: Feed, state: FeedState, reason: str) -> None:
        """Back off exponentially; say so once when a feed goes down, not at every retry."""
        state.failures += 1
        delay = min(self.settings.max_backoff, self.settings.retry_base * 2 ** (state.failures - 1))
        if state.failures == 1:
            log.warning(
                "feed %s unreachable: %s (retrying with backoff, next in %.0f s)", feed.url, reason, delay
            )
        else:
            log.debug("feed %s still failing (%d): %s", feed.url, state.failures, reason)
        state.last_error = reason
        state.next_due = time.time() + delay
        put_feed_state(self.store, feed.url, state)

    # -- one item ----------------------------------------------------------------------------------------
    def process_items(self, feed: Feed, items: list[FeedItem], pool: ThreadPoolExecutor) -> list[str]:
        """Fetch and extract new items in parallel and embed them in one batch (`self.stages`), then add them
        one by one.

        Returns per item: stored | duplicates | bad | retry | seen | interrupted.
        """
        with self._claims_lock:  # feeds may share items: the first to claim one handles it
            mine = [item.key not in self._claimed for item in items]
            self._claimed.update(item.key for item, claimed in zip(items, mine, strict=True) if claimed)
        try:
            staged: list[str | int | _Fetched] = [
                self._attempt(item) if claimed else "seen" for item, claimed in zip(items, mine, strict=True)
            ]
            todo = [item for item, s in zip(items, staged, strict=True) if isinstance(s, int)]
            outcomes, vectors = self.stages.prepare(feed, todo, pool) if todo else ([], None)
            done = iter(zip(todo, outcomes, strict=True))
            for i, attempts in enumerate(staged):
                if isinstance(attempts, int):
                    item, outcome = next(done)
                    staged[i] = self._staged(feed, item, outcome, attempts)
            fetched = [s for s in staged if isinstance(s, _Fetched)]
            results = iter(self._add_all(feed, fetched, vectors))
            return [next(results) if isinstance(s, _Fetched) else s for s in staged]
        finally:
            with self._claims_lock:
                self._claimed.difference_update(
                    i.key for i, claimed in zip(items, mine, strict=True) if claimed
                )

    def _attempt(self, item: FeedItem) -> int | str:
        """The attempt this fetch of `item` would be, or why it is not fetched ("seen", "interrupted")."""
        record = get_item(self.store, item.key)
        if record is not None and record.final:
            return "seen"
        if self._stopping.is_set():
            return "interrupted"
        return (record.attempts if record else 0) + 1

    def _staged(
        self, feed: Feed, item: FeedItem, outcome: Article | ItemError, attempts: int
    ) -> _Fetched | str:
        if isinstance(outcome, Article):
            return _Fetched(item, outcome, attempts)
        if self._stopping.is_set():  # aborted by stop(): not the item's fault
            return "interrupted"
        return self._item_failed(feed, item, outcome, attempts)

    def _add_all(
        self, feed: Feed, fetched: list[_Fetched], vectors: dict[str, np.ndarray] | None = None
    ) -> list[str]:
        """Embedding (the slow part of placing an article) runs as one batch outside the write lock: given
        (`vectors`, computed by the stages) or by the engine when it offers it (`embed_articles` + `prepare`,
        as `StoryEngine` does)."""
        engine = self.pipeline.engine
        articles = [f.article for f in fetched]
        if vectors is None and fetched and hasattr(engine, "embed_articles") and hasattr(engine, "prepare"):
            try:
                vectors = engine.embed_articles(articles)
            except Exception:  # the engine embeds one by one instead
                log.exception("batch embedding failed for feed %s", feed.url)
        with self._write_lock:
            if vectors is not None and hasattr(engine, "prepare"):
                engine.prepare(articles, vectors)
            results = [self._add(feed, f, (vectors or {}).get(f.article.id)) for f in fetched]
        self.stages.placed([f.article.id for f, r in zip(fetched, results, strict=True) if r == "stored"])
        return results

    def _add(self, feed: Feed, fetched: _Fetched, vector: np.ndarray | None = None) -> str:
        item, article, attempts = fetched.item, fetched.article, fetched.attempts
        try:
            with self.store.transaction():
                added = self.pipeline.add(article, vector)
                status = "stored" if added.added else "duplicate"
                record = ItemRecord(
                    status, attempts=attempts, article_id=added.duplicate_of or added.article_id
                )
                put_item(self.store, item.key, record)
        except Exception as exc:  # a store or engine failure: nothing was written, try again later
            log.exception("could not add %s from feed %s", item.link, feed.url)
            error = ItemError(f"store/engine error: {exc}", transient=True)
            return self._item_failed(feed, item, error, attempts)
        return "stored" if status == "stored" else "duplicates"

    def _item_failed(self, feed: Feed, item: FeedItem, exc: ItemError, attempts: int) -> str:
        if exc.transient and attempts < self.settings.max_item_attempts:
            log.info(
                "item %s of feed %s failed (%s); will retry (attempt %d)",
                item.link,
                feed.url,
                exc.reason,
                attempts,
            )
            put_item(self.store, item.key, ItemRecord("retry", exc.reason, attempts))
            return "retry"
        log.warning("skipped item %s of feed %s: %s", item.link or item.key, feed.url, exc.reason)
        put_item(self.store, item.key, ItemRecord("bad", exc.reason, attempts))
        return "bad"

    # -- background --------------------------------------------------------------------------------------
    def run(self) -> None:
        """Poll due feeds until `stop()`; an error in one cycle is logged and the next cycle goes on."""
        while not self._stopping.is_set():
            try:
                report = self.poll_due()
                if report.stored or report.bad or report.feeds_failed:
                    log.info(
                        "polled %d feeds: %d new articles, %d skipped, %d to retry, %d feeds failing",
                        report.feeds,
                        report.stored,
                        report.bad,
                        report.retry,
                        report.feeds_failed,
                    )
                wait = self.next_wakeup()
            except Exception:
                log.exception("feed polling cycle failed; trying again shortly")
                wait = self.settings.retry_base
            self._stopping.wait(min(max(wait, 0.2), 30.0))  # wake regularly to pick up feeds added meanwhile
        self.save_engine_state()

    def save_engine_state(self) -> None:
        """Snapshot the story engine (if it keeps one), so the next start need not replay what was added."""
        snapshot = getattr(self.pipeline.engine, "snapshot", None)
        if snapshot is not None:
            try:
                with self._write_lock:
                    snapshot()
            except Exception:  # the decisions are stored; only the restart gets slower
                log.exception("could not snapshot the story engine")

    def start(self) -> PollingHandle:
        thread = threading.Thread(target=self.run, name="storyweave-feeds", daemon=True)
        thread.start()
        return PollingHandle(self, thread)

    def stop(self) -> None:
        """End in-flight requests now (their items are retried by the next run, no attempt counted), store
        what was already fetched, leave untouched items for the next run."""
        self._stopping.set()
        self.fetcher.abort()
        self.stages.abort()


class PollingHandle:
    """A poller running in a background thread; `stop()` ends it (used by `serve`'s lifespan)."""

    def __init__(self, poller: Poller, thread: threading.Thread) -> None:
        self.poller = poller
        self.thread = thread

    def stop(self, timeout: float = 8.0) -> None:
        self.poller.stop()
        self.thread.join(timeout)
