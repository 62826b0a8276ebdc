"""REST API under /api: read endpoints for everyone, write endpoints behind the API token."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.convertors import PathConvertor, register_url_convertor

from storyweave.embed import Embedder
from storyweave.jsonsafe import json_safe
from storyweave.models import Article, Outlet, utcnow
from storyweave.pipeline import Pipeline
from storyweave.serve.views import (
    MAX_OFFSET,
    MAX_PAGE,
    StoryFilter,
    analysis_installed,
    article_dict,
    card,
    feed_health,
    feed_summary,
    get_article_or_404,
    get_story_or_404,
    story_filter,
)
from storyweave.store import Store

log = logging.getLogger(__name__)

class IdConvertor(PathConvertor):
    """Article ids may hold '/' (they come from files and feeds): matched like a path, but written into links
    percent-encoded as one segment, so an id such as `a/../../docs` cannot turn a link into `/docs`."""

    def to_string(self, value: str) -> str:
        return quote(str(value), safe="")


register_url_convertor("id", IdConvertor())

router = APIRouter(prefix="/api", tags=["api"])
MAX_WAITERS = 1000
"""Requests waiting (`wait=true`) for a report at once; more are answered at once with the current status."""
WAIT_TIMEOUT_S = 60.0
"""The longest a `wait=true` request waits before it is answered with the current status."""
bearer = HTTPBearer(auto_error=False, description="The server's STORYWEAVE_API_TOKEN")


def get_store(request: Request) -> Store:
    return request.app.state.store


def require_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    """Writes need the server's token; a server started without STORYWEAVE_API_TOKEN is read-only."""
    token = request.app.state.api_token
    if not token:
        raise HTTPException(
            403, "this server is read-only: start it with STORYWEAVE_API_TOKEN set to allow writes"
        )
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "missing or wrong API token", headers={"WWW-Authenticate": "Bearer"})


# -- read ---------------------------------------------------------------------------------------------------
@router.get("/stories", summary="List stories")
def list_stories(
    request: Request, f: StoryFilter = Depends(story_filter), store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Stories matching every given filter, with size, outlets and languages. Page with `limit`/`offset`."""
    items = [card(store, s).to_dict() for s in f.stories(store, request.app.state.queries)]
    return {
        "items": items,
        "limit": f.limit,
        "offset": f.offset,
        "next_offset": f.offset + f.limit if len(items) == f.limit else None,
    }


def story_detail(request: Request, story_id: str, *, wait: bool = False) -> dict[str, Any]:
    """One story with its articles, analysis report (facts, matrix, quotes, entities, timeline, summary) and
    the other stories of its thread."""
    store: Store = request.app.state.store
    story = get_story_or_404(store, story_id)
    articles = list(store.iter_articles(story_id=story.id))
    reports = request.app.state.reports
    report, status = reports.get(story, wait=wait)
    progress = reports.progress(story) if status in ("pending", "stale") else None
    thread = []
    if story.thread_id:
        for other in store.list_stories(thread_id=story.thread_id, limit=21):
            if other.id != story.id:
                first = store.get_article(other.article_ids[0])
                title = other.title or (first.title if first else other.id)
                thread.append({"id": other.id, "title": title, "size": other.size})
    return {
        **card(store, story, articles).to_dict(),
        "articles": [article_dict(a, with_text=False) for a in articles],
        "report": json_safe(report),
        "report_status": status,
        "report_progress": progress,
        "thread": thread[:20],
    }


class Waiters:
    """Bounds the requests waiting for a report. Waiting is an awaited future on the event loop, never a
    thread: hundreds of waiters cost no worker thread, so pages and reads stay fast meanwhile."""

    def __init__(self, limit: int = MAX_WAITERS, timeout: float = WAIT_TIMEOUT_S) -> None:
        self.limit, self.timeout = limit, timeout
        self.waiting = 0

    async def wait(self, request: Request, story_id: str) -> None:
        """Wait (up to `timeout`) until the story's report job ends; at once when `limit` others wait."""
        if self.waiting >= self.limit:
            return
        self.waiting += 1
        try:
            job = request.app.state.reports.schedule(story_id)
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job)), self.timeout)
        except TimeoutError:
            pass
        except Exception:  # the job failed: the answer says so through report_status
            log.debug("report job for %s failed", story_id, exc_info=True)
        finally:
            self.waiting -= 1


