"""The defects a reader saw on real stories of the shared sets (giveme5w1h, wikinews, the seeds) are gone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from storyweave.analyse import analyse_story
from storyweave.analyse.entities import Mention, merge_mentions
from storyweave.analyse.facts import content_terms
from storyweave.analyse.numbers import extract_figures, find_conflicts
from storyweave.analyse.quotes import extract_quotes
from storyweave.models import Article

NORTH_KOREA = ("b9894fe2", "e1311d4f", "077896ee", "2989428a")  # NPR, HuffPost, The Sun, HuffPost
SPACEX = ("60c49d75", "10940dbc", "106fa91c", "762131c6", "12e3629a")  # WaPo, NPR, USA Today, CBS, Mail
BROADCOM = ("ee7a6162", "eb8d1d01", "fa9878c5", "7b668899")  # Bloomberg, Reuters, WSJ, USA Today
LONG = 600.0
"""These tests check what the analysis finds, on a shared 2-core machine: no step may be skipped for time."""


def load(shared: Path, name: str, prefixes: tuple[str, ...] = (), cluster: str | None = None) -> list:
    articles = []
    with open(shared / "clustering" / name, encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            if (cluster and row["cluster_id"] == cluster) or row["id"].startswith(prefixes or ("\0",)):
                published = datetime.fromisoformat(row["published"]) if row.get("published") else None
                articles.append(Article(id=row["id"][:8], title=row["title"] or "", text=row["text"] or "",
                                        source=row.get("source"), url=row.get("url"), lang=row.get("lang"),
                                        published=published))  # fmt: skip
    return articles


@pytest.fixture(scope="module")
def north_korea(shared_data: Path) -> dict:
    return analyse_story(load(shared_data, "giveme5w1h.jsonl", NORTH_KOREA), time_budget=LONG).to_dict()


@pytest.fixture(scope="module")
def spacex(shared_data: Path) -> dict:
    return analyse_story(load(shared_data, "giveme5w1h.jsonl", SPACEX), time_budget=LONG).to_dict()


@pytest.fixture(scope="module")
def broadcom(shared_data: Path) -> dict:
    return analyse_story(load(shared_data, "giveme5w1h.jsonl", BROADCOM), time_budget=LONG).to_dict()


def _texts(report: dict) -> list[str]:
    return [s["text"] for f in report["facts"] for s in f["statements"]] + [
        s["text"] for s in report["summary"]["sentences"]
    ]


def test_no_furniture_in_facts_or_summary(north_korea: dict, spacex: dict, shared_data: Path) -> None:
    robinho = analyse_story(load(shared_data, "wikinews.jsonl", cluster="wns-004")).to_dict()
    mother = analyse_story(load(shared_data, "wikinews.jsonl", cluster="wns-070")).to_dict()
    texts = _texts(north_korea) + _texts(spacex) + _texts(robinho) + _texts(mother)
    furniture = ("14h08", ":::", "www.", "undated photo", "Image copyright", "CLOSE CEO", "Photographer:")
    for mark in furniture:
        assert not any(mark in t for t in texts), mark


def test_one_statement_is_one_fact_row(north_korea: dict, broadcom: dict) -> None:
    for report in (north_korea, broadcom):
        rows = [content_terms(f["text"]) for f in report["facts"]]
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                assert not a or len(a & b) < 0.8 * len(a | b), (a, b)  # no near-identical rows


def test_quotes_have_their_grammatical_speaker(north_korea: dict) -> None:
    by_text = {q["text"][:40]: q for q in north_korea["quotes"]}
    un = next(q for t, q in by_text.items() if t.startswith("The U.N. said it was a banned test"))
    assert un["speaker"] in ("U.N.", "United Nations") and un["kind"] == "reported"
    professor = next(q for t, q in by_text.items() if t.startswith("Kim Dong-yup, professor"))
    assert professor["speaker"] == "Kim Dong-yup"  # not "Japan", the subject of the reported clause
    follow_up = next(q for q in north_korea["quotes"] if q["text"].startswith("I do not think North Korea"))
    assert follow_up["kind"] == "direct" and follow_up["speaker"] == "Kim Dong-yup"  # "…,” he said.
    assert not any(q["speaker"] in ("North", "DPRK") for q in north_korea["quotes"])  # now North Korea


def test_quote_error_patterns_from_held_out_news() -> None:
    quotes = extract_quotes(
        [
            "Arturo Sarukhán, Mexico's ambassador, said Mexico must hold firm on the tariffs.",
            "“We will not back down,” he told POLITICO in an interview.",
            "“Everybody knows the vote was close,” the mayor said.",
            "Coastal states swing between the two parties at almost every election.",
            "''We will respond to any provocation,'' the defence minister said on Friday.",
            "“The talks were useful,” Lee said.",
            "“But there is a long way to go.”",
            "Prices will keep rising next year, according to the central bank.",
            "The ministry replied that no decision had been taken.",
            "Trump says Japan should have shot North Korean missiles",
        ],
        "a",
    )
    found = [(q.speaker, q.kind, q.text[:30]) for q in quotes]
    assert found[0][:2] == ("Arturo Sarukhán", "reported")  # appositive: not Mexico
    assert found[1][:2] == ("Arturo Sarukhán", "direct")  # the pronoun: not POLITICO
    assert found[2][:2] == ("mayor", "direct")  # not "Everybody" from inside the quote
    assert found[3][:2] == ("defence minister", "direct")  # ''…'' marks
    assert found[4][:2] == ("Lee", "direct") and quotes[4].text.endswith("long way to go.")  # split quote
    assert found[5][:2] == ("central bank", "reported")  # according to
    assert found[6][:2] == ("ministry", "reported")  # replied
    assert len(quotes) == 7  # "Coastal states swing…" is no speech; link text without a full stop neither


def test_quote_attribution_beats_the_regex_baseline_on_held_out_annotations(shared_data: Path) -> None:
    from storyweave.analyse.quote_eval import evaluate, regex_baseline

    gold = Path(__file__).parent / "data" / "quote_attributions.jsonl"
    for split in ("test", "heldout"):  # heldout: 11 whole articles annotated blind, the targets
        ours = evaluate(gold, shared_data.parent, split=split)
        baseline = evaluate(gold, shared_data.parent, regex_baseline, split=split)
        assert ours["recall"] >= 0.85 and ours["precision"] >= 0.95 and ours["speaker_accuracy"] >= 0.85
        assert ours["recall"] > baseline["recall"] and ours["speaker_accuracy"] > baseline["speaker_accuracy"]


def test_entities_types_merges_and_clean_aliases(spacex: dict, north_korea: dict) -> None:
    names = {e["name"]: e for e in spacex["entities"]}
    musk = next(e for e in spacex["entities"] if e["name"] == "Elon Musk")
    assert "Musk" in musk["aliases"] and "Musk" not in names  # Musk = Elon Musk
    spacex_entity = next(e for e in spacex["entities"] if "SpaceX" in [e["name"], *e["aliases"]])
    assert spacex_entity["label"] != "PERSON"
    assert "Space X" in [spacex_entity["name"], *spacex_entity["aliases"]]
    assert all(e["label"] != "PERSON" for e in spacex["entities"] if e["name"].startswith("Tesla"))
    tesla = names.get("Tesla")
    assert tesla is None or not any("Model" in a for a in tesla["aliases"])  # the car does not absorb Tesla
    every_alias = [a for report in (spacex, north_korea) for e in report["entities"] for a in e["aliases"]]
    assert not any("\n" in a or "Set To Launch" in a or a.startswith(("—", "@")) for a in every_alias)
    korea = next(e for e in north_korea["entities"] if e["name"] == "North Korea")
    others = {e["name"] for e in north_korea["entities"]}
    assert {"DPRK", "North"} & set(korea["aliases"]) and not {"DPRK", "North"} & others
    merged = {e.name: e for e in merge_mentions([
        Mention("US", "GPE", "A"), Mention("United States", "GPE", "B"), Mention("U.S.", "GPE", "C"),
        Mention("DPRK", "ORG", "A"), Mention("North Korea", "GPE", "B"), Mention("North", "LOC", "C"),
        Mention("Tesla Model S", "PERSON", "A"), Mention("Tesla", "ORG", "B"), Mention("Tesla", "ORG", "C"),
        Mention("Space X", "PERSON", "A"), Mention("SpaceX", "ORG", "B"), Mention("Musk", "PERSON", "A"),
        Mention("Elon Musk", "PERSON", "B"), Mention("Elon\nMusk", "PERSON", "C"),
    ])}  # fmt: skip
    assert merged["United States"].counts == {"A": 1, "B": 1, "C": 1}
    assert merged["North Korea"].counts == {"A": 1, "B": 1, "C": 1}
    assert merged["Tesla Model S"].label == "PRODUCT" and merged["Tesla"].counts == {"B": 1, "C": 1}
    assert merged["SpaceX"].label == "ORG" and merged["Elon Musk"].counts == {"A": 1, "B": 1, "C": 1}


def test_figures_have_units_quantities_and_readable_conflicts(broadcom: dict) -> None:
    figures = extract_figures("Broadcom raised its bid for Qualcomm on Monday to $121 billion.", "en")
    money = next(f for f in figures if f.unit == "$")
    assert (money.text, money.value, money.quantity) == ("$121 billion", 121e9, "bid")
    deal = extract_figures("The deal, which amounts to $148.9 billion including debt, is the largest.", "en")
    assert find_conflicts({"A": figures, "B": deal}) == []  # the deal's value is not the bid's
    bids = extract_figures("Broadcom raised its bid for Qualcomm to $103 billion.", "en")
    assert find_conflicts({"A": figures, "B": bids}) == [
        {"unit": "$", "quantity": "bid", "values": {"A": "$121 billion", "B": "$103 billion"}}
    ]
    for conflict in broadcom["conflicts"]:
        assert all(isinstance(v, str) and "[" not in v for v in conflict["values"].values())
        assert conflict["quantity"]
    for fact in broadcom["facts"]:
        assert all(n["text"] and "[" not in n["text"] for n in fact["numbers"])


def test_summary_one_fact_once_self_contained_and_latest(broadcom: dict, spacex: dict) -> None:
    for report in (broadcom, spacex):
        sentences = report["summary"]["sentences"]
        assert 2 <= len(sentences) <= 4 and all(s["sources"] for s in sentences)
        assert sum("$121 billion" in s["text"] for s in sentences) <= 1
        assert not any(s["text"].startswith(("Two days ago", "Technology ")) for s in sentences)
    latest = max(spacex["timeline"], key=lambda row: row["published"] or "")["article"]
    assert any(latest in s["sources"] for s in spacex["summary"]["sentences"])


def test_reports_without_source_are_their_own_columns() -> None:
    text = "North Korea fired a missile over Japan on Tuesday, officials said. Japan protested strongly."
    articles = [Article(id=f"seed{i}", title="Missile over Japan", text=text.replace("Tuesday", day))
                for i, day in enumerate(("Tuesday", "Tuesday morning"))]  # fmt: skip
    report = analyse_story(articles).to_dict()
    assert set(report["outlets"]) == {"seed0", "seed1"}
    assert any(f["kind"] == "shared" and set(f["sources"]) == {"seed0", "seed1"} for f in report["facts"])
    hosted = Article(id="h", title="Missile", text=text, url="https://www.example.org/news/1")
    assert "www.example.org" in analyse_story([hosted, articles[0]]).to_dict()["outlets"]


# Pairs of statements the fact matrix grouped in stories of giveme5w1h, and the reader's verdict on them: a
# bound that allows the other value, other things counted, a calendar year against a count of years, and
# dates (two events more often than a disagreement) are not conflicts.
NOT_CONFLICTS = [
    (
        "Five years behind schedule, the Falcon Heavy is now poised to take off, standing over 200 feet "
        "tall on a historic launch pad.",
        "The towering Falcon Heavy, measuring 229 feet (70 meters) tall and 40 feet (12 meters) abreast, "
        "sat atop launch pad 39A Monday.",
    ),
    (
        "Boko Haram release 21 kidnapped schoolgirls in exchange for four militants - but still hold "
        "nearly 200 captives",
        "Boko Haram militants free 21 captive Chibok schoolgirls amid talks with Nigeria",
    ),
    (
        "More than 94,000 people have been confirmed dead in Indonesia, out of at least 138,000 who died "
        "across Asia.",
        "The worst affected was Sri Lanka, where more than 28,000 people are confirmed dead.",
    ),
    (
        "Arians began his coaching career 42 years ago as a graduate assistant at Virginia Tech.",
        "Arians' coaching career began as a graduate assistant at Virginia Tech in 1975.",
    ),
    (
        "He was an assistant to Bear Bryant for one season at Alabama before being hired as the head "
        "coach at Temple.",
        "In 1983, at age 30, he was hired as the head coach at Temple University, where he spent six "
        "seasons on the sideline.",
    ),
    (
        "The case involves 25 defendants, five of whom were fined.",
        "Five other defendants, including jailed activist Alaa Abdel Fattah, were fined 30,000 pounds "
        "each.",
    ),
    (
        "The charge from the tax bill will push Goldman from an estimated $1.9 billion in earnings for "
        "the quarter to a likely loss of around $3 billion.",
        "He estimated Goldman Sachs’s total charge from the tax bill would be $3.2 billion.",
    ),
    (
        "The US Treasury Department later placed six North Korean shipping and trading companies and 20 "
        "of their vessels on sanctions list.",
        "It was part of a U.S. Treasury Department announcement of sanctions on 20 North Korean vessels.",
    ),
    (
        "Under those sanctions, countries cannot export more than a half million barrels of refined "
        "petroleum products, and four million barrels of crude oil in total per year to North Korea.",
        "September’s United Nations Security Council Resolution 2375 imposed an import quota of 500,000 "
        "barrels of refined petrol.",
    ),
    (
        "Even when it flight-tested an intercontinental ballistic missile on July 28, it was launched at "
        "a highly lofted angle so that it reached an altitude of 2,300 miles.",
        "The 2,700 km (1,680 miles) the missile flew before splashing down was much shorter.",
    ),
    (
        "PS4 Team Tournaments have been around since PS4 update 5.0, but there’s now the ability.",
        "Following the 5.50 update, you’ll be able to customize your page.",
    ),
    (
        "All-Star closer Aroldis Chapman blew a 6-3 lead with two outs in the eighth when Rajai Davis hit"
        " a tying, two-run homer.",
        "But closer Aroldis Chapman gave up three runs as the Indians hit back in style.",
    ),
    (
        "When the Treasury Department released reconnaissance images of an Oct. 19 rendezvous between two"
        " ships, the agency named the North Korean ship.",
        "Another transfer was captured in satellite photos released by the United States Treasury "
        "Department on Nov. 21.",
    ),
    (
        "On Friday, China's Foreign Ministry spokesperson Hua Chunying said that charges of Chinese ships"
        ' sending oil to North Korea "do not accord with facts."',
        "China’s Foreign Ministry spokeswoman, Hua Chunying, said Wednesday Beijing has “completely and "
        "strictly” enforced trade restrictions.",
    ),
]
NOT_CONFLICTS.append((  # two people's ages (Rihanna's story)
    "Taking to Instagram, the 29-year-old singer posted photos with Alleyne along with a heartfelt caption.",
    "The singer posted photos of herself with 21-year-old Tavon Kaiseen Alleyne on Instagram on Tuesday.",
))
CONFLICTS = [
    ("Tourist Ship Strikes Highway Bridge in Germany; 25 Hurt", "Tourist ship strikes highway bridge in "
     "Germany; 27 hurt"),
    ("Croydon tram: Seven dead and 50 injured after derailment",
     "Croydon tram crash: Five dead after vehicle overturns in south London"),
    ("Broadcom raised its bid for Qualcomm on Monday to $121 billion.",
     "Broadcom raised its bid for Qualcomm to $103 billion."),
]


@pytest.mark.parametrize(("a", "b"), NOT_CONFLICTS)
def test_different_quantities_bounds_and_dates_are_not_conflicts(a: str, b: str) -> None:
    assert find_conflicts({"A": extract_figures(a, "en"), "B": extract_figures(b, "en")}) == []


@pytest.mark.parametrize(("a", "b"), CONFLICTS)
def test_one_quantity_two_values_is_a_conflict(a: str, b: str) -> None:
    (conflict,) = find_conflicts({"A": extract_figures(a, "en"), "B": extract_figures(b, "en")})
    assert set(conflict["values"]) == {"A", "B"} and all(conflict["values"].values())


def test_a_detail_one_outlet_gives_is_nobody_omission(north_korea: dict) -> None:
    """Two HuffPost reports of one story give one outlet's details: they are ★ there, not ○ elsewhere."""
    unique = {f["id"] for f in north_korea["facts"] if f["kind"] == "unique"}
    assert unique and all(not unique & set(o["omitted"]) for o in north_korea["outlets"].values())
    assert any(o["omitted"] for o in north_korea["outlets"].values())  # shared main facts still are


