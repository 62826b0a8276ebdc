"""Story analysis on the two seed reports of one event, and on the bad inputs a live stream produces."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyweave.analyse import analyse_story
from storyweave.analyse.entities import Mention, merge_mentions
from storyweave.analyse.numbers import extract_figures, find_conflicts
from storyweave.analyse.quotes import extract_quotes
from storyweave.analyse.text import words
from storyweave.cli import app
from storyweave.extract.page import article_from_text
from storyweave.models import Article, Outlet, Story

TRUST_LINE = "According to the criteria of The Trust Project"


def read_seed(path: Path, outlet: str) -> Article:
    """Title on the first line, the rest is text; the trust trailer and the trailing headline list are cut."""
    text = path.read_text(encoding="utf-8").replace(TRUST_LINE, "").split("\n\n\n")[0]
    title, _, body = text.strip().partition("\n")
    return Article(id=path.stem[:3], title=title.strip(), text=body.strip(), source=outlet)


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> list[Article]:
    first = read_seed(next(seeds_dir.glob("000_*.txt")), "Outlet A")
    first.published = datetime(2023, 4, 11, 8, tzinfo=UTC)
    second = read_seed(next(seeds_dir.glob("004_*.txt")), "Outlet B")
    second.published = datetime(2023, 4, 11, 10, tzinfo=UTC)
    return [first, second]


@pytest.fixture(scope="module")
def report(seeds: list[Article]) -> dict:
    outlets = {"Outlet A": Outlet("Outlet A", country="ES", lean="left", tags=["wire"])}
    return analyse_story(seeds, outlets=outlets).to_dict()


def fact_with(report: dict, phrase: str) -> dict:
    matches = [f for f in report["facts"] if any(phrase in s["text"] for s in f["statements"])]
    assert len(matches) == 1, f"{phrase!r} in {len(matches)} facts"
    return matches[0]


def test_seed_comparison_unique_and_shared_facts(report: dict) -> None:
    details = (("Camp Humphreys", "Outlet A"), ("underwater drone", "Outlet A"), ("oversold", "Outlet B"))
    for phrase, outlet in details:
        fact = fact_with(report, phrase)
        assert fact["kind"] == "unique" and fact["sources"] == [outlet]
        # its outlet's own detail, unless the other outlet says something close (B's missile record is
        # close to A's new weapons): then the page shows ≈ there, and claims no exclusive
        assert (fact["id"] in report["outlets"][outlet]["unique"]) == (not fact["close"])
    assert not fact_with(report, "Camp Humphreys")["close"]
    close = fact_with(report, "occupation of Pyongyang")  # B: "threats to occupy Pyongyang" (reader's page)
    assert close["close"] == ["Outlet B"] and close["id"] not in report["outlets"]["Outlet A"]["unique"]
    deterrence = fact_with(report, "called for strengthening the army’s deterrent")
    assert deterrence["kind"] == "shared" and deterrence["sources"] == ["Outlet A", "Outlet B"]
    assert any("deterrence" in s["text"] and s["article"] == "004" for s in deterrence["statements"])
    assert deterrence["id"] in report["outlets"]["Outlet B"]["shared"]
    assert deterrence["main"]
    omitted_by_b = {f["id"] for f in report["facts"]
                    if f["main"] and "Outlet B" not in f["sources"] + f["close"]}  # fmt: skip
    assert set(report["outlets"]["Outlet B"]["omitted"]) == omitted_by_b


def test_seed_quotes_have_speakers_and_outlets(report: dict) -> None:
    by_speaker = {}
    for quote in report["quotes"]:
        by_speaker.setdefault(quote["speaker"], []).append(quote)
    washington = by_speaker["Washington and Seoul"][0]
    assert washington["kind"] == "reported" and washington["outlets"] == ["Outlet B"]
    assert any(  # reported in its own words around a quoted part
        q["kind"] == "mixed" and q["text"].startswith("Kim stressed") for q in by_speaker["Kim Jong-un"]
    )
    kcna = by_speaker["KCNA"]
    assert any(set(q["outlets"]) == {"Outlet A", "Outlet B"} for q in kcna)  # the meeting report, in both
    assert any(q["kind"] == "mixed" and "all-out war" in q["text"] for q in kcna)
    # a document, a paragraph or a report says things but is no speaker (the story page showed these)
    assert not {"One paragraph", "alleged document", "document", "paragraph"} & set(by_speaker)
    assert not any("non-operational systems" in q["text"] or "maturing nuclear" in q["text"]
                   for q in report["quotes"])  # fmt: skip


def test_things_that_say_are_credited_to_their_source_or_to_no_one() -> None:
    sentences = [
        "Broadcom said it would raise its offer for the chipmaker.",
        "“We are ready for anything now,” the Pentagon statement said.",
        "A statement from the ministry said 10 foreign passengers were aboard the plane.",
        "The leaked document said that the launchers were “non-operational systems.”",
        "“Do not expect any change in its policy,” the report read.",
        "“Our offer is best and final,” a statement said.",
    ]
    found = {q.sentence: q.speaker for q in extract_quotes(sentences, "t", "en")}
    assert found[sentences[1]] == "Pentagon" and found[sentences[2]] == "ministry"
    assert sentences[3] not in found and sentences[4] not in found  # no one's quote, not Broadcom's either
    assert found[sentences[5]] == "ministry"  # an unnamed statement: the organisation that spoke last


def test_seed_entities_timeline_coverage_summary(report: dict, seeds: list[Article]) -> None:
    names = {e["name"]: e for e in report["entities"]}
    assert names["Kim Jong-un"]["label"] == "PERSON"
    assert names["Kim Jong-un"]["counts"]["Outlet A"] >= 2 and names["Kim Jong-un"]["counts"]["Outlet B"] >= 2
    assert "Camp Humphreys" in names and set(names["Camp Humphreys"]["counts"]) == {"Outlet A"}
    assert [row["first"] for row in report["timeline"]] == [True, False]
    assert report["coverage"]["by_country"] == {"ES": 1, "unknown": 1}
    assert report["coverage"]["by_lean"] == {"left": 1, "unrated": 1} and report["coverage"]["by_tag"] == {
        "wire": 1
    }
    sentences = report["summary"]["sentences"]
    assert 2 <= len(sentences) <= 4
    ids = {a.id for a in seeds}
    assert all(s["sources"] and set(s["sources"]) <= ids for s in sentences)
    json.dumps(report)  # JSON-able as documented


def test_entities_merge_across_spellings_and_languages() -> None:
    mentions = [
        Mention("Kim Jong-un", "PERSON", "A"),
        Mention("Kim Jong Un", "PERSON", "B"),
        Mention("Kim", "PERSON", "B"),
        Mention("Pyongyang", "GPE", "A"),
        Mention("Pionyang", "NAME", "C"),
        Mention("Seoul", "GPE", "A"),
    ]
    entities = {e.name: e.to_dict() for e in merge_mentions(mentions)}
    assert entities["Kim Jong-un"]["counts"] == {"A": 1, "B": 2}
    assert set(entities["Kim Jong-un"]["aliases"]) == {"Kim Jong Un", "Kim"}
    assert entities["Pyongyang"]["counts"] == {"A": 1, "C": 1} and entities["Pyongyang"]["label"] == "GPE"
    assert "Seoul" in entities and len(entities) == 3


def test_language_without_ner_uses_name_fallback(seeds: list[Article]) -> None:
    spanish = Article(
        id="es1",
        title="Kim Jong Un pide reforzar la disuasión",
        text="El líder norcoreano Kim Jong Un pidió en Pionyang reforzar la disuasión de guerra del país. "
        "La agencia KCNA informó de la reunión de la Comisión Militar Central.",
        source="Diario",
        lang="es",
    )
    report = analyse_story([seeds[1], spanish]).to_dict()
    kim = next(e for e in report["entities"] if e["name"].startswith("Kim Jong"))
    assert set(kim["counts"]) == {"Outlet B", "Diario"}
    assert any(e["name"] == "Pyongyang" and "Pionyang" in e["aliases"] for e in report["entities"])
    deterrence = [f for f in report["facts"] if {"Outlet B", "Diario"} <= set(f["sources"])]
    assert deterrence, "the Spanish deterrence sentence should group with the English one"


def test_quotes_direct_after_verb_and_pronoun() -> None:
    quotes = extract_quotes(
        [
            "Roger Stone was sentenced on Thursday.",
            '"He was not prosecuted for standing up for the president," said Judge Amy Berman Jackson.',
            "She added that the sentence was fair, according to court records.",
        ],
        "a1",
    )
    assert quotes[0].kind == "direct" and quotes[0].speaker == "Amy Berman Jackson"  # the title is left out
    assert quotes[1].kind == "reported" and quotes[1].speaker == "Amy Berman Jackson"


def test_figures_and_conflicts() -> None:
    figures = extract_figures("Thirty-five percent of the staff, about 1,200 people, were hired on Feb 8.")
    assert [(f.value, f.unit) for f in figures] == [(35.0, "%"), (1200.0, "people"), ("feb 8", "date")]
    conflicts = find_conflicts(
        {"A": extract_figures("sentenced to 40 months"), "B": extract_figures("sentenced to 36 months")}
    )
    months = {"A": "40 months", "B": "36 months"}  # readable text, not value lists
    assert conflicts == [{"unit": "month", "quantity": "month", "values": months}]
    assert (
        find_conflicts({"A": extract_figures("40 months"), "B": extract_figures("40 months, 3 years")}) == []
    )


def test_conflicting_figures_between_outlets_are_flagged() -> None:
    sentence = "Roger Stone was sentenced to {} months in prison on Thursday for lying to Congress."
    articles = [
        Article(
            id=outlet.lower(),
            title=f"Stone sentenced ({outlet})",
            text=sentence.format(months),
            source=outlet,
        )
        for outlet, months in (("A", 40), ("B", 36))
    ]
    report = analyse_story(articles).to_dict()
    assert any(
        c["unit"] == "month" and c["values"] == {"A": "40 months", "B": "36 months"}
        for c in report["conflicts"]
    )


def test_bad_input_gives_defined_output() -> None:
    assert analyse_story([]).to_dict()["facts"] == []
    lone = Article(
        id="x", title="Quake hits city", text="A strong earthquake hit the city on Monday. Ten people died."
    )
    single = analyse_story([lone]).to_dict()
    assert all(f["kind"] == "unique" for f in single["facts"]) and single["outlets"]["x"]["unique"] == []
    assert 1 <= len(single["summary"]["sentences"]) <= 2
    empty = [
        Article(id="e1", title="", text="", source="A"),
        Article(id="e2", title="Photo", text="", source="B"),
    ]
    nothing = analyse_story(empty).to_dict()
    assert (
        nothing["facts"] == []
        and nothing["summary"]["sentences"] == []
        and nothing["coverage"]["articles"] == 2
    )
    copies = [
        Article(id="w1", title="Quake hits city", text=lone.text, source="AP"),
        Article(id="w2", title="Quake hits city", text=lone.text, source="Daily", duplicate_of="w1"),
        Article(id="w3", title="Quake hits city", text=lone.text + " ", source="Herald"),
    ]
    wire = analyse_story(copies).to_dict()
    assert wire["coverage"]["voices"] == 1
    assert all(f["sources"] == ["AP", "Daily", "Herald"] for f in wire["facts"])
    assert wire["summary"]["sentences"][0]["sources"] == ["w1", "w2", "w3"]
    follow_up = Article(
        id="x2", title="Quake toll rises", text="The earthquake toll rose to 12 on Tuesday.", source="x"
    )
    same_outlet = analyse_story([lone, follow_up]).to_dict()  # lone's outlet is its id, "x"
    assert (
        all(f["kind"] == "unique" for f in same_outlet["facts"])
        and same_outlet["outlets"]["x"]["unique"] == []
    )
    naive = Article(id="n", title="Quake", text=lone.text, source="N", published=datetime(2024, 1, 1, 9))
    aware = Article(
        id="z", title="Quake?", text="Rescuers searched the rubble overnight for survivors.", source="Z"
    )
    aware.published = datetime(2024, 1, 1, 8, tzinfo=UTC)
    timeline = analyse_story([naive, aware]).to_dict()["timeline"]
    assert [(row["article"], row["first"]) for row in timeline] == [("z", True), ("n", False)]
    turkish = Article(
        id="t", title="Deprem", text="İstanbul'da deprem oldu. Erdoğan açıklama yaptı bugün.", lang="tr"
    )
    assert analyse_story([turkish, lone]).to_dict()["coverage"]["by_language"] == {"tr": 1, "unknown": 1}


def test_story_and_outlets_commands(tmp_path: Path, seeds: list[Article]) -> None:
    from storyweave.store import SQLiteStore

    db = str(tmp_path / "s.db")
    with SQLiteStore(db) as store:
        store.save_story(Story(id="s1", title="Kim calls for stronger deterrent"))
        for article in seeds:
            store.add_article(article)
            store.set_article_story(article.id, "s1")
    csv_file = tmp_path / "outlets.csv"
    csv_file.write_text(
        "name,domain,country,language,lean,tags\nOutlet A,a.example,ES,en,left,wire;europe\n,,,,,\n"
    )
    runner = CliRunner()
    imported = runner.invoke(app, ["outlets", "import", str(csv_file), "--store", db])
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(app, ["story", "s1", "--store", db, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["coverage"]["by_tag"] == {"wire": 1, "europe": 1}
    markdown = runner.invoke(app, ["story", "s1", "--store", db, "--format", "markdown"])
    assert "## Facts" in markdown.stdout and "Camp Humphreys" in markdown.stdout
    table = runner.invoke(app, ["story", "s1", "--store", db])
    assert table.exit_code == 0 and "Facts across outlets" in table.stdout
    missing = runner.invoke(app, ["story", "nope", "--store", db])
    assert missing.exit_code == 1


def test_seed_summary_states_each_fact_once(seeds_dir: Path) -> None:
    """The two seeds' leads (read as `storyweave ingest` reads text files: the lead is the title and the
    text's first paragraph) say one thing in other words ("called for strengthening the army's deterrent
    capacity" / "called for a strengthening of the country's war deterrence"): one fact row on the page, so
    one summary sentence, citing both."""
    articles = [article_from_text(p.read_text(encoding="utf-8"), id=p.stem, source=p.stem)
                for p in sorted(seeds_dir.glob("*.txt"))]  # fmt: skip
    report = analyse_story(articles).to_dict()

    def fact_of(sentence: str) -> str:
        said = set(words(sentence))
        best = max(
            ((f["id"], len(said & set(words(s["text"])))) for f in report["facts"] for s in f["statements"]),
            key=lambda pair: pair[1],
        )
        return best[0]

    sentences = report["summary"]["sentences"]
    facts = [fact_of(s["text"]) for s in sentences]
    assert len(facts) >= 2 and len(set(facts)) == len(facts), facts
    assert all(len(s["sources"]) == 2 for s in sentences if "called for" in s["text"])
