"""People, organisations and places per story, merged across spellings.

English text goes through spaCy's small English pipeline (`nlp.parse`, parses shared with quotes and
summaries); the words around each mention correct its label (`_in_context`). Other languages, and English
when the model is missing, use a fallback that still finds names: runs of capitalised words that do not start
a sentence (or do, when the first word is not a common sentence opener), labelled `NAME` since no type is
known. Merges need evidence (`merge_mentions`): spelling-insensitive keys that match (case, accents, hyphens
and spaces: Kim Jong-un = Kim Jong Un), a respelling (`_respelling`: Falcon Heavt = Falcon Heavy, but not
Falcon 9 or Pyeongchang), the explicit table of short forms and official names (US = United States, DPRK =
North Korea), initials (RAIB = Rail Accident Investigation Branch), a name shortened (`_merge_shortened`), a
surname alone into the one full name that ends with it, and a lone word into the longer name of its kind
that starts or ends with it when that name is the only one or dominates (see DOMINANT; Kim → Kim Jong Un,
North → North Korea). A facility is not the place it is named after.

Types are the majority over the mentions unless a mention proves one (a title, a company suffix); a one-word
"person" no full name of the story holds takes its other label; a "person" that opens with one of the
story's organisations or holds a model word ("Tesla Model S") is a PRODUCT, which no lone word joins (so
"Tesla" stays the company). Names are cleaned for display (`clean_name`), and title-cased headlines are not
read for names at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from storyweave.analyse.nlp import is_english, parse
from storyweave.analyse.statements import AGENCIES, wordset
from storyweave.analyse.text import name_key

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT"}
"""spaCy's NORP (nationalities: "North Korean", "Chinese", "Asian") is an adjective, not a person,
organisation or place: the story's names leave it out."""
FUZZY_RATIO = 0.8
RESPELLING = 2
"""Characters two spellings of one name may differ by (one letter replaced, or two dropped or added)."""
TITLE_CASE_SHARE = 0.7
_PRIORITY = ("PERSON", "GPE", "LOC", "ORG", "FAC", "EVENT", "PRODUCT", "NAME")
"""Type order on a tied vote (a place's short form is often tagged ORG: DPRK)."""
DOMINANT = 3
"""A lone word joins the longer name it starts or ends when that name is the only one, or is mentioned
this many times more than the next (North → North Korea, not North America, in a story on Pyongyang)."""
_EDGE_PUNCTUATION = " \t—–-@#'’\"“”,;:()[]*|"
_JOINERS = frozenset(["of", "the", "and", "for", "de", "la", "del", "&"])
_LINKS = frozenset(["of", "de", "da", "do", "dos", "das", "del", "di", "du", "von", "van"])
_LOWER_OPENERS = frozenset(["a", "an", "another", "the"])
_DANGLING = frozenset(
    ["to", "of", "in", "on", "at", "for", "by", "with", "from", "and", "or", "the", "a", "an", "&"]
)
"""Words no name ends with: spaCy's span ran on ("Cincinnati Zoo and", "a Tesla Roadster to")."""
_CREDITS = frozenset(AGENCIES)
"""A picture agency glued to a name by a caption ("Meghan Markle Rex")."""
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_DATE = re.compile(rf"(?:{_MONTHS})[a-z]{{0,6}}\.? \d{{1,2}}(?:st|nd|rd|th)?")
_TITLES = frozenset(["Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame", "Mme", "Mlle", "Sr", "Sra"])
_PRODUCT_WORDS = frozenset(["model", "roadster", "iphone", "galaxy"])
_COMPANY_SUFFIXES = frozenset(
    [
        "inc",
        "ltd",
        "corp",
        "corporation",
        "plc",
        "llc",
        "co",
        "nv",
        "ag",
        "sa",
        "group",
        "limited",
        "fc",
        "cf",
    ]
)
_SAME_AS = {
    "us": "unitedstates", "usa": "unitedstates", "america": "unitedstates",
    "unitedstatesofamerica": "unitedstates", "uk": "unitedkingdom", "britain": "unitedkingdom",
    "greatbritain": "unitedkingdom", "dprk": "northkorea", "democraticpeoplesrepublicofkorea": "northkorea",
    "rok": "southkorea", "republicofkorea": "southkorea", "un": "unitednations", "eu": "europeanunion",
    "uae": "unitedarabemirates", "prc": "china", "peoplesrepublicofchina": "china", "ussr": "sovietunion",
    "f1": "formulaone", "formula1": "formulaone",
}  # fmt: skip
"""Short forms and official names of the places and bodies news names most (keys as `name_key` gives)."""
_UPPER_WORD = r"[A-ZÀ-ÖØ-Þ\u0400-\u042f][\w’'-]+"
_CAPITALISED = re.compile(
    rf"(?<![\w’']){_UPPER_WORD}(?:\s+(?:(?:de|del|la|da|do|dos|das|di|du|von|van|al|bin|of)\s+)?{_UPPER_WORD})*"
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
) | wordset(
    "o os as um uma no na nos nas com para por mas quando se tanto ao isso isto este esta esse essa ele ela "
    "y pero cuando si con lo al nel nella per ma ce cette mais quand avec pour par sur dans"
)  # Portuguese, Spanish, Italian and French words that open sentences and clauses


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