def test_a_first_name_tagged_once_as_an_organisation_does_not_make_a_person_a_product(shared_data: Path):
    """The Motley Fool's "Elon" (ORG, once) turned Elon Musk into a PRODUCT that "Musk" could not join."""
    from storyweave.analyse.entities import recognise
    from storyweave.analyse.report import article_statements

    mentions = []
    for article in load(shared_data, "giveme5w1h.jsonl", ("25ebe269", "762131c6", "106fa91c", "12e3629a")):
        lang, statements, _ = article_statements(article)
        mentions += [Mention(name, label, article.id) for name, label in recognise(statements, lang)]
    assert ("Elon", "ORG") in {(m.text, m.label) for m in mentions}
    entities = {e.name: e for e in merge_mentions(mentions)}
    assert entities["Elon Musk"].label == "PERSON" and "Musk" in entities["Elon Musk"].aliases
    assert "Musk" not in entities
    merged = {e.name: e for e in merge_mentions(
        [Mention("Elon", "ORG", "A")] + [Mention("Elon Musk", "PERSON", o) for o in "ABC"]
        + [Mention("Musk", "PERSON", "B"), Mention("Tesla Model S", "PERSON", "A")]
        + [Mention("Tesla", "ORG", "B")]
    )}  # fmt: skip
    assert merged["Elon Musk"].label == "PERSON" and merged["Elon Musk"].counts == {"A": 1, "B": 2, "C": 1}
    assert merged["Tesla Model S"].label == "PRODUCT"


