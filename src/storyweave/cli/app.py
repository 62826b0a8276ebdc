"""The Typer application shared by every command module (each stage registers its own commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from storyweave.embed import ENV_VAR, EmbedderError, using_embedder
from storyweave.store import DEFAULT_STORE, Store, StoreError, open_store

app = typer.Typer(
    name="storyweave",
    help="News-story engine: ingest reports, group them into stories, compare outlets.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Measure quality on labelled data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)


def progress_display(disable: bool = False) -> Progress:
    """The commands' one progress display: on stderr, gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable,
    )
"""Diagnostics, progress and summaries go to stderr, so stdout stays clean for data."""

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="SQLite file path or postgresql:// URL [default: storyweave-data/storyweave.db]"
    ),
]


def read_store(location: str | None) -> Store:
    """Open an existing store for a command that reads it: a mistyped `--store` path is an error here, not
    a new empty store (writing commands such as `ingest` create the store)."""
    where = str(location or DEFAULT_STORE)
    if not where.startswith(("postgresql://", "postgres://")) and not Path(where).is_file():
        console.print(
            f"[red]error:[/] no store at {where} — check --store, or create one with `storyweave ingest PATH"
            + (f" --store {where}`" if location else "`"),
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    try:
        return open_store(where)
    except StoreError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _use_embedder(ctx: typer.Context, spec: str | None) -> str | None:
    """Make `spec` the embedder of the whole command (`default_embedder()`, worker processes included)."""
    if spec is not None:
        try:
            ctx.with_resource(using_embedder(spec))
        except EmbedderError as exc:
            raise typer.BadParameter(str(exc)) from None
    return spec


EmbedderOption = Annotated[
    str | None,
    typer.Option(
        "--embedder",
        envvar=ENV_VAR,
        show_envvar=True,
        callback=_use_embedder,
        metavar="SPEC",
        help="Embedder: use (default), e5 (the e5 extra) or st:/path/to/sentence-transformers-model."
        " The shipped join model is fitted for USE; another embedder needs a join model fitted for it with"
        " `scripts/fit_engine.py --embedder SPEC`.",
    ),
]
