"""Storage stage: the `Store` interface and `open_store` to pick a backend from a path or URL."""

from __future__ import annotations

from pathlib import Path

from storyweave.store.base import QueryTimeout, Store, StoreError, merged_into, merged_key
from storyweave.store.sqlite import SQLiteStore

DEFAULT_STORE = Path("storyweave-data") / "storyweave.db"


def open_store(location: str | Path | None = None) -> Store:
    """Open a store: `postgresql://…` selects PostgreSQL, anything else is a SQLite file path."""
    location = str(location or DEFAULT_STORE)
    if location.startswith(("postgresql://", "postgres://")):
        from storyweave.store.postgres import PostgresStore

        return PostgresStore(location)
    return SQLiteStore(location)


__all__ = [
    "DEFAULT_STORE",
    "QueryTimeout",
    "Store",
    "StoreError",
    "SQLiteStore",
    "merged_into",
    "merged_key",
    "open_store",
]
