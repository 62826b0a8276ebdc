"""The CLI's and the Python API's user-facing edges: errors that say what to do, results on stdout, one-line
summaries, counted nouns (issue 12, item 9)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyweave.cli import app
from storyweave.words import counted

runner = CliRunner()


def flat(text: str) -> str:
    """Output with Rich's line wrapping and error-box borders undone."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(
    "args",
    [["stories"], ["story", "st-1"], ["merge", "a", "b"], ["split", "a", "x"], ["feeds", "list"]],
)
def test_read_commands_refuse_a_missing_store(tmp_path, args):
    typo = tmp_path / "storyweav.db"
    result = runner.invoke(app, [*args, "--store", str(typo)])
    assert result.exit_code == 1
    assert f"no store at {typo}" in result.output and "Traceback" not in result.output
    assert not typo.exists(), "a read command must not create an empty store"


def test_bench_without_shared_data_is_one_line_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STORYWEAVE_SHARED", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["bench", "--sizes", "2000", "--sample", "10"])
    assert result.exit_code == 2 and "no shared data folder" in flat(result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    result = runner.invoke(app, ["bench", "--sizes", "2000", "--sample", "10", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "has no clustering/ folder" in flat(result.output)


def test_bench_finds_the_shared_data_from_any_directory(tmp_path, monkeypatch, shared_data):
    from storyweave.cli.engine import _default_data_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STORYWEAVE_SHARED", raising=False)
    if Path(__file__).resolve().parents[1].parent / "shared" / "data" != shared_data.resolve():
        pytest.skip("shared data is not beside this checkout")
    assert (_default_data_dir() / "clustering").is_dir()


def test_python_api_says_why_nothing_was_ingested(tmp_path):
    from storyweave import StoryWeave
    from storyweave.api import NothingIngested

    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4")
    with StoryWeave(tmp_path / "s.db") as sw:
        with pytest.raises(NothingIngested, match="nothing ingested from .*unsupported file type"):
            sw.ingest(tmp_path / "bad.pdf", tmp_path / "empty")
        with pytest.raises(NothingIngested, match="no articles found"):
            sw.ingest(tmp_path / "empty")


def test_python_api_ingest_names_the_outlet(tmp_path, seeds_dir):
    from storyweave import StoryWeave

    first, second = sorted(seeds_dir.glob("*.txt"))
    with StoryWeave(tmp_path / "s.db") as sw:
        assert sw.ingest(first, source="EFE").added == 1
        assert sw.ingest(second, source="Korea Herald").added == 1
        assert {a.source for a in sw.store.iter_articles()} == {"EFE", "Korea Herald"}


def test_ingest_source_names_the_outlet_of_files(tmp_path, seeds_dir):
    db = str(tmp_path / "s.db")
    first, second = sorted(seeds_dir.glob("*.txt"))
    for path, name in ((first, "EFE"), (second, "Korea Herald")):
        result = runner.invoke(app, ["ingest", str(path), "--source", name, "--store", db])
        assert result.exit_code == 0, result.output
    assert "added 1, duplicates 0, failed 0 — 2 articles in" in result.output
    from storyweave.store import SQLiteStore

    with SQLiteStore(db) as store:
        assert sorted(a.source for a in store.iter_articles()) == ["EFE", "Korea Herald"]
        assert sorted(o.name for o in store.list_outlets()) == ["EFE", "Korea Herald"]


def _labelled(path: Path) -> Path:
    records = [
        {"id": "a", "title": "Kim Jong Un oversees missile test", "lang": "en", "cluster_id": "k"},
        {"id": "b", "title": "Kim Jong Un oversees a new missile test", "lang": "en", "cluster_id": "k"},
        {"id": "c", "title": "Japan approves a record budget", "lang": "en", "cluster_id": "j"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_eval_clustering_prints_results_on_stdout(tmp_path, embedder):
    result = runner.invoke(app, ["eval", "clustering", str(_labelled(tmp_path / "l.jsonl"))])
    assert result.exit_code == 0, result.output
    assert "B³" in result.stdout and "stories:" in result.stdout and "gold" in result.stdout
    assert "B³" not in result.stderr


def test_similarity_and_summarize_say_what_they_wrote(tmp_path, embedder):
    pairs = tmp_path / "pairs.jsonl"
    pair = {"pair_id": "p", "title1": "Kim oversees missile test", "text1": "", "lang1": "en",
            "title2": "Kim watches a missile launch", "text2": "", "lang2": "en"}  # fmt: skip
    pairs.write_text(json.dumps(pair) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["similarity", str(pairs), "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0 and "scored 1 pair; wrote" in result.stderr
    clusters = tmp_path / "clusters.jsonl"
    text = "Kim Jong Un oversaw a missile test on Tuesday. The missile flew 1,000 km east."
    record = {"id": "c1", "articles": [{"title": "Missile test", "text": text}]}
    clusters.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(clusters), "--out", str(tmp_path / "sum.jsonl")])
    assert result.exit_code == 0, result.output
    assert "1 summary → " in result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_watch_once_summarises_failures_in_a_line_each(tmp_path):
    db = str(tmp_path / "s.db")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"http://127.0.0.1:{_closed_port()}/rss\nhttp://127.0.0.1:{_closed_port()}/atom\n")
    result = runner.invoke(app, ["watch", "--once", "--feeds", str(feeds), "--store", db, "--allow-private"])
    assert result.exit_code == 1  # every feed failed
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 3, lines  # one line per failed feed, then the summary
    assert all(line.startswith("failed http://127.0.0.1:") for line in lines[:2])
    assert "next in" not in result.stderr and lines[2].startswith("2 feeds (2 failed")


def test_ingest_names_its_own_option_when_refusing_private_addresses(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/x"
    result = runner.invoke(app, ["ingest", url, "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    said = flat(result.stderr)
    assert "non-public address" in said and "`--allow-private` allows them" in said


def test_counted_nouns():
    assert [counted(1, "outlet"), counted(2, "outlet"), counted(1, "story", "stories")] == [
        "1 outlet", "2 outlets", "1 story"
    ]  # fmt: skip
    assert counted(0, "summary", "summaries") == "0 summaries" and counted(1200, "report") == "1,200 reports"


def test_outlet_names_given_by_the_user_name_later_articles(tmp_path):
    db = str(tmp_path / "s.db")
    ratings = tmp_path / "outlets.csv"
    ratings.write_text("name,domain,country,language,lean,tags\nChina Daily,chinadaily.com.cn,CN,en,,\n")
    assert runner.invoke(app, ["outlets", "import", str(ratings), "--store", db]).exit_code == 0
    records = tmp_path / "a.jsonl"
    text = "The new bridge opened to traffic on Monday after four years of construction work in the city."
    hosts = ("africa.chinadaily.com.cn", "www.chinadaily.com.cn", "europe.chinadaily.com.cn")
    lines = [
        {"id": f"c{n}", "title": f"Bridge opens {n}", "text": text, "source": host, "lang": "en"}
        for n, host in enumerate(hosts)
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(records), "--store", db]).exit_code == 0
    from storyweave.store import SQLiteStore

    with SQLiteStore(db) as store:
        assert {a.source for a in store.iter_articles()} == {"China Daily"}
