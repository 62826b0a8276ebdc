"""Crash-loop benchmark: `storyweave ingest` (or `watch`) killed with SIGKILL at random moments, restarted.

    python -m storyweave.bench.crashloop --articles 10000 --kills 5 --out crash.json

Measures, per life: articles stored when it started and when it was killed, and seconds from its start to its
first newly stored article (the issue asks for progress within 10 s of every restart). Then the run is
completed and checked: every input article stored exactly once and placed in a story. With `--reference`
the same input is also ingested without interruption and the two partitions into stories are compared.
The input is built from the shared clustering sets (`../shared/data/clustering`, or `--data`).

`watch_loop` drives `storyweave watch` the same way over feeds someone serves (tests/test_crash.py serves
them from the loopback news web): each life is a `watch`, the completing run a `watch --once`, and articles
are checked by URL.
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
from typing import Any

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


@dataclass
class Job:
    """What a crash loop drives: the CLI arguments of one life and of the completing run, and how stored
    articles are told apart (`key`: the `articles` column that names each input article once)."""

    db: Path
    life: list[str]
    final: list[str]
    key: str = "id"

    def start(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )


def ingest_job(source: Path, db: Path) -> Job:
    args = ["ingest", str(source), "--store", str(db)]
    return Job(db, args, args)


def watch_job(db: Path, allow_host: str = "127.0.0.1") -> Job:
    """`watch` of the feeds the store follows (fast polling of one loopback host); completed by `--once`."""
    args = ["watch", "--store", str(db), "--allow-host", allow_host, "--host-delay", "0.02"]
    return Job(db, args, [*args, "--once"], key="url")


def life(job: Job, lifetime: float, kill_at: int | None = None) -> Life:
    """Start a life, watch the store, SIGKILL the whole process group after `lifetime` seconds, or as soon
    as the store holds `kill_at` articles (a moment that falls mid-run on a fast or a slow machine alike)."""
    db = job.db
    before = stored_count(db)
    started = time.monotonic()
    process = job.start(job.life)
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


def crash_loop(
    job: Job, expected: list[str], kills: int, *, seed: int = 0, min_life: float = 3.0,
    max_life: float = 20.0, by_progress: bool = False,
) -> Outcome:
    """`kills` lives of random length in [min_life, max_life] s, then a completing run, and the end state
    checked against the `expected` keys. With `by_progress`, each life is also killed once it has stored a
    random share (up to half) of what was left, so every kill interrupts a run in progress whatever the
    machine's speed."""
    outcome = Outcome(articles=len(expected))
    rng = random.Random(seed)
    for _ in range(kills):
        lifetime = rng.uniform(min_life, max_life)
        kill_at = None
        if by_progress:
            before = stored_count(job.db)
            kill_at = before + rng.randint(1, max(1, (len(expected) - before) // 2))
        outcome.lives.append(life(job, lifetime, kill_at))
    started = time.monotonic()
    job.start(job.final).wait()
    outcome.final_s = round(time.monotonic() - started, 1)
    with sqlite3.connect(job.db) as conn:
        rows = conn.execute(f"SELECT {job.key}, story_id FROM articles").fetchall()  # noqa: S608 (a column)
    outcome.stored = len(rows)
    outcome.missing = sorted(set(expected) - {key for key, _ in rows})
    outcome.unplaced = sum(1 for _, story in rows if story is None)
    return outcome


def run(
    workdir: Path, data: Path, articles: int, kills: int, *, seed: int = 0, min_life: float = 3.0,
    max_life: float = 20.0, reference: bool = False, by_progress: bool = False,
) -> Outcome:
    """The crash loop of `ingest` over `articles` records of the shared sets (see `crash_loop`); with
    `reference`, also one uninterrupted run, whose stories are compared."""
    workdir.mkdir(parents=True, exist_ok=True)
    source, db = workdir / "input.jsonl", workdir / "crash.db"
    ids = build_input(data, articles, source)
    outcome = crash_loop(
        ingest_job(source, db), ids, kills, seed=seed, min_life=min_life, max_life=max_life,
        by_progress=by_progress,
    )
    if reference:
        ref_db = workdir / "reference.db"
        started = time.monotonic()
        uninterrupted_run = ingest_job(source, ref_db)
        uninterrupted_run.start(uninterrupted_run.final).wait()
        outcome.reference_s = round(time.monotonic() - started, 1)
        crashed, uninterrupted = partition(db), partition(ref_db)
        outcome.different_story = sum(1 for a in uninterrupted if crashed.get(a) != uninterrupted[a])
    return outcome


def watch_loop(
    db: Path, feeds: list[str], urls: list[str], kills: int, *, allow_host: str = "127.0.0.1", **options: Any
) -> Outcome:
    """The crash loop of `watch` following `feeds` (served on `allow_host`), whose items are the pages at
    `urls`; `options` as for `crash_loop`."""
    from storyweave.feeds import add_feed
    from storyweave.store import SQLiteStore

    with SQLiteStore(db) as store:
        for feed in feeds:
            add_feed(store, feed)
    return crash_loop(watch_job(db, allow_host), urls, kills, **options)


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
