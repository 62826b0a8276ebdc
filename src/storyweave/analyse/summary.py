"""Neutral cited multi-source summaries.

The default `ExtractiveSummarizer` runs offline on CPU. It scores every lead sentence with a linear model
over features a neutral roundup rewards — support by the other outlets (TF-IDF similarity to their
sentences, titles and to the story centroid), position in the article, length, and penalties for quotes,
questions, first/second person and loaded words — picks the best non-redundant sentences within a word
budget, and lightly compresses them (datelines, "Why it matters:" labels, short parentheticals). Weights are
fitted on NeuS train by scripts/fit_summary_weights.py and shipped in summary_weights.json. Every sentence
cites its article and every other article that states the same content, so the summary stays traceable.

`LLMSummarizer` sends numbered source sentences to an OpenAI-compatible chat-completions endpoint and maps
the answer's [n] citations back to articles; uncited answer sentences are aligned to their most similar
source sentence and dropped when nothing supports them.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Protocol

import httpx
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from storyweave.analyse.facts import content_terms
from storyweave.analyse.text import is_statement, split_sentences, words

log = logging.getLogger(__name__)

MAX_LEAD_SENTENCES = 12
"""Only opening sentences compete: roundups restate the leads, and long articles would swamp short ones."""
SUPPORT_SIMILARITY = 0.35
"""TF-IDF cosine at which another article's sentence counts as stating the same content (a citation)."""
REDUNDANCY_SIMILARITY = 0.5
LOADED_WORDS = frozenset(
    [
        "slammed",
        "slams",
        "blasted",
        "blasts",
        "lashed",
        "ripped",
        "destroyed",
        "radical",
        "extremist",
        "disastrous",
        "shocking",
        "outrageous",
        "disgraceful",
        "stunning",
        "bombshell",
        "brazen",
        "chaos",
        "chaotic",
        "meltdown",
        "panic",
        "scandal",
        "furious",
        "rant",
        "rants",
        "absurd",
        "ridiculous",
        "insane",
        "horrific",
        "devastating",
        "crushing",
        "humiliating",
        "unhinged",
        "shameful",
    ]
)
_FIRST_SECOND = re.compile(r"\b(I|we|our|my|me|us|you|your)\b", re.IGNORECASE)
_QUOTE_MARKS = re.compile(r"[“”\"«»„]")
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Z .,'-]{2,40}(?:\([A-Za-z .]+\))?\s*[—–-]+\s*|\((?:AP|CNN|Reuters|AFP)\)\s*[—–-]*\s*)"
)
_LABELS = (
    "Why it matters|The big picture|Driving the news|The latest|What's new|Details|Catch up quick|"
    "By the numbers|Between the lines|The bottom line|Go deeper|Context"
)
_LABEL = re.compile(rf"^(?:{_LABELS})\s*:\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*\([^()]{1,60}\)")
_SIDE_CLAUSE = re.compile(
    r"(,\s+|\s+[—–]\s+)(?=(?:which|who|whose|saying|adding|according to|as|after|while|including|amid|with|"
    r"in a|in an|despite|following|where|when|though|although|but)\b)"
)
CLAUSE_SUPPORT = 0.25
"""Share of a side clause's content words other articles must hold for it to stay (set on NeuS train)."""
FEATURE_NAMES = (
    "bias", "first", "second", "third", "later", "length", "short", "long", "max_support", "mean_support",
    "other_titles", "own_title", "centrality", "quote", "question", "first_person", "digits", "opens_quote",
    "loaded",
)  # fmt: skip


@dataclass
class SourceText:
    """One article as the summariser sees it."""

    title: str
    text: str
    lang: str | None = None


@dataclass
class SummarySentence:
    """A summary sentence and the indexes of the articles that support it (its own source first)."""

    text: str
    sources: list[int]
    origin: tuple[int, int] | None = None  # (article index, sentence index) it was extracted from

    def to_dict(self) -> dict:
        data: dict = {"text": self.text, "sources": self.sources}
        if self.origin is not None:
            data["origin"] = {"article": self.origin[0], "sentence": self.origin[1]}
        return data


@dataclass
class Summary:
    sentences: list[SummarySentence] = field(default_factory=list)
    method: str = "extractive"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class Summarizer(Protocol):
    def summarize(self, docs: list[SourceText]) -> Summary: ...


@dataclass
class Candidate:
    doc: int
    position: int
    text: str


class SummaryError(RuntimeError):
    """The summary backend failed (unreachable endpoint, bad answer)."""


