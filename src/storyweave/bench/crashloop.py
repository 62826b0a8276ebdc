"""Crash-loop benchmark: `storyweave ingest` killed with SIGKILL at random moments, restarted each time.

    python -m storyweave.bench.crashloop --articles 10000 --kills 5 --out crash.json

Measures, per life: articles stored when it started and when it was killed, and seconds from its start to its
first newly stored article (the issue asks for progress within 10 s of every restart). Then the run is
completed and checked: every input article stored exactly once and placed in a story. With `--reference`
the same input is also ingested without interruption and the two partitions into stories are compared.
The input is built from the shared clustering sets (`../shared/data/clustering`, or `--data`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLI = [sys.executable, "-c", "from storyweave.cli import main; main()"]
SETS = ("uci_headlines", "allsides", "giveme5w1h", "wikinews", "ecbplus_dev")


@dataclass
class Life:
    """One started ingest: when it was killed and what it had stored by then."""

    lived_s: float
    stored_at_start: int
    stored_at_end: int
    first_new_after_s: float | None
    """Seconds from process start to the first article stored in this life (None: nothing stored)."""


@dataclass
class Outcome:
    articles: int
    lives: list[Life] = field(default_factory=list)
    final_s: float = 0.0
    stored: int = 0
    missing: list[str] = field(default_factory=list)
    unplaced: int = 0
    reference_s: float | None = None
    different_story: int | None = None
    """Articles whose story (as its set of members) differs from the uninterrupted run's."""


def build_input(data: Path, count: int, out: Path) -> list[str]:
    """`count` records from the shared sets, round-robin over them, in a fixed order; their ids. Records the
    store would take as copies of earlier ones (same content hash or canonical URL) are left out, so that
    "every article stored exactly once" can be checked by id."""
    from storyweave.ingest.readers import article_from_record

    files = [data / f"{name}.jsonl" for name in SETS if (data / f"{name}.jsonl").exists()]
    pools = [[json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line] for f in files]
    records: list[dict] = []
    seen: set[str] = set()
    for index in range(max(len(p) for p in pools)):
        for record in (pool[index] for pool in pools if index < len(pool)):
            article = article_from_record(record)
            keys = {article.hash, article.canonical_url or article.hash, article.id}
            if not keys & seen and len(records) < count:
                seen |= keys
                records.append(record)
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            record.pop("cluster_id", None)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return [str(r["id"]) for r in records]


def stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0


def ingest(source: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "ingest", str(source), "--store", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def life(source: Path, db: Path, lifetime: float, kill_at: int | None = None) -> Life:
    """Start an ingest, watch the store, SIGKILL the whole process group after `lifetime` seconds, or as soon
    as the store holds `kill_at` articles (a moment that falls mid-run on a fast or a slow machine alike)."""
    before = stored_count(db)
    started = time.monotonic()
    process = ingest(source, db)
    first_new = None
    while time.monotonic() - started < lifetime and process.poll() is None:
        stored = stored_count(db)
        if first_new is None and stored > before:
            first_new = time.monotonic() - started
        if kill_at is not None and stored >= kill_at:
            break
        time.sleep(0.1)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if first_new is None and stored_count(db) > before:
        first_new = time.monotonic() - started
    lived = round(time.monotonic() - started, 2)
    return Life(lived, before, stored_count(db), first_new and round(first_new, 2))


def partition(db: Path) -> dict[str, frozenset[str]]:
    """Article id -> the ids of its story's members."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, story_id FROM articles").fetchall()
    members: dict[str, set[str]] = defaultdict(set)
    for article_id, story_id in rows:
        members[story_id].add(article_id)
    return {article_id: frozenset(members[story_id]) for article_id, story_id in rows}


def run(
    workdir: Path, data: Path, articles: int, kills: int, *, seed: int = 0, min_life: float = 3.0,
    max_life: float = 20.0, reference: bool = False, by_progress: bool = False,
) -> Outcome:
    """`kills` lives of random length in [min_life, max_life] s, then a final uninterrupted run. With
    `by_progress`, each life is also killed once it has stored a random share (up to half) of what was
    left, so every kill interrupts a run in progress whatever the machine's speed."""
    workdir.mkdir(parents=True, exist_ok=True)
    source, db = workdir / "input.jsonl", workdir / "crash.db"
    ids = build_input(data, articles, source)
    outcome = Outcome(articles=len(ids))
    rng = random.Random(seed)
    for _ in range(kills):
        lifetime = rng.uniform(min_life, max_life)
        kill_at = None
        if by_progress:
            before = stored_count(db)
            kill_at = before + rng.randint(1, max(1, (len(ids) - before) // 2))
        outcome.lives.append(life(source, db, lifetime, kill_at))
    started = time.monotonic()
    final = ingest(source, db)
    final.wait()
    outcome.final_s = round(time.monotonic() - started, 1)
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT id, story_id FROM articles").fetchall())
    outcome.stored = len(rows)
    outcome.missing = sorted(set(ids) - set(rows))
    outcome.unplaced = sum(1 for story in rows.values() if story is None)
    if reference:
        ref_db = workdir / "reference.db"
        started = time.monotonic()
        ingest(source, ref_db).wait()
        outcome.reference_s = round(time.monotonic() - started, 1)
        crashed, uninterrupted = partition(db), partition(ref_db)
        outcome.different_story = sum(1 for a in uninterrupted if crashed.get(a) != uninterrupted[a])
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-life", type=float, default=3.0)
    parser.add_argument("--max-life", type=float, default=45.0)
    parser.add_argument("--reference", action="store_true", help="also run uninterrupted and compare stories")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/clustering"))
    parser.add_argument("--workdir", type=Path, default=Path("storyweave-data/crashloop"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    for stale in args.workdir.glob("*.db*"):
        stale.unlink()
    outcome = run(
        args.workdir, args.data, args.articles, args.kills, seed=args.seed, min_life=args.min_life,
        max_life=args.max_life, reference=args.reference,
    )
    report = json.dumps({**asdict(outcome), "missing": outcome.missing[:20]}, indent=1)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
