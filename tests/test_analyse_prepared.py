"""Articles are prepared for analysis once, when stored, and the story's analysis reads the records back."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from test_analyse import read_seed

from storyweave.analyse import (
    PreparedArticle,
    analyse_story,
    load_prepared,
    nlp,
    prepare_articles,
    prepared_for,
    save_prepared,
)
from storyweave.analyse.prepared import analysis_embedder
from storyweave.models import Article
from storyweave.pipeline import Pipeline
from storyweave.serve.views import Reports
from storyweave.store import open_store


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> list[Article]:
    return [
        read_seed(next(seeds_dir.glob("000_*.txt")), "Outlet A"),
        read_seed(next(seeds_dir.glob("004_*.txt")), "Outlet B"),
    ]


def test_record_round_trip_keeps_what_the_analysis_reads(seeds: list[Article]) -> None:
    record = prepare_articles(seeds[:1], analysis_embedder())[0]
    assert record.statements and record.leads and record.names and record.quotes
    assert record.vectors.shape == (len(record.texts()), 512)
    back = PreparedArticle.from_bytes(record.to_bytes())
    assert back is not None
    for name in ("statements", "body", "leads", "names", "quotes", "figures", "lang", "space", "hash"):
        assert getattr(back, name) == getattr(record, name), name
    assert np.abs(back.vectors - record.vectors).max() < 2e-3  # float16 on disk
    assert back.fits(seeds[0], record.space) and not back.fits(seeds[1], record.space)
    assert not back.fits(seeds[0], "e5")
    assert PreparedArticle.from_bytes(b"SWA\x63" + record.to_bytes()[4:]) is None  # another format


def test_analysis_from_stored_records_equals_a_fresh_one(seeds: list[Article], tmp_path: Path) -> None:
    fresh = analyse_story(seeds).to_dict()
    with open_store(tmp_path / "s.db") as store:
        prepared_for(store, seeds)
        nlp.forget()  # another process: nothing cached but the store
        stored = load_prepared(store, seeds)
        assert set(stored) == {a.id for a in seeds}
        again = analyse_story(seeds, prepared=stored).to_dict()
    assert again["quotes"] == fresh["quotes"] and again["entities"] == fresh["entities"]
    assert again["summary"] == fresh["summary"]
    assert [f["text"] for f in again["facts"]] == [f["text"] for f in fresh["facts"]]


def test_pipeline_hands_new_articles_only_to_its_hook(seeds: list[Article], tmp_path: Path) -> None:
    seen: list[list[str]] = []
    with open_store(tmp_path / "s.db") as store:
        pipeline = Pipeline(store, on_added=lambda articles: seen.append([a.id for a in articles]))
        pipeline.add_many(seeds)
        pipeline.add_many(seeds)  # duplicates: nothing new
        pipeline.add(Article(id="x", title="A title", text="Another text entirely."))
    assert seen == [[a.id for a in seeds], [], ["x"]]


def test_server_worker_prepares_stored_articles_and_reports_read_them(
    seeds: list[Article], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Reports, "_in_worker", lambda self, job, *args, **_: job(*args))  # no child process
    with open_store(tmp_path / "s.db") as store:
        reports = Reports(store)
        reports.prepare_soon(seeds[:1])
        deadline = time.monotonic() + 60
        while not load_prepared(store, seeds[:1]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(load_prepared(store, seeds)) == {seeds[0].id}
        report = reports._analyse(seeds)  # the second report is prepared with the story, and kept
        assert report is not None and report["summary"]["sentences"]
        assert set(load_prepared(store, seeds)) == {a.id for a in seeds}
        reports.close()


def test_records_of_another_text_are_prepared_again(seeds: list[Article], tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        save_prepared(store, prepare_articles(seeds[:1], analysis_embedder()))
        edited = Article(id=seeds[0].id, title=seeds[0].title, text=seeds[0].text + " One more.")
        assert load_prepared(store, [edited]) == {}


def test_pending_notice_says_what_the_worker_does_and_for_how_long(tmp_path: Path) -> None:
    from storyweave.models import Story

    with open_store(tmp_path / "s.db") as store:
        reports = Reports(store)
        story = Story(id="st-1", article_ids=[f"a{i}" for i in range(30)])
        queued = reports.progress(story)
        assert queued["stage"] == "queued" and queued["ahead"] == 0
        assert queued["text"].startswith("Starting in the analysis worker; comparing its 30 reports")
        articles = [Article(id=f"a{i}", title="t", text="x", story_id="st-1") for i in range(30)]
        reports._stage(articles, "preparing", to_prepare=12)
        preparing = reports.progress(story)
        assert preparing["stage"] == "preparing" and preparing["remaining_s"] > 10  # 12 reports to read
        assert preparing["text"].startswith("Reading 12 of its 30 reports for the first time")
        reports._measured("compare", 3.0, 30)
        reports._stage(articles, "comparing")
        comparing = reports.progress(story)
        assert comparing["text"].startswith("Comparing its 30 reports") and comparing["remaining_s"] < 2
        other = reports.progress(Story(id="st-2", article_ids=["b"]))
        assert other["stage"] == "queued" and other["ahead"] == 1 and "behind 1 story " in other["text"]
        reports.close()
