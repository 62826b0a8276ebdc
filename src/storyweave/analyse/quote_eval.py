"""Quote attribution measured on annotated sentences, against a plain-regex baseline.

The annotations (tests/data/quote_attributions.jsonl) name a sentence by its article in
../shared/data/clustering (`article` id and the sentence's opening words) or carry their own short text
(`context`, a list of sentences), with the acceptable speaker names (`speakers`, null for a sentence that
attributes nothing), the kind (direct, mixed, reported, none) and the `split` (dev: the rules were written
against it; test: annotated blind and never tuned on). Each article is split into statements
as the analysis does, every system reads the whole article (pronouns need the sentences before), and
a gold sentence is *found* when a quote is extracted from it (or, for the second half of a split quote, a
quote holds its words). Reported: recall of the attributions (per kind), precision over the annotated
sentences (a quote on a `none` sentence is a false alarm), and speaker accuracy on the found ones.

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


def evaluate(
    gold_path: Path, shared: Path, extractor: Extractor = extract_quotes, split: str | None = None
) -> dict:
    """Recall (all and per kind), precision and speaker accuracy of `extractor` on the annotations of one
    `split` ("dev": the sentences the rules were written against; "test": annotated before the system was
    run on them, never tuned on), or on all."""
    rows = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [row for row in rows if split is None or row.get("split") == split]
    texts = _articles(shared) if any("article" in r for r in rows) else {}
    extracted: dict[str, tuple[list[str], list[Quote]]] = {}
    counts: Counter = Counter()
    for number, row in enumerate(rows):
        key = row.get("article") or f"context-{number}"
        if key not in extracted:
            source = "\n".join(row["context"]) if "context" in row else texts[key]
            sentences = [s for s in split_sentences(source, "en") if is_statement(s, "en")]
            extracted[key] = (sentences, extractor(sentences, key, "en"))
        sentences, quotes = extracted[key]
        sentence = next((s for s in sentences if s.startswith(row["sentence"])), None)
        hits = [q for q in quotes if sentence is not None and _covers(q, sentence)]
        if row["speakers"] is None:
            counts["false_alarms"] += bool(hits)
            continue
        counts["gold"] += 1
        counts[f"gold_{row['kind']}"] += 1
        if hits:
            counts["found"] += 1
            counts[f"found_{row['kind']}"] += 1
            counts["right_speaker"] += any(same_speaker(q.speaker, row["speakers"]) for q in hits)
    found = counts["found"]
    return {
        "attributions": counts["gold"],
        "recall": found / max(counts["gold"], 1),
        "recall_by_kind": {
            kind: counts[f"found_{kind}"] / counts[f"gold_{kind}"]
            for kind in ("direct", "mixed", "reported")
            if counts[f"gold_{kind}"]
        },
        "precision": found / max(found + counts["false_alarms"], 1),
        "speaker_accuracy": counts["right_speaker"] / max(found, 1),
    }
