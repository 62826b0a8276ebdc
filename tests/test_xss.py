"""XSS through every field that reaches a page, checked in real Chromium: title, text, URL (`javascript:`,
`data:`), outlet names and their imported tags/lean/country, quote text and speaker, entity names, facts,
summary sentences, search and filter parameters. Nothing may run, and nothing may need the CSP to stop it
(a CSP violation shows as a console error, which fails the test too)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from live import CHROMIUM, served

from storyweave.models import Article, Outlet, Story

PAYLOADS = [
    "<script>alert('{n}')</script>",
    '"><img src=x onerror=alert("{n}")>',
    "'><svg onload=alert('{n}')>",
    "</title></textarea><iframe srcdoc='<script>alert({n})</script>'>",
    "<a href=javascript:alert('{n}')>x</a>",
    "{{{{7*7}}}} ${{alert('{n}')}}",
]
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def payload(number: int) -> str:
    return PAYLOADS[number % len(PAYLOADS)].format(n=number)


def hostile_store(store) -> None:
    """Two outlets and a story whose every text field carries a payload, with a comparison report."""
    from storyweave.serve.views import Reports

    outlets = [payload(1), payload(2)]
    urls = ["javascript:alert('url')", "data:text/html,<script>alert('data')</script>"]
    ids = ["x1", "x2"]
    for number, (article_id, outlet, url) in enumerate(zip(ids, outlets, urls, strict=True)):
        store.add_article(
            Article(article_id, payload(10 + number), f"{payload(20 + number)}\n{payload(30 + number)}",
                    url=url, source=outlet, lang="en", published=T0, story_id="st-x",
                    author=payload(40 + number))
        )  # fmt: skip
        store.upsert_outlet(
            Outlet(outlet, domain=payload(50 + number), country=payload(60 + number), language="en",
                   lean=payload(70 + number), tags=[payload(80 + number), "wire"])
        )  # fmt: skip
    store.save_story(Story("st-x", first_seen=T0, last_seen=T0, title=payload(90)))
    report = {
        "facts": [
            {"id": "f1", "text": payload(100), "sources": outlets, "articles": ids, "kind": "shared"},
            {"id": "f2", "text": payload(101), "sources": outlets[:1], "articles": ids[:1], "kind": "unique"},
        ],
        "outlets": {outlets[1]: {"unique": [], "omitted": ["f2"], "shared": ["f1"]}},
        "quotes": [{"text": payload(110), "speaker": payload(111), "kind": "direct", "outlets": outlets,
                    "articles": ids}],
        "entities": [{"name": payload(120), "label": payload(121), "aliases": [payload(122)],
                      "counts": {outlets[0]: 2}}],
        "conflicts": [],
        "summary": {"sentences": [{"text": payload(130), "sources": ids}]},
    }  # fmt: skip
    store.get_story("st-x")
    Reports(store).put(store.get_story("st-x"), report)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from storyweave.serve import create_app
    from storyweave.store import SQLiteStore

    store = SQLiteStore(tmp_path_factory.mktemp("xss") / "store.db")
    hostile_store(store)
    with served(create_app(store)) as base:
        yield base
    store.close()


def pages() -> list[str]:
    q = quote(payload(200))
    return [
        "/", "/stories/st-x", "/articles/x1", "/articles/x2", "/outlets",
        f"/outlets/{quote(payload(1), safe='')}", f"/search?q={q}", f"/?q={q}&entity={q}&outlet={q}&lang={q}",
        f"/?since={q}", f"/nope/{q}",
    ]  # fmt: skip


DETECT = """() => ({
    scripts: [...document.scripts].filter(
        s => !(s.src && new URL(s.src).pathname.startsWith('/static/'))).length,
    handlers: [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    frames: document.querySelectorAll('iframe, object, embed, svg image, img[src="x"]').length,
    badLinks: [...document.querySelectorAll('[href], [src], [action]')].filter(e =>
        /^\\s*(javascript|data|vbscript):/i.test(
            e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || '')).length,
})"""
"""Markup an attacker could have slipped into the page: inline or foreign scripts, event handlers, frames,
script-scheme links."""
CLEAN = {"scripts": 0, "handlers": 0, "frames": 0, "badLinks": 0}


def test_the_detector_sees_injected_markup(browser) -> None:
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    page.set_content("<script>1</script><img src=x onerror=1><iframe></iframe><a href='javascript:1'>a</a>")
    found = page.evaluate(DETECT)
    context.close()
    assert found == {"scripts": 1, "handlers": 1, "frames": 2, "badLinks": 1}, found


@pytest.mark.parametrize("path", pages())
def test_no_field_runs_script(server, browser, path: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(server + path)
    page.wait_for_load_state("load")
    found = page.evaluate(DETECT)
    context.close()
    assert dialogs == [], dialogs
    assert found == CLEAN, found
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_payloads_are_shown_as_text(server, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/stories/st-x")
    body = page.inner_text("body")
    context.close()
    for number in (90, 100, 110, 111, 120, 130):  # title, fact, quote, speaker, entity, summary
        assert payload(number) in body, payload(number)