_OPENING_MARKS = "\"“«„'‘:—–-.!?"
"""After these a capital opens a sentence, clause or quote ("“Espero que …", "… jogo.Com 86 pontos"), not
necessarily a name."""


def _opens_clause(sentence: str, start: int) -> bool:
    before = sentence[:start].rstrip()
    return not before or before[-1] in _OPENING_MARKS


def _common_words(sentences: list[str]) -> frozenset[str]:
    """Words the article writes in lower case: a capitalised "Company" or "Payload" opening a sentence is
    one of them, not a name."""
    return frozenset(w for s in sentences for w in s.split() if w.islower())


def fallback_names(sentences: list[str]) -> list[tuple[str, str]]:
    """Capitalised word runs as (text, "NAME"), for languages without an NER model. A lone word that opens
    a sentence, clause or quote ("Isso", "Espero", "Com") is a name only when the article also capitalises
    it where nothing opens ("… do Santos"); so is the opening word of "Mãe de Robinho"."""
    runs = []
    for sentence in sentences:
        for match in _CAPITALISED.finditer(sentence):
            tokens = match.group(0).split()
            opening = _opens_clause(sentence, match.start())
            if opening and tokens[0].casefold() in _OPENERS:
                tokens = tokens[1:]
            if tokens:
                runs.append((tokens, opening))
    inside = {t for tokens, opening in runs if not opening for t in tokens}
    for tokens, opening in runs:  # "Mãe de Robinho é libertada": the opening "Mãe de" is no part of a name
        if opening and len(tokens) > 2 and tokens[1] in _LINKS and tokens[0] not in inside:
            del tokens[:2]
    named = {" ".join(tokens) for tokens, opening in runs if not opening or len(tokens) > 1}
    return [(" ".join(tokens).strip("’'-"), "NAME") for tokens, _ in runs if " ".join(tokens) in named]


def _title_case(sentence: str) -> bool:
    """A headline in Title Case ("SpaceX Set To Launch World's …"): NER reads every word as a name."""
    tokens = [w for w in sentence.split() if w[:1].isalpha()]
    return len(tokens) >= 4 and sum(w[:1].isupper() for w in tokens) / len(tokens) > TITLE_CASE_SHARE


def recognise(sentences: list[str], lang: str | None) -> list[tuple[str, str]]:
    """(name, label) mentions in one article's sentences: spaCy NER for English, else `fallback_names`.
    Title-cased headlines are skipped (every word looks like a name there). Cached per article."""
    return list(_recognise(tuple(sentences), lang))


@lru_cache(maxsize=4096)
def _recognise(sentences: tuple[str, ...], lang: str | None) -> tuple[tuple[str, str], ...]:
    sentences = [s for s in sentences if not _title_case(s)]
    docs = parse(sentences) if is_english(lang) else None
    if docs is None:
        return tuple(fallback_names(sentences))
    common = _common_words(sentences)
    return tuple(
        (e.text, _in_context(e)) for doc in docs for e in doc.ents
        if e.label_ in KEPT_LABELS and any(c.isalpha() for c in e.text)
        and not (len(e) == 1 and _opens_clause(doc.text, e.start_char) and e.text.casefold() in common)
        and not (len(e) == 1 and (e[0].pos_ == "ADJ" or _exclaimed(e)))  # "Stupid": no name
    )  # fmt: skip


def _exclaimed(entity) -> bool:
    """Whether a word makes a sentence of its own ("'Stupid. What this race needs…'")."""
    doc = entity.doc
    return _opens_clause(doc.text, entity.start_char) and doc[entity.end : entity.end + 1].text in (
        ".",
        "!",
        "?",
    )


