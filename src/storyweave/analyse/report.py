"""`analyse_story`: compare the reports of one story — facts, quotes, entities, figures, timeline, coverage,
summary."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from storyweave.analyse.entities import Mention, merge_mentions
from storyweave.analyse.facts import (
    Sentence,
    content_terms,
    group_facts,
    own_statements,
    repeats,
    similarity_matrix,
)
from storyweave.analyse.nlp import embed_cached, pipeline
from storyweave.analyse.numbers import Figure, find_conflicts
from storyweave.analyse.prepared import PreparedArticle, analysis_embedder, prepare_articles
from storyweave.analyse.quotes import Quote
from storyweave.analyse.statements import clean_title
from storyweave.analyse.summary import ExtractiveSummarizer, SourceText, Summarizer, SummaryError
from storyweave.analyse.text import (
    is_statement,
    name_key,
    outlet_column,
    split_sentences,
    words,
)
from storyweave.models import Article, Outlet

log = logging.getLogger(__name__)

MAX_SENTENCES_PER_ARTICLE = 60
NEAR_DUPLICATE_JACCARD = 0.8
"""Word-trigram Jaccard at which two texts are copies of one report (wire copies, light rewrites)."""
CLOSE_THRESHOLD = 0.35
"""Blended similarity (`facts.similarity_matrix`; one fact from LINK_THRESHOLD 0.48) at which an outlet's
statement is close to a fact it is not grouped with ("At least 7 killed" beside "Seven dead and 50
injured"): that outlet neither leaves the fact out nor leaves it to another outlet alone."""
QUOTE_MATCH_RATIO = 0.6
"""Word-set Dice at which two quotes of one speaker are the same quote (outlets trim and cut quotes)."""
_ENGLISH_MARKERS = {"the", "and", "of", "to", "in", "is", "that", "for", "was", "with", "said", "has", "on"}


@dataclass
class Voice:
    """One independent report: an article and its near-duplicate copies, maybe carried by several outlets."""

    articles: list[Article]
    outlets: list[str]

    @property
    def lead(self) -> Article:
        return self.articles[0]


@dataclass
class StoryReport:
    """The analysis of one story. `to_dict()` gives JSON-able data with keys:

    - `facts`: [{id, text, sources (outlet names), close (outlets with a statement close to it, under the
      same-fact threshold), articles (ids), kind: shared|several|unique, main (bool), numbers: [{text,
      value, unit, quantity}], statements: [{article, outlet, text}]}] — `shared` = every independent
      outlet reports it, `several` = at least two, `unique` = one only; wire copies count as one voice (the
      outlet that ran it first). Main facts: reported by two voices or more, or in a headline or first
      sentence.
    - `outlets`: {outlet: {articles, unique (fact ids only it reports, and nobody comes close), omitted (ids
      of the main facts it lacks that two outlets or more report and that none of its statements comes
      close to; a detail only one outlet gives is nobody's omission), shared}}.
    - `quotes`: [{text, speaker, kind: direct|mixed|reported, outlets, articles}].
    - `entities`: [{name, label (PERSON/ORG/GPE/LOC/FAC/EVENT/PRODUCT, NAME from the fallback), aliases,
      counts (per outlet), total}].
    - `conflicts`: [{fact, text, unit, quantity, values: {outlet: "figures as written"}}] — one fact, one
      quantity (the bid, the sentence in months), different figures per outlet.
    - `timeline`: [{article, outlet, title, published (ISO or null), lang, first (bool), duplicate_of}].
    - `coverage`: {articles, voices, by_outlet, by_language, by_country, by_lean, by_tag} (article counts).
    - `summary`: {method, sentences: [{text, sources (article ids)}]}.
    - `degraded`: what was skipped because the story's time budget ran out (empty normally), e.g.
      "quotes skipped: the 20 s time budget was spent (23.1 s)".
    """

    facts: list[dict] = field(default_factory=list)
    outlets: dict[str, dict] = field(default_factory=dict)
    quotes: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    coverage: dict = field(default_factory=dict)
    summary: dict = field(default_factory=lambda: {"method": "none", "sentences": []})
    degraded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "facts": self.facts,
            "outlets": self.outlets,
            "quotes": self.quotes,
            "entities": self.entities,
            "conflicts": self.conflicts,
            "timeline": self.timeline,
            "coverage": self.coverage,
            "summary": self.summary,
            "degraded": self.degraded,
        }


def outlet_name(article: Article) -> str:
    """The outlet column an article is counted under (`text.outlet_column`)."""
    return outlet_column(article.source, article.url, article.id)


def _shingles(text: str) -> set[int]:
    """Word trigrams, hashed (integer sets intersect several times faster than sets of tuples)."""
    tokens = words(text)
    return {hash(tuple(tokens[i : i + 3])) for i in range(max(1, len(tokens) - 2))}


