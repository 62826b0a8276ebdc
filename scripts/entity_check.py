"""Entity recognition and merging checked on every gold story of 3+ reports of the shared giveme5w1h and
wikinews sets (grouped by `cluster_id`) and on the two seeds (one story): counts of what a reader sees as
defects on the story page's entity chips.

    .venv/bin/python scripts/entity_check.py [--shared ../shared] [--show 8]

Counts (each check reads the story's own text with rules of its own, not the ones entities.py uses):
- `entities`: merged entities over all stories;
- `person_with_corporate_cue`: PERSON entities whose name the story writes with a company cue ("X Inc",
  "X's shares", "chipmaker X", "bid for X", "X shares");
- `named_with_person_cue`: ORG/GPE/LOC entities whose last word the story writes after Mr/Ms/Mrs/Dr;
- `merge_without_shared_word`: aliases sharing no word with their entity's name and being neither its
  initials nor a short form of the explicit table;
- `merge_changing_meaning`: aliases that are another full name (a word each lacks that is no respelling:
  Kim Yong-hyun in Kim Jong Un, Falcon 9 in Falcon Heavy) or a place or person inside the name of another
  kind (Tokyo in Tokyo Narita Airport);
- `invisible_chars`: names or aliases holding a format/control character (zero-width space, soft hyphen);
- `junk_spans`: names or aliases that open with an article, end with a preposition/article/conjunction,
  are a date ("March 6"), or are one word the story writes in lower case as often ("Stupid").
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path

from storyweave.analyse.entities import (
    Mention,
    canonical_key,
    clean_name,
    merge_mentions,
    name_canonical_key,
    recognise,
)
from storyweave.analyse.report import article_statements
from storyweave.analyse.text import name_key, outlet_column
from storyweave.models import Article

SETS = ("giveme5w1h", "wikinews")
MIN_REPORTS = 3
RESPELLING = 0.75
"""Words that differ by less are a respelling (Sicong/Zicong, Drattell/Dartell), not another name."""
_ARTICLES = frozenset(["a", "an", "the"])
_DANGLING = _ARTICLES | frozenset(["to", "of", "in", "on", "at", "for", "by", "with", "from", "and", "or"])
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"^(?:{_MONTHS})\.? \d{{1,2}}$")
_COMPANY_AFTER = (
    r"(?:,? (?:Inc|Corp|Corporation|Ltd|LLC|plc|Co)\b|['’]s? (?:shares|stock|board|shareholders)\b| shares\b)"
)
_COMPANY_BEFORE = (
    r"(?:\b(?:chipmaker|company|firm|carmaker|automaker|startup|retailer|bid for|shares of|rival) )"
)
_TITLES = r"(?:\b(?:Mr|Ms|Mrs|Dr)\.? )"


def stories(shared: Path) -> dict[str, list[Article]]:
    """Gold stories of MIN_REPORTS reports or more, and the seeds as one story."""
    grouped: dict[str, list[Article]] = defaultdict(list)
    for name in SETS:
        with open(shared / "data" / "clustering" / f"{name}.jsonl", encoding="utf-8") as handle:
            for row in map(json.loads, handle):
                grouped[f"{name}:{row['cluster_id']}"].append(
                    Article(id=row["id"], title=row["title"] or "", text=row["text"] or "",
                            source=row.get("source"), url=row.get("url"), lang=row.get("lang"))
                )  # fmt: skip
    out = {key: articles for key, articles in grouped.items() if len(articles) >= MIN_REPORTS}
    seeds = sorted((shared / "seeds").glob("*.txt"))
    out["seeds"] = [
        Article(id=p.stem, title="", text=p.read_text(encoding="utf-8"), lang="en") for p in seeds
    ]
    return out


def _written(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def _different_full_names(alias: str, name: str) -> bool:
    """Two names of 2+ words that share a word, where the words of each that the other lacks are no mere
    respelling of each other: Kim Yong-hyun vs Kim Jong Un, Falcon 9 vs Falcon Heavy, LA vs New York Times
    (but not Zhao Sicong vs Zhao Zicong)."""
    a, b = [name_key(w) for w in alias.split()], [name_key(w) for w in name.split()]
    if (
        len(a) < 2
        or len(b) < 2
        or not set(a) & set(b)
        or name_canonical_key(alias) == name_canonical_key(name)
    ):
        return False
    only_a, only_b = "".join(w for w in a if w not in b), "".join(w for w in b if w not in a)
    return bool(only_a and only_b) and SequenceMatcher(None, only_a, only_b).ratio() < RESPELLING


_FAMILY = {"GPE": "place", "LOC": "place", "PERSON": "person"}


def _inside_other_kind(alias: str, alias_label: str, name: str, label: str) -> bool:
    """A place inside a facility's or organisation's name (Tokyo in Tokyo Narita Airport): a different
    entity."""
    a, b = {name_key(w) for w in alias.split()}, {name_key(w) for w in name.split()}
    kind = _FAMILY.get(alias_label)
    return kind is not None and kind != _FAMILY.get(label) and label != "NAME" and a < b


def check(articles: list[Article]) -> tuple[list, dict[str, list[str]]]:
    mentions = []
    for article in articles:
        lang, statements, _ = article_statements(article)
        outlet = outlet_column(article.source, article.url, article.id)
        mentions += [Mention(name, label, outlet) for name, label in recognise(statements, lang)]
    entities = merge_mentions(mentions)
    votes: dict[str, Counter] = defaultdict(Counter)
    for mention in mentions:
        votes[clean_name(mention.text)][mention.label] += 1
    labels = {name: counts.most_common(1)[0][0] for name, counts in votes.items()}
    text = "\n".join(f"{a.title}\n{a.text}" for a in articles)
    written = Counter(re.findall(r"\b\w+\b", text))
    found: dict[str, list[str]] = defaultdict(list)
    for entity in entities:
        name = re.escape(entity.name)
        if entity.label == "PERSON" and (
            _written(rf"\b{name}{_COMPANY_AFTER}", text) or _written(rf"{_COMPANY_BEFORE}{name}\b", text)
        ):
            found["person_with_corporate_cue"].append(entity.name)
        last = re.escape(entity.name.split()[-1])
        if entity.label in ("ORG", "GPE", "LOC") and _written(rf"{_TITLES}{last}\b", text):
            found["named_with_person_cue"].append(f"{entity.name} {entity.label}")
        words = {name_key(w) for w in entity.name.split()}
        initials = "".join(w[0] for w in re.split(r"[\s-]", entity.name) if w[:1].isupper()).casefold()
        for alias in sorted(entity.aliases | {entity.name}):
            if any(unicodedata.category(c) in ("Cf", "Cc") for c in alias):
                found["invisible_chars"].append(ascii(alias))
            tokens = alias.split()
            if (
                tokens[0].casefold() in _ARTICLES or tokens[-1].casefold() in _DANGLING or _DATE.match(alias)
                or (len(tokens) == 1 and written[alias.lower()] >= written[alias] and not alias.isupper())
            ):  # fmt: skip
                found["junk_spans"].append(f"{alias} ({entity.label})")
            shared = words & {name_key(w) for w in tokens}
            table = canonical_key(name_key(alias)) == canonical_key(name_key(entity.name))
            if not shared and not table and name_key(alias) != initials and alias != entity.name:
                found["merge_without_shared_word"].append(f"{alias} -> {entity.name}")
            label = labels.get(alias, entity.label)  # a name cut from its mention ("Mr Zhu") has none
            if _different_full_names(alias, entity.name) or _inside_other_kind(
                alias, label, entity.name, entity.label
            ):
                found["merge_changing_meaning"].append(f"{alias} ({label}) -> {entity.name}")
    return entities, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--show", type=int, default=8, help="examples shown per count")
    args = parser.parse_args()
    totals: dict[str, list[str]] = defaultdict(list)
    count = 0
    all_stories = stories(args.shared)
    for key, articles in all_stories.items():
        entities, found = check(articles)
        count += len(entities)
        for kind, examples in found.items():
            totals[kind] += [f"{key}: {e}" for e in examples]
    print(f"stories: {len(all_stories)}")
    print(f"entities: {count}")
    kinds = ("person_with_corporate_cue", "named_with_person_cue", "merge_without_shared_word",
             "merge_changing_meaning", "invisible_chars", "junk_spans")  # fmt: skip
    for kind in kinds:
        print(f"{kind}: {len(totals[kind])}")
        for example in totals[kind][: args.show]:
            print(f"    {example}")


if __name__ == "__main__":
    main()
