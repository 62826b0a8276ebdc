"""One place decides what an article states: furniture from the shared sets never becomes a statement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyweave.analyse.text import is_statement, split_sentences

FURNITURE = [  # what the issue saw as fact rows, captions and summary sentences, in several languages
    "Esportes Dom, 14 Nov - 14h08",
    "Mãe de Robinho é libertada ::: Esportes ::: www.estadao.com.br",
    "Reuters North Korean leader Kim Jong Un celebrates the launch of a Hwasong-12 missile in this undated "
    "photo released by North Korea's Korean Central News Agency",
    "A KCNA / Reuters North Korean leader Kim Jong-Un looks on during a visit to the Chemical Institute",
    "Andrew Kelly / Reuters The United Nations Security Council said it was of vital importance.",
    "Image copyright Getty Images Image caption The pair have been friends for over 20 years",
    "Technology Former Facebook and Google workers launch campaign to fight tech addiction Campaign to "
    "highlights potential harm of digital platforms",
    "Steve Mollenkopf Photographer: Patrick T. Fallon/Bloomberg",
    "Media playback is unsupported on your device Media caption The tram derailed shortly after 06:00 GMT",
    "CLOSE CEO of Tesla and Space X, Elon Musk gave us all a sneak peek at his Falcon Heavy rocket.",
    "By John Smith and Ana Díaz, Reuters",
    "Read more: Why North Korea keeps firing missiles",
    "Share this article on Facebook",
    "Updated: 10:32 GMT, 14 November 2017",
    "Leia mais sobre o Santos e o Robinho",
    "Lesen Sie auch: Die Lage in Nordkorea",
    "Lire aussi : la Corée du Nord tire un missile",
    "Leggi anche: la Corea del Nord lancia un missile",
    "Lea también: Corea del Norte lanza un misil",
    "اقرأ أيضا: كوريا الشمالية تطلق صاروخا",
    "ALPHA BRAVO CHARLIE DELTA ECHO FOXTROT GOLF HOTEL",
    "Council | Politics | World news",
]
STATEMENTS = [
    "Reuters reported that the missile flew over Japan.",
    "By Monday, the toll had risen to 40.",
    "Technology companies have pledged to act on addiction.",
    "The U.N. said it was a banned test of ballistic missile technology and imposed sanctions.",
    "Di Maio said the government would not fall.",
    "Por su parte, el ministro dijo que no habrá cambios.",
    "In the images published by KCNA, Kim Jong-un is seen pointing to a map.",
    "The meeting was held at 10:30 on Monday in Pyongyang, the agency said.",
    "O atacante Robinho desfalcará o Santos na partida deste domingo.",
    "Der Sicherheitsrat verurteilte den Raketentest am Dienstag scharf.",
    "US President Donald Trump has attacked Democrats for rejecting his proposals.",  # not a section label
    "World Health Organization officials said cases were rising.",
    "Health Secretary Matt Hancock said the plan would work.",
]


@pytest.mark.parametrize("sentence", FURNITURE)
def test_furniture_is_not_a_statement(sentence: str) -> None:
    assert not is_statement(sentence)


@pytest.mark.parametrize("sentence", STATEMENTS)
def test_statements_stay(sentence: str) -> None:
    assert is_statement(sentence, "en")


def _article(shared: Path, name: str, article_id: str) -> dict:
    with open(shared / "clustering" / name, encoding="utf-8") as handle:
        return next(r for r in map(json.loads, handle) if r["id"] == article_id)


@pytest.mark.parametrize(
    ("name", "article_id", "furniture"),
    [
        ("wikinews.jsonl", "wns-004-0", "14h08"),
        ("wikinews.jsonl", "wns-070-2", ":::"),
        ("giveme5w1h.jsonl", "077896ee749c9962dd56840b2c049e45684efcd830c368a4a67a0060", "undated photo"),
        ("giveme5w1h.jsonl", "08120bdc70b16972fd017aa458fb77f454e997562fd13571ee551351", "Technology Former"),
        ("giveme5w1h.jsonl", "6979720e6a5e8b78d97926da5ac077a9e1a7c3a52ac07d1d92cc6618", "Image copyright"),
    ],
)
def test_shared_articles_lose_their_furniture(shared_data: Path, name: str, article_id: str, furniture: str):
    row = _article(shared_data, name, article_id)
    sentences = split_sentences(f"{row['title']}\n{row['text']}", row.get("lang"))
    assert any(furniture in s for s in sentences)  # it is there in the text …
    kept = [s for s in sentences if is_statement(s, row.get("lang"))]
    assert kept and not any(furniture in s for s in kept)  # … and never a statement
