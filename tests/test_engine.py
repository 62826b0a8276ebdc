"""Decision logic of the story engine on small real examples (the two seed reports and seed 004's sidebar)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storyweave.cluster import StoryEngine
from storyweave.cluster.batch import article_from_record, cluster_articles
from storyweave.models import Article
from storyweave.pipeline import Pipeline
from storyweave.store import SQLiteStore


def _seed(path: Path, article_id: str) -> tuple[Article, list[str]]:
    """A seed file is the article, then (after blank lines) the page's sidebar of other headlines."""
    body, _, sidebar = path.read_text(encoding="utf-8").partition("\n\n\n")
    first = body.strip().split("\n")[0]
    article = Article(id=article_id, title=first.split(". ")[0][:120], text=body.strip(), lang="en")
    return article, [line.strip() for line in sidebar.strip().splitlines() if line.strip()]


@pytest.fixture
def seeds(seeds_dir):
    paths = sorted(seeds_dir.glob("*.txt"))
    first, _ = _seed(paths[0], "seed-000")
    second, sidebar = _seed(next(p for p in paths if p.name.startswith("004")), "seed-004")
    return first, second, sidebar


def test_seeds_share_a_story_and_the_sidebar_stays_apart(seeds, sqlite_store, embedder):
    first, second, sidebar = seeds
    pipeline = Pipeline(sqlite_store, StoryEngine(sqlite_store, embedder))
    pipeline.add(first)
    pipeline.add(second)
    headlines = {f"h{i}": line for i, line in enumerate(sidebar)}
    pipeline.add_many([Article(id=key, title=line, lang="en") for key, line in headlines.items()])
    story_of = {key: sqlite_store.get_article(key).story_id for key in [first.id, second.id, *headlines]}
    assert story_of[first.id] == story_of[second.id]

    def story_with(word: str) -> set[str]:
        return {story_of[k] for k, line in headlines.items() if word in line}

    oil = [k for k, line in headlines.items() if "Venezuelan Oil Quarantine" in line]
    assert len(oil) == 2 and story_of[oil[0]] == story_of[oil[1]]
    zelenskiy = [k for k, line in headlines.items() if line.startswith("Zelenskiy")]
    assert len(zelenskiy) == 2
    threads = {sqlite_store.get_story(story_of[k]).thread_id or story_of[k] for k in zelenskiy}
    assert len(threads) == 1
    assert story_with("Kim Jong Un") and story_of[first.id] not in {story_of[k] for k in headlines}
    assert sqlite_store.get_story(story_of[first.id]).size == 2


def test_restart_continues_where_it_stopped(seeds, tmp_path, embedder):
    first, second, _ = seeds
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        engine = StoryEngine(store, embedder, snapshot_every=1)
        Pipeline(store, engine).add(first)
        assert store.get_state("story_engine") is not None
    with SQLiteStore(path) as store:
        engine = StoryEngine(store, embedder)
        assert engine.processed == 1 and len(engine.stories) == 1
        decision = engine.add(second) if store.add_article(second) else None
        assert decision is not None and not decision.new_story
        assert decision.story_id == store.get_article(first.id).story_id


def test_restart_without_snapshot_replays_stored_decisions(seeds, tmp_path, embedder):
    first, second, _ = seeds
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        Pipeline(store, StoryEngine(store, embedder, snapshot_every=0)).add(first)
        assert store.get_state("story_engine") is None
    with SQLiteStore(path) as store:
        engine = StoryEngine(store, embedder)
        assert engine.processed == 1 and list(engine.stories) == [store.get_article(first.id).story_id]
        Pipeline(store, engine).add(second)
        assert store.get_article(second.id).story_id == store.get_article(first.id).story_id


class _Renamed:
    """The session's encoder under another name and with a flipped sign: another vector space."""

    def __init__(self, inner, name: str) -> None:
        self.inner, self.name, self.dim = inner, name, inner.dim

    def embed(self, texts: list[str]):
        return -self.inner.embed(texts)


def test_snapshot_of_another_embedder_is_rebuilt_in_the_new_space(seeds, tmp_path, embedder, caplog):
    first, second, _ = seeds
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        Pipeline(store, StoryEngine(store, embedder, snapshot_every=1)).add(first)
    other = _Renamed(embedder, "other")
    with SQLiteStore(path) as store, caplog.at_level(logging.WARNING, "storyweave.cluster"):
        engine = StoryEngine(store, other)
        assert "made with embedder use, now other" in caplog.text
        assert "no join model fitted for embedder other" in caplog.text
        story = engine.stories[store.get_article(first.id).story_id]
        assert story.profile.unit @ other.embed([first.title])[0] > 0  # re-embedded, not the old vectors
        Pipeline(store, engine).add(second)
        assert store.get_article(second.id).story_id == store.get_article(first.id).story_id


def test_merge_and_split(seeds, sqlite_store, embedder):
    first, second, _ = seeds
    engine = StoryEngine(sqlite_store, embedder)
    pipeline = Pipeline(sqlite_store, engine)
    pipeline.add(first)
    pipeline.add(second)
    story = sqlite_store.get_article(first.id).story_id
    new = engine.split(story, [second.id])
    assert sqlite_store.get_article(second.id).story_id == new != story
    assert sqlite_store.get_story(new).thread_id == sqlite_store.get_story(story).thread_id == story
    assert engine.stories[new].pinned
    survivor = engine.merge(story, new)
    assert survivor == story and sqlite_store.get_story(new) is None
    assert sqlite_store.get_story(story).article_ids == [first.id, second.id]
    with pytest.raises(ValueError):
        engine.split(story, [first.id, second.id])
    with pytest.raises(KeyError):
        engine.merge(story, "st-missing")


