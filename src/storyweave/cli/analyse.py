"""Commands of the analyse stage: per-story report, batch summaries, summary evaluation, outlet import."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table
from rich.text import Text

from storyweave.analyse import (
    ExtractiveSummarizer,
    LLMSummarizer,
    StoryReport,
    Summarizer,
    SummaryError,
    analyse_story,
    prepared_for,
)
from storyweave.analyse.summary import LeadSummarizer
from storyweave.analyse.titles import story_headline
from storyweave.api import story_outlets
from storyweave.cli.app import StoreOption, app, console, eval_app, read_store
from storyweave.cluster.batch import read_jsonl
from storyweave.eval.summaries import evaluate_summaries, source_texts
from storyweave.jsonsafe import json_safe
from storyweave.models import Outlet
from storyweave.store import open_store
from storyweave.words import counted

outlets_app = typer.Typer(help="Outlet metadata supplied by the user (country, language, lean, tags).")
app.add_typer(outlets_app, name="outlets")

LLMUrlOption = Annotated[
    str | None,
    typer.Option(
        "--llm-url",
        envvar="STORYWEAVE_LLM_URL",
        help="OpenAI-compatible API root (e.g. http://127.0.0.1:8000/v1); key from STORYWEAVE_LLM_API_KEY.",
    ),
]
LLMModelOption = Annotated[
    str, typer.Option("--llm-model", envvar="STORYWEAVE_LLM_MODEL", help="Model name sent to the endpoint.")
]


def _summarizer(llm_url: str | None, llm_model: str) -> Summarizer:
    return LLMSummarizer(llm_url, llm_model) if llm_url else ExtractiveSummarizer()


def _progress() -> Progress:
    return Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console, transient=True)


def _warn(message: str) -> None:
    console.print(f"[yellow]{message}[/yellow]", highlight=False)


@app.command()
def summarize(
    clusters: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSONL: {id, articles: [...]}")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL: {id, summary, sentences}.")],
    llm_url: LLMUrlOption = None,
    llm_model: LLMModelOption = "default",
) -> None:
    """Write a cited summary per cluster; every sentence lists the indexes of the articles supporting it."""
    summarizer = _summarizer(llm_url, llm_model)
    records = list(read_jsonl(clusters))
    written = 0
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle, _progress() as progress:
        task = progress.add_task("summarising", total=len(records))
        for number, record in records:
            try:
                summary = summarizer.summarize(source_texts(record))
            except (ValueError, SummaryError) as error:
                _warn(f"{clusters}:{number} (id {record.get('id')}): {error}; skipped")
                progress.advance(task)
                continue
            line = {
                "id": record.get("id"),
                "summary": summary.text,
                "sentences": [{"text": s.text, "sources": s.sources} for s in summary.sentences],
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1
            progress.advance(task)
    seconds = time.perf_counter() - start
    console.print(
        f"{counted(written, 'summary', 'summaries')} → {out} ({written / max(seconds, 1e-9):.1f} stories/s)"
    )


@eval_app.command("summaries")
def eval_summaries(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSONL with `reference` per record.")
    ],
    predictions: Annotated[
        Path | None,
        typer.Option(
            help="JSONL of {id, summary} to score; default: the file's `summary` or a fresh summary."
        ),
    ] = None,
    llm_url: LLMUrlOption = None,
    llm_model: LLMModelOption = "default",
    lead: Annotated[
        bool, typer.Option(help="Score the lead baseline instead: the first two reports' first statements.")
    ] = False,
) -> None:
    """ROUGE-1/2/L F-measure (rouge-score, stemmed) of summaries against each record's `reference`."""
    predicted = None
    if predictions is not None:
        predicted = {str(r.get("id")): str(r.get("summary") or "") for _, r in read_jsonl(predictions)}
    records = list(read_jsonl(file))
    with _progress() as progress:
        task = progress.add_task("scoring", total=len(records))

        def tracked():
            for item in records:
                yield item
                progress.advance(task)

        summarizer = LeadSummarizer() if lead else _summarizer(llm_url, llm_model)
        result = evaluate_summaries(tracked(), summarizer, _warn, predicted)
    table = Table(title=f"ROUGE F-measure on {file.name} ({result.count} records, {result.skipped} skipped)")
    for column in ("ROUGE-1", "ROUGE-2", "ROUGE-L", "stories/s"):
        table.add_column(column, justify="right")
    speed = f"{result.stories_per_second:.1f}" if result.stories_per_second else "—"
    table.add_row(f"{result.rouge1:.2f}", f"{result.rouge2:.2f}", f"{result.rougeL:.2f}", speed)
    Console().print(table)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str | Text, ...]]) -> Table:
    table = Table(title=title, show_lines=len(columns) > 4)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:  # untrusted text: never parsed as Rich markup; styled cells come as Text
        table.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    return table


