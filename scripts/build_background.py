"""Build the background word weights the story engine ships (src/storyweave/cluster/background_df.json.gz).

    .venv/bin/python scripts/build_background.py [--data ../shared/data] [--max-terms 60000]

Why: a word's weight (idf) must not come from the input being clustered, or the same article scores
differently in every file, and a feed's first articles have no statistics at all. The background corpus is
news the clustering benchmarks never contain: the NeuS train and val stories (AllSides title + lead; those
sharing an article with clustering/allsides.jsonl left out) and the SemEval-2022 pair articles (ten
languages). Terms are counted with the engine's own tokeniser (`profile.text_features`); terms in fewer than
two documents are dropped (unseen terms get the rarest weight), and at most `--max-terms` are kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from storyweave.cluster.batch import read_jsonl
from storyweave.cluster.profile import BACKGROUND_FILE, text_features

ROOT = Path(__file__).resolve().parents[1]


def _key(title: str) -> str:
    return " ".join(title.split()).rstrip(".").strip().casefold()


def documents(data: Path):
    """(title, text) of every background document."""
    excluded = {_key(r.get("title") or "") for _, r in read_jsonl(data / "clustering" / "allsides.jsonl")}
    for split in ("train", "val"):
        for _, record in read_jsonl(data / "summaries" / f"neus_{split}.jsonl"):
            members = record.get("articles") or []
            if any(_key(m.get("title") or "") in excluded for m in members):
                continue
            for member in members:
                yield member.get("title") or "", member.get("text") or ""
    seen: set[str] = set()
    for _, record in read_jsonl(data / "pairs" / "semeval2022_dev.jsonl"):
        for side, article_id in zip("12", str(record.get("pair_id", "")).split("_"), strict=False):
            if article_id in seen:
                continue
            seen.add(article_id)
            yield record.get(f"title{side}") or "", record.get(f"text{side}") or ""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--max-terms", type=int, default=60_000)
    args = parser.parse_args()
    df: Counter = Counter()
    n_docs = 0
    for title, text in documents(args.data):
        df.update(text_features(title, text).terms.keys())
        n_docs += 1
    kept = dict(
        sorted(((t, c) for t, c in df.items() if c >= 2), key=lambda tc: (-tc[1], tc[0]))[: args.max_terms]
    )
    out = ROOT / "src" / "storyweave" / "cluster" / BACKGROUND_FILE
    payload = json.dumps({"n_docs": n_docs, "df": kept}, ensure_ascii=False, sort_keys=True)
    with gzip.GzipFile(out, "wb", mtime=0) as handle:  # mtime 0: the same input gives the same bytes
        handle.write(payload.encode("utf-8"))
    print(f"{n_docs} documents, {len(kept)} terms -> {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
