"""Server-rendered web UI (Jinja2, autoescaped): front page, story, article, outlets, search."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from storyweave.analyse.statements import clean_title
from storyweave.serve.api import (
    MergeIn,
    SplitIn,
    get_store,
    get_writer,
    merge_stories,
    require_token,
    split_story,
    story_detail,
)
from storyweave.serve.charts import outlet_bars, time_columns
from storyweave.serve.views import (
    LRU,
    StoryFilter,
    blindspot,
    card,
    coverage,
    fact_matrix,
    feed_health,
    feed_summary,
    get_article_or_404,
    outlet_column,
    safe_url,
    story_filter,
)
from storyweave.store import Store

router = APIRouter(include_in_schema=False)
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "ar": "Arabic",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
    "tr": "Turkish",
    "pl": "Polish",
    "nl": "Dutch",
    "ja": "Japanese",
    "ko": "Korean",
    "uk": "Ukrainian",
    "hi": "Hindi",
    "fa": "Persian",
    "sv": "Swedish",
}


def _when(value: datetime | str | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime(fmt)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # every value from the web is data; nothing is marked safe
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        safe_url=safe_url,
        when=_when,
        path=lambda s: quote(str(s), safe=""),
        language=lambda code: LANGUAGE_NAMES.get(code or "", code or "unknown"),
        outlet=outlet_column,
        headline=clean_title,
    )
    env.globals.update(urlencode=urlencode, url_for=_url_path)
    return env


@jinja2.pass_context
def _url_path(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """Site-relative links (they stay right behind a proxy that rewrites the host)."""
    request: Request = context["request"]
    return request.scope.get("root_path", "") + _route_path(request.app, name, tuple(sorted(params.items())))


@functools.lru_cache(maxsize=8192)
def _route_path(app: FastAPI, name: str, params: tuple[tuple[str, Any], ...]) -> str:
    """Route lookups raise and catch an exception per route tried; pages make hundreds of links."""
    return app.url_path_for(name, **dict(params))


templates = Jinja2Templates(env=_environment())


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


@router.get("/", name="front_page")
def front_page(
    request: Request, f: StoryFilter = Depends(story_filter), store: Store = Depends(get_store)
) -> Response:
    stories = [card(store, s) for s in f.stories(store, request.app.state.queries)]
    outlets = [o.name for o in store.list_outlets()]
    empty_store = not stories and store.count_stories() == 0
    feeds = feed_summary(feed_health(store)) if empty_store else None
    return render(
        request, "index.html", f=f, stories=stories, outlets=outlets, heading="Current stories",
        empty_store=empty_store, feeds=feeds, engine=request.app.state.writer.engine_state,
    )  # fmt: skip


@router.get("/search", name="search_page")
def search_page(
    request: Request,
    f: StoryFilter = Depends(story_filter),
    store: Store = Depends(get_store),
) -> Response:
    queries = request.app.state.queries
    stories = [card(store, s) for s in f.stories(store, queries)] if f.text_query else []
    articles = queries.get(("articles", f.q), lambda: store.search(f.q, limit=20)) if f.q else []
    return render(request, "search.html", f=f, stories=stories, articles=articles)


def _cite_numbers(articles: list[dict[str, Any]]) -> dict[str, int]:
    return {a["id"]: i for i, a in enumerate(articles, 1)}


def _quotes_by_speaker(quotes: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in quotes:
        groups[q.get("speaker") or "Unattributed"].append(q)
    return sorted(groups.items(), key=lambda kv: (kv[0] == "Unattributed", -len(kv[1]), kv[0]))


def _entity_total(entity: dict[str, Any]) -> int:
    counts = entity.get("counts") or {}
    return sum(counts.values()) if isinstance(counts, dict) else int(entity.get("count") or 0)


@router.get("/stories/{story_id}", name="story_page")
def story_page(request: Request, story_id: str) -> Response:
    detail = story_detail(request, story_id)
    # A story page is the same until its articles, report, cohesion or thread change: render it once per
    # version.
    # (A report is a function of the article ids, so the ids and the report's status identify it.)
    version = (
        request.app.state.store.url, story_id, detail["title"], detail.get("cohesion"),
        tuple(detail["article_ids"]), detail["report_status"],
        tuple((t["id"], t["size"]) for t in detail["thread"]),
        request.scope.get("root_path", ""),
    )  # fmt: skip
    body = _PAGES.get(version)
    if body is None:
        body = _render_story(request, detail).body
        _PAGES.put(version, body)
    return HTMLResponse(body)


_PAGES = LRU(256)


def _render_story(request: Request, detail: dict[str, Any]) -> HTMLResponse:
    report = detail["report"] or {}
    articles = detail["articles"]
    outlet_names = [o["name"] for o in detail["outlets"]]
    published = [datetime.fromisoformat(a["published"]) for a in articles if a["published"]]
    entities = sorted(report.get("entities") or [], key=lambda e: -_entity_total(e))[:30]
    store: Store = request.app.state.store
    registered = {o.name: o for o in store.list_outlets()}
    counts = [(o["name"], o["articles"]) for o in detail["outlets"]]
    cov = coverage(counts, registered)
    return render(
        request,
        "story.html",
        story=detail,
        report=report,
        status=detail["report_status"],
        cite=_cite_numbers(articles),
        matrix=fact_matrix(report, outlet_names[:12]),
        single_outlet=len(outlet_names) == 1,
        quotes=_quotes_by_speaker(report.get("quotes") or [])[:12],
        entities=entities,
        entity_total=_entity_total,
        outlet_chart=outlet_bars(counts),
        coverage=cov,
        blindspot=blindspot(cov, {o.lean for o in registered.values() if o.lean}),
        writable=bool(request.app.state.api_token),
        time_chart=time_columns(published),
        summary=(report.get("summary") or {}).get("sentences") or [],
        conflicts=_conflicts_as_written(report),
    )


def _conflicts_as_written(report: dict[str, Any]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Each conflict with the sentences in which its outlets state their figures, so a reader sees the
    figures in context, not only against one outlet's wording of the fact."""
    facts = {f.get("id"): f for f in report.get("facts") or [] if isinstance(f, dict)}
    out = []
    for conflict in report.get("conflicts") or []:
        values = conflict.get("values") if isinstance(conflict, dict) else None
        if not isinstance(values, dict):
            out.append((conflict, []))
            continue
        statements = (facts.get(conflict.get("fact")) or {}).get("statements") or []
        said = []
        for statement in statements:
            written = str(values.get(statement.get("outlet")) or "").split(", ")[0]
            if written and written in str(statement.get("text") or ""):
                said.append(statement)
        out.append((conflict, said))
    return out


