"""Throughput of `storyweave cluster` on full-text articles, with a reference measured in the same run.

    .venv/bin/python scripts/bench_cluster_throughput.py [FILE] [--embedder use]

FILE defaults to ../shared/data/clustering/giveme5w1h.jsonl (383 full-text articles). Timed: the whole
`storyweave cluster FILE --out ...` command as a user runs it (start-up, reading, embedding in worker
processes, clustering, store writes). Reference: embedding the same texts alone, with the same worker
processes, before and after; on a shared machine only the ratio cluster / embedding-alone is comparable
between runs (1.0 = clustering costs nothing beyond the encoder). The load average is printed beside.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyweave.cluster.batch import read_articles
from storyweave.cluster.engine import embed_text
from storyweave.embed.parallel import ParallelEmbedder

ROOT = Path(__file__).resolve().parents[1]


def embed_rate(texts: list[str], spec: str) -> float:
    """Texts/s of the encoder alone, in the worker processes `cluster` uses (start-up not counted)."""
    with ParallelEmbedder(spec=spec) as embedder:
        embedder.embed(texts[:8])  # workers up and weights loaded
        start = time.perf_counter()
        embedder.embed(texts)
        return len(texts) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = ROOT.parent / "shared" / "data" / "clustering" / "giveme5w1h.jsonl"
    parser.add_argument("file", type=Path, nargs="?", default=default)
    parser.add_argument("--embedder", default="use")
    args = parser.parse_args()
    texts = [embed_text(r.article) for r in read_articles(args.file) if r.article is not None]
    before = embed_rate(texts, args.embedder)
    cli = Path(sys.executable).with_name("storyweave")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [str(cli), "cluster", str(args.file), "--out", str(Path(tmp) / "out.jsonl")],
            check=True,
            env={**os.environ, "STORYWEAVE_EMBEDDER": args.embedder},
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
    after = embed_rate(texts, args.embedder)
    reference = (before + after) / 2
    rate = len(texts) / seconds
    print(
        f"{args.file.name}: {len(texts)} articles, cluster {rate:.1f} articles/s "
        f"(whole command, {seconds:.1f} s); "
        f"embedding alone {reference:.1f} texts/s (before {before:.1f}, after {after:.1f}); "
        f"ratio {rate / reference:.2f}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
