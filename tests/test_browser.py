"""The web UI in real Chromium (Debian package) driven by Playwright, over a live uvicorn server on loopback.

Screenshots go to test-artifacts/ for people to look at."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from live import CHROMIUM, served

from storyweave.models import Article

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
XSS = "<script>alert(1)</script>"
SEED_OUTLETS = {"000_a9ead92bffc35e67": "EFE", "004_e76b97f84e9bb642": "Korea Herald"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def fill_store(store, seeds_dir: Path, shared_data: Path, tmp: Path) -> None:
    """The seeds (each file named as its own outlet with `source`, like `storyweave ingest --source`), the
    first 60 articles of a shared clustering set read like `ingest` reads JSON Lines, one hostile article,
    stories made for the layout checks, ratings imported by `storyweave outlets import` and a failing feed."""
    from storyweave.cluster import StoryEngine
    from storyweave.ingest import Ingestor, Source
    from storyweave.ingest.readers import article_from_record
    from storyweave.pipeline import Pipeline

    pipeline = Pipeline(store, StoryEngine(store))
    for path in sorted(seeds_dir.glob("*.txt")):
        summary = Ingestor(pipeline, source=SEED_OUTLETS[path.stem]).run([Source("text", str(path))])
        assert summary.added == 1
    with open(shared_data / "clustering" / "giveme5w1h.jsonl", encoding="utf-8") as lines:
        for line, _ in zip(lines, range(60), strict=False):
            pipeline.add(article_from_record(json.loads(line)))
    pipeline.add(
        Article(
            id="hostile",
            title=XSS,
            text="<img src=x onerror=alert(2)> Kim Jong-un",
            url="javascript:alert(3)",
            source="<b>Evil</b>",
            lang="en",
            published=datetime(2022, 12, 28, tzinfo=UTC),
        )
    )
    layout_stories(store)
    ratings = tmp / "ratings.csv"
    ratings.write_text(
        "name,domain,country,language,lean,tags\n"
        "EFE,efe.com,ES,es,center,wire\n"
        "Korea Herald,koreaherald.com,KR,en,right,daily\n"
        + "".join(f"{name},,US,en,left,\n" for name in WIDE_OUTLETS[:9])
        + f"{WIDE_OUTLETS[9]},,GB,en,right,\n"
        + f"<b>Evil</b>,,{XSS},en,{XSS},{XSS}\n",
        encoding="utf-8",
    )
    from typer.testing import CliRunner

    from storyweave.cli import app

    imported = CliRunner().invoke(app, ["outlets", "import", str(ratings), "--store", str(store.path)])
    assert imported.exit_code == 0, imported.output
    from storyweave.feeds.sources import FeedState, add_feed, put_feed_state

    add_feed(store, "https://feeds.example.org/world.xml", title="Example World")
    put_feed_state(
        store,
        "https://feeds.example.org/world.xml",
        FeedState(failures=3, last_error="connection refused", next_due=time.time() + 240),
    )
    add_feed(store, "https://feeds.example.org/evil.xml", title=XSS)
    put_feed_state(store, "https://feeds.example.org/evil.xml", FeedState(failures=1, last_error=XSS))


WIDE_OUTLETS = [f"{region}.chinadaily-international.com.cn" for region in ("africa", "europe", "asia")] + [
    "washingtonpost.com", "huffingtonpost.co.uk", "dailymail.co.uk", "Süddeutsche Zeitung",
    "The New York Times", "independent.co.uk", "abcnews.go.com", "telegraph.co.uk", "theguardian.com",
]  # fmt: skip
YEARS = [datetime(2013, 3, 1, tzinfo=UTC), datetime(2015, 12, 31, 23, 30, tzinfo=UTC),
         datetime(2016, 6, 1, tzinfo=UTC), datetime(2017, 1, 1, 0, 30, tzinfo=UTC)]  # fmt: skip
HOURS = [datetime(2022, 2, 4, 6, tzinfo=UTC) + timedelta(minutes=95 * i) for i in range(13)]


def _put_story(store, sid: str, times: list[datetime], outlets: list[str]) -> None:
    from storyweave.models import Story

    for i, (moment, outlet) in enumerate(zip(times, outlets, strict=False)):
        store.add_article(
            Article(f"{sid}-{i}", f"Layout report {i} of {sid}", f"Report {i} about the launch of a rocket.",
                    source=outlet, lang="en", published=moment, story_id=sid)
        )  # fmt: skip
    store.save_story(Story(sid, first_seen=min(times), last_seen=max(times), title=f"Layout story {sid}"))


def layout_stories(store) -> None:
    """Stories whose charts span years and hours, and one of 12 outlets with long names and a ready report."""
    from storyweave.serve.views import Reports

    _put_story(store, "st-years", YEARS, WIDE_OUTLETS)
    _put_story(store, "st-hours", HOURS, WIDE_OUTLETS)
    facts = [
        {"id": f"f{i}", "text": f"Fact number {i} that outlets report about the launch of the rocket.",
         "sources": WIDE_OUTLETS[: 12 - i] if i < 8 else [WIDE_OUTLETS[i % 12]]}
        for i in range(40)
    ]  # fmt: skip
    omitted = {name: {"omitted": ["f1", "f30", "f31"]} for name in WIDE_OUTLETS[9:]}
    Reports(store).put(store.get_story("st-hours"), {"facts": facts, "outlets": omitted})


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_dir, shared_data):
    from storyweave.serve import create_app
    from storyweave.store import SQLiteStore

    tmp = tmp_path_factory.mktemp("browser")
    store = SQLiteStore(tmp / "store.db")
    fill_store(store, seeds_dir, shared_data, tmp)
    with served(create_app(store)) as base:
        yield base, store
    store.close()


@pytest.fixture
def page(browser):
    """A page recording dialogs (alert() would mean script ran) and console errors (e.g. CSP violations)."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs, pg.errors = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_front_story_article_and_search(server, page):
    base, store = server
    seed_story = store.get_story(store.get_article("000_a9ead92bffc35e67").story_id)
    assert "004_e76b97f84e9bb642" in seed_story.article_ids, "the two seeds should form one story"

    page.goto(base + "/")
    assert page.locator("ol.stories > li").count() >= 10
    page.screenshot(path=ARTIFACTS / "front.png", full_page=True)
    page.locator(f"a[href='/stories/{seed_story.id}']").first.click()
    page.wait_for_url(f"**/stories/{seed_story.id}")
    if page.locator("[data-poll]").count():  # the comparison is computed behind the page, which refreshes
        page.screenshot(path=ARTIFACTS / "story-pending.png")
        page.locator("table.matrix").first.wait_for(timeout=180_000)

    matrix = page.locator("table.matrix").first
    assert matrix.locator("tbody tr").count() >= 3
    states = {c.get_attribute("class") for c in matrix.locator("td.cell").all()}
    assert {"cell shared", "cell unique"} <= states
    assert matrix.locator("thead th.outlet").all_inner_texts() == ["EFE", "Korea Herald"]
    cites = page.locator(".summary a.cite")
    assert cites.count() >= 2
    assert page.locator("svg.chart").count() == 1  # the seeds carry no dates: no timeline, and it says so
    assert page.locator("#no-dates").count() == 1
    page.screenshot(path=ARTIFACTS / "story.png", full_page=True)

    cites.first.click()
    target = page.locator("ol.sources li:target")
    assert target.count() == 1
    title = target.locator("a.title").inner_text()
    target.locator("a.title").click()
    page.wait_for_url("**/articles/**")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".in-story a").get_attribute("href") == f"/stories/{seed_story.id}"
    page.screenshot(path=ARTIFACTS / "article.png", full_page=True)

    page.fill("#site-q", "Humphreys")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Humphreys")
    assert page.locator(f"section a[href='/stories/{seed_story.id}']").count() == 1
    assert page.locator("ol.articles li").count() >= 1
    page.screenshot(path=ARTIFACTS / "search.png", full_page=True)
    assert not page.errors, page.errors


