"""The web UI in real Chromium (Debian package) driven by Playwright, over a live uvicorn server on loopback.

Screenshots go to test-artifacts/ for people to look at."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storyweave.models import Article

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
XSS = "<script>alert(1)</script>"
SEED_OUTLETS = {"000_a9ead92bffc35e67": "EFE", "004_e76b97f84e9bb642": "Korea Herald"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_store(store, seeds_dir: Path, shared_data: Path) -> None:
    """The seeds, the first 60 articles of a shared clustering set and one hostile article, through the
    real pipeline and story engine."""
    from storyweave.cluster import StoryEngine
    from storyweave.extract import article_from_text
    from storyweave.pipeline import Pipeline

    pipeline = Pipeline(store, StoryEngine(store))
    for path in sorted(seeds_dir.glob("*.txt")):
        article = article_from_text(
            path.read_text(encoding="utf-8"), id=path.stem, source=SEED_OUTLETS.get(path.stem)
        )
        article.published = datetime(2022, 12, 27, 9, tzinfo=UTC)
        pipeline.add(article)
    with open(shared_data / "clustering" / "giveme5w1h.jsonl", encoding="utf-8") as lines:
        for line, _ in zip(lines, range(60), strict=False):
            d = json.loads(line)
            pipeline.add(
                Article(
                    id=d["id"],
                    title=d["title"],
                    text=d["text"] or "",
                    url=d["url"],
                    canonical_url=d["url"],
                    source=d["source"],
                    lang=d["lang"],
                    published=datetime.fromisoformat(d["published"]) if d["published"] else None,
                )
            )
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


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeds_dir, shared_data):
    import uvicorn

    from storyweave.serve import create_app
    from storyweave.store import SQLiteStore

    store = SQLiteStore(tmp_path_factory.mktemp("browser") / "store.db")
    fill_store(store, seeds_dir, shared_data)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


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
    if page.locator("[data-reload]").count():  # the comparison is computed behind the page, which reloads
        page.screenshot(path=ARTIFACTS / "story-pending.png")
        page.locator("table.matrix").wait_for(timeout=180_000)

    matrix = page.locator("table.matrix")
    assert matrix.locator("tbody tr").count() >= 3
    states = {c.get_attribute("class") for c in matrix.locator("td.cell").all()}
    assert {"cell shared", "cell unique"} <= states
    assert matrix.locator("thead th.outlet").all_inner_texts() == ["EFE", "Korea Herald"]
    cites = page.locator(".summary a.cite")
    assert cites.count() >= 2
    assert page.locator("svg.chart").count() == 2
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
    base, _ = server
    for path in ["/", "/articles/hostile", "/search?q=alert", "/outlets"]:
        page.goto(base + path)
        page.wait_for_load_state("load")
    page.goto(base + "/articles/hostile")
    assert page.locator("h1").inner_text() == XSS
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("img").count() == 0
    assert page.dialogs == []
    page.screenshot(path=ARTIFACTS / "hostile.png", full_page=True)


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
    assert pg.locator("table.matrix").count() == 1  # wider than the phone, it scrolls in its own region
    assert pg.evaluate(NO_SIDEWAYS_SCROLL)
    pg.screenshot(path=ARTIFACTS / "story-phone.png", full_page=True)
    context.close()