@router.get("/stories/{story_id}", summary="One story with its comparison")
async def get_story(
    request: Request,
    story_id: str,
    wait: bool = Query(
        False,
        description=f"Wait (at most {WAIT_TIMEOUT_S:.0f} s) for a missing or outdated report instead of"
        " answering at once",
    ),
) -> dict[str, Any]:
    """`report_status`: `ready`; `stale` (the story has changed since `report`, a new one is being computed);
    `pending` (no report yet, `report` is null; ask again or use `wait=true`); `unavailable` (no analysis).
    While pending or stale, `report_progress` says what the analysis worker is doing (`stage`: queued,
    preparing or comparing; `ahead`; `remaining_s`, an estimate) and `text` says it in one sentence.
    With `wait=true` the answer comes when the report is ready, or after the wait's time limit with the
    status then (also at once when too many requests are already waiting)."""
    detail = await run_in_threadpool(story_detail, request, story_id)
    if wait and detail["report_status"] in ("pending", "stale"):
        await request.app.state.waiters.wait(request, story_id)
        detail = await run_in_threadpool(story_detail, request, story_id)
    return detail


@router.get("/status", summary="What the server holds and whether it is ready")
def status(request: Request, store: Store = Depends(get_store)) -> dict[str, Any]:
    """`engine` is `loading` while the story engine restores its state (writes wait for it meanwhile);
    `feeds` counts the followed feeds by health (`ok`, `failing`, `not_polled_yet`; details at /feeds)."""
    state = request.app.state
    return {
        "feeds": feed_summary(feed_health(store)),
        "articles": store.count_articles(),
        "stories": store.count_stories(),
        "writes": "enabled" if state.api_token else "read-only",
        "engine": state.writer.engine_state,
        "analysis": "installed" if analysis_installed() else "not installed",
    }


