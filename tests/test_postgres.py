"""PostgreSQL-specific behaviour beyond the shared Store contract (tests/test_store.py runs that on both)."""

from __future__ import annotations

import psycopg
import pytest

from storyweave.models import Article
from storyweave.store import StoreError, open_store
from storyweave.store.postgres import PostgresStore, redact

pytestmark = pytest.mark.postgres


def test_open_store_dispatches_and_reopen_keeps_data(postgres_url):
    with open_store(postgres_url) as first:
        assert isinstance(first, PostgresStore)
        assert ":***@" in first.url and ":storyweave@" not in first.url  # shown in messages: no password
        first.add_article(Article(id="x", title="Kept", text="across reopen"))
    with open_store(postgres_url) as second:  # migrations are not re-run on an up-to-date schema
        assert second.count_articles() == 1
        assert [a.id for a in second.search("reopen")] == ["x"]


def test_newer_schema_is_refused(postgres_url):
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 999")
    with pytest.raises(StoreError, match="newer"):
        PostgresStore(postgres_url)


def test_unreachable_server_is_a_clear_error_without_password():
    url = "postgresql://someone:secret@127.0.0.1:9/nowhere"
    with pytest.raises(StoreError) as info:
        PostgresStore(url, connect_timeout=2)
    assert "127.0.0.1:9" in str(info.value) and "secret" not in str(info.value)
    assert redact(url) == "postgresql://someone:***@127.0.0.1:9/nowhere"


def test_search_uses_the_gin_index_and_websearch_safe_parsing(postgres_url):
    with PostgresStore(postgres_url) as store:
        store.add_article(Article(id="a", title="Séisme au Japon", text="Un tremblement de terre à Tokyo"))
        store.add_article(Article(id="b", title="Erdbeben in Japan", text="Tokio bebt"))
        assert [a.id for a in store.search("japon tokyo")] == ["a"]
        assert store.search("japan & | ! (") and store.search("japan & | ! (")[0].id == "b"
        with psycopg.connect(postgres_url) as conn:
            conn.execute("SET enable_seqscan = off")
            plan = conn.execute(
                "EXPLAIN SELECT id FROM articles WHERE tsv @@ plainto_tsquery('simple', 'japan')"
            ).fetchall()
        assert "articles_tsv" in " ".join(r[0] for r in plan)
