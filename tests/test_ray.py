"""The distributed driver on a Ray cluster simulated on loopback (2 nodes of 1 CPU, shared by the module) with
PostgreSQL as the shared store: same story assignment as one process, nothing lost or stored twice when
workers die mid-run, SQLite refused for several nodes."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from storyweave.distributed.driver import ingest_units
from storyweave.distributed.workers import Unit
from storyweave.ingest import IngestError, Source, expand

ARTICLES = 48


def test_units_keep_input_order_and_pass_errors_through(tmp_path: Path):
    lines = tmp_path / "a.jsonl"
    lines.write_text("".join(json.dumps({"id": str(i), "title": f"t{i}"}) + "\n\n" for i in range(5)))
    pages = [tmp_path / f"p{i}.txt" for i in range(3)]
    for page in pages:
        page.write_text("Title\nBody.")
    missing = IngestError("nope", "no such file")
    units = list(ingest_units([Source("text", str(pages[0])), missing, Source("jsonl", str(lines)),
                               *[Source("text", str(p)) for p in pages[1:]]], size=2))  # fmt: skip
    assert units[0] == Unit(sources=(Source("text", str(pages[0])),))
    assert units[1] is missing
    assert [[w for w, _ in u.lines] for u in units[2:5]] == [
        [f"{lines}:1", f"{lines}:3"], [f"{lines}:5", f"{lines}:7"], [f"{lines}:9"]
    ]  # fmt: skip
    assert units[5] == Unit(sources=tuple(Source("text", str(p)) for p in pages[1:]))
    assert len(units) == 6


def test_what_travels_to_the_workers_keeps_its_settings():
    """Feed work goes to the workers pickled: the fetcher as its settings (a fresh client there), an item's
    error with whether it is transient, and a lost feed unit as transient errors (retried by the poller)."""
    import pickle

    from storyweave.feeds import Feed
    from storyweave.feeds.parse import FeedItem
    from storyweave.feeds.poller import ItemError
    from storyweave.fetch import Fetcher

    fetcher = Fetcher(allowed_hosts=("127.0.0.1",), respect_robots=False, timeout=2.0, max_bytes=1000)
    copy = pickle.loads(pickle.dumps(fetcher))
    assert copy is not fetcher and copy._client is not fetcher._client
    assert (copy.allowed_hosts, copy.respect_robots, copy.timeout, copy.max_bytes, copy.deadline) == (
        frozenset({"127.0.0.1"}), False, 2.0, 1000, 8.0
    )  # fmt: skip
    error = pickle.loads(pickle.dumps(ItemError("HTTP 503", transient=True)))
    assert (error.reason, error.transient) == ("HTTP 503", True)
    items = (FeedItem(key="a", link="https://x.example/a"), FeedItem(key="b", link="https://x.example/b"))
    lost = Unit(feed=Feed("https://x.example/rss"), feed_items=items).lost("worker lost")
    assert [(e.reason, e.transient) for e in lost] == [("worker lost", True)] * 2


ray = pytest.importorskip("ray", reason="the Ray tests need the ray extra: pip install 'storyweave[ray]'")


@pytest.fixture(scope="module")
def cluster():
    """Two nodes of one CPU on 127.0.0.1 only (Ray would otherwise announce the machine's address)."""
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    saved = os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read by the node processes: loopback addresses
    ray_constants.ENABLE_RAY_CLUSTER = False  # and by this one
    node = {"num_cpus": 1, "object_store_memory": 80 * 2**20, "node_ip_address": "127.0.0.1"}
    simulated = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    simulated.add_node(**node)
    ray.init(address=simulated.address, logging_level="WARNING")
    yield simulated
    ray.shutdown()
    simulated.shutdown()
    ray_constants.ENABLE_RAY_CLUSTER = True
    if saved is None:
        os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    else:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = saved


@pytest.fixture(scope="module")
def articles_file(shared_data: Path, tmp_path_factory) -> Path:
    """Full-text articles of several stories, plus one broken line (a per-record error)."""
    lines = (shared_data / "clustering" / "giveme5w1h.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("ray") / "articles.jsonl"
    path.write_text("\n".join([*lines[:20], "{not json", *lines[20:ARTICLES]]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def single_process(articles_file: Path, tmp_path_factory, embedder):
    """The reference: `storyweave ingest` in one process, on SQLite."""
    from storyweave.cluster import StoryEngine
    from storyweave.ingest import Ingestor
    from storyweave.pipeline import Pipeline
    from storyweave.store import SQLiteStore

    store = SQLiteStore(tmp_path_factory.mktemp("one") / "one.db")
    summary = Ingestor(Pipeline(store, StoryEngine(store, embedder))).run(expand([str(articles_file)]))
    assignment = {a.id: a.story_id for a in store.iter_articles()}
    store.close()
    return summary, assignment


def _ray_ingest(url: str, articles_file: Path, kill_at: dict[int, str] | None = None):
    """Ingest on Ray; `kill_at` maps a record count to the actor SIGKILLed then ("preparer" or "engine")."""
    from storyweave.distributed import RayIngestor, RayRunner
    from storyweave.store import open_store

    with open_store(url) as store, RayRunner(url, workers=2) as runner:
        pids = {"preparer": runner.preparers[0], "engine": runner.engine}
        pids = {name: ray.get(actor.pid.remote()) for name, actor in pids.items()}
        records = []

        def count_and_kill() -> None:
            records.append(1)
            if kill_at and len(records) in kill_at:
                os.kill(pids[kill_at[len(records)]], signal.SIGKILL)

        summary = RayIngestor(store, runner, on_record=count_and_kill, batch_size=8).run(
            expand([str(articles_file)])
        )
        return summary, list(store.iter_articles()), runner


@pytest.mark.postgres
def test_same_stories_as_single_process(cluster, postgres_url, articles_file, single_process):
    reference_summary, reference = single_process
    summary, stored, runner = _ray_ingest(postgres_url, articles_file)
    assert runner.stats.nodes == 2 and runner.stats.workers == 2
    assert (summary.added, summary.duplicates, summary.failed) == (ARTICLES, 0, 1)
    assert summary.errors == reference_summary.errors  # the broken line, reported with its file:line
    assert {a.id: a.story_id for a in stored} == reference  # 100% of articles
    assert len(set(reference.values())) > 3
    assert runner.stats.placed == ARTICLES and runner.stats.stages.embed > 0


@pytest.mark.postgres
def test_killed_workers_lose_and_duplicate_nothing(cluster, postgres_url, articles_file, single_process):
    """A preparer is killed with units queued, later the engine actor between two batches: Ray restarts both
    and retries their calls; the engine rebuilds its state from the stored decisions."""
    summary, stored, _ = _ray_ingest(postgres_url, articles_file, kill_at={12: "preparer", 30: "engine"})
    assert summary.failed == 1 and summary.added + summary.duplicates == ARTICLES
    ids = [a.id for a in stored]
    assert len(ids) == len(set(ids)) == ARTICLES  # none lost, none twice
    assert set(ids) == set(single_process[1])
    assert all(a.story_id for a in stored)


@pytest.mark.postgres
def test_touched_stories_are_analysed_as_tasks(cluster, postgres_url, articles_file):
    from storyweave.distributed import RayIngestor, RayRunner
    from storyweave.serve.views import Reports
    from storyweave.store import open_store

    small = articles_file.parent / "small.jsonl"
    head = articles_file.read_text(encoding="utf-8").splitlines(True)[:3]
    small.write_text("".join(head), encoding="utf-8")
    with open_store(postgres_url) as store, RayRunner(postgres_url, workers=1) as runner:
        RayIngestor(store, runner).run(expand([str(small)]))
        touched = sorted(runner.stats.touched)[:1]
        runner.analyse(touched)
        story = store.get_story(touched[0])
        report, status = Reports(store).get(story)
    assert status == "ready" and report["facts"]
    assert runner.stats.stages.analyse > 0


def _listening_hosts(root: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) of the TCP sockets that `root`'s descendant
    processes listen on."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # a process that ended meanwhile
            continue
    family = {root}
    for _ in range(20):  # depth of the process tree
        family |= {pid for pid, parent in parents.items() if parent in family}
    inodes = set()
    for pid in family:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                hosts.add(fields[1].rsplit(":", 1)[0])
    return hosts


def test_the_simulated_cluster_listens_on_loopback_only(cluster):
    hosts = _listening_hosts(os.getpid())
    assert hosts, "no listening socket found for the Ray processes"
    # 127.0.0.1 (IPv4, and mapped into IPv6), ::1
    loopback = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}
    assert hosts <= loopback, hosts
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


def test_sqlite_is_refused_on_several_nodes(cluster, tmp_path: Path):
    from storyweave.distributed import DistributedError, RayRunner

    with pytest.raises(DistributedError, match="SQLite file"):
        RayRunner(tmp_path / "local.db")
    with pytest.raises(DistributedError, match="PostgreSQL"):  # refused before connecting anywhere
        RayRunner(tmp_path / "local.db", address="192.0.2.1:6379")


def test_cluster_command_refuses_sqlite_with_a_clear_error(cluster, articles_file: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from storyweave.cli import app

    command = ["cluster", str(articles_file), "--out", str(tmp_path / "o"), "--ray", "local"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "cannot open a SQLite file" in " ".join(result.output.split())


@pytest.mark.postgres
def test_ray_embedder_shares_batches_and_matches_the_local_embedder(cluster, postgres_url, embedder):
    """What `watch --ray` and `serve --ray` give their in-process story engine."""
    import numpy as np

    from storyweave.distributed import RayEmbedder, RayRunner

    texts = ["Flood hits Valencia", "Inundaciones en Valencia", "Chess final drawn", "Short", "x " * 300]
    with RayRunner(postgres_url, workers=2, engine=False) as runner:
        ray_embedder = RayEmbedder(runner)
        vectors = ray_embedder.embed(texts)
        assert ray_embedder.dim == embedder.dim and ray_embedder.name == embedder.name
        assert ray_embedder.embed([]).shape == (0, embedder.dim)
    np.testing.assert_allclose(vectors, embedder.embed(texts), atol=1e-4)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["x.jsonl", "--ray"], ["x.jsonl", "--ray=local"]),
        (["--ray", "x.jsonl"], ["--ray=local", "x.jsonl"]),  # a file, not an address
        (["--ray", "https://news.example/a"], ["--ray=local", "https://news.example/a"]),
        (["--ray", "--store", "s.db"], ["--ray=local", "--store", "s.db"]),
        (["--ray", "local"], ["--ray", "local"]),
        (["--ray", "auto"], ["--ray", "auto"]),
        (["--ray", "10.0.0.5:6379", "x"], ["--ray", "10.0.0.5:6379", "x"]),
        (["--ray", "ray://head.example:10001"], ["--ray", "ray://head.example:10001"]),
        (["--ray", "[::1]:6379"], ["--ray", "[::1]:6379"]),
        (["--ray=10.0.0.5:6379"], ["--ray=10.0.0.5:6379"]),
        (["--", "--ray"], ["--", "--ray"]),
    ],
)
def test_ray_option_value_is_optional(given: list[str], expected: list[str]):
    from storyweave.cli.distributed import with_ray_values

    assert with_ray_values(given) == expected


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["bare", "address"])
def test_ingest_command_on_ray_prints_the_usual_summary(cluster, postgres_url, articles_file, tmp_path, form):
    """`--ray` alone before the inputs (a local Ray; here the one already started), and `--ray HOST:PORT`."""
    from typer.testing import CliRunner

    from storyweave.cli import app

    head = articles_file.read_text(encoding="utf-8").splitlines(True)[18:23]  # 4 articles, 1 broken line
    small = tmp_path / "five.jsonl"
    small.write_text("".join(head), encoding="utf-8")
    ray_args = ["--ray"] if form == "bare" else ["--ray", cluster.address]
    result = CliRunner().invoke(app, ["ingest", *ray_args, str(small), "--store", postgres_url])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert f"error {small}:3: invalid JSON" in output
    assert "added 4, duplicates 0, failed 1 — 4 articles in" in output
    assert "ray: 2 workers on 2 node(s)" in output


def _partition(store) -> set[frozenset[str]]:
    """Stories as sets of article URLs (story ids differ between runs)."""
    stories: dict[str, set[str]] = {}
    for article in store.iter_articles():
        stories.setdefault(article.story_id, set()).add(article.url)
    return {frozenset(urls) for urls in stories.values()}


@pytest.mark.postgres
def test_watch_on_ray_places_feed_items_as_one_process_does(cluster, postgres_url, shared_data, tmp_path):
    """`watch --once --ray`: items fetched, extracted and embedded on the workers (with the command's fetch
    settings: loopback allowed), placed by this process's engine in arrival order, touched stories analysed
    on the workers; the same stories as `watch --once` without Ray."""
    from newsweb import NewsWeb, load_pages
    from typer.testing import CliRunner

    from storyweave.cli import app
    from storyweave.serve.views import Reports
    from storyweave.store import SQLiteStore, open_store

    pages = load_pages(shared_data, real=1, rendered=4, languages=["es"])
    runner = CliRunner()
    with NewsWeb(pages) as web:
        feeds = [
            web.add_feed("one", [p.slug for p in pages[:3]]),
            web.add_feed("two", [p.slug for p in pages[3:]]),
        ]
        outputs = {}
        for name, store, ray_args in [
            ("ray", postgres_url, ["--ray"]),
            ("one", str(tmp_path / "one.db"), []),
        ]:
            for url in feeds:
                assert runner.invoke(app, ["feeds", "add", url, "--store", store]).exit_code == 0
            command = ["watch", "--once", *ray_args, "--allow-host", "127.0.0.1", "--host-delay", "0"]
            result = runner.invoke(app, [*command, "--store", store])
            outputs[name] = " ".join(result.output.split())
            assert result.exit_code == 0, outputs[name]
            assert f"{len(pages)} new articles" in outputs[name]
    assert "ray: fetching, extraction, language id, embedding and analysis on 2 workers" in outputs["ray"]
    embedded = re.search(r"embed (\d+\.\d)", outputs["ray"])
    assert embedded and float(embedded.group(1)) > 0, outputs["ray"]
    with open_store(postgres_url) as on_ray, SQLiteStore(tmp_path / "one.db") as one:
        assert _partition(on_ray) == _partition(one)
        reports = Reports(on_ray)
        for story in (on_ray.get_story(s) for s in {a.story_id for a in on_ray.iter_articles()}):
            assert reports.get(story)[1] == "ready"  # analysed on the workers, not on demand


@pytest.mark.postgres
def test_serve_on_ray_embeds_api_articles_on_the_workers(cluster, postgres_url, monkeypatch):
    """`serve --ray`: the app's story engine embeds on the workers (its feed poller gets the same stages as
    `watch --ray`, tested above); the server itself is replaced by a client of the app."""
    import uvicorn
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from storyweave.cli import app
    from storyweave.distributed import RayEmbedder

    seen = {}

    def serve_once(web_app, **_: object) -> None:
        with TestClient(web_app) as client:
            article = {
                "id": "r1",
                "title": "Floods in Valencia",
                "text": "Rivers burst their banks.",
                "lang": "en",
            }
            headers = {"Authorization": "Bearer t0ken"}
            seen["results"] = client.post("/api/ingest/articles", json=[article], headers=headers).json()
            seen["embedder"] = web_app.state.writer.pipeline().engine._embedder

    monkeypatch.setattr(uvicorn, "run", serve_once)
    monkeypatch.setenv("STORYWEAVE_API_TOKEN", "t0ken")
    result = CliRunner().invoke(app, ["serve", "--store", postgres_url, "--ray"])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "ray: fetching, extraction, language id, embedding and analysis on 2 workers" in output
    assert seen["results"][0]["status"] == "added" and seen["results"][0]["story_id"]
    assert isinstance(seen["embedder"], RayEmbedder)
