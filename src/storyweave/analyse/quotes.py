"""Direct, mixed and reported speech with its speaker.

Quoted text is found by a linear scan of quotation marks (“…”, "…", «…», „…“, ''…'', ``…'', ″…”, ‘…’ and '…'
at word edges), so no pattern can backtrack on hostile text; a quote left open at a sentence end runs on
only when a later sentence closes it. A quote of at least MIN_QUOTE_WORDS words is *direct* when the
sentence around it is only its attribution ("“…,” X said", "X said: “…”"), *mixed* when the sentence
reports in its own words and quotes part of it ("X stressed the need to “…”"); a sentence without quotes is
*reported* speech when a verb of saying or thinking governs a clause ("The U.N. said it was a banned
test"), a speech act governs its content ("called on its followers to use …", "warned against drawing …",
"denied reports that …"), or it says "according to X".

English sentences are read with spaCy's dependency parse (`nlp.parse`): the speaker is the grammatical
subject of the cue verb (of the verb it hangs off for "…, saying …"; the noun a relative clause hangs off
for "Xi Jinping, who has called for …"), taken whole as the named entity that holds it ("Arturo Sarukhán,
Mexico's ambassador, said Mexico must …" → Arturo Sarukhán; "U.S. President Donald Trump" → Donald Trump),
never a word inside the quote. An attribution closing the sentence ("…, Abe told reporters.") is the
source of what comes before it; a second named source in a relative clause or a clause of time is a
second attribution. A pronoun resolves to a named subject whose clause holds it ("North Korea fired what it
said was …"), else to the nearest preceding speaker that fits (he/she: a person; they/it: an
organisation, a place or a group), and after a sentence that quotes no one he/she is first the person it
names; a definite description refers back ("the official", "the carpet fitter", "the director" — see
`_Resolver._described`), "the paper" to the newspaper named last. A quote with no attribution of its own
that follows a quote of a known speaker ("A," X said. "B.") continues it and is joined to it; one after a
sentence ending in ":" takes that sentence's speaker. Headline-like lines without final punctuation (link
text) are not reported speech; a short quoted span of capitalised words is a title ("Pulp Fiction"), not a
quote; an abstract noun ("criticism", "initiative") or a thing a "which/that" clause hangs off ("a rocket that
promises …") is no speaker. Measured by `scripts/eval_quotes.py` (see `quote_eval`).

Other languages (and English without the model) keep the quote scan and take as speaker the capitalised
name right before or after a cue word of their language (dijo, sagte, a déclaré, disse, ha detto, قال …).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from storyweave.analyse.nlp import MAX_PARSE_CHARS, is_english, parse
from storyweave.analyse.statements import wordset
from storyweave.analyse.text import words

MIN_QUOTE_WORDS = 4
MIN_OPENING_QUOTE_WORDS = 2
"""A sentence that opens with a quote ("“It was scary,” she said.") quotes speech even when it is short."""
_MAIN_SPEAKER = 3
"""Quoted this often, a person is who "the director" means when no one else is introduced with that title."""
MAX_CONTINUED_SENTENCES = 4
"""A quote left open at a sentence end continues into at most this many following sentences."""
SPEECH_LEMMAS = wordset(
    "say tell ask reply respond add state claim warn announce insist argue note explain stress confirm deny "
    "acknowledge admit assert declare vow pledge urge write tweet post report describe suggest reveal allege "
    "emphasise emphasize underline underscore complain predict promise repeat recall caution concede contend "
    "maintain observe remark comment testify inform assure agree disagree answer accuse demand "
    "threaten recommend propose estimate conclude mention hint joke quip counter "
    "object protest lament call appeal plead"
)
_CONTENT_PREPOSITIONS = frozenset(["for", "on", "against", "of", "about"])
"""A speech act whose content is a verb after a preposition: "called for police to solve", "called on its
followers to use", "warned against drawing", "accused police of keeping"."""
_CLAIMS = wordset("report claim allegation accusation suggestion rumour rumor speculation charge")
"""A denial or confirmation of these states a proposition: "denied reports that the website was hacked"."""
BELIEF_LEMMAS = wordset("believe think expect hope fear doubt feel consider worry suspect reckon")
"""Beliefs and intentions attributed to a source count as reported speech only with a clause ("X believes
that Y"), never alone."""
INANIMATE_SOURCES = wordset(
    "document paragraph page passage section chapter clause line sentence text draft version copy report "
    "statement release communique communiqué declaration announcement notice letter memo memorandum note "
    "email e-mail message cable tweet post blog article story column editorial headline study survey poll "
    "data figure figures analysis assessment review inquiry investigation audit finding findings evidence "
    "record records file files filing dossier transcript minutes summary brief paper papers book leak "
    "indictment complaint lawsuit suit ruling verdict judgment judgement decision order warrant subpoena "
    "law bill act rule rules regulation guidance guideline policy plan proposal contract agreement deal "
    "treaty resolution budget forecast estimate model index chart table graph map video footage photo "
    "image picture recording audio clip sign banner website site page app news"
)
"""Things that "say" without being speakers ("the document said", "a video shows"): the speaker is the
source they are credited to when the phrase names one ("a White House statement", "a statement from the
ministry", "the Times article"), else the sentence has none ("One paragraph of the document seen by
Reuters said …")."""
ISSUED = wordset("statement release communique communiqué announcement declaration")
"""What an organisation issues: "a statement said" without a name is the organisation that spoke last."""
_OWNER_PREPOSITIONS = frozenset(["from", "of", "by"])
_ISSUING = wordset("issue release publish post send put tweet")
"""Verbs whose subject is the source of the document they take: "X issued a statement that said …"."""
_PERSON_PRONOUNS = frozenset(["he", "she", "him", "her"])
_GROUP_PRONOUNS = frozenset(["they", "them"])
_NON_SPEAKER_PRONOUNS = frozenset(["this", "that", "which", "who", "what", "i", "we", "you", "one"])
_RELATIVE_PRONOUNS = frozenset(["who", "that", "which"])
_WHEN = frozenset(["after", "before", "when", "while", "as", "since", "until"])
_PRONOUNS = _PERSON_PRONOUNS | _GROUP_PRONOUNS | {"it"}
_PERSON_TITLES = wordset(
    "mr mrs ms dr sir lady lord president minister senator sen rep gov governor judge justice chief "
    "secretary general gen lt col sgt capt ambassador professor prof king queen pope chancellor mayor "
    "spokesman spokeswoman spokesperson director ceo chairman chairwoman deputy constable commissioner "
    "physicist analyst expert economist scientist leader maj major col colonel lt lieutenant adm admiral "
    "cpl corporal pvt sergeant master capt captain cmdr commander commandant brig brigadier officer"
)
"""Title words that name a person: before a name they are left out of it and make it a person; alone
("the minister") they are a person's role."""
_TITLE_WORDS = wordset("foreign defence defense cabinet finance interior home state vice first prime staff")
"""Words of a title that name no one by themselves ("Foreign Minister", "Cabinet Secretary", "Staff Sgt."):
left out of a person's name they stand before, but alone they are an institution ("the cabinet said …" is
the cabinet, not a minister), and so is a name they head that ends in an institution's noun."""
_TITLES = _PERSON_TITLES | _TITLE_WORDS
_INSTITUTIONS = wordset(
    "ministry department office agency council committee commission government administration bureau board "
    "service court parliament assembly secretariat directorate"
)
"""How an institution's name ends: its title words are part of it ("State Department", "Justice Ministry",
"Home Office"), and it is no person."""
_PRESS = (
    "Times", "Post", "Journal", "News", "Herald", "Tribune", "Gazette", "Monde", "Guardian", "Telegraph",
    "Daily", "Zeitung", "Chronicle", "Globe", "Observer", "Independent", "Mail", "Express", "Standard",
)  # fmt: skip
"""How a newspaper's name ends: "the paper" refers back to the last one named."""
_ROLES = _PERSON_TITLES | wordset(
    "official spokesman spokeswoman spokesperson aide adviser advisor lawyer attorney source witness "
    "resident victim mother father wife husband son daughter brother sister man woman boy girl parent "
    "teacher student doctor engineer researcher worker driver passenger insider militant fighter activist "
    "campaigner lawmaker politician diplomat survivor neighbour neighbor friend relative owner founder member"
)
"""Nouns for a person: "the prime minister insisted …" is someone "he" or "she" can refer back to."""
_UNNAMED = wordset("official source spokesman spokeswoman spokesperson aide insider diplomat officer witness")
"""The nouns of sources left unnamed: "the official" is not the last person named."""
_NEW_PERSON_NOUNS = _PERSON_TITLES | _UNNAMED
"""Roles that may introduce someone not named before ("the mayor"), unlike descriptions that refer back."""
_PERSON_SUFFIXES = ("fitter", "worker", "keeper", "maker", "seller", "owner", "-old")
"""Person nouns by their ending ("the carpet fitter", "the 21-year-old")."""
_AGENTS = _INSTITUTIONS | wordset(
    "company firm group government police military army party union team club network station media airline "
    "bank carrier manufacturer regulator regime state leadership family campaign organisation organization "
    "coalition federation association opposition embassy consulate court council committee board parliament "
    "administration commission delegation foundation community authority university majority minority "
    "charity "
    "city executive representative relative detective prosecution defence defense intelligence presidency "
    "legislature management department people public utility celebrity personality operative native captive "
    "collective alliance audience conference brotherhood nation corporation institution division movement "
    "witness eyewitness business publication constitution"
)
"""Collective nouns that speak ("the company said", "the prosecution argued", "the administration, which
said …"), though their endings are those of abstract nouns."""
_ABSTRACT_ENDINGS = ("ism", "ness", "ity", "ment", "tion", "sion", "ance", "ence", "ive", "ship", "hood")
"""Endings of abstract nouns ("criticism", "initiative", "announcement"), which are no speakers."""
_PHRASE_PREPOSITIONS = frozenset(["of", "in", "at", "for", "with", "from"])
_GENDER = {"he": "m", "him": "m", "his": "m", "mr": "m", "sir": "m", "lord": "m",
           "she": "f", "her": "f", "hers": "f", "mrs": "f", "ms": "f", "lady": "f"}  # fmt: skip