def test_hostile_article_does_not_execute(server, page):
    base, store = server
    hostile_story = store.get_article("hostile").story_id
    for path in ["/", "/articles/hostile", "/search?q=alert", "/outlets", "/feeds", "/blindspots",
                 "/outlets/%3Cb%3EEvil%3C%2Fb%3E", f"/stories/{hostile_story}", "/api/status"]:  # fmt: skip
        page.goto(base + path)
        page.wait_for_load_state("load")
    page.goto(base + "/articles/hostile")
    assert page.locator("h1").inner_text() == XSS
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("img").count() == 0
    assert page.dialogs == []
    page.screenshot(path=ARTIFACTS / "hostile.png", full_page=True)
    page.goto(base + "/feeds")
    assert XSS in page.locator("table.feeds").inner_text()  # shown as text, not run
    page.goto(base + "/blindspots")
    assert XSS in page.locator("main").inner_text()
    assert page.dialogs == [] and page.locator("main script").count() == 0


NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_phone_width_and_keyboard(server, browser):
    base, store = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(base + "/")
    assert pg.evaluate("document.documentElement.clientWidth") == 390
    assert pg.evaluate(NO_SIDEWAYS_SCROLL), "no sideways scrolling on a phone"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
    pg.screenshot(path=ARTIFACTS / "front-phone.png", full_page=True)
    story_id = store.get_article("000_a9ead92bffc35e67").story_id
    pg.goto(f"{base}/stories/{story_id}")
    assert pg.locator("table.matrix").count() >= 1  # wider than the phone, it scrolls in its own region
    assert pg.evaluate(NO_SIDEWAYS_SCROLL)
    pg.screenshot(path=ARTIFACTS / "story-phone.png", full_page=True)
    context.close()


