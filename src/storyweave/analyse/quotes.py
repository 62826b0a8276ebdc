"""Direct and reported quotes with their speaker.

Direct quotes are text between quotation marks (“…”, "…", «…», „…“) of at least four words; shorter quoted
phrases are scare quotes or titles. A reported quote is a sentence whose subject is a name followed by a
verb of saying ("KCNA said …", "Kim stressed the need to …", "Washington and Seoul have repeatedly described
…"). The speaker is the capitalised name governing the nearest verb of saying, before it ("X said") or after
it ("…, said spokesman Jason Miller"), or named by "according to X". A pronoun subject resolves to the
previous speaker of the same article. Verb lists cover English; other languages keep their direct quotes
with the speaker found by the same capitalised-name rule around the quote when one is adjacent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storyweave.analyse.text import words

SPEECH_VERBS = (
    "said|says|say|stressed|stresses|told|tells|added|adds|warned|warns|described|describes|claimed|claims|"
    "reported|reports|announced|announces|noted|notes|urged|urges|insisted|insists|argued|argues|tweeted|"
    "wrote|writes|stated|states|declared|declares|denied|denies|acknowledged|admitted|asserted|explained|"
    "vowed|vows|pledged|confirmed|confirms|accused|accuses|called|calls|demanded|suggested|revealed|alleged|"
    "emphasised|emphasized|underlined|underscored|condemned|denounced|criticised|criticized|praised|"
    "dijo|afirmó|declaró|aseguró|señaló|a déclaré|a dit|sagte|erklärte|betonte"
)
_NAME = r"(?:[A-Z][\w’'.-]*|[A-Z]{2,})"
_NAME_SEQ = rf"{_NAME}(?:\s+(?:(?:of|de|del|von|van|al|bin)\s+)?{_NAME})*"
_SUBJECT = rf"(?P<speaker>{_NAME_SEQ}(?:\s+(?:and|y|et|und)\s+{_NAME_SEQ})?|[Hh]e|[Ss]he|[Tt]hey)"
_AUX = (
    r"(?:\s+(?:has|have|had|was|were|is|are|also|again|repeatedly|reportedly|publicly|later|earlier|\w+ly))*"
)
REPORTED = re.compile(rf"{_SUBJECT}{_AUX}\s+(?P<verb>{SPEECH_VERBS})\b")
AFTER_VERB = re.compile(
    rf"(?:[,”\"»]\s*)(?P<verb>{SPEECH_VERBS})\s+(?:(?:the|a|an)\s+)?(?:[a-z]+\s+){{0,3}}?(?P<speaker>{_NAME_SEQ})"
)
ACCORDING = re.compile(rf"\baccording to (?:the\s+)?(?:[a-z]+\s+){{0,3}}?(?P<speaker>{_NAME_SEQ})")
PARTICIPLE = re.compile(
    rf"^(?:[A-Za-z]+\s+){{0,4}}?(?P<speaker>{_NAME_SEQ})\s+[a-z]+\b[^“\"«]*?,\s+"
    r"(?:stressing|saying|adding|warning|noting|calling|urging|insisting|arguing|claiming|declaring)\b"
)
_PHRASE_BEFORE = re.compile(
    r"(?:^|[,;:]\s*)(?P<phrase>(?:[a-z][\w-]*\s+){1,4}(?:in|of|at|from|for)\s+(?:the\s+)?)$"
)
DIRECT = re.compile(r"^([^“”\"]+)”|“([^“”]+)”|\"([^\"]+)\"|«\s?([^«»]+?)\s?»|„([^„“”]+)[“”]")
MIN_QUOTE_WORDS = 4
PRONOUNS = {"he", "she", "they"}
_NOT_SPEAKERS = {
    "the",
    "this",
    "that",
    "it",
    "in",
    "on",
    "at",
    "but",
    "and",
    "meanwhile",
    "however",
    "specifically",
}


@dataclass
class Quote:
    """A quote in one sentence of one article; `speaker` is None when no name governs it."""

    text: str
    speaker: str | None
    kind: str  # "direct" or "reported"
    article_id: str
    sentence: str


def _clean_speaker(raw: str | None) -> str | None:
    if not raw:
        return None
    tokens = raw.strip(" ,.").split()
    while tokens and tokens[0].casefold() in _NOT_SPEAKERS:
        tokens = tokens[1:]
    return " ".join(tokens) or None


def find_speaker(sentence: str) -> str | None:
    """The name governing the first verb of saying in `sentence` (pronouns are returned as written)."""
    candidates = []
    for pattern in (REPORTED, AFTER_VERB, ACCORDING, PARTICIPLE):
        match = pattern.search(sentence)
        speaker = _clean_speaker(match["speaker"]) if match else None
        if not speaker:
            continue
        before = _PHRASE_BEFORE.search(sentence[: match.start("speaker")])
        if pattern is REPORTED and before:  # "intelligence analysts in the US said": the analysts speak
            speaker = before["phrase"] + speaker
        candidates.append((match.start(), speaker))
    return min(candidates)[1] if candidates else None


def extract_quotes(sentences: list[str], article_id: str) -> list[Quote]:
    """Quotes in one article's sentences, in reading order."""
    quotes: list[Quote] = []
    previous: str | None = None
    for sentence in sentences:
        speaker = find_speaker(sentence)
        if speaker and speaker.casefold() in PRONOUNS:
            speaker = previous
        direct = [next(g for g in m.groups() if g).strip(" ,.") for m in DIRECT.finditer(sentence)]
        direct = [d for d in direct if len(words(d)) >= MIN_QUOTE_WORDS]
        for text in direct:
            quotes.append(Quote(text, speaker, "direct", article_id, sentence))
        if not direct and speaker and (REPORTED.search(sentence) or ACCORDING.search(sentence)):
            quotes.append(Quote(sentence, speaker, "reported", article_id, sentence))
        if speaker:
            previous = speaker
    return quotes
