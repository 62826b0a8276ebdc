"""The Store contract. Every backend must pass the same tests (see the `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyweave.models import Article, Outlet, Story
from storyweave.store import SQLiteStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "postgres":
        from storyweave.store.postgres import PostgresStore

        backend = PostgresStore(request.getfixturevalue("postgres_url"))
        yield backend
        backend.close()
        return
    backend = SQLiteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def _article(n: int, **kw) -> Article:
    return Article(id=f"a{n}", title=f"Title {n}", text=f"Body number {n} about volcanoes", **kw)


def test_add_is_idempotent_by_id_hash_and_canonical_url(store):
    assert store.add_article(_article(1, canonical_url="https://x.test/1"))
    assert not store.add_article(_article(1))
    same_text = Article(id="other", title="Title 1", text="Body  number 1 about VOLCANOES")
    assert store.find_duplicate(same_text) == "a1"
    assert not store.add_article(same_text)
    same_url = Article(id="b", title="t", text="different", canonical_url="https://x.test/1")
    assert not store.add_article(same_url)
    assert store.count_articles() == 1


def test_article_round_trip(store):
    published = datetime(2023, 4, 10, 8, 30, tzinfo=UTC)
    art = _article(
        2, source="KCNA", lang="en", published=published, chrome=["Related headline"], author="A. B."
    )
    store.add_article(art)
    got = store.get_article("a2")
    assert got == art
    assert store.get_article("missing") is None


def test_transaction_rolls_back_everything(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.add_article(_article(3))
        store.save_story(Story("s1", title="x"))
        raise RuntimeError("killed")
    assert store.count_articles() == 0
    assert store.get_story("s1") is None


def test_stories_membership_size_and_filters(store):
    for n in range(3):
        store.add_article(_article(n, lang="en" if n else "es", source=f"outlet{n}"))
    store.save_story(
        Story("s1", first_seen=datetime(2023, 1, 1, tzinfo=UTC), last_seen=datetime(2023, 1, 2, tzinfo=UTC))
    )
    store.save_story(
        Story("s2", first_seen=datetime(2023, 2, 1, tzinfo=UTC), last_seen=datetime(2023, 2, 1, tzinfo=UTC))
    )
    store.set_article_story("a0", "s1")
    store.set_article_story("a1", "s1")
    store.set_article_story("a2", "s2")
    assert store.get_story("s1").article_ids == ["a0", "a1"]
    assert [s.id for s in store.list_stories(sort="size")] == ["s1", "s2"]
    assert [s.id for s in store.list_stories(sort="recency")] == ["s2", "s1"]
    assert [s.id for s in store.list_stories(lang="es")] == ["s1"]
    assert [s.id for s in store.list_stories(source="outlet2")] == ["s2"]
    assert [s.id for s in store.list_stories(since=datetime(2023, 1, 15, tzinfo=UTC))] == ["s2"]
    store.set_article_story("a1", "s2")
    assert store.get_story("s2").size == 2
    assert store.count_stories() == 2
    with pytest.raises(KeyError):
        store.set_article_story("nope", "s1")


def test_full_text_search_and_hostile_queries(store):
    store.add_article(
        Article(id="k", title="Kim calls for deterrence", text="Pyongyang meeting of the commission")
    )
    store.add_article(Article(id="v", title="Venezuela oil quarantine", text="Sanctions intensify"))
    assert [a.id for a in store.search("pyongyang")] == ["k"]
    assert store.search('" OR NEAR(') == []
    assert store.search("") == []
    store.save_story(Story("s"))
    store.set_article_story("v", "s")
    assert [s.id for s in store.list_stories(query="quarantine")] == ["s"]


def test_outlets_and_state(store):
    store.upsert_outlet(Outlet("Reuters", domain="reuters.com", tags=["wire"]))
    store.upsert_outlet(Outlet("Reuters", domain="reuters.com", lean="center", tags=["wire", "en"]))
    assert store.get_outlet("Reuters").tags == ["wire", "en"]
    assert [o.name for o in store.list_outlets()] == ["Reuters"]
    assert store.get_state("engine") is None
    store.put_state("engine", b"\x00\x01")
    store.put_state("engine", b"\x02")
    assert store.get_state("engine") == b"\x02"


def test_reopen_keeps_data_and_schema(tmp_path):
    path = tmp_path / "re.db"
    with SQLiteStore(path) as first:
        first.add_article(_article(1))
    with SQLiteStore(path) as second:
        assert second.count_articles() == 1


def test_concurrent_writers_store_each_article_once(store):
    """Poller and API threads adding overlapping articles to one story: each stored once, story size exact."""
    from concurrent.futures import ThreadPoolExecutor

    store.save_story(Story("shared"))

    def writer(offset: int) -> int:
        added = 0
        for n in range(offset, offset + 12):  # writers overlap by half: every article is offered twice
            with store.transaction():
                if store.add_article(_article(n)):
                    store.set_article_story(f"a{n}", "shared")
                    added += 1
        return added

    with ThreadPoolExecutor(4) as pool:
        added = sum(pool.map(writer, [0, 6, 12, 18]))
    assert added == store.count_articles() == 30
    assert store.get_story("shared").size == 30
    assert sorted(store.get_story("shared").article_ids) == sorted(f"a{n}" for n in range(30))
