"""The FastAPI application: security headers on every response, API token, optional feed polling, routers."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from storyweave.embed import Embedder
from storyweave.serve import api, exports, web
from storyweave.serve.api import Waiters, Writer
from storyweave.serve.views import QueryCache, Reports, StoryMerged
from storyweave.store import QueryTimeout, SQLiteStore, Store

if TYPE_CHECKING:
    from storyweave.feeds import ItemStages

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

# Nothing inline, nothing from elsewhere: article text is untrusted; even an escaping bug cannot run script.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
DOCS_ASSETS = "/docs-assets"


def _docs_page() -> tuple[bytes, str]:
    """Swagger UI from the packaged copy (swagger-ui-bundle-v2, served under /docs-assets: /docs works
    offline) with a CSP that allows exactly its one inline script, by hash."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="storyweave API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    ).body
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in re.findall(r"<script>(.*?)</script>", page.decode(), flags=re.S)
    ]
    csp = (
        f"default-src 'none'; script-src 'self' {' '.join(hashes)}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page, csp


def create_app(
    store: Store,
    *,
    api_token: str | None = None,
    feeds: Path | None = None,
    public_url: str | None = None,
    embedder: Embedder | None = None,
    feed_stages: ItemStages | None = None,
) -> FastAPI:
    """The storyweave web app over `store`. Writes need `Authorization: Bearer <api_token>`; with no token the
    server is read-only. With `feeds`, the feed poller runs for the app's lifetime. `public_url` (e.g.
    `https://news.example.org`) makes export links absolute; without it they are relative to the server,
    never built from the request's `Host` header, which any client sets. `embedder` is the story engine's
    (default: the process's); `feed_stages` where feed items are fetched and embedded (default: the
    poller's threads; Ray with `serve --ray`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        handle = _start_feeds(app.state.writer, feeds, feed_stages) if feeds else None
        try:
            yield
        finally:
            if handle is not None:
                handle.stop()
            app.state.reports.close()
            if reader is not store:
                reader.close()

    app = FastAPI(
        title="storyweave",
        summary="News stories across outlets and languages: who reports what, who is quoted.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    reader = _read_connection(store)
    app.state.store = reader
    app.state.api_token = api_token or None
    app.state.reports = Reports(reader)
    app.state.writer = Writer(store, embedder, on_added=app.state.reports.prepare_soon)
    app.state.queries = QueryCache()
    app.state.waiters = Waiters()
    app.state.public_url = public_url.rstrip("/") if public_url else None
    docs_body, docs_csp = _docs_page()

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001
        if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
            response = JSONResponse({"detail": "NUL characters are not allowed in the URL"}, status_code=422)
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return HTMLResponse(docs_body, headers={"Content-Security-Policy": docs_csp})

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    app.include_router(api.router)
    app.include_router(exports.router)
    app.include_router(web.router)
    web.install_error_pages(app)

    @app.exception_handler(QueryTimeout)
    async def query_timeout(request: Request, exc: QueryTimeout) -> Response:
        """An over-budget search is the client's too-expensive query: 503 (try a narrower one), through the
        same JSON or HTML error answer as any HTTP error."""
        handler = app.exception_handlers[StarletteHTTPException]
        return await handler(request, HTTPException(503, f"search too expensive: {exc}; narrow the query"))

    @app.exception_handler(StoryMerged)
    async def story_merged(request: Request, exc: StoryMerged) -> Response:
        """A link to a story that was merged leads to the story it became, with the same query."""
        head, found, tail = request.url.path.rpartition(exc.story_id)
        location = head + quote(exc.survivor, safe="") + tail if found else request.url.path
        if request.url.query:
            location += "?" + request.url.query
        return RedirectResponse(location, status_code=308)

    return app


def _read_connection(store: Store) -> Store:
    """Pages and API reads get their own SQLite connection: WAL lets them read while a write transaction
    (an article being placed by the story engine) holds the writer's connection. Other backends pool."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path)
    return store


def _start_feeds(writer: Writer, feeds: Path, stages: ItemStages | None) -> object | None:
    """Poll the feeds through the app's own write path; the server keeps serving if polling cannot start."""
    from storyweave.feeds import start_polling

    try:
        return start_polling(
            writer.store, feeds, pipeline=writer.pipeline(), write_lock=writer.lock, stages=stages
        )
    except Exception as exc:  # a broken feeds setup must not stop the server from serving what is stored
        log.error("feed polling not started (%s): %s", feeds, exc)
        return None
