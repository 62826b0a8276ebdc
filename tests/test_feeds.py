"""Feeds end to end against the loopback news web: what gets stored, whatever the web does."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from newsweb import Fault, NewsWeb, load_pages
from typer.testing import CliRunner

from storyweave.cli import app
from storyweave.feeds import (
    FeedListError,
    FeedParseError,
    Poller,
    PollSettings,
    add_feed,
    get_feed_state,
    list_feeds,
    parse_feed,
    read_feed_list,
    start_polling,
)
from storyweave.feeds.poller import DomainLimiter, is_transient
from storyweave.feeds.sources import get_item
from storyweave.fetch import Fetcher, FetchError
from storyweave.pipeline import Pipeline
from storyweave.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 1_000_000


@pytest.fixture(scope="module")
def pages(shared_data):
    return load_pages(shared_data, real=2, rendered=3, languages=["es", "de", "ar"])


@pytest.fixture
def web(pages):
    with NewsWeb(pages) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    if request.param == "postgres":
        from storyweave.store.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        store = SQLiteStore(tmp_path / "feeds.db")
    yield store
    store.close()


def make_poller(store, pipeline=None, **settings) -> Poller:
    fetcher = Fetcher(allowed_hosts=("127.0.0.1",), timeout=1.0, max_bytes=MAX_BYTES)
    defaults = {"domain_delay": 0.0, "retry_base": 0.05, "workers": 4}
    return Poller(store, pipeline or Pipeline(store, None), fetcher, PollSettings(**{**defaults, **settings}))


def stored_slugs(store) -> list[str]:
    return sorted(a.url.rsplit("/", 1)[1] for a in store.iter_articles())


def follow(store, web, name, slugs, fmt="rss") -> str:
    url = web.add_feed(name, slugs, fmt)
    add_feed(store, url, title=f"{name} outlet")
    return url


# -- the good path ---------------------------------------------------------------------------------------
def test_every_item_of_rss_atom_and_json_feeds_stored_once_then_conditional_get(any_store, web, pages):
    slugs = [p.slug for p in pages]
    follow(any_store, web, "rss", slugs[:4])
    follow(any_store, web, "atom", slugs[3:6], "atom")  # shares one page with the RSS feed
    follow(any_store, web, "json", slugs[6:], "json")
    poller = make_poller(any_store)
    first = poller.poll_all()
    assert (first.stored, first.duplicates + first.seen, first.bad) == (len(slugs), 1, 0)
    assert stored_slugs(any_store) == sorted(slugs)
    es = next(
        a for a in any_store.iter_articles() if a.url.endswith(next(s for s in slugs if s.startswith("es-")))
    )
    assert es.lang == "es" and es.source.endswith(" outlet") and es.published is not None

    second = poller.poll_all()  # nothing changed: three 304s, no page fetched again
    assert (second.not_modified, second.stored) == (3, 0)
    assert all(len(web.requests_to(f"/a/{s}")) == 1 for s in slugs)
    assert web.requests_to("/feeds/rss.rss")[-1].headers["if-none-match"]
    assert any_store.count_articles() == len(slugs)


# -- faults ----------------------------------------------------------------------------------------------
def test_feed_500s_back_off_exponentially_log_once_and_recover(sqlite_store, web, pages, caplog):
    url = follow(sqlite_store, web, "news", [p.slug for p in pages[:3]])
    web.fault("/feeds/news.rss", Fault("status", 500, times=3))
    poller = make_poller(sqlite_store, retry_base=10.0)
    delays = []
    with caplog.at_level(logging.INFO, logger="storyweave.feeds"):
        for _ in range(3):
            report = poller.poll_due(now=time.time() + 10_000)  # force it due each time
            assert report.feeds_failed == 1
            delays.append(get_feed_state(sqlite_store, url).next_due - time.time())
        assert poller.poll_due().feeds == 0  # backing off: not polled before its time
        assert poller.poll_due(now=time.time() + 10_000).stored == 3
    assert [round(d / 10) for d in delays] == [1, 2, 4]
    assert len([r for r in caplog.records if "unreachable" in r.message]) == 1
    assert "HTTP 500" in caplog.text and "reachable again" in caplog.text
    assert get_feed_state(sqlite_store, url).failures == 0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(Fault("slow", 3.0, times=1), "timed out"), (Fault("huge", 2 * MAX_BYTES, times=1), "too large")],
    ids=["slow", "huge"],
)
def test_slow_or_huge_feed_fails_the_poll_then_recovers(sqlite_store, web, pages, fault, reason):
    url = follow(sqlite_store, web, "news", [p.slug for p in pages[:2]])
    web.fault("/feeds/news.rss", fault)
    poller = make_poller(sqlite_store)
    assert poller.poll_all().feeds_failed == 1
    assert reason in get_feed_state(sqlite_store, url).last_error
    assert poller.poll_due(now=time.time() + 10_000).stored == 2


@pytest.mark.parametrize(
    "fault", [Fault("status", 500, times=1), Fault("slow", 3.0, times=1)], ids=["500", "slow"]
)
def test_transient_page_failures_are_retried_later_and_stored_once(sqlite_store, web, pages, fault):
    slugs = [p.slug for p in pages[:3]]
    follow(sqlite_store, web, "news", slugs)
    web.fault(f"/a/{slugs[1]}", fault)
    poller = make_poller(sqlite_store)
    first = poller.poll_all()
    assert (first.stored, first.retry) == (2, 1)
    assert get_item(sqlite_store, web.url(f"/a/{slugs[1]}")).status == "retry"
    second = poller.poll_all()  # the feed is unchanged (304), the pending item is retried anyway
    assert (second.not_modified, second.stored) == (1, 1)
    assert stored_slugs(sqlite_store) == sorted(slugs)


def test_page_failing_every_time_is_given_up_and_reported(sqlite_store, web, pages, caplog):
    slugs = [p.slug for p in pages[:2]]
    follow(sqlite_store, web, "news", slugs)
    web.fault(f"/a/{slugs[0]}", Fault("status", 503))
    poller = make_poller(sqlite_store, max_item_attempts=2)
    assert poller.poll_all().retry == 1
    assert poller.poll_all().bad == 1
    assert poller.poll_all().bad == 0  # given up for good: not fetched again
    assert len(web.requests_to(f"/a/{slugs[0]}")) == 2
    assert f"skipped item {web.url(f'/a/{slugs[0]}')}" in caplog.text and "HTTP 503" in caplog.text
    assert stored_slugs(sqlite_store) == [slugs[1]]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault("huge", 2 * MAX_BYTES), "too large"),
        (Fault("redirect", "http://10.0.0.1/admin"), "non-public address 10.0.0.1"),
        (Fault("status", 404), "HTTP 404"),
    ],
    ids=["huge", "redirect-private", "404"],
)
def test_permanent_page_failures_are_skipped_with_reason_once(
    sqlite_store, web, pages, caplog, fault, reason
):
    slugs = [p.slug for p in pages[:2]]
    follow(sqlite_store, web, "news", slugs)
    web.fault(f"/a/{slugs[0]}", fault)
    poller = make_poller(sqlite_store)
    report = poller.poll_all()
    assert (report.stored, report.bad) == (1, 1)
    assert reason in get_item(sqlite_store, web.url(f"/a/{slugs[0]}")).reason
    assert "skipped item" in caplog.text and reason in caplog.text
    web.fault(f"/a/{slugs[0]}", None)
    poller.poll_all()
    assert len(web.requests_to(f"/a/{slugs[0]}")) == 1 and stored_slugs(sqlite_store) == [slugs[1]]


def test_feed_redirect_to_metadata_address_is_refused(sqlite_store, web, pages):
    url = follow(sqlite_store, web, "news", [pages[0].slug])
    web.fault("/feeds/news.rss", Fault("redirect", "http://169.254.169.254/latest/meta-data/"))
    assert make_poller(sqlite_store).poll_all().feeds_failed == 1
    assert "169.254.169.254" in get_feed_state(sqlite_store, url).last_error
    assert sqlite_store.count_articles() == 0


def test_malformed_feeds_keep_what_is_readable_and_catch_up_after(sqlite_store, web, pages, caplog):
    slugs = [p.slug for p in pages]
    follow(sqlite_store, web, "rss", slugs[:4])
    json_url = follow(sqlite_store, web, "json", slugs[4:], "json")
    web.fault("/feeds/rss.rss", Fault("malformed", times=1))
    web.fault("/feeds/json.json", Fault("malformed", times=1))
    poller = make_poller(sqlite_store)
    first = poller.poll_all()
    assert first.feeds_failed == 1 and 0 < first.stored < 4  # truncated RSS: its first items are usable
    assert "malformed JSON Feed" in get_feed_state(sqlite_store, json_url).last_error
    assert "malformed but partly readable" in caplog.text
    poller.poll_due(now=time.time() + 10_000)  # the broken RSS left no ETag: the whole feed comes again
    assert stored_slugs(sqlite_store) == sorted(slugs)


def test_wrong_encodings_are_decoded_correctly(sqlite_store, web, pages):
    by_lang = {p.lang: p for p in pages if p.slug[:3] in ("es-", "de-")}
    follow(sqlite_store, web, "news", [p.slug for p in by_lang.values()])
    web.fault("/feeds/news.rss", Fault("wrong-encoding"))  # Windows-1252 bytes in a feed that says UTF-8
    web.fault(f"/a/{by_lang['es'].slug}", Fault("wrong-encoding"))  # re-encoded, declared in the header
    web.fault(f"/a/{by_lang['de'].slug}", Fault("wrong-encoding", "header"))  # UTF-8 under a Latin-1 header
    assert make_poller(sqlite_store).poll_all().stored == 2
    for page in by_lang.values():
        stored = next(a for a in sqlite_store.iter_articles() if a.url.endswith(page.slug))
        first_paragraph = page.text.split("\n")[0].strip()
        assert first_paragraph[:80] in stored.text, page.lang
        assert not page.text.isascii()


def test_changing_etags_and_repeated_entries_never_store_an_item_twice(sqlite_store, web, pages):
    slugs = [p.slug for p in pages[:3]]
    follow(sqlite_store, web, "news", [*slugs, slugs[0]])  # the feed lists one item twice
    web.fault("/feeds/news.rss", Fault("changing-etag"))
    poller = make_poller(sqlite_store)
    reports = [poller.poll_all() for _ in range(3)]
    assert [(r.not_modified, r.stored, r.seen) for r in reports] == [(0, 3, 0), (0, 0, 3), (0, 0, 3)]
    assert stored_slugs(sqlite_store) == sorted(slugs)
    assert len(web.requests_to(f"/a/{slugs[0]}")) == 1


class Killed(BaseException):
    """Stands for a kill: not an Exception, so nothing on the way up may swallow it."""


class DyingEngine:
    def __init__(self, survive: int) -> None:
        self.left = survive

    def add(self, article, vector=None) -> None:
        self.left -= 1
        if self.left < 0:
            raise Killed


def test_restart_in_the_middle_of_a_run_loses_and_duplicates_nothing(any_store, web, pages):
    slugs = [p.slug for p in pages]
    url = follow(any_store, web, "news", slugs)
    with pytest.raises(Killed):
        make_poller(any_store, Pipeline(any_store, DyingEngine(survive=3)), workers=2).poll_all()
    assert any_store.count_articles() == 3  # a killed add leaves no article behind
    assert get_feed_state(any_store, url).etag is None  # the feed counts as not yet read
    report = make_poller(any_store).poll_all()
    assert (report.stored, report.seen) == (len(slugs) - 3, 3)
    assert stored_slugs(any_store) == sorted(slugs)


class SnapshottingEngine:
    def __init__(self) -> None:
        self.added = self.snapshots = 0

    def add(self, article, vector=None) -> None:
        self.added += 1

    def snapshot(self) -> None:
        self.snapshots += 1


def test_kill_9_mid_watch_then_rerun_stores_every_item_exactly_once(shared_data, tmp_path):
    pages = load_pages(shared_data, real=0, rendered=24)  # two batches of items: the kill lands in the first
    db = tmp_path / "watch.db"
    command = [sys.executable, "-c", "from storyweave.cli import main; main()", "watch", "--once", "--store",
               str(db), "--allow-host", "127.0.0.1", "--host-delay", "0.02"]  # fmt: skip
    with NewsWeb(pages) as web, SQLiteStore(db) as store:
        add_feed(store, web.add_feed("news", [p.slug for p in pages]))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while store.count_articles() == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        partial = store.count_articles()
        assert 0 < partial < len(pages), f"kill did not land mid-run ({partial} of {len(pages)} stored)"
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{len(pages) - partial} new articles" in rerun.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM articles").fetchone() == (24, 24)
        assert conn.execute("SELECT COUNT(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0


# -- background polling (serve) and politeness --------------------------------------------------------------
def test_start_polling_runs_in_background_and_reports_a_dead_feed_once(
    sqlite_store, web, pages, tmp_path, caplog
):
    slugs = [p.slug for p in pages[:3]]
    good = web.add_feed("news", slugs)
    dead = "http://127.0.0.1:9/feed.xml"  # nothing listens on the discard port
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline text="Good" xmlUrl="{good}"/>'
        f'<outline text="Dead" xmlUrl="{dead}"/></body></opml>'
    )
    fetcher = Fetcher(allowed_hosts=("127.0.0.1",), timeout=1.0)
    settings = PollSettings(domain_delay=0.0, retry_base=0.05, interval=60)
    engine = SnapshottingEngine()
    with caplog.at_level(logging.INFO, logger="storyweave.feeds"):
        handle = start_polling(
            sqlite_store, opml, pipeline=Pipeline(sqlite_store, engine), fetcher=fetcher, settings=settings
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            sqlite_store.count_articles() < 3 or get_feed_state(sqlite_store, dead).failures < 3
        ):
            time.sleep(0.05)
        handle.stop()
    assert not handle.thread.is_alive()
    assert stored_slugs(sqlite_store) == sorted(slugs)
    assert (engine.added, engine.snapshots) == (3, 1)  # the engine's state is saved when polling stops
    assert get_feed_state(sqlite_store, dead).failures >= 3
    assert len([r for r in caplog.records if "unreachable" in r.message]) == 1


def test_start_polling_survives_a_broken_feeds_file(sqlite_store, tmp_path, caplog):
    bad = tmp_path / "feeds.opml"
    bad.write_text("<opml><body><outline xmlUrl='http://x.test/a'></body>")
    handle = start_polling(sqlite_store, bad, pipeline=Pipeline(sqlite_store, None))
    handle.stop()
    assert "feeds.opml:1: not valid OPML" in caplog.text


def test_domain_limiter_caps_concurrency_and_spaces_request_starts():
    limiter = DomainLimiter(per_domain=2, delay=0.05)
    starts, active, peak = [], [0], [0]
    lock = threading.Lock()

    def request() -> None:
        with limiter.slot("http://a.test/x"):
            with lock:
                starts.append(time.monotonic())
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.1)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert peak[0] == 2
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.045
    with limiter.slot("http://b.test/"):  # other hosts are not held up
        pass


@pytest.mark.parametrize(
    ("reason", "transient"),
    [
        ("HTTP 503 Service Unavailable", True),
        ("HTTP 429 Too Many Requests", True),
        ("timed out after 15 s", True),
        ("cannot connect ([Errno 111] Connection refused)", True),
        ("RemoteProtocolError: Server disconnected", True),
        ("HTTP 404 Not Found", False),
        ("refused: x.test resolves to non-public address 10.0.0.1 (see --allow-private)", False),
        ("too large (more than 10000000 bytes)", False),
        ("unexpected content type 'application/pdf' (wanted text/html)", False),
        ("disallowed by robots.txt", False),
    ],
)
def test_fetch_errors_worth_retrying(reason, transient):
    assert is_transient(FetchError("http://x.test/", reason)) is transient


# -- parsing and feed lists --------------------------------------------------------------------------------
def test_parse_rejects_what_is_not_a_feed():
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"<html><body>hello</body></html>", url="http://x.test/", content_type="text/html")
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"items": []}', url="http://x.test/", content_type="application/json")
    doc = b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": 7, "title": "t"}, {"url": "/a"}]}'
    items = parse_feed(doc, url="http://x.test/feed.json").items
    assert [(i.key, i.link) for i in items] == [("7", None), ("http://x.test/a", "http://x.test/a")]


def test_default_opml_lists_outlets_in_five_languages():
    feeds = read_feed_list(ROOT / "feeds.opml")
    assert {"en", "es", "de", "fr", "ar"} <= {f.lang for f in feeds}
    assert all(f.url.startswith("https://") and f.title for f in feeds)


def test_feed_list_errors_name_file_and_line(tmp_path):
    listing = tmp_path / "feeds.txt"
    listing.write_text("# my feeds\nhttps://a.test/rss\n\nftp://b.test/feed\n")
    with pytest.raises(FeedListError, match=r"feeds.txt:4: 'ftp://b.test/feed': not an http\(s\) feed URL"):
        read_feed_list(listing)
    with pytest.raises(FeedListError, match="cannot read"):
        read_feed_list(tmp_path / "missing.opml")


def test_feeds_commands(tmp_path):
    store = str(tmp_path / "cli.db")

    def run(*args: str):
        return CliRunner().invoke(app, [*args, "--store", store])

    opml = str(ROOT / "feeds.opml")
    count = len(read_feed_list(ROOT / "feeds.opml"))
    result = run("feeds", "import", opml)
    assert result.exit_code == 0 and f"{count} new feeds" in result.output, result.output
    assert "0 new feeds" in run("feeds", "import", opml).output
    assert "added" in run("feeds", "add", "https://example.org/rss").output
    assert "already following" in run("feeds", "add", "https://example.org/rss").output
    bad = run("feeds", "add", "file:///etc/passwd")
    assert bad.exit_code == 1 and "not an http(s) feed URL" in bad.output
    listing = run("feeds", "list").output
    assert "https://feeds.bbci.co.uk/arabic/rss.xml\tBBC News عربي\t" in listing
    assert f"{count + 1} feeds" in listing
    assert run("feeds", "remove", "https://example.org/rss").exit_code == 0
    assert run("feeds", "remove", "https://example.org/rss").exit_code == 1
    with SQLiteStore(store) as opened:
        assert len(list_feeds(opened)) == count


def test_watch_once_puts_feed_items_into_stories(web, pages, tmp_path):
    """The real write path, story engine included, through the CLI."""
    store = str(tmp_path / "watch.db")
    url = web.add_feed("news", [p.slug for p in pages[:3]])
    runner = CliRunner()
    assert runner.invoke(app, ["feeds", "add", url, "--store", store]).exit_code == 0
    result = runner.invoke(app, ["watch", "--once", "--allow-host", "127.0.0.1", "--store", store])
    assert result.exit_code == 0, result.output
    assert "3 new articles" in result.output
    with SQLiteStore(store) as opened:
        assert all(a.story_id for a in opened.iter_articles())
        assert opened.count_stories() >= 1
        assert opened.get_state("story_engine")  # snapshot saved: a restart need not replay
    refused = runner.invoke(app, ["watch", "--once", "--store", store])  # loopback is refused by default
    assert refused.exit_code == 1 and "1 failed" in refused.output
