"""People, organisations and places per story, merged across spellings.

English text goes through spaCy's small English pipeline (`nlp.parse`, parses shared with quotes and
summaries). Other languages, and English when the model is missing, use a fallback that
still finds names: runs of capitalised words that do not start a sentence (or do, when the first word is not
a common sentence opener), labelled `NAME` since no type is known. Names merge when their spelling-
insensitive keys match (case, accents, hyphens and spaces: Kim Jong-un = Kim Jong Un), when the keys are
near-identical (similarity ratio ≥ 0.8 over ≥ 6 characters, same type: Pyongyang = Pionyang), and a lone
surname or first name joins the only longer person name that contains it (Kim → Kim Jong Un).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from storyweave.analyse.nlp import is_english, parse
from storyweave.analyse.text import name_key

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"}
FUZZY_RATIO = 0.8
_UPPER_WORD = r"[A-ZÀ-ÖØ-Þ\u0400-\u042f][\w’'-]+"
_CAPITALISED = re.compile(
    rf"(?<![\w’']){_UPPER_WORD}(?:\s+(?:(?:de|del|la|von|van|al|bin|of)\s+)?{_UPPER_WORD})*"
)
_OPENERS = set(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "but",
        "and",
        "or",
        "if",
        "when",
        "while",
        "after",
        "before",
        "since",
        "as",
        "this",
        "that",
        "these",
        "those",
        "it",
        "he",
        "she",
        "they",
        "we",
        "i",
        "his",
        "her",
        "their",
        "its",
        "our",
        "el",
        "la",
        "los",
        "las",
        "le",
        "les",
        "un",
        "una",
        "der",
        "die",
        "das",
        "ein",
        "eine",
        "il",
        "lo",
        "en",
        "de",
        "según",
        "selon",
        "laut",
        "meanwhile",
        "however",
        "specifically",
        "according",
    ]
)


@dataclass
class Mention:
    text: str
    label: str
    outlet: str


@dataclass
class Entity:
    """One merged entity: the most frequent spelling is its `name`, every other spelling is an alias."""

    name: str
    label: str
    aliases: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    spellings: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "aliases": sorted(self.aliases - {self.name}),
            "counts": dict(self.counts.most_common()),
            "total": sum(self.counts.values()),
        }


def fallback_names(sentences: list[str]) -> list[tuple[str, str]]:
    """Capitalised word runs as (text, "NAME"), for languages without an NER model."""
    found = []
    for sentence in sentences:
        for match in _CAPITALISED.finditer(sentence):
            tokens = match.group(0).split()
            if match.start() == 0 and tokens[0].casefold() in _OPENERS:
                tokens = tokens[1:]
            if tokens and (len(tokens) > 1 or match.start() > 0):
                found.append((" ".join(tokens).strip("’'-"), "NAME"))
    return found


def recognise(sentences: list[str], lang: str | None) -> list[tuple[str, str]]:
    """(name, label) mentions in one article's sentences: spaCy NER for English, else `fallback_names`."""
    docs = parse(sentences) if is_english(lang) else None
    if docs is None:
        return fallback_names(sentences)
    return [(e.text.strip(), e.label_) for doc in docs for e in doc.ents if e.label_ in KEPT_LABELS]


def _strip_determiner(name: str) -> str:
    name = re.sub(r"['’]s$", "", name.strip())
    return re.sub(r"^(?:the|The)\s+", "", name)


def merge_mentions(mentions: list[Mention]) -> list[Entity]:
    """Merge mentions into entities (see module docstring), most mentioned first."""
    by_key: dict[str, Entity] = {}
    for mention in mentions:
        name = _strip_determiner(mention.text)
        key = name_key(name)
        if len(key) < 2:
            continue
        entity = by_key.setdefault(key, Entity(name, mention.label))
        entity.spellings[name] += 1
        entity.counts[mention.outlet] += 1
        entity.aliases.add(name)
        if entity.label == "NAME" and mention.label != "NAME":
            entity.label = mention.label
    keys = sorted(by_key, key=lambda k: -sum(by_key[k].counts.values()))
    parent = {k: k for k in keys}
    for i, key in enumerate(keys):
        for other in keys[:i]:
            if parent[other] != other or len(key) < 6 or key[0] != other[0]:
                continue
            if (
                "NAME" not in (by_key[key].label, by_key[other].label)
                and by_key[key].label != by_key[other].label
            ):
                continue
            if SequenceMatcher(None, key, other).ratio() >= FUZZY_RATIO:
                parent[key] = other
                break
    persons = [
        k for k in keys if parent[k] == k and by_key[k].label in ("PERSON", "NAME") and " " in by_key[k].name
    ]
    for key in keys:
        entity = by_key[key]
        if parent[key] != key or " " in entity.name:
            continue
        containing = [
            p for p in persons if name_key(entity.name) in {name_key(t) for t in by_key[p].name.split()}
        ]
        if len(containing) == 1 and entity.label in ("PERSON", "NAME", "ORG"):
            parent[key] = containing[0]
    merged: dict[str, Entity] = {}
    for key in keys:
        root = parent[key]
        while parent[root] != root:
            root = parent[root]
        source = by_key[key]
        target = merged.setdefault(root, Entity(by_key[root].name, by_key[root].label))
        target.spellings.update(source.spellings)
        target.counts.update(source.counts)
        target.aliases |= source.aliases
    for entity in merged.values():
        entity.name = max(entity.spellings.items(), key=lambda kv: (len(kv[0].split()) > 1, kv[1]))[0]
    return sorted(merged.values(), key=lambda e: (-sum(e.counts.values()), e.name))