def _check_token(request: Request, token: str) -> None:
    """The story page's edit forms carry the API token in a field; it is checked like the API's header."""
    require_token(
        request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
    )


@router.post("/stories/{story_id}/split", name="split_form")
async def split_form(
    request: Request,
    story_id: str,
    token: str = Form(""),
    article_ids: list[str] = Form([]),  # noqa: B006  (FastAPI reads the default, never mutates it)
) -> Response:
    """Split the ticked reports off into a new story, then show that story."""
    _check_token(request, token)
    if not article_ids:
        raise HTTPException(422, "tick the reports to split off into a new story")
    body = SplitIn(article_ids=article_ids)
    new = await run_in_threadpool(split_story, story_id, body, get_writer(request))
    return RedirectResponse(_url_path_for(request, "story_page", story_id=new["story_id"]), status_code=303)


@router.post("/stories/{story_id}/merge", name="merge_form")
async def merge_form(
    request: Request, story_id: str, token: str = Form(""), other: str = Form("")
) -> Response:
    """Merge another story (its id, or a link to it) into this one, then show the merged story."""
    _check_token(request, token)
    other_id = other.strip().rstrip("/").rpartition("/")[2]
    if not other_id or other_id == story_id:
        raise HTTPException(422, "give the id of another story (or a link to it) to merge into this one")
    merged = await run_in_threadpool(
        merge_stories, MergeIn(story_ids=[story_id, other_id]), get_writer(request)
    )
    return RedirectResponse(
        _url_path_for(request, "story_page", story_id=merged["story_id"]), status_code=303
    )