def test_names_without_a_model_skip_clause_openers_and_join_shortened_names(shared_data: Path) -> None:
    """Portuguese (no NER model): "Isso", "Espero", "Com" open sentences and quotes; Marina da Silva Souza
    is also "Marina" and "Marina Souza"; the ad label glued to a headline is no part of Robinho."""
    from storyweave.analyse.entities import recognise
    from storyweave.analyse.report import article_statements

    mentions = []
    for article in load(shared_data, "wikinews.jsonl", ("wns-004-0", "wns-070-1", "wns-070-2")):
        lang, statements, _ = article_statements(article)
        mentions += [Mention(name, label, article.id) for name, label in recognise(statements, lang)]
    entities = {e.name: e for e in merge_mentions(mentions)}
    assert not {"Isso", "Espero", "Com", "Tenho", "Peço", "Estou", "Robinho Publicidade"} & set(entities)
    assert {"Marina", "Marina Souza"} <= entities["Marina da Silva Souza"].aliases
    assert "SP" in entities["São Paulo"].aliases and entities["Robinho"].counts.total() >= 15


def test_nationality_adjectives_are_not_names_and_japan_is_not_its_sea(north_korea: dict) -> None:
    names = {e["name"] for e in north_korea["entities"]}
    assert not {"North Korean", "Japanese", "South Korean"} & names
    assert {"North Korea", "Japan"} <= names  # Japan was an alias of the Sea of Japan
    sea = [Mention("Sea of Japan", "LOC", "A")] * 3
    merged = {e.name for e in merge_mentions([*sea, Mention("Japan", "GPE", "B")])}
    assert merged == {"Sea of Japan", "Japan"}


