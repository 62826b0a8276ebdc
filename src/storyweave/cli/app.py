"""The Typer application shared by every command module (each stage registers its own commands)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="storyweave",
    help="News-story engine: ingest reports, group them into stories, compare outlets.",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Measure quality on labelled data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
"""Diagnostics, progress and summaries go to stderr, so stdout stays clean for data."""

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="SQLite file path or postgresql:// URL [default: storyweave-data/storyweave.db]"
    ),
]