# Boxes of the visible elements matching a selector (text extents, via a Range), and the pairs that overlap.
OVERLAPS = """sel => {
  const boxes = [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).map(e => {
    const range = document.createRange(); range.selectNodeContents(e);
    const r = e instanceof SVGElement ? e.getBoundingClientRect() : range.getBoundingClientRect();
    return {t: e.textContent, l: r.left, r: r.right, top: r.top, b: r.bottom};
  });
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.l < b.r - 0.5 && b.l < a.r - 0.5 && a.top < b.b - 0.5 && b.top < a.b - 0.5) out.push([a.t, b.t]);
  }
  return out;
}"""
# Rendered size in px of each chart text (font size times the SVG's scale on screen).
CHART_TEXT_PX = """() => [...document.querySelectorAll('svg.chart text')].map(
  e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)"""


@pytest.mark.parametrize("width", [1366, 390])
def test_charts_and_matrix_are_calendar_true_and_readable(server, browser, width):
    base, _ = server
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.goto(base + "/stories/st-years")
    # Reports of 2013, 2015, 2016 and 2017 (one on 31 Dec 2015 23:30 UTC, one on 1 Jan 2017 00:30 UTC)
    assert pg.locator("svg.columns text.tick").all_text_contents() == ["2013", "2014", "2015", "2016", "2017"]
    values = [int(v) for v in pg.locator("svg.columns text.value").all_text_contents()]
    assert values == [1, 1, 1, 1]  # 2014 has no bar label
    pg.goto(base + "/stories/st-hours")
    ticks = pg.locator("svg.columns text.tick").all_text_contents()
    assert ticks[0] == "04 Feb 06:00" and len(ticks) >= 3
    for selector in ("svg.columns text.tick", "svg.bars text.label", "table.matrix thead th.outlet span",
                     "table.matrix thead th"):  # fmt: skip
        assert pg.evaluate(OVERLAPS, selector) == [], selector
    sizes = pg.evaluate(CHART_TEXT_PX)
    assert min(sizes) >= 10.5 and max(sizes) <= 16, sizes
    sections = pg.locator("table.matrix tr.section th").all_text_contents()
    assert [t.rsplit(" ", 1)[0] for t in sections] == [
        "Reported by most outlets", "Details only one outlet reports", "Main facts some outlets leave out"
    ]  # fmt: skip
    visible_rows = pg.locator("table.matrix tbody tr:not(.section)").filter(has=pg.locator("th:visible"))
    assert visible_rows.count() <= 18  # the other facts wait, collapsed
    assert "The other" in pg.locator("details.more-facts summary").inner_text()
    pg.screenshot(path=ARTIFACTS / f"layout-{width}.png", full_page=True)
    context.close()


