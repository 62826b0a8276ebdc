"""Speed and robustness of `analyse_story` on gold story clusters (e.g. ../shared/data/clustering/*.jsonl).

Groups the file's articles by `cluster_id`, analyses every story with at least `--min-size` articles and
prints stories/s, how many facts were shared, several or unique, and how many summaries met the contract.

    .venv/bin/python scripts/bench_analyse.py ../shared/data/clustering/giveme5w1h.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from datetime import datetime

from storyweave.analyse import analyse_story
from storyweave.embed import default_embedder
from storyweave.models import Article


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--min-size", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    stories: dict[str, list[Article]] = defaultdict(list)
    with open(args.path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"]) if row.get("published") else None
            text = row.get("text") or ""
            article = Article(
                id=row["id"], title=row.get("title") or "", text=text, source=row.get("source"),
                lang=row.get("lang"), published=published,
            )  # fmt: skip
            stories[str(row["cluster_id"])].append(article)
    chosen = [a for a in stories.values() if len(a) >= args.min_size][: args.limit]
    default_embedder().embed(["warm up"])
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