_ROLES = wordset(
    "executive founder investor president spokesman spokeswoman minister secretary leader coach driver "
    "actor actress singer model star professor analyst director chairman chairwoman senator governor officer "
    "author rapper comedian host player quarterback manager boss ceo mr mrs ms dr"
)
"""Words that stand right before a person's name ("former Facebook executive Chamath Palihapitiya")."""
_CORPORATE_BEFORE = wordset(
    "chipmaker company firm carmaker automaker startup retailer rival maker giant bank insurer newspaper "
    "publisher conglomerate"
)
_CORPORATE_AFTER = wordset(
    "shares stock inc corp ltd plc llc shareholders driver drivers newspaper daily data executives employees"
)
"""Words right after a company's or team's name ("Qualcomm shares", "Sauber driver", "Dealogic data")."""
_PLACE_BEFORE = wordset("in near outside")


def _in_context(entity) -> str:
    """The entity's label, corrected where the words around it say otherwise: a person's role right before
    it makes it a PERSON; company words around a "person" (before: "chipmaker X", after: "X shares", "X's
    shares", "X driver") make it an ORG, and "in X" a place."""
    doc, label = entity.doc, entity.label_
    before = doc[entity.start - 1].lower_.rstrip(".") if entity.start > 0 else ""
    after = [t.lower_ for t in doc[entity.end : entity.end + 2]]
    if after[:1] in (["'s"], ["’s"], ["'"]):
        after = after[1:]
    if label != "PERSON" and before in _ROLES:
        return "PERSON"
    if label == "PERSON" and (before in _CORPORATE_BEFORE or after[:1] and after[0] in _CORPORATE_AFTER):
        return "ORG"
    if label == "PERSON" and before in _PLACE_BEFORE and doc[entity.end - 1].tag_ != "POS":
        return "GPE"
    return label


@lru_cache(maxsize=65_536)
def clean_name(name: str) -> str:
    """A name as shown: one line without invisible characters ("Japan\u200b"), no photo credit ("Brendan
    Smialowski/Getty", "Meghan Markle Rex"), no handle sign, no surrounding punctuation, determiner or
    dangling word ("a Tesla Roadster to" → Tesla Roadster), nothing after a spaced dash ("Chris Martin -
    Feed") or a "to" ("Tesla Roadster to Mars"), no company suffix ("Broadcom Ltd.") and no possessive ("the
    North's" → North; but an official name keeps its own: Democratic People's Republic of Korea). The empty
    string for a date ("March 6")."""
    name = "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in name if unicodedata.category(c) != "Cf"
    )
    name = " ".join(name.split()).split("/")[0].split(" - ")[0]
    for mark in ("’s ", "'s "):  # "SpaceX’s Elon Musk" names Elon Musk
        if name_key(name) not in _SAME_AS:
            name = name.rpartition(mark)[2]
    words = name.strip(_EDGE_PUNCTUATION).split()
    if "to" in words[1:]:
        words = words[: words.index("to", 1)]
    while words and words[0] in _LOWER_OPENERS:
        words = words[1:]
    while len(words) > 1 and (words[-1] in _DANGLING or words[-1] in _CREDITS and len(words) > 2
                              or name_key(words[-1]) in _COMPANY_SUFFIXES):  # fmt: skip
        words = words[:-1]
    name = " ".join(words).strip(_EDGE_PUNCTUATION)
    if name.endswith(".") and "." not in name[:-1]:  # "Space X." but "U.S."
        name = name[:-1]
    name = re.sub(r"['’]s$", "", name)
    name = re.sub(r"^(?:the|The)\s", "", name).strip(_EDGE_PUNCTUATION)
    half = len(name) // 2
    if (
        name[half : half + 1] == " " and name[:half] == name[half + 1 :]
    ):  # "Justin Timberlake Justin Timberlake"
        name = name[:half]
    return "" if _DATE.fullmatch(name) else name


def canonical_key(key: str) -> str:
    """The key of the official or usual name for a short form (US → United States, DPRK → North Korea)."""
    return _SAME_AS.get(key, key)


