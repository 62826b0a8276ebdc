"""Every input of ../shared/hostile (README there) and the README's file-less findings, one test each: a clear
one-line error or a handled input, quickly, in bounded memory, the good records beside it kept.

caps30.jsonl (the quote regex of the analysis stage) is tested with the analysis code.
"""

from __future__ import annotations

import ipaddress
import json
import math
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SHARED
from fastapi.testclient import TestClient
from hostile_web import HostileWeb, article_page
from rich.console import Console

from storyweave.extract import ExtractionError, article_from_page, extract_page
from storyweave.feeds import add_feed
from storyweave.feeds.parse import FeedParseError, parse_feed
from storyweave.feeds.poller import Poller, PollSettings
from storyweave.feeds.sources import get_feed_state
from storyweave.fetch import Fetcher, FetchError
from storyweave.fetch.client import is_public_address
from storyweave.ingest import IngestError, Ingestor, Source
from storyweave.ingest.readers import read_jsonl, record_item
from storyweave.jsonsafe import json_safe
from storyweave.models import Article, Story
from storyweave.pipeline import Pipeline
from storyweave.serve import create_app
from storyweave.serve.views import Reports
from storyweave.store import QueryTimeout, SQLiteStore

HOSTILE = SHARED / "hostile"
CLI = [sys.executable, "-c", "from storyweave.cli import main; main()"]
TOKEN = "t0ken"
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def hostile(name: str) -> Path:
    path = HOSTILE / name
    if not path.exists():
        pytest.skip(f"hostile inputs not found at {HOSTILE}")
    return path


def split_items(items) -> tuple[list[Article], list[IngestError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, IngestError)]


# -- JSON Lines ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("date_overflow.jsonl", "invalid 'published' date"),
        ("hugeint.jsonl", "invalid JSON (Exceeds the limit"),
        ("nested.jsonl", "nested deeper than"),
        ("markup.jsonl", "invalid 'published' date '[/x]'"),
    ],
)
def test_bad_jsonl_record_is_one_line_and_neighbours_are_kept(name: str, reason: str) -> None:
    started = time.perf_counter()
    articles, errors = split_items(read_jsonl(hostile(name)))
    assert [a.id for a in articles] == ["good1", "good2"]
    assert len(errors) == 1 and errors[0].where.endswith(":2")
    assert reason in errors[0].reason and "\n" not in str(errors[0])
    assert time.perf_counter() - started < 2


def test_malformed_url_is_kept_without_canonical_form() -> None:
    articles, errors = split_items(read_jsonl(hostile("ipv6_url.jsonl")))
    assert not errors and [a.id for a in articles] == ["good1", "b", "good2"]
    odd = articles[1]
    assert odd.url == "http://[::1" and odd.canonical_url is None and odd.source is None


