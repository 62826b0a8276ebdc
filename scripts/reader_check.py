"""The issue filer's store, checked as a reader would: seeds + giveme5w1h + wikinews ingested into one store,
then the largest stories with their date span and cohesion, the stories wider than the engine's time window,
and, for stories of three reports or more, the share of the largest gold story among their reports (purity)
beside their cohesion.

    .venv/bin/python scripts/reader_check.py [--store reader.db] [--shared ../shared] [--keep] [--marks 5]

`--keep` reads an existing store instead of building it anew; `--marks N` analyses the N largest stories
and counts the matrix's claims: ★ (a fact only this outlet reports), ○ (a main fact it leaves out) and ≈
(it says something close).

Serve the store afterwards (`storyweave serve --store reader.db`) to read its pages in a browser.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from storyweave import StoryWeave

SETS = ["giveme5w1h", "wikinews"]
WINDOW_DAYS = 7


def _marks(report: dict) -> tuple[int, int, int, int]:
    """Facts, ★, ○ and ≈ marks of a story's matrix."""
    outlets = report["outlets"].values()
    alone, left_out = sum(len(e["unique"]) for e in outlets), sum(len(e["omitted"]) for e in outlets)
    return len(report["facts"]), alone, left_out, sum(len(f.get("close", [])) for f in report["facts"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=Path("reader.db"))
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--keep", action="store_true", help="read the store as it is")
    parser.add_argument("--marks", type=int, default=0, metavar="N", help="the N largest stories' marks")
    args = parser.parse_args()
    if not args.keep:
        args.store.unlink(missing_ok=True)
    gold: dict[str, str] = {}
    with StoryWeave(args.store) as sw:
        if not args.keep:
            sw.ingest(args.shared / "seeds")
        for name in SETS:
            path = args.shared / "data" / "clustering" / f"{name}.jsonl"
            if not args.keep:
                sw.ingest(path)
            with open(path, encoding="utf-8") as handle:
                gold.update({r["id"]: r["cluster_id"] for r in map(json.loads, handle)})
        stories = [s for offset in range(0, 10_000, 200) for s in sw.stories(limit=200, offset=offset)]
        members = {s.id: sw.articles(s.id) for s in stories}
        largest = sorted(stories, key=lambda s: -len(members[s.id]))[: args.marks]
        marks = [(story, _marks(sw.report(story.id).to_dict())) for story in largest]
    rows = []
    for story in stories:
        articles = members[story.id]
        dates = sorted(a.published for a in articles if a.published)
        span = (dates[-1] - dates[0]).days if dates else None
        labels = [gold.get(a.id) for a in articles]
        purity = max(labels.count(label) for label in set(labels)) / len(labels)
        rows.append((len(articles), span, story.cohesion, purity, story.title))
    print(f"{len(stories)} stories; largest:")
    for size, span, cohesion, purity, title in sorted(rows, key=lambda r: -r[0])[:15]:
        print(f" {size:3d} reports, {span} d, cohesion {cohesion or 0:.2f}, purity {purity:.2f} {title[:59]}")
    wide = [r for r in rows if r[1] is not None and r[1] > WINDOW_DAYS]
    print(f"{len(wide)} stories span more than {WINDOW_DAYS} days:")
    for size, span, _, purity, title in wide:
        print(f"  {span} d, {size} reports, purity {purity:.2f}  {title[:80]}")
    if marks:
        print("matrix marks of the largest stories (facts, ★ only this outlet, ○ left out, ≈ close):")
    for story, (facts, alone, left_out, close) in marks:
        counts = f"{facts:4d} facts, ★ {alone:3d}, ○ {left_out:3d}, ≈ {close:3d}"
        print(f"  {counts}  {story.id} {story.title[:55]}")
    print("stories of 3+ reports by cohesion (cohesion, purity, reports, title):")
    larger = sorted((r for r in rows if r[0] >= 3 and r[2]), key=lambda r: r[2])
    for size, _, cohesion, purity, title in larger:
        print(f"  {cohesion:.3f} {purity:.2f} {size:3d}  {title[:70]}")


if __name__ == "__main__":
    main()
