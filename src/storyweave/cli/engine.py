"""Engine-stage commands: list stories, batch clustering, pair similarity, evaluation, benchmark."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from storyweave.cli.app import (
    EmbedderOption,
    StoreOption,
    app,
    console,
    eval_app,
    progress_display,
    read_store,
)
from storyweave.cli.distributed import RayCommand, RayOption
from storyweave.cluster import StoryEngine, default_model
from storyweave.cluster.batch import Record, article_from_record, cluster_articles, read_articles, read_jsonl
from storyweave.cluster.similarity import pair_scores
from storyweave.embed import Embedder, default_embedder, default_spec, embedder_name
from storyweave.embed.parallel import ParallelEmbedder
from storyweave.eval.clustering import TFIDF_BASELINE_THRESHOLD, score_clustering, tfidf_single_pass
from storyweave.eval.pairs import lang_pair, score_pairs
from storyweave.models import Article
from storyweave.store import Store, open_store
from storyweave.words import counted


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
    with read_store(store) as opened:
        listed = opened.list_stories(sort=sort, limit=limit)  # type: ignore[arg-type]
        table = Table(title=Text(f"{counted(opened.count_stories(), 'story', 'stories')} in {opened.url}"))
        table.add_column("story", no_wrap=True, min_width=15)  # whole: copied into `storyweave story ID`
        table.add_column("size", justify="right")
        for column in ("outlets", "languages", "span", "thread"):
            table.add_column(column, overflow="ellipsis", min_width=len(column), max_width=24)
        table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=60)
        for story in listed:
            articles = [a for a in (opened.get_article(i) for i in story.article_ids) if a is not None]
            outlets = Counter(a.source or "?" for a in articles)
            langs = Counter(a.lang or "?" for a in articles)
            cells = (
                story.id,
                str(story.size),
                ", ".join(name for name, _ in outlets.most_common(3)) + (" …" if len(outlets) > 3 else ""),
                ", ".join(lang for lang, _ in langs.most_common()),
                _span(story.first_seen, story.last_seen),
                story.thread_id or "",
                story.title,
            )
            table.add_row(*(Text(cell) for cell in cells))  # untrusted text: never parsed as markup
    Console(width=max(Console().width, 120)).print(table)


@app.command()
def merge(
    story_ids: Annotated[list[str], typer.Argument(help="Stories to merge; the first one keeps its id.")],
    store: StoreOption = None,
) -> None:
    """Merge stories by hand (a running server or ingest picks the change up within a second)."""
    if len(set(story_ids)) < 2:
        raise typer.BadParameter("give at least two different story ids", param_hint="STORY_IDS")
    with read_store(store) as opened:
        missing = [i for i in story_ids if opened.get_story(i) is None]
        if missing:
            console.print(f"[red]no such story: {', '.join(missing)}[/]")
            raise typer.Exit(1)
        engine = StoryEngine(opened)
        survivor = story_ids[0]
        for other in dict.fromkeys(story_ids[1:]):
            survivor = engine.merge(survivor, other)
        story = opened.get_story(survivor)
        console.print(f"merged into {survivor}: {counted(story.size, 'article') if story else '? articles'}")


@app.command()
def split(
    story_id: Annotated[str, typer.Argument(help="The story to split.")],
    article_ids: Annotated[list[str], typer.Argument(help="Articles to move into a new story.")],
    store: StoreOption = None,
) -> None:
    """Move articles out of a story into a new story of the same thread (periodic merges leave both alone)."""
    with read_store(store) as opened:
        if opened.get_story(story_id) is None:
            console.print(f"[red]no such story: {story_id}[/]")
            raise typer.Exit(1)
        try:
            new_id = StoryEngine(opened).split(story_id, article_ids)
        except ValueError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
        moved = opened.get_story(new_id)
        console.print(f"split {moved.size if moved else '?'} article(s) from {story_id} into {new_id}")


@contextmanager
def _engine_store(store: str | None) -> Iterator[Store]:
    """The given store, or an empty throw-away one (batch commands start from empty state by default)."""
    if store is not None:
        with open_store(store) as opened:
            yield opened
        return
    with (
        tempfile.TemporaryDirectory(prefix="storyweave-") as tmp,
        open_store(Path(tmp) / "batch.db") as opened,
    ):
        yield opened


@contextmanager
def _batch_embedder(n_texts: int) -> Iterator[Embedder]:
    """Worker processes on every core for big jobs; the in-process default for small ones."""
    if n_texts < 256 or (os.cpu_count() or 1) < 2:
        yield default_embedder()
        return
    with ParallelEmbedder() as embedder:
        yield embedder


def _cluster_file(
    path: Path, store: str | None, ray: str | None = None
) -> tuple[list[Record], list[str], float]:
    records = read_articles(path)
    start = time.perf_counter()
    with _engine_store(store) as opened, progress_display() as progress:
        task = progress.add_task(f"clustering {path.name}", total=len(records))
        articles = [r.article for r in records]

        def advance(count: int) -> None:
            progress.advance(task, count)

        if ray is not None:
            from storyweave.cli.distributed import cluster_on_ray

            story_ids = cluster_on_ray(ray, store or opened.url, articles, advance)
        else:
            with _batch_embedder(len(records)) as embedder:
                story_ids = cluster_articles(articles, opened, StoryEngine(opened, embedder), advance)
    return records, story_ids, time.perf_counter() - start


@app.command(cls=RayCommand)
def cluster(
    input: Annotated[
        Path, typer.Argument(help="Articles as JSON Lines (id, title, text, lang, published, …).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write {id, story_id} lines, in input order.")],
    store: StoreOption = None,
    embedder: EmbedderOption = None,
    ray: RayOption = None,
) -> None:
    """Group a file of articles into stories with the shipped default engine (empty state unless --store)."""
    records, story_ids, seconds = _cluster_file(input, store, ray)
    with open(out, "w", encoding="utf-8") as handle:
        for record, story_id in zip(records, story_ids, strict=True):
            handle.write(json.dumps({"id": record.article.id, "story_id": story_id}) + "\n")
    console.print(
        f"{counted(len(records), 'article')} → {counted(len(set(story_ids)), 'story', 'stories')}"
        f" in {seconds:.1f}s "
        f"({len(records) / max(seconds, 1e-9):.1f} articles/s); wrote {out}"
    )


def _read_pairs(path: Path) -> list[tuple[dict, Article, Article]]:
    pairs = []
    for number, record in read_jsonl(path):
        where = f"{path}:{number}"
        if "pair_id" not in record:
            console.print(f"[yellow]{where}: no pair_id; skipped[/]")
            continue
        sides = []
        for side in "12":
            fields = {k: record.get(f"{k}{side}") for k in ("title", "text", "lang")}
            sides.append(article_from_record({"id": f"{record['pair_id']}/{side}", **fields}, where))
        pairs.append((record, sides[0], sides[1]))
    return pairs


def _pair_scores(path: Path) -> tuple[list[dict], np.ndarray]:
    pairs = _read_pairs(path)
    with progress_display() as progress:
        progress.add_task(f"scoring {len(pairs)} pairs of {path.name}", total=None)
        with _batch_embedder(2 * len(pairs)) as embedder:
            scores = pair_scores([(a, b) for _, a, b in pairs], embedder)
    return [record for record, _, _ in pairs], scores


@app.command()
def similarity(
    pairs: Annotated[
        Path, typer.Argument(help="Pairs as JSON Lines (pair_id, title1, text1, lang1, title2, …).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write {pair_id, score} lines.")],
    embedder: EmbedderOption = None,
) -> None:
    """Score article pairs in [0, 1]: how likely both report the same event."""
    records, scores = _pair_scores(pairs)
    with open(out, "w", encoding="utf-8") as handle:
        for record, score in zip(records, scores, strict=True):
            handle.write(json.dumps({"pair_id": record["pair_id"], "score": round(float(score), 6)}) + "\n")
    console.print(f"scored {counted(len(records), 'pair')}; wrote {out}")


@eval_app.command("clustering")
def eval_clustering(
    file: Annotated[Path, typer.Argument(help="Labelled articles (JSON Lines with cluster_id).")],
    store: StoreOption = None,
    embedder: EmbedderOption = None,
) -> None:
    """Cluster a labelled file with the default engine; report B³ and pairwise P/R/F1 against cluster_id,
    beside the TF-IDF single-pass baseline on the same file."""
    records, story_ids, seconds = _cluster_file(file, store)
    labels = {n: rec.get("cluster_id") for n, rec in read_jsonl(file)}
    scored = [
        (story, str(labels[r.line])) for r, story in zip(records, story_ids, strict=True) if labels[r.line]
    ]
    if len(scored) < len(records):
        console.print(f"[yellow]{len(records) - len(scored)} records without cluster_id are not scored[/]")
    scores = score_clustering([s for s, _ in scored], [g for _, g in scored])
    baseline_ids = dict(
        zip(
            (r.line for r in records),
            tfidf_single_pass([r.article for r in records]),
            strict=True,
        )
    )
    baseline = score_clustering(
        [baseline_ids[r.line] for r in records if labels[r.line]], [g for _, g in scored]
    )
    table = Table(title=f"{file.name}: {scores.n_items} articles, {seconds:.1f}s")
    for column in ("method", "metric", "precision", "recall", "F1", "stories"):
        table.add_column(column)
    for method, result in (
        ("storyweave", scores),
        (f"TF-IDF single pass (cosine ≥ {TFIDF_BASELINE_THRESHOLD})", baseline),
    ):
        table.add_row(
            method,
            "B³",
            f"{result.b3_precision:.4f}",
            f"{result.b3_recall:.4f}",
            f"{result.b3_f1:.4f}",
            str(result.n_predicted),
        )
        pairwise = (result.pair_precision, result.pair_recall, result.pair_f1)
        table.add_row("", "pairwise", *(f"{v:.4f}" for v in pairwise))
    out = Console()  # results to stdout, like the other evals; diagnostics stay on stderr
    out.print(table)
    out.print(f"stories: {scores.n_predicted} predicted, {scores.n_gold} gold", highlight=False)


@eval_app.command("pairs")
def eval_pairs(
    file: Annotated[Path, typer.Argument(help="Pairs with human `overall` ratings (1-4).")],
    embedder: EmbedderOption = None,
) -> None:
    """Pearson of `similarity` scores with `overall` (sign flipped), per language pair; same-event P/R."""
    records, scores = _pair_scores(file)
    rated = [i for i, r in enumerate(records) if isinstance(r.get("overall"), int | float)]
    if len(rated) < len(records):
        console.print(
            f"[yellow]{len(records) - len(rated)} pairs without a numeric `overall` are not scored[/]"
        )
    langs = [lang_pair(records[i].get("lang1"), records[i].get("lang2")) for i in rated]
    overall = [float(records[i]["overall"]) for i in rated]
    threshold = default_model(embedder_name(default_spec())).pair_threshold
    result = score_pairs(scores[rated], overall, langs, threshold)
    table = Table(title=f"{file.name}: {result.n} pairs")
    table.add_column("languages")
    table.add_column("pairs", justify="right")
    table.add_column("Pearson", justify="right")
    for lang, (value, count) in result.by_lang.items():
        table.add_row(lang, str(count), f"{value:.4f}")
    table.add_row("overall", str(result.n), f"{result.pearson:.4f}", style="bold")
    out = Console()  # results to stdout, like the other evals
    out.print(table)
    out.print(
        f"same event (overall ≤ 2) at score ≥ {threshold:g}: "
        f"precision {result.precision:.4f}, recall {result.recall:.4f}, F1 {result.f1:.4f}",
        highlight=False,
    )


def _data_dir(given: Path | None) -> Path:
    if given is None:
        return _default_data_dir()
    if not (given / "clustering").is_dir():
        raise typer.BadParameter(f"{given} has no clustering/ folder of JSON Lines sets", param_hint="--data")
    return given


def _default_data_dir() -> Path:
    """$STORYWEAVE_SHARED/data, else ../shared/data beside the working directory or beside the checkout, so
    `bench` runs from any directory; a clear one-line error when none holds the clustering sets."""
    shared = os.environ.get("STORYWEAVE_SHARED")
    repo = Path(__file__).resolve().parents[3]
    beside = [Path("..") / "shared" / "data", repo.parent / "shared" / "data"]
    candidates = [Path(shared) / "data"] if shared else beside
    for folder in candidates:
        if (folder / "clustering").is_dir():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise typer.BadParameter(
        f"no shared data folder with clustering/*.jsonl (looked in {looked});"
        " pass --data DIR or set STORYWEAVE_SHARED",
        param_hint="--data",
    )


@app.command()
def bench(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated store sizes to reach.")
    ] = "10000,100000,1000000",
    sample: Annotated[int, typer.Option(help="Placements timed at each size.")] = 1000,
    index: Annotated[str, typer.Option(help="Candidate index: usearch or exact.")] = "usearch",
    per_day: Annotated[int, typer.Option(help="Synthetic articles per simulated day.")] = 5000,
    data: Annotated[Path | None, typer.Option(help="Shared data folder with clustering/*.jsonl.")] = None,
    embedder: EmbedderOption = None,
) -> None:
    """Stream synthetic articles into a fresh store; report clustering latency p50/p99 and RSS per size."""
    try:
        targets = sorted({int(s.replace("_", "")) for s in sizes.split(",") if s.strip()})
    except ValueError as exc:
        raise typer.BadParameter(f"sizes must be integers ({exc})", param_hint="--sizes") from exc
    if not targets or targets[0] <= sample:
        raise typer.BadParameter("every size must exceed --sample", param_hint="--sizes")
    from storyweave.bench import run_bench

    data_dir = _data_dir(data)
    with progress_display() as progress:
        task = progress.add_task("preparing", total=targets[-1])

        def report(label: str, done: int, total: int) -> None:
            progress.update(task, description=label, completed=done)

        results = run_bench(
            targets,
            default_embedder(),
            data_dir,
            sample=sample,
            index=index,
            per_day=per_day,
            on_progress=report,
        )
    table = Table(title=f"clustering step, {sample} timed placements per size, index={index}")
    for column in ("stored", "active stories", "p50 ms", "p99 ms", "pipeline p99 ms", "RSS MB", "fill s"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r.articles:,}",
            f"{r.active_stories:,}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.pipeline_p99_ms:.2f}",
            f"{r.rss_mb:.0f}",
            f"{r.fill_seconds:.0f}",
        )
    console.print(table)
