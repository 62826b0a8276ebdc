"""Every statement `text.statement_sentences` keeps from the shared articles, one JSON line per article.

    .venv/bin/python scripts/dump_statements.py OUT.jsonl [--shared ../shared] [--sets giveme5w1h ...]

Run it on two revisions (e.g. with PYTHONPATH pointing at `git archive main src` unpacked) and compare the
outputs with `--compare A.jsonl B.jsonl`, which prints how many statements changed, were dropped or added
and a sample of changed ones to read for false cuts.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from storyweave.analyse.text import statement_sentences

SETS = ("giveme5w1h", "wikinews", "ecbplus_dev")


def dump(shared: Path, sets: list[str], out: Path) -> None:
    with out.open("w", encoding="utf-8") as sink:
        for name in sets:
            for line in (shared / "data" / "clustering" / f"{name}.jsonl").open(encoding="utf-8"):
                row = json.loads(line)
                kept = statement_sentences(row.get("text") or "", row.get("lang"))
                sink.write(json.dumps({"id": row["id"], "statements": kept}, ensure_ascii=False) + "\n")


def compare(before: Path, after: Path, sample: int) -> None:
    old = {r["id"]: r["statements"] for r in map(json.loads, before.open(encoding="utf-8"))}
    new = {r["id"]: r["statements"] for r in map(json.loads, after.open(encoding="utf-8"))}
    dropped, added, articles = [], [], 0
    for ident, statements in old.items():
        gone = [s for s in statements if s not in set(new.get(ident, []))]
        came = [s for s in new.get(ident, []) if s not in set(statements)]
        dropped += [(ident, s) for s in gone]
        added += [(ident, s) for s in came]
        articles += bool(gone or came)
    total = sum(map(len, old.values()))
    print(f"{total} statements in {len(old)} articles before, {sum(map(len, new.values()))} after; "
          f"{len(dropped)} no longer kept as they were, {len(added)} new or changed, in {articles} articles")
    for ident, sentence in random.Random(0).sample(added, min(sample, len(added))):
        print(f"+ {ident[:16]}  {sentence[:160]}")
    for ident, sentence in random.Random(0).sample(dropped, min(sample, len(dropped))):
        print(f"- {ident[:16]}  {sentence[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--sample", type=int, default=30)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.sample)
    else:
        dump(args.shared, args.sets, args.out)


if __name__ == "__main__":
    main()
