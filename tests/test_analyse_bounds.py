"""Analysis is time-bounded by construction: pathological text costs no more than a normal article, and a
story that runs out of time degrades (and says so) instead of stalling."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from storyweave.analyse import analyse_story
from storyweave.analyse.entities import fallback_names
from storyweave.analyse.numbers import extract_figures
from storyweave.analyse.quotes import extract_quotes, quote_spans
from storyweave.analyse.statements import dateline_length
from storyweave.analyse.summary import compress
from storyweave.analyse.text import is_statement, split_sentences
from storyweave.models import Article

ARTICLE_SECONDS = 1.0
"""CPU seconds of this process, so that other jobs on a loaded machine do not fail the bound."""
_CAPS = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL", "INDIA", "JULIET", "KILO"]


def caps(n: int) -> str:
    return " ".join(_CAPS[i % len(_CAPS)] for i in range(n))


PATHOLOGICAL = {
    **{f"caps{n}": f"{caps(n)}." for n in (30, 60, 120, 200)},
    **{f"caps{n}_in_speech": f"The council members said that {caps(n)} was decided." for n in (30, 200)},
    "sentence_10k": ("the quick brown fox jumps over the lazy dog " * 230).strip(),
    "ascii_quotes": '"' * 5000,
    "curly_quotes": "“a” " * 3000,
    "double_apostrophes": "''" * 4000 + " said Kim.",
    "open_quote": "He said “" + "word " * 3000,
    "dashes": "SEOUL" + " -" * 5000,
    "digits": "1," * 5000 + " people",
    "names": "Kim " * 5000,
    "apostrophes": "Kim's " * 3000,
}


def _article(name: str, text: str) -> Article:
    body = "\n".join([text] * max(1, 20_000 // len(text)))[:20_000]  # a 20k-character article
    return Article(id=name, title="Council budget vote draws crowd", text=body, source="X", lang="en")


@pytest.fixture(scope="module")
def warm() -> None:
    """Model loading is paid once per process, not per article."""
    analyse_story([_article("warm", "The council approved the budget on Tuesday, officials said.")])


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_article_analyses_in_time(warm, name: str) -> None:
    article = _article(name, PATHOLOGICAL[name])
    start = time.process_time()
    report = analyse_story([article]).to_dict()
    assert time.process_time() - start < ARTICLE_SECONDS, name
    assert report["coverage"]["articles"] == 1 and report["degraded"] == []


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_each_step_is_bounded_on_raw_pathological_text(warm, name: str) -> None:
    """Every text step, fed the raw string without the statement filter in front, stays fast."""
    text = PATHOLOGICAL[name]
    steps = {
        "split": lambda: split_sentences(text, "en"),
        "is_statement": lambda: is_statement(text, "en"),
        "quote_spans": lambda: quote_spans(text),
        "quotes_en": lambda: extract_quotes([text], "a", "en"),
        "quotes_es": lambda: extract_quotes([text], "a", "es"),
        "names": lambda: fallback_names([text]),
        "figures": lambda: extract_figures(text),
        "compress": lambda: compress(text, {"council"}, None, "en"),
        "dateline": lambda: dateline_length(text),
    }
    for step, run in steps.items():
        start = time.process_time()
        run()
        assert time.process_time() - start < ARTICLE_SECONDS / 2, f"{step} on {name}"


def test_hostile_caps30_no_longer_stalls(warm) -> None:
    path = Path(__file__).resolve().parents[2] / "shared" / "hostile" / "caps30.jsonl"
    if not path.exists():
        pytest.skip("../shared/hostile not found")
    row = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    article = Article(id=row["id"], title=row["title"], text=row["text"], source=row["source"], lang="en")
    start = time.process_time()
    report = analyse_story([article]).to_dict()
    assert time.process_time() - start < ARTICLE_SECONDS
    assert not any("ALPHA BRAVO" in f["text"] for f in report["facts"])  # shouting is not a statement


def test_story_over_its_time_budget_degrades_and_says_so(warm) -> None:
    articles = [
        Article(id=f"a{i}", title="Council approves budget",
                text="The city council approved the new budget on Tuesday, the mayor said. "
                     "“It is a good day for the city,” she told reporters.", source=f"Outlet {i}")
        for i in range(2)
    ]  # fmt: skip
    report = analyse_story(articles, time_budget=0.0).to_dict()
    assert report["quotes"] == [] and report["entities"] == []
    assert any(note.startswith("quotes skipped") for note in report["degraded"])
    assert report["facts"] and report["summary"]["sentences"]  # the core comparison is still there
    full = analyse_story(articles).to_dict()
    assert full["degraded"] == [] and full["quotes"]
