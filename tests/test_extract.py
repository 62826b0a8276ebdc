"""Extraction: chrome cleanup, pages, plain text, language, and the AEB metric itself."""

from __future__ import annotations

import gzip

import pytest

from storyweave.eval.extraction import page_counts, score, shingles
from storyweave.extract import (
    ExtractionError,
    article_from_page,
    article_from_text,
    detect_language,
    strip_chrome,
)

PARAGRAPHS = [
    "The city council approved the new budget on Tuesday after a debate that lasted more than six hours.",
    "Council members said the plan would fund two new libraries and repair roads damaged in winter's storms.",
    "Opposition members argued that the spending was too high and that property taxes would have to rise.",
    "The mayor is expected to sign the budget into law next week, according to a statement from her office.",
]
SIDEBAR = [
    "Storm Warning Issued for Coastal Towns as Winds Strengthen",
    "Local Football Club Names New Coach After Losing Season",
    "Museum Reopens Ancient Gallery Following Three-Year Renovation",
    "Farmers Brace for Drought as Reservoir Levels Fall Sharply",
]


def page(body: str, lang: str = "en", extra_head: str = "") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><title>Council passes budget | Daily Example</title>'
        f'<meta property="og:site_name" content="Daily Example">'
        f'<meta name="author" content="Jane Reporter">'
        f'<meta property="article:published_time" content="2024-03-05T10:30:00+00:00">{extra_head}</head>'
        f"<body><nav><a href='/'>Home</a><a href='/world'>World</a></nav>"
        f"<article><h1>Council passes budget</h1>"
        f"{body}</article><footer>Contact us</footer></body></html>"
    )


ARTICLE_HTML = page("".join(f"<p>{p}</p>" for p in PARAGRAPHS))


def test_trust_trailer_and_headline_sidebar_are_chrome_not_text():
    trailer = "According to the criteria of The Trust Project"
    text = "\n\n".join(PARAGRAPHS) + f"\n\n{trailer}\n\n" + "\n".join(SIDEBAR)
    cleaned = strip_chrome(text)
    assert cleaned.text.endswith(PARAGRAPHS[-1])
    assert cleaned.chrome == ["According to the criteria of The Trust Project", *SIDEBAR]


@pytest.mark.parametrize(
    "trailer",
    [
        "Según los criterios de The Trust Project",
        "© 2024 Daily Example. All rights reserved.",
        "Tous droits réservés",
        "Sign up for our newsletter to get the day's top stories",
    ],
)
def test_multilingual_trailers_are_removed(trailer):
    cleaned = strip_chrome("\n".join(PARAGRAPHS) + "\n" + trailer)
    assert cleaned.text.endswith(PARAGRAPHS[-1])
    assert cleaned.chrome == [trailer]


@pytest.mark.parametrize(
    "ending",
    [
        "Copyright law experts disagree.",
        "The newsletter was launched in 2019.",
        "Readers can subscribe to the paper for $5.",
        "The company's share on Monday rose 4%.",
    ],
)
def test_last_sentences_that_merely_mention_trailer_words_are_kept(ending):
    text = "\n".join([*PARAGRAPHS, ending])
    assert strip_chrome(text).text == text


def test_article_lists_and_short_endings_are_kept():
    tour = [
        "June 9 -- Coral Sky Amphitheatre, West Palm Beach, FL",
        "June 10 -- Credit Union Arena, Tampa, FL",
        "June 14 -- Ameris Bank Amphitheatre, Alpharetta, GA",
        "June 17 -- Bridgestone Arena, Nashville, TN",
    ]
    ranked = ["1) Victorinox Swiss Army Knife in Red", "2) Polaroid Instant Camera Eighties Style",
              "3) Travel Edition of the Classic Board Game"]
    for tail in (tour, ranked, ["Reporting by Jane Doe; Editing by John Smith"], SIDEBAR[:2]):
        text = "\n".join([*PARAGRAPHS, *tail])
        assert strip_chrome(text).text == text
    # A trailer-like phrase inside the article body stays: only the trailing block is chrome.
    inside = "\n".join(["Subscribe to our newsletter, the mayor joked at the start.", *PARAGRAPHS])
    assert strip_chrome(inside).text == inside


