"""Commands of the feeds stage: `feeds add|import|list|remove` and `watch` (polling without the web UI)."""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from storyweave.cli.app import EmbedderOption, StoreOption, app, console, read_store
from storyweave.cli.distributed import RayCommand, RayOption
from storyweave.store import Store, StoreError, open_store
from storyweave.words import counted

feeds_app = typer.Typer(help="Follow outlets' RSS, Atom and JSON feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


def _open(store: str | None) -> Store:
    try:
        return open_store(store)
    except StoreError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def _fail(message: object) -> typer.Exit:
    console.print(f"[red]error:[/] {escape(str(message))}", highlight=False)
    return typer.Exit(1)


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="http(s) URL of an RSS, Atom or JSON feed")],
    title: Annotated[str | None, typer.Option(help="Outlet name, used as the articles' source")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the feed (ISO 639-1), informative")] = None,
    store: StoreOption = None,
) -> None:
    """Follow a feed (nothing is fetched until `watch` or `serve --feeds`)."""
    from storyweave.feeds import FeedListError, add_feed

    with _open(store) as opened:
        try:
            added = add_feed(opened, url, title, lang)
        except FeedListError as exc:
            raise _fail(exc) from None
        console.print(f"{'added' if added else 'already following'} {url}", highlight=False)


@feeds_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="OPML file (or a text file with one feed URL per line)")],
    store: StoreOption = None,
) -> None:
    """Follow every feed of an OPML file."""
    from storyweave.feeds import FeedListError, add_feeds, read_feed_list

    with _open(store) as opened:
        try:
            feeds = read_feed_list(file)
            new = add_feeds(opened, feeds)
        except FeedListError as exc:
            raise _fail(exc) from None
        console.print(f"{len(new)} new feeds ({len(feeds) - len(new)} already followed) from {file}")


@feeds_app.command("remove")
def remove(url: str, store: StoreOption = None) -> None:
    """Stop following a feed (its stored articles stay)."""
    from storyweave.feeds import remove_feed

    with _open(store) as opened:
        if not remove_feed(opened, url):
            raise _fail(f"not following {url}")
        console.print(f"removed {url}", highlight=False)


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M") if epoch else "—"


@feeds_app.command("list")
def list_(store: StoreOption = None) -> None:
    """The followed feeds with their health: last success, next poll, errors, articles stored."""
    from storyweave.feeds import get_feed_state, list_feeds

    with read_store(store) as opened:
        feeds = list_feeds(opened)
        out = Console(soft_wrap=True)  # data: to stdout; tab-separated when piped
        columns = ("feed", "title", "last ok (UTC)", "next poll (UTC)", "stored", "status")
        table = Table(*columns, box=None)
        if not out.is_terminal:
            typer.echo("\t".join(columns))
        for feed in feeds:
            state = get_feed_state(opened, feed.url)
            status = f"failing ×{state.failures}: {state.last_error}" if state.failures else "ok"
            if state.pending:
                status += f" ({len(state.pending)} items to retry)"
            next_due = _when(state.next_due) if state.next_due else "now"
            row = (
                feed.url,
                feed.title or "",
                _when(state.last_ok),
                next_due,
                str(state.items_stored),
                status,
            )
            if out.is_terminal:
                table.add_row(*row)
            else:
                typer.echo("\t".join(row))
        if out.is_terminal:
            out.print(table)
        console.print(f"{counted(len(feeds), 'feed')} in {opened.url}", highlight=False, markup=False)


def _print_failures(store: Store, shown: int = 10) -> None:
    from storyweave.feeds import get_feed_state, list_feeds

    failing = [
        (f.url, state.last_error)
        for f in list_feeds(store)
        if (state := get_feed_state(store, f.url)).failures
    ]
    for url, error in failing[:shown]:
        console.print(
            f"[yellow]failed[/] {escape(url)}: {escape(str(error))}", soft_wrap=True, highlight=False
        )
    if len(failing) > shown:
        console.print(f"… and {len(failing) - shown} more failing feeds (`storyweave feeds list` shows all)")