_KIND_COLOURS = {"shared": "green", "several": "yellow", "unique": "red"}


def _fact_outlets(fact: dict) -> str:
    """The outlets stating a fact, then those with a close statement: "a, b (close: c)"."""
    close = f" (close: {', '.join(fact['close'])})" if fact.get("close") else ""
    return ", ".join(fact["sources"]) + close


def _report_tables(report: dict) -> list[Table]:
    """The report's Rich tables: facts, outlets, conflicts (when any), quotes, entities, timeline."""
    facts = [
        (f["id"], Text(f["kind"], style=_KIND_COLOURS[f["kind"]]), _fact_outlets(f), f["text"],
         ", ".join(n["text"] for n in f["numbers"]))
        for f in report["facts"]
    ]  # fmt: skip
    outlets = [
        (name, str(len(e["articles"])), str(len(e["shared"])), ", ".join(e["unique"]) or "—",
         ", ".join(e["omitted"]) or "—")
        for name, e in report["outlets"].items()
    ]  # fmt: skip
    conflicts = [
        (f"{c['fact']} {c['text']}", f"{c.get('quantity') or ''} ({c['unit']})".strip(),
         "; ".join(f"{o}: {v}" for o, v in c["values"].items()))
        for c in report["conflicts"]
    ]  # fmt: skip
    quotes = [(q["speaker"] or "?", q["kind"], ", ".join(q["outlets"]), q["text"]) for q in report["quotes"]]
    entities = [
        (
            e["name"],
            e["label"],
            ", ".join(f"{o} {n}" for o, n in e["counts"].items()),
            ", ".join(e["aliases"]),
        )
        for e in report["entities"][:20]
    ]
    timeline = [
        (Text(r["published"] or "undated") + Text(" (first)" if r["first"] else "", style="bold"),
         r["outlet"], r["article"] + (f" (copy of {r['duplicate_of']})" if r["duplicate_of"] else ""),
         r["title"])
        for r in report["timeline"]
    ]  # fmt: skip
    tables = [
        _table("Facts across outlets", ("id", "kind", "outlets", "fact", "figures"), facts),
        _table(
            "What each outlet adds and omits",
            ("outlet", "articles", "shared", "unique (adds)", "omits"),
            outlets,
        ),
    ]
    if conflicts:
        tables.append(_table("Conflicting figures", ("fact", "unit", "values by outlet"), conflicts))
    return tables + [
        _table("Quotes", ("speaker", "kind", "outlets", "quote"), quotes),
        _table("Entities", ("name", "type", "mentions by outlet", "also written"), entities),
        _table("Timeline", ("published", "outlet", "article", "title"), timeline),
    ]


def _print_tables(story_title: str, report: dict) -> None:
    out = Console()
    out.rule(Text(story_title or "story"))
    out.print("[bold]Summary[/]")
    for sentence in report["summary"]["sentences"]:
        sources = escape(f"[{', '.join(sentence['sources'])}]")
        out.print(f"• {escape(sentence['text'])} [dim]{sources}[/]", highlight=False)
    for table in _report_tables(report):
        out.print(table)
    coverage = report["coverage"]
    for key in ("by_language", "by_country", "by_lean", "by_tag"):
        if coverage[key]:
            out.print(
                f"{key.removeprefix('by_')}: " + ", ".join(f"{k} {v}" for k, v in coverage[key].items())
            )