def test_cli_story_of_the_seeds_as_a_new_user_ingests_them(tmp_path: Path, seeds_dir: Path) -> None:
    """`storyweave ingest ../shared/seeds` then `storyweave story ID`: the title is a whole sentence, the
    columns are the two reports (no "unknown"), the kinds are coloured, not printed as Rich markup."""
    from typer.testing import CliRunner

    from storyweave.cli import app
    from storyweave.store import SQLiteStore

    db = str(tmp_path / "s.db")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(seeds_dir), "--store", db]).exit_code == 0
    with SQLiteStore(db) as store:
        (story,) = store.list_stories()
    shown = runner.invoke(app, ["story", story.id, "--store", db, "--format", "json"])
    data = json.loads(shown.stdout)
    assert data["title"].startswith("North Korean leader Kim Jong-un called for a strengthening")
    assert set(data["outlets"]) == {"000_a9ead92bffc35e67", "004_e76b97f84e9bb642"}
    assert sum(f["kind"] == "shared" for f in data["facts"]) >= 4
    table = runner.invoke(app, ["story", story.id, "--store", db], env={"COLUMNS": "200"}).stdout
    assert "shared" in table and "[green]" not in table and "[/]" not in table
    assert table.count("unknown") == table.count("country: unknown")  # no outlet is "unknown"