def test_article_from_page_extracts_text_and_metadata():
    article = article_from_page(ARTICLE_HTML.encode(), url="https://www.example.com/news/budget?utm_source=x")
    assert article.title == "Council passes budget"
    assert article.text.startswith(PARAGRAPHS[0])  # the <h1> repeating the title is not text
    assert article.text.endswith(PARAGRAPHS[-1])
    assert "Home" not in article.text and "Contact us" not in article.text
    assert article.author == "Jane Reporter"
    assert article.source == "Daily Example"
    assert article.published is not None and article.published.date().isoformat() == "2024-03-05"
    assert article.lang == "en"
    assert article.canonical_url == "https://www.example.com/news/budget"
    gzipped = article_from_page(gzip.compress(ARTICLE_HTML.encode()), id="x")
    assert gzipped.text == article.text and gzipped.id == "x"


def test_page_sidebar_list_goes_to_chrome():
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "<p>According to the criteria of The Trust Project"
    body += "<ul>" + "".join(f"<li>{h}</li>" for h in SIDEBAR) + "</ul>"
    article = article_from_page(page(body))
    assert article.text.rstrip().endswith(PARAGRAPHS[-1])
    assert all(h in " ".join(article.chrome) for h in SIDEBAR)


def test_mojibake_is_repaired():
    broken = ARTICLE_HTML.replace("winter's", "winterâ€™s").replace("Tuesday", "Tuesday cafÃ©")
    article = article_from_page(broken)
    assert "winter’s" in article.text and "café" in article.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03binary\x00" * 100, "binary"),
        (b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>", "no article"),
        (gzip.compress(ARTICLE_HTML.encode())[:200], "truncated gzip"),
    ],
)
def test_pages_without_an_article_raise(content, reason):
    with pytest.raises(ExtractionError, match=reason):
        article_from_page(content)


def test_plain_text_title_line_and_paragraph_start():
    titled = article_from_text("Council passes budget\n\n" + "\n\n".join(PARAGRAPHS), id="a")
    assert titled.title == "Council passes budget" and titled.text.startswith(PARAGRAPHS[0])
    untitled = article_from_text("\n\n".join(PARAGRAPHS), id="b")
    assert untitled.title.startswith("The city council approved") and untitled.text.startswith(PARAGRAPHS[0])


def test_language_detection_and_hint():
    assert detect_language(" ".join(PARAGRAPHS)) == "en"
    assert detect_language("El ayuntamiento aprobó el presupuesto el martes tras un largo debate.") == "es"
    german = "Der Stadtrat hat am Dienstag den neuen Haushalt beschlossen."
    assert detect_language(german, hint="en-US") == "de"
    assert detect_language("Ok", hint="pt-BR") == "pt"  # too short to detect: the declared language wins
    article = article_from_page(page("".join(f"<p>{p}</p>" for p in PARAGRAPHS), lang="en-GB"))
    assert article.lang == "en"


# -- the AEB metric ------------------------------------------------------------------------------------------
def test_shingles_are_four_word_windows():
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("Hello, world!") == {("Hello", "world"): 1}  # shorter texts are one short shingle
    assert shingles("") == {}


def test_page_counts_are_normalised_per_page():
    assert page_counts("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = page_counts("a b c d e f", "a b c d x")  # truth: abcd bcde cdef; predicted: abcd bcdx
    assert (tp, fp, fn) == pytest.approx((1 / 4, 1 / 4, 2 / 4))
    assert page_counts("", "") == (0.0, 0.0, 0.0)


def test_score_averages_pages_and_skips_undefined_ratios():
    perfect = page_counts("a b c d e", "a b c d e")
    missed = page_counts("a b c d e", "")  # nothing predicted: recall 0, precision undefined (skipped)
    both_empty = page_counts("", "")  # neither ratio defined: skipped entirely
    result = score([perfect, missed, both_empty])
    assert result.precision == 1.0
    assert result.recall == 0.5
    assert result.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