def name_canonical_key(name: str) -> str:
    """`canonical_key` of a name, its first word's short form expanded too: UN Security Council = U.N.
    Security Council = United Nations Security Council. A first word in capitals is kept even where
    `name_key` drops it as an article: the LA Times is not the Times."""
    first, _, rest = name.partition(" ")
    expanded = _SAME_AS.get(name_key(first)) if rest else None
    if rest and not expanded and first.isupper():
        expanded = name_key(first)
    return canonical_key(expanded + name_key(rest) if expanded else name_key(name))


def _respelling(a: str, b: str, loose: bool) -> bool:
    """Whether two name keys are one name spelled two ways: the same numbers (Falcon 9 is not Falcon, Galaxy
    S8 not S9) and at most RESPELLING characters apart (Falcon Heavt, Energiya, Fallujah; not Pyeongchang
    and Pyongyang, Memphis State and Memphis Hustle, Kim Yong-hyun and Kim Jong-un), one not the other
    extended by more than a letter (Europe/European, Brasil/Brasília). `loose` (a name from a language
    without NER, often transliterated: Pionyang) takes a similarity ratio of FUZZY_RATIO instead."""
    if re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False
    matcher = SequenceMatcher(None, a, b)
    if loose:
        return matcher.ratio() >= FUZZY_RATIO
    shorter, longer = sorted((a, b), key=len)
    apart = len(a) + len(b) - 2 * sum(block.size for block in matcher.get_matching_blocks())
    return apart <= RESPELLING and not (longer.startswith(shorter) and len(longer) - len(shorter) > 1)


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s-]", name) if w and w.casefold() not in _JOINERS).casefold()


def _family(label: str) -> str:
    """Labels that one entity may carry in different mentions. A facility is not the place it is named
    after (Tokyo Narita Airport is not Tokyo, Croydon Town Hall not Croydon)."""
    return {"GPE": "PLACE", "LOC": "PLACE", "ORG": "ORG", "PRODUCT": "ORG"}.get(label, label)


def _compatible(a: str, b: str) -> bool:
    return "NAME" in (a, b) or _family(a) == _family(b)


def _brand_like(word: str) -> bool:
    """A lone capital letter or a word ending in one ("Space X", "SpaceX"): a brand, not a person's name
    (initials are written with a dot; McDonald and DiCaprio stay persons)."""
    return (len(word) == 1 and word.isupper()) or (len(word) > 2 and word[-1].isupper()
                                                   and not word.isupper())  # fmt: skip


def _relabel(labels: dict[str, Counter], names: dict[str, str], proven: dict[str, Counter]) -> dict[str, str]:
    """Each key's label by majority, where no mention proves one (a title, a company suffix: `_evidence`); a
    name with a model word after its first ("Tesla Model S", "Tesla Roadster"; not "Model Chrissy Teigen")
    or a PERSON that opens with an organisation of the story, or is its plural ("Teslas"), is a product. A
    one-word PERSON that no person's name of the story starts or ends with, and that no title marks, takes
    its best other label:
    news names a person in full at least once, so "Qualcomm" alone, tagged ORG 27 times and PERSON 49, is
    the company."""
    rank = {label: -i for i, label in enumerate(_PRIORITY)}
    chosen = {key: max(counts, key=lambda label: (counts[label], rank.get(label, -99)))
              for key, counts in (labels | proven).items()}  # fmt: skip
    votes = {key: sum(counts.values()) for key, counts in labels.items()}
    organisations = {key for key, label in chosen.items() if label in ("ORG", "PRODUCT")}
    persons = [names[k].split() for k, label in chosen.items() if label == "PERSON" and " " in names[k]]
    edges = {name_key(w) for words in persons for w in (words[0], words[-1])}
    for key, label in chosen.items():
        if key in proven:
            continue
        words = names[key].split()
        modelled = any(w.casefold() in _PRODUCT_WORDS for w in words[1:])
        opener = name_key(words[0])  # an organisation named at least half as often as the "person"
        branded = opener in organisations and 2 * votes[opener] >= votes[key]  # "Elon" once ≠ Elon Musk
        others = [other for other in labels[key] if other not in ("PERSON", "NAME")]
        if len(words) > 1 and (modelled or (label == "PERSON" and branded)):
            chosen[key] = "PRODUCT"
        elif label == "PERSON" and any(_brand_like(w) for w in words):
            chosen[key] = "ORG"
        elif label == "PERSON" and len(words) == 1 and key.endswith("s") and key[:-1] in organisations:
            chosen[key] = "PRODUCT"  # a brand's plural: "batteries that run Teslas"
        elif label == "PERSON" and len(words) == 1 and others and key not in edges:
            chosen[key] = max(others, key=lambda other: (labels[key][other], rank.get(other, -99)))
    return chosen


