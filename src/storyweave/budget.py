"""Per-record time budgets: no single record may stall extraction, language id, the story engine's decision or
a story's analysis for everyone else.

Two mechanisms, chosen per stage by what can be stopped soundly:

- **Killable child process** (`Isolated`) for extraction and analysis: trafilatura/lxml and spaCy run long
  stretches of Python and C with no point where a check could stop them, and a thread cannot be killed. The
  child is started once and reused (no process per record, one pickled round trip per call); a call past its
  budget kills that child, raises `OverBudget`, and the next call starts a fresh one.
- **Cooperative deadline** (`Deadline`) for language id and the engine's decision: their cost is bounded
  by the input caps (a 5,000-character sample; ten candidates), and the decision holds the engine's state,
  which a child could not share. Past the budget the record is degraded (language unknown; placed as a story
  of its own without scoring) and reported.

Budgets are seconds, set by environment variables (read at each use, so a running server and its tests see
changes): STORYWEAVE_BUDGET_EXTRACT, STORYWEAVE_BUDGET_LANGUAGE, STORYWEAVE_BUDGET_DECISION,
STORYWEAVE_BUDGET_ANALYSIS.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger("storyweave.budget")

DEFAULTS = {"extract": 20.0, "language": 2.0, "decision": 5.0, "analysis": 90.0}
"""Seconds per record (per story for analysis). Extraction of a news page takes 0.05-1 s and the tag caps hold
the worst crafted page to ~5 s; language id takes under 1 ms; a decision ~10 ms; a 30-report analysis 2-3 s,
whose optional steps stop by themselves after 30 s (`analyse.report.TIME_BUDGET_S`): the hard limit is past
that, for a mandatory step that never ends."""
STAGE_NAMES = {"extract": "extraction", "language": "language id", "decision": "story decision",
               "analysis": "analysis"}  # fmt: skip


def budget(stage: str) -> float:
    """The budget of `stage` in seconds: STORYWEAVE_BUDGET_<STAGE> when set to a positive number, else the
    default."""
    raw = os.environ.get(f"STORYWEAVE_BUDGET_{stage.upper()}", "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULTS[stage]
    return value if value > 0 else DEFAULTS[stage]


class OverBudget(Exception):
    """A record's stage ran past its time budget and was stopped (`reason` is one line for the user)."""

    def __init__(self, stage: str, seconds: float) -> None:
        self.stage, self.seconds = stage, seconds
        self.reason = (
            f"{STAGE_NAMES.get(stage, stage)} stopped: over its {seconds:g} s time budget"
            f" (STORYWEAVE_BUDGET_{stage.upper()})"
        )
        super().__init__(self.reason)


class ChildDied(Exception):
    """The child process ended in the middle of a call (killed, out of memory, a crash in C code)."""


@dataclass
class Deadline:
    """A cooperative budget: `passed()` says whether `seconds` have gone by since it was made."""

    seconds: float
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = self.started or time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def passed(self) -> bool:
        return self.elapsed > self.seconds


def child_main() -> None:
    """The child's entry point (`python -c`, pipe descriptors in argv): take the parent's import path and
    the modules to preload, then run each (function, args) sent and send back (ok, value); end when the
    parent goes."""
    requests = Connection(int(sys.argv[1]), writable=False)
    replies = Connection(int(sys.argv[2]), readable=False)
    path, preload, initializer = requests.recv()
    sys.path[:] = path
    for module in preload:
        importlib.import_module(module)
    if initializer is not None:
        initializer()
    replies.send((True, None))
    while True:
        try:
            fn, args = requests.recv()
        except (EOFError, OSError):  # the parent closed the pipe or died
            return
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            replies.send(reply)
        except Exception as exc:  # an unpicklable result or exception: say what it was
            replies.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


