"""Command-line interface: `storyweave COMMAND`. Each module below registers one stage's commands."""

from storyweave.cli import analyse, engine, feeds, ingest, serve  # noqa: F401  (registers commands)
from storyweave.cli.app import app


def main() -> None:
    app()