_NAMED = frozenset(["PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"])
_TERMINAL = frozenset(".!?\"”’'»")
FALLBACK_CUES = wordset(
    "said says told added stated warned dijo afirmó declaró aseguró señaló explicó añadió indicó sagte "
    "erklärte betonte sagt fügte déclaré affirmé indiqué expliqué ajouté disse afirmou declarou explicou "
    "acrescentou detto dichiarato affermato spiegato aggiunto قال وقال أكد وأكد أضاف وأضاف"
)
# Opening mark -> the marks that close it. ASCII " closes itself; ' and ‘ are quotes only at word edges;
# ``…'' is the typewriter style of some wires, ″ a double prime typed for “.
_CLOSERS = {"“": ("”",), "«": ("»",), "„": ("“", "”"), "‚": ("‘", "’"), '"': ('"',), "‘": ("’",),
            "'": ("'",), "''": ("''",), "``": ("''",), "″": ("”", "″")}  # fmt: skip
_ANY_CLOSER = ("”", '"', "»", "’", "'", "''")
_PAIRED = ("''", "``")


@dataclass
class Quote:
    """A quote in one sentence of one article; `speaker` is None when no name governs it. Quotes are
    cached per article: read them, do not change them."""

    text: str
    speaker: str | None
    kind: str  # "direct", "mixed" or "reported"
    article_id: str
    sentence: str