def test_near_copy_is_linked_to_its_original(seeds, sqlite_store, embedder):
    first, _, _ = seeds
    copy = Article(id="copy", title="Kim wants offensive deterrent", text=first.text + "\n(EFE)", lang="en")
    pipeline = Pipeline(sqlite_store, StoryEngine(sqlite_store, embedder))
    pipeline.add(first)
    pipeline.add(copy)
    stored = sqlite_store.get_article("copy")
    assert stored.duplicate_of == first.id and stored.story_id == sqlite_store.get_article(first.id).story_id


# -- bad input: defined behaviour and a warning, never a crash ----------------------------------------------
@pytest.fixture
def engine_pipeline(sqlite_store, embedder):
    return Pipeline(sqlite_store, StoryEngine(sqlite_store, embedder))


def test_empty_article_gets_its_own_story(engine_pipeline, sqlite_store, caplog):
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        assert engine_pipeline.add(Article(id="empty", title="", text="")).added
        engine_pipeline.add(Article(id="text", title="Kosovo heads to an early election", text=""))
        second_empty = engine_pipeline.add(Article(id="empty2", title=" ", text="\n"))
    assert "neither title nor text" in caplog.text
    assert sqlite_store.get_article("empty").story_id not in (None, sqlite_store.get_article("text").story_id)
    assert not second_empty.added and second_empty.duplicate_of == "empty"


def test_headline_only_and_unknown_language(engine_pipeline, sqlite_store, caplog):
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        engine_pipeline.add(Article(id="h1", title="Kim Jong Un oversees missile test amid tensions"))
        engine_pipeline.add(Article(id="h2", title="Kim Jong Un oversees new missile test as tensions rise"))
    assert "no language" in caplog.text
    assert sqlite_store.get_article("h1").story_id == sqlite_store.get_article("h2").story_id


def test_future_and_missing_dates_are_ignored_with_a_warning(engine_pipeline, sqlite_store, caplog):
    future = datetime.now(UTC) + timedelta(days=400)
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        engine_pipeline.add(Article(id="f", title="Budget approved", lang="en", published=future))
        engine_pipeline.add(Article(id="n", title="Ceasefire holds at the border", lang="en"))
    assert "in the future" in caplog.text and "no publication date" in caplog.text
    story = sqlite_store.get_story(sqlite_store.get_article("f").story_id)
    assert story.first_seen is None


def test_malformed_dates_and_missing_ids_in_records(caplog):
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        article = article_from_record({"title": "T", "published": "yesterday-ish"}, "in.jsonl:7")
    assert article.published is None and article.id == "in.jsonl:7"
    assert "unreadable date" in caplog.text and "without id" in caplog.text
    when = article_from_record({"id": "x", "title": "T", "published": 1394470370698}, "in.jsonl:8").published
    assert when == datetime(2014, 3, 10, 16, 52, 50, 698000, tzinfo=UTC)


def test_duplicate_ids_keep_the_first_story(sqlite_store, embedder, caplog):
    articles = [
        Article(id="same", title="Kosovo heads to early parliamentary election", lang="en"),
        Article(id="same", title="Japan approves record budget", lang="en"),
        Article(id="other", title="Japan approves record budget", lang="en"),
    ]
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        story_ids = cluster_articles(articles, sqlite_store, StoryEngine(sqlite_store, embedder))
    assert story_ids[0] == story_ids[1] and len(story_ids) == 3
    assert "duplicate id same" in caplog.text
    with caplog.at_level(logging.WARNING, "storyweave.cluster"):
        decision = StoryEngine(sqlite_store, embedder).add(articles[0])
    assert decision.story_id == story_ids[0] and "already placed" in caplog.text


def test_short_reports_with_nothing_in_common_stay_apart(engine_pipeline, sqlite_store):
    """Regression: the join model once put a flood report and a chess result (an hour apart) in one story."""
    day = datetime(2024, 10, 29, 10, tzinfo=UTC)
    reports = [
        Article("flood", "Flood hits Valencia", "Heavy rain flooded Valencia.", lang="en", published=day),
        Article(
            "chess",
            "Chess world title decided",
            "A new chess world champion was crowned.",
            lang="en",
            published=day + timedelta(hours=1),
        ),
        Article("junk", "<script>alert(1)</script>", "<img src=x onerror=alert(2)> text", published=day),
    ]
    for report in reports:
        engine_pipeline.add(report)
    stories = {sqlite_store.get_article(r.id).story_id for r in reports}
    assert len(stories) == 3


def test_batch_clustering_embeds_each_article_once(sqlite_store, embedder):
    """`cluster` embeds a batch ahead, then places it with those vectors (it once embedded every article a
    second time while placing it, which doubled the command's CPU)."""
    from storyweave.cluster.engine import article_vectors

    class Counting:
        def __init__(self) -> None:
            self.name, self.dim, self.texts = embedder.name, embedder.dim, []

        def embed(self, texts: list[str]):
            self.texts += texts
            return embedder.embed(texts)

    articles = [
        Article(
            id="a",
            title="Kosovo heads to early parliamentary election",
            text="Voters go to the polls.",
            lang="en",
        ),
        Article(
            id="b", title="Japan approves record budget", text="The cabinet approved it on Friday.", lang="en"
        ),
    ]
    once = Counting()
    article_vectors(once, articles)
    counting = Counting()
    cluster_articles(articles, sqlite_store, StoryEngine(sqlite_store, counting))
    assert sorted(counting.texts) == sorted(once.texts) and once.texts
