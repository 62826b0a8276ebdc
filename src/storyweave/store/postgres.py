"""PostgreSQL store (psycopg 3): connection pool, tsvector/GIN full-text search, schema versioned in a table.

Semantics match `SQLiteStore`; differences are only in how concurrency is achieved. Each thread gets its own
pooled connection for the length of a `transaction()`, so the poller and the API write in parallel; the rows
that several writers touch (a story's size) are locked before they are recomputed, and unique indexes on id,
canonical URL and content hash make `add_article` race-free across threads and processes alike.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from storyweave.models import Article, Outlet, Story
from storyweave.store.base import SEARCH_BUDGET_S, QueryTimeout, StoreError, StorySort, search_terms
from storyweave.store.sql import ARTICLE_COLUMNS as _ARTICLE_COLUMNS
from storyweave.store.sql import VECTORS_TABLE, SQLStore, article_from_row, story_filters

# Each entry migrates the schema from version i to i+1. Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE outlets (
        name TEXT PRIMARY KEY, domain TEXT, country TEXT, language TEXT, lean TEXT,
        tags JSONB NOT NULL DEFAULT '[]'
    );
    CREATE TABLE articles (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        url TEXT, canonical_url TEXT, source TEXT, title TEXT NOT NULL, text TEXT NOT NULL, lead TEXT,
        lang TEXT, published TIMESTAMPTZ, fetched TIMESTAMPTZ, author TEXT, raw_ref TEXT,
        chrome JSONB NOT NULL DEFAULT '[]', story_id TEXT, duplicate_of TEXT, hash TEXT NOT NULL UNIQUE,
        tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || text)) STORED
    );
    CREATE UNIQUE INDEX articles_canonical ON articles(canonical_url) WHERE canonical_url IS NOT NULL;
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_source ON articles(source);
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_tsv ON articles USING GIN (tsv);
    CREATE TABLE stories (
        id TEXT PRIMARY KEY, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, title TEXT NOT NULL DEFAULT '',
        thread_id TEXT, size INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX stories_last_seen ON stories(last_seen);
    CREATE INDEX stories_thread ON stories(thread_id);
    CREATE TABLE state (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
    """,
    VECTORS_TABLE.format(blob="BYTEA"),
    "ALTER TABLE stories ADD COLUMN cohesion DOUBLE PRECISION;",
]