@dataclass
class _Span:
    start: int
    end: int  # exclusive; len(text) when the quote is still open at the sentence end
    closed: bool


def _edge(text: str, i: int, opening: bool) -> bool:
    """Whether a ' or ‘/’ at i sits at a word edge (a quote mark), not inside a word (an apostrophe)."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if opening:
        return not before.isalnum() and (after.isalnum() or after in "“\"¿¡")
    return not after.isalnum() and (before.isalnum() or before in ".,!?;:…-—")


def quote_spans(text: str, open_at_start: bool = False) -> list[_Span]:
    """Quoted stretches of `text`, in one left-to-right pass (linear in its length).

    `open_at_start` continues a quote left open by the previous sentence (its closing mark is then any
    closing mark). A `` never closes a quote."""
    spans: list[_Span] = []
    opened: tuple[str, ...] | None = _ANY_CLOSER if open_at_start else None
    start = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        mark = text[i : i + 2] if text[i : i + 2] in _PAIRED else char
        if opened is not None:
            glued = mark == "''" and text[i + 2 : i + 3].isalnum()  # ''And …: a quote opening, not closing
            if mark in opened and not glued and (mark not in "'’" or _edge(text, i, opening=False)):
                spans.append(_Span(start, i, True))
                opened = None
                i += len(mark)
                continue
        elif mark in _CLOSERS and (mark not in "'‘" or _edge(text, i, opening=True)):
            opened, start = _CLOSERS[mark], i + len(mark)
        i += len(mark)
    if opened is not None and start < n:
        spans.append(_Span(start, n, False))
    return spans


def _closes(sentences: tuple[str, ...], i: int) -> bool:
    """Whether a quote left open before sentence i is closed by it or by one of the few after it, before
    any new quote opens: only then does it run on (an unclosed ''… with no closing mark is a typo, and the
    sentences after it are not quoted)."""
    for text in sentences[i : i + MAX_CONTINUED_SENTENCES]:
        text = text[:MAX_PARSE_CHARS]
        if text.lstrip()[:1] in "“«„":
            return False
        spans = quote_spans(text, open_at_start=True)
        if spans and spans[0].closed:
            return True
    return False


class _Quoted:
    """The quoted characters of a sentence as a mask, so 'is this word quoted' costs O(1) however many
    quotation marks the sentence holds."""

    def __init__(self, text: str, spans: list[_Span]) -> None:
        self.spans = spans
        self.mask = bytearray(len(text))
        for span in spans:
            self.mask[span.start : span.end] = b"\x01" * (span.end - span.start)
        self.first_word = next((i for i, c in enumerate(text) if c.isalnum()), len(text))

    def __contains__(self, char: int) -> bool:
        return 0 <= char < len(self.mask) and bool(self.mask[char])

    def opens(self, span: _Span) -> bool:
        """Whether the quote opens the sentence (no word before it)."""
        return span.start <= self.first_word


def _long(quoted: _Quoted, text: str) -> list[_Span]:
    """Quotes, not scare quotes nor titles: MIN_QUOTE_WORDS words, or two when the quote opens the
    sentence, and not a title (`_title`)."""
    least = [MIN_OPENING_QUOTE_WORDS if quoted.opens(s) else MIN_QUOTE_WORDS for s in quoted.spans]
    return [
        s for s, n in zip(quoted.spans, least, strict=True)
        if len(words(text[s.start : s.end])) >= n and not _title(text[s.start : s.end])
    ]  # fmt: skip


TITLE_MAX_WORDS = 8
_TITLE_JOINERS = wordset("a an the of in on at to for and or with from vs. vs by de la le")


def _title(quote: str) -> bool:
    """ "Pulp Fiction", "Home Alone 2: Lost in New York.", ‘This PS4’: a short quoted span whose every word is
    capitalised (or a number, or a joiner after the first word) names a work, a slogan or a menu, not speech;
    speech has small words ("“Thank you,” she said")."""
    tokens = quote.split()
    if not 0 < len(tokens) <= TITLE_MAX_WORDS or not tokens[0][:1].isupper():
        return False
    return all(t[:1].isupper() or t[:1].isdigit() or t.casefold() in _TITLE_JOINERS for t in tokens[1:])


def _quoted(text: str, span: _Span) -> str:
    return text[span.start : span.end].strip(" “”\"'‘’«»„").rstrip(",;:")


def _join(parts: list[str]) -> str:
    """The halves of a split quote as one: "A" + "B" → "A … B" (the attribution between them left out)."""
    return " … ".join(parts)


@dataclass
class _Speaker:
    """A named speaker; `person` is None when unknown (a name the recogniser did not type), and `gender`
    ("m", "f") is learnt from a title or from the pronouns that later refer to it. `role` is the noun of a
    definite description that names no one ("the director", "the carpet fitter"): it refers back."""

    name: str
    person: bool | None
    gender: str | None = None
    role: str | None = None


NOBODY = _Speaker("", False)
"""The "speaker" of a sentence credited to a thing (a document, a report, a video) that names no one: the
sentence quotes no one, and its quotes are not carried over to the speaker before."""
ISSUER = _Speaker("", False)
"""The speaker of an unnamed statement or release: the nearest organisation that spoke before, else the
last one named as a subject ("Broadcom raised its bid … according to a statement"), else NOBODY."""
PRESS = _Speaker("", False)
"""The speaker of "the paper said": the newspaper named last ("… told the Science and Technology Daily
newspaper …"), else NOBODY."""


def _entity_of(token):
    if token.ent_type_ not in _NAMED:  # `doc.ents` rebuilds every span: skip it for tokens outside one
        return None
    for ent in token.doc.ents:
        if ent.start <= token.i < ent.end and ent.label_ in _NAMED:
            return ent
    return None


def _clean_name(text: str) -> str:
    text = text.strip(" ,;:'’\"“”")
    if text.endswith(".") and "." not in text[:-1]:  # "the U.N." keeps its dots
        text = text[:-1]
    for article in ("the ", "The "):
        if text.startswith(article):
            text = text[len(article) :]
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text.strip()


def _phrase(token) -> _Speaker | None:
    """The speaker named by a subject token, with the names coordinated with it ("Washington and Seoul")."""
    speaker = _one_phrase(token)
    partners = [c for c in token.children if c.dep_ == "conj" and _entity_of(c) is not None]
    if speaker is None or not speaker.name or not partners or speaker.person:
        return speaker
    names = [speaker.name] + [_clean_name(_entity_of(c).text) for c in partners]
    return _Speaker(" and ".join(names), False)


def _one_phrase(token) -> _Speaker | None:
    """The speaker named by a subject token: its name (the proper-noun chain ending in it, titles left
    out, typed by the recogniser's entities over it), a name in apposition, or its noun phrase."""
    lower = token.lower_
    if lower in _NON_SPEAKER_PRONOUNS:
        return None
    if lower in _PRONOUNS:
        return _Speaker(lower, lower in _PERSON_PRONOUNS, _GENDER.get(lower))
    entity = _entity_of(token)
    if token.pos_ == "PROPN" and _bare(token) in _PERSON_TITLES:  # a rank heading the name: "Maj. X Y"
        persons = (e for t in token.subtree if (e := _entity_of(t)) is not None and e.label_ == "PERSON")
        named = next(persons, None)
        if named is not None:
            return _Speaker(_clean_name(named.text), True)
    if token.pos_ == "PROPN":
        chain = [token]
        while chain[0].i > 0:
            before = chain[0].nbor(-1)
            glued = not before.whitespace_  # "Moon Jae-in" is Moon, Jae, -, in
            if not glued and (before.pos_ != "PROPN" or before.head.i not in (token.i, chain[0].i)):
                break
            chain.insert(0, before)
        if entity is not None and entity.start < chain[0].i:
            chain = list(entity[: entity.end - entity.start])
        institution = chain[-1].lower_ in _INSTITUTIONS or chain[-1].lower_ in _TITLE_WORDS
        titles = [] if institution else [_bare(t) for t in chain if _bare(t) in _TITLES]
        if entity is not None and entity.label_ == "PERSON" and entity.start > chain[0].i and all(
            _prefix(t) for t in chain[: entity.start - chain[0].i]
        ):
            chain = list(entity)  # "U.S. President Donald Trump", "SOA commandant Col. Glenn R. Weidner"
        while len(chain) > 1 and _left_out(chain[0], institution):
            chain.pop(0)
        if entity is not None and entity.start == chain[0].i and token.doc[entity.end - 1].whitespace_:
            return _Speaker(_clean_name(entity.text), entity.label_ == "PERSON")
        labels = {e.label_ for t in chain if (e := _entity_of(t)) is not None}
        person = True if "PERSON" in labels or titles else (False if labels else None)
        gender = next((_GENDER[t] for t in titles if t in _GENDER), None)
        end = chain[-1].i + 1
        while end < len(token.doc) and not token.doc[end - 1].whitespace_ and token.doc[end].text != ",":
            end += 1  # glued pieces: "Jae" + "-in"
        return _Speaker(_clean_name(token.doc[chain[0].i : end].text), person, gender)
    if entity is not None:
        return _Speaker(_clean_name(entity.text), entity.label_ == "PERSON")
    if token.pos_ == "NOUN" and token.lemma_.casefold() in INANIMATE_SOURCES:
        return _credited(token)
    for child in token.subtree:  # "the professor, Kim Dong-yup, said" / "spokesman Jason Miller said"
        named = _entity_of(child) if child.dep_ in ("appos", "compound") else None
        if named is not None and (child.head is token or named.label_ == "PERSON"):
            return _Speaker(_clean_name(named.text), named.label_ == "PERSON")
    if token.pos_ != "NOUN":
        return None
    keep = [t for t in token.lefts if t.dep_ in ("amod", "compound", "poss", "case", "nmod", "nummod")]
    lo = min([t.left_edge.i for t in keep], default=token.i)
    hi = token.i
    for child in token.rights:  # "the Ministry of Defence", "officials in Seoul", "a source close to X"
        near = child.right_edge.i - hi <= 5
        if near and (child.dep_ == "amod" or child.dep_ == "prep" and child.lower_ in _PHRASE_PREPOSITIONS):
            hi = child.right_edge.i
    noun = token.lemma_.casefold()
    if not _may_speak(token):
        return None  # "Mr. Trump's criticism of China came after …, reported …"
    person = token.tag_ == "NN" and _person_noun(noun)
    definite = any(c.dep_ == "det" and c.lower_ == "the" for c in token.children) and hi == token.i
    role = noun if definite and person else None
    return _Speaker(_clean_name(token.doc[lo : hi + 1].text), person, role=role)


def _may_speak(noun) -> bool:
    """Whether a common noun names someone who can speak: a person ("the official", "the carpet fitter"), a
    body ("the company", "the ministry"), or any noun that is not abstract ("experts", "developers") —
    not "the criticism", "a so-called initiative"."""
    lemma = noun.lemma_.casefold()
    return _person_noun(lemma) or lemma in _AGENTS or not lemma.endswith(_ABSTRACT_ENDINGS)


def _person_noun(lemma: str) -> bool:
    """A common noun for a person: a role ("the official") or by its ending ("the carpet fitter")."""
    return lemma in _ROLES or lemma.endswith(_PERSON_SUFFIXES)


def _left_out(token, institution: bool) -> bool:
    """Whether the word opening a proper-noun chain is no part of the name: a determiner or another word
    that is no name, or a title before a person's name; an institution's name keeps its title words and
    adjectives ("the South Korean Foreign Ministry")."""
    if institution:
        return token.pos_ not in ("PROPN", "ADJ")
    return token.pos_ != "PROPN" or _bare(token) in _TITLES


def _bare(token) -> str:
    """A word as the title lists spell it: "Sgt." → "sgt"."""
    return token.lower_.rstrip(".")


def _prefix(token) -> bool:
    """A word before a person's name that is not part of it: a title or rank, a place or body ("U.S.
    President"), a stray full stop. "Amy" in "Judge Amy Berman Jackson" is part of it, whatever NER says."""
    entity = _entity_of(token)
    return (
        _bare(token) in _TITLES
        or token.text == "."
        or token.pos_ != "PROPN"
        or (entity is not None and entity.label_ in ("GPE", "NORP", "ORG"))
    )


def _credited(thing) -> _Speaker | None:
    """The source a document, report or statement is credited to in its own phrase: a possessor or
    modifier ("the Times article", "a police statement", "the ministry's report") or "from/of/by X" right
    after it ("a statement from the ministry"); NOBODY when the phrase names no one who can speak."""
    for child in thing.children:
        if child.dep_ in ("poss", "compound") and child.i < thing.i:
            return _one_phrase(child)
    for child in thing.rights:
        if child.dep_ == "prep" and child.lower_ in _OWNER_PREPOSITIONS:
            owner = next((c for c in child.children if c.dep_ == "pobj"), None)
            if owner is not None and child.i == thing.i + 1:
                return _one_phrase(owner)
    issued = thing.dep_ == "dobj" and thing.head.lemma_ in _ISSUING
    issuer = next((c for c in thing.head.children if c.dep_ == "nsubj"), None) if issued else None
    if issuer is not None and issuer.lower_ not in _NON_SPEAKER_PRONOUNS:
        return _one_phrase(issuer)  # "Sadiq Khan issued a statement that said …" → Sadiq Khan
    if thing.lower_ in ("paper", "newspaper"):
        return PRESS
    return ISSUER if thing.lemma_.casefold() in ISSUED else NOBODY


def _after_hyphen(token) -> bool:
    """The tail of a hyphenated name the tokenizer split ("Jae-in" → Jae, -, in)."""
    return token.i > 1 and token.nbor(-1).text == "-" and not token.nbor(-1).whitespace_


def _subject(verb):
    """The subject of a cue verb, climbing through "…, saying" / "and added" to the verb that has one; in
    a relative clause the noun it hangs off ("Xi Jinping, who has called for …" → Xi Jinping)."""
    if verb.dep_ in ("acl", "amod"):  # "the rocket, believed to be …": no speaker
        return None
    if verb.dep_ == "relcl":
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if subject is None or subject.lower_ not in _RELATIVE_PRONOUNS:
            return subject
        return verb.head if subject.lower_ == "who" or _thing_may_speak(verb.head) else None
    node = verb
    for _ in range(4):
        subjects = [c.nbor(-2) if _after_hyphen(c) else c for c in node.children if c.dep_ == "nsubj"]
        if subjects:  # the nearest ("SEOUL (Reuters) - North Korea said" → North Korea), a name first at
            # equal distance ("Yesterday's plea, said Keith Ashdown, …" → Keith Ashdown)
            return min(subjects, key=lambda c: (abs(c.i - node.i), _entity_of(c) is None))
        if node.dep_ in ("advcl", "conj", "xcomp") and node.head is not node:
            node = node.head
        else:
            return None
    return None


def _moved_by_thing(verb, subject) -> bool:
    """ "the revised offer may entice shareholders to demand …": a cue in an infinitive after an object has
    the object for its speaker, never a thing that moves it to speak; such a sentence names no speaker."""
    node = verb
    for _ in range(4):
        if node is subject.head or node.head is node:
            return False
        if node.dep_ == "xcomp" and any(c.dep_ == "dobj" for c in node.head.children):
            return not (subject.lower_ in _PRONOUNS or _thing_may_speak(subject))
        node = node.head
    return False


def _thing_may_speak(noun) -> bool:
    """Whether the noun a "which"/"that" clause of saying hangs off can speak: a name, a person, a body, a
    document that credits someone — not "a large orbital-class rocket that promises …" nor "a so-called
    initiative, which calls for …"."""
    if noun.pos_ == "PROPN" or _entity_of(noun) is not None:
        return True
    lemma = noun.lemma_.casefold()
    return _person_noun(lemma) or lemma in _AGENTS or lemma in INANIMATE_SOURCES


def _content(child) -> bool:
    """Whether a child of a cue verb is what was said: a clause ("said (that) …", "asked X to …"), a verb
    after a preposition ("called for police to solve", "warned against drawing"), or the clause of a claim
    the cue denies or confirms ("denied reports that …")."""
    if child.dep_ in ("ccomp", "xcomp", "mark"):
        return True
    if child.dep_ == "advcl":
        return any(m.dep_ == "mark" and m.lower_ in _CONTENT_PREPOSITIONS for m in child.children)
    if child.dep_ == "prep" and child.lower_ in _CONTENT_PREPOSITIONS:
        return any(c.dep_ == "pcomp" for c in child.children)
    if child.dep_ == "dobj" and child.lemma_.casefold() in _CLAIMS:
        return any(c.dep_ in ("acl", "ccomp") for c in child.children)
    return False


def _cues(doc, quoted: _Quoted):
    """Cue tokens outside quotes: verbs of saying (and of belief with a clause), in reading order."""
    for token in doc:
        if token.idx in quoted or token.pos_ not in ("VERB", "AUX"):
            continue
        clause = token.dep_ == "parataxis" or any(_content(c) for c in token.children)
        active = token.tag_ != "VBN" or any(c.dep_ == "aux" for c in token.children)  # not "…, believed to"
        belief = token.lemma_ in BELIEF_LEMMAS and clause and active and any(
            c.dep_ == "nsubj" for c in token.children
        )
        if token.lemma_ in SPEECH_LEMMAS or belief:
            if any(c.dep_ == "auxpass" for c in token.children):  # "he is said to …": no source named
                continue
            yield token, clause


def _according(doc, quoted: _Quoted):
    for token in doc:
        if token.lower_ == "according" and token.idx not in quoted:
            for to in token.children:
                if to.lower_ == "to":
                    for obj in to.children:
                        if obj.dep_ == "pobj":
                            return obj
    return None


def _colon_speaker(doc, span: _Span) -> _Speaker | None:
    """ "X: “…”" and "X said: “…”" — the name or subject right before a colon that opens the quote."""
    head = doc.text[: span.start].rstrip(" “\"'‘«„")
    if not head.endswith(":"):
        return None
    before = [t for t in doc if t.idx < len(head) - 1]
    for token in reversed(before):
        if token.dep_ in ("nsubj", "ROOT") or _entity_of(token) is not None:
            return _phrase(token)
    return None


NAMED_BEFORE = 3
NAMED_BEFORE_PERSON = 6
"""Tokens between a cue the parse left without a subject and the name before it: a person may stand a
little further off than a place ("…, the brother of the gunman, Eric Paddock, from Orlando, said")."""


def _named_before(doc, verb, quoted: _Quoted) -> _Speaker | None:
    """A cue verb the parse left without a subject ("“…,” Japan's Ambassador …, Koro Bessho, told
    reporters"): the nearest person named just before it, else the nearest name, outside the quotes."""
    before = [e for e in reversed(doc.ents) if e.end <= verb.i and e.label_ in _NAMED]
    before = [e for e in before if e[0].idx not in quoted]
    person = next((e for e in before if e.label_ == "PERSON" and verb.i - e.end <= NAMED_BEFORE_PERSON), None)
    named = person or next((e for e in before if verb.i - e.end <= NAMED_BEFORE), None)
    return None if named is None else _Speaker(_clean_name(named.text), named.label_ == "PERSON")


def _trailing(doc, verb, subject) -> bool:
    """Whether the cue is an attribution closing the sentence after a comma or a quote ("…, Abe told
    reporters." / "“…,” he said."): the source of everything before it, however the parse nests it."""
    start = verb.i if subject is None else min(verb.i, subject.left_edge.i)
    for _ in range(4):  # "…, Staff Sgt. John Miller said.": the parse may end the sentence at "Sgt."
        if start > 0 and (doc[start - 1].text == "." or _bare(doc[start - 1]) in _TITLES):
            start -= 1
    return start > 0 and doc[start - 1].text in (",", "”", '"', "''", "’")


def _separate(main, other) -> bool:
    """Whether a second cue attributes words of its own rather than being part of what the main one
    reports: a relative clause on a named source ("…, Eric Paddock said" and "their mother, who told the
    children that …") or a clause of time ("threatened to fire … after Donald Trump warned …")."""
    if other.is_ancestor(main):
        return False
    if other.dep_ == "relcl":
        return any(c.dep_ == "nsubj" and c.lower_ in _RELATIVE_PRONOUNS for c in other.children)
    return other.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in _WHEN for c in other.children)


