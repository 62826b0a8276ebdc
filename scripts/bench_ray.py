"""Scale benchmark of the Ray driver against the single-process commands, on the same full-text input.

    python scripts/bench_ray.py --store-pg postgresql://storyweave:storyweave@127.0.0.1:5432/storyweave_test

Input: the first --articles records of giveme5w1h (full texts, JSON Lines) plus --pages HTML pages of the
extraction benchmark (so reading includes real extraction). Runs, one after the other in this process so that
they see the same machine load: single-process `cluster` (ParallelEmbedder, as the command uses for large
inputs) and `ingest` on SQLite; local Ray (`--ray local`: one node, all cores) for both; then `ingest` on a
Ray cluster simulated on loopback with 1, 2 and 4 nodes of 1 CPU each, on PostgreSQL. Throughput excludes
start-up (Ray and model loading, reported apart). Per-stage seconds are summed over workers. The decision
actor's per-article cost gives its ceiling: 1 / cost articles/s, whatever the number of workers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # simulated nodes on 127.0.0.1 only

from storyweave.cluster import StoryEngine  # noqa: E402
from storyweave.cluster.batch import cluster_articles, read_articles  # noqa: E402
from storyweave.distributed import RayIngestor, RayRunner, cluster_on_ray  # noqa: E402
from storyweave.embed import default_embedder  # noqa: E402
from storyweave.embed.parallel import ParallelEmbedder  # noqa: E402
from storyweave.ingest import Ingestor, expand  # noqa: E402
from storyweave.pipeline import Pipeline  # noqa: E402
from storyweave.store import open_store  # noqa: E402


def make_input(data: Path, articles: int, pages: int, folder: Path) -> tuple[Path, list[str]]:
    lines = (data / "clustering" / "giveme5w1h.jsonl").read_text(encoding="utf-8").splitlines(True)
    jsonl = folder / "articles.jsonl"
    jsonl.write_text("".join(lines[:articles]), encoding="utf-8")
    html = sorted((data / "extraction" / "aeb" / "html").glob("*.html.gz"))[:pages]
    return jsonl, [str(jsonl), *map(str, html)]


@contextlib.contextmanager
def pg_schema(base: str):
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def row(name: str, count: int, seconds: float, stats=None, startup: float | None = None) -> dict:
    """One result, also printed at once (a long run that fails later keeps what it measured)."""
    out = {"run": name, "articles": count, "seconds": seconds, "rate": count / seconds, "startup": startup}
    if stats is not None:
        s = stats.stages
        out.update(workers=stats.workers, nodes=stats.nodes, read=s.read, embed=s.embed, decide=s.decide,
                   analyse=s.analyse, decide_ms=1000 * s.decide / max(stats.placed, 1))  # fmt: skip
        placed = max(stats.placed, 1)
        out.update(worker_cpu_ms=1000 * (stats.cpu.read + stats.cpu.embed) / placed,
                   decide_cpu_ms=1000 * stats.cpu.decide / placed)  # fmt: skip
    print(f"{out}  load {os.getloadavg()[0]:.1f}", flush=True)
    return out


def one_cluster(jsonl: Path, tmp: Path) -> dict:
    articles = [r.article for r in read_articles(jsonl)]
    with open_store(tmp / "one-cluster.db") as store, ParallelEmbedder() as embedder:
        embedder.embed(["warm", "up"])
        start = time.perf_counter()
        cluster_articles(articles, store, StoryEngine(store, embedder))
        return row("single process: cluster", len(articles), time.perf_counter() - start)


def one_ingest(inputs: list[str], tmp: Path) -> dict:
    embedder = default_embedder()
    embedder.embed(["warm up"])
    with open_store(tmp / "one-ingest.db") as store:
        start = time.perf_counter()
        summary = Ingestor(Pipeline(store, StoryEngine(store, embedder))).run(expand(inputs))
        return row("single process: ingest", summary.added, time.perf_counter() - start)


def started(store: str, **options) -> tuple[RayRunner, float]:
    start = time.perf_counter()
    runner = RayRunner(store, **options)
    runner.ray.get([p.pid.remote() for p in runner.preparers])  # models loaded
    return runner, time.perf_counter() - start


def ray_ingest(name: str, store: str, inputs: list[str], analyse: int = 0, **options) -> list[dict]:
    runner, startup = started(store, **options)
    with open_store(store) as opened, runner:
        start = time.perf_counter()
        summary = RayIngestor(opened, runner).run(expand(inputs))
        rows = [row(name, summary.added, time.perf_counter() - start, runner.stats, startup)]
        if analyse:
            stories = [opened.get_story(s) for s in runner.stats.touched]  # None: merged away since
            biggest = sorted((s for s in stories if s is not None), key=lambda s: s.size, reverse=True)
            stories = [s.id for s in biggest[:analyse]]
            start = time.perf_counter()
            runner.analyse(stories)
            label = f"{name}: analyse {len(stories)} stories"
            rows.append(row(label, len(stories), time.perf_counter() - start, runner.stats))
    return rows


def ray_cluster(name: str, jsonl: Path, store: str, **options) -> dict:
    articles = [r.article for r in read_articles(jsonl)]
    runner, startup = started(store, **options)
    with runner:
        start = time.perf_counter()
        cluster_on_ray(articles, runner)
        return row(name, len(articles), time.perf_counter() - start, runner.stats, startup)


def simulated(nodes: int, pg: str, inputs: list[str]) -> list[dict]:
    import ray
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    ray_constants.ENABLE_RAY_CLUSTER = False
    node = {"num_cpus": 1, "object_store_memory": 80 * 2**20, "node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(**node)
    ray.init(address=cluster.address, logging_level="WARNING")
    try:
        with pg_schema(pg) as url:
            return ray_ingest(f"Ray, {nodes} simulated node(s) of 1 CPU: ingest", url, inputs)
    finally:
        ray.shutdown()
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--articles", type=int, default=256)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--analyse", type=int, default=4, help="stories analysed after the local Ray ingest")
    parser.add_argument("--nodes", default="1,2,4")
    parser.add_argument("--store-pg", default=os.environ.get("STORYWEAVE_TEST_POSTGRES"))
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load before: {os.getloadavg()}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        tmp = Path(folder)
        jsonl, inputs = make_input(args.data, args.articles, args.pages, tmp)
        if not args.skip_local:
            rows.append(one_cluster(jsonl, tmp))
            rows.append(one_ingest(inputs, tmp))
            rows.append(ray_cluster("local Ray (2 cores): cluster", jsonl, str(tmp / "ray-cluster.db"),
                                    address="local"))  # fmt: skip
            local = str(tmp / "ray-ingest.db")
            rows += ray_ingest("local Ray (2 cores): ingest", local, inputs, args.analyse, address="local")
            import ray

            ray.shutdown()
        if args.store_pg:
            for nodes in (int(n) for n in args.nodes.split(",")):
                rows += simulated(nodes, args.store_pg, inputs)
    print(f"load after: {os.getloadavg()}")
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    columns = ["run", "articles", "s", "articles/s", "start-up s", "read/extract s", "embed s", "decide s",
               "decide ms/article"]  # fmt: skip
    print("| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|")
    for r in rows:
        cells = [r["run"], r["articles"], f"{r['seconds']:.1f}", f"{r['rate']:.2f}"]
        cells.append(f"{r['startup']:.1f}" if r["startup"] is not None else "—")
        keys = ("read", "embed", "decide", "decide_ms")
        cells += [f"{r[k]:.1f}" for k in keys] if "read" in r else ["—"] * 4
        print("| " + " | ".join(map(str, cells)) + " |")
        if r.get("analyse"):
            print(f"analysis: {r['analyse']:.1f} s summed over tasks for {r['articles']} stories")
    print("\nCPU per article (load-independent): workers (read+embed) and the decision actor; projected rate")
    print("with N idle cores for workers = min(N / worker cost, 1 / actor cost):")
    print("| run | worker CPU ms/article | actor CPU ms/article | actor ceiling/s", end="")
    print(" | N=1 | 2 | 4 | 8 | 16 | 32 |")
    print("|---" * 10 + "|")
    for r in rows:
        if not r.get("decide_cpu_ms") or "analyse " in r["run"]:
            continue
        worker, actor = r["worker_cpu_ms"], r["decide_cpu_ms"]
        projected = [min(n * 1000 / worker, 1000 / actor) for n in (1, 2, 4, 8, 16, 32)]
        cells = [r["run"], f"{worker:.0f}", f"{actor:.1f}", f"{1000 / actor:.0f}"]
        cells += [f"{p:.0f}" for p in projected]
        print("| " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