def group_voices(articles: list[Article]) -> list[Voice]:
    """Bundle copies: `duplicate_of` links, equal hashes, or word-trigram Jaccard ≥ NEAR_DUPLICATE_JACCARD."""
    by_id = {a.id: a for a in articles}
    voices: list[Voice] = []
    home: dict[str, Voice] = {}
    shingles = {a.id: _shingles(a.body) for a in articles}

    def similar(a: Article, b: Article) -> bool:
        if a.hash == b.hash:
            return True
        first, second = shingles[a.id], shingles[b.id]
        if min(len(first), len(second)) < NEAR_DUPLICATE_JACCARD * max(len(first), len(second)):
            return False  # the Jaccard of sets this different in size is below the threshold
        shared = len(first & second)
        union = len(first) + len(second) - shared
        return union > 0 and shared / union >= NEAR_DUPLICATE_JACCARD

    for article in articles:
        target = home.get(article.duplicate_of or "") if article.duplicate_of in by_id else None
        target = target or next((v for v in voices if similar(v.lead, article)), None)
        if target is None:
            target = Voice([], [])
            voices.append(target)
        target.articles.append(article)
        if outlet_name(article) not in target.outlets:
            target.outlets.append(outlet_name(article))
        home[article.id] = target
    return voices


def _language(article: Article) -> str | None:
    if article.lang:
        return article.lang
    tokens = words(article.body)[:300]
    share = sum(t in _ENGLISH_MARKERS for t in tokens) / max(1, len(tokens))
    return "en" if share >= 0.08 else None


def _kind(outlet_count: int, total_outlets: int) -> str:
    if outlet_count <= 1:
        return "unique"
    return "shared" if outlet_count == total_outlets else "several"


def _facts(
    voices: list[Voice], sentences: list[Sentence], embedder, figures_of: Callable[[Sentence], list[Figure]]
) -> tuple[list[dict], list[list[int]]]:
    if len(voices) > 1 and sentences:
        vectors = embed_cached(embedder or analysis_embedder(), [s.text for s in sentences])
        scores = similarity_matrix(sentences, vectors)
        groups = group_facts(sentences, scores)
    else:
        scores = np.zeros((len(sentences), len(sentences)))
        groups = [[i] for i in range(len(sentences))]
    outlet_count = len({v.outlets[0] for v in voices})  # two reports by one outlet are still one outlet
    voice_of = np.array([s.voice for s in sentences])
    facts = []
    for number, members in enumerate(groups, 1):
        fact_voices = sorted({sentences[m].voice for m in members})
        closest = scores[members].max(axis=0)  # all zero for one voice: nothing is close
        close_voices = set(voice_of[closest >= CLOSE_THRESHOLD].tolist()) - set(fact_voices)
        sources = sorted({o for v in fact_voices for o in voices[v].outlets})
        central = max(members, key=lambda m: (scores[m, members].sum(), -sentences[m].voice))
        figures = {}
        for m in members:
            for figure in figures_of(sentences[m]):
                figures.setdefault((figure.unit, figure.value), figure)
        facts.append({
            "id": f"f{number}",
            "text": sentences[central].text,
            "sources": sources,
            "close": sorted({o for v in close_voices for o in voices[v].outlets} - set(sources)),
            "articles": [a.id for v in fact_voices for a in voices[v].articles],
            "kind": _kind(len({voices[v].outlets[0] for v in fact_voices}), outlet_count),
            "main": len(fact_voices) > 1 or any(sentences[m].position < 2 for m in members),
            "numbers": [f.to_dict() for f in figures.values()],
            "statements": [
                {"article": sentences[m].article_id, "outlet": voices[sentences[m].voice].outlets[0],
                 "text": sentences[m].text}
                for m in members
            ],
        })  # fmt: skip
    return facts, groups


def _outlet_view(voices: list[Voice], facts: list[dict]) -> dict[str, dict]:
    independent = len({v.outlets[0] for v in voices})
    view: dict[str, dict] = {}
    for voice in voices:
        for outlet in voice.outlets:
            entry = view.setdefault(outlet, {"articles": [], "unique": [], "omitted": [], "shared": []})
            entry["articles"] += [a.id for a in voice.articles if outlet_name(a) == outlet]
    for outlet, entry in view.items():
        for fact in facts:
            carried = outlet in fact["sources"]
            if carried and fact["kind"] == "unique" and independent > 1 and not fact["close"]:
                entry["unique"].append(fact["id"])
            elif carried and fact["kind"] != "unique":
                entry["shared"].append(fact["id"])
            elif not carried and fact["main"] and fact["kind"] != "unique" and outlet not in fact["close"]:
                entry["omitted"].append(fact["id"])  # a lone detail, or one it states in other words: none
    return view


