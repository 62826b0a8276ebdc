"""Server-rendered web UI (Jinja2, autoescaped): front page, story, article, outlets, search."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from storyweave.serve.api import get_store, story_detail
from storyweave.serve.charts import outlet_bars, time_columns
from storyweave.serve.views import (
    LRU,
    StoryFilter,
    card,
    fact_matrix,
    get_article_or_404,
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
    return render(request, "index.html", f=f, stories=stories, outlets=outlets, heading="Current stories")


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
    # A story page is the same until its articles, report or thread change: render it once per version.
    # (A report is a function of the article ids, so the ids and the report's status identify it.)
    version = (
        request.app.state.store.url, story_id, detail["title"], tuple(detail["article_ids"]),
        detail["report_status"], tuple((t["id"], t["size"]) for t in detail["thread"]),
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
    return render(
        request,
        "story.html",
        story=detail,
        report=report,
        status=detail["report_status"],
        cite=_cite_numbers(articles),
        matrix=fact_matrix(report, outlet_names[:12]),
        quotes=_quotes_by_speaker(report.get("quotes") or [])[:12],
        entities=entities,
        entity_total=_entity_total,
        outlet_chart=outlet_bars([(o["name"], o["articles"]) for o in detail["outlets"]]),
        time_chart=time_columns(published),
        summary=(report.get("summary") or {}).get("sentences") or [],
    )


@router.get("/articles/{article_id:id}", name="article_page")
def article_page(request: Request, article_id: str, store: Store = Depends(get_store)) -> Response:
    article = get_article_or_404(store, article_id)
    story = store.get_story(article.story_id) if article.story_id else None
    story_card = card(store, story) if story and story.article_ids else None
    paragraphs = [p for p in (article.text or "").split("\n") if p.strip()]
    return render(request, "article.html", article=article, paragraphs=paragraphs, story=story_card)


@router.get("/outlets", name="outlets_page")
def outlets_page(request: Request, store: Store = Depends(get_store)) -> Response:
    registered = {o.name: o for o in store.list_outlets()}
    seen: dict[str, int] = defaultdict(int)
    for s in store.list_stories(limit=100):
        for name, n in card(store, s).outlets:
            seen[name] += n
    names = sorted(set(registered) | set(seen), key=str.casefold)
    return render(request, "outlets.html", outlets=[(n, registered.get(n), seen.get(n, 0)) for n in names])


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
