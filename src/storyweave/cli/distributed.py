"""The `--ray [ADDRESS]` option of ingest, cluster, watch and serve, and what each command runs with it (the
driver itself is `storyweave.distributed`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from typer.core import TyperCommand

from storyweave.cli.app import console
from storyweave.distributed.runtime import LOCAL
from storyweave.embed import Embedder
from storyweave.feeds.poller import ItemStages, PollSettings
from storyweave.fetch import Fetcher
from storyweave.ingest import IngestError, IngestSummary, Source
from storyweave.models import Article
from storyweave.store import DEFAULT_STORE, Store

RAY_FLAG = "--ray"
RayOption = Annotated[
    str | None,
    typer.Option(
        RAY_FLAG,
        metavar="[ADDRESS]",
        help="Run on Ray. Alone (or `local`): start Ray on this machine, all cores (SQLite allowed); `auto`:"
        " join the cluster this machine is part of; HOST:PORT or ray://HOST:PORT: a head node (needs"
        " --store postgresql://…). Needs the ray extra.",
    ),
]
_ADDRESS = re.compile(r"(?:ray://)?[\w.\-]+:\d{1,5}|\[[0-9A-Fa-f:.]+\]:\d{1,5}")
"""HOST:PORT, ray://HOST:PORT or [IPv6]:PORT: a value of --ray rather than a file, URL or option after it."""


def is_ray_address(token: str) -> bool:
    return token in ("local", "auto") or _ADDRESS.fullmatch(token) is not None


class RayCommand(TyperCommand):
    """A command whose `--ray` may come without a value, meaning `--ray local` (Typer has no options with an
    optional value: its `flag_value` is deprecated). The word after `--ray` is its value only if it reads as
    a Ray address, so `ingest --ray feed.jsonl` is a local run on feed.jsonl."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, with_ray_values(args))


def with_ray_values(args: list[str]) -> list[str]:
    """`args` with each bare `--ray` (before `--`) given its value: the next word if it is an address, else
    `local`."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        if arg == RAY_FLAG and not (i + 1 < len(args) and is_ray_address(args[i + 1])):
            arg = f"{RAY_FLAG}={LOCAL}"
        out.append(arg)
    return out


@contextmanager
def ray_runner(address: str, store: str, **options: object) -> Iterator[object]:
    """A `RayRunner`, with a clear error and exit status 1 when it cannot start."""
    from storyweave.distributed import DistributedError, RayRunner

    try:
        runner = RayRunner(store, address=address, **options)  # type: ignore[arg-type]
    except DistributedError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    with runner:
        yield runner


def describe(runner) -> str:
    """One line on what ran where, with the per-stage seconds (summed over workers)."""
    stats = runner.stats
    stages = stats.stages
    per_article = f", {1000 * stages.decide / stats.placed:.1f} ms/article" if stats.placed else ""
    analysed = f", analyse {stages.analyse:.1f}" if stages.analyse else ""
    return (
        f"ray: {stats.workers} workers on {stats.nodes} node(s); stage seconds summed over workers:"
        f" read/extract {stages.read:.1f}, embed {stages.embed:.1f},"
        f" decide {stages.decide:.1f}{per_article}{analysed}"
    )


def ingest_on_ray(
    address: str,
    store: str,
    opened: Store,
    sources: Iterable[Source | IngestError],
    *,
    allow_private: bool,
    analyse: bool,
    on_error: Callable[[IngestError], None],
    progress: Callable[[str, int], object],
    total: int,
) -> IngestSummary:
    """`ingest` on Ray: reading to embedding on the workers, decisions on the engine actor, then (with
    `analyse`) the comparison of every story that took an article, as Ray tasks."""
    from storyweave.distributed import RayIngestor
    from storyweave.fetch import Fetcher

    with ray_runner(address, store, fetcher=Fetcher(allow_private=allow_private)) as runner:
        with progress("ingesting", total) as advance:
            summary = RayIngestor(opened, runner, on_error=on_error, on_record=advance).run(sources)
        touched = runner.stats.touched
        if analyse and touched:
            with progress("analysing", len(touched)) as advance:
                runner.analyse(touched, on_done=lambda n: [advance() for _ in range(n)])
        console.print(describe(runner), highlight=False)
    return summary


@contextmanager
def ray_feeds(
    address: str, location: str | None, store: Store, fetcher: Fetcher, settings: PollSettings
) -> Iterator[tuple[Embedder, ItemStages]]:
    """`watch`/`serve` on Ray: feed items are fetched, extracted and embedded on the workers (with `fetcher`'s
    settings, within `settings`' per-host limits), the story engine of this process decides on `store` (what
    it embeds itself goes to the workers too: the embedder), and touched stories are analysed on the workers
    (which open `location`, the --store given)."""
    from storyweave.distributed import RayEmbedder, RayFeedStages

    location = str(location or DEFAULT_STORE)
    with ray_runner(address, location, engine=False, fetcher=fetcher, poll=settings) as runner:
        stats = runner.stats
        console.print(
            f"ray: fetching, extraction, language id, embedding and analysis on {stats.workers} workers,"
            f" {stats.nodes} node(s); story decisions here",
            highlight=False,
        )
        try:
            yield RayEmbedder(runner), RayFeedStages(runner, store)
        finally:
            console.print(describe(runner), highlight=False)


def cluster_on_ray(
    address: str, store: str, articles: list[Article], on_batch: Callable[[int], None]
) -> list[str]:
    """`cluster` on Ray: embedding on the workers, decisions on the engine actor; story ids in input order."""
    from storyweave.distributed import cluster_on_ray as run

    with ray_runner(address, store) as runner:
        story_ids = run(articles, runner, on_batch)
        console.print(describe(runner), highlight=False)
    return story_ids
