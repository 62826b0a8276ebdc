"""Shared fixtures: paths to ../shared (skipped cleanly when absent) and a fresh store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storyweave.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYWEAVE_SHARED", ROOT.parent / "shared"))


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set STORYWEAVE_SHARED to the shared/ folder)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _require(SHARED / "data")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return _require(SHARED / "seeds")


@pytest.fixture
def sqlite_store(tmp_path: Path):
    store = SQLiteStore(tmp_path / "store.db")
    yield store
    store.close()


@pytest.fixture
def postgres_url():
    """URL of a fresh PostgreSQL schema, dropped afterwards; skips unless STORYWEAVE_TEST_POSTGRES is set."""
    base = os.environ.get("STORYWEAVE_TEST_POSTGRES")
    if not base:
        pytest.skip("PostgreSQL tests need STORYWEAVE_TEST_POSTGRES (see scripts/start-postgres.sh)")
    import uuid

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def embedder():
    """The default multilingual encoder, loaded once for the whole session."""
    from storyweave.embed import default_embedder

    return default_embedder()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    """After pytest's own summary, just before the counts: which suites were skipped and why, and what runs
    them all."""
    yield
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    groups: dict[tuple[str, str], int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        path = report.nodeid.split("::", 1)[0] if report.nodeid else str(report.location[0])
        groups[(path, reason)] = groups.get((path, reason), 0) + 1
    write = terminalreporter.write_line
    terminalreporter.section("skipped suites", sep="-")
    for (path, reason), n in sorted(groups.items()):
        write(f"{path}: {n} test{'s' if n != 1 else ''} skipped: {reason}")
    write("`make test-all` installs what they need (Chromium, PostgreSQL; Debian, as root) and runs all.")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, one per test module (tests/live.py)."""
    pytest.importorskip("playwright.sync_api")
    from live import chromium

    with chromium() as b:
        yield b