def test_gzip_bomb_line_is_refused_in_bounded_memory() -> None:
    path = hostile("bomb_line_1g.jsonl.gz")
    tracemalloc.start()
    try:
        assert Source("jsonl", str(path)).records() >= 1
        articles, errors = split_items(read_jsonl(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not articles and len(errors) == 1 and "record too large" in errors[0].reason
    assert peak < 100_000_000, f"peak {peak / 1e6:.0f} MB"


def test_ingest_cli_survives_every_hostile_jsonl_with_one_line_per_bad_record(tmp_path: Path) -> None:
    """One real run of `storyweave ingest` over all hostile JSON Lines plus a path holding Rich markup."""
    names = ["date_overflow", "ipv6_url", "hugeint", "nested", "markup"]
    inputs = [str(hostile(f"{n}.jsonl")) for n in names] + ["/nonexistent/[/bold]"]
    run = subprocess.run(
        [*CLI, "ingest", *inputs, "--store", str(tmp_path / "s.db")],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error ")]
    assert len(errors) == 5, run.stderr  # date, hugeint, nested, markup date, the missing path
    assert any("/nonexistent/[/bold]" in line for line in errors)
    assert "Traceback" not in run.stderr
    # good1/good2 repeat across files (same content): stored once; plus ipv6_url's record b
    store = SQLiteStore(tmp_path / "s.db")
    try:
        assert {a.id for a in store.iter_articles()} == {"good1", "good2", "b"}
    finally:
        store.close()


def test_markup_in_titles_prints_literally_in_tables() -> None:
    from storyweave.cli.analyse import _table

    record = json.loads(hostile("markup_title.jsonl").read_text().splitlines()[0])
    console = Console(record=True, width=200)
    console.print(_table("Timeline", ("title",), [(record["title"],)]))
    assert "Headline [/x] here" in console.export_text()


def test_stories_table_prints_markup_literally(sqlite_store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from storyweave.cli import app

    sqlite_store.add_article(Article("mk", "Headline [/x] here", "text", story_id="st-mk", published=T0))
    sqlite_store.save_story(Story("st-mk", first_seen=T0, last_seen=T0, title="Headline [/x] here"))
    result = CliRunner().invoke(app, ["stories", "--store", str(sqlite_store.path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Headline [/x] here" in result.output


# -- HTML ---------------------------------------------------------------------------------------------------
def test_lxml_assertion_page_degrades_to_text_without_metadata() -> None:
    article = article_from_page(hostile("lxml_assert.html").read_bytes())
    assert len(article.text.split()) > 100


def test_page_with_200k_attributes_is_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ExtractionError, match="too complex"):
        extract_page(hostile("many_attrs.html").read_bytes())
    assert time.perf_counter() - started < 1


def test_page_with_many_tags_is_cut_and_extracted_within_budget() -> None:
    paragraphs = "".join(f"<p>Paragraph {i} of the report says something new.</p>" for i in range(60_000))
    started = time.perf_counter()
    page = extract_page(f"<html><body><article>{paragraphs}</article></body></html>".encode())
    assert time.perf_counter() - started < 15
    assert "Paragraph 0 " in page.text and "Paragraph 59999 " not in page.text


# -- feeds --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [("empty.xml", "empty document"), ("flip_046.xml", "UnicodeDecodeError"), ("json_nested.json", "nested")],
)
def test_broken_feed_documents_are_one_feed_error(name: str, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(hostile(name).read_bytes(), url="http://feeds.example/f")


@pytest.mark.parametrize(
    "doctype",
    [
        # billion laughs
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',  # XXE
    ],
)
def test_feeds_declaring_entities_are_refused(doctype: str) -> None:
    body = f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><title>&b;</title>'
    body += "<item><link>http://a.example/x</link></item></channel></rss>"
    with pytest.raises(FeedParseError, match="entities"):
        parse_feed(body.encode(), url="http://feeds.example/f")


def _poller(store) -> Poller:
    fetcher = Fetcher(allowed_hosts=["127.0.0.1"], respect_robots=False, timeout=5)
    return Poller(store, Pipeline(store), fetcher, PollSettings(interval=60))


def test_watch_skips_an_item_redirecting_to_javascript_and_stores_the_rest(sqlite_store) -> None:
    with HostileWeb() as web:
        feed = hostile("redir_js.xml").read_bytes().replace(b"http://127.0.0.1:18931", web.base.encode())
        web.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed)
        for slug in ("w1", "w2"):
            web.routes[f"/a/{slug}"] = (200, {"Content-Type": "text/html"}, article_page(f"Story {slug}"))
        web.routes["/redirect?to=javascript%3Aalert(1)"] = (302, {"Location": "javascript:alert(1)"}, b"")
        add_feed(sqlite_store, web.base + "/feed.xml", "R")
        report = _poller(sqlite_store).poll_all()
    assert (report.stored, report.bad, report.feeds_failed) == (2, 1, 0)
    assert sqlite_store.count_articles() == 2


def test_watch_backs_off_broken_feeds_and_polls_the_others(sqlite_store) -> None:
    with HostileWeb() as web:
        for name in ("empty.xml", "flip_046.xml", "json_nested.json"):
            web.routes[f"/{name}"] = (200, {"Content-Type": "application/xml"}, hostile(name).read_bytes())
            add_feed(sqlite_store, f"{web.base}/{name}", name)
        web.routes["/a/ok"] = (200, {"Content-Type": "text/html"}, article_page("Fine story"))
        good = f'<rss version="2.0"><channel><title>G</title><item><link>{web.base}/a/ok</link></item>'
        good += "</channel></rss>"
        web.routes["/good.xml"] = (200, {"Content-Type": "application/rss+xml"}, good.encode())
        add_feed(sqlite_store, f"{web.base}/good.xml", "G")
        report = _poller(sqlite_store).poll_all()
        states = {n: get_feed_state(sqlite_store, f"{web.base}/{n}") for n in ("empty.xml", "flip_046.xml")}
    assert (report.feeds, report.feeds_failed, report.stored) == (4, 3, 1)
    for state in states.values():
        assert state.failures == 1 and state.next_due > time.time() and state.last_error


# -- fetch --------------------------------------------------------------------------------------------------
def test_header_trickle_hits_the_overall_deadline() -> None:
    with HostileWeb() as web, Fetcher(allowed_hosts=["127.0.0.1"], respect_robots=False, timeout=0.5) as f:
        web.trickle.add("/slow")
        started = time.perf_counter()
        with pytest.raises(FetchError, match="timed out"):
            f.get(web.base + "/slow")
    assert time.perf_counter() - started < 2 * 4 * 0.5 + 1


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
        "fec0::1",  # site-local
        "192.0.0.8",
        "192.0.0.170",
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
        "::127.0.0.1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_is_public_address_refuses_wrapped_and_special_addresses(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1"])
def test_is_public_address_keeps_public_ones(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


# -- the server ---------------------------------------------------------------------------------------------
@pytest.fixture
def served(sqlite_store):
    a = Article("a/../../docs", "Bridge reopens", "The bridge reopened.", story_id="st-1", published=T0)
    sqlite_store.add_article(a)
    sqlite_store.save_story(Story("st-1", first_seen=T0, last_seen=T0, title="Bridge reopens"))
    return sqlite_store


@pytest.fixture
def client(served, monkeypatch):
    monkeypatch.setattr(Reports, "_analyse", lambda self, articles: {"figure": math.inf, "n": len(articles)})
    with TestClient(create_app(served, api_token=TOKEN)) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/api/stories?since=9999-12-31T23:59:59-23:59",
        "/api/stories?until=0001-01-01T00:00:00%2B23:59",
        "/?since=9999-12-31T23:59:59-23:59",
        "/export/stories.json?since=9999-12-31T23:59:59-23:59",
        f"/api/stories?offset={2**63}",
        f"/api/articles?offset={2**63}",
        "/api/articles?q=a%00b",
        "/api/stories?q=%00",
        "/search?q=x%00",
        "/api/outlets/a%00b",
    ],
)
def test_extreme_query_parameters_are_422(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 422


def test_fts_bomb_is_answered_fast(client: TestClient) -> None:
    query = hostile("fts_bomb.txt").read_text().strip()
    started = time.perf_counter()
    response = client.get(f"/api/articles?q={query}")
    assert response.status_code == 200
    assert client.get(f"/api/stories?q={query}").status_code == 200
    assert time.perf_counter() - started < 2


def test_sqlite_search_budget_interrupts_the_statement(sqlite_store) -> None:
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000)"
        " SELECT count(*) FROM c"
    )
    started = time.perf_counter()
    with pytest.raises(QueryTimeout), sqlite_store._budget(0.2):
        sqlite_store._query(slow)
    assert time.perf_counter() - started < 2
    assert sqlite_store.count_articles() == 0  # the connection is usable afterwards


@pytest.mark.postgres
def test_postgres_search_budget_cancels_the_statement(postgres_url: str) -> None:
    from storyweave.store.postgres import PostgresStore

    store = PostgresStore(postgres_url)
    try:
        started = time.perf_counter()
        with pytest.raises(QueryTimeout):
            store._budgeted("SELECT pg_sleep(5)", (), seconds=0.2)
        assert time.perf_counter() - started < 3
        assert store.search("a " * 20_000) == []
    finally:
        store.close()


def test_search_over_budget_is_503_not_a_hang(client: TestClient, monkeypatch) -> None:
    def too_slow(*args, **kwargs):
        raise QueryTimeout("query interrupted after 2 s")

    monkeypatch.setattr(client.app.state.store, "search", too_slow)
    response = client.get("/api/articles?q=anything")
    assert response.status_code == 503 and "narrow the query" in response.json()["detail"]


def test_article_id_links_are_percent_encoded(client: TestClient) -> None:
    page = client.get("/search?q=bridge").text
    assert 'href="/articles/a%2F..%2F..%2Fdocs"' in page
    assert client.get("/articles/a%2F..%2F..%2Fdocs").status_code == 200
    assert client.get("/api/articles/a%2F..%2F..%2Fdocs").json()["id"] == "a/../../docs"


def test_exports_never_use_the_host_header(client: TestClient, served) -> None:
    for path in ("/export/stories.atom", "/export/stories.csv"):
        body = client.get(path, headers={"Host": "evil.example"}).text
        assert "evil.example" not in body and "/stories/st-1" in body
    with TestClient(create_app(served, public_url="https://news.example.org/")) as public:
        atom = public.get("/export/stories.atom", headers={"Host": "evil.example"}).text
    assert "https://news.example.org/stories/st-1" in atom and "evil.example" not in atom


def test_story_json_has_no_infinity(client: TestClient) -> None:
    response = client.get("/api/stories/st-1?wait=true")
    assert response.status_code == 200
    data = json.loads(response.text, parse_constant=lambda c: pytest.fail(f"non-standard {c}"))
    assert data["report"] == {"figure": None, "n": 1}


def test_json_safe_replaces_non_finite_numbers() -> None:
    assert json_safe({"a": [math.inf, -math.inf, math.nan, 1.5], "b": ("x",)}) == {
        "a": [None, None, None, 1.5], "b": ["x"]
    }


def test_rest_batch_reports_per_item_and_keeps_the_good_ones(client: TestClient) -> None:
    batch = json.loads(hostile("rest_typeerror.json").read_text())
    batch += [{"title": "Lone \ud800 surrogate", "text": "A body with a lone surrogate \udfff inside it."}, 7]
    response = client.post(
        "/api/ingest/articles",
        content=json.dumps(batch),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()]
    assert statuses == ["added", "failed", "added", "added", "failed"]
    assert "'url' must be a string" in response.json()[1]["error"]
    stored = {a.title for a in client.app.state.writer.store.iter_articles()}
    assert {"Good REST one", "Good REST two", "Lone \ufffd surrogate"} <= stored


def test_rest_html_with_lxml_assertion_is_not_a_500(client: TestClient) -> None:
    html = hostile("lxml_assert.html").read_text(errors="replace")
    response = client.post(
        "/api/ingest/html", json={"html": html, "id": "lx"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200 and response.json()["status"] in ("added", "failed")


def test_ingestor_keeps_good_records_of_hostile_files(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "i.db")
    try:
        names = ["date_overflow", "hugeint", "nested", "markup", "ipv6_url"]
        summary = Ingestor(Pipeline(store)).run([Source("jsonl", str(hostile(f"{n}.jsonl"))) for n in names])
        assert summary.failed == 4 and store.count_articles() == 3
    finally:
        store.close()


def test_text_over_the_cap_is_refused_before_any_work() -> None:
    record = json.dumps({"id": "long", "title": "t", "text": "word " * 200_000}).encode()
    started = time.perf_counter()
    item = record_item(record, "f:1")
    assert isinstance(item, IngestError) and "text too long" in item.reason
    assert time.perf_counter() - started < 1