@router.get("/articles", summary="List articles")
def list_articles(
    store: Store = Depends(get_store),
    q: str | None = Query(None, description="Full-text query (best match first)"),
    story_id: str | None = None,
    outlet: str | None = None,
    lang: str | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    if q:
        found = store.search(q, limit=limit, offset=offset)
    else:
        found = list(
            store.iter_articles(story_id=story_id, source=outlet, lang=lang, limit=limit, offset=offset)
        )
    return {
        "items": [article_dict(a, with_text=False) for a in found],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(found) == limit else None,
    }


@router.get("/articles/{article_id:id}", summary="One article with its text")
def get_article(article_id: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    return article_dict(get_article_or_404(store, article_id))


class OutletModel(BaseModel):
    name: str
    domain: str | None = None
    country: str | None = None
    language: str | None = None
    lean: str | None = Field(None, description="User-supplied; storyweave ships no ratings")
    tags: list[str] = []


@router.get("/outlets", summary="List outlets")
def list_outlets(store: Store = Depends(get_store)) -> list[OutletModel]:
    return [OutletModel(**vars(o)) for o in store.list_outlets()]


@router.get("/outlets/{name:path}", summary="One outlet")
def get_outlet(name: str, store: Store = Depends(get_store)) -> OutletModel:
    outlet = store.get_outlet(name)
    if outlet is None:
        raise HTTPException(404, f"no outlet {name!r}")
    return OutletModel(**vars(outlet))


# -- write --------------------------------------------------------------------------------------------------
class OutletEdit(BaseModel):
    domain: str | None = None
    country: str | None = None
    language: str | None = None
    lean: str | None = None
    tags: list[str] | None = None


@router.patch(
    "/outlets/{name:path}", summary="Edit an outlet's fields and tags", dependencies=[Depends(require_token)]
)
def edit_outlet(name: str, edit: OutletEdit, store: Store = Depends(get_store)) -> OutletModel:
    """Only the given fields change; an unknown outlet is created."""
    outlet = store.get_outlet(name) or Outlet(name)
    for key, value in edit.model_dump(exclude_unset=True).items():
        setattr(outlet, key, [t.strip() for t in value if t.strip()] if key == "tags" else value)
    store.upsert_outlet(outlet)
    return OutletModel(**vars(outlet))


class HtmlIn(BaseModel):
    html: str = Field(min_length=1)
    url: str | None = None
    source: str | None = None
    id: str | None = None


class UrlsIn(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=100)
    source: str | None = None


class IngestResult(BaseModel):
    input: str
    status: str = Field(description="added, duplicate or failed")
    article_id: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    error: str | None = None


class Writer:
    """The app's one write path: the pipeline with the story engine (built on first use), one article at a
    time. The feed poller shares it and its `lock`, so API and poller never call the engine at once."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None = None,
        pipeline: Pipeline | None = None,
        on_added: Callable[[list[Article]], None] | None = None,
    ) -> None:
        """`on_added`: the pipeline's hook for newly stored articles (the app prepares their analysis)."""
        self.store = store
        self.embedder = embedder
        self.on_added = on_added
        """The story engine's embedder (None: the process's default; `serve --ray`: the Ray workers)."""
        self.lock = threading.Lock()
        self._pipeline = pipeline
        """Given: used as is (e.g. without a story engine, for tests and fuzzing); else built on first use."""
        self._building = threading.Lock()
        self.error: str | None = None
        """Why the story engine could not be loaded, last time it was tried."""

    def pipeline(self) -> Pipeline:
        with self._building:
            if self._pipeline is None:
                from storyweave.cluster import StoryEngine

                try:
                    engine = StoryEngine(self.store, self.embedder)
                    self._pipeline = Pipeline(self.store, engine, on_added=self.on_added)
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                    raise
                self.error = None
                # The engine's state is a large, long-lived object graph: keep it out of the garbage
                # collector's full scans, which would otherwise pause every request for a moment.
                gc.collect()
                gc.freeze()
        return self._pipeline

    @property
    def engine_state(self) -> str:
        if self._pipeline is not None:
            return "ready"
        if self._building.locked():
            return "loading"
        return f"failed ({self.error})" if self.error else "not loaded"

    def add(self, article: Article, label: str) -> IngestResult:
        pipeline = self.pipeline()
        with self.lock:
            result = pipeline.add_many([article])[0]  # embedded before the write transaction begins
        if not result.added:
            return IngestResult(
                input=label,
                status="duplicate",
                article_id=result.article_id,
                duplicate_of=result.duplicate_of,
            )
        stored = self.store.get_article(article.id)
        return IngestResult(
            input=label, status="added", article_id=article.id, story_id=stored.story_id if stored else None
        )

    def merge(self, story_ids: list[str]) -> str:
        engine = self.pipeline().engine
        with self.lock:
            target = story_ids[0]
            for other in story_ids[1:]:
                target = engine.merge(target, other)
        return target

    def split(self, story_id: str, article_ids: list[str]) -> str:
        engine = self.pipeline().engine
        with self.lock:
            return engine.split(story_id, article_ids)


def get_writer(request: Request) -> Writer:
    return request.app.state.writer


def _article_id(*parts: str | None) -> str:
    return hashlib.sha1("\n".join(p or "" for p in parts).encode()).hexdigest()[:24]


@router.post("/ingest/articles", summary="Add articles given as JSON", dependencies=[Depends(require_token)])
def ingest_articles(
    articles: list[Any] = Body(
        description="Articles: id?, title, text, url, source, lang, published (ISO 8601); each fails alone",
        examples=[
            [
                {
                    "title": "Flood hits Valencia",
                    "text": "…",
                    "source": "EFE",
                    "lang": "en",
                    "published": "2024-10-29T10:00:00Z",
                    "url": "https://example.com/a",
                }
            ]
        ],
    ),
    writer: Writer = Depends(get_writer),
) -> list[IngestResult]:
    """Read like `storyweave ingest` reads JSON Lines (chrome stripped, language detected when missing)."""

    return [_ingest_record(number, record, writer) for number, record in enumerate(articles)]


def _label(number: int, record: object) -> str:
    if isinstance(record, dict):
        for key in ("id", "url", "title"):
            value = record.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return _printable(str(value))[:200]
    return f"item {number}"


def _printable(text: str) -> str:
    """Text that encodes as UTF-8 (lone surrogates replaced), for labels echoed back to the client."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _ingest_record(number: int, record: Any, writer: Writer) -> IngestResult:
    """One item of a REST batch, alone: whatever is wrong with it (or fails while storing it) is this item's
    `failed` result; the items before it stay stored and say so, the items after it are still tried."""
    from storyweave.extract import ExtractionError
    from storyweave.ingest.readers import article_from_record, one_line

    label = _label(number, record)
    try:
        if not isinstance(record, dict):
            raise ExtractionError(f"expected a JSON object, got {type(record).__name__}")
        if not record.get("id"):
            parts = [v if isinstance(v, str) else None for v in map(record.get, ("url", "title", "text"))]
            record = {**record, "id": _article_id(*(p and _printable(p) for p in parts))}
        article = article_from_record(record)
        article.fetched = utcnow()
    except ExtractionError as exc:
        return IngestResult(input=label, status="failed", error=f"item {number}: {exc}")
    except Exception as exc:  # a record of a shape no check foresaw: this item fails, not the batch
        return IngestResult(input=label, status="failed", error=f"item {number}: {one_line(exc)}")
    try:
        return writer.add(article, label)
    except Exception as exc:  # rolled back: nothing of this item was stored
        log.exception("could not store item %d of a REST batch", number)
        reason = f"item {number}: not stored ({type(exc).__name__}: {one_line(exc)})"
        return IngestResult(input=label, status="failed", error=reason)


def _extract(content: bytes | str, *, url: str | None, source: str | None, id: str | None) -> Article:
    from storyweave.extract import article_from_page

    return article_from_page(content, url=url, source=source, id=id)


@router.post(
    "/ingest/html", summary="Add one article from its page's HTML", dependencies=[Depends(require_token)]
)
def ingest_html(page: HtmlIn, writer: Writer = Depends(get_writer)) -> IngestResult:
    from storyweave.extract import ExtractionError

    label = _printable(page.url or page.id or "html")[:200]
    try:
        article = _extract(page.html, url=page.url, source=page.source, id=page.id)
        return writer.add(article, label)
    except ExtractionError as exc:
        return IngestResult(input=label, status="failed", error=str(exc))
    except Exception as exc:  # rolled back: nothing was stored
        log.exception("could not store the posted page %s", label)
        return IngestResult(input=label, status="failed", error=f"not stored ({type(exc).__name__})")


@router.post(
    "/ingest/urls", summary="Fetch pages and add their articles", dependencies=[Depends(require_token)]
)
async def ingest_urls(urls: UrlsIn, writer: Writer = Depends(get_writer)) -> list[IngestResult]:
    """Pages are fetched safely (timeouts, size cap; private and loopback addresses refused)."""
    return await run_in_threadpool(_fetch_and_add, urls, writer)


def _fetch_and_add(urls: UrlsIn, writer: Writer) -> list[IngestResult]:
    from storyweave.extract import ExtractionError
    from storyweave.fetch import Fetcher, FetchError

    out = []
    with Fetcher(allow_private=False) as fetcher:
        for url in urls.urls:
            label = _printable(url)[:200]
            try:
                page = fetcher.get(url)
                article = _extract(page.content, url=page.url, source=urls.source, id=None)
                out.append(writer.add(article, label))
            except (FetchError, ExtractionError) as exc:
                out.append(IngestResult(input=label, status="failed", error=_printable(str(exc))))
            except Exception as exc:  # rolled back: nothing of this page was stored
                log.exception("could not store the page of %s", label)
                error = f"not stored ({type(exc).__name__})"
                out.append(IngestResult(input=label, status="failed", error=error))
    return out


class MergeIn(BaseModel):
    story_ids: list[str] = Field(min_length=2, description="Stories to merge into one")


class SplitIn(BaseModel):
    article_ids: list[str] = Field(min_length=1, description="Articles that move to a new story")


@router.post("/stories/merge", summary="Merge stories by hand", dependencies=[Depends(require_token)])
def merge_stories(body: MergeIn, writer: Writer = Depends(get_writer)) -> dict[str, str]:
    store = writer.store
    for sid in body.story_ids:
        get_story_or_404(store, sid)
    return {"story_id": writer.merge(body.story_ids)}


@router.post(
    "/stories/{story_id}/split", summary="Split articles off a story", dependencies=[Depends(require_token)]
)
def split_story(story_id: str, body: SplitIn, writer: Writer = Depends(get_writer)) -> dict[str, str]:
    story = get_story_or_404(writer.store, story_id)
    missing = sorted(set(body.article_ids) - set(story.article_ids))
    if missing:
        raise HTTPException(422, f"not in story {story_id!r}: {', '.join(missing[:5])}")
    if len(set(body.article_ids)) == len(story.article_ids):
        raise HTTPException(422, "a split must leave at least one article in the story")
    return {"story_id": writer.split(story_id, body.article_ids)}