def test_seeds_ingested_with_source_are_two_outlets(server, page):
    base, store = server
    story_id = store.get_article("000_a9ead92bffc35e67").story_id
    for query in ("outlet=efe", "outlet=KOREA%20HERALD&lang=EN"):  # filters ignore case
        page.goto(f"{base}/?{query}")
        assert page.locator(f"ol.stories a[href='/stories/{story_id}']").count() == 1, query
    page.goto(f"{base}/stories/{story_id}")
    assert page.locator("svg.bars text.label").all_text_contents() == ["EFE", "Korea Herald"]
    page.goto(base + "/outlets")
    names = page.locator("table.list tbody th").all_text_contents()
    assert not [n for n in names if n.startswith("www.")], names  # subdomains fold into one outlet


def test_feed_health_is_visible(server, page):
    base, _ = server
    page.goto(base + "/feeds")
    assert "2 feeds followed: 0 ok, 2 failing" in page.locator("#feed-summary").inner_text()
    row = page.locator("tr.feed", has_text="Example World")
    assert "failing ×3" in row.inner_text() and "connection refused" in row.inner_text()
    assert "Every feed is failing" in page.locator(".notice").inner_text()
    status = page.request.get(base + "/api/status").json()["feeds"]
    assert status["failing"] == 2 and status["errors"][0]["error"] == "connection refused"
    page.screenshot(path=ARTIFACTS / "feeds.png", full_page=True)


def test_coverage_by_imported_ratings_and_blindspots(server, page):
    base, store = server
    page.goto(base + "/stories/st-years")  # four outlets the ratings call left, in the US
    assert page.locator("#cov-lean tbody tr").first.inner_text().split() == ["left", "4", "4"]
    assert page.locator("#cov-country tbody tr").first.inner_text().split() == ["US", "4", "4"]
    assert "Mostly covered by outlets you rate left" in page.locator(".blindspot").inner_text()
    seeds = store.get_article("000_a9ead92bffc35e67").story_id
    page.goto(f"{base}/stories/{seeds}")
    assert sorted(r.split()[0] for r in page.locator("#cov-lean tbody tr").all_inner_texts()) == [
        "center", "right"
    ]  # fmt: skip
    assert page.locator(".blindspot").count() == 0
    page.goto(base + "/blindspots")
    left = page.locator("section.blindspot-group", has_text="Covered mostly by left outlets")
    assert left.locator("a[href='/stories/st-years']").count() == 1
    assert page.locator(f"a[href='/stories/{seeds}']").count() == 0
    page.screenshot(path=ARTIFACTS / "blindspots.png", full_page=True)


def test_docs_work_without_network(server, browser):
    base, _ = server
    context = browser.new_context()
    outside: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    pg = context.new_page()
    pg.goto(base + "/docs")
    pg.locator(".swagger-ui .info .title").wait_for()
    assert "storyweave" in pg.locator(".swagger-ui .info .title").inner_text()
    assert pg.locator(".opblock").count() >= 10
    assert outside == []
    pg.screenshot(path=ARTIFACTS / "docs.png")
    context.close()