def _antecedent(pronoun, quoted: _Quoted) -> _Speaker | None:
    """The named subject a pronoun subject refers to inside that subject's own clause ("North Korea fired
    what it said was a rocket" → North Korea); he/she need a person, it/they a non-person."""
    if pronoun.lower_ not in _PRONOUNS:
        return None
    for token in reversed(pronoun.doc[: pronoun.i]):
        entity = _entity_of(token) if token.dep_ == "nsubj" and token.idx not in quoted else None
        fits = entity is not None and (entity.label_ == "PERSON") == (pronoun.lower_ in _PERSON_PRONOUNS)
        if fits and token.head.is_ancestor(pronoun):
            return _phrase(token)
    return None


def _attribute(doc, quoted: _Quoted) -> tuple[_Speaker | None, object, bool, list[_Speaker]]:
    """(speaker, cue token, has reported clause, other named sources) for one parsed sentence: the cue
    closing the sentence, else the first cue that governs a reported clause, else the first cue with a
    speaker ("according to X" last); other sources are the named subjects of separate cues with clauses
    ("North Korea threatened to fire … after Donald Trump warned Pyongyang would …")."""
    found = []
    for verb, clause in _cues(doc, quoted):
        subject = _subject(verb)
        if subject is not None and subject.idx not in quoted:
            moved = _moved_by_thing(verb, subject)
            speaker = None if moved else _antecedent(subject, quoted) or _phrase(subject)
        else:
            speaker = _named_before(doc, verb, quoted) if subject is None else None
        if speaker is not None:
            trailing = _trailing(doc, verb, subject)
            found.append((not (clause or trailing), not trailing, verb.i, speaker, verb, clause or trailing))
    if found:
        best = min(found, key=lambda f: f[:3])
        _, _, _, speaker, verb, clause = best
        others = [f[3] for f in found if f is not best and f[5] and f[3].name and _separate(verb, f[4])]
        named = [o for o in others if o.name not in _PRONOUNS and o.name != speaker.name]
        return speaker, verb, clause, named
    source = _according(doc, quoted)
    if source is not None:
        return _phrase(source), source, True, []
    things = (t for t in doc if t.dep_ == "nsubj" and t.idx not in quoted and t.head.idx not in quoted)
    credited = next((found for t in things if (found := _one_phrase(t)) in (NOBODY, ISSUER, PRESS)), None)
    if credited is not None:  # "“…,” the report read."
        return credited, None, False, []
    return None, None, False, []