def test_council_party_and_lower_case_names() -> None:
    """Seen on the North Korea oil story: "Security Council", "U.N. Security Council", "UN Security Council"
    and "United Nations Security Council" as four names; "Workers’ Party" beside the North Korean one; a
    lower-case "west coast" listed as a place."""
    council = "Security Council"
    mentions = [Mention(f"U.N. {council}", "ORG", "A")] * 4 + [Mention(council, "ORG", "B")] * 3
    mentions += [Mention(f"United Nations {council}", "ORG", "C"), Mention(f"UN {council}", "ORG", "D")]
    mentions += [Mention("Workers’ Party", "ORG", "A"), Mention("North Korean Workers’ Party", "ORG", "B")]
    mentions += [Mention("Foreign Ministry", "ORG", "A"), Mention("Chinese Foreign Ministry", "ORG", "B")]
    mentions += [Mention("South Korean Foreign Ministry", "ORG", "C"), Mention("west coast", "LOC", "A")]
    merged = {e.name: e for e in merge_mentions(mentions)}
    assert merged["U.N. Security Council"].counts == {"A": 4, "B": 3, "C": 1, "D": 1}
    assert merged["North Korean Workers’ Party"].counts == {"A": 1, "B": 1}
    assert {"Foreign Ministry", "Chinese Foreign Ministry", "South Korean Foreign Ministry"} <= set(merged)
    assert "west coast" not in merged