@app.command(cls=RayCommand)
def watch(
    store: StoreOption = None,
    once: Annotated[bool, typer.Option("--once", help="Poll every feed once, then exit")] = False,
    feeds: Annotated[
        Path | None, typer.Option(help="Also follow the feeds of this OPML file", metavar="FILE")
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between polls of one feed", metavar="SECONDS")
    ] = 900.0,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow fetching private, loopback, link-local hosts")
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Allow this (private) host; repeatable", metavar="HOST"),
    ] = None,
    ignore_robots: Annotated[bool, typer.Option("--ignore-robots", help="Do not honour robots.txt")] = False,
    per_host: Annotated[int, typer.Option(help="Requests in flight to one host", metavar="N", min=1)] = 2,
    host_delay: Annotated[
        float, typer.Option(help="Seconds between request starts to one host", metavar="SECONDS", min=0)
    ] = 1.0,
    embedder: EmbedderOption = None,
    ray: RayOption = None,
) -> None:
    """Poll the followed feeds and add new articles to stories, without the web UI (Ctrl-C stops)."""
    from storyweave.feeds import (
        FeedListError,
        Poller,
        PollSettings,
        add_feeds,
        default_pipeline,
        read_feed_list,
    )
    from storyweave.fetch import Fetcher

    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=console)])
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with _open(store) as opened, ExitStack() as on_ray:
        if feeds is not None:
            try:
                add_feeds(opened, read_feed_list(feeds))
            except FeedListError as exc:
                raise _fail(exc) from None
        fetcher = Fetcher(
            allow_private=allow_private, allowed_hosts=allow_host or (), respect_robots=not ignore_robots
        )
        settings = PollSettings(interval=interval, per_domain=per_host, domain_delay=host_delay)
        stages = None
        if ray is None:
            pipeline = default_pipeline(opened)
        else:
            from storyweave.cli.distributed import ray_feeds
            from storyweave.cluster import StoryEngine
            from storyweave.pipeline import Pipeline

            ray_embedder, stages = on_ray.enter_context(ray_feeds(ray, store, opened, fetcher, settings))
            pipeline = Pipeline(opened, StoryEngine(opened, ray_embedder))
        poller = Poller(opened, pipeline, fetcher, settings, stages=stages)
        if once:
            # One pass: the per-feed warnings ("unreachable … next in 60 s") describe a schedule that --once
            # does not follow; the failures are summarised below instead, one line each.
            feeds_log = logging.getLogger("storyweave.feeds")
            level = feeds_log.level
            feeds_log.setLevel(logging.ERROR)
            started = time.perf_counter()
            try:
                report = poller.poll_all()
            finally:  # the process may go on (tests, the Python API): leave its logging as it was
                feeds_log.setLevel(level)
            poller.save_engine_state()
            _print_failures(opened)
            console.print(
                f"{counted(report.feeds, 'feed')} ({report.feeds_failed} failed,"
                f" {report.not_modified} unchanged): "
                f"{report.stored} new articles, {report.duplicates} duplicates, {report.bad} skipped, "
                f"{report.retry} to retry, in {time.perf_counter() - started:.1f} s — "
                f"{counted(opened.count_articles(), 'article')},"
                f" {counted(opened.count_stories(), 'story', 'stories')} in {opened.url}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            if report.feeds and report.feeds_failed == report.feeds:
                raise typer.Exit(1)
            return
        console.print(f"watching feeds into {opened.url} (Ctrl-C to stop)", highlight=False, markup=False)
        handle = poller.start()
        try:
            while handle.thread.is_alive():
                handle.thread.join(1.0)
        except KeyboardInterrupt:
            console.print("stopping after the requests in flight…")
            handle.stop()