def _direct_style(doc, cue, span: _Span, quoted: _Quoted) -> bool:
    """Whether the words outside the quote only attribute it (direct) rather than report in their own
    words (mixed): the quote opens the sentence, or follows the cue with at most a few linking words."""
    text = doc.text
    if quoted.opens(span) or text[: span.start].rstrip(" “\"'‘«„").endswith(":"):
        return True
    if cue is None:
        return False
    if cue.idx > span.start:  # "“…,” X said" / "“…” said X"; "X said Y was “…”, Z told" is mixed
        return quoted.opens(span)
    between = words(text[cue.idx + len(cue.text) : span.start])
    return len(between) <= 4 and (not between or between[-1] in ("that", "on", "in", "today"))


class _Resolver:
    """Pronoun speakers → the nearest preceding speaker that fits, else the last person named as subject.

    He/she fit a speaker that may be a person and whose gender, when known, agrees; they and it fit one
    that is not a person. After a sentence that quotes no one, he/she is first the last person it names
    ("… listened to Vice President Yemi Osinbajo speak." "“…,” he said." → Yemi Osinbajo). A pronoun that
    resolves teaches its speaker's gender, and so does a his/her that follows a new speaker's name in its
    own sentence ("Kudirat Okesola said her husband …"). A surname of a person named before is a person
    ("Nakano said" after "Koichi Nakano")."""

    def __init__(self) -> None:
        self.speakers: list[_Speaker] = []
        self.persons: list[str] = []
        self.organisations: list[str] = []
        self.mentioned: list[str] = []  # persons named in the sentence just before, when it quoted no one
        self.surnames: set[str] = set()
        self.press: list[str] = []
        self.quoted: Counter[str] = Counter()  # persons by how often they were quoted
        self.roles: dict[str, str] = {}  # "minister" → the person named with that title or in apposition

    def see(self, doc, spoke: bool) -> None:
        self.mentioned = []
        for ent in doc.ents:
            name = _clean_name(ent.text)
            if ent.label_ == "PERSON" and " " in name:
                self.surnames.add(name.rsplit(" ", 1)[1])
            if ent.label_ == "PERSON":
                root = ent.root
                inside = range(ent.start, ent.end)  # "Ambassador Bao Shusheng", "X, a former ambassador"
                titles = [c for c in root.children if c.dep_ in ("appos", "compound") and c.i not in inside]
                titles += [root.head] if root.dep_ == "appos" else []
                self.roles.update((t.lemma_.casefold(), name) for t in titles if t.pos_ in ("NOUN", "PROPN"))
            if ent.label_ == "PERSON" and ent.root.dep_ in ("nsubj", "nsubjpass"):
                self.mentioned.append(name)
            after = doc[ent.end].lower_ if ent.end < len(doc) else ""
            if ent.label_ == "ORG" and (after in ("newspaper", "paper", "daily") or name.endswith(_PRESS)):
                self.press.append(name)
            if ent.root.dep_ in ("nsubj", "nsubjpass") and ent.label_ in _NAMED:
                named = self.persons if ent.label_ == "PERSON" else self.organisations
                named.append(name)
        if spoke:
            self.mentioned = []

    def resolve(self, speaker: _Speaker | None, doc=None, quoted: _Quoted | None = None) -> str | None:
        if speaker is None or speaker is NOBODY:
            return None
        if speaker.name in _PERSON_PRONOUNS:
            last = next((s for s in reversed(self.speakers) if s.person is not False), None)
            if self.mentioned and (last is None or last.name not in self.mentioned):
                return self.resolve(_Speaker(self.mentioned[-1], True, speaker.gender))
            for earlier in reversed(self.speakers[-8:]):
                if earlier.person is not False and earlier.gender in (None, speaker.gender):
                    earlier.gender = speaker.gender
                    self.quoted[earlier.name] += 1
                    return earlier.name
            return self.persons[-1] if self.persons else None
        if speaker is PRESS:
            return self.press[-1] if self.press else None
        if speaker is ISSUER or speaker.name in _GROUP_PRONOUNS or speaker.name == "it":
            for earlier in reversed(self.speakers[-8:]):
                if not earlier.person:
                    return earlier.name
            return self.organisations[-1] if speaker.name != "they" and self.organisations else None
        if speaker.role is not None:
            return self._described(speaker)
        if speaker.person is not True and speaker.name in self.surnames:
            speaker.person = True
        if doc is not None and speaker.gender is None and speaker.name:
            outside = [t for t in doc if not (quoted and t.idx in quoted)]
            later = [_GENDER[t.lower_] for t in outside if t.lower_ in _GENDER and t.pos_ == "PRON"]
            speaker.gender = later[0] if later else None
            speaker.person = True if later else speaker.person  # "Kudirat Okesola said her husband …"
        known = next((s for s in self.speakers if s.name == speaker.name), None)
        if known is not None:
            self.speakers.remove(known)
            speaker.gender = speaker.gender or known.gender
        self.speakers.append(speaker)
        if speaker.person:
            self.quoted[speaker.name] += 1
        return speaker.name

    def _described(self, speaker: _Speaker) -> str:
        """A definite description → the person introduced with that title or in apposition to it ("Iceland's
        prime minister, … Sigmundur David Gunnlaugsson" → "the prime minister"; "Ambassador Bao Shusheng"),
        else the earlier speaker it names ("the official" after "a senior State Department official"), else,
        unless it is a title
        ("the mayor" may be someone new), the last person who spoke ("Kevin Snow said …" "The carpet fitter
        … said …"), else the person quoted most, when quoted _MAIN_SPEAKER times ("The director said …" in
        an article quoting Quentin Tarantino throughout), else the description itself."""
        if speaker.role in self.roles:
            return self.resolve(_Speaker(self.roles[speaker.role], True, speaker.gender))
        recent = list(reversed(self.speakers[-8:]))
        named = next((s for s in recent if s.name.casefold().endswith(speaker.role)), None)
        if named is None and speaker.role not in _NEW_PERSON_NOUNS:  # "the mayor" may be someone new
            named = next((s for s in recent if s.person and s.role is None), None)
        if named is None and self.quoted:  # … unless the article is about one person who speaks throughout
            name, times = self.quoted.most_common(1)[0]
            named = next((s for s in recent if s.name == name), None) if times >= _MAIN_SPEAKER else None
        if named is None:
            speaker.role = None
            return self.resolve(speaker)
        self.speakers.remove(named)
        self.speakers.append(named)
        return named.name


