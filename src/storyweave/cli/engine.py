"""Engine-stage commands: list stories, batch clustering, pair similarity, evaluation, benchmark."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.table import Table

from storyweave.cli.app import StoreOption, app, console
from storyweave.store import open_store


def _span(first, last) -> str:
    if first is None:
        return "—"
    start = first.strftime("%Y-%m-%d %H:%M")
    if last is None or last == first:
        return start
    hours = (last - first).total_seconds() / 3600
    return f"{start} +{hours:.0f}h" if hours < 48 else f"{start} +{hours / 24:.0f}d"


@app.command()
def stories(
    store: StoreOption = None,
    limit: Annotated[int, typer.Option(help="How many stories to list.")] = 30,
    sort: Annotated[str, typer.Option(help="recency, size or velocity.")] = "recency",
) -> None:
    """List stories: size, outlets, languages and time span."""
    if sort not in ("recency", "size", "velocity"):
        raise typer.BadParameter("sort must be recency, size or velocity", param_hint="--sort")
    with open_store(store) as opened:
        listed = opened.list_stories(sort=sort, limit=limit)  # type: ignore[arg-type]
        table = Table(title=f"{opened.count_stories()} stories in {opened.url}")
        for column in ("story", "size", "outlets", "languages", "span", "thread", "title"):
            table.add_column(column, overflow="fold" if column == "title" else "ellipsis")
        for story in listed:
            articles = [a for a in (opened.get_article(i) for i in story.article_ids) if a is not None]
            outlets = Counter(a.source or "?" for a in articles)
            langs = Counter(a.lang or "?" for a in articles)
            table.add_row(
                story.id,
                str(story.size),
                ", ".join(name for name, _ in outlets.most_common(3)) + (" …" if len(outlets) > 3 else ""),
                ", ".join(lang for lang, _ in langs.most_common()),
                _span(story.first_seen, story.last_seen),
                story.thread_id or "",
                story.title,
            )
    console.print(table)