class _Child:
    """A child Python started by command line rather than by multiprocessing's spawn, which would run the
    parent's main script again in the child (any script calling the API without a `__main__` guard)."""

    def __init__(self, preload: tuple[str, ...], initializer: Callable[[], None] | None) -> None:
        theirs_in, ours_out = os.pipe()
        ours_in, theirs_out = os.pipe()
        code = "from storyweave.budget import child_main; child_main()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs_in), str(theirs_out)], pass_fds=(theirs_in, theirs_out)
        )
        os.close(theirs_in)
        os.close(theirs_out)
        self.requests = Connection(ours_out, readable=False)
        self.replies = Connection(ours_in, writable=False)
        self.requests.send((sys.path, preload, initializer))

    def ready(self) -> None:
        """Wait for the child's start-up (its imports); ChildDied when it was killed meanwhile."""
        try:
            ok, error = self._reply(None)
        except OSError as exc:  # killed, and its pipes closed, before the wait began
            raise ChildDied("the worker process was stopped while starting") from exc
        if not ok:
            raise error

    def _reply(self, timeout: float | None) -> tuple[bool, Any]:
        """(True, result) or (False, the exception the function raised); TimeoutError when none came in
        time, ChildDied when the child is gone."""
        if not self.replies.poll(timeout):
            raise TimeoutError
        try:
            return self.replies.recv()
        except (EOFError, OSError) as exc:
            raise ChildDied(f"the worker process ended (exit code {self.process.poll()})") from exc

    def call(self, fn: Callable[..., Any], args: tuple, timeout: float | None) -> tuple[bool, Any]:
        self.requests.send((fn, args))
        return self._reply(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.requests.close()
        self.replies.close()


class Isolated:
    """Calls run in reused child processes (up to `workers` at once, started on demand) under a time limit.

    A call past its limit kills its child (`OverBudget`); the others keep running. Start-up (the imports a
    fresh child does) is not counted against any call's budget. Thread-safe."""

    def __init__(
        self,
        *,
        workers: int = 1,
        preload: tuple[str, ...] = (),
        initializer: Callable[[], None] | None = None,
    ) -> None:
        """`preload`: modules a fresh child imports before its first call (outside any budget)."""
        self.preload, self.initializer = preload, initializer
        self._idle: queue.LifoQueue[_Child | None] = queue.LifoQueue()
        for _ in range(max(1, workers)):
            self._idle.put(None)
        self._all: set[_Child] = set()
        self._guard = threading.Lock()
        self._closed = False
        atexit.register(self.close)  # a child busy with a long record must not outlive its parent

    def call(self, stage: str, fn: Callable[..., Any], *args: Any, seconds: float | None = None) -> Any:
        """`fn(*args)` in a child, stopped after `seconds` (default: the stage's budget; `inf` for none).
        `fn` and its arguments must be picklable (a module-level function). Raises OverBudget, ChildDied, or
        what `fn` raised."""
        limit = budget(stage) if seconds is None else seconds
        child, healthy = self._idle.get(), False
        try:
            if self._closed:
                raise ChildDied("shut down")
            if child is None:
                child = _Child(self.preload, self.initializer)
                with self._guard:
                    self._all.add(child)  # before its start-up: `close` may kill it then
                child.ready()
                if self._closed:  # closed while it started
                    raise ChildDied("shut down")
            try:
                ok, value = child.call(fn, args, None if limit == float("inf") else limit)
            except TimeoutError:
                raise OverBudget(stage, limit) from None
            healthy = True
        finally:
            if not healthy:  # over budget, dead, or interrupted mid-call (Ctrl-C): its state is unknown
                self._drop(child)
                child = None
            self._idle.put(child)
        if ok:
            return value
        raise value

    def _drop(self, child: _Child | None) -> None:
        if child is not None:
            child.kill()
            with self._guard:
                self._all.discard(child)

    def close(self) -> None:
        """Kill every child now, even mid-call (shutdown must not wait for one record)."""
        self._closed = True
        with self._guard:
            children, self._all = list(self._all), set()
        for child in children:
            child.kill()
