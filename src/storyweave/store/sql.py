"""SQL shared by the relational backends (SQLite, PostgreSQL): filter clauses, row mapping, and `SQLStore`,
the reads that are the same statement in both.

`mark` is the driver's parameter placeholder (`?` or `%s`); `to_db`/`from_db` convert datetimes to and from
the backend's time representation.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import numpy as np

from storyweave.models import Article
from storyweave.store.base import Store

ARTICLE_COLUMNS = (
    "id, url, canonical_url, source, title, text, lead, lang, published, fetched, author, raw_ref, chrome, "
    "story_id, duplicate_of, hash"
)
ToDb = Callable[[datetime | None], Any]
_IN_CHUNK = 500
VECTORS_TABLE = (
    "CREATE TABLE vectors (article_id TEXT PRIMARY KEY, space TEXT NOT NULL, vector {blob} NOT NULL)"
)
"""Article embeddings kept for restarts (`Store.put_vectors`); the same table in both backends."""


def article_filters(
    mark: str,
    to_db: ToDb,
    *,
    story_id: str | None,
    source: str | None,
    lang: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[str], list]:
    """WHERE conditions (to be AND-ed) and their parameters for `Store.iter_articles`."""
    where, params = [], []
    for column, value in (("story_id", story_id), ("source", source), ("lang", lang)):
        if value is not None:
            where.append(f"{column} = {mark}")
            params.append(value)
    bounds = (f"published >= {mark}", since), (f"published < {mark}", until)
    _time_bounds(where, params, to_db, *bounds)
    return where, params


def _time_bounds(where: list[str], params: list, to_db: ToDb, *bounds: tuple[str, datetime | None]) -> None:
    """Append each (condition, moment) whose moment is given, the moment converted for the backend."""
    for condition, moment in bounds:
        if moment is not None:
            where.append(condition)
            params.append(to_db(moment))


def story_filters(
    mark: str,
    to_db: ToDb,
    *,
    text_match: tuple[str, Any] | None,
    lang: str | None,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    thread_id: str | None,
) -> tuple[list[str], list]:
    """WHERE conditions and parameters for `Store.list_stories` over `stories s`; `text_match` is the
    backend's full-text condition and its parameter."""
    where, params = ["s.size > 0"], []
    if text_match is not None:
        where.append(text_match[0])
        params.append(text_match[1])
    for column, value in (("lang", lang), ("source", source)):
        if value is not None:
            where.append(f"EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.{column} = {mark})")
            params.append(value)
    bounds = (f"s.last_seen >= {mark}", since), (f"s.first_seen < {mark}", until)
    _time_bounds(where, params, to_db, *bounds)
    if thread_id is not None:
        where.append(f"s.thread_id = {mark}")
        params.append(thread_id)
    return where, params


def article_from_row(
    row: tuple, from_db: Callable[[Any], datetime | None], chrome: Callable[[Any], list[str]]
) -> Article:
    """An `Article` from a row of `ARTICLE_COLUMNS`."""
    (aid, url, canonical, source, title, text, lead, lang, published, fetched, author, raw_ref, chrome_value,
     story_id, duplicate_of, hash_) = row  # fmt: skip
    return Article(
        id=aid, url=url, canonical_url=canonical, source=source, title=title, text=text, lead=lead, lang=lang,
        published=from_db(published), fetched=from_db(fetched), author=author, raw_ref=raw_ref,
        chrome=chrome(chrome_value), story_id=story_id, duplicate_of=duplicate_of, hash=hash_,
    )  # fmt: skip


class SQLStore(Store):
    """Reads shared by the relational backends; a backend names its placeholder (`mark`), the LIMIT value
    meaning "no limit", its time conversion (`to_db`) and how it runs a query and maps an article row.
    """

    mark: str
    no_limit: Any

    @staticmethod
    @abstractmethod
    def to_db(value: datetime | None) -> Any: ...

    @abstractmethod
    def _query(self, sql: str, params: tuple | list = ()) -> list: ...

    @staticmethod
    @abstractmethod
    def _article(row: Any) -> Article: ...

    def get_article(self, article_id: str) -> Article | None:
        rows = self._query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = {self.mark}", (article_id,))
        return self._article(rows[0]) if rows else None

    def iter_articles(
        self,
        *,
        story_id: str | None = None,
        source: str | None = None,
        lang: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Article]:
        where, params = article_filters(
            self.mark, self.to_db, story_id=story_id, source=source, lang=lang, since=since, until=until
        )
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY seq LIMIT {self.mark} OFFSET {self.mark}"
        for row in self._query(sql, [*params, self.no_limit if limit is None else limit, offset]):
            yield self._article(row)

    def count_articles(self) -> int:
        return self._query("SELECT COUNT(*) FROM articles")[0][0]

    def _in_chunks(self, sql: str, leading: list, ids: Iterable[str]) -> Iterator[tuple]:
        """Rows of `sql` (ending in `IN ({marks})`) for `ids`, a few hundred ids per statement."""
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            yield from self._query(sql.format(marks=", ".join([self.mark] * len(chunk))), [*leading, *chunk])

    def raw_refs(self, article_ids: Iterable[str]) -> dict[str, str | None]:
        rows = self._in_chunks("SELECT id, raw_ref FROM articles WHERE id IN ({marks})", [], article_ids)
        return dict(rows)

    def put_vectors(self, space: str, vectors: Mapping[str, np.ndarray]) -> None:
        m = self.mark
        sql = (
            f"INSERT INTO vectors (article_id, space, vector) VALUES ({m}, {m}, {m}) ON CONFLICT (article_id)"
            " DO UPDATE SET space = excluded.space, vector = excluded.vector"
        )
        with self.transaction():
            for article_id, vector in vectors.items():
                self._query(sql, (article_id, space, np.asarray(vector, dtype=np.float32).tobytes()))

    def get_vectors(self, space: str, article_ids: Iterable[str]) -> dict[str, np.ndarray]:
        sql = f"SELECT article_id, vector FROM vectors WHERE space = {self.mark} AND article_id IN "
        sql += "({marks})"
        return {
            article_id: np.frombuffer(bytes(blob), dtype=np.float32).copy()
            for article_id, blob in self._in_chunks(sql, [space], article_ids)
        }

    def count_stories(self) -> int:
        return self._query("SELECT COUNT(*) FROM stories WHERE size > 0")[0][0]
