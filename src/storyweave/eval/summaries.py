"""Summary evaluation: ROUGE-1/2/L F-measure (rouge-score, Porter stemming) against the `reference` field."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storyweave.analyse.summary import SourceText, Summarizer

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


@dataclass
class RougeResult:
    """Mean F-measures ×100 over `count` records, and summarising speed when summaries were produced here."""

    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815  (the metric's own name)
    count: int
    skipped: int
    stories_per_second: float | None = None


def source_texts(record: dict) -> list[SourceText]:
    """The `articles` of a cluster record as summariser input (ValueError when the field is malformed)."""
    articles = record.get("articles")
    if not isinstance(articles, list) or not all(isinstance(a, dict) for a in articles):
        raise ValueError("'articles' must be a list of objects")
    return [SourceText(str(a.get("title") or ""), str(a.get("text") or ""), a.get("lang")) for a in articles]


def evaluate_summaries(
    records: Iterable[tuple[int, dict]],
    summarizer: Summarizer | None,
    on_error: Callable[[str], None] = print,
    predictions: dict[str, str] | None = None,
) -> RougeResult:
    """Score each record's summary against its `reference`.

    The summary is, in this order: `predictions[id]`, the record's own `summary` field, or the output of
    `summarizer` on the record's articles (then the speed is measured too).
    """
    from rouge_score import rouge_scorer  # lazily: it loads nltk, slowing every CLI start

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    count = skipped = produced = 0
    seconds = 0.0
    for number, record in records:
        reference = record.get("reference")
        summary = (predictions or {}).get(str(record.get("id"))) or record.get("summary")
        try:
            if not isinstance(reference, str) or not reference.strip():
                raise ValueError("no 'reference' text")
            if summary is None:
                if summarizer is None:
                    raise ValueError("no 'summary' and no summariser")
                start = time.perf_counter()
                summary = summarizer.summarize(source_texts(record)).text
                seconds += time.perf_counter() - start
                produced += 1
        except ValueError as error:
            on_error(f"record {number} (id {record.get('id')}): {error}; skipped")
            skipped += 1
            continue
        scores = scorer.score(reference, summary)
        for key in ROUGE_TYPES:
            totals[key] += scores[key].fmeasure
        count += 1
    mean = {k: 100 * v / count if count else 0.0 for k, v in totals.items()}
    speed = produced / seconds if produced and seconds else None
    return RougeResult(mean["rouge1"], mean["rouge2"], mean["rougeL"], count, skipped, speed)