def candidates(docs: list[SourceText]) -> list[Candidate]:
    """Lead sentences of every article that are statements (at least a few words)."""
    out = []
    for d, doc in enumerate(docs):
        sentences = [s for s in split_sentences(doc.text or "", doc.lang) if is_statement(s)]
        out.extend(Candidate(d, p, s) for p, s in enumerate(sentences[:MAX_LEAD_SENTENCES]))
    return out


def _vectorise(docs: list[SourceText], cands: list[Candidate]):
    titles = [doc.title or "" for doc in docs]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    try:
        vectorizer.fit([c.text for c in cands] + titles)
    except ValueError:  # only stop words: nothing to compare
        return None, None
    return vectorizer.transform([c.text for c in cands]), vectorizer.transform(titles)


def sentence_features(docs: list[SourceText], cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows (see FEATURE_NAMES) and the sentence × sentence TF-IDF similarity matrix."""
    n = len(cands)
    sent_vectors, title_vectors = _vectorise(docs, cands)
    if sent_vectors is None:
        sim, title_sim = np.eye(n), np.zeros((n, len(docs)))
    else:
        sim = (sent_vectors @ sent_vectors.T).toarray()
        title_sim = (sent_vectors @ title_vectors.T).toarray()
    art = np.array([c.doc for c in cands])
    rows = []
    for k, cand in enumerate(cands):
        other = art != cand.doc
        other_titles = [t for t in range(len(docs)) if t != cand.doc]
        length = len(words(cand.text))
        tokens = set(words(cand.text))
        rows.append([
            1.0, cand.position == 0, cand.position == 1, cand.position == 2, cand.position >= 3,
            min(length, 60) / 60, length < 10, length > 45,
            sim[k, other].max() if other.any() else 0.0, sim[k, other].mean() if other.any() else 0.0,
            title_sim[k, other_titles].mean() if other_titles else 0.0, title_sim[k, cand.doc],
            sim[k].mean(), bool(_QUOTE_MARKS.search(cand.text)), cand.text.rstrip().endswith("?"),
            bool(_FIRST_SECOND.search(cand.text)), bool(re.search(r"\d", cand.text)),
            cand.text.lstrip()[:1] in "“\"«„", bool(tokens & LOADED_WORDS),
        ])  # fmt: skip
    return np.asarray(rows, dtype=float).reshape(n, len(FEATURE_NAMES)), sim


def compress(sentence: str, other_terms: set[str] | None = None) -> str:
    """Drop a dateline, a newsletter label, short parentheticals and side clauses no other article supports.

    A side clause starts at a comma or dash before "which", "saying", "according to", "amid" and the like; it
    is dropped when under CLAUSE_SUPPORT of its content words occur in the other articles (`other_terms`),
    so the summary keeps the shared core and leaves one outlet's detail or framing out. The rest is verbatim.
    """
    text = _PAREN.sub("", _LABEL.sub("", _DATELINE.sub("", sentence))).strip()
    if other_terms:
        parts = _SIDE_CLAUSE.split(text)
        kept = parts[0]
        for separator, clause in zip(parts[1::2], parts[2::2], strict=True):
            terms = content_terms(clause)
            if not terms or len(terms & other_terms) / len(terms) >= CLAUSE_SUPPORT:
                kept += separator + clause
        if kept != text:
            text = kept.rstrip(" ,;—–") + ("" if kept.rstrip()[-1:] in '.!?"”' else ".")
    return text[:1].upper() + text[1:] if text else sentence


def _load_weights() -> dict:
    return json.loads(resources.files("storyweave.analyse").joinpath("summary_weights.json").read_text())


class ExtractiveSummarizer:
    """Default summariser: fitted sentence scores, non-redundant selection, light compression (offline)."""

    def __init__(
        self,
        weights: dict | None = None,
        *,
        word_budget: int | None = None,
        min_sentences: int = 2,
        max_sentences: int | None = None,
    ) -> None:
        config = weights or _load_weights()
        self.weights = np.array([config["weights"][name] for name in FEATURE_NAMES])
        self.word_budget = word_budget or config.get("word_budget", 60)
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences or config.get("max_sentences", 3)

    def scores(self, docs: list[SourceText]) -> tuple[list[Candidate], np.ndarray, np.ndarray]:
        cands = candidates(docs)
        if not cands:
            return cands, np.zeros(0), np.zeros((0, 0))
        features, sim = sentence_features(docs, cands)
        return cands, features @ self.weights, sim

    def summarize(self, docs: list[SourceText]) -> Summary:
        cands, scores, sim = self.scores(docs)
        chosen: list[int] = []
        budget_used = 0
        for k in np.argsort(-scores, kind="stable"):
            if len(chosen) >= self.max_sentences:
                break
            if any(sim[k, c] >= REDUNDANCY_SIMILARITY for c in chosen):
                continue
            length = len(words(cands[k].text))
            if len(chosen) >= self.min_sentences and budget_used + length > self.word_budget:
                continue
            chosen.append(int(k))
            budget_used += length
        chosen.sort(key=lambda k: (cands[k].position, -scores[k]))
        other_terms = [content_terms(f"{doc.title} {doc.text}") for doc in docs]
        sentences = []
        for k in chosen:
            supporters = sorted({cands[j].doc for j in range(len(cands)) if sim[k, j] >= SUPPORT_SIMILARITY})
            sources = [cands[k].doc] + [d for d in supporters if d != cands[k].doc]
            sentences.append(
                SummarySentence(
                    compress(
                        cands[k].text,
                        set().union(*other_terms[: cands[k].doc], *other_terms[cands[k].doc + 1 :]),
                    ),
                    sources,
                    (cands[k].doc, cands[k].position),
                )
            )
        return Summary(sentences, "extractive")


_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ANSWER_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[”\"’']?)?(?:\s*\[[\d,; ]+\])*")


class LLMSummarizer:
    """Summaries from an OpenAI-compatible chat-completions endpoint, with citations mapped back to articles.

    `base_url` is the API root (e.g. http://127.0.0.1:8000/v1); the key comes from STORYWEAVE_LLM_API_KEY
    unless given. Source sentences are numbered in the prompt; the model is asked to cite them as [n].
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("STORYWEAVE_LLM_API_KEY")
        self.client = client or httpx.Client(timeout=timeout)

    @classmethod
    def from_env(cls) -> LLMSummarizer | None:
        """The backend configured by STORYWEAVE_LLM_URL and STORYWEAVE_LLM_MODEL, or None when unset."""
        url = os.environ.get("STORYWEAVE_LLM_URL")
        return cls(url, os.environ.get("STORYWEAVE_LLM_MODEL", "default")) if url else None

    def prompt(self, cands: list[Candidate]) -> str:
        numbered = "\n".join(f"[{i + 1}] {c.text}" for i, c in enumerate(cands))
        return (
            "Below are numbered sentences from several news reports of one event.\n"
            "Write a neutral summary of 2 to 4 sentences covering the facts most reports share. Use plain, "
            "non-loaded wording and add nothing that the sentences do not state. End every summary sentence "
            "with the numbers of the sentences that support it, like [2][5].\n\n" + numbered
        )

    def _ask(self, prompt: str) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "temperature": 0, "messages": [{"role": "user", "content": prompt}]}
        try:
            response = self.client.post(self.url, json=body, headers=headers)
            response.raise_for_status()
            return response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
            raise SummaryError(f"LLM endpoint {self.url} failed: {error}") from error

    def summarize(self, docs: list[SourceText]) -> Summary:
        cands = candidates(docs)
        if not cands:
            return Summary([], "llm")
        answer = self._ask(self.prompt(cands))
        sentences = []
        for piece in _ANSWER_SENTENCE.findall(answer):
            cited = [int(n) - 1 for group in _CITATION.findall(piece) for n in re.split(r"[,;]", group)]
            text = _CITATION.sub("", piece).strip()
            if not is_statement(text):
                continue
            cited = [n for n in cited if 0 <= n < len(cands)] or self._align(text, cands)
            if cited:
                sources = list(dict.fromkeys(cands[n].doc for n in cited))
                sentences.append(SummarySentence(text, sources))
        if not sentences:
            raise SummaryError(f"LLM endpoint {self.url} returned no supported sentence")
        return Summary(sentences[:4], "llm")

    @staticmethod
    def _align(text: str, cands: list[Candidate]) -> list[int]:
        """The source sentence most similar to an uncited answer sentence, if any is similar enough."""
        vectorizer = TfidfVectorizer(sublinear_tf=True).fit([c.text for c in cands] + [text])
        sim = (vectorizer.transform([text]) @ vectorizer.transform([c.text for c in cands]).T).toarray()[0]
        best = int(np.argmax(sim))
        return [best] if sim[best] >= SUPPORT_SIMILARITY else []
