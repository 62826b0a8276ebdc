"""What the API, the exports and the web pages show, built once from the store: story filters, story cards,
story detail with its (cached) analysis report, and the fact × outlet matrix."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import monotonic
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import HTTPException, Query

from storyweave.analyse.text import is_statement, words
from storyweave.analyse.text import outlet_column as text_outlet_column
from storyweave.analyse.titles import story_headline
from storyweave.analyse.version import PREPARED_FORMAT, REPORT_FORMAT
from storyweave.api import story_outlets
from storyweave.budget import ChildDied, Isolated, OverBudget
from storyweave.models import Article, Outlet, Story
from storyweave.store import Store, merged_into

log = logging.getLogger(__name__)

MAX_PAGE = 200
MAX_OFFSET = 1_000_000_000
"""Paging further is refused with a 422 (an offset of 2^63 overflowed SQLite's integers: a 500)."""


def parse_time(value: str | None, name: str) -> datetime | None:
    """`2017-12-01` or a full ISO-8601 time (naive means UTC); a bad value is a 422 naming the parameter."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value.strip()), time())
        except ValueError:
            raise HTTPException(
                422, f"{name}: expected a date (2017-12-01) or ISO-8601 time, got {value!r}"
            ) from None
    try:  # 9999-12-31T23:59:59-23:59 is valid ISO 8601 but past the end of time in UTC
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        raise HTTPException(422, f"{name}: {value!r} is out of range") from None


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None: no `javascript:` links from untrusted pages."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


class LRU:
    """A thread-safe dict that forgets its least recently used entries beyond `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class QueryCache:
    """Results of full-text queries (LRU-bounded): FTS over a large store costs tens of milliseconds per
    common word, and the same searches arrive again and again. A result older than `ttl` seconds is still
    answered at once while one request's thread recomputes it, so expiry never makes a queue of requests
    all running the same query."""

    def __init__(self, ttl: float = 10.0, size: int = 512) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._computing: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                hit = self._entries.get(key)
                if hit is not None:
                    self._entries.move_to_end(key)
                fresh = hit is not None and monotonic() - hit[0] < self.ttl
                busy = self._computing.get(key)
                if fresh or (hit is not None and busy is not None):
                    return hit[1]
                if busy is None:
                    self._computing[key] = threading.Event()
                    break
            busy.wait()  # first computation of this key by another request: wait for it
        try:
            value = compute()
            with self._lock:
                self._entries[key] = (monotonic(), value)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._computing.pop(key).set()


@dataclass
class StoryFilter:
    """The story query shared by /api/stories, the exports, the front page and search."""

    q: str | None = None
    lang: str | None = None
    outlet: str | None = None
    entity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: Literal["recency", "size", "velocity"] = "recency"
    limit: int = 30
    offset: int = 0

    @property
    def text_query(self) -> str | None:
        """Entities are matched as text in the stories' articles (full-text search), together with `q`."""
        parts = [p.strip() for p in (self.q, self.entity) if p and p.strip()]
        return " ".join(parts) or None

    def stories(self, store: Store, cache: QueryCache | None = None) -> list[Story]:
        if cache is not None and self.text_query:
            key = ("stories", *(str(v) for v in vars(self).values()))
            return cache.get(key, lambda: self.stories(store))
        return store.list_stories(
            query=self.text_query,
            lang=self.lang,
            source=resolve_outlet(store, self.outlet),
            since=self.since,
            until=self.until,
            sort=self.sort,
            limit=self.limit,
            offset=self.offset,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """Query-string parameters reproducing this filter (with `changes`), for paging and export links."""
        values = {
            "q": self.q,
            "lang": self.lang,
            "outlet": self.outlet,
            "entity": self.entity,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sort": self.sort if self.sort != "recency" else None,
            "limit": str(self.limit) if self.limit != 30 else None,
            "offset": str(self.offset) if self.offset else None,
        }
        values.update({k: (str(v) if v is not None else None) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def resolve_outlet(store: Store, name: str | None) -> str | None:
    """The stored outlet a user means: the outlet whose name, domain or domain without its suffix (`nytimes`
    for nytimes.com) equals `name`, ignoring case, names first. An unknown name is kept (matches nothing)."""
    if not name:
        return None
    wanted = name.strip().casefold()
    outlets = store.list_outlets()
    for outlet in outlets:
        if outlet.name.casefold() == wanted:
            return outlet.name
    for outlet in outlets:
        domain = (outlet.domain or "").casefold()
        if domain and wanted in (domain, domain.partition(".")[0], domain.removeprefix("www.")):
            return outlet.name
    return name.strip()


def story_filter(
    q: str | None = Query(None, description="Full-text query over the stories' articles"),
    lang: str | None = Query(None, description="Only stories with an article in this language (ISO 639-1)"),
    outlet: str | None = Query(
        None, description="Only stories with an article from this outlet (name or domain: `nytimes`)"
    ),
    entity: str | None = Query(None, description="Only stories whose articles mention this name"),
    since: str | None = Query(None, description="Stories still reported at or after this date/time"),
    until: str | None = Query(None, description="Stories first reported before this date/time"),
    sort: Literal["recency", "size", "velocity"] = Query("recency", description="Order of the stories"),
    limit: int = Query(30, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> StoryFilter:
    """FastAPI dependency: the story filter from the query string (empty form fields count as absent)."""
    return StoryFilter(
        q=q or None,
        lang=lang.strip().lower() if lang and lang.strip() else None,
        outlet=outlet.strip() if outlet and outlet.strip() else None,
        entity=entity or None,
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        sort=sort,
        limit=limit,
        offset=offset,
    )


@dataclass
class StoryCard:
    """A story as listed: enough to choose which one to open."""

    story: Story
    title: str
    outlets: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    lead: str | None = None
    timeline: list[datetime] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.story.id

    def to_dict(self) -> dict[str, Any]:
        s = self.story
        return {
            "id": s.id,
            "title": self.title,
            "size": s.size,
            "first_seen": _iso(s.first_seen),
            "last_seen": _iso(s.last_seen),
            "thread_id": s.thread_id,
            "outlets": [{"name": n, "articles": c} for n, c in self.outlets],
            "languages": [{"lang": n, "articles": c} for n, c in self.languages],
            "lead": self.lead,
            "cohesion": self.cohesion,
            "article_ids": s.article_ids,
        }

    @property
    def cohesion(self) -> float | None:
        """How tightly the story's reports hang together (0..1), when the story engine gives one."""
        value = self.story.cohesion
        return round(float(value), 3) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def outlet_column(article: Article | dict[str, Any]) -> str:
    """The outlet an article is listed under, as the analysis report names it: its source, else its URL's
    host, else its own id (`storyweave.analyse.text.outlet_column`), never "unknown"."""
    if isinstance(article, dict):
        return text_outlet_column(article.get("source"), article.get("url"), article.get("id") or "")
    return text_outlet_column(article.source, article.url, article.id)


def story_title(story: Story, articles: list[Article]) -> str:
    """The story's title as a reader sees it (`storyweave.analyse.titles.story_headline`)."""
    return story_headline(story.title, articles) or story.id


_CARDS = LRU(4096)


def card(store: Store, story: Story, articles: list[Article] | None = None) -> StoryCard:
    """The story as listed; pass its `articles` when they are already loaded. Cards are kept (LRU) under
    the story's fields and article ids, so a changed story never shows an old card."""
    key = (store.url, story.id, story.title, story.thread_id, story.first_seen, story.last_seen,
           story.cohesion, tuple(story.article_ids))  # fmt: skip
    hit = _CARDS.get(key)
    if hit is not None:
        return hit
    if articles is None:
        articles = list(store.iter_articles(story_id=story.id))
    # the same column names as the analysis report's (storyweave.analyse.report.outlet_name): no "unknown"
    outlets = Counter(outlet_column(a) for a in articles)
    langs = Counter(a.lang or "?" for a in articles)
    first = next((a for a in articles if not a.duplicate_of), articles[0] if articles else None)
    made = StoryCard(
        story=story,
        title=story_title(story, articles),
        outlets=outlets.most_common(),
        languages=langs.most_common(),
        lead=card_lead(first) if first else None,
        timeline=sorted(a.published for a in articles if a.published),
    )
    _CARDS.put(key, made)
    return made


LEAD_MIN_WORDS = 8
"""A card's lead is a real sentence of the report: captions, credits and links ("Photo", "next",
"Image copyright Getty Images") are shorter, and do not end like a sentence ("Enlarge this image toggle
caption Alastair Grant/AP")."""
SENTENCE_END = tuple(".!?…。！？\"”»’'")


def card_lead(article: Article, *, paragraphs: int = 12) -> str | None:
    """The first paragraph of the report that states something (the analysis' statement filter, and at least
    LEAD_MIN_WORDS words), not page furniture; None when the first paragraphs hold none."""
    for paragraph in (article.text or "").split("\n")[:paragraphs]:
        text = " ".join(paragraph.split())
        sentence_like = len(words(text)) >= LEAD_MIN_WORDS and text.endswith(SENTENCE_END)
        if sentence_like and text != article.title and is_statement(text, article.lang):
            return text[:600]
    return None


def article_dict(article: Article, *, with_text: bool = True) -> dict[str, Any]:
    data = {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "lang": article.lang,
        "published": _iso(article.published),
        "fetched": _iso(article.fetched),
        "author": article.author,
        "lead": article.lead,
        "story_id": article.story_id,
        "duplicate_of": article.duplicate_of,
        "hash": article.hash,
    }
    if with_text:
        data["text"] = article.text
    return data


class StoryMerged(HTTPException):
    """The story was merged into `survivor`: its URLs answer with a permanent redirect (see serve.app)."""

    def __init__(self, story_id: str, survivor: str) -> None:
        super().__init__(308, f"story {story_id!r} was merged into {survivor!r}")
        self.story_id, self.survivor = story_id, survivor


def get_story_or_404(store: Store, story_id: str) -> Story:
    story = store.get_story(story_id)
    if story is None or not story.article_ids:
        survivor = merged_into(store, story_id)
        if survivor is not None and survivor != story_id:
            raise StoryMerged(story_id, survivor)
        raise HTTPException(404, f"no story {story_id!r}")
    return story


def get_article_or_404(store: Store, article_id: str) -> Article:
    article = store.get_article(article_id)
    if article is None:
        raise HTTPException(404, f"no article {article_id!r}")
    return article


def _lower_priority() -> None:
    """Analysis is background work: let the server's own process go first when the CPU is busy."""
    os.nice(10)


def _analyse_in_worker(
    articles: list[Article], outlets: dict[str, Outlet], prepared: dict[str, Any]
) -> dict[str, Any]:
    from storyweave.analyse import analyse_story

    report = analyse_story(articles, outlets=outlets, prepared=prepared).to_dict()
    return json.loads(json.dumps(report, default=str))


def _prepare_in_worker(articles: list[Article]) -> list[Any]:
    from storyweave.analyse.prepared import analysis_embedder, prepare_articles

    return prepare_articles(articles, analysis_embedder()) if articles else []


ReportStatus = Literal["ready", "stale", "pending", "unavailable"]
PREPARE_BATCH = 16
"""Articles prepared per worker job: one parse and one embedding batch, a few seconds of CPU, so a story's
report waits at most that long behind them."""
MAX_TO_PREPARE = 10_000
"""Articles waiting to be prepared, at most (their text is held in memory)."""
PREPARE_GUESS_S = 1.0
COMPARE_GUESS_S = 0.05
"""Seconds per report of preparing (parse, vectors) and of comparing, until this server has measured them
(2 busy cores: ~1 s and ~0.03 s)."""


def _about(seconds: float) -> str:
    if seconds < 5:
        return "a few seconds"
    return f"about {round(seconds)} s" if seconds < 90 else f"about {round(seconds / 60)} min"


def progress_text(info: dict[str, Any]) -> str:
    """One sentence saying what the analysis worker is doing for a story and how long it should take."""
    count, remaining = info["reports"], _about(info["remaining_s"])
    reports = f"{count} report{'' if count == 1 else 's'}"
    if info["stage"] == "preparing":
        return (f"Reading {info['to_prepare']} of its {reports} for the first time (sentences, names, "
                f"quotes, meaning vectors), then comparing them: {remaining} left.")  # fmt: skip
    if info["stage"] == "comparing":
        return f"Comparing its {reports} (facts, quotes, figures, summary): {remaining} left."
    ahead = info["ahead"]
    waiting = f"Queued behind {ahead} stor{'y' if ahead == 1 else 'ies'}" if ahead else "Starting"
    return (f"{waiting} in the analysis worker; comparing its {reports} then takes {remaining} "
            "(longer for reports it has not read before).")  # fmt: skip


class Reports:
    """Analysis reports, computed in the background and kept in the store's state table (`report:<story id>`,
    with a digest of the article ids it was computed from); recent ones also stay parsed in memory.

    Analysis takes seconds of CPU per story, so it runs in one worker process, one story at a time, and no
    request waits for it unless it asks to: a story without a report is shown without its comparison
    ("pending") while it is computed, and a story that changed keeps showing its last report ("stale").
    A story whose analysis runs past the analysis budget (STORYWEAVE_BUDGET_ANALYSIS) has its worker killed
    and replaced, so the stories queued behind it go on; it is not retried until it changes.

    Most of that CPU is each article's own share (parse, sentence vectors): the same worker prepares
    articles as the app's write path stores them (`prepare_soon`, in batches between reports) and keeps the
    records in the store (`storyweave.analyse.prepared`), so a report then only compares."""

    def __init__(self, store: Store, memory: int = 256) -> None:
        self.store = store
        self._guard = threading.Lock()
        self._queue = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports")
        self._queued: dict[str, Future] = {}
        self._memory = LRU(memory)
        self._failed: dict[str, str] = {}
        """Story id -> digest whose analysis failed (not retried until the story changes)."""
        self._worker = Isolated(preload=(__name__,), initializer=_lower_priority)
        self._to_prepare: list[Article] = []
        self._preparing = False
        self._running: dict[str, Any] | None = None
        """The story the worker is on: {story, stage (preparing|comparing), reports, to_prepare, since}."""
        self._seconds = {"prepare": PREPARE_GUESS_S, "compare": COMPARE_GUESS_S}
        """Measured seconds per report of each stage (moving average), for the page's estimate."""
        self._closed = False

    @staticmethod
    def key(story: Story) -> str:
        return f"report:{story.id}"

    @staticmethod
    def digest(story: Story) -> str:
        """The story's articles and the analysis version: a report of other articles or by other analysis
        code (before an upgrade) is stale."""
        version = f"report {REPORT_FORMAT}, prepared {PREPARED_FORMAT}"
        return hashlib.sha1("\n".join([version, *sorted(story.article_ids)]).encode()).hexdigest()[:16]

    def put(self, story: Story, report: dict[str, Any]) -> None:
        entry = {"digest": self.digest(story), "report": report}
        self.store.put_state(self.key(story), json.dumps(entry, default=str).encode())
        self._memory.put(story.id, entry)

    def _cached(self, story: Story) -> dict[str, Any] | None:
        entry = self._memory.get(story.id)
        if entry is not None and entry["digest"] == self.digest(story):
            return entry
        raw = self.store.get_state(self.key(story))
        if not raw:
            return None
        entry = json.loads(raw)
        self._memory.put(story.id, entry)
        return entry

    def get(self, story: Story, *, wait: bool = False) -> tuple[dict[str, Any] | None, ReportStatus]:
        """The story's latest report and its status; `wait` computes a missing or stale report first."""
        digest = self.digest(story)
        entry = self._cached(story)
        if entry is not None and entry["digest"] == digest:
            return entry["report"], "ready"
        if self._failed.get(story.id) == digest or not analysis_installed():
            return (entry["report"], "stale") if entry else (None, "unavailable")
        job = self.schedule(story.id)
        if wait:
            job.result()
            return self.get(story)
        return (entry["report"], "stale") if entry else (None, "pending")

    def schedule(self, story_id: str) -> Future:
        """The job computing the story's report (one per story at a time); the API awaits it."""
        with self._guard:
            job = self._queued.get(story_id)
            if job is None:
                job = self._queued[story_id] = self._queue.submit(self._compute, story_id)
            return job

    def _compute(self, story_id: str) -> None:
        with self._guard:
            self._queued.pop(story_id, None)
        story = self.store.get_story(story_id)
        if story is None or not story.article_ids:
            return
        entry = self._cached(story)
        if entry is not None and entry["digest"] == self.digest(story):
            return
        articles = list(self.store.iter_articles(story_id=story_id))
        try:
            report = self._analyse(articles)
        finally:
            with self._guard:
                self._running = None
        if report is None:
            self._failed[story_id] = self.digest(story)
        else:
            self.put(story, report)

    def _stage(self, articles: list[Article], stage: str, to_prepare: int = 0) -> None:
        story = articles[0].story_id if articles else None
        with self._guard:
            self._running = {"story": story, "stage": stage, "reports": len(articles),
                             "to_prepare": to_prepare, "since": monotonic()}  # fmt: skip

    def _measured(self, stage: str, seconds: float, reports: int) -> None:
        if reports:
            self._seconds[stage] = 0.7 * self._seconds[stage] + 0.3 * seconds / reports

    def progress(self, story: Story) -> dict[str, Any]:
        """What the worker is doing about a story whose report is not ready, and about how long it takes:
        {stage: queued|preparing|comparing, reports, to_prepare, ahead (stories before it), remaining_s
        (estimate from this server's measured speeds), text (one sentence for the page)}."""
        with self._guard:
            running = dict(self._running) if self._running else None
            queue = list(self._queued)
        reports = len(story.article_ids)
        compare = self._seconds["compare"] * reports
        if running is not None and running["story"] == story.id:
            elapsed = monotonic() - running["since"]
            prepare = self._seconds["prepare"] * running["to_prepare"]
            stage, to_prepare, ahead = running["stage"], running["to_prepare"], 0
            remaining = (prepare + compare if stage == "preparing" else compare) - elapsed
        else:
            ahead = (queue.index(story.id) if story.id in queue else len(queue)) + (running is not None)
            stage, to_prepare, remaining = "queued", 0, (ahead + 1) * compare
        info = {"stage": stage, "reports": reports, "to_prepare": to_prepare, "ahead": ahead,
                "remaining_s": round(max(remaining, 0.0), 1)}  # fmt: skip
        return info | {"text": progress_text(info)}

    def warm(self) -> None:
        """Start the worker and load the analysis models now rather than on the first story."""
        if analysis_installed():
            self._queue.submit(self._analyse, [])

    def close(self) -> None:
        """Stop at once: queued reports are dropped and the worker process is ended even mid-analysis (a
        shutdown must not wait minutes for one story, nor leave the child behind). The job that was running
        is then cut off from the worker and ends with the store reads and writes it was at, before this
        returns: the store may be closed next."""
        self._closed = True
        self._queue.shutdown(wait=False, cancel_futures=True)
        self._worker.close()
        self._queue.shutdown(wait=True)

    def prepare_soon(self, articles: list[Article]) -> None:
        """Prepare newly stored articles in the background worker, PREPARE_BATCH at a time, a story's
        report going before the next batch (the write path's hook: `Pipeline.on_added`)."""
        if not analysis_installed():
            return
        with self._guard:
            room = MAX_TO_PREPARE - len(self._to_prepare)  # the rest are prepared with their story's report
            self._to_prepare += articles[: max(room, 0)]
            if self._preparing or not self._to_prepare:
                return
            self._preparing = True
        self._submit(self._prepare_batch)

    def _submit(self, job: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # shut down: the server is stopping
            self._queue.submit(job)

    def _prepare_batch(self) -> None:
        from storyweave.analyse.prepared import load_prepared, save_prepared

        with self._guard:
            batch, self._to_prepare = self._to_prepare[:PREPARE_BATCH], self._to_prepare[PREPARE_BATCH:]
        try:
            batch = [a for a in batch if a.id not in load_prepared(self.store, batch)]
            fresh = self._in_worker(_prepare_in_worker, batch) if batch else []
            if fresh:
                save_prepared(self.store, fresh)
        except Exception:  # the articles are prepared with their story's report instead
            log.exception("preparing %d articles for analysis failed", len(batch))
        finally:
            with self._guard:
                self._preparing = bool(self._to_prepare)
            if self._preparing:
                self._submit(self._prepare_batch)

    def _analyse(self, articles: list[Article]) -> dict[str, Any] | None:
        """Prepare the reports not prepared yet (kept in the store), then compare them: two worker jobs, so
        the page can say which stage it is at. None when the analysis failed or ran past its budget (logged).
        No articles is the warm-up: model loading, not held to a story's budget."""
        from storyweave.analyse.prepared import load_prepared, save_prepared

        outlets = story_outlets(self.store, articles)
        prepared = load_prepared(self.store, articles)
        missing = [a for a in articles if a.id not in prepared]
        if missing:
            self._stage(articles, "preparing", len(missing))
            for start in range(0, len(missing), PREPARE_BATCH):  # each worker job within the budget
                started = monotonic()
                fresh = self._in_worker(_prepare_in_worker, missing[start : start + PREPARE_BATCH]) or []
                if fresh:
                    save_prepared(self.store, fresh)
                    self._measured("prepare", monotonic() - started, len(fresh))
                prepared |= {p.article_id: p for p in fresh}
        self._stage(articles, "comparing")
        started = monotonic()
        seconds = None if articles else float("inf")
        report = self._in_worker(_analyse_in_worker, articles, outlets, prepared, seconds=seconds)
        self._measured("compare", monotonic() - started, len(articles))
        return report

    def _in_worker(self, job: Callable[..., Any], articles: list[Article], *args: Any,
                   seconds: float | None = None) -> Any:  # fmt: skip
        """`job(articles, *args)` in the worker process under the analysis budget, or None when it failed."""
        story_id = articles[0].story_id if articles else None
        try:
            return self._worker.call("analysis", job, articles, *args, seconds=seconds)
        except OverBudget as exc:
            log.error("story %s: %s; its report stays unavailable until the story changes", story_id, exc)
        except ChildDied:
            if not self._closed:  # else `close` cut the call off: nothing failed
                log.error("story %s: the analysis worker died; a new one starts with the next report",
                          story_id)  # fmt: skip
        except Exception:  # one story's failed analysis must not stop the others
            if not self._closed:
                log.exception("analysis failed for story %s (%d articles)", story_id, len(articles))
        return None


def analysis_installed() -> bool:
    return importlib.util.find_spec("storyweave.analyse") is not None


@dataclass
class Cell:
    state: Literal["shared", "unique", "close", "omitted", "absent"]
    """Reported with other outlets, by this outlet only, close to a statement of this outlet (not the same
    fact for certain), a main fact it leaves out, or not reported."""


Row = tuple[dict[str, Any], list[Cell]]


@dataclass
class MatrixSection:
    key: str
    title: str
    rows: list[Row]


@dataclass
class Matrix:
    """Facts (rows) × outlets (columns): which outlet reports which fact, alone or with others. The facts
    that matter lead (`sections`: shared by most outlets, unique details, omissions); `rest` is collapsed."""

    outlets: list[str]
    sections: list[MatrixSection]
    rest: list[Row]
    total_facts: int

    @property
    def shown(self) -> int:
        return sum(len(s.rows) for s in self.sections) + len(self.rest)


def _alone(fact: dict[str, Any]) -> bool:
    """Only one outlet reports the fact and no other outlet says anything close to it."""
    return len(fact.get("sources") or []) == 1 and not fact.get("close")


def fact_matrix(
    report: dict[str, Any] | None, outlets: list[str], *, per_section: int = 6, max_rest: int = 60
) -> Matrix | None:
    """A fact's outlets are its `sources`; an outlet's omissions come from the report's per-outlet `omitted`
    fact ids. Sections: facts reported by at least half of the outlets (at least two), most widely reported
    first; facts only one outlet reports; facts some outlets leave out, most often left out first. One
    outlet alone has nothing to compare (every row would be ★): no matrix."""
    if not report or not report.get("facts") or len(outlets) < 2:
        return None
    omitted = {name: set(info.get("omitted") or []) for name, info in (report.get("outlets") or {}).items()}

    def row(fact: dict[str, Any]) -> Row:
        sources, close = set(fact.get("sources") or []), set(fact.get("close") or [])
        cells = []
        for outlet in outlets:
            if outlet in sources:
                cells.append(Cell("unique" if _alone(fact) else "shared"))
            elif outlet in close:
                cells.append(Cell("close"))
            else:
                cells.append(Cell("omitted" if fact.get("id") in omitted.get(outlet, ()) else "absent"))
        return fact, cells

    facts = sorted(report["facts"], key=lambda f: -len(f.get("sources") or []))
    most = max(2, -(-len(outlets) // 2))
    left_out = Counter(fid for ids in omitted.values() for fid in ids)
    picks = {
        "shared": [f for f in facts if len(f.get("sources") or []) >= most],
        "unique": [f for f in facts if _alone(f)],
        "omitted": sorted(
            (f for f in facts if left_out.get(f.get("id"))), key=lambda f: -left_out[f.get("id")]
        ),
    }
    titles = {
        "shared": "Reported by most outlets",
        "unique": "Details only one outlet reports",
        "omitted": "Main facts some outlets leave out",
    }
    taken: set[int] = set()
    sections = []
    for key, chosen in picks.items():
        rows = [f for f in chosen if id(f) not in taken][:per_section]
        taken.update(id(f) for f in rows)
        if rows:
            sections.append(MatrixSection(key, titles[key], [row(f) for f in rows]))
    rest = [row(f) for f in facts if id(f) not in taken][:max_rest]
    return Matrix(outlets, sections, rest, len(report["facts"]))


# -- coverage by the user's own outlet ratings --------------------------------------------------------------
@dataclass
class Coverage:
    """Who covers a story, by the lean, country and tags the user gave its outlets (storyweave ships none).
    Each dimension lists (value, outlets, reports), most reports first; `unrated` outlets have no value."""

    by: dict[str, list[tuple[str, int, int]]]
    outlets: int
    rated: dict[str, int]
    """Per dimension, how many of the story's outlets have a value."""

    @property
    def any_rating(self) -> bool:
        return any(self.rated.values())


RATING_FIELDS = ("lean", "country", "tags")


def coverage(outlet_counts: list[tuple[str, int]], registered: dict[str, Outlet]) -> Coverage:
    by: dict[str, dict[str, list[int]]] = {f: {} for f in RATING_FIELDS}
    rated = dict.fromkeys(RATING_FIELDS, 0)
    for name, reports in outlet_counts:
        outlet = registered.get(name)
        for dim in RATING_FIELDS:
            raw = getattr(outlet, dim, None) if outlet else None
            values = [v for v in (raw if isinstance(raw, list) else [raw]) if v]
            rated[dim] += bool(values)
            for value in values:
                slot = by[dim].setdefault(value, [0, 0])
                slot[0] += 1
                slot[1] += reports
    ordered = {
        dim: sorted(((v, o, r) for v, (o, r) in values.items()), key=lambda t: (-t[2], t[0]))
        for dim, values in by.items()
    }
    return Coverage(ordered, len(outlet_counts), rated)


BLINDSPOT_SHARE = 0.75
"""A story is a blindspot of the leans it misses when at least this share of its rated reports come from
outlets of one lean."""
BLINDSPOT_MIN_OUTLETS = 2


def blindspot(cov: Coverage, leans: set[str]) -> tuple[str, float] | None:
    """(the dominant lean, its share of rated reports) when the story is covered mostly by one lean of the
    user's ratings (`leans`: every lean the user rated any outlet with; needs at least two)."""
    rows = cov.by["lean"]
    if len(leans) < 2 or cov.rated["lean"] < BLINDSPOT_MIN_OUTLETS or not rows:
        return None
    total = sum(r for _, _, r in rows)
    lean, _, reports = rows[0]
    share = reports / total
    return (lean, share) if share >= BLINDSPOT_SHARE else None


# -- feed health --------------------------------------------------------------------------------------------
def _epoch_iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else None


def feed_health(store: Store) -> list[dict[str, Any]]:
    """Each followed feed's health as the poller recorded it: last success, failures and the last error, the
    next poll, articles stored and items waiting for a retry."""
    from storyweave.feeds import get_feed_state, list_feeds

    out = []
    for feed in list_feeds(store):
        state = get_feed_state(store, feed.url)
        status = "failing" if state.failures else ("ok" if state.last_ok else "not polled yet")
        out.append(
            {
                "url": feed.url,
                "title": feed.title,
                "status": status,
                "last_ok": _epoch_iso(state.last_ok),
                "next_poll": _epoch_iso(state.next_due),
                "failures": state.failures,
                "last_error": state.last_error if state.failures else None,
                "articles_stored": state.items_stored,
                "items_to_retry": len(state.pending),
            }
        )
    return out


def feed_summary(feeds: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(f["status"] for f in feeds)
    return {
        "followed": len(feeds),
        "ok": counts["ok"],
        "failing": counts["failing"],
        "not_polled_yet": counts["not polled yet"],
        "last_ok": max((f["last_ok"] for f in feeds if f["last_ok"]), default=None),
        "errors": [{"url": f["url"], "error": f["last_error"]} for f in feeds if f["last_error"]][:10],
    }
