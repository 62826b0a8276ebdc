"""Commands of the serve stage: `storyweave serve` runs the web UI and REST API."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from storyweave.cli.app import EmbedderOption, StoreOption, app, console
from storyweave.cli.distributed import RayCommand, RayOption

SHUTDOWN_GRACE_S = 3


@app.command(cls=RayCommand)
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    store: StoreOption = None,
    feeds: Annotated[
        Path | None,
        typer.Option(help="OPML or feed list to poll while serving (skipped if the file is missing)"),
    ] = None,
    embedder: EmbedderOption = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            envvar="STORYWEAVE_PUBLIC_URL",
            help="The server's public base URL (https://news.example.org) for absolute links in exports",
        ),
    ] = None,
    ray: RayOption = None,
) -> None:
    """Serve the web UI and REST API (docs at /docs). Writes need STORYWEAVE_API_TOKEN, else read-only."""
    import uvicorn

    from storyweave.serve import create_app
    from storyweave.store import StoreError, open_store

    try:
        opened = open_store(store)
    except StoreError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if feeds is not None and not feeds.exists():
        console.print(
            f"[yellow]warning:[/] feeds file {escape(str(feeds))} not found; serving without feed polling"
        )
        feeds = None
    token = os.environ.get("STORYWEAVE_API_TOKEN") or None
    console.print(
        f"storyweave on http://{host}:{port}/ (store {opened.url}; "
        + ("writes need the API token" if token else "read-only: set STORYWEAVE_API_TOKEN to allow writes")
        + ")",
        markup=False,
    )
    on_ray = ExitStack()
    engine_embedder = feed_stages = None
    if ray is not None:  # the story engine stays here; the feeds' items and its own embedding go to Ray
        from storyweave.cli.distributed import ray_feeds
        from storyweave.feeds import PollSettings
        from storyweave.fetch import Fetcher

        ray_on = ray_feeds(ray, store, opened, Fetcher(), PollSettings())  # the poller's defaults in `serve`
        engine_embedder, feed_stages = on_ray.enter_context(ray_on)
    app = create_app(
        opened,
        api_token=token,
        feeds=feeds,
        embedder=engine_embedder,
        public_url=public_url,
        feed_stages=feed_stages,
    )
    if token:  # load the story engine's state now, in the background, rather than on the first write
        threading.Thread(target=app.state.writer.pipeline, name="engine-start", daemon=True).start()
    app.state.reports.warm()
    # Background threads (story engine, report bookkeeping) hold the GIL in slices; shorter slices keep page
    # and API latency low while they run.
    sys.setswitchinterval(0.001)
    try:
        # Requests still open SHUTDOWN_GRACE_S after SIGTERM/SIGINT (report waiters, slow clients) are cut.
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    finally:
        on_ray.close()
        opened.close()