_OUTLET_COLUMNS = "name, domain, country, language, lean, tags"
_STORY_COLUMNS = "s.id, s.first_seen, s.last_seen, s.title, s.thread_id, s.cohesion"
_MIGRATION_LOCK = 0x5707_11EA  # advisory lock id: one process migrates at a time
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return _PASSWORD.sub(r"\1***@", url)


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are UTC (as in SQLite); values come back in UTC whatever the server's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PostgresStore(SQLStore):
    """A `Store` on a PostgreSQL server, e.g. `PostgresStore("postgresql://user:pw@127.0.0.1/storyweave")`."""

    mark = "%s"
    no_limit = None  # LIMIT NULL
    to_db = staticmethod(_utc)

    def __init__(self, url: str, *, pool_size: int = 4, connect_timeout: float = 10.0) -> None:
        self.url = redact(url)  # shown in messages and logs: never the password
        self._local = threading.local()
        try:
            with psycopg.connect(url, connect_timeout=int(connect_timeout), autocommit=True) as conn:
                self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"{redact(url)}: cannot use PostgreSQL store ({str(exc).strip()})") from exc
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,
            open=False,
            name="storyweave",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(f"{self.url}: no connection to PostgreSQL ({exc})") from exc

    @staticmethod
    def _migrate(conn: psycopg.Connection) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(f"schema version {version} is newer than this storyweave understands")
            for number in range(version, len(MIGRATIONS)):
                conn.execute(MIGRATIONS[number])
                conn.execute("UPDATE schema_version SET version = %s", (number + 1,))

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:  # nested: a savepoint on this thread's connection
            with conn.transaction():
                yield
            return
        with self._pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._local.conn = None

    def _query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Run one statement on this thread's transaction, or on a pooled connection in autocommit."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return _fetch(conn.execute(sql, params))
        with self._pool.connection() as conn:
            return _fetch(conn.execute(sql, params))

    def _budgeted(self, sql: str, params: tuple | list, seconds: float = SEARCH_BUDGET_S) -> list[tuple]:
        """One read under a statement timeout: the server cancels it after `seconds` (QueryTimeout). Inside a
        caller's transaction the read runs as is (`SET LOCAL` would outlive it, up to the caller's commit)."""
        if getattr(self._local, "conn", None) is not None:
            return self._query(sql, params)
        try:
            with self.transaction():
                self._query(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
                return self._query(sql, params)
        except psycopg.errors.QueryCanceled as exc:
            raise QueryTimeout(f"query cancelled after {seconds:.0f} s") from exc

    # -- articles ----------------------------------------------------------------------------------------
    def find_duplicate(self, article: Article) -> str | None:
        # Three lookups, one unique index each: with `OR`, the planner may scan the whole table (it does while
        # the statistics are those of an empty table, e.g. inside a long first load).
        rows = self._query(
            "SELECT id FROM articles WHERE id = %s UNION ALL SELECT id FROM articles WHERE hash = %s"
            " UNION ALL SELECT id FROM articles WHERE canonical_url = %s LIMIT 1",
            (article.id, article.hash, article.canonical_url),
        )
        return rows[0][0] if rows else None

    def add_article(self, article: Article) -> bool:
        with self.transaction():
            if self.find_duplicate(article) is not None:
                return False
            # A concurrent writer may insert the same article between the check and here: the unique indexes
            # then turn this insert into a no-op (it waits for that writer's commit first).
            inserted = self._query(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})"
                " ON CONFLICT DO NOTHING RETURNING seq",
                (
                    article.id, article.url, article.canonical_url, article.source, article.title or "",
                    article.text or "", article.lead, article.lang, _utc(article.published),
                    _utc(article.fetched), article.author, article.raw_ref, Jsonb(article.chrome),
                    article.story_id, article.duplicate_of, article.hash,
                ),
            )
            if inserted and article.story_id:
                self._refresh_story_sizes({article.story_id})
        return bool(inserted)

    @staticmethod
    def _article(row: tuple) -> Article:
        return article_from_row(row, _utc, list)

    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> list[Article]:
        terms = search_terms(query)
        if not terms:
            return []
        rows = self._budgeted(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles, plainto_tsquery('simple', %s) q WHERE tsv @@ q"
            " ORDER BY ts_rank(tsv, q) DESC, seq LIMIT %s OFFSET %s",
            (" ".join(terms), limit, offset),
        )
        return [self._article(r) for r in rows]

    def set_article_story(
        self, article_id: str, story_id: str | None, *, duplicate_of: str | None = None
    ) -> None:
        with self.transaction():
            old = self._query("SELECT story_id FROM articles WHERE id = %s FOR UPDATE", (article_id,))
            if not old:
                raise KeyError(article_id)
            self._query(
                "UPDATE articles SET story_id = %s, duplicate_of = %s WHERE id = %s",
                (story_id, duplicate_of, article_id),
            )
            self._refresh_story_sizes({old[0][0], story_id} - {None})

    def _refresh_story_sizes(self, story_ids: set[str]) -> None:
        """Recount members. The story rows are locked first (in a fixed order, so writers cannot deadlock) and
        counted in a later statement, whose snapshot then includes every other writer's committed members."""
        ids = sorted(story_ids)
        self._query("SELECT id FROM stories WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))
        self._query(
            "UPDATE stories s SET size = (SELECT COUNT(*) FROM articles a WHERE a.story_id = s.id)"
            " WHERE s.id = ANY(%s)",
            (ids,),
        )

    # -- outlets -----------------------------------------------------------------------------------------
    def upsert_outlet(self, outlet: Outlet) -> None:
        self._query(
            "INSERT INTO outlets (name, domain, country, language, lean, tags)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET domain = excluded.domain, country = excluded.country,"
            " language = excluded.language, lean = excluded.lean, tags = excluded.tags",
            (outlet.name, outlet.domain, outlet.country, outlet.language, outlet.lean, Jsonb(outlet.tags)),
        )

    @staticmethod
    def _outlet(row: tuple) -> Outlet:
        name, domain, country, language, lean, tags = row
        return Outlet(name, domain, country, language, lean, list(tags))

    def get_outlet(self, name: str) -> Outlet | None:
        rows = self._query(f"SELECT {_OUTLET_COLUMNS} FROM outlets WHERE name = %s", (name,))
        return self._outlet(rows[0]) if rows else None

    def list_outlets(self) -> list[Outlet]:
        rows = self._query(f'SELECT {_OUTLET_COLUMNS} FROM outlets ORDER BY name COLLATE "C"')
        return [self._outlet(r) for r in rows]

    # -- stories -----------------------------------------------------------------------------------------
    def save_story(self, story: Story) -> None:
        with self.transaction():
            self._query(
                "INSERT INTO stories (id, first_seen, last_seen, title, thread_id, cohesion)"
                " VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET first_seen = excluded.first_seen,"
                " last_seen = excluded.last_seen, title = excluded.title, thread_id = excluded.thread_id,"
                " cohesion = excluded.cohesion",
                (
                    story.id,
                    _utc(story.first_seen),
                    _utc(story.last_seen),
                    story.title,
                    story.thread_id,
                    story.cohesion,
                ),
            )
            self._refresh_story_sizes({story.id})

    def _story(self, row: tuple) -> Story:
        sid, first_seen, last_seen, title, thread_id, cohesion = row
        ids = [r[0] for r in self._query("SELECT id FROM articles WHERE story_id = %s ORDER BY seq", (sid,))]
        return Story(sid, ids, _utc(first_seen), _utc(last_seen), title, thread_id, cohesion)

    def get_story(self, story_id: str) -> Story | None:
        rows = self._query(f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = %s", (story_id,))
        return self._story(rows[0]) if rows else None

    def delete_story(self, story_id: str) -> None:
        with self.transaction():
            self._query("UPDATE articles SET story_id = NULL WHERE story_id = %s", (story_id,))
            self._query("DELETE FROM stories WHERE id = %s", (story_id,))

    def list_stories(
        self,
        *,
        query: str | None = None,
        lang: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        thread_id: str | None = None,
        sort: StorySort = "recency",
        limit: int = 50,
        offset: int = 0,
    ) -> list[Story]:
        terms = search_terms(query or "")
        text_match = (
            "s.id IN (SELECT a.story_id FROM articles a WHERE a.tsv @@ plainto_tsquery('simple', %s))",
            " ".join(terms),
        )
        where, params = story_filters(
            "%s", _utc, text_match=text_match if terms else None, lang=lang, source=source,
            since=since, until=until, thread_id=thread_id,
        )
        # NULLS LAST and byte-order ids: the same order as SQLite gives.
        order = {
            "recency": "s.last_seen DESC NULLS LAST, s.size DESC",
            "size": "s.size DESC, s.last_seen DESC NULLS LAST",
            "velocity": "s.size / (1.0 + COALESCE(EXTRACT(EPOCH FROM s.last_seen - s.first_seen) / 3600, 0))"
            " DESC, s.last_seen DESC NULLS LAST",
        }[sort]
        rows = self._budgeted(
            f"SELECT {_STORY_COLUMNS} FROM stories s WHERE "
            + " AND ".join(where)
            + f' ORDER BY {order}, s.id COLLATE "C" LIMIT %s OFFSET %s',
            [*params, limit, offset],
        )
        return [self._story(r) for r in rows]

    # -- engine state ------------------------------------------------------------------------------------
    def put_state(self, key: str, value: bytes) -> None:
        self._query(
            "INSERT INTO state (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_state(self, key: str) -> bytes | None:
        rows = self._query("SELECT value FROM state WHERE key = %s", (key,))
        return bytes(rows[0][0]) if rows else None


def _fetch(cursor: psycopg.Cursor) -> list[tuple]:
    return cursor.fetchall() if cursor.description is not None else []


__all__ = ["PostgresStore", "redact"]
