"""REST API, exports and web pages of `storyweave serve`, in-process (FastAPI TestClient)."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from storyweave.models import Article, Outlet, Story
from storyweave.serve import create_app
from storyweave.serve.views import Reports, safe_url

T0 = datetime(2022, 12, 26, 9, 0, tzinfo=UTC)
TOKEN = "test-token"
XSS = "<script>alert(1)</script>"


def put_story(store, sid: str, articles: list[Article], *, thread: str | None = None) -> Story:
    for a in articles:
        a.story_id = sid
        store.add_article(a)
    times = [a.published for a in articles if a.published]
    story = Story(sid, first_seen=min(times), last_seen=max(times), thread_id=thread)
    store.save_story(story)
    return store.get_story(sid)


@pytest.fixture(autouse=True)
def analysed(monkeypatch) -> list[list[str]]:
    """Stand-in for the analysis worker (the browser tests run the real one): records the article ids it
    was given, and fails on a story with an article without title."""
    calls = []

    def analyse(self, articles):
        calls.append([a.id for a in articles])
        return None if any(not a.title for a in articles) else {"articles": len(articles)}

    monkeypatch.setattr(Reports, "_analyse", analyse)
    return calls


@pytest.fixture
def filled(sqlite_store):
    """Two stories of one thread (one of them bilingual), one with hostile content, and two outlets."""
    s = sqlite_store
    kim = put_story(
        s,
        "st-kim",
        [
            Article(
                "efe-1",
                "Kim calls for offensive deterrent",
                "Kim Jong-un met the Central Military Commission.\nHe pointed at a map of Camp Humphreys.",
                url="https://efe.com/kim",
                source="EFE",
                lang="en",
                published=T0,
            ),
            Article(
                "kh-1",
                "Kim orders stronger war deterrence",
                "Kim Jong-un met the Central Military Commission.\n"
                "Washington and Seoul call the drills defensive.",
                url="https://koreaherald.com/kim",
                source="Korea Herald",
                lang="en",
                published=T0 + timedelta(hours=3),
            ),
            Article(
                "efe-es",
                "Kim pide una disuasión ofensiva",
                "Kim Jong-un se reunió con la Comisión Militar.",
                url="https://efe.com/es/kim",
                source="EFE",
                lang="es",
                published=T0 + timedelta(hours=5),
            ),
        ],
        thread="th-korea",
    )
    put_story(
        s,
        "st-missile",
        [
            Article(
                "kh-2",
                "North Korea tests a missile",
                "Pyongyang launched a missile.",
                source="Korea Herald",
                lang="en",
                published=T0 + timedelta(days=2),
            ),
        ],
        thread="th-korea",
    )
    put_story(
        s,
        "st-evil",
        [
            Article(
                "evil",
                XSS,
                "<img src=x onerror=alert(2)> text",
                url="javascript:alert(3)",
                source="<b>Evil</b>",
                published=T0 - timedelta(days=30),
            ),
        ],
    )
    s.upsert_outlet(Outlet("EFE", "efe.com", "ES", "es", tags=["wire"]))
    s.upsert_outlet(Outlet("Korea Herald", "koreaherald.com", "KR", "en"))
    report = {
        "facts": [
            {
                "id": "f1",
                "text": "Kim met the Central Military Commission.",
                "sources": ["EFE", "Korea Herald"],
                "articles": ["efe-1", "kh-1"],
                "kind": "shared",
            },
            {
                "id": "f2",
                "text": "Kim pointed at a map of Camp Humphreys.",
                "sources": ["EFE"],
                "articles": ["efe-1"],
                "kind": "unique",
            },
        ],
        "outlets": {"Korea Herald": {"unique": [], "omitted": ["f2"], "shared": ["f1"]}},
        "quotes": [
            {
                "text": "in a more practical and offensive way",
                "speaker": "Kim Jong-un",
                "kind": "direct",
                "outlets": ["EFE"],
                "articles": ["efe-1"],
            }
        ],
        "entities": [
            {
                "name": "Kim Jong-un",
                "label": "PERSON",
                "aliases": ["Kim Jong Un"],
                "counts": {"EFE": 2, "Korea Herald": 1},
            }
        ],
        "summary": {"sentences": [{"text": "Kim met his generals.", "sources": ["efe-1", "kh-1"]}]},
    }
    Reports(s).put(kim, report)
    return s


@pytest.fixture
def client(filled):
    with TestClient(create_app(filled, api_token=TOKEN)) as c:
        yield c


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_story_list_filters_sort_and_paging(client):
    assert ids(client.get("/api/stories")) == ["st-missile", "st-kim", "st-evil"]
    assert ids(client.get("/api/stories?sort=size"))[0] == "st-kim"
    assert ids(client.get("/api/stories?lang=es")) == ["st-kim"]
    assert ids(client.get("/api/stories", params={"outlet": "Korea Herald"})) == ["st-missile", "st-kim"]
    assert ids(client.get("/api/stories?q=missile")) == ["st-missile"]
    assert ids(client.get("/api/stories?entity=Camp Humphreys")) == ["st-kim"]
    assert ids(client.get("/api/stories?since=2022-12-27")) == ["st-missile"]
    assert ids(client.get("/api/stories?until=2022-12-01")) == ["st-evil"]
    page = client.get("/api/stories?limit=2").json()
    assert page["next_offset"] == 2
    assert ids(client.get("/api/stories?limit=2&offset=2")) == ["st-evil"]
    bad = client.get("/api/stories?since=yesterday")
    assert bad.status_code == 422 and "since" in bad.json()["detail"]


def test_story_detail_has_articles_report_and_thread(client):
    story = client.get("/api/stories/st-kim").json()
    assert [a["id"] for a in story["articles"]] == ["efe-1", "kh-1", "efe-es"]
    assert {o["name"]: o["articles"] for o in story["outlets"]} == {"EFE": 2, "Korea Herald": 1}
    assert story["report"]["summary"]["sentences"][0]["sources"] == ["efe-1", "kh-1"]
    assert [s["id"] for s in story["thread"]] == ["st-missile"] and story["report_status"] == "ready"
    missile = client.get("/api/stories/st-missile").json()
    assert missile["report"] is None and missile["report_status"] == "pending"
    missile = client.get("/api/stories/st-missile?wait=true").json()
    assert missile["report"] == {"articles": 1} and missile["report_status"] == "ready"
    assert client.get("/api/stories/nope").status_code == 404


def test_status(client):
    assert client.get("/api/status").json() == {
        "articles": 5,
        "stories": 3,
        "writes": "enabled",
        "engine": "not loaded",
        "analysis": "installed",
        "feeds": {"followed": 0, "ok": 0, "failing": 0, "not_polled_yet": 0, "last_ok": None, "errors": []},
    }


def test_articles_and_outlets(client):
    assert client.get("/api/articles/kh-1").json()["text"].startswith("Kim Jong-un met")
    assert ids(client.get("/api/articles?story_id=st-kim&lang=es")) == ["efe-es"]
    assert ids(client.get("/api/articles?q=Humphreys")) == ["efe-1"]
    assert [o["name"] for o in client.get("/api/outlets").json()] == ["EFE", "Korea Herald"]
    assert client.get("/api/outlets/EFE").json()["tags"] == ["wire"]
    assert client.get("/api/outlets/Nobody").status_code == 404


def test_writes_need_the_token(filled):
    body = {"tags": ["public"]}
    with TestClient(create_app(filled)) as read_only:
        response = read_only.patch(
            "/api/outlets/EFE", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 403 and "read-only" in response.json()["detail"]
    with TestClient(create_app(filled, api_token=TOKEN)) as c:
        assert c.patch("/api/outlets/EFE", json=body).status_code == 401
        assert (
            c.patch("/api/outlets/EFE", json=body, headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        ok = c.patch("/api/outlets/EFE", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["tags"] == ["public"] and ok.json()["country"] == "ES"
    assert filled.get_outlet("EFE").tags == ["public"]


def test_ingest_merge_and_split_through_the_engine(client, filled):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    articles = [
        {
            "id": "n1",
            "title": "Flood hits Valencia",
            "text": "Heavy rain flooded Valencia on Tuesday.",
            "source": "EFE",
            "lang": "en",
            "published": "2024-10-29T10:00:00Z",
        },
        {
            "id": "n2",
            "title": "Chess world title decided",
            "text": "A new chess world champion was crowned.",
            "source": "Korea Herald",
            "lang": "en",
            "published": "2024-10-29T11:00:00Z",
        },
    ]
    bad = {"title": "Bad date", "text": "x", "published": "yesterday"}
    results = client.post("/api/ingest/articles", json=[*articles, bad], headers=auth).json()
    assert [r["status"] for r in results] == ["added", "added", "failed"]
    assert "item 2" in results[2]["error"] and "published" in results[2]["error"]
    again = client.post("/api/ingest/articles", json=articles[:1], headers=auth).json()
    assert again[0]["status"] == "duplicate"
    a, b = results[0]["story_id"], results[1]["story_id"]
    assert a and b and filled.get_article("n2").story_id == b

    def split(story_id):
        response = client.post(f"/api/stories/{story_id}/split", json={"article_ids": ["n2"]}, headers=auth)
        return response.json()["story_id"]

    if a == b:  # the engine put them together: take them apart by hand first
        b = split(a)
    merged = client.post("/api/stories/merge", json={"story_ids": [a, b]}, headers=auth).json()["story_id"]
    assert set(filled.get_story(merged).article_ids) == {"n1", "n2"}
    gone = b if merged == a else a
    # A link to the merged-away story leads to the story it became (API and page, query kept); others 404.
    moved = client.get(f"/api/stories/{gone}?wait=false", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == f"/api/stories/{merged}?wait=false"
    assert client.get(f"/api/stories/{gone}").json()["id"] == merged
    page = client.get(f"/stories/{gone}", follow_redirects=False)
    assert page.status_code == 308 and page.headers["location"] == f"/stories/{merged}"
    assert client.get("/api/stories/st-never-existed").status_code == 404
    new = split(merged)
    assert filled.get_story(new).article_ids == ["n2"] and filled.get_story(merged).article_ids == ["n1"]
    lone = client.post(f"/api/stories/{new}/split", json={"article_ids": ["n2"]}, headers=auth)
    assert lone.status_code == 422 and "at least one" in lone.json()["detail"]


def test_ingest_refuses_loopback_urls(client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    result = client.post("/api/ingest/urls", json={"urls": ["http://127.0.0.1:9/x"]}, headers=auth).json()
    assert result[0]["status"] == "failed" and "127.0.0.1" in result[0]["error"]
    assert "--allow-private" not in result[0]["error"]  # serve has no such option: name none


def test_exports(client):
    rows = list(csv.reader(io.StringIO(client.get("/export/stories.csv?sort=size").text)))
    assert rows[0][:3] == ["id", "title", "size"] and rows[1][:3] == [
        "st-kim",
        "Kim calls for offensive deterrent",
        "3",
    ]
    evil = next(r for r in rows if r[0] == "st-evil")
    assert evil[1] == XSS
    atom = client.get("/export/stories.atom?lang=en")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(atom.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)] == [
        "North Korea tests a missile",
        "Kim calls for offensive deterrent",
    ]
    assert "lang=en" in feed.find("a:link[@rel='self']", ns).get("href")
    exported = client.get("/export/stories.json?outlet=EFE").json()
    assert [s["id"] for s in exported["stories"]] == ["st-kim"]


def test_spreadsheet_formulas_are_defused(client, filled):
    put_story(filled, "st-formula", [Article("f", '=HYPERLINK("http://x")', "t", published=T0)])
    rows = list(csv.reader(io.StringIO(client.get("/export/stories.csv").text)))
    assert next(r for r in rows if r[0] == "st-formula")[1].startswith("'=")


def test_security_headers_everywhere(client):
    for path in ["/", "/api/stories", "/static/style.css", "/stories/nope"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    docs = client.get("/docs")
    assert "'sha256-" in docs.headers["content-security-policy"] and "unsafe-inline" not in docs.text
    assert client.get("/openapi.json").json()["paths"]["/api/stories"]


def test_untrusted_content_is_inert_in_pages(client):
    for path in ["/", "/stories/st-evil", "/articles/evil", "/search?q=alert"]:
        html = client.get(path).text
        assert XSS not in html and "<img src=x" not in html and "<b>Evil</b>" not in html, path
        assert 'href="javascript:' not in html.lower(), path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/articles/evil").text
    assert 'href="https://efe.com/kim"' in client.get("/articles/efe-1").text


@pytest.mark.parametrize(
    "url, safe",
    [
        ("https://example.com/a?b=1", True),
        ("http://x.org", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//evil.com/x", False),
        ("/relative", False),
        ("https:///nohost", False),
        (None, False),
    ],
)
def test_safe_url(url, safe):
    assert (safe_url(url) is not None) == safe


def test_pages_render_story_matrix_citations_and_charts(client):
    front = client.get("/")
    assert front.status_code == 200 and "Kim calls for offensive deterrent" in front.text
    page = client.get("/stories/st-kim").text
    assert page.count('class="cell shared"') == 2
    assert page.count('class="cell unique"') == 1 and page.count('class="cell omitted"') == 1
    assert 'href="#src-1"' in page and 'href="#src-2"' in page and 'id="src-3"' in page
    assert page.count("<svg") == 2 and "Reports per outlet" in page
    assert "Kim Jong-un" in page and "Camp Humphreys" in page
    assert "North Korea tests a missile" in page  # related story of the thread
    assert client.get("/stories/nope").status_code == 404
    assert "data-poll" in client.get("/stories/st-evil").text  # comparison pending: the page refreshes itself
    outlet = client.get("/outlets/Korea Herald").text
    assert "North Korea tests a missile" in outlet
    assert "EFE" in client.get("/outlets").text
    search = client.get("/search?q=Humphreys").text
    assert "Kim calls for offensive deterrent" in search


def test_reports_are_computed_behind_the_pages_and_refreshed(sqlite_store, analysed):
    reports = Reports(sqlite_store)
    story = put_story(sqlite_store, "st", [Article("a1", "One", "x", published=T0)])
    assert reports.get(story) == (None, "pending")
    assert reports.get(story, wait=True) == ({"articles": 1}, "ready")
    assert reports.get(story) == ({"articles": 1}, "ready") and len(analysed) == 1  # cached
    sqlite_store.add_article(Article("a2", "Two", "y", published=T0, story_id="st"))
    grown = sqlite_store.get_story("st")
    assert reports.get(grown) == ({"articles": 1}, "stale")  # the last report at once...
    assert reports.get(grown, wait=True) == ({"articles": 2}, "ready")  # ...while a fresh one is computed
    assert analysed[-1] == ["a1", "a2"]
    sqlite_store.add_article(Article("a3", "", "", published=T0, story_id="st"))
    failing = sqlite_store.get_story("st")
    assert reports.get(failing, wait=True) == ({"articles": 2}, "stale")
    assert reports.get(failing, wait=True) == ({"articles": 2}, "stale") and len(analysed) == 3  # not retried
    reports.close()


def test_a_report_by_other_analysis_code_is_recomputed(sqlite_store, analysed, monkeypatch):
    """After an upgrade the stored reports were still served as current ("ready"): the reader's store kept
    showing ○ where the new matrix says ≈. A report computed by another analysis version is stale."""
    import storyweave.serve.views as views

    story = put_story(sqlite_store, "st", [Article("a1", "One", "x", published=T0)])
    reports = Reports(sqlite_store)
    assert reports.get(story, wait=True) == ({"articles": 1}, "ready")
    reports.close()
    monkeypatch.setattr(views, "REPORT_FORMAT", views.REPORT_FORMAT + 1)
    upgraded = Reports(sqlite_store)
    assert upgraded.get(story) == ({"articles": 1}, "stale")
    assert upgraded.get(story, wait=True) == ({"articles": 1}, "ready") and len(analysed) == 2
    upgraded.close()


def test_closing_reports_lets_the_running_job_finish_with_the_store(tmp_path, monkeypatch, caplog):
    """The server closes its reports before its store: the job in flight then ends its store writes first
    (it once wrote to a closed database: "Cannot operate on a closed database" in the log)."""
    import storyweave.analyse.prepared as prepared
    from storyweave.store import open_store

    busy, saved = threading.Event(), []

    def in_worker(self, job, articles, *args, **_):
        busy.set()
        time.sleep(0.3)  # the worker is busy when the server stops
        return ["record"]

    monkeypatch.setattr(Reports, "_in_worker", in_worker)
    monkeypatch.setattr(prepared, "save_prepared", lambda store, records: saved.append(store.get_state("x")))
    store = open_store(tmp_path / "s.db")
    reports = Reports(store)
    reports.prepare_soon([Article("a1", "One", "Some text.", published=T0)])
    assert busy.wait(10)
    reports.close()
    store.close()
    assert saved == [None]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_feed_polling_shares_the_write_path_and_stops_with_the_app(filled, tmp_path, monkeypatch):
    import storyweave.feeds

    calls = []

    class Handle:
        def stop(self):
            calls.append("stop")

    def start_polling(store, feeds_file, *, pipeline, write_lock, stages):
        calls.append((store, feeds_file, pipeline, write_lock, stages))
        return Handle()

    monkeypatch.setattr(storyweave.feeds, "start_polling", start_polling)
    feeds = tmp_path / "feeds.opml"
    app = create_app(filled, feeds=feeds)
    with TestClient(app) as c:
        assert c.get("/api/stories").status_code == 200
        store, path, pipeline, lock, stages = calls[0]
        assert store is filled and path == feeds
        assert pipeline is app.state.writer.pipeline() and lock is app.state.writer.lock
        assert stages is None  # the poller's own threads (`serve --ray` passes Ray's)
    assert calls[-1] == "stop"


def test_query_cache_recomputes_once_and_answers_meanwhile():
    from storyweave.serve.views import QueryCache

    cache, calls = QueryCache(ttl=0.05), []
    assert cache.get(("k",), lambda: calls.append(1) or len(calls)) == 1
    assert cache.get(("k",), lambda: calls.append(1) or len(calls)) == 1 and len(calls) == 1
    time.sleep(0.06)
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return "new"

    worker = threading.Thread(target=lambda: cache.get(("k",), slow))
    worker.start()
    started.wait(5)
    assert cache.get(("k",), lambda: "other") == 1  # expired, but being recomputed: the old answer
    release.set()
    worker.join(5)
    assert cache.get(("k",), lambda: "other") == "new"


# -- the story page and the first hour (issue 12) ---------------------------------------------------------
def test_calendar_bins_are_labelled_by_the_calendar():
    from storyweave.serve.charts import calendar_bins, time_columns

    leap = [datetime(2016, 1, 31, tzinfo=UTC), datetime(2016, 2, 29, 23, tzinfo=UTC),
            datetime(2016, 12, 31, 23, 59, tzinfo=UTC)]  # fmt: skip
    unit, bins = calendar_bins(leap)
    assert unit == "month" and len(bins) == 12 and [n for _, n in bins][:3] == [1, 1, 0]
    assert [b.label for b in time_columns(leap).bars][::11] == ["Jan 2016", "Dec 2016"]
    unit, bins = calendar_bins([datetime(2021, 12, 31, 22, tzinfo=UTC), datetime(2022, 1, 1, 3, tzinfo=UTC)])
    assert unit == "hour" and [s.hour for s, _ in bins] == [22, 23, 0, 1, 2, 3]
    years = time_columns([datetime(y, 12, 31, 23, tzinfo=UTC) for y in (2012, 2016, 2020, 2024, 2035)])
    assert [b.label for b in years.bars][::4] == ["2012", "2016", "2020", "2024", "2028", "2032"]
    assert [b.value for b in years.bars if b.value] == [1, 1, 1, 1, 1] and len(years.bars) == 24
    gap = years.ticks[1][0] - years.ticks[0][0]
    assert gap >= 4 * 7.5, "tick labels are spaced wider than a four-digit year"
    ages = time_columns([datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)])
    assert len(ages.bars) <= 24 and ages.bars[0].label.startswith("1–") and ages.bars[-1].value == 1


@pytest.mark.parametrize(
    ("source", "url", "name"),
    [
        ("africa.chinadaily.com.cn", None, "chinadaily.com.cn"),
        ("www.chinadaily.com.cn", None, "chinadaily.com.cn"),
        (None, "https://europe.chinadaily.com.cn/a/1.html", "chinadaily.com.cn"),
        (None, "https://news.bbc.co.uk/x", "bbc.co.uk"),
        ("The Verge", "https://www.theverge.com/x", "The Verge"),
        ("  Korea   Herald ", None, "Korea Herald"),
        (None, "http://127.0.0.1:8000/x", "127.0.0.1"),
        (None, None, None),
    ],
)
def test_outlet_names_fold_subdomains(source, url, name):
    from storyweave.outlets import outlet_name

    assert outlet_name(source, url) == name


def test_filters_ignore_case_and_find_outlets_by_domain(client):
    assert ids(client.get("/api/stories?outlet=efe")) == ["st-kim"]
    assert ids(client.get("/api/stories?outlet=koreaherald")) == ["st-missile", "st-kim"]
    assert ids(client.get("/api/stories?lang=ES")) == ["st-kim"]
    assert "Kim calls for offensive deterrent" in client.get("/?outlet=EFE&lang=En").text
    assert ids(client.get("/api/stories?outlet=nobody")) == []


def test_story_page_without_ratings_explains_how_to_import_them(client, filled):
    page = client.get("/stories/st-kim").text
    assert 'id="cov-country"' in page and "no-ratings" not in page  # the fixture's outlets have countries
    for outlet in filled.list_outlets():
        outlet.country, outlet.tags = None, []
        filled.upsert_outlet(outlet)
    client.post("/api/ingest/articles", json=[], headers={"Authorization": f"Bearer {TOKEN}"})
    page = client.get("/stories/st-missile").text
    assert 'id="no-ratings"' in page and "storyweave outlets import outlets.csv" in page
    blind = client.get("/blindspots").text
    assert 'id="how-to-rate"' in blind and "name,domain,country,language,lean,tags" in blind


def test_blindspots_from_ratings(client, filled):
    filled.upsert_outlet(Outlet("EFE", "efe.com", "ES", "es", lean="left"))
    filled.upsert_outlet(Outlet("Korea Herald", "koreaherald.com", "KR", "en", lean="right"))
    assert "North Korea tests a missile" not in client.get("/blindspots").text  # one outlet is too few
    filled.upsert_outlet(Outlet("Yonhap", "yna.co.kr", "KR", "en", lean="right"))
    when = T0 + timedelta(days=2)
    yonhap = Article("yh-1", "Missile test", "Pyongyang fired a missile.", source="Yonhap", published=when)
    yonhap.story_id = "st-missile"
    filled.add_article(yonhap)
    page = client.get("/blindspots").text
    right = page[page.index("Covered mostly by <b>right</b>") :]
    assert "North Korea tests a missile" in right  # two outlets, both rated right
    assert "Kim calls for offensive deterrent" not in page  # 2 of 3 reports left: under 75 %
    story = client.get("/stories/st-missile").text
    assert "Mostly covered by outlets you rate <b>right</b>" in story


def test_cohesion_is_shown_when_the_engine_gives_it(client, filled):
    assert client.get("/api/stories/st-kim").json()["cohesion"] is None
    assert 'id="cohesion"' not in client.get("/stories/st-kim").text
    missile = filled.get_story("st-missile")
    missile.cohesion = 0.31
    filled.save_story(missile)
    assert client.get("/api/stories/st-missile").json()["cohesion"] == 0.31
    page = client.get("/stories/st-missile").text
    assert 'class="cohesion loose"' in page and "more than one event" in page
    assert "loose</span>" in client.get("/").text
    missile.cohesion = 0.67  # a two-event story can be this close in content: the page must not vouch for it
    filled.save_story(missile)
    page = client.get("/stories/st-missile").text
    assert 'class="cohesion tight"' in page and "does not prove they report one event" in page
    assert "one event closely" not in page


def test_status_and_empty_front_page_tell_what_is_happening(sqlite_store):
    from storyweave.feeds.sources import FeedState, add_feed, put_feed_state

    with TestClient(create_app(sqlite_store)) as c:
        front = c.get("/").text
        assert 'id="empty-store"' in front and "No feeds are followed" in front
        assert "storyweave ingest" in front
        for n in range(3):
            add_feed(sqlite_store, f"https://feeds.example.org/{n}.xml")
            state = FeedState(failures=2, last_error="timed out")
            put_feed_state(sqlite_store, f"https://feeds.example.org/{n}.xml", state)
        front = c.get("/").text
        assert "All 3 followed feeds are failing" in front and "timed out" in front
        feeds = c.get("/api/status").json()["feeds"]
        assert feeds["followed"] == 3 and feeds["failing"] == 3 and feeds["ok"] == 0
        assert "3 feeds followed: 0 ok, 3 failing" in c.get("/feeds").text


def test_cards_lead_with_a_statement_not_page_furniture(sqlite_store):
    from storyweave.serve.views import card

    furniture = "next\nPhoto\nImage copyright Getty Images\nVjeran Pavic/The Verge\n"
    furniture += "Enlarge this image toggle caption Alastair Grant/AP Alastair Grant/AP\n"
    text = furniture + "The rocket lifted off from the launch pad at dawn on Sunday."
    put_story(sqlite_store, "st-x", [Article("x1", "Rocket launch", text, source="A", published=T0)])
    assert card(sqlite_store, sqlite_store.get_story("st-x")).lead.startswith("The rocket lifted off")


def test_undated_stories_come_last_in_latest(client, filled):
    filled.add_article(Article("u1", "Undated report", "Text without a date.", source="EFE", story_id="st-u"))
    filled.save_story(Story("st-u", first_seen=None, last_seen=None))
    assert ids(client.get("/api/stories"))[-1] == "st-u"
    assert "undated" in client.get("/").text


def test_article_meta_has_no_leading_separator(client, filled):
    filled.add_article(Article("nodate", "No date", "Text.", source="EFE", author="Ana", story_id="st-kim"))
    page = client.get("/articles/nodate").text
    meta = page[page.index('<p class="meta">') : page.index("</p>", page.index('<p class="meta">'))]
    assert meta.split(">", 1)[1].strip().startswith("Ana")


def test_outlets_page_says_what_it_counts(client):
    page = client.get("/outlets").text
    assert "the latest 3 stories" in page.replace("\n", " ")


def test_docs_page_needs_no_network(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "https://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_split_and_merge_from_the_page_need_the_token(client, filled):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    added = [
        {"id": "m1", "title": "Flood hits Valencia", "text": "Heavy rain flooded Valencia on Tuesday.",
         "source": "EFE", "lang": "en", "published": "2024-10-29T10:00:00Z"},
        {"id": "m2", "title": "Flood hits Valencia again", "text": "Heavy rain flooded Valencia again.",
         "source": "Korea Herald", "lang": "en", "published": "2024-10-29T11:00:00Z"},
    ]  # fmt: skip
    results = client.post("/api/ingest/articles", json=added, headers=auth).json()
    story = results[0]["story_id"]
    if results[1]["story_id"] != story:
        client.post("/api/stories/merge", json={"story_ids": [story, results[1]["story_id"]]}, headers=auth)
    form = {"article_ids": ["m2"], "token": "wrong"}
    assert client.post(f"/stories/{story}/split", data=form, follow_redirects=False).status_code == 401
    form["token"] = TOKEN
    split = client.post(f"/stories/{story}/split", data=form, follow_redirects=False)
    assert split.status_code == 303
    new = split.headers["location"].rsplit("/", 1)[1]
    assert filled.get_story(new).article_ids == ["m2"] and filled.get_story(story).article_ids == ["m1"]
    page = client.get(f"/stories/{story}").text
    assert f'action="/stories/{story}/merge"' in page
    merged = client.post(f"/stories/{story}/merge", data={"other": f"http://x/stories/{new}", "token": TOKEN},
                         follow_redirects=False)  # fmt: skip
    assert merged.status_code == 303
    assert set(filled.get_story(merged.headers["location"].rsplit("/", 1)[1]).article_ids) == {"m1", "m2"}
    with TestClient(create_app(filled)) as read_only:
        refused = read_only.post(f"/stories/{story}/merge", data={"other": new, "token": TOKEN})
        assert refused.status_code == 403 and "read-only" in refused.text


def test_card_titles_split_reports_only_up_to_their_first_statement(seeds_dir, monkeypatch):
    """A story without a usable headline (the seeds) is titled with a report's first statement: finding it
    splits each report up to that statement, not whole (a listing of 50 such stories split 50 articles
    per request); the title is the same."""
    from storyweave.analyse import text
    from storyweave.analyse.titles import story_headline

    articles = []
    for path in sorted(seeds_dir.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        articles.append(Article(path.stem, title, body.strip()))
    paragraphs, split = sum(len(a.text.split("\n")) for a in articles), []
    real = text.split_sentences
    monkeypatch.setattr(text, "split_sentences", lambda t, lang=None: split.append(t) or real(t, lang))
    assert story_headline(articles[0].title, articles) == (
        "North Korean state media KCNA said Kim held a meeting with the Central Military Commission of the "
        "ruling Workers’ Party on Monday"
    )
    assert len(split) == 2 and paragraphs > 30


def test_seed_story_title_is_a_whole_sentence_and_sources_are_named(sqlite_store, seeds_dir, shared_data):
    """Ingested as a new user does (`storyweave ingest ../shared/seeds`: no outlet given), the seeds were
    titled with a lead paragraph cut mid-phrase ("… in the face of, as he…") and listed its reports under
    "unknown outlet"; a site's name ("Sports News | Breaking & Latest Sports News") titled a story."""
    import json

    from storyweave.cluster import StoryEngine
    from storyweave.ingest import Ingestor, Source
    from storyweave.ingest.readers import article_from_record
    from storyweave.pipeline import Pipeline
    from storyweave.serve.views import card

    pipeline = Pipeline(sqlite_store, StoryEngine(sqlite_store))
    Ingestor(pipeline).run([Source("text", str(p)) for p in sorted(seeds_dir.glob("*.txt"))])
    (story,) = sqlite_store.list_stories()
    assert story.title.endswith("as he…")  # the engine's title: the first line of a pasted text, cut
    title = card(sqlite_store, story).title
    assert title == ("North Korean leader Kim Jong-un called for a strengthening of the country’s war "
                     "deterrence during a meeting with his senior military officials")  # fmt: skip
    with TestClient(create_app(sqlite_store)) as client:
        page = client.get(f"/stories/{story.id}").text
    assert "unknown outlet" not in page and "000_a9ead92bffc35e67" in page and title in page
    assert ">000_a9ead92bffc35…</text>" in page  # the chart's label fits its 150 px, not cut at the left edge
    with open(shared_data / "clustering" / "wikinews.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    pipeline.add(article_from_record(next(r for r in rows if r["title"].startswith("Sports News |"))))
    pipeline.add(article_from_record(next(r for r in rows if r["id"] == "wns-070-2")))
    robinho = next(s for s in sqlite_store.list_stories() if "wns-070-2" in s.article_ids)
    with TestClient(create_app(sqlite_store)) as client:
        listed = client.get(f"/stories/{robinho.id}").text.split('id="sources"')[1]
    assert "Mãe de Robinho é libertada</a>" in listed and ":::" not in listed
    sports = next(s for s in sqlite_store.list_stories() if s.id not in (story.id, robinho.id))
    assert card(sqlite_store, sports).title == "Medvedev leads Russia to third Davis Cup title"


def test_conflicts_name_their_quantity_and_show_each_outlet_s_sentence(sqlite_store):
    """A conflict was one outlet's sentence followed by the other outlet's figure out of its context."""
    bbc, independent = "Croydon tram: Seven dead and 50 injured after derailment", (
        "Croydon tram crash: Five dead after vehicle overturns in south London")  # fmt: skip
    story = put_story(sqlite_store, "st-tram", [
        Article("bbc", bbc, "The tram overturned.", source="bbc.com", published=T0),
        Article("ind", independent, "The tram overturned.", source="independent.co.uk", published=T0),
    ])  # fmt: skip
    statements = [{"article": "bbc", "outlet": "bbc.com", "text": bbc},
                  {"article": "ind", "outlet": "independent.co.uk", "text": independent}]  # fmt: skip
    fact = {"id": "f1", "text": bbc, "sources": ["bbc.com", "independent.co.uk"], "articles": ["bbc", "ind"],
            "kind": "shared", "statements": statements}  # fmt: skip
    conflict = {"fact": "f1", "text": bbc, "unit": "dead", "quantity": "dead",
                "values": {"bbc.com": "Seven dead", "independent.co.uk": "Five dead"}}  # fmt: skip
    Reports(sqlite_store).put(story, {"facts": [fact], "outlets": {}, "conflicts": [conflict]})
    with TestClient(create_app(sqlite_store)) as client:
        page = client.get("/stories/st-tram").text
    listed = page[page.index('<ul class="conflicts">') :]
    assert '<span class="quantity">dead</span>' in listed and "<b>bbc.com</b> Seven dead" in listed
    assert "as each outlet wrote it" in listed and "Five dead after vehicle overturns" in listed


def test_matrix_shows_a_close_statement_as_close_and_no_exclusive() -> None:
    """A fact one outlet states and another comes close to is neither ★ for the first nor ○ for the other."""
    from storyweave.serve.views import fact_matrix

    facts = [
        {"id": "f1", "text": "Seven dead.", "sources": ["bbc"], "close": ["nyt"], "kind": "unique"},
        {"id": "f2", "text": "The tram was late.", "sources": ["bbc"], "close": [], "kind": "unique"},
    ]
    matrix = fact_matrix({"facts": facts, "outlets": {"nyt": {"omitted": []}}}, ["bbc", "nyt"])
    rows = {f["id"]: [c.state for c in cells] for s in matrix.sections for f, cells in s.rows}
    rows |= {f["id"]: [c.state for c in cells] for f, cells in matrix.rest}
    assert rows == {"f1": ["shared", "close"], "f2": ["unique", "absent"]}
    unique = next(s for s in matrix.sections if s.key == "unique")
    assert [f["id"] for f, _ in unique.rows] == ["f2"]


def test_a_single_outlet_story_has_no_matrix_of_stars(sqlite_store) -> None:
    """Reader's pages st-8c5719c02fa2 / st-08abe9cc55a2: one outlet, so every matrix row was ★ "only this
    outlet". There is nothing to compare: the page says so instead."""
    story = put_story(sqlite_store, "st-one", [
        Article("a", "Zoo kills gorilla", "The zoo shot the gorilla.", source="zoo.com", published=T0),
    ])  # fmt: skip
    fact = {"id": "f1", "text": "The zoo shot the gorilla.", "sources": ["zoo.com"], "articles": ["a"],
            "kind": "unique", "statements": []}  # fmt: skip
    Reports(sqlite_store).put(story, {"facts": [fact], "outlets": {}})
    with TestClient(create_app(sqlite_store)) as client:
        page = client.get("/stories/st-one").text
    assert 'class="cell unique"' not in page and "nothing to compare its facts with" in page


def test_a_headline_tail_does_not_title_a_story(shared_data) -> None:
    """Reader's page st-18ca6632f589 was titled "and 32 Small Ones": wikinews wns-064-0's page title is the
    tail of "One Giant Step - and 32 Small Ones". A fragment gives way to another report's headline."""
    import json

    from storyweave.analyse.titles import story_headline

    with open(shared_data / "clustering" / "wikinews.jsonl", encoding="utf-8") as lines:
        rows = [r for r in map(json.loads, lines) if r["cluster_id"] == "wns-064"]
    articles = [Article(r["id"], r["title"], r["text"]) for r in rows]
    tail = next(a for a in articles if a.title == "and 32 Small Ones")
    assert story_headline(tail.title, [tail, *[a for a in articles if a is not tail]]) != "and 32 Small Ones"
