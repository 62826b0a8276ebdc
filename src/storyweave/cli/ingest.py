"""Commands of the ingest stage: `ingest`, `extract` and `eval extraction`."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from storyweave.cli.app import EmbedderOption, StoreOption, app, console, eval_app, progress_display
from storyweave.cli.distributed import RayCommand, RayOption
from storyweave.eval.extraction import evaluate_dir
from storyweave.extract import ExtractionError, extract_page
from storyweave.fetch import Fetcher
from storyweave.ingest import IngestError, Ingestor, IngestSummary, Source, expand, read_source
from storyweave.pipeline import Pipeline
from storyweave.store import DEFAULT_STORE, Store, open_store
from storyweave.words import counted

PROGRESS_MIN_RECORDS = 20
"""Short runs print just the summary; longer ones get a progress bar."""


@contextmanager
def progress_bar(label: str, total: int):
    """A Rich progress bar on stderr (hidden for short runs); yields an `advance()` callable."""
    progress = progress_display(disable=total < PROGRESS_MIN_RECORDS)
    with progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def _report(error: IngestError) -> None:
    console.print(f"[red]error[/red] {escape(str(error))}", highlight=False, soft_wrap=True)


def _split_sources(inputs: list[str]) -> tuple[list[Source], list[IngestError]]:
    sources, missing = [], []
    for item in expand(inputs):
        (missing if isinstance(item, IngestError) else sources).append(item)
    return sources, missing


@app.command(cls=RayCommand)
def ingest(
    inputs: Annotated[
        list[str], typer.Argument(metavar="PATH_OR_URL", help="Files, folders (recursive) or http(s) URLs.")
    ],
    store: StoreOption = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow fetching private, loopback, link-local hosts.")
    ] = False,
    embedder: EmbedderOption = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", metavar="NAME", help="Outlet of every article read (default: from each input)."
        ),
    ] = None,
    ray: RayOption = None,
    analyse: Annotated[
        bool, typer.Option("--analyse", help="With --ray: compare each story that took articles (Ray tasks).")
    ] = False,
) -> None:
    """Add articles from plain text (title on line 1), HTML (.html.gz), JSON Lines, folders or URLs."""
    from storyweave.cluster import StoryEngine

    sources, missing = _split_sources(inputs)
    total = sum(source.records() for source in sources)
    if ray is not None and source is not None:
        raise typer.BadParameter("--source cannot be combined with --ray yet", param_hint="--source")
    if ray is not None:
        from storyweave.cli.distributed import ingest_on_ray

        with open_store(store) as opened:
            summary = ingest_on_ray(
                ray, store or DEFAULT_STORE, opened, [*missing, *sources], allow_private=allow_private,
                analyse=analyse, on_error=_report, progress=progress_bar, total=total,
            )  # fmt: skip
            _print_summary(summary, opened)
    else:
        with open_store(store) as opened, Fetcher(allow_private=allow_private) as fetcher:
            pipeline = Pipeline(opened, StoryEngine(opened))
            with progress_bar("ingesting", total) as advance:
                ingestor = Ingestor(
                    pipeline, fetcher=fetcher, on_error=_report, on_record=advance, source=source
                )
                summary = ingestor.run([*missing, *sources])
            _print_summary(summary, opened)
    if any("non-public address" in e.reason for e in summary.errors):
        console.print("private and loopback addresses were refused; `--allow-private` allows them")
    if not summary.ingested:
        raise typer.Exit(1)


def _print_summary(summary: IngestSummary, opened: Store) -> None:
    console.print(
        f"added {summary.added}, duplicates {summary.duplicates}, failed {summary.failed}"
        f" — {counted(opened.count_articles(), 'article')} in {opened.url}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _extracted_record(source: Source) -> dict | None:
    for item in read_source(source):
        if isinstance(item, IngestError):
            _report(item)
            return None
        return {
            "id": item.id,
            "title": item.title,
            "text": item.text,
            "published": item.published.isoformat() if item.published else None,
            "author": item.author,
            "site": item.source,
            "lang": item.lang,
        }
    return None


@app.command()
def extract(
    inputs: Annotated[
        list[str], typer.Argument(metavar="PATH", help="HTML (.html.gz) or plain-text files, or folders.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON Lines file to write.")],
) -> None:
    """Extract articles, no store: a JSON object per input (id, title, text, published, author, site, lang)"""
    sources, missing = _split_sources(inputs)
    for error in missing:
        _report(error)
    written = 0
    with out.open("w", encoding="utf-8") as handle, progress_bar("extracting", len(sources)) as advance:
        for source in sources:
            if source.kind in ("url", "jsonl"):
                _report(IngestError(source.location, "extract reads HTML or text files; use `ingest`"))
            elif (record := _extracted_record(source)) is not None:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
            advance()
    console.print(
        f"extracted {written} of {counted(len(sources), 'input')} into {out}", highlight=False, markup=False
    )
    if not written:
        raise typer.Exit(1)


def _body_or_empty(raw: bytes, url: str | None) -> str:
    try:
        return extract_page(raw, url).text
    except ExtractionError:
        return ""


@eval_app.command("extraction")
def eval_extraction(
    directory: Annotated[Path, typer.Argument(help="AEB layout: ground-truth.json and html/ID.html.gz.")],
) -> None:
    """Article-extraction quality: AEB token-shingle precision/recall/F1 of extracted bodies, and speed."""
    truth = directory / "ground-truth.json"
    if not truth.is_file():
        raise typer.BadParameter(f"{truth} not found", param_hint="DIRECTORY")
    pages = len(json.loads(truth.read_text(encoding="utf-8")))
    with progress_bar("extracting", pages) as advance:
        result = evaluate_dir(directory, _body_or_empty, progress=advance)
    typer.echo(
        f"precision={result.precision:.4f} recall={result.recall:.4f} F1={result.f1:.4f}"
        f"  pages={result.pages} pages/s={result.pages_per_second:.1f}"
    )
