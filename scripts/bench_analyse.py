"""Speed and robustness of `analyse_story` on gold story clusters (e.g. ../shared/data/clustering/*.jsonl).

Default: groups the file's articles by `cluster_id`, analyses every story with at least `--min-size`
articles and prints stories/s, how many facts were shared, several or unique, and how many summaries met
the contract.

    .venv/bin/python scripts/bench_analyse.py ../shared/data/clustering/giveme5w1h.jsonl

`--story-size N` instead builds `--stories` stories of exactly N reports (gold clusters joined in file
order) and times each analysis twice: *cold* (nothing prepared or cached: every article is split, parsed
and embedded during the analysis) and *warm*, as the web server's worker runs it: the articles were
prepared when stored (`prepare_articles`, kept in a SQLite store with `save_prepared`), the process's
caches are emptied, and the time counts reading the records back (`load_prepared`) and the analysis.
Each is repeated `--repeat` times; it prints p50/p95 of both, the load average, and the time of a fixed
reference workload (bench_report's) measured in the same run, with each p95's ratio to it, so figures
from a busy machine can be compared. `--no-cold` skips the slow cold runs.

    .venv/bin/python scripts/bench_analyse.py ../shared/data/clustering/giveme5w1h.jsonl --story-size 30
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime

import numpy as np
from bench_report import reference_seconds

from storyweave.analyse import analyse_story, load_prepared, nlp, prepare_articles, save_prepared
from storyweave.embed import DEFAULT_SPEC, shared_embedder
from storyweave.models import Article
from storyweave.store import open_store


def read_stories(path: str) -> dict[str, list[Article]]:
    stories: dict[str, list[Article]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"]) if row.get("published") else None
            article = Article(
                id=row["id"], title=row.get("title") or "", text=row.get("text") or "",
                source=row.get("source"), lang=row.get("lang"), published=published,
            )  # fmt: skip
            stories[str(row["cluster_id"])].append(article)
    return stories


def sized_stories(stories: dict[str, list[Article]], size: int, count: int) -> list[list[Article]]:
    """`count` stories of `size` reports: gold clusters joined in file order (no report twice)."""
    pool = [a for cluster in stories.values() for a in cluster]
    return [pool[i * size : (i + 1) * size] for i in range(min(count, len(pool) // size))]


def timed_sizes(args, stories: dict[str, list[Article]]) -> None:
    embedder = shared_embedder(DEFAULT_SPEC)
    chosen = sized_stories(stories, args.story_size, args.stories)
    analyse_story(chosen[0][:2])  # models load once per process, not per story
    reference = [reference_seconds()]
    cold, warm = [], []
    with tempfile.TemporaryDirectory() as tmp, open_store(os.path.join(tmp, "bench.db")) as store:
        for articles in chosen:  # what the store-time worker does, once per article
            save_prepared(store, prepare_articles(articles, embedder))
        for articles in chosen:
            for _ in range(args.repeat):
                if not args.no_cold:
                    nlp.forget()
                    start = time.perf_counter()
                    analyse_story(articles, time_budget=1e9)
                    cold.append(time.perf_counter() - start)
                nlp.forget()
                start = time.perf_counter()
                prepared = load_prepared(store, articles, embedder.name)
                analyse_story(articles, time_budget=1e9, prepared=prepared)
                warm.append(time.perf_counter() - start)
                if len(prepared) != len(articles):
                    raise SystemExit(f"only {len(prepared)} of {len(articles)} prepared records were read")
    reference.append(reference_seconds())
    load = os.getloadavg()
    ref = float(np.mean(reference))
    print(f"{len(chosen)} stories of {args.story_size} reports, {args.repeat} runs each; load {load[0]:.1f}; "
          f"reference workload {ref:.2f}s")  # fmt: skip
    for name, times in (("cold (nothing prepared)", cold), ("warm (articles prepared)", warm)):
        if times:
            p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
            print(f"{name:25s} p50 {p50:.2f}s p95 {p95:.2f}s  (p95 = {p95 / ref:.2f}x the reference)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--min-size", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--story-size", type=int, default=None)
    parser.add_argument("--stories", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-cold", action="store_true", help="time only the prepared (warm) analysis")
    args = parser.parse_args()
    stories = read_stories(args.path)
    if args.story_size:
        timed_sizes(args, stories)
        return
    chosen = [a for a in stories.values() if len(a) >= args.min_size][: args.limit]
    shared_embedder(DEFAULT_SPEC).embed(["warm up"])
    kinds: Counter = Counter()
    contract = 0
    start = time.perf_counter()
    for articles in chosen:
        report = analyse_story(articles)
        kinds.update(f["kind"] for f in report.facts)
        sentences = report.summary["sentences"]
        contract += 2 <= len(sentences) <= 4 and all(s["sources"] for s in sentences)
    seconds = time.perf_counter() - start
    articles = sum(len(a) for a in chosen)
    print(
        f"{len(chosen)} stories, {articles} articles in {seconds:.1f}s: {len(chosen) / seconds:.2f} stories/s"
    )
    print(
        f"facts: {dict(kinds)}; summaries meeting the 2–4 cited-sentence contract: {contract}/{len(chosen)}"
    )


if __name__ == "__main__":
    main()