def _conflicts(
    facts: list[dict], sentences: list[Sentence], groups: list[list[int]], voices: list[Voice], figures_of
):
    conflicts = []
    for fact, members in zip(facts, groups, strict=True):
        if len({sentences[m].voice for m in members}) < 2:
            continue
        by_outlet: dict[str, list] = {}
        for m in members:
            for outlet in voices[sentences[m].voice].outlets:
                by_outlet.setdefault(outlet, []).extend(figures_of(sentences[m]))
        for conflict in find_conflicts(by_outlet):
            conflicts.append({"fact": fact["id"], "text": fact["text"], **conflict})
    return conflicts


def _entities(voices: list[Voice], prepared: list[PreparedArticle]) -> list:
    mentions = []
    for voice, record in zip(voices, prepared, strict=True):
        for name, label in record.names:
            mentions += [Mention(name, label, outlet) for outlet in voice.outlets]
    return merge_mentions(mentions)


def _quotes(
    voices: list[Voice], prepared: list[PreparedArticle], fact_of: dict[tuple[str, str], str], aliases
):
    merged: list[dict] = []
    for voice, record in zip(voices, prepared, strict=True):
        for quote in record.quotes:
            speaker = aliases.get(name_key(quote.speaker or ""), quote.speaker)
            said = set(words(quote.text))
            entry = next((m for m in merged if _same_quote(m, quote, speaker, said, fact_of)), None)
            if entry is None:
                entry = {"text": quote.text, "speaker": speaker, "kind": quote.kind}
                entry |= {"outlets": [], "articles": [], "_facts": set(), "_words": said}
                merged.append(entry)
            entry["speaker"] = entry["speaker"] or speaker
            entry["_facts"].add(fact_of.get((quote.article_id, quote.sentence)))
            entry["outlets"] += [o for o in voice.outlets if o not in entry["outlets"]]
            entry["articles"] += [a.id for a in voice.articles if a.id not in entry["articles"]]
    for entry in merged:
        entry.pop("_facts")
        entry.pop("_words")
    return merged


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _same_quote(entry: dict, quote: Quote, speaker: str | None, said: set[str], fact_of) -> bool:
    if entry["kind"] != quote.kind or (
        entry["speaker"] and speaker and name_key(entry["speaker"]) != name_key(speaker)
    ):
        return False
    fact = fact_of.get((quote.article_id, quote.sentence))
    if fact is not None and fact in entry["_facts"]:
        return True
    return _dice(entry["_words"], said) >= QUOTE_MATCH_RATIO


def _moment(published: datetime | None) -> float:
    """Sortable time; naive datetimes are taken as UTC so mixed sources still compare."""
    if published is None:
        return float("inf")
    return (published if published.tzinfo else published.replace(tzinfo=UTC)).timestamp()


def _timeline(articles: list[Article]) -> list[dict]:
    order = sorted(range(len(articles)), key=lambda i: (_moment(articles[i].published), i))
    first_time = min(_moment(a.published) for a in articles)
    rows = []
    for rank, i in enumerate(order):
        article = articles[i]
        first = _moment(article.published) == first_time if first_time != float("inf") else rank == 0
        rows.append({
            "article": article.id, "outlet": outlet_name(article), "title": article.title,
            "published": article.published.isoformat() if article.published else None,
            "lang": article.lang, "first": bool(first), "duplicate_of": article.duplicate_of,
        })  # fmt: skip
    return rows


def _coverage(articles: list[Article], voices: list[Voice], outlets: dict[str, Outlet]) -> dict:
    counts: dict[str, Counter] = {
        k: Counter() for k in ("by_outlet", "by_language", "by_country", "by_lean", "by_tag")
    }
    for article in articles:
        outlet = outlets.get(outlet_name(article)) or Outlet(outlet_name(article))
        counts["by_outlet"][outlet_name(article)] += 1
        counts["by_language"][article.lang or outlet.language or "unknown"] += 1
        counts["by_country"][outlet.country or "unknown"] += 1
        counts["by_lean"][outlet.lean or "unrated"] += 1
        for tag in outlet.tags:
            counts["by_tag"][tag] += 1
    return {
        "articles": len(articles),
        "voices": len(voices),
        **{k: dict(v.most_common()) for k, v in counts.items()},
    }


def _summary(
    voices: list[Voice], prepared: list[PreparedArticle], summarizer: Summarizer | None, compress: bool = True
) -> dict:
    docs = [
        SourceText(v.lead.title or "", v.lead.text or "", p.lang, v.lead.published, p.leads)
        for v, p in zip(voices, prepared, strict=True)
    ]
    try:
        summary = (summarizer or ExtractiveSummarizer(compress=compress)).summarize(docs)
    except SummaryError as error:
        log.warning("%s; using the extractive summary", error)
        summary = ExtractiveSummarizer(compress=compress).summarize(docs)
        summary.method = "extractive (fallback)"
    return {
        "method": summary.method,
        "sentences": [
            {"text": s.text, "sources": [a.id for d in s.sources for a in voices[d].articles]}
            for s in summary.sentences
        ],
    }


