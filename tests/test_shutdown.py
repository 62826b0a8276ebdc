"""SIGTERM and SIGINT stop `serve`, `watch` and `ingest` within 10 s and leave no child process behind.

Each test starts the real command in a subprocess, gets it busy (report waiters and the analysis worker;
a page fetch stuck on a server that trickles its headers; an ingest mid-batch), signals it and times the exit.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from hostile_web import HostileWeb

from storyweave.feeds import add_feed
from storyweave.models import Article, Story
from storyweave.store import SQLiteStore

CLI = [sys.executable, "-c", "from storyweave.cli import main; main()"]
LIMIT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, signum: int) -> tuple[float, list[psutil.Process]]:
    """Signal `process`; seconds until it exited, and which of its children outlived it."""
    children = psutil.Process(process.pid).children(recursive=True)
    started = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    took = time.monotonic() - started
    psutil.wait_procs(children, timeout=5)
    alive = [c for c in children if _running(c)]  # an orphan's zombie waits for init to reap it: exited
    for leftover in alive:
        leftover.kill()
    return took, alive


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_with_waiters_and_analysis_worker(tmp_path: Path, signum: int) -> None:
    db = tmp_path / "serve.db"
    store = SQLiteStore(db)
    t0 = Article("a0", "Bridge reopens after repairs", "The bridge reopened on Monday.", story_id="st-1")
    store.add_article(t0)
    store.save_story(Story("st-1", title=t0.title))
    store.close()
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--store", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/status", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 60, "the server")
        wait_for(lambda: psutil.Process(process.pid).children(recursive=True), 30, "the analysis worker")
        def wait_for_report() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server goes away under it
                httpx.get(f"{base}/api/stories/st-1?wait=true", timeout=60)

        waiters = [threading.Thread(target=wait_for_report) for _ in range(20)]
        for waiter in waiters:
            waiter.daemon = True
            waiter.start()
        time.sleep(1.0)
        took, alive = stop(process, signum)
    finally:
        if process.poll() is None:
            process.kill()
    print(f"serve: stopped {took:.1f} s after {signal.Signals(signum).name}")
    assert took < LIMIT_S and not alive, (took, alive)


def test_watch_stops_with_a_fetch_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "watch.db"
    with HostileWeb() as web:
        web.trickle.add("/slow")
        feed = f'<rss version="2.0"><channel><title>F</title><item><link>{web.base}/slow</link></item>'
        feed += "</channel></rss>"
        web.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
        store = SQLiteStore(db)
        add_feed(store, f"{web.base}/feed.xml", "F")
        store.close()
        hits: list[str] = []
        original = web.server.RequestHandlerClass.do_GET

        def recording(handler) -> None:
            hits.append(handler.path)
            original(handler)

        web.server.RequestHandlerClass.do_GET = recording
        process = subprocess.Popen(
            [*CLI, "watch", "--store", str(db), "--allow-host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: "/slow" in hits, 60, "the page fetch")
            time.sleep(0.5)
            took, alive = stop(process, signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
    print(f"watch: stopped {took:.1f} s after SIGTERM")
    assert took < LIMIT_S and not alive, (took, alive)


def test_ingest_stops_mid_run_and_leaves_whole_batches(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "ingest.db"
    source = tmp_path / "in.jsonl"
    lines = (shared_data / "clustering" / "allsides.jsonl").read_text(encoding="utf-8").splitlines()[:400]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [*CLI, "ingest", str(source), "--store", str(db)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stored() -> int:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        except sqlite3.Error:
            return 0

    try:
        wait_for(lambda: stored() > 0, 120, "the first stored batch")
        took, alive = stop(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    print(f"ingest: stopped {took:.1f} s after SIGTERM")
    assert took < LIMIT_S and not alive, (took, alive)
    with sqlite3.connect(db) as conn:
        unplaced = conn.execute("SELECT COUNT(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
    assert stored() < len(lines) and unplaced == 0
    assert json.loads(lines[0])["id"]  # the input is the shared schema
