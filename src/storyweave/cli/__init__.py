"""Command-line interface: `storyweave COMMAND`. Each module below registers one stage's commands."""

import signal

from storyweave.cli import analyse, engine, feeds, ingest, serve  # noqa: F401  (registers commands)
from storyweave.cli.app import app


def main() -> None:
    # SIGTERM (a service manager, a container stop) ends a command like Ctrl-C does: the current batch rolls
    # back or finishes, stores and pools close, and child processes are ended, instead of a hard exit.
    # `serve` installs uvicorn's own handlers for both while it runs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    app()
