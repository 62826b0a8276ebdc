# ruff: noqa: SIM905  (word lists read better as strings)
"""Synthesise a large store for load tests: N short generated articles about N/per-story events.

    .venv/bin/python scripts/make_load_store.py storyweave-data/load.db --articles 100000

Texts are generated (no data set is embedded); articles and stories go straight through the Store API.
The story engine then folds them into its state by its own restart path, with a feature-hashing embedder
standing in for the neural one (minutes instead of the better part of an hour), and saves a snapshot of the
default embedder's dimension, so `storyweave serve` on this store ingests new articles with the real embedder
and no catch-up.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from storyweave.cluster import StoryEngine
from storyweave.models import Article, Outlet, Story
from storyweave.store import open_store

DIM = 512  # the default (USE) embedder's dimension
CHUNK = 5000
TOPICS = tuple(
    (
        "election parliament minister budget protest court ruling earthquake flood storm wildfire strike "
        "union market inflation bank rates oil gas pipeline summit treaty sanctions missile border "
        "ceasefire vaccine hospital outbreak football final championship tournament satellite launch "
        "rocket climate drought harvest refugees migration shipwreck rescue airline crash railway bridge "
        "collapse cyberattack outage chip merger"
    ).split()
)
PLACES = tuple(
    (
        "Madrid Paris Berlin Cairo Lagos Nairobi Delhi Dhaka Jakarta Manila Seoul Tokyo Lima Bogota Quito "
        "Kyiv Warsaw Rome Athens Ankara Tehran Riyadh Doha Beirut Amman Algiers Tunis Rabat Accra Dakar "
        "Hanoi Sydney"
    ).split()
)
VERBS = tuple(
    ("said announced confirmed denied warned reported claimed insisted added noted urged rejected").split()
)
FILLER = tuple(
    (
        "the a officials on Monday Tuesday Wednesday after before during while amid according to local "
        "reports police government sources witnesses agency statement later earlier more than people "
        "least dozens"
    ).split()
)
LANGS = ["en"] * 6 + ["es", "de", "fr", "ar"]


class HashingEmbedder:
    """Feature hashing of words into DIM dimensions, L2-normalised: fast and similarity-preserving."""

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, h % DIM] += 1.0 if h & 1 << 31 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def event_words(rng: random.Random, event: int) -> tuple[str, list[str]]:
    topic, place = rng.choice(TOPICS), rng.choice(PLACES)
    name = (
        f"{rng.choice('BCDFGKLMNPRSTVZ')}{rng.choice('aeiou')}{rng.choice('lmnrstvz')}{rng.choice('aeiou')}"
    )
    return f"{topic} in {place}", [topic, place, name + "ski", f"{event % 997 + 3}", rng.choice(TOPICS)]


def article_text(rng: random.Random, words: list[str], n: int = 60) -> str:
    out = []
    for i in range(n):
        pick = rng.random()
        out.append(
            rng.choice(words) if pick < 0.25 else rng.choice(VERBS) if pick < 0.35 else rng.choice(FILLER)
        )
        if i % 15 == 14:
            out[-1] += "."
    return " ".join(out).capitalize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="SQLite path or postgresql:// URL (should be new/empty)")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--per-story", type=int, default=10, help="mean articles per event")
    parser.add_argument("--outlets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-engine", action="store_true", help="skip building the story engine's snapshot")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    store = open_store(args.store)
    if store.count_articles():
        print(
            f"{args.store} already holds {store.count_articles()} articles; use a new path", file=sys.stderr
        )
        return 1
    outlets = [f"outlet{i:03d}.example" for i in range(args.outlets)]
    for name in outlets:
        store.upsert_outlet(
            Outlet(name, name, rng.choice(["US", "GB", "ES", "DE", "FR", "EG"]), rng.choice(LANGS))
        )
    t0, clock = time.monotonic(), datetime(2025, 1, 1, tzinfo=UTC)
    events = max(1, args.articles // args.per_story)
    stories: dict[str, Story] = {}
    for first in range(0, args.articles, CHUNK):  # committed in chunks: PostgreSQL's planner sees the rows
        with store.transaction():
            for i in range(first, min(args.articles, first + CHUNK)):
                event = max(0, min(events - 1, round(i / args.per_story + rng.gauss(0, 1.5))))
                headline, words = event_words(random.Random(args.seed * 1_000_003 + event), event)
                clock += timedelta(seconds=rng.expovariate(1 / 50))
                outlet, sid = rng.choice(outlets), f"load-st-{event:06d}"
                store.add_article(
                    Article(
                        id=f"load-{i:06d}",
                        title=f"{headline.title()}: {rng.choice(VERBS)} {rng.choice(words)}",
                        text=article_text(rng, words),
                        url=f"https://{outlet}/news/{i}",
                        canonical_url=f"https://{outlet}/news/{i}",
                        source=outlet,
                        lang=rng.choice(LANGS),
                        published=clock,
                        story_id=sid,
                    )
                )
                story = stories.setdefault(sid, Story(sid, first_seen=clock, title=headline.title()))
                story.last_seen = clock
                if i % 5000 == 4999:
                    print(f"\r{i + 1:,}/{args.articles:,} articles", end="", file=sys.stderr, flush=True)
    with store.transaction():
        for story in stories.values():
            store.save_story(story)
    print(
        f"\n{store.count_articles():,} articles in {store.count_stories():,} stories "
        f"({time.monotonic() - t0:,.0f} s)",
        file=sys.stderr,
    )
    if not args.no_engine:
        # The engine's own restart path folds the stored decisions into its state; then snapshot it.
        t1 = time.monotonic()
        StoryEngine(store, HashingEmbedder()).snapshot()
        print(f"story engine state built and saved ({time.monotonic() - t1:,.0f} s)", file=sys.stderr)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