def _url_path_for(request: Request, name: str, **params: Any) -> str:
    return request.scope.get("root_path", "") + request.app.url_path_for(name, **params)


@router.get("/articles/{article_id:id}", name="article_page")
def article_page(request: Request, article_id: str, store: Store = Depends(get_store)) -> Response:
    article = get_article_or_404(store, article_id)
    story = store.get_story(article.story_id) if article.story_id else None
    story_card = card(store, story) if story and story.article_ids else None
    paragraphs = [p for p in (article.text or "").split("\n") if p.strip()]
    return render(request, "article.html", article=article, paragraphs=paragraphs, story=story_card)


RECENT_STORIES = 200
"""Pages that summarise "recent" stories (outlets, blindspots) look at this many of the latest."""


@router.get("/outlets", name="outlets_page")
def outlets_page(request: Request, store: Store = Depends(get_store)) -> Response:
    registered = {o.name: o for o in store.list_outlets()}
    seen: dict[str, int] = defaultdict(int)
    recent = store.list_stories(limit=RECENT_STORIES)
    for s in recent:
        for name, n in card(store, s).outlets:
            seen[name] += n
    names = sorted(set(registered) | set(seen), key=str.casefold)
    return render(
        request, "outlets.html", outlets=[(n, registered.get(n), seen.get(n, 0)) for n in names],
        recent=len(recent), total_stories=store.count_stories(), feeds=feed_health(store),
    )  # fmt: skip


@router.get("/feeds", name="feeds_page")
def feeds_page(request: Request, store: Store = Depends(get_store)) -> Response:
    feeds = feed_health(store)
    return render(request, "feeds.html", feeds=feeds, summary=feed_summary(feeds))


@router.get("/blindspots", name="blindspots_page")
def blindspots_page(request: Request, store: Store = Depends(get_store)) -> Response:
    """Recent stories covered mostly by outlets of one lean, by the user's own ratings."""
    registered = {o.name: o for o in store.list_outlets()}
    leans = sorted({o.lean for o in registered.values() if o.lean}, key=str.casefold)
    found: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    recent = store.list_stories(limit=RECENT_STORIES) if len(leans) >= 2 else []
    for s in recent:
        c = card(store, s)
        spot = blindspot(coverage(c.outlets, registered), set(leans))
        if spot is not None:
            found[spot[0]].append((c, spot[1]))
    return render(
        request, "blindspots.html", leans=leans, found=sorted(found.items()), recent=len(recent),
        rated=sum(1 for o in registered.values() if o.lean),
    )  # fmt: skip


@router.get("/outlets/{name:path}", name="outlet_page")
def outlet_page(
    request: Request,
    name: str,
    store: Store = Depends(get_store),
    offset: int = Query(0, ge=0),
) -> Response:
    outlet = store.get_outlet(name)
    stories = [card(store, s) for s in store.list_stories(source=name, limit=30, offset=offset)]
    if outlet is None and not stories and not offset:
        raise HTTPException(404, f"no outlet {name!r}")
    return render(request, "outlet.html", name=name, outlet=outlet, stories=stories, offset=offset)


def install_error_pages(app: FastAPI) -> None:
    """HTML error pages for the UI; the API keeps FastAPI's JSON errors."""

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(("/api", "/export", "/static", "/openapi")):
            return await http_exception_handler(request, exc)
        return render(
            request, "error.html", status_code=exc.status_code, status=exc.status_code, detail=exc.detail
        )