def report_markdown(title: str, report: dict) -> str:
    """The story report as Markdown (summary with citations, facts, outlets, quotes, entities, timeline)."""
    lines = [f"# {title or 'Story'}", "", "## Summary", ""]
    lines += [f"- {s['text']} [{', '.join(s['sources'])}]" for s in report["summary"]["sentences"]]
    lines += ["", "## Facts", "", "| id | kind | outlets | fact |", "|---|---|---|---|"]
    lines += [
        f"| {f['id']} | {f['kind']} | {_fact_outlets(f)} | {f['text'].replace('|', '/')} |"
        for f in report["facts"]
    ]
    lines += ["", "## Outlets", "", "| outlet | unique | omits |", "|---|---|---|"]
    lines += [
        f"| {name} | {', '.join(e['unique']) or '—'} | {', '.join(e['omitted']) or '—'} |"
        for name, e in report["outlets"].items()
    ]
    lines += ["", "## Quotes", ""]
    lines += [
        f"- **{q['speaker'] or '?'}** ({q['kind']}, {', '.join(q['outlets'])}): {q['text']}"
        for q in report["quotes"]
    ]
    lines += ["", "## Entities", ""]
    lines += [f"- {e['name']} ({e['label']}): {e['total']}" for e in report["entities"]]
    lines += ["", "## Timeline", ""]
    lines += [
        f"- {r['published'] or 'undated'} — {r['outlet']}: {r['title']}{' (first)' if r['first'] else ''}"
        for r in report["timeline"]
    ]
    return "\n".join(lines) + "\n"


@app.command()
def story(
    story_id: Annotated[str, typer.Argument(metavar="ID", help="Story id (see `storyweave stories`).")],
    store: StoreOption = None,
    format: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    llm_url: LLMUrlOption = None,
    llm_model: LLMModelOption = "default",
) -> None:
    """Compare the reports of one story: facts per outlet, quotes, entities, figures, timeline, summary."""
    if format not in ("table", "json", "markdown"):
        raise typer.BadParameter("format must be table, json or markdown", param_hint="--format")
    with read_store(store) as opened:
        found = opened.get_story(story_id)
        if found is None:
            console.print(f"[red]no story {escape(repr(story_id))} in {escape(opened.url)}[/red]")
            raise typer.Exit(1)
        articles = list(opened.iter_articles(story_id=story_id))
        title = story_headline(found.title, articles) or story_id
        outlets = story_outlets(opened, articles)
        prepared = prepared_for(opened, articles)  # kept: the next look at the story reads them back
    summarizer = _summarizer(llm_url, llm_model)
    report: StoryReport = analyse_story(articles, outlets=outlets, summarizer=summarizer, prepared=prepared)
    data = report.to_dict()
    if format == "json":
        typer.echo(
            json.dumps(
                json_safe({"story": story_id, "title": title, **data}),
                ensure_ascii=False, indent=2, allow_nan=False,
            )
        )
    elif format == "markdown":
        typer.echo(report_markdown(title, data))
    else:
        _print_tables(title, data)


OUTLET_COLUMNS = ("name", "domain", "country", "language", "lean", "tags")


@outlets_app.command("import")
def import_outlets(
    csv_file: Annotated[Path, typer.Argument(metavar="CSV", exists=True, dir_okay=False)],
    store: StoreOption = None,
) -> None:
    """Import outlet metadata from a CSV: name,domain,country,language,lean,tags (tags ';'-separated).

    storyweave ships no ratings: lean and tags are whatever the user supplies. Existing outlets are updated.
    """
    with csv_file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("name",) if c not in (reader.fieldnames or [])]
        if missing:
            console.print(f"[red]{csv_file}: no 'name' column (expected {','.join(OUTLET_COLUMNS)})[/red]")
            raise typer.Exit(1)
        rows = list(enumerate(reader, 2))
    imported = 0
    with open_store(store) as opened, opened.transaction():
        for line, row in rows:
            name = (row.get("name") or "").strip()
            if not name:
                _warn(f"{csv_file}:{line}: empty name; skipped")
                continue
            tags = [t.strip() for t in (row.get("tags") or "").replace(",", ";").split(";") if t.strip()]
            fields = {
                c: (row.get(c) or "").strip() or None for c in ("domain", "country", "language", "lean")
            }
            opened.upsert_outlet(Outlet(name=name, tags=tags, **fields))
            imported += 1
    console.print(f"{counted(imported, 'outlet')} imported from {csv_file}")