TIME_BUDGET_S = 30.0
"""Seconds one story's analysis may take before the optional steps (quotes, entity recognition, summary
compression) are skipped; the report's `degraded` list says which were and why."""
@dataclass
class _Budget:
    """Time left for a story's analysis; `spent(step)` records the step skipped when none is."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)
    skipped: list[str] = field(default_factory=list)

    def spent(self, step: str) -> bool:
        elapsed = time.perf_counter() - self.start
        if elapsed <= self.seconds:
            return False
        self.skipped.append(f"{step} skipped: the {self.seconds:g} s time budget was spent ({elapsed:.1f} s)")
        return True


def article_statements(article: Article) -> tuple[str | None, list[str], list[str]]:
    """The report's language, its statements (headline first unless the body restates it) and its body
    statements alone; repeats within the report are dropped."""
    lang = _language(article)
    body = own_statements(article.text or "", lang, MAX_SENTENCES_PER_ARTICLE)
    headline = [s for s in split_sentences(clean_title(article.title or ""), lang) if is_statement(s, lang)]
    lead_terms = [content_terms(s) for s in body[:3]]
    headline = [s for s in headline if not repeats(s, lead_terms)]
    return lang, (headline + body)[:MAX_SENTENCES_PER_ARTICLE], body


def prepare_article(article: Article, embedder=None) -> PreparedArticle:
    """An article's own share of any story analysis (see `storyweave.analyse.prepared`), computed ahead —
    split, parse, embed (`embedder`, default USE), names, quotes, figures — so the story page then only
    compares. Keep it with `save_prepared` and pass it to `analyse_story` (`prepared`)."""
    return prepare_articles([article], embedder or analysis_embedder())[0]


def analyse_story(
    articles: list[Article],
    *,
    outlets: dict[str, Outlet] | None = None,
    summarizer: Summarizer | None = None,
    embedder=None,
    time_budget: float = TIME_BUDGET_S,
    prepared: Mapping[str, PreparedArticle] | None = None,
) -> StoryReport:
    """Compare the reports of one story (see `StoryReport` for the result's shape).

    `outlets` maps outlet names to user-supplied metadata (country, language, lean, tags) for the coverage
    view; `summarizer` defaults to the offline `ExtractiveSummarizer`; `embedder` to the USE encoder, in
    whose space the fact-matching thresholds were set. `prepared` holds the articles' records prepared when
    they were stored (`prepare_articles`, by article id); the reports without one are prepared here, in one
    batch. After `time_budget` seconds (models are loaded before the clock starts) the optional steps
    are skipped (listed in `degraded`).
    """
    articles = [a for a in articles if a is not None]
    if not articles:
        return StoryReport(coverage=_coverage([], [], {}))
    voices = group_voices(articles)
    embedder = embedder or analysis_embedder()  # models load once per process, outside the time budget
    pipeline()
    content_terms("")
    budget = _Budget(time_budget)
    records = dict(prepared or {})
    missing = [v.lead for v in voices if v.lead.id not in records]
    records |= {p.article_id: p for p in prepare_articles(missing, embedder)}
    per_voice = [records[v.lead.id] for v in voices]
    sentences: list[Sentence] = []
    known_figures: dict[str, list[Figure]] = {}
    for v, record in enumerate(per_voice):
        record.remember()
        known_figures |= record.figures
        sentences += [
            Sentence(s, record.article_id, v, p, record.lang) for p, s in enumerate(record.statements)
        ]

    def figures_of(sentence: Sentence) -> list[Figure]:
        return known_figures.get(sentence.text, [])

    facts, groups = _facts(voices, sentences, embedder, figures_of)
    fact_of = {
        (sentences[m].article_id, sentences[m].text): fact["id"]
        for fact, members in zip(facts, groups, strict=True)
        for m in members
    }
    entities = [] if budget.spent("entities") else _entities(voices, per_voice)
    aliases = {name_key(alias): e.name for e in entities for alias in e.aliases}
    quotes = [] if budget.spent("quotes") else _quotes(voices, per_voice, fact_of, aliases)
    return StoryReport(
        facts=facts,
        outlets=_outlet_view(voices, facts),
        quotes=quotes,
        entities=[e.to_dict() for e in entities],
        conflicts=_conflicts(facts, sentences, groups, voices, figures_of),
        timeline=_timeline(articles),
        coverage=_coverage(articles, voices, outlets or {}),
        summary=_summary(voices, per_voice, summarizer, compress=not budget.spent("summary compression")),
        degraded=budget.skipped,
    )