def _fallback_speaker(sentence: str, quoted: _Quoted) -> str | None:
    """A capitalised name of up to four words right before or after a cue word outside the quotes."""
    outside = "".join(" " if i in quoted else c for i, c in enumerate(sentence))
    tokens = outside.replace(",", " , ").split()
    for i, token in enumerate(tokens):
        if token.casefold().strip(".") not in FALLBACK_CUES:
            continue
        before = []
        for word in reversed(tokens[max(0, i - 4) : i]):
            if not word[:1].isupper():
                break
            before.insert(0, word)
        after = []
        for word in tokens[i + 1 : i + 5]:
            if not word[:1].isupper():
                break
            after.append(word)
        name = " ".join(before or after).strip(" .")
        if name:
            return name
    return None


def extract_quotes(sentences: list[str], article_id: str, lang: str | None = None) -> list[Quote]:
    """Quotes in one article's body sentences (not its headline), in reading order (cached per article:
    a story's next analysis reads only its new reports)."""
    return list(_extract(tuple(sentences), article_id, lang))


@lru_cache(maxsize=4096)
def _extract(sentences: tuple[str, ...], article_id: str, lang: str | None) -> tuple[Quote, ...]:
    docs = parse(list(sentences)) if is_english(lang) else None
    resolver = _Resolver()
    quotes: list[Quote] = []
    carried = 0  # sentences an open quote has run on for
    previous: Quote | None = None  # the direct quote of the sentence just before, if any
    colon: str | None = None  # the speaker of a sentence just before that ended with ":"
    for i, sentence in enumerate(sentences):
        text = sentence[:MAX_PARSE_CHARS]  # as parsed: a longer "sentence" is not a statement
        open_start = 0 < carried <= MAX_CONTINUED_SENTENCES and _closes(sentences, i)
        spans = quote_spans(text, open_at_start=open_start)
        carried = carried + 1 if spans and not spans[-1].closed else 0
        quoted = _Quoted(text, spans)
        doc = docs[i] if docs is not None else None
        direct = _long(quoted, text)
        if doc is not None:
            found, cue, clause, others = _attribute(doc, quoted)
            if found is None and direct:
                found = _colon_speaker(doc, direct[0]) or None
                found = found if found in (NOBODY, ISSUER) else None
            speaker = resolver.resolve(found, doc, quoted)
            if found is NOBODY or (found in (ISSUER, PRESS) and speaker is None):
                resolver.see(doc, spoke=True)  # credited to a document, a report, a video: no one's quote
                previous, colon = None, None
                continue
            resolver.see(doc, spoke=speaker is not None)
        else:
            speaker, cue, others = _fallback_speaker(text, quoted), None, []
            clause = speaker is not None
        if direct and speaker is None and doc is not None:
            colon_speaker = _colon_speaker(doc, direct[0])
            speaker = resolver.resolve(colon_speaker) if colon_speaker else None
        if direct and speaker is None:
            speaker = colon or (previous.speaker if previous is not None else None)
            if previous is not None and speaker is not None and speaker == previous.speaker and (
                quoted.opens(direct[0])
            ):  # "A," X said. "B." — the second half of one quote
                previous.text = _join([previous.text, *(_quoted(text, s) for s in direct)])
                continue
        current: Quote | None = None
        if direct:
            if all(doc is None or _direct_style(doc, cue, s, quoted) for s in direct):
                current = Quote(_join([_quoted(text, s) for s in direct]), speaker, "direct",
                                article_id, sentence)  # fmt: skip
                quotes.append(current)
            elif speaker is not None:
                quotes.append(Quote(sentence, speaker, "mixed", article_id, sentence))
        elif speaker is not None and clause and sentence.rstrip()[-1:] in _TERMINAL:
            quotes.append(Quote(sentence, speaker, "reported", article_id, sentence))
            quotes.extend(Quote(sentence, other.name, "reported", article_id, sentence) for other in others)
        previous = current
        colon = speaker if sentence.rstrip().endswith(":") else None
    return tuple(quotes)
