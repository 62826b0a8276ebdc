"""Per-record time budgets (issue #14, item 3): a record over its stage's budget is reported in one line
(which record, which stage, why) and skipped or degraded, while the other records of the same run are stored.

The slow stages are stand-ins that hang on a marked record. Extraction and analysis run in child processes, so
their stand-ins are module-level functions of this file: the child imports them by name."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyweave.budget import DEFAULTS, ChildDied, Isolated, OverBudget, budget
from storyweave.cli import app
from storyweave.ingest import Ingestor, expand
from storyweave.models import Article, Story
from storyweave.pipeline import Pipeline
from storyweave.store import SQLiteStore

MARK = "zzslowmarkzz"
PAGE = (
    "<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>The regional parliament voted on Thursday to expand the railway network across the valleys.</p>"
    "<p>The plan adds four new stations and doubles the frequency of trains between the two towns.</p>"
    "<p>Critics said the cost estimates were optimistic and that building would disrupt farmland.</p>"
    "</article></body></html>"
)


def hang_on_mark(content: bytes | str, url: str | None = None):
    """Stands in for `extract_page` in the extraction child: hangs on the marked page."""
    from storyweave.extract.page import extract_page

    if MARK.encode() in (content.encode() if isinstance(content, str) else content):
        time.sleep(120)
    return extract_page(content, url)


def test_budgets_have_defaults_and_are_configurable(monkeypatch):
    monkeypatch.delenv("STORYWEAVE_BUDGET_EXTRACT", raising=False)
    assert budget("extract") == DEFAULTS["extract"] == 20.0
    monkeypatch.setenv("STORYWEAVE_BUDGET_EXTRACT", "3.5")
    assert budget("extract") == 3.5
    for junk in ("soon", "-1", "0"):  # a typo never turns the budget off
        monkeypatch.setenv("STORYWEAVE_BUDGET_EXTRACT", junk)
        assert budget("extract") == 20.0


def test_a_page_over_the_extraction_budget_is_reported_and_the_others_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYWEAVE_BUDGET_EXTRACT", "3")
    monkeypatch.setattr("storyweave.extract.page.extract_page", hang_on_mark)
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, title in (("a", "Railway plan passes"), ("b", f"Hanging page {MARK}"), ("c", "Stations added")):
        (pages / f"{name}.html").write_text(PAGE.format(title=title))
    db = tmp_path / "store.db"
    started = time.monotonic()
    result = CliRunner().invoke(app, ["ingest", str(pages), "--store", str(db)])
    assert time.monotonic() - started < 60  # the hanging page was stopped, not waited for
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1
    assert "b.html" in errors[0] and "extraction stopped: over its 3 s time budget" in errors[0], errors
    with SQLiteStore(db) as store:  # the page after the hanging one got a fresh child
        assert sorted(a.title for a in store.iter_articles()) == ["Railway plan passes", "Stations added"]


class _SlowDetector:
    def __init__(self, inner) -> None:
        self.inner = inner

    def detect(self, text: str, **kwargs):
        if MARK in text:
            time.sleep(0.5)
        return self.inner.detect(text, **kwargs)


def test_language_id_over_budget_is_reported_and_degraded(tmp_path, monkeypatch, caplog, sqlite_store):
    from storyweave.extract import language

    monkeypatch.setenv("STORYWEAVE_BUDGET_LANGUAGE", "0.2")
    monkeypatch.setattr(language, "_detector", lambda: _SlowDetector(language.LangDetector(
        language.LangDetectConfig(model="lite", max_input_length=None))))  # fmt: skip
    text = "The regional parliament voted on Thursday to expand the railway network across the valleys."
    records = [{"id": "r1", "title": "Railway plan", "text": text},
               {"id": "r2", "title": f"Slow {MARK}", "text": text + " Trains will run more often."},
               {"id": "r3", "title": "Stations", "text": text + " Four stations are new."}]  # fmt: skip
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with caplog.at_level(logging.WARNING, logger="storyweave.extract"):
        summary = Ingestor(Pipeline(sqlite_store)).run(expand([str(tmp_path / "r.jsonl")]))
    assert (summary.added, summary.failed) == (3, 0)
    assert {a.id: a.lang for a in sqlite_store.iter_articles()} == {"r1": "en", "r2": None, "r3": "en"}
    lines = [r.getMessage() for r in caplog.records if "budget" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("r2: language id took") and "left unknown" in lines[0]


def test_a_decision_over_budget_places_the_article_alone_and_says_so(tmp_path, monkeypatch, caplog, embedder):
    from storyweave.cluster import StoryEngine
    from storyweave.cluster import engine as engine_module

    real = engine_module.text_features

    def slow_features(title, text):
        if MARK in (title or ""):
            time.sleep(0.5)
        return real(title, text)

    monkeypatch.setenv("STORYWEAVE_BUDGET_DECISION", "0.3")
    monkeypatch.setattr(engine_module, "text_features", slow_features)
    body = "The harbour bridge in Lisbon reopened on Monday after a two-year repair, the city said."
    articles = [
        Article("d1", "Lisbon harbour bridge reopens after repair", body),
        Article("d2", f"Lisbon bridge open again {MARK}", body + " Traffic was light in the morning."),
        Article("d3", "Lisbon's harbour bridge reopens", body + " Ferries will keep running."),
    ]
    with SQLiteStore(tmp_path / "s.db") as store, caplog.at_level(logging.WARNING, "storyweave.cluster"):
        pipeline = Pipeline(store, StoryEngine(store, embedder))
        assert all(pipeline.add(a).added for a in articles)
        placed = {a.id: a.story_id for a in store.iter_articles()}
        assert None not in placed.values()
        assert list(placed.values()).count(placed["d2"]) == 1  # a story of its own, no candidates scored
    lines = [r.getMessage() for r in caplog.records if "budget" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("article d2: the story decision took")
    assert "placed as a story of its own" in lines[0]


def hang_on_marked_story(articles: list[Article], outlets: dict, prepared: dict) -> dict:
    """Stands in for the analysis in its worker: hangs on the story holding the marked article."""
    if any(MARK in a.title for a in articles):
        time.sleep(120)
    return {"summary": [a.id for a in articles]}


def prepare_nothing(articles: list[Article]) -> list:
    """Stands in for preparing the reports (loading the parser would take most of the budget)."""
    return []


def test_a_story_over_the_analysis_budget_does_not_hold_up_the_others(sqlite_store, monkeypatch, caplog):
    from storyweave.serve import views

    monkeypatch.setenv("STORYWEAVE_BUDGET_ANALYSIS", "8")  # a fresh child imports this module
    monkeypatch.setattr(views, "_analyse_in_worker", hang_on_marked_story)
    monkeypatch.setattr(views, "_prepare_in_worker", prepare_nothing)
    stories = {}
    for sid, title in (("st-slow", f"Hostile {MARK}"), ("st-ok", "Bridge reopens")):
        sqlite_store.add_article(Article(f"{sid}-a", title, "Some text.", story_id=sid))
        sqlite_store.save_story(Story(sid, title=title))
        stories[sid] = sqlite_store.get_story(sid)
    reports = views.Reports(sqlite_store)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, "storyweave"):
            assert reports.get(stories["st-slow"], wait=True) == (None, "unavailable")
        assert time.monotonic() - started < 60
        assert any("story st-slow: analysis stopped: over its 8 s time budget" in r.getMessage()
                   for r in caplog.records)  # fmt: skip
        assert reports.get(stories["st-ok"], wait=True) == ({"summary": ["st-ok-a"]}, "ready")
        children = list(reports._worker._all)
    finally:
        reports.close()
    assert children and all(child.process.poll() is not None for child in children)


def test_isolated_calls_reuse_one_child_and_replace_it_after_an_overrun():
    isolated = Isolated()
    try:
        first = isolated.call("extract", _pid)
        assert isolated.call("extract", _pid) == first  # reused: no process per record
        with pytest.raises(OverBudget, match="over its 0.5 s time budget"):
            isolated.call("extract", time.sleep, 30, seconds=0.5)
        assert isolated.call("extract", _pid) != first
        with pytest.raises(ValueError, match="bad record"):  # the function's own error comes back as such
            isolated.call("extract", _fail)
        with pytest.raises(AttributeError):  # a call that never reached the child (a local function)
            isolated.call("extract", lambda: 1)
        assert isolated.call("extract", int, "7") == 7  # the next call gets its own answer
    finally:
        isolated.close()


def test_closing_stops_a_child_that_is_still_starting(tmp_path, monkeypatch):
    """A server stopping while its worker starts (the imports take seconds) kills it then, rather than
    waiting for the start-up and running the call."""
    (tmp_path / "slow_start.py").write_text("import time\ntime.sleep(30)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    isolated, raised = Isolated(preload=("slow_start",)), []

    def call() -> None:
        try:
            isolated.call("extract", _pid)
        except Exception as exc:
            raised.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not isolated._all and time.monotonic() < deadline:
        time.sleep(0.02)
    (child,) = isolated._all
    isolated.close()
    thread.join(5)
    assert not thread.is_alive() and isinstance(raised[0], ChildDied)
    assert child.process.poll() is not None


def _pid() -> int:
    import os

    return os.getpid()


def _fail() -> None:
    raise ValueError("bad record")


@pytest.fixture(autouse=True)
def _no_stray_budget(monkeypatch):
    for stage in DEFAULTS:
        monkeypatch.delenv(f"STORYWEAVE_BUDGET_{stage.upper()}", raising=False)


def test_readme_names_every_budget_variable():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert all(f"STORYWEAVE_BUDGET_{stage.upper()}" in readme for stage in DEFAULTS)
