"""Embedded SQLite store: WAL mode, FTS5 over title+text, schema versioned by `PRAGMA user_version`."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from storyweave.models import Article, Outlet, Story
from storyweave.store.base import SEARCH_BUDGET_S, QueryTimeout, StoreError, StorySort, search_terms
from storyweave.store.sql import ARTICLE_COLUMNS as _ARTICLE_COLUMNS
from storyweave.store.sql import VECTORS_TABLE, SQLStore, article_from_row, story_filters

# Each entry migrates the schema from version i to i+1. Append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE outlets (
        name TEXT PRIMARY KEY, domain TEXT, country TEXT, language TEXT, lean TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE articles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        url TEXT, canonical_url TEXT, source TEXT, title TEXT NOT NULL, text TEXT NOT NULL, lead TEXT,
        lang TEXT, published TEXT, fetched TEXT, author TEXT, raw_ref TEXT,
        chrome TEXT NOT NULL DEFAULT '[]', story_id TEXT, duplicate_of TEXT, hash TEXT NOT NULL
    );
    CREATE UNIQUE INDEX articles_canonical ON articles(canonical_url) WHERE canonical_url IS NOT NULL;
    CREATE INDEX articles_hash ON articles(hash);
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_source ON articles(source);
    CREATE INDEX articles_published ON articles(published);
    CREATE TABLE stories (
        id TEXT PRIMARY KEY, first_seen TEXT, last_seen TEXT, title TEXT NOT NULL DEFAULT '',
        thread_id TEXT, size INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX stories_last_seen ON stories(last_seen);
    CREATE INDEX stories_thread ON stories(thread_id);
    CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='seq');
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
    END;
    """,
    VECTORS_TABLE.format(blob="BLOB") + ";",
    "ALTER TABLE stories ADD COLUMN cohesion REAL;",
]


def to_db_time(value: datetime | None) -> str | None:
    """UTC ISO-8601 text, so that string order is time order."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def fts_query(query: str) -> str:
    """Quote each term so that user input is never parsed as FTS5 syntax; terms capped and deduplicated."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in search_terms(query))