def _best_spelling(spellings: Counter, key: str) -> str:
    """The most written spelling; on a tie the official name ("United States" for us/unitedstates), then
    the shorter ("SpaceX" over "Space X")."""
    return max(spellings.items(), key=lambda kv: (kv[1], name_key(kv[0]) == key, -len(kv[0])))[0]


def _words(name: str) -> list[str]:
    return [name_key(w) for w in re.split(r"[\s‐-]+", name) if name_key(w)]


def _merge_shortened(keys: list[str], by_key: dict[str, Entity], parent: dict[str, str]) -> None:
    """A name of several words that keeps the first and last words of a longer name of its kind and drops
    some in between is that name shortened (Marina Souza = Marina da Silva Souza); one that is the end or the
    start of longer names of its kind is the one of them that dominates (Security Council = United Nations
    Security Council, Workers' Party = North Korean Workers' Party; a person's: Ramon Fonseca = Ramon Fonseca
    Mora, Moon Jae = Moon Jae-in; not when "Foreign Ministry" ends two alike)."""
    split = {k: _words(by_key[k].name) for k in keys}
    total = {k: sum(by_key[k].counts.values()) for k in keys}
    for key in keys:
        words = split[key]
        if parent[key] != key or len(words) < 2 or " " not in by_key[key].name:
            continue
        ending, starting = [], []
        for other in keys:
            longer = split[other]
            if other == key or parent[other] != other or len(longer) <= len(words):
                continue
            if not _compatible(by_key[key].label, by_key[other].label):
                continue
            rest = iter(longer)
            if longer[-len(words) :] == words:
                ending.append(other)
            elif (
                longer[: len(words)] == words
                and by_key[other].label == "PERSON"
                and (total[other] >= total[key] or by_key[other].name.startswith(by_key[key].name + "-"))
            ):
                starting.append(other)  # a person's last name left out (spaCy cuts Moon Jae-in to Moon Jae)
            elif longer[0] == words[0] and longer[-1] == words[-1] and all(w in rest for w in words):
                parent[key] = other  # every word in order: a subsequence of the longer name
                break
        for found in (ending, starting):
            ranked = sorted(found, key=lambda k: -total[k])
            if parent[key] == key and _dominates(ranked, total):
                parent[key] = ranked[0]


def _dominates(ranked: list[str], total: dict[str, int]) -> bool:
    """Whether the first of the candidate names (most mentioned first) is the one meant: the only one, or
    mentioned DOMINANT times more than the next."""
    return bool(ranked) and (len(ranked) == 1 or total[ranked[0]] >= DOMINANT * total[ranked[1]])


def _evidence(mentions: list[Mention]) -> list[tuple[Mention, str, str | None]]:
    """Each mention with its name as shown and the label the mention itself proves, if any: a person's
    title ("Ms Teigen": PERSON, named Teigen) or a company suffix ("Qualcomm Inc": ORG). A name that joins a
    person's name and another name of the story by "of" is the first of them ("Red Bull of Max Verstappen"
    is Red Bull, "Felipe Nasr of Sauber" Felipe Nasr)."""
    out: list[tuple[Mention, str, str | None]] = []
    for mention in mentions:
        name, proven = clean_name(mention.text), None
        words, last = name.split(), mention.text.split()[-1:]
        if len(words) > 1 and words[0].rstrip(".") in _TITLES:
            name, proven = " ".join(words[1:]), "PERSON"
        elif last and last != words[-1:] and name_key(last[0]) in _COMPANY_SUFFIXES:
            proven = "ORG"
        out.append((mention, name, proven))
    known = {name_canonical_key(name) for _, name, _ in out}
    persons = {name_canonical_key(name) for m, name, _ in out if m.label == "PERSON" and " " in name}
    for i, (mention, name, proven) in enumerate(out):
        before, joined, after = name.partition(" of ")
        first, second = name_canonical_key(before), name_canonical_key(after)
        if joined and second in known and (mention.label == "PERSON" or {first, second} & persons):
            out[i] = (mention, before, proven)
    return out


def _root(parent: dict[str, str], key: str) -> str:
    while parent[key] != key:
        key = parent[key]
    return key


