"""`storyweave ingest` end to end: seeds, bad input, idempotency, URLs, and a kill -9 in the middle."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from typer.testing import CliRunner

from storyweave.cli import app
from storyweave.ingest import Ingestor, expand
from storyweave.ingest.readers import file_id
from storyweave.models import Article
from storyweave.pipeline import Pipeline
from storyweave.store import SQLiteStore

runner = CliRunner()

PARAGRAPHS = [
    "The regional parliament voted on Thursday to expand the railway network across the northern valleys.",
    "The plan adds four new stations and doubles the frequency of trains between the two largest towns.",
    "Critics said the cost estimates were optimistic and that construction would disrupt farmland for years.",
]
ARTICLE_HTML = (
    "<html lang='en'><head><title>Parliament backs railway expansion</title>"
    "<link rel='canonical' href='https://news.example.org/2024/rail-expansion'></head><body><article>"
    "<h1>Parliament backs railway expansion</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article></body></html>"
)


def ingest(*args: str):
    return runner.invoke(app, ["ingest", *args])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error")]


def stored(db: Path) -> list:
    with SQLiteStore(db) as store:
        return list(store.iter_articles())


def test_seeds_are_stored_without_chrome(seeds_dir: Path, tmp_path: Path):
    db = tmp_path / "s.db"
    result = ingest(str(seeds_dir), "--store", str(db))
    assert result.exit_code == 0, result.output
    assert "added 2, duplicates 0, failed 0" in result.stderr
    articles = stored(db)
    assert len(articles) == 2
    for article in articles:
        assert article.lang == "en"
        assert "Trust Project" not in article.text
        assert article.text.rstrip().endswith((".", "”", '"'))  # ends with the story's last sentence
        assert article.story_id is not None
    by_id = {a.id: a for a in articles}
    sidebar = by_id["004_e76b97f84e9bb642"]
    assert "Christmas Eve Jazz Concert" not in sidebar.text and "Mark Carney" not in sidebar.text
    assert sidebar.text.endswith("portray a maturing nuclear threat to the US.”")
    assert len(sidebar.chrome) >= 15 and sidebar.chrome[0].startswith("Mark Carney Reaffirms")
    assert by_id["000_a9ead92bffc35e67"].chrome == ["According to the criteria of The Trust Project"]

    again = ingest(str(seeds_dir), "--store", str(db))
    assert again.exit_code == 0 and "added 0, duplicates 2, failed 0" in again.stderr
    assert len(stored(db)) == 2


def write_bad_inputs(folder: Path) -> dict[str, str]:
    """Bad files next to good ones; returns {file name or file:line: expected reason}."""
    folder.mkdir()
    (folder / "good.html").write_text(ARTICLE_HTML, encoding="utf-8")
    latin1 = "Café owners protest\n\nLe café du coin ferme ses portes après trente ans."
    (folder / "latin1.txt").write_bytes(latin1.encode("cp1252"))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.html").write_bytes(b"")
    (folder / "nav.html").write_text("<html><body><nav><a href='/'>Home</a> <a href='/x'>Sport</a></nav>")
    (folder / "cut.html.gz").write_bytes(gzip.compress(ARTICLE_HTML.encode())[:120])
    with (folder / "huge.html").open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: 50 MB on paper, nothing to read
    good = {
        "id": "j1", "lang": "en", "title": "Dam opens", "text": "The dam opened today.", "published": None,
        "source": "Wire", "url": "https://wire.example.com/dam", "cluster_id": 7,
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"title": "No id here", "text": "Text."}),
        json.dumps({"id": "j2"}),
        json.dumps({**good, "text": "A different story under the same id."}),
        json.dumps(good),
        "[1, 2]",
        json.dumps({**good, "id": "j3", "text": "Dated.", "published": "last Tuesday"}),
    ]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    feed = [{"id": f"z{i}", "title": f"Item {i}", "text": f"Item {i} of a long feed."} for i in range(200)]
    more = "".join(json.dumps(record) + "\n" for record in feed)
    (folder / "cut.jsonl.gz").write_bytes(gzip.compress(more.encode())[:-40])
    return {
        "binary.txt": "binary content",
        "empty.html": "empty file",
        "nav.html": "no article",
        "cut.html.gz": "truncated gzip",
        "huge.html": "page too large (50.0 MB",
        "records.jsonl:2": "invalid JSON",
        "records.jsonl:3": "missing field 'id'",
        "records.jsonl:4": "missing field 'title'",
        "records.jsonl:5": "duplicate id 'j1' with different content",
        "records.jsonl:7": "expected a JSON object",
        "records.jsonl:8": "invalid 'published' date",
        "cut.jsonl.gz:": "truncated or corrupt gzip",
    }


def test_bad_inputs_get_one_line_errors_and_the_run_goes_on(tmp_path: Path):
    folder = tmp_path / "in"
    expected = write_bad_inputs(folder)
    db = tmp_path / "s.db"
    result = ingest(str(folder), "--store", str(db))
    assert result.exit_code == 0, result.output
    errors = error_lines(result)
    assert len(errors) == len(expected), "\n".join(errors)
    for where, reason in expected.items():
        assert any(f"{folder / where}" in line and reason in line for line in errors), (where, errors)
    articles = {a.id: a for a in stored(db)}
    readable = {f"z{i}" for i in range(200) if f"z{i}" in articles}
    assert len(readable) > 100  # the records before the cut are kept
    assert f"added {3 + len(readable)}, duplicates 1, failed 12" in result.stderr
    assert set(articles) == {"good", "latin1", "j1"} | readable
    assert "Le café du coin" in articles["latin1"].text
    assert articles["good"].canonical_url == "https://news.example.org/2024/rail-expansion"
    with SQLiteStore(db) as store:
        assert {(o.name, o.domain) for o in store.list_outlets()} >= {("Wire", "wire.example.com")}


def test_exit_code_is_nonzero_only_when_nothing_was_ingested(tmp_path: Path):
    (tmp_path / "binary.txt").write_bytes(b"\x00" * 100)
    assert ingest(str(tmp_path / "binary.txt"), "--store", str(tmp_path / "s.db")).exit_code == 1
    assert ingest(str(tmp_path / "missing.txt"), "--store", str(tmp_path / "s.db")).exit_code == 1
    page = tmp_path / "page.html"
    page.write_text(ARTICLE_HTML)
    assert ingest(str(page), "--store", str(tmp_path / "s.db")).exit_code == 0
    assert ingest(str(page), "--store", str(tmp_path / "s.db")).exit_code == 0  # all duplicates: still fine


def test_same_content_or_canonical_url_under_another_name_is_a_duplicate(tmp_path: Path):
    db = str(tmp_path / "s.db")
    (tmp_path / "a.html").write_text(ARTICLE_HTML)
    assert ingest(str(tmp_path / "a.html"), "--store", db).exit_code == 0
    (tmp_path / "copy.html").write_text(ARTICLE_HTML)  # same content hash, new id
    reworded = ARTICLE_HTML.replace("on Thursday", "late on Thursday")  # same canonical URL, edited text
    (tmp_path / "edited.html").write_text(reworded)
    result = ingest(str(tmp_path / "copy.html"), str(tmp_path / "edited.html"), "--store", db)
    assert "added 0, duplicates 2, failed 0" in result.stderr
    assert [a.id for a in stored(tmp_path / "s.db")] == ["a"]


class PageHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = ARTICLE_HTML.encode() if self.path == "/article" else b"User-agent: *\nAllow: /\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_url_ingest_refuses_loopback_unless_allowed(tmp_path: Path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/article"
    db = str(tmp_path / "s.db")
    try:
        refused = ingest(url, "--store", db)
        assert refused.exit_code == 1 and "non-public address 127.0.0.1" in refused.stderr
        allowed = ingest(url, "--store", db, "--allow-private")
        assert allowed.exit_code == 0, allowed.output
    finally:
        httpd.shutdown()
        httpd.server_close()
    [article] = stored(tmp_path / "s.db")
    assert article.url == url and article.raw_ref == url and article.fetched is not None
    assert article.title == "Parliament backs railway expansion"


def test_extract_command_writes_one_object_per_input(seeds_dir: Path, tmp_path: Path):
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(ARTICLE_HTML.encode()))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(seeds_dir), str(page), "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"000_a9ead92bffc35e67", "004_e76b97f84e9bb642", "page"}
    assert set(records["page"]) == {"id", "title", "text", "published", "author", "site", "lang"}
    assert (records["page"]["title"], records["page"]["lang"]) == ("Parliament backs railway expansion", "en")
    assert "Trust Project" not in records["000_a9ead92bffc35e67"]["text"]


WORDS = ["river", "bridge", "council", "vote", "tax", "school", "hospital", "election", "storm", "harbour",
         "festival", "court", "police", "market", "energy", "farm", "museum", "airport", "budget", "strike"]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_ingest_leaves_a_consistent_store_and_rerun_completes(tmp_path: Path):
    rng = random.Random(7)
    total = 120
    with (tmp_path / "many.jsonl").open("w") as handle:
        for i in range(total):
            record = {"id": f"a{i}", "lang": "en", "title": f"Report {i} on the {rng.choice(WORDS)}",
                      "text": " ".join(rng.choice(WORDS) for _ in range(30)), "source": f"Outlet {i % 5}"}
            handle.write(json.dumps(record) + "\n")
    db = tmp_path / "s.db"
    command = [sys.executable, "-c", "from storyweave.cli import main; main()", "ingest",
               str(tmp_path / "many.jsonl"), "--store", str(db)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while _count(db) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = _count(db)
    assert 0 < partial < total, f"kill did not land mid-ingest ({partial} of {total} stored)"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0

    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {total - partial}, duplicates {partial}, failed 0" in rerun.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM articles").fetchone() == (total, total)
        assert conn.execute("SELECT COUNT(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0


class RejectingEngine:
    """Places every article except one, as a story engine with a bug for one input would."""

    def add(self, article: Article, vector=None) -> None:
        if article.id == "bad":
            raise ValueError("cannot place this one")


def test_an_article_the_engine_rejects_is_reported_and_the_batch_still_stored(tmp_path: Path, sqlite_store):
    records = [{"id": i, "title": f"Title {i}", "text": f"Text number {i}."} for i in ("a", "bad", "b")]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    errors = []
    summary = Ingestor(Pipeline(sqlite_store, RejectingEngine()), on_error=errors.append).run(
        expand([str(tmp_path / "r.jsonl")])
    )
    assert (summary.added, summary.duplicates, summary.failed) == (2, 0, 1)
    assert [a.id for a in sqlite_store.iter_articles()] == ["a", "b"]
    assert "r.jsonl:2" in str(errors[0]) and "cannot place this one" in str(errors[0])


def test_eval_extraction_command_scores_a_benchmark_folder(tmp_path: Path):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(ARTICLE_HTML.encode()))
    (tmp_path / "html" / "p2.html.gz").write_bytes(gzip.compress(b"<html><body><p></p></body></html>"))
    truth = {"p1": {"articleBody": "\n".join(PARAGRAPHS)}, "p2": {"articleBody": "A real story."}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    result = runner.invoke(app, ["eval", "extraction", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # p1 is extracted perfectly (precision 1, recall 1); p2 yields nothing (precision skipped, recall 0).
    assert "precision=1.0000 recall=0.5000 F1=0.6667" in result.stdout and "pages=2" in result.stdout


def test_file_ids_drop_only_the_extensions_storyweave_reads():
    names = {"004_e.txt": "004_e", "x.html.gz": "x", "report.2024.txt": "report.2024", "README": "README"}
    assert {name: file_id(Path(name)) for name in names} == names