class SQLiteStore(SQLStore):
    """Thread-safe (one connection behind a lock); other processes may read concurrently thanks to WAL."""

    mark = "?"
    no_limit = -1
    to_db = staticmethod(to_db_time)

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a storyweave SQLite store ({exc})") from exc
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.RLock()
        self._depth = 0
        self._deadline: float | None = None
        self._db.set_progress_handler(self._past_deadline, 20_000)
        self._migrate()

    def _past_deadline(self) -> int:
        """SQLite's progress callback: non-zero interrupts the running statement (see `_budget`)."""
        return int(self._deadline is not None and time.monotonic() > self._deadline)

    @contextmanager
    def _budget(self, seconds: float = SEARCH_BUDGET_S) -> Iterator[None]:
        """Interrupt the statements run inside after `seconds` (QueryTimeout), so that one expensive query
        cannot hold the connection's lock, and every read behind it, for minutes."""
        with self._lock:
            self._deadline = time.monotonic() + seconds
            try:
                yield
            except sqlite3.OperationalError as exc:
                if "interrupt" in str(exc):
                    raise QueryTimeout(f"query interrupted after {seconds:.0f} s") from exc
                raise
            finally:
                self._deadline = None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this storyweave understands"
            )
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[number]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, params)
            return cursor.fetchall()

    # -- articles ----------------------------------------------------------------------------------------
    def find_duplicate(self, article: Article) -> str | None:
        rows = self._query(
            "SELECT id FROM articles WHERE id = ? OR hash = ?"
            " OR (canonical_url IS NOT NULL AND canonical_url = ?) LIMIT 1",
            (article.id, article.hash, article.canonical_url),
        )
        return rows[0][0] if rows else None

    def add_article(self, article: Article) -> bool:
        with self.transaction():
            if self.find_duplicate(article) is not None:
                return False
            self._db.execute(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                (
                    article.id,
                    article.url,
                    article.canonical_url,
                    article.source,
                    article.title or "",
                    article.text or "",
                    article.lead,
                    article.lang,
                    to_db_time(article.published),
                    to_db_time(article.fetched),
                    article.author,
                    article.raw_ref,
                    json.dumps(article.chrome),
                    article.story_id,
                    article.duplicate_of,
                    article.hash,
                ),
            )
            if article.story_id:
                self._refresh_story_size(article.story_id)
        return True

    @staticmethod
    def _article(row: sqlite3.Row | tuple) -> Article:
        return article_from_row(tuple(row), from_db_time, json.loads)

    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> list[Article]:
        match = fts_query(query)
        if not match:
            return []
        columns = ", ".join(f"a.{c.strip()}" for c in _ARTICLE_COLUMNS.split(","))
        with self._budget():
            rows = self._query(
                f"SELECT {columns} FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
                " WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ? OFFSET ?",
                (match, limit, offset),
            )
        return [self._article(r) for r in rows]

    def set_article_story(
        self, article_id: str, story_id: str | None, *, duplicate_of: str | None = None
    ) -> None:
        with self.transaction():
            old = self._query("SELECT story_id FROM articles WHERE id = ?", (article_id,))
            if not old:
                raise KeyError(article_id)
            self._db.execute(
                "UPDATE articles SET story_id = ?, duplicate_of = ? WHERE id = ?",
                (story_id, duplicate_of, article_id),
            )
            for sid in {old[0][0], story_id} - {None}:
                self._refresh_story_size(sid)

    def _refresh_story_size(self, story_id: str) -> None:
        self._db.execute(
            "UPDATE stories SET size = (SELECT COUNT(*) FROM articles WHERE story_id = ?) WHERE id = ?",
            (story_id, story_id),
        )

    # -- outlets -----------------------------------------------------------------------------------------
    def upsert_outlet(self, outlet: Outlet) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO outlets (name, domain, country, language, lean, tags) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET domain = excluded.domain, country = excluded.country,"
                " language = excluded.language, lean = excluded.lean, tags = excluded.tags",
                (
                    outlet.name,
                    outlet.domain,
                    outlet.country,
                    outlet.language,
                    outlet.lean,
                    json.dumps(outlet.tags),
                ),
            )

    @staticmethod
    def _outlet(row: tuple) -> Outlet:
        name, domain, country, language, lean, tags = row
        return Outlet(name, domain, country, language, lean, json.loads(tags))

    def get_outlet(self, name: str) -> Outlet | None:
        rows = self._query(
            "SELECT name, domain, country, language, lean, tags FROM outlets WHERE name = ?", (name,)
        )
        return self._outlet(rows[0]) if rows else None

    def list_outlets(self) -> list[Outlet]:
        rows = self._query("SELECT name, domain, country, language, lean, tags FROM outlets ORDER BY name")
        return [self._outlet(r) for r in rows]

    # -- stories -----------------------------------------------------------------------------------------
    def save_story(self, story: Story) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO stories (id, first_seen, last_seen, title, thread_id, cohesion)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET first_seen = excluded.first_seen,"
                " last_seen = excluded.last_seen, title = excluded.title, thread_id = excluded.thread_id,"
                " cohesion = excluded.cohesion",
                (
                    story.id,
                    to_db_time(story.first_seen),
                    to_db_time(story.last_seen),
                    story.title,
                    story.thread_id,
                    story.cohesion,
                ),
            )
            self._refresh_story_size(story.id)

    def _story(self, row: tuple) -> Story:
        sid, first_seen, last_seen, title, thread_id, cohesion = row
        ids = [r[0] for r in self._query("SELECT id FROM articles WHERE story_id = ? ORDER BY seq", (sid,))]
        return Story(sid, ids, from_db_time(first_seen), from_db_time(last_seen), title, thread_id, cohesion)

    def get_story(self, story_id: str) -> Story | None:
        rows = self._query(
            "SELECT id, first_seen, last_seen, title, thread_id, cohesion FROM stories WHERE id = ?",
            (story_id,),
        )
        return self._story(rows[0]) if rows else None

    def delete_story(self, story_id: str) -> None:
        with self.transaction():
            self._db.execute("UPDATE articles SET story_id = NULL WHERE story_id = ?", (story_id,))
            self._db.execute("DELETE FROM stories WHERE id = ?", (story_id,))

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
        match = fts_query(query) if query else ""
        text_match = (
            "s.id IN (SELECT a.story_id FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
            " WHERE articles_fts MATCH ?)",
            match,
        )
        where, params = story_filters(
            "?",
            to_db_time,
            text_match=text_match if match else None,
            lang=lang,
            source=source,
            since=since,
            until=until,
            thread_id=thread_id,
        )
        order = {
            "recency": "s.last_seen DESC, s.size DESC",
            "size": "s.size DESC, s.last_seen DESC",
            "velocity": "s.size / (1.0 + COALESCE(julianday(s.last_seen) - julianday(s.first_seen), 0) * 24)"
            " DESC, s.last_seen DESC",
        }[sort]
        with self._budget():
            rows = self._query(
                "SELECT s.id, s.first_seen, s.last_seen, s.title, s.thread_id, s.cohesion FROM stories s"
                " WHERE "
                + " AND ".join(where)
                + f" ORDER BY {order}, s.id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        return [self._story(r) for r in rows]

    # -- engine state ------------------------------------------------------------------------------------
    def put_state(self, key: str, value: bytes) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def get_state(self, key: str) -> bytes | None:
        rows = self._query("SELECT value FROM state WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (which contain ';') whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and (
            not joined.upper().startswith("CREATE TRIGGER") or joined.upper().endswith("END;")
        ):
            statements.append(joined)
            current = []
    return statements
