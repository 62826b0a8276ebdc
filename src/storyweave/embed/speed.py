"""Embedding throughput of one backend on this machine: `python -m storyweave.embed.speed --embedder e5 FILE`.

Texts are the first `--chars` characters (title + text) of the articles in a JSON Lines file that are at
least that long, so every backend sees the same, realistic input.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from storyweave.embed import DEFAULT_SPEC, make_embedder
from storyweave.embed.parallel import ParallelEmbedder


def read_texts(path: Path, chars: int, limit: int) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = f"{record.get('title') or ''}\n{record.get('text') or ''}".strip()
            if len(text) >= chars:
                texts.append(text[:chars])
            if len(texts) >= limit:
                break
    if not texts:
        raise SystemExit(f"{path}: no article with {chars} characters or more")
    return texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSON Lines articles (title, text)")
    parser.add_argument("--embedder", default=DEFAULT_SPEC, help='"use", "e5" or "st:/path/to/model"')
    parser.add_argument("--threads", type=int, default=2, help="threads of the in-process encoder")
    parser.add_argument("--workers", type=int, default=0, help="worker processes instead (ParallelEmbedder)")
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--chars", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)

    texts = read_texts(args.file, args.chars, args.texts)
    if args.workers:
        embedder = ParallelEmbedder(workers=args.workers, spec=args.embedder)
        setup = f"{args.workers} worker processes"
    else:
        embedder = make_embedder(args.embedder, threads=args.threads)
        setup = f"{args.threads} threads"
    embedder.embed(texts[: args.batch])  # load and warm up (workers start here)
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), args.batch):
        embedder.embed(texts[i : i + args.batch])
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if isinstance(embedder, ParallelEmbedder):
        embedder.close()
        per_cpu = ""  # the work is done in the workers, whose CPU time this process does not see
    else:  # CPU time: a figure that other jobs on the machine do not distort the way they distort wall time
        per_cpu = f", {len(texts) / cpu_seconds:.1f} texts per CPU second"
    print(
        f"{embedder.name}: {len(texts) / seconds:.1f} texts/s{per_cpu} ({len(texts)} texts of {args.chars} "
        f"chars, {setup}, batches of {args.batch}; load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
