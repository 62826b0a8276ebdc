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
import re
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # simulated nodes on 127.0.0.1 only

from storyweave.cluster import StoryEngine  # noqa: E402
from storyweave.cluster.batch import cluster_articles, read_articles  # noqa: E402
from storyweave.cluster.engine import article_vectors  # noqa: E402
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
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _postgres_cpu(store: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL server process serving this run's connections (those named by
    the `application_name` of `store`, a URL; other clients of the server are not counted)."""
    import psutil
    import psycopg

    name = re.search(r"application_name=(\w+)", store or "")
    if name is None:
        return {}
    with psycopg.connect(store.split("?", 1)[0], autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name.group(1),))]  # fmt: skip
    cpu = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            cpu[pid] = times.user + times.system
    return cpu


def _group(proc, own_postgres: set[int]) -> str:
    """Which part of the run a process is: workers, engine actor, Ray's own processes, the driver, this run's
    PostgreSQL backends, or other users' work."""
    if proc.pid == os.getpid():
        return "driver"
    if proc.pid in own_postgres:
        return "postgres"
    command = " ".join(proc.info["cmdline"] or [])
    if command.startswith("ray::PrepareWorker"):
        return "workers"
    if command.startswith("ray::EngineWorker"):
        return "actor"
    if proc.info["name"] in ("raylet", "gcs_server") or command.startswith("ray::") or "/ray/" in command:
        return "ray system"
    if proc.info["ppid"] == os.getpid():  # the plain-process baseline's embedding processes
        return "workers"
    return "others"


def _cpu_by_process(store: str | None) -> dict[int, tuple[str, float]]:
    """Every process's (group, CPU seconds so far)."""
    import psutil

    own = set(_postgres_cpu(store))
    out = {}
    for proc in psutil.process_iter(["name", "cmdline", "ppid"]):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            out[proc.pid] = (_group(proc, own), times.user + times.system)
    return out


class Meter:
    """Wall seconds of a timed section, with the CPU it cost outside the Ray workers and actor: this
    process (the driver), the PostgreSQL server, and the whole machine's busy cores (other users included)."""

    def __init__(self, store: str | None = None) -> None:
        self.store = store
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.jiffies, self.pg = _busy_jiffies(), _postgres_cpu(store)
        self.processes = _cpu_by_process(store)

    def read(self) -> dict:
        busy, total = _busy_jiffies()
        cores = os.cpu_count() or 1
        groups: dict[str, float] = {}
        for pid, (group, cpu) in _cpu_by_process(self.store).items():
            groups[group] = groups.get(group, 0.0) + cpu - self.processes.get(pid, (group, 0.0))[1]
        return {
            "cpu_groups": {g: round(c, 1) for g, c in sorted(groups.items())},
            "seconds": time.perf_counter() - self.wall,
            "driver_cpu": time.process_time() - self.cpu,
            "postgres_cpu": sum(c - self.pg.get(p, 0.0) for p, c in _postgres_cpu(self.store).items()),
            "busy_cores": cores * (busy - self.jiffies[0]) / max(total - self.jiffies[1], 1),
        }


def row(name: str, count: int, meter: Meter, stats=None, startup: float | None = None) -> dict:
    """One result, also printed at once (a long run that fails later keeps what it measured)."""
    measured = meter.read()
    seconds = measured["seconds"]
    out = {"run": name, "articles": count, "rate": count / seconds, "startup": startup, **measured}
    out["driver_cpu_ms"] = 1000 * measured["driver_cpu"] / max(count, 1)
    out["postgres_cpu_ms"] = 1000 * measured["postgres_cpu"] / max(count, 1)
    if stats is not None:
        s = stats.stages
        out.update(workers=stats.workers, nodes=stats.nodes, read=s.read, embed=s.embed, decide=s.decide,
                   analyse=s.analyse, decide_ms=1000 * s.decide / max(stats.placed, 1))  # fmt: skip
        placed = max(stats.placed, 1)
        out.update(worker_cpu_ms=1000 * (stats.cpu.read + stats.cpu.embed) / placed,
                   read_cpu_ms=1000 * stats.cpu.read / placed, embed_cpu_ms=1000 * stats.cpu.embed / placed,
                   decide_cpu_ms=1000 * stats.cpu.decide / placed)  # fmt: skip
    print(f"{out}  load {os.getloadavg()[0]:.1f}", flush=True)
    return out


def one_cluster(jsonl: Path, tmp: Path) -> dict:
    articles = [r.article for r in read_articles(jsonl)]
    with open_store(tmp / "one-cluster.db") as store, ParallelEmbedder() as embedder:
        embedder.embed(["warm", "up"])
        meter = Meter()
        cluster_articles(articles, store, StoryEngine(store, embedder))
        return row("single process: cluster", len(articles), meter)


def plain_processes(jsonl: Path, processes: int) -> dict:
    """The simplest baseline for scaling on this box: the dominant stage alone (embedding the same articles
    as the workers do), in `processes` plain processes, no Ray. Its 2-against-1 ratio is what two cores give
    at this load, whatever the design."""
    articles = [r.article for r in read_articles(jsonl)]
    with ParallelEmbedder(workers=processes) as embedder:
        embedder.embed(["warm up"] * 4 * processes)  # every process started, weights loaded
        meter = Meter()
        article_vectors(embedder, articles)
        return row(f"plain processes, no Ray: embed only, {processes} process(es)", len(articles), meter)