def test_just_under_is_near_not_at_most() -> None:
    """"just under 50 grams" (a Verge report in giveme5w1h) is nearly 50, not any weight up to 50: the
    longest bound phrase decides, so another outlet's 30 grams is a conflict."""
    verge = ("Seen by The Verge, they have plastic frames and weigh just under 50 grams, a bit more than "
             "regular eyeglasses but much less than Google Glass, for example.")  # fmt: skip
    (figure,) = extract_figures(verge, "en")
    assert (figure.value, figure.bound) == (50.0, "near")
    assert extract_figures("They weigh under 50 grams.", "en")[0].bound == "max"
    other = extract_figures("The glasses weigh 30 grams.", "en")
    assert len(find_conflicts({"A": [figure], "B": other})) == 1


def test_a_close_statement_is_neither_an_omission_nor_anothers_exclusive(shared_data: Path) -> None:
    """Reader's Croydon page (giveme5w1h): the BBC's "Seven dead and 50 injured after derailment" was a main
    fact that the New York Times ("Killing at Least 7") and the Express ("left seven dead") were marked as
    leaving out. An outlet with a close statement now shows as close, and the fact is not its exclusive."""
    wanted = {"bbc.com", "nytimes.com", "express.co.uk", "telegraph.co.uk"}
    articles = []
    with open(shared_data / "clustering" / "giveme5w1h.jsonl", encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            host = next((h for h in wanted if h in row.get("url", "")), None)
            if host and "Croydon" in row["title"]:
                articles.append(Article(id=row["id"], title=row["title"], text=row["text"], url=row["url"]))
    report = analyse_story(articles).to_dict()
    deaths = next(f for f in report["facts"] if f["text"].startswith("Croydon tram: Seven dead"))
    others = set(report["outlets"]) - set(deaths["sources"])
    assert others, deaths  # some outlets state the deaths in other words…
    for outlet in others:  # …and are not marked as leaving them out
        assert deaths["id"] not in report["outlets"][outlet]["omitted"]
        assert outlet in deaths["close"]
    assert all(deaths["id"] not in e["unique"] for e in report["outlets"].values())