def merge_mentions(mentions: list[Mention]) -> list[Entity]:
    """Merge mentions into entities (see module docstring), most mentioned first."""
    by_key: dict[str, Entity] = {}
    labels: dict[str, Counter] = {}
    proven: dict[str, Counter] = {}
    for mention, name, label in _evidence(mentions):
        key = name_canonical_key(name)
        if len(key) < 2 or name == name.lower():  # "west coast", "max": no name is written in lower case
            continue
        entity = by_key.setdefault(key, Entity(name, mention.label))
        entity.spellings[name] += 1
        entity.counts[mention.outlet] += 1
        entity.aliases.add(name)
        labels.setdefault(key, Counter())[mention.label] += 1 if mention.label != "NAME" else 0.5
        if label:
            proven.setdefault(key, Counter())[label] += 1
    for key, entity in by_key.items():
        entity.name = _best_spelling(entity.spellings, key)
    for key, label in _relabel(labels, {k: e.name for k, e in by_key.items()}, proven).items():
        by_key[key].label = label
    keys = sorted(by_key, key=lambda k: -sum(by_key[k].counts.values()))
    parent = {k: k for k in keys}
    earlier: dict[str, list[str]] = {}  # first letter -> keys so far, in order (a fuzzy match shares it)
    letters = {key: Counter(key) for key in keys}
    for key in keys:
        for other in earlier.get(key[0], ()) if len(key) >= 6 else ():
            if parent[other] != other or not _compatible(by_key[key].label, by_key[other].label):
                continue
            bound = 2 * sum((letters[key] & letters[other]).values())  # SequenceMatcher's quick_ratio
            if bound < FUZZY_RATIO * (len(key) + len(other)):
                continue
            loose = "NAME" in (by_key[key].label, by_key[other].label)
            if _respelling(key, other, loose):
                parent[key] = other
                break
        earlier.setdefault(key[0], []).append(key)
    _merge_shortened(keys, by_key, parent)
    longer = [k for k in keys if parent[k] == k and " " in by_key[k].name]
    acronyms = {_initials(by_key[k].name): k for k in longer if len(by_key[k].name.split()) > 1}
    edges: dict[str, list[str]] = {}  # first or last word's key -> the longer names it starts or ends
    for k in longer:
        parts = by_key[k].name.split()
        linked = parts[-2].casefold() in _LINKS  # "Sea of Japan" is not Japan, "Mãe de Robinho" not Robinho
        for edge in dict.fromkeys((name_key(parts[0]), *([] if linked else [name_key(parts[-1])]))):
            edges.setdefault(edge, []).append(k)
    surnamed: dict[str, set[str]] = {}  # last word's key -> the persons (roots) whose full names it ends
    for k in keys:
        if by_key[k].label == "PERSON" and " " in by_key[k].name:
            surnamed.setdefault(name_key(by_key[k].name.split()[-1]), set()).add(_root(parent, k))
    for key in keys:
        entity = by_key[key]
        if parent[key] != key or " " in entity.name:
            continue
        if entity.name.isupper() and key in acronyms and acronyms[key] != key:  # RAIB, KCNA
            parent[key] = acronyms[key]
            continue
        if entity.label in ("PERSON", "ORG", "NAME") and len(surnamed.get(key, ())) == 1:
            parent[key] = next(iter(surnamed[key]))  # a surname, whatever spaCy took it for (Whiting: ORG)
            continue
        containing = [
            k for k in edges.get(key, ())
            if _compatible(entity.label, by_key[k].label) and (by_key[k].label != "PRODUCT" or entity.label
                                                                in ("PRODUCT", "NAME"))
        ]  # fmt: skip
        total = {k: sum(by_key[k].counts.values()) for k in containing}
        ranked = sorted(containing, key=lambda k: -total[k])
        if _dominates(ranked, total):
            parent[key] = ranked[0]  # Kim → Kim Jong Un, Musk → Elon Musk, North → North Korea
    merged: dict[str, Entity] = {}
    for key in keys:
        root = _root(parent, key)
        source = by_key[key]
        target = merged.setdefault(root, Entity(by_key[root].name, by_key[root].label))
        target.spellings.update(source.spellings)
        target.counts.update(source.counts)
        target.aliases |= source.aliases
    for root, entity in merged.items():  # the longer name for a lone word, the official one for a short form
        entity.name = by_key[root].name
    return sorted(merged.values(), key=lambda e: (-sum(e.counts.values()), e.name))
