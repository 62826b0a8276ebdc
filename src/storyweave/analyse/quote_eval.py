"""Quote attribution measured on annotated sentences, against a plain-regex baseline.

The annotations (tests/data/quote_attributions.jsonl) name a sentence by its article in
../shared/data/clustering (`article` id and the sentence's opening words) or carry their own short text
(`context`, a list of sentences), with the acceptable speaker names (`speakers`, null for a sentence that
attributes nothing), the kind and the `split`: dev (the rules were written against it), test (sentences
annotated blind) and heldout (whole articles annotated blind, never tuned on). Each article is split into
statements as the analysis does, every system reads the whole article (pronouns need the sentences before),
and a gold sentence is *found* when a quote is extracted from it (or, for the second half of a split quote, a
quote holds its words); two attributions in one sentence need two quotes, and a statement given more
speakers than it has sources counts the extra ones as false alarms. Reported: recall of the attributions
(per kind), precision (a quote on a sentence annotated `none` is a false alarm, and in an `exhaustive`
article so is a quote on any sentence without an annotation) and speaker accuracy on the found ones.

Annotation guideline (heldout split; one row per attribution, `content` = the opening words of what is
reported, `sentence` = the opening words of the statement as `split_sentences` cuts it):
- An attribution credits a source with words it said or wrote: a verb of saying or a speech act (said, told,
  asked, added, insisted, warned, wrote, described … as, called for/on … to, urged, pledged to, accused … of,
  warned against, denied reports that), "according to X" or "X: “…”", whose content is a proposition (a
  clause, a quote, a to-infinitive). Each statement carrying such content is a row, also a quote's second
  sentence with no attribution of its own.
- kind: direct — the words outside the quote marks only attribute it (speaker, cue, "that", a colon), or the
  statement continues a quote; mixed — the sentence reports in its own words and quotes some of the source's
  words; reported — no quote marks around the source's words.
- speakers: as the article names the source (the whole name for a person; an unnamed source as its phrase,
  "senior State Department official"); a pronoun or a description ("the former general") is the named source
  it refers to, with the description also accepted.
- Not scored (kind belief, other or headline; neither recall nor false alarm): beliefs and intentions (X
  believes / hopes / sees), agentless passives ("they are said to", "it is feared"), counts, documents and
  indexes with no speaking author ("according to an AP count", "the documents showed"), speech acts with
  only a noun object ("denied any wrongdoing", "suggested a US plot"), embedded tweets repeated as text,
  headings.

    .venv/bin/python scripts/eval_quotes.py
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from storyweave.analyse.quotes import Quote, extract_quotes, quote_spans
from storyweave.analyse.text import is_statement, split_sentences

_REGEX_QUOTE = re.compile(r"“[^“”]{1,2000}”|\"[^\"]{1,2000}\"")
_REGEX_NAME = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}"
_REGEX_BEFORE = re.compile(rf"(?P<name>{_REGEX_NAME}|[Hh]e|[Ss]he|[Tt]hey) (?:said|says|told)\b")
_REGEX_AFTER = re.compile(rf"\b(?:said|says|told) (?P<name>{_REGEX_NAME})")


def regex_baseline(sentences: list[str], article_id: str, lang: str | None = None) -> list[Quote]:
    """The plain baseline: quoted text of 4+ words, speaker = capitalised words next to said/says/told,
    a pronoun takes the previous speaker; a sentence with a speaker and no quote is reported speech."""
    del lang
    quotes, previous = [], None
    for sentence in sentences:
        match = _REGEX_BEFORE.search(sentence) or _REGEX_AFTER.search(sentence)
        speaker = match["name"] if match else None
        if speaker and speaker.casefold() in ("he", "she", "they"):
            speaker = previous
        previous = speaker or previous
        direct = [m.group(0)[1:-1] for m in _REGEX_QUOTE.finditer(sentence) if len(m.group(0).split()) >= 4]
        for text in direct:
            quotes.append(Quote(text, speaker, "direct", article_id, sentence))
        if not direct and speaker:
            quotes.append(Quote(sentence, speaker, "reported", article_id, sentence))
    return quotes


def textacy_baseline(sentences: list[str], article_id: str, lang: str | None = None) -> list[Quote]:
    """textacy's `direct_quotations` (Apache-2.0; not a dependency: `pip install textacy` to run it) on the
    article parsed whole by the same spaCy pipeline: direct quotes only, speaker = its cue's subject. It
    refuses a text with an odd number of quote marks; such an article is read sentence by sentence."""
    from textacy.extract.triples import direct_quotations

    from storyweave.analyse.nlp import pipeline

    del lang
    nlp = pipeline()
    try:
        found = [(triple, None) for triple in direct_quotations(nlp("\n\n".join(sentences)))]
    except ValueError:
        found = []
        for sentence in sentences:
            try:
                found.extend((triple, sentence) for triple in direct_quotations(nlp(sentence)))
            except ValueError:
                continue
    starts, offset = [], 0
    for sentence in sentences:
        starts.append(offset)
        offset += len(sentence) + 2
    quotes = []
    for triple, sentence in found:
        if sentence is None:
            where = max(i for i, start in enumerate(starts) if start <= triple.content.start_char)
            sentence = sentences[where]
        speaker = " ".join(t.text for t in triple.speaker) or None
        content = triple.content.text.strip("\"“”'‘’ ")
        quotes.append(Quote(content, speaker, "direct", article_id, sentence))
    return quotes


def _tokens(name: str) -> list[str]:
    return [t.removesuffix("'s").removesuffix("’s") for t in name.casefold().replace(",", " ").split()
            if t not in ("the", "a", "an", "mr", "mr.", "ms", "ms.", "dr", "dr.")]  # fmt: skip


def same_speaker(found: str | None, gold: list[str]) -> bool:
    """A found name matches a gold one when it holds all its words, or is part of it ending in its head
    word ("Holst" for "John Holst", not "John")."""
    if not found:
        return False
    have = _tokens(found)
    for name in gold:
        want = _tokens(name)
        if want and (set(want) <= set(have) or (set(have) <= set(want) and want[-1] in have)):
            return True
    return False


def _articles(shared: Path) -> dict[str, str]:
    texts = {}
    for name in ("giveme5w1h.jsonl", "wikinews.jsonl"):
        with open(shared / "data" / "clustering" / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                texts[row["id"]] = row.get("text") or ""
    return texts


def _covers(quote: Quote, sentence: str) -> bool:
    if quote.sentence == sentence:
        return True
    spans = quote_spans(sentence)
    opening = sentence[spans[0].start : spans[0].end][:25] if spans else None
    return quote.kind == "direct" and opening is not None and opening in quote.text


Extractor = Callable[[list[str], str, str | None], list[Quote]]
SCORED = ("direct", "mixed", "reported")
"""Kinds that are speech attributions; `none` marks a sentence that attributes nothing, and belief, other
and headline mark what the guideline leaves unscored."""


def _statement(sentences: list[str], opening: str) -> str | None:
    """The statement an annotation names: the one it opens, else the one holding it (a split the
    annotation was made on may since have been mended)."""
    return next((s for s in sentences if s.startswith(opening)), None) or next(
        (s for s in sentences if opening in s), None
    )


def _match(rows: list[dict], hits: list[Quote], counts: Counter) -> list[tuple[dict, Quote | None]]:
    """Count the attributions of one statement found by its quotes, each quote serving one attribution:
    first those that name the right speaker, then the rest. Returns the attributions it got wrong, with
    the quote that found each (None: missed)."""
    free = list(hits)
    left = []
    for row in rows:
        right = next((q for q in free if same_speaker(q.speaker, row["speakers"])), None)
        if right is None:
            left.append(row)
            continue
        free.remove(right)
        counts["found"] += 1
        counts[f"found_{row['kind']}"] += 1
        counts["right_speaker"] += 1
    wrong: list[tuple[dict, Quote | None]] = []
    for number, row in enumerate(left):
        quote = free[number] if number < len(free) else None
        counts["found"] += quote is not None
        counts[f"found_{row['kind']}"] += quote is not None
        wrong.append((row, quote))
    return wrong


def evaluate(
    gold_path: Path, shared: Path, extractor: Extractor = extract_quotes, split: str | None = None
) -> dict:
    """Recall (all and per kind), precision and speaker accuracy of `extractor` on the annotations of one
    `split` ("dev": the sentences the rules were written against; "test": sentences annotated before the
    system was run on them; "heldout": whole articles annotated blind, never tuned on), or on all; `errors`
    lists the misses, wrong speakers and false alarms as text lines."""
    rows = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [row for row in rows if split is None or row.get("split") == split]
    texts = _articles(shared) if any("article" in r for r in rows) else {}
    by_article: dict[str, list[dict]] = {}
    for number, row in enumerate(rows):
        by_article.setdefault(row.get("article") or f"context-{number}", []).append(row)
    counts: Counter = Counter()
    errors: list[str] = []
    for key, article_rows in by_article.items():
        first = article_rows[0]
        source = "\n".join(first["context"]) if "context" in first else texts[key]
        sentences = [s for s in split_sentences(source, "en") if is_statement(s, "en")]
        quotes = extractor(sentences, key, "en")
        by_sentence: dict[str | None, list[dict]] = {}
        for row in article_rows:
            by_sentence.setdefault(_statement(sentences, row["sentence"]), []).append(row)
        for sentence, sentence_rows in by_sentence.items():
            hits = [q for q in quotes if sentence is not None and _covers(q, sentence)]
            scored = [row for row in sentence_rows if row["kind"] in SCORED and row["speakers"]]
            counts["gold"] += len(scored)
            counts.update(f"gold_{row['kind']}" for row in scored)
            if any(row["kind"] == "none" or not row["speakers"] for row in sentence_rows) and hits:
                counts["false_alarms"] += 1
                errors.append(f"false alarm  {hits[0].speaker!r} {hits[0].kind}: {sentence}")
            own = {q.speaker for q in hits if q.sentence == sentence}
            if len(own) > len(sentence_rows):  # more speakers than the statement has sources
                counts["false_alarms"] += len(own) - len(sentence_rows)
                errors.append(f"false alarm  extra speakers {sorted(map(str, own))}: {sentence}")
            for row, quote in _match(scored, hits, counts):
                got = f"{quote.speaker!r} ({quote.kind})" if quote else "missed"
                where = sentence or row["sentence"]
                errors.append(f"{got} for {row['speakers'][0]!r} {row['kind']}: {where}")
        if first.get("exhaustive"):  # every attribution annotated: a quote anywhere else is a false alarm
            alarms = [q for q in quotes if q.sentence not in by_sentence]
            counts["false_alarms"] += len({q.sentence for q in alarms})
            errors.extend(f"false alarm  {q.speaker!r} {q.kind}: {q.sentence}" for q in alarms)
    found = counts["found"]
    return {
        "attributions": counts["gold"],
        "recall": found / max(counts["gold"], 1),
        "recall_by_kind": {
            kind: counts[f"found_{kind}"] / counts[f"gold_{kind}"]
            for kind in SCORED
            if counts[f"gold_{kind}"]
        },
        "precision": found / max(found + counts["false_alarms"], 1),
        "speaker_accuracy": counts["right_speaker"] / max(found, 1),
        "errors": errors,
    }
