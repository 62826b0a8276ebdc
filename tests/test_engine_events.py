"""Event decisions on small real examples: different events stay apart in any arrival order, one joins."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from storyweave.cluster import StoryEngine
from storyweave.cluster.batch import article_from_record, cluster_articles
from storyweave.cluster.dates import explicit_dates, text_date


def test_explicit_dates_in_several_forms_and_languages():
    text = (
        "June 25, 2005\nA deputy was shot. On 3 March 2014 the trial opens; le 14 juillet 2019 ; "
        "am 9. November 1989; 2018-02-06; May. 3rd, 2013; February 30, 2013 is no date."
    )
    assert [d for _, d in explicit_dates(text)] == [
        date(2005, 6, 25),
        date(2014, 3, 3),
        date(2019, 7, 14),
        date(1989, 11, 9),
        date(2018, 2, 6),
        date(2013, 5, 3),
    ]


def test_an_undated_text_takes_its_dateline_not_later_or_future_dates():
    assert text_date("May 2, 2013 1:35 pm.\nLohan checked in. Her last stint was on March 1, 2011.") == (
        datetime(2013, 5, 2, 12, tzinfo=UTC)
    )
    now = datetime(2020, 1, 1, tzinfo=UTC)
    assert text_date("April 13, 2029: the asteroid may hit.", now=now) is None
    body = "A long opening paragraph without any date at all. " * 6 + "It happened on June 25, 2005."
    assert text_date(body) is None


def test_bad_date_input_never_crashes():
    assert text_date("") is None
    assert explicit_dates("31 February 2013, 0 May 0000, 99/99/9999") == []
    assert len(explicit_dates("May 1, 2001 " * 5000)) <= 32


def _records(shared_data, name: str, ids: list[str]) -> dict[str, dict]:
    wanted, found = set(ids), {}
    with open(shared_data / "clustering" / f"{name}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                found[record["id"]] = record
    assert set(found) == wanted
    return found


def _cluster(store, embedder, records: list[dict]) -> list[str]:
    articles = [article_from_record(r, r["id"]) for r in records]
    return cluster_articles(articles, store, StoryEngine(store, embedder))


@pytest.fixture
def satellites(shared_data):
    """giveme5w1h's 'satellite' story: a 2013 South Korean launch, 2016 North Korean ones, a 2017 report."""
    with open(shared_data / "clustering" / "giveme5w1h.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [r for r in rows if r["cluster_id"] == "g5w-71"]


@pytest.mark.parametrize("order", [1, -1])
def test_reports_years_apart_never_share_a_story(satellites, sqlite_store, embedder, order):
    records = sorted(satellites, key=lambda r: r["published"])[::order]
    stories = _cluster(sqlite_store, embedder, records)
    years: dict[str, set[int]] = {}
    for record, story in zip(records, stories, strict=True):
        years.setdefault(story, set()).add(int(record["published"][:4]))
    assert all(len(y) == 1 for y in years.values()), years
    feb_2016 = {s for r, s in zip(records, stories, strict=True) if r["published"].startswith("2016-02")}
    assert len(feb_2016) == 1  # the same launch, reported over three days, is one story


@pytest.mark.parametrize("order", [1, -1])
def test_undated_page_takes_its_stated_date(satellites, sqlite_store, embedder, order):
    """An undated page stating a 2013 date stays out of a 2016 story, whichever comes first."""
    launch = [dict(r) for r in satellites if r["published"].startswith("2016-02")]
    old = dict(min(satellites, key=lambda r: r["published"]))
    old["text"] = "January 30, 2013\n" + old["text"]
    old["published"] = None
    records = [*launch, old][::order]
    stories = _cluster(sqlite_store, embedder, records)
    assert len(set(stories[:3] if order == 1 else stories[1:])) == 1
    assert stories[-1 if order == 1 else 0] not in set(stories[:3] if order == 1 else stories[1:])
    stored = sqlite_store.get_story(stories[-1 if order == 1 else 0])
    assert stored.first_seen.date() == date(2013, 1, 30)


def test_rehab_check_ins_of_different_celebrities_stay_apart(shared_data, sqlite_store, embedder):
    """ECB+ topic 1: Tara Reid (2008, undated) and Lindsay Lohan (May 2013) each check into rehab."""
    tara = ["ecb-1_2ecb", "ecb-1_6ecb", "ecb-1_14ecb", "ecb-1_19ecb"]
    lindsay = ["ecb-1_2ecbplus", "ecb-1_13ecbplus", "ecb-1_16ecbplus", "ecb-1_21ecbplus"]
    found = _records(shared_data, "ecbplus_dev", tara + lindsay)
    records = [found[i] for pair in zip(tara, lindsay, strict=True) for i in pair]  # interleaved arrival
    stories = dict(zip((r["id"] for r in records), _cluster(sqlite_store, embedder, records), strict=True))
    assert not {stories[i] for i in tara} & {stories[i] for i in lindsay}
    assert len({stories[i] for i in lindsay}) == 1  # one check-in, reported the same day, is one story


def test_a_german_and_a_french_report_of_one_event_join(shared_data, sqlite_store, embedder):
    """SemEval-2022 de-fr pairs rated 'very similar': Biden and George Floyd's family; a Huawei tablet."""
    wanted = {"1629471408_1628286526fr", "1529812684_1529884440fr"}
    records = []
    with open(shared_data / "pairs" / "semeval2022_dev.jsonl", encoding="utf-8") as handle:
        for line in handle:
            pair = json.loads(line)
            if pair["pair_id"] in wanted:
                for side in "12":
                    fields = {"lang": pair[f"lang{side}"], "text": pair[f"text{side}"]}
                    records.append({"id": f"{pair['pair_id']}/{side}", **fields})
    assert len(records) == 4
    stories = _cluster(sqlite_store, embedder, records)
    biden = [s for r, s in zip(records, stories, strict=True) if r["id"].startswith("1629471408")]
    huawei = [s for r, s in zip(records, stories, strict=True) if r["id"].startswith("1529812684")]
    assert biden[0] == biden[1] and biden[0] not in huawei


@pytest.mark.parametrize("order", [1, -1])
def test_undated_reports_and_dated_ones_of_the_same_actors_stay_apart(
    satellites, seeds_dir, sqlite_store, embedder, order
):
    """The seeds (an undated 2023 meeting of Kim Jong-un's military commission) and the dated February 2016
    reports of a North Korean satellite launch: every other signal says 'North Korea, Kim', nothing says
    'the same time', so neither story takes the other's reports; each still holds its own."""
    seeds = []
    for path in sorted(seeds_dir.glob("*.txt")):
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        seeds.append({"id": path.stem, "title": title, "text": text.strip()})
    launch = [r for r in satellites if r["published"].startswith("2016-02")]
    records = [*seeds, *launch][::order]
    stories = dict(zip((r["id"] for r in records), _cluster(sqlite_store, embedder, records), strict=True))
    seed_stories = {stories[r["id"]] for r in seeds}
    launch_stories = {stories[r["id"]] for r in launch}
    assert len(seed_stories) == 1 and len(launch_stories) == 1
    assert not seed_stories & launch_stories
