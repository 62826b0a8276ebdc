"""`wait=true` never blocks serving: 200 clients wait for a report while /api/status and a story page are
timed, on a real uvicorn server (in a thread of this process, so the analysis can be held back)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn

from storyweave.models import Article, Story
from storyweave.serve import create_app
from storyweave.serve.views import Reports

WAITERS = 200
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(sqlite_store, monkeypatch):
    """A served store with one story whose analysis is held until the test releases it."""
    for number in range(3):
        sqlite_store.add_article(
            Article(f"a{number}", f"Bridge reopens {number}", "The bridge reopened.", story_id="st-1",
                    source=f"Outlet {number}", published=T0)
        )  # fmt: skip
    sqlite_store.save_story(Story("st-1", first_seen=T0, last_seen=T0, title="Bridge reopens"))
    release = threading.Event()

    def held_analysis(self, articles):
        release.wait(30)
        return {"articles": len(articles)}

    monkeypatch.setattr(Reports, "_analyse", held_analysis)
    port = free_port()
    app = create_app(sqlite_store)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", release, app
    release.set()
    uv.should_exit = True
    thread.join(10)


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def _scenario(base: str, release: threading.Event) -> tuple[list[httpx.Response], dict[str, list]]:
    limits = httpx.Limits(max_connections=WAITERS + 10)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as waiting,
        httpx.AsyncClient(base_url=base, timeout=10) as reader,
    ):
        waiters = [asyncio.create_task(waiting.get("/api/stories/st-1?wait=true")) for _ in range(WAITERS)]
        await asyncio.sleep(1.0)  # let every waiter connect and start waiting
        assert not any(w.done() for w in waiters), "waiters returned before the report was ready"
        timings: dict[str, list[float]] = {"/api/status": [], "/stories/st-1": []}
        for path in timings:  # warm-up: the reader's connection, the page's first rendering
            await reader.get(path)
        for _ in range(100):
            for path, samples in timings.items():
                started = time.perf_counter()
                response = await reader.get(path)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200
        release.set()
        return await asyncio.gather(*waiters), timings


def test_200_waiters_do_not_slow_reads(server) -> None:
    base, release, _ = server
    responses, timings = asyncio.run(_scenario(base, release))
    for path, samples in timings.items():
        median = sorted(samples)[len(samples) // 2]
        print(f"{path}: p50 {median * 1000:.1f} ms, p99 {p99(samples) * 1000:.1f} ms with {WAITERS} waiters")
        assert p99(samples) < 0.2, f"{path} p99 {p99(samples):.3f} s with {WAITERS} waiters"
    assert [r.status_code for r in responses] == [200] * WAITERS
    assert {r.json()["report_status"] for r in responses} == {"ready"}


def test_waiters_beyond_the_bound_are_answered_at_once(server) -> None:
    base, _, app = server
    app.state.waiters.limit = 0

    async def one() -> httpx.Response:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            return await client.get("/api/stories/st-1?wait=true")

    started = time.perf_counter()
    response = asyncio.run(one())
    assert response.status_code == 200 and response.json()["report_status"] == "pending"
    assert time.perf_counter() - started < 2