def one_ingest(inputs: list[str], tmp: Path) -> dict:
    embedder = default_embedder()
    embedder.embed(["warm up"])
    with open_store(tmp / "one-ingest.db") as store:
        meter = Meter()
        summary = Ingestor(Pipeline(store, StoryEngine(store, embedder))).run(expand(inputs))
        return row("single process: ingest", summary.added, meter)


def started(store: str, **options) -> tuple[RayRunner, float]:
    start = time.perf_counter()
    runner = RayRunner(store, **options)
    runner.ray.get([p.pid.remote() for p in runner.preparers])  # models loaded
    return runner, time.perf_counter() - start


def ray_ingest(name: str, store: str, inputs: list[str], analyse: int = 0, **options) -> list[dict]:
    runner, startup = started(store, **options)
    with open_store(store) as opened, runner:
        meter = Meter(store)
        summary = RayIngestor(opened, runner).run(expand(inputs))
        rows = [row(name, summary.added, meter, runner.stats, startup)]
        if analyse:
            stories = [opened.get_story(s) for s in runner.stats.touched]  # None: merged away since
            biggest = sorted((s for s in stories if s is not None), key=lambda s: s.size, reverse=True)
            stories = [s.id for s in biggest[:analyse]]
            meter = Meter()
            runner.analyse(stories)
            label = f"{name}: analyse {len(stories)} stories"
            rows.append(row(label, len(stories), meter, runner.stats))
    return rows


def ray_cluster(name: str, jsonl: Path, store: str, **options) -> dict:
    articles = [r.article for r in read_articles(jsonl)]
    runner, startup = started(store, **options)
    with runner:
        meter = Meter()
        cluster_on_ray(articles, runner)
        return row(name, len(articles), meter, runner.stats, startup)


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
    parser.add_argument("--repeat", type=int, default=1, help="run the --nodes list this often, interleaved")
    parser.add_argument("--baseline", action="store_true", help="also embed in 1 and 2 plain processes")
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
        for _ in range(args.repeat):
            if args.baseline:
                rows += [plain_processes(jsonl, 1), plain_processes(jsonl, 2)]
            for nodes in [int(n) for n in args.nodes.split(",")] if args.store_pg else []:
                rows += simulated(nodes, args.store_pg, inputs)
    print(f"load after: {os.getloadavg()}")
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    columns = ["run", "articles", "s", "articles/s", "busy cores", "start-up s", "read/extract s", "embed s",
               "decide s", "decide ms/article"]  # fmt: skip
    print("| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|")
    for r in rows:
        cells = [r["run"], r["articles"], f"{r['seconds']:.1f}", f"{r['rate']:.2f}", f"{r['busy_cores']:.2f}"]
        cells.append(f"{r['startup']:.1f}" if r["startup"] is not None else "—")
        keys = ("read", "embed", "decide", "decide_ms")
        cells += [f"{r[k]:.1f}" for k in keys] if "read" in r else ["—"] * 4
        print("| " + " | ".join(map(str, cells)) + " |")
        if r.get("analyse"):
            print(f"analysis: {r['analyse']:.1f} s summed over tasks for {r['articles']} stories")
    parts = ["workers", "actor", "driver", "postgres", "ray system", "others"]
    print("\nWhere the machine's CPU went during each timed run (CPU seconds, all processes; `others` is")
    print("other users' work and start-up leftovers):")
    print("| run | s | " + " | ".join(parts) + " |\n" + "|---" * (len(parts) + 2) + "|")
    for r in rows:
        cells = [r["run"], f"{r['seconds']:.1f}"] + [f"{r['cpu_groups'].get(g, 0.0):.1f}" for g in parts]
        print("| " + " | ".join(cells) + " |")
    cores = os.cpu_count() or 1
    print("\nCPU per article (load-independent): workers (read+embed), the decision actor, the driver")
    print("(this process) and this run's PostgreSQL backends. Projected rate with N idle cores for")
    print("workers = min(N / worker cost, 1 / actor cost); on this box, idle, all of it shares its cores:")
    print(f"at most {cores} / (sum of the four costs).")
    print("| run | worker CPU ms/article (read + embed) | actor | driver | PostgreSQL", end="")
    print(" | actor ceiling/s", end="")
    print(f" | N=1 | 2 | 4 | 8 | 16 | 32 | idle {cores}-core box |")
    print("|---" * 13 + "|")
    for r in rows:
        if not r.get("decide_cpu_ms") or "analyse " in r["run"]:
            continue
        worker, actor = r["worker_cpu_ms"], r["decide_cpu_ms"]
        driver, pg = r["driver_cpu_ms"], r["postgres_cpu_ms"]
        projected = [min(n * 1000 / worker, 1000 / actor) for n in (1, 2, 4, 8, 16, 32)]
        here = min(r["workers"] * 1000 / worker, 1000 / actor, cores * 1000 / (worker + actor + driver + pg))
        split = f"{worker:.0f} ({r['read_cpu_ms']:.0f} + {r['embed_cpu_ms']:.0f})"
        cells = [r["run"], split, f"{actor:.1f}", f"{driver:.1f}", f"{pg:.1f}"]
        cells.append(f"{1000 / actor:.0f}")
        cells += [f"{p:.0f}" for p in projected] + [f"{here:.0f}"]
        print("| " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
